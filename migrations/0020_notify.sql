-- Notify (hub.notify.v1): what the outboxes' events become for people.
--
-- Routing. hubd's delivery worker claims undelivered rows of both outboxes (FOR UPDATE SKIP
-- LOCKED, so any number of hubd processes share them), and in the same transaction writes what
-- each becomes by its topic's rule: an in-app notification per recipient user (in the inbox:
-- delivered by being written), and a delivery per mail recipient, its mail rendered now (the
-- event's payload is at hand). The outbox row is then marked delivered and its secrets (the
-- invitation, reset and verification tokens) removed from its payload. A delivery's unique
-- key (its outbox row, channel, recipient) makes routing one event twice impossible.
--
-- Sending. A delivery is taken by a lease (state 'sending' until lease_until), sent outside any
-- transaction, and the attempt recorded: delivered (its body, which holds the link, is dropped),
-- retried with exponential backoff, or dead after a permanent refusal or the last attempt,
-- where an operator finds it (ListDeliveries) and replays it (RetryDelivery). A process that
-- dies mid-send leaves the lease to expire and the mail is sent again: at least once, with the
-- delivery's id as Message-ID so the copy can be recognised.

-- Account mail has no tenant (tenant_id NULL) and lives beside tenant mail, so one queue and
-- one sender serve both; like account_outbox it is a reference table under Citus.
CREATE TABLE notify_deliveries (
  id              uuid        PRIMARY KEY DEFAULT hub_uuid_v7(),
  tenant_id       uuid        REFERENCES tenants,
  source          text        NOT NULL CHECK (source IN ('outbox', 'account_outbox', 'digest')),
  source_id       bigint      NOT NULL,
  channel         text        NOT NULL CHECK (channel IN ('email', 'push')),
  recipient       text        NOT NULL CHECK (recipient <> ''),
  user_id         uuid,
  topic           text        NOT NULL,
  brand           text        NOT NULL,
  security        boolean     NOT NULL DEFAULT false,
  state           text        NOT NULL DEFAULT 'pending'
                              CHECK (state IN ('pending', 'sending', 'delivered', 'dead')),
  attempts        int         NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until     timestamptz,
  last_error      text        NOT NULL DEFAULT '',
  sender_name     text        NOT NULL DEFAULT '',
  reply_to        text        NOT NULL DEFAULT '',
  subject         text        NOT NULL,
  body_text       text,
  body_html       text,
  unsubscribe_url text        NOT NULL DEFAULT '',
  link            text        NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  UNIQUE (source, source_id, channel, recipient),
  CHECK (state <> 'delivered' OR (body_text IS NULL AND body_html IS NULL))
);
COMMENT ON TABLE notify_deliveries IS
  'global: the delivery queue of tenant and account mail (tenant_id NULL for account mail)';
CREATE INDEX notify_deliveries_due ON notify_deliveries (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX notify_deliveries_tenant ON notify_deliveries (tenant_id, id);
CREATE INDEX notify_deliveries_done ON notify_deliveries (delivered_at) WHERE state = 'delivered';

-- Every attempt, kept as long as its delivery.
CREATE TABLE notify_attempts (
  delivery_id uuid        NOT NULL REFERENCES notify_deliveries ON DELETE CASCADE,
  n           int         NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  outcome     text        NOT NULL CHECK (outcome IN ('delivered', 'retry', 'dead')),
  detail      text        NOT NULL DEFAULT '',
  duration_ms int         NOT NULL DEFAULT 0,
  PRIMARY KEY (delivery_id, n)
);
COMMENT ON TABLE notify_attempts IS 'global: the attempts of notify_deliveries';

-- The queue is the worker's (hub.scope = 'notify_worker', which reads and writes across
-- tenants); a tenant's own deliveries are readable in the tenant (ListDeliveries) and
-- RetryDelivery moves one back to pending there. Account mail is the worker's alone.
ALTER TABLE notify_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE notify_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY notify_deliveries_worker ON notify_deliveries
  USING (current_setting('hub.scope', true) = 'notify_worker');
CREATE POLICY notify_deliveries_tenant ON notify_deliveries
  USING (tenant_id = hub_current_tenant()) WITH CHECK (tenant_id = hub_current_tenant());
ALTER TABLE notify_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE notify_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY notify_attempts_worker ON notify_attempts
  USING (current_setting('hub.scope', true) = 'notify_worker');
CREATE POLICY notify_attempts_tenant ON notify_attempts FOR SELECT
  USING (EXISTS (SELECT 1 FROM notify_deliveries d WHERE d.id = delivery_id AND d.tenant_id = hub_current_tenant()));
GRANT SELECT, INSERT, UPDATE, DELETE ON notify_deliveries, notify_attempts TO hub_app;

-- The worker finds the tenants with undelivered events across tenants (read only), then claims
-- and routes them in each tenant's own transaction, where row-level security applies as usual.
CREATE POLICY outbox_notify_worker ON outbox FOR SELECT
  USING (current_setting('hub.scope', true) = 'notify_worker');
CREATE INDEX outbox_tenant_undelivered ON outbox (tenant_id, id) WHERE delivered_at IS NULL;
-- An event whose routing fails by itself is set aside (delivered_at set) with the reason here,
-- so it cannot hold up the tenant's other events; hubd notify-status lists them.
ALTER TABLE outbox ADD COLUMN route_error text;
ALTER TABLE account_outbox ADD COLUMN route_error text;
CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;
CREATE INDEX account_outbox_delivered ON account_outbox (delivered_at) WHERE delivered_at IS NOT NULL;

-- The in-app inbox: one row per notification of a user in a tenant, written when its event
-- is routed (so in-app delivery is exactly once: the outbox row and the inbox rows commit
-- together). Read by the user (the handlers filter on hub_current_user()).
CREATE TABLE notify_inbox (
  tenant_id  uuid        NOT NULL REFERENCES tenants,
  id         uuid        NOT NULL DEFAULT hub_uuid_v7(),
  user_id    uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  source_id  bigint      NOT NULL,
  topic      text        NOT NULL,
  brand      text        NOT NULL,
  title      text        NOT NULL,
  body       text        NOT NULL DEFAULT '',
  link       text        NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  read_at    timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, source_id, user_id)
);
CREATE INDEX notify_inbox_user ON notify_inbox (tenant_id, user_id, id);
CREATE INDEX notify_inbox_unread ON notify_inbox (tenant_id, user_id) WHERE read_at IS NULL;
CALL hub_tenant_table('notify_inbox');

-- Preferences: a user's choice per topic and channel in a tenant, the tenant's defaults, and
-- a user's quiet hours (local times in their profile's zone).
CREATE TABLE notify_preferences (
  tenant_id uuid    NOT NULL REFERENCES tenants,
  user_id   uuid    NOT NULL REFERENCES users ON DELETE CASCADE,
  topic     text    NOT NULL,
  channel   text    NOT NULL CHECK (channel IN ('in_app', 'email', 'push')),
  enabled   boolean NOT NULL,
  digest    boolean NOT NULL DEFAULT false CHECK (NOT digest OR channel = 'email'),
  PRIMARY KEY (tenant_id, user_id, topic, channel)
);
CALL hub_tenant_table('notify_preferences');
CREATE TABLE notify_tenant_defaults (
  tenant_id uuid    NOT NULL REFERENCES tenants,
  topic     text    NOT NULL,
  channel   text    NOT NULL CHECK (channel IN ('in_app', 'email', 'push')),
  enabled   boolean NOT NULL,
  PRIMARY KEY (tenant_id, topic, channel)
);
CALL hub_tenant_table('notify_tenant_defaults');
CREATE TABLE notify_quiet_hours (
  tenant_id   uuid NOT NULL REFERENCES tenants,
  user_id     uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  quiet_start time NOT NULL,
  quiet_end   time NOT NULL,
  PRIMARY KEY (tenant_id, user_id)
);
CALL hub_tenant_table('notify_quiet_hours');

-- Mail a user asked to get as a digest: collected here when routed (one row per event and
-- user), and sent as one mail once the oldest has waited HUB_NOTIFY_DIGEST_WINDOW_S; the
-- digest's delivery takes its number from notify_digest_seq.
CREATE TABLE notify_digest_items (
  tenant_id  uuid        NOT NULL REFERENCES tenants,
  id         uuid        NOT NULL DEFAULT hub_uuid_v7(),
  user_id    uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  source_id  bigint      NOT NULL,
  topic      text        NOT NULL,
  brand      text        NOT NULL,
  subject    text        NOT NULL,
  summary    text        NOT NULL,
  link       text        NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, source_id, user_id)
);
CREATE INDEX notify_digest_items_user ON notify_digest_items (tenant_id, user_id, id);
CALL hub_tenant_table('notify_digest_items');
CREATE POLICY notify_digest_items_worker ON notify_digest_items FOR SELECT
  USING (current_setting('hub.scope', true) = 'notify_worker');
CREATE SEQUENCE notify_digest_seq;
GRANT USAGE ON SEQUENCE notify_digest_seq TO hub_app;

-- A user's devices for push notifications: one account reaches every tenant, so a device is
-- the user's, not a tenant's. The token is the provider's registration token (secret: sent to
-- the provider only, never listed). A token the provider calls unregistered is deleted.
CREATE TABLE notify_devices (
  id           uuid        PRIMARY KEY DEFAULT hub_uuid_v7(),
  user_id      uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  token        text        NOT NULL UNIQUE,
  platform     text        NOT NULL CHECK (platform IN ('android', 'ios', 'web')),
  label        text        NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
COMMENT ON TABLE notify_devices IS 'global: a user''s devices for push notifications (every tenant of the user)';
CREATE INDEX notify_devices_user ON notify_devices (user_id, id);
ALTER TABLE notify_devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE notify_devices FORCE ROW LEVEL SECURITY;
CREATE POLICY notify_devices_mine ON notify_devices
  USING (user_id = hub_current_user()) WITH CHECK (user_id = hub_current_user());
CREATE POLICY notify_devices_worker ON notify_devices
  USING (current_setting('hub.scope', true) = 'notify_worker');
GRANT SELECT, INSERT, UPDATE, DELETE ON notify_devices TO hub_app;

INSERT INTO role_permissions (role, permission) VALUES
  ('admin', 'notify.*.*'),
  ('member', 'notify.inbox.view'), ('member', 'notify.inbox.update'),
  ('member', 'notify.preferences.view'), ('member', 'notify.preferences.update'),
  ('member', 'notify.devices.view'), ('member', 'notify.devices.update')
ON CONFLICT DO NOTHING;

-- The first moment at or after p_at outside the quiet hours p_start..p_end (local times in
-- p_zone, the user's profile zone or UTC; a span may cross midnight). DST gaps resolve as
-- PostgreSQL resolves a local time that does not exist (forward).
CREATE FUNCTION notify_quiet_until(p_at timestamptz, p_zone text, p_start time, p_end time)
  RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
DECLARE
  z     text := coalesce(nullif(p_zone, ''), 'UTC');
  local timestamp;
  t     time;
  quiet boolean;
BEGIN
  IF p_start IS NULL OR p_end IS NULL OR p_start = p_end THEN RETURN p_at; END IF;
  BEGIN
    local := p_at AT TIME ZONE z;
  EXCEPTION WHEN invalid_parameter_value THEN -- a zone PostgreSQL does not know
    z := 'UTC';
    local := p_at AT TIME ZONE z;
  END;
  t := local::time;
  quiet := CASE WHEN p_start < p_end THEN t >= p_start AND t < p_end ELSE t >= p_start OR t < p_end END;
  IF NOT quiet THEN RETURN p_at; END IF;
  RETURN ((local::date + CASE WHEN t >= p_end AND p_start > p_end THEN 1 ELSE 0 END) + p_end) AT TIME ZONE z;
END $$;

-- The worker removes delivered events after the retention (HUB_NOTIFY_RETENTION_DAYS).
CREATE POLICY outbox_notify_prune ON outbox FOR DELETE
  USING (current_setting('hub.scope', true) = 'notify_worker' AND delivered_at IS NOT NULL);
