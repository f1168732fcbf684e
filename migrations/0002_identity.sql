-- Identity: accounts (global), brands (global, seeded), tenants, memberships, entitlements,
-- role defaults as data, invitations, refresh-token families, one-time account tokens,
-- external identities, feature flags and the audit trail.
--
-- Isolation: every tenant-owned table has row-level security enabled and forced. Policies
-- read hub_current_tenant() and, where a signed-in user must see their own rows across
-- tenants (their memberships, the tenants they belong to), hub_current_user(). A transaction
-- that sets neither sees no tenant-owned row at all.

CREATE FUNCTION hub_current_user() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('hub.user_id', true), '')::uuid $$;

-- Time-ordered UUIDs (version 7): 48 bits of Unix milliseconds, then randomness, so new
-- rows land at the right edge of their indexes.
CREATE FUNCTION hub_uuid_v7() RETURNS uuid
  LANGUAGE sql VOLATILE PARALLEL SAFE
  AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
             PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
             FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
  $$;

-- ---------------------------------------------------------------- global: accounts

CREATE TABLE users (
  id                 uuid        PRIMARY KEY DEFAULT hub_uuid_v7(),
  email              text        NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  email_norm         text        NOT NULL UNIQUE CHECK (email_norm = lower(email_norm)),
  display_name       text        NOT NULL DEFAULT '',
  password_hash      text,                       -- NULL for accounts that only use SSO
  email_verified_at  timestamptz,
  is_platform_admin  boolean     NOT NULL DEFAULT false,
  totp_sealed        bytea,                      -- AES-256-GCM sealed secret, confirmed
  totp_pending       bytea,                      -- sealed secret awaiting ConfirmTotp
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE recovery_codes (
  user_id    uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  code_hash  text        NOT NULL,               -- SHA-256 hex of the code as typed
  used_at    timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- SSO: an external account is (issuer, subject), never an email address.
CREATE TABLE external_identities (
  issuer     text        NOT NULL,
  subject    text        NOT NULL,
  user_id    uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  email      text        NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issuer, subject)
);

-- Single-use, expiring account tokens (password reset, email verification, SSO link
-- proofs), stored as SHA-256 of the 256-bit token.
CREATE TABLE account_tokens (
  token_hash bytea       PRIMARY KEY,
  purpose    text        NOT NULL CHECK (purpose IN ('password_reset', 'verify_email')),
  user_id    uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);

-- Refresh tokens: one family per session; each use spends a token and mints its successor.
-- The successor (and the access token minted with it) is kept sealed on the spent row for
-- the retry grace window, so a retried refresh gets the same pair back.
CREATE TABLE refresh_tokens (
  token_hash    bytea       PRIMARY KEY,
  session_id    text        NOT NULL,
  user_id       uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  spent_at      timestamptz,
  successor     bytea,                          -- sealed successor pair, for retries in the grace window
  successor_hash bytea,                         -- the successor's token_hash
  revoked_at    timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Account mail (verification, reset) has no tenant: it goes through its own outbox.
CREATE TABLE account_outbox (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id      uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  topic        text        NOT NULL,
  payload      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);

-- ---------------------------------------------------------------- global: brands and roles

CREATE TABLE brands (
  id          text        PRIMARY KEY CHECK (id ~ '^[a-z][a-z_]{1,31}$'),
  name        text        NOT NULL,
  domains     text[]      NOT NULL DEFAULT '{}',
  theme       jsonb       NOT NULL DEFAULT '{}'::jsonb,
  email       jsonb       NOT NULL DEFAULT '{}'::jsonb,
  seo         jsonb       NOT NULL DEFAULT '{}'::jsonb,
  modules     text[]      NOT NULL DEFAULT '{}',
  white_label jsonb       NOT NULL DEFAULT '{}'::jsonb,
  features    jsonb       NOT NULL DEFAULT '{}'::jsonb,   -- brand feature-flag overrides
  version     bigint      NOT NULL DEFAULT 1,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO brands (id, name, domains, modules, theme, email, seo) VALUES
  ('exakeep', 'ExaKeep', '{exakeep.com,app.exakeep.com}', '{accounting,billing,ticket}',
   '{"primary_color":"#0B5FFF","secondary_color":"#00B3A4"}', '{"support_address":"support@exakeep.com"}',
   '{"title":"ExaKeep accounting","description":"Accounting for small businesses"}'),
  ('addvive', 'Addvive', '{addvive.com,app.addvive.com}', '{crm,ticket,billing}',
   '{"primary_color":"#FF5A1F","secondary_color":"#1F2937"}', '{"support_address":"support@addvive.com"}',
   '{"title":"Addvive","description":"Marketing and IT services"}'),
  ('realestate', 'SMB Real Estate', '{realestate.smbhub.com}', '{crm,ticket,billing}',
   '{"primary_color":"#047857","secondary_color":"#F59E0B"}', '{"support_address":"support@smbhub.com"}',
   '{"title":"Real estate","description":"Listings and clients"}'),
  ('blog', 'SMB Hub Blog', '{blog.smbhub.com}', '{crm}',
   '{"primary_color":"#111827","secondary_color":"#6B7280"}', '{"support_address":"editor@smbhub.com"}',
   '{"title":"The SMB Hub blog","description":"B2B articles"}'),
  ('exateks', 'Exateks', '{exateks.com,app.exateks.com}', '{ticket,crm,billing,hrms}',
   '{"primary_color":"#7C3AED","secondary_color":"#0EA5E9"}', '{"support_address":"support@exateks.com"}',
   '{"title":"Exateks software","description":"Software for growing teams"}'),
  ('smb_hub', 'SMB Hub', '{smbhub.com,app.smbhub.com}', '{accounting,billing,ticket,crm,hrms}',
   '{"primary_color":"#2563EB","secondary_color":"#10B981"}', '{"support_address":"support@smbhub.com"}',
   '{"title":"SMB Hub","description":"Every tool a small business needs"}');

-- Role defaults are data: which permissions (patterns "domain.resource.verb", "*" matching
-- one part) each role grants. Members may hold extra permissions on top.
CREATE TABLE role_permissions (
  role       text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  permission text NOT NULL CHECK (permission ~ '^([a-z_]+|\*)\.([a-z_]+|\*)\.([a-z_]+|\*)$'),
  PRIMARY KEY (role, permission)
);
INSERT INTO role_permissions (role, permission) VALUES
  ('owner', '*.*.*'),
  ('admin', 'tenant.tenants.view'), ('admin', 'tenant.tenants.update'), ('admin', 'tenant.members.*'),
  ('admin', 'tenant.features.*'), ('admin', 'tenant.audit.view'), ('admin', 'tenant.access.view'),
  ('admin', 'ticket.*.*'), ('admin', 'crm.*.*'), ('admin', 'hrms.*.*'), ('admin', 'accounting.*.*'),
  ('admin', 'billing.*.*'),
  ('member', 'tenant.tenants.view'), ('member', 'tenant.members.view'), ('member', 'tenant.features.view'),
  ('member', 'tenant.access.view'),
  ('member', 'ticket.tickets.view'), ('member', 'ticket.tickets.create'), ('member', 'ticket.tickets.update'),
  ('member', 'crm.*.view'), ('member', 'crm.*.create'), ('member', 'crm.*.update'),
  ('viewer', '*.*.view');

-- Feature flags by tier; brands (brands.features) and tenants (tenant_features) override.
CREATE TABLE tier_features (
  tier    text    NOT NULL CHECK (tier IN ('free', 'pro', 'enterprise')),
  flag    text    NOT NULL CHECK (flag ~ '^[a-z][a-z0-9_.]{1,63}$'),
  enabled boolean NOT NULL,
  PRIMARY KEY (tier, flag)
);
INSERT INTO tier_features (tier, flag, enabled) VALUES
  ('free', 'sso', false), ('free', 'audit_export', false), ('free', 'custom_domains', false),
  ('free', 'sla_policies', false), ('free', 'api_access', true),
  ('pro', 'sso', true), ('pro', 'audit_export', false), ('pro', 'custom_domains', true),
  ('pro', 'sla_policies', true), ('pro', 'api_access', true),
  ('enterprise', 'sso', true), ('enterprise', 'audit_export', true), ('enterprise', 'custom_domains', true),
  ('enterprise', 'sla_policies', true), ('enterprise', 'api_access', true);

-- ---------------------------------------------------------------- tenant-owned

CREATE TABLE tenants (
  id                uuid        PRIMARY KEY,
  name              text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  slug              text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  subscription_type text        NOT NULL DEFAULT 'standalone' CHECK (subscription_type IN ('standalone', 'branded')),
  tier              text        NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'pro', 'enterprise')),
  home_brand        text        NOT NULL REFERENCES brands,
  version           bigint      NOT NULL DEFAULT 1,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  deleted_at        timestamptz
);

CREATE TABLE members (
  tenant_id   uuid        NOT NULL REFERENCES tenants,
  user_id     uuid        NOT NULL REFERENCES users,
  role        text        NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  brands      text[]      NOT NULL DEFAULT '{}',   -- empty: every brand the tenant is entitled to
  permissions text[]      NOT NULL DEFAULT '{}',   -- extra grants on top of the role's
  version     bigint      NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

-- Which brands, and which of each brand's modules, a tenant may use. Platform admins write
-- it (SetEntitlements) until Billing does.
CREATE TABLE entitlements (
  tenant_id uuid   NOT NULL REFERENCES tenants,
  brand     text   NOT NULL REFERENCES brands,
  modules   text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant_id, brand)
);

CREATE TABLE invitations (
  tenant_id   uuid        NOT NULL REFERENCES tenants,
  id          uuid        NOT NULL DEFAULT hub_uuid_v7(),
  email_norm  text        NOT NULL,
  role        text        NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  brands      text[]      NOT NULL DEFAULT '{}',
  permissions text[]      NOT NULL DEFAULT '{}',
  token_hash  bytea       NOT NULL UNIQUE,
  invited_by  uuid        NOT NULL REFERENCES users,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by uuid REFERENCES users,
  revoked_at  timestamptz,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE tenant_features (
  tenant_id uuid    NOT NULL REFERENCES tenants,
  flag      text    NOT NULL CHECK (flag ~ '^[a-z][a-z0-9_.]{1,63}$'),
  enabled   boolean NOT NULL,
  PRIMARY KEY (tenant_id, flag)
);

CREATE TABLE audit_events (
  tenant_id  uuid        NOT NULL REFERENCES tenants,
  id         bigint      GENERATED ALWAYS AS IDENTITY,
  actor_id   uuid,
  action     text        NOT NULL,
  target     text        NOT NULL DEFAULT '',
  ip         text        NOT NULL DEFAULT '',
  detail     jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

-- Account-level events (sign-up, logins, MFA and password changes) belong to the user, not a
-- tenant; a user sees their own.
CREATE TABLE account_events (
  id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    uuid,                          -- NULL for a failed login on an unknown email
  action     text        NOT NULL,
  ip         text        NOT NULL DEFAULT '',
  detail     jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_events_user ON account_events (user_id, id);

-- ---------------------------------------------------------------- row-level security

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
-- The current tenant, and (read-only) every tenant the signed-in user belongs to.
CREATE POLICY tenants_current ON tenants
  USING (id = hub_current_tenant()) WITH CHECK (id = hub_current_tenant());
CREATE POLICY tenants_mine ON tenants FOR SELECT
  USING (id IN (SELECT m.tenant_id FROM members m WHERE m.user_id = hub_current_user()));

ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE members FORCE ROW LEVEL SECURITY;
CREATE POLICY members_tenant ON members
  USING (tenant_id = hub_current_tenant()) WITH CHECK (tenant_id = hub_current_tenant());
CREATE POLICY members_mine ON members FOR SELECT
  USING (user_id = hub_current_user());

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['entitlements', 'invitations', 'tenant_features', 'audit_events'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (tenant_id = hub_current_tenant()) '
                   'WITH CHECK (tenant_id = hub_current_tenant())', t || '_tenant', t);
  END LOOP;
END $$;
-- A signed-in user reads the entitlements of the tenants they belong to (their access matrix).
CREATE POLICY entitlements_mine ON entitlements FOR SELECT
  USING (tenant_id IN (SELECT m.tenant_id FROM members m WHERE m.user_id = hub_current_user()));
