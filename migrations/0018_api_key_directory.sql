-- Citus's rule for distributing by tenant: every primary key, unique constraint and foreign key
-- of a tenant-owned table includes tenant_id (test_distribution reads the catalog for it). Two
-- did not:
--   * invitations.token_hash was unique on its own; it is looked up with its tenant anyway, so
--     unique per tenant is the rule that matters (the hash is of 256 random bits).
--   * api_keys.prefix was unique on its own because a key is looked up by its prefix before
--     the tenant is known. The prefix (8 characters) is short enough that two tenants' keys
--     could collide at scale, so uniqueness stays global, held by a directory: a global table
--     (a reference table under Citus) from prefix to tenant, written by a trigger in the key's
--     own transaction. A lookup reads the directory, then the tenant's key.
ALTER TABLE invitations DROP CONSTRAINT invitations_token_hash_key,
  ADD CONSTRAINT invitations_tenant_token UNIQUE (tenant_id, token_hash);

CREATE TABLE api_key_directory (
  prefix    text NOT NULL PRIMARY KEY CHECK (prefix ~ '^[a-z0-9]{8}$'),
  tenant_id uuid NOT NULL REFERENCES tenants
);
INSERT INTO api_key_directory (prefix, tenant_id) SELECT prefix, tenant_id FROM api_keys;
ALTER TABLE api_keys DROP CONSTRAINT api_keys_prefix_key,
  ADD CONSTRAINT api_keys_tenant_prefix UNIQUE (tenant_id, prefix);

-- As the owner: the server's role cannot write the directory, only a key's insert does.
CREATE FUNCTION api_key_directory_add() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public AS $$
BEGIN
  INSERT INTO api_key_directory (prefix, tenant_id) VALUES (NEW.prefix, NEW.tenant_id);
  RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION api_key_directory_add() FROM PUBLIC;
CREATE TRIGGER api_keys_directory BEFORE INSERT ON api_keys
  FOR EACH ROW EXECUTE FUNCTION api_key_directory_add();

-- Read as api_keys is before the tenant is known: the one row whose prefix the transaction set.
-- Forced, so the owner is held too; it may add rows (the trigger), which the server's role,
-- without the grant, cannot.
ALTER TABLE api_key_directory ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY api_key_directory_by_prefix ON api_key_directory FOR SELECT
  USING (prefix = NULLIF(current_setting('hub.api_key_prefix', true), ''));
CREATE POLICY api_key_directory_add ON api_key_directory FOR INSERT WITH CHECK (true);
REVOKE INSERT, UPDATE, DELETE ON api_key_directory FROM hub_app;
GRANT SELECT ON api_key_directory TO hub_app;
-- It names a tenant but belongs to none: global, replicated under Citus (test_distribution
-- reads this marker; every other table with tenant_id is distributed by it).
COMMENT ON TABLE api_key_directory IS 'global: prefix -> tenant of every tenant API key';
