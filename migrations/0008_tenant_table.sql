-- One way to make a table tenant-owned: the row-level security every tenant table of
-- 0001-0007 spells out by hand (enabled and forced, so the owner obeys it too; one policy
-- "<table>_tenant" holding reads and writes to hub.tenant_id; the application role's
-- row privileges). A new tenant table from here on is
--
--   CREATE TABLE things (tenant_id uuid NOT NULL REFERENCES tenants, ...);
--   CALL hub_tenant_table('things');
--
-- Extra policies (a sweeper's scope, a "mine" read) are still added beside it by hand.

CREATE PROCEDURE hub_tenant_table(t regclass)
  LANGUAGE plpgsql AS $$
DECLARE
  col_type text;
BEGIN
  SELECT format_type(a.atttypid, a.atttypmod) INTO col_type
    FROM pg_attribute a WHERE a.attrelid = t AND a.attname = 'tenant_id' AND NOT a.attisdropped;
  IF col_type IS DISTINCT FROM 'uuid' THEN
    RAISE EXCEPTION 'hub_tenant_table(%): a tenant table needs a column tenant_id uuid', t
      USING ERRCODE = 'invalid_table_definition';
  END IF;
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
  EXECUTE format('CREATE POLICY %I ON %s USING (tenant_id = hub_current_tenant()) '
                 'WITH CHECK (tenant_id = hub_current_tenant())',
                 (SELECT c.relname FROM pg_class c WHERE c.oid = t) || '_tenant', t);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO hub_app', t);
END $$;
-- Only migrations (the schema owner) make tables.
REVOKE EXECUTE ON PROCEDURE hub_tenant_table(regclass) FROM PUBLIC;
