-- The business modules as a reference table, so that brands.modules and entitlements.modules
-- can only name a module the contract declares. The rows are NOT written here: the list is the
-- enum hub.api.v1.Module (proto/hub/api/v1/module.proto), and hub_migrate rewrites this table
-- from the enum's descriptor after every run (server/db/reference.c). A module added to the
-- enum is therefore in the database at the next start, and SQL holds no list that could drift.
--
-- Global (no tenant): no row-level security. The server's role only reads it.

CREATE TABLE modules (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z_]*$')
);
REVOKE INSERT, UPDATE, DELETE ON modules FROM hub_app;

-- Array elements cannot carry a foreign key; a trigger checks them against the table instead.
CREATE FUNCTION hub_check_modules() RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE
  unknown text;
BEGIN
  SELECT m INTO unknown FROM unnest(NEW.modules) AS m WHERE m NOT IN (SELECT name FROM modules) LIMIT 1;
  IF unknown IS NOT NULL THEN
    RAISE EXCEPTION 'modules: "%" is not a module', unknown USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER brands_modules BEFORE INSERT OR UPDATE OF modules ON brands
  FOR EACH ROW EXECUTE FUNCTION hub_check_modules();
CREATE TRIGGER entitlements_modules BEFORE INSERT OR UPDATE OF modules ON entitlements
  FOR EACH ROW EXECUTE FUNCTION hub_check_modules();
