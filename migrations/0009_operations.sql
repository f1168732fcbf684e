-- Long-running operations (AIP-151): one row per operation, tenant-owned through
-- hub_tenant_table (0008). The runner of every hubd claims runnable rows with
-- FOR UPDATE SKIP LOCKED and runs one step per transaction; the step's checkpoint and progress
-- commit with the step's own work, so after a restart the next step starts where the last
-- committed one ended, and cancelling (which waits for the row lock) lands between two steps.

CREATE TABLE operations (
  tenant_id      uuid        NOT NULL REFERENCES tenants,
  id             uuid        NOT NULL DEFAULT hub_uuid_v7(),
  kind           text        NOT NULL,                  -- "<service>.<job>", registered by the service
  state          text        NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  input          jsonb       NOT NULL DEFAULT '{}'::jsonb, -- what the starter passed
  checkpoint     text        NOT NULL DEFAULT '',       -- what the last step left for the next
  progress_done  bigint      NOT NULL DEFAULT 0,
  progress_total bigint      NOT NULL DEFAULT 0,
  response       jsonb,                                 -- the result, once succeeded
  error_code     int,                                   -- google.rpc.Code, once failed or cancelled
  error_message  text,
  attempts       int         NOT NULL DEFAULT 0,        -- transient failures of the current step
  not_before     timestamptz NOT NULL DEFAULT now(),    -- backoff after a transient failure
  created_by     uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  done_at        timestamptz,
  PRIMARY KEY (tenant_id, id),
  CHECK ((done_at IS NULL) = (state IN ('pending', 'running')))
);
-- The runner's queue: unfinished operations, least recently stepped first.
CREATE INDEX operations_runnable ON operations (updated_at) WHERE state IN ('pending', 'running');
CREATE INDEX operations_kind ON operations (tenant_id, kind, id DESC);
CALL hub_tenant_table('operations');
-- The runner looks for work across tenants (the transaction then switches to the operation's
-- tenant before the step runs); only code that sets this scope sees other tenants' rows.
CREATE POLICY operations_runner ON operations
  USING (current_setting('hub.scope', true) = 'operations_runner');

-- Admins (and owners, through *.*.*) cancel; members and viewers follow.
INSERT INTO role_permissions (role, permission) VALUES
  ('admin', 'operations.*.*'), ('member', 'operations.operations.view')
ON CONFLICT DO NOTHING;
