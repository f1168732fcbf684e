-- Service accounts and their API keys: credentials for machine callers (other backends).
--
-- A service account belongs to one tenant and carries what a membership carries (a role, a
-- brand list, extra permissions), so the access snapshot is built by the same statements
-- as a member's. Its API keys are stored as the SHA-256 of the whole key (256 random bits
-- of secret), never the key; the public prefix identifies a key in listings and logs.
--
-- Isolation: both tables are tenant-owned with row-level security enabled and forced. The
-- one exception is reading a single key by its prefix before the tenant is known (the key
-- names it): api_keys_by_prefix shows only the row whose prefix the transaction set in
-- hub.api_key_prefix, so a lookup can never list keys, and nothing else is visible.

CREATE TABLE service_accounts (
  tenant_id   uuid        NOT NULL REFERENCES tenants,
  id          uuid        NOT NULL DEFAULT hub_uuid_v7(),
  name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description text        NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  role        text        NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  brands      text[]      NOT NULL DEFAULT '{}',   -- empty: every brand the tenant is entitled to
  permissions text[]      NOT NULL DEFAULT '{}',   -- extra grants on top of the role's
  disabled_at timestamptz,
  created_by  uuid        NOT NULL,
  version     bigint      NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX service_accounts_name ON service_accounts (tenant_id, lower(name));

CREATE TABLE api_keys (
  tenant_id     uuid        NOT NULL,
  id            uuid        NOT NULL DEFAULT hub_uuid_v7(),
  account_id    uuid        NOT NULL,
  prefix        text        NOT NULL UNIQUE CHECK (prefix ~ '^[a-z0-9]{8}$'),
  secret_hash   bytea       NOT NULL CHECK (length(secret_hash) = 32),  -- SHA-256 of the key
  name          text        NOT NULL DEFAULT '' CHECK (length(name) <= 100),
  scopes        text[]      NOT NULL DEFAULT '{}',  -- empty: the account's permissions
  rate_per_min  integer     NOT NULL DEFAULT 600 CHECK (rate_per_min BETWEEN 1 AND 1000000),
  expires_at    timestamptz,                         -- NULL: never
  revoked_at    timestamptz,
  last_used_at  timestamptz,                         -- updated at most once a minute
  rotated_from  uuid,                                -- the key this one replaced
  created_by    uuid        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, account_id) REFERENCES service_accounts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX api_keys_account ON api_keys (tenant_id, account_id, created_at);

ALTER TABLE service_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE service_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY service_accounts_tenant ON service_accounts
  USING (tenant_id = hub_current_tenant()) WITH CHECK (tenant_id = hub_current_tenant());

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY api_keys_tenant ON api_keys
  USING (tenant_id = hub_current_tenant()) WITH CHECK (tenant_id = hub_current_tenant());
CREATE POLICY api_keys_by_prefix ON api_keys FOR SELECT
  USING (prefix = NULLIF(current_setting('hub.api_key_prefix', true), ''));

-- Admins (and owners, through *.*.*) manage service accounts; viewers see them (*.*.view).
INSERT INTO role_permissions (role, permission) VALUES
  ('admin', 'tenant.service_accounts.view'), ('admin', 'tenant.service_accounts.manage');

-- Platform service accounts: machine callers acting as platform administrators, in no tenant.
-- Global like users (no tenant_id, so no tenant policy); their keys have the shape of
-- api_keys without scopes (they carry the platform permissions). Key prefixes share one
-- namespace with api_keys: a lookup tries api_keys first.
CREATE TABLE platform_service_accounts (
  id          uuid        PRIMARY KEY DEFAULT hub_uuid_v7(),
  name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description text        NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  created_by  uuid        NOT NULL,
  version     bigint      NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX platform_service_accounts_name ON platform_service_accounts (lower(name));

CREATE TABLE platform_api_keys (
  id            uuid        PRIMARY KEY DEFAULT hub_uuid_v7(),
  account_id    uuid        NOT NULL REFERENCES platform_service_accounts ON DELETE CASCADE,
  prefix        text        NOT NULL UNIQUE CHECK (prefix ~ '^[a-z0-9]{8}$'),
  secret_hash   bytea       NOT NULL CHECK (length(secret_hash) = 32),
  name          text        NOT NULL DEFAULT '' CHECK (length(name) <= 100),
  rate_per_min  integer     NOT NULL DEFAULT 600 CHECK (rate_per_min BETWEEN 1 AND 1000000),
  expires_at    timestamptz,
  revoked_at    timestamptz,
  last_used_at  timestamptz,
  rotated_from  uuid,
  created_by    uuid        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX platform_api_keys_account ON platform_api_keys (account_id, created_at);
