/* The schema keeps Citus's rule for a database distributed by tenant: every tenant-owned table
 * (a table with tenant_id, unless its comment marks it "global:") has a primary key, and its
 * primary key, unique constraints and unique indexes include tenant_id, its foreign keys to
 * other tenant-owned tables carry tenant_id on both sides in the same place, and no global
 * table points into a tenant-owned one. Read from the catalog of a freshly migrated database,
 * so a new migration that breaks the rule fails here; a table made to break it proves the
 * check can fail. docs/scaling.md lists every table's distribution and must agree. */
#include <libpq-fe.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db/migrate.h"
#include "support/pgtest.h"

/* (problem, where) for every breach of the rule. */
static const char violations_sql[] =
    "WITH owned AS ( "
    "  SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "  WHERE n.nspname = 'public' AND c.relkind IN ('r','p') AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE 'global:%'), "
    "tid AS (SELECT o.oid, a.attnum FROM owned o JOIN pg_attribute a ON a.attrelid = o.oid AND a.attname = 'tenant_id') "
    "SELECT 'no pk', o.relname::text FROM owned o WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = o.oid AND k.contype = 'p') "
    "UNION ALL "
    "SELECT k.contype::text || ' without tenant_id', o.relname || ' ' || k.conname FROM owned o JOIN tid t ON t.oid = o.oid JOIN pg_constraint k ON k.conrelid = o.oid AND k.contype IN ('p','u') "
    " WHERE NOT (t.attnum = ANY (k.conkey)) "
    "UNION ALL "
    "SELECT 'unique index without tenant_id', o.relname || ' ' || i.indexrelid::regclass::text FROM owned o JOIN tid t ON t.oid = o.oid JOIN pg_index i ON i.indrelid = o.oid AND i.indisunique "
    " WHERE NOT (t.attnum = ANY (i.indkey::int2[])) "
    "UNION ALL "
    "SELECT 'fk to tenant table without tenant_id', o.relname || ' ' || k.conname FROM owned o JOIN tid t ON t.oid = o.oid JOIN pg_constraint k ON k.conrelid = o.oid AND k.contype = 'f' "
    " JOIN owned r ON r.oid = k.confrelid JOIN tid rt ON rt.oid = r.oid "
    " WHERE NOT (t.attnum = ANY (k.conkey)) OR NOT (rt.attnum = ANY (k.confkey)) "
    "   OR array_position(k.conkey, t.attnum) IS DISTINCT FROM array_position(k.confkey, rt.attnum) "
    "UNION ALL "
    "SELECT 'global table references tenant table', g.relname || ' ' || k.conname FROM pg_class g JOIN pg_namespace n ON n.oid = g.relnamespace AND n.nspname = 'public' "
    " JOIN pg_constraint k ON k.conrelid = g.oid AND k.contype = 'f' JOIN owned r ON r.oid = k.confrelid "
    " WHERE g.relkind IN ('r','p') AND g.oid NOT IN (SELECT oid FROM owned) ";

/* Every table and how it is distributed, as docs/scaling.md writes it. */
static const char tables_sql[] =
    "SELECT '| `' || c.relname || '` | ' || CASE WHEN EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid "
    "  AND a.attname = 'tenant_id' AND NOT a.attisdropped) AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE 'global:%' "
    "  THEN 'distributed by `tenant_id`' ELSE 'reference' END || ' |' "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
    "ORDER BY c.relname";

static char *owner_url;

static int setup(void **state) {
  (void)state;
  owner_url = hub_pgtest_create_db("dist");
  hub_arena *a = hub_arena_new(0);
  int applied = 0;
  hub_status st = hub_migrate(owner_url, NULL, a, &applied);
  if (!hub_ok(st)) fprintf(stderr, "migrate: %s\n", st.message);
  hub_arena_free(a);
  return hub_ok(st) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  free(owner_url);
  return 0;
}

static PGresult *run(PGconn *c, const char *sql) {
  PGresult *r = PQexec(c, sql);
  if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
    fail_msg("%s: %s", sql, PQerrorMessage(c));
  return r;
}

static void test_every_key_carries_tenant_id(void **state) {
  (void)state;
  PGconn *c = PQconnectdb(owner_url);
  assert_int_equal(PQstatus(c), CONNECTION_OK);
  PGresult *r = run(c, violations_sql);
  for (int i = 0; i < PQntuples(r); i++) fprintf(stderr, "distribution: %s: %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
  assert_int_equal(PQntuples(r), 0);
  PQclear(r);

  /* A tenant table breaking every part of the rule, and a global table pointing into it: each found. */
  PQclear(run(c, "BEGIN"));
  PQclear(run(c, "CREATE TABLE dist_bad (tenant_id uuid NOT NULL, id uuid PRIMARY KEY, code text UNIQUE)"));
  PQclear(run(c, "CREATE TABLE dist_global (id uuid PRIMARY KEY, bad_id uuid REFERENCES dist_bad (id))"));
  r = run(c, violations_sql);
  int found = PQntuples(r);
  for (int i = 0; i < found; i++) fprintf(stderr, "  (made to fail) %s: %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
  PQclear(r);
  PQclear(run(c, "ROLLBACK"));
  assert_true(found >= 5); /* the primary key and the unique constraint, their two indexes, the global table's reference */
  PQfinish(c);
}

static void test_scaling_doc_lists_every_table(void **state) {
  (void)state;
  FILE *f = fopen(HUB_SCALING_DOC, "r");
  assert_non_null(f);
  static char doc[200000];
  size_t n = fread(doc, 1, sizeof doc - 1, f);
  fclose(f);
  doc[n] = 0;
  const char *begin = strstr(doc, "<!-- distribution: begin -->"), *end = strstr(doc, "<!-- distribution: end -->");
  assert_non_null(begin);
  assert_non_null(end);
  PGconn *c = PQconnectdb(owner_url);
  PGresult *r = run(c, tables_sql);
  int missing = 0;
  for (int i = 0; i < PQntuples(r); i++) {
    const char *line = PQgetvalue(r, i, 0), *at = strstr(begin, line);
    if (!at || at > end) fprintf(stderr, "docs/scaling.md lacks the line: %s\n", line), missing++;
  }
  /* And nothing more: as many table rows as tables. */
  int rows = 0, tables = PQntuples(r);
  for (const char *p = begin; (p = strstr(p, "\n| `")) && p < end; p++) rows++;
  if (rows != tables) fprintf(stderr, "docs/scaling.md lists %d tables; the schema has %d\n", rows, tables);
  PQclear(r);
  PQfinish(c);
  assert_int_equal(missing, 0);
  assert_int_equal(rows, tables);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_key_carries_tenant_id),
      cmocka_unit_test(test_scaling_doc_lists_every_table),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
