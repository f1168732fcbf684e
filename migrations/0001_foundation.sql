-- Foundation: privileges for the application role, the tenant function every row-level
-- security policy uses, and the outbox (the first tenant-owned table).
--
-- Roles (created by the operator, see docs/database.md): the schema owner runs this;
-- hub_app is a NOLOGIN group role whose members (the hubd login role) read and write rows
-- but own nothing and have no BYPASSRLS.

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO hub_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO hub_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO hub_app;

-- The tenant of the current transaction, set by the server with
-- set_config('hub.tenant_id', <uuid>, true). NULL when unset, so policies match no row.
CREATE FUNCTION hub_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('hub.tenant_id', true), '')::uuid $$;

-- Changes other systems react to (notifications, webhooks, sync), written in the same
-- transaction as the change and delivered at least once.
CREATE TABLE outbox (
  tenant_id    uuid        NOT NULL,
  id           bigint      GENERATED ALWAYS AS IDENTITY,
  topic        text        NOT NULL CHECK (topic <> ''),
  payload      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX outbox_undelivered ON outbox (created_at) WHERE delivered_at IS NULL;

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY outbox_tenant ON outbox
  USING (tenant_id = hub_current_tenant())
  WITH CHECK (tenant_id = hub_current_tenant());
