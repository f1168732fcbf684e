/* Migrations against a real PostgreSQL: all applied once and recorded with checksums,
 * idempotent, safe when two servers migrate at the same moment, refused loudly when an
 * applied file changed or the database is ahead of the build, and all-or-nothing per file.
 * Also hubd's own command line: `hubd migrate` and the exit code of a bad setting, and the
 * `modules` table rewritten from the contract's enum on every run, and every permission the
 * contract declares granted by some role. */
#include <libpq-fe.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "db/migrate.h"
#include "hub/api/v1/module.pb-c.h"
#include "hub/enum_text.h"
#include "hub/method.h"
#include "identity/acl.h"
#include "support/pgtest.h"

static char *scalar(const char *url, const char *sql) {
  PGconn *c = PQconnectdb(url);
  PGresult *r = PQexec(c, sql);
  char *out = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) ? strdup(PQgetvalue(r, 0, 0)) : NULL;
  PQclear(r);
  PQfinish(c);
  return out;
}

static int count_rows(const char *url, const char *sql) {
  char *v = scalar(url, sql);
  int n = v ? atoi(v) : -1;
  free(v);
  return n;
}

static void test_apply_once_then_idempotent(void **state) {
  (void)state;
  char *owner = hub_pgtest_create_db("mig");
  hub_arena *a = hub_arena_new(0);
  int applied = -1;
  hub_status st = hub_migrate(owner, NULL, a, &applied);
  if (!hub_ok(st)) fail_msg("migrate: %s", st.message);
  assert_int_equal(applied, (int)hub_embedded_migrations_count);
  assert_int_equal(count_rows(owner, "SELECT count(*) FROM schema_migrations"), (int)hub_embedded_migrations_count);
  char expect[65];
  hub_migration_checksum(hub_embedded_migrations[0].text, hub_embedded_migrations[0].len, expect);
  char *recorded = scalar(owner, "SELECT checksum FROM schema_migrations WHERE version = 1");
  assert_string_equal(recorded, expect);
  free(recorded);
  /* Again: nothing to do. */
  st = hub_migrate(owner, NULL, a, &applied);
  assert_true(hub_ok(st));
  assert_int_equal(applied, 0);
  /* The server's role reads and writes rows but cannot change the schema. */
  char *app = hub_pgtest_url(owner, "hubd");
  PGconn *c = PQconnectdb(app);
  PGresult *r = PQexec(c, "CREATE TABLE sneaky (x int)");
  assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
  assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
  PQclear(r);
  r = PQexec(c, "SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user");
  assert_string_equal(PQgetvalue(r, 0, 0), "f");
  PQclear(r);
  PQfinish(c);
  free(app);
  hub_arena_free(a);
  hub_pgtest_drop_db(owner);
  free(owner);
}

typedef struct racer {
  const char *url;
  hub_status st;
  int applied;
  pthread_barrier_t *go;
} racer;

static void *race(void *arg) {
  racer *r = arg;
  hub_arena *a = hub_arena_new(0);
  pthread_barrier_wait(r->go);
  r->st = hub_migrate(r->url, NULL, a, &r->applied);
  if (r->st.message) r->st.message = strdup(r->st.message);
  hub_arena_free(a);
  return NULL;
}

static void test_two_servers_at_once(void **state) {
  (void)state;
  char *owner = hub_pgtest_create_db("race");
  pthread_barrier_t go;
  pthread_barrier_init(&go, NULL, 2);
  racer r[2] = {{owner, HUB_STATUS_OK, -1, &go}, {owner, HUB_STATUS_OK, -1, &go}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, race, &r[i]);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < 2; i++)
    if (!hub_ok(r[i].st)) fail_msg("racer %d: %s", i, r[i].st.message);
  /* Exactly one of them did the work; each version is recorded once. */
  assert_int_equal(r[0].applied + r[1].applied, (int)hub_embedded_migrations_count);
  assert_int_equal(count_rows(owner, "SELECT count(*) FROM schema_migrations"), (int)hub_embedded_migrations_count);
  char *same = scalar(owner, "SELECT count(DISTINCT version) = count(*) FROM schema_migrations");
  assert_string_equal(same, "t");
  free(same);
  pthread_barrier_destroy(&go);
  hub_pgtest_drop_db(owner);
  free(owner);
}

/* Writes the embedded migrations to a fresh directory, optionally editing one. */
static char *write_dir(int edit_version, const char *extra_name, const char *extra_text) {
  char tmpl[] = "/tmp/hub-migrations-XXXXXX";
  char *dir = strdup(mkdtemp(tmpl));
  for (size_t i = 0; i < hub_embedded_migrations_count; i++) {
    const hub_migration *m = &hub_embedded_migrations[i];
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, m->name);
    FILE *f = fopen(path, "w");
    fwrite(m->text, 1, m->len, f);
    if (m->version == edit_version) fputs("\n-- a harmless-looking edit\n", f);
    fclose(f);
  }
  if (extra_name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, extra_name);
    FILE *f = fopen(path, "w");
    fputs(extra_text, f);
    fclose(f);
  }
  return dir;
}

static void remove_dir(char *dir) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  free(dir);
}

static void test_refusals(void **state) {
  (void)state;
  char *owner = hub_pgtest_create_db("refuse");
  hub_arena *a = hub_arena_new(0);
  assert_true(hub_ok(hub_migrate(owner, NULL, a, NULL)));

  /* An applied file was edited. */
  char *dir = write_dir(1, NULL, NULL);
  hub_status st = hub_migrate(owner, dir, a, NULL);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "0001_foundation.sql"));
  assert_non_null(strstr(st.message, "must never change"));
  remove_dir(dir);

  /* A gap in the files. */
  char name[64];
  snprintf(name, sizeof name, "%04d_after_a_gap.sql", (int)hub_embedded_migrations_count + 2);
  dir = write_dir(0, name, "SELECT 1;");
  st = hub_migrate(owner, dir, a, NULL);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "is missing"));
  remove_dir(dir);

  /* A badly named file. */
  dir = write_dir(0, "9_oops.sql", "SELECT 1;");
  st = hub_migrate(owner, dir, a, NULL);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "9_oops.sql"));
  remove_dir(dir);

  /* A broken new migration leaves nothing behind. */
  snprintf(name, sizeof name, "%04d_broken.sql", (int)hub_embedded_migrations_count + 1);
  dir = write_dir(0, name, "CREATE TABLE half_done (x int);\nTHIS IS NOT SQL;\n");
  st = hub_migrate(owner, dir, a, NULL);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, name));
  assert_int_equal(count_rows(owner, "SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'"), 0);
  assert_int_equal(count_rows(owner, "SELECT count(*) FROM schema_migrations"), (int)hub_embedded_migrations_count);
  remove_dir(dir);

  /* The database is ahead of this build. */
  assert_int_equal(hub_pgtest_admin_exec(owner, "INSERT INTO schema_migrations (version, name, checksum) "
                                                "VALUES (999, '0999_future.sql', 'x')"),
                   0);
  st = hub_migrate(owner, NULL, a, NULL);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "0999"));
  hub_arena_free(a);
  hub_pgtest_drop_db(owner);
  free(owner);
}

/* hubd's command line: `hubd migrate` migrates and is idempotent; a bad setting is exit 2
 * with one line naming it. */
static void test_hubd_command_line(void **state) {
  (void)state;
  const char *hubd = getenv("HUBD_BIN");
  if (!hubd) fail_msg("HUBD_BIN is not set (run through ctest)");
  char *owner = hub_pgtest_create_db("cli");
  char *app = hub_pgtest_url(owner, "hubd");
  char cmd[2048];
  for (int run = 0; run < 2; run++) {
    snprintf(cmd, sizeof cmd, "HUB_DATABASE_URL='%s' HUB_MIGRATE_DATABASE_URL='%s' '%s' migrate 2>&1", app, owner, hubd);
    FILE *p = popen(cmd, "r");
    char out[4096] = "";
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    char expect[64];
    snprintf(expect, sizeof expect, "%zu applied", run == 0 ? hub_embedded_migrations_count : (size_t)0);
    if (!strstr(out, expect)) fail_msg("hubd migrate said: %s", out);
  }
  snprintf(cmd, sizeof cmd, "HUB_WORKERS=abc '%s' 2>&1", hubd);
  FILE *p = popen(cmd, "r");
  char out[1024] = "";
  size_t n = fread(out, 1, sizeof out - 1, p);
  out[n] = '\0';
  int status = pclose(p);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 2);
  assert_non_null(strstr(out, "HUB_WORKERS"));
  assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1); /* exactly one line */
  hub_pgtest_drop_db(owner);
  free(owner);
  free(app);
}

/* The module list is the enum hub.api.v1.Module: after a run the `modules` table holds exactly
 * its values (a stale row is removed, a missing one added, on every run), and a brand or an
 * entitlement naming anything else is refused by PostgreSQL itself. */
static void test_modules_follow_the_enum(void **state) {
  (void)state;
  char *owner = hub_pgtest_create_db("mods");
  hub_arena *a = hub_arena_new(0);
  hub_status st = hub_migrate(owner, NULL, a, NULL);
  if (!hub_ok(st)) fail_msg("migrate: %s", st.message);
  const ProtobufCEnumDescriptor *d = &hub__api__v1__module__descriptor;
  int n = 0;
  for (unsigned i = 0; i < d->n_values; i++)
    if (d->values[i].value != 0) n++;
  assert_true(n >= 5);
  assert_int_equal(count_rows(owner, "SELECT count(*) FROM modules"), n);
  for (unsigned i = 0; i < d->n_values; i++) {
    if (d->values[i].value == 0) continue;
    const char *text = hub_enum_to_text(a, d, d->values[i].value);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM modules WHERE name = '%s'", text);
    assert_int_equal(count_rows(owner, sql), 1);
  }
  /* A row the enum does not have goes, one it has comes back. */
  PGconn *c = PQconnectdb(owner);
  PQclear(PQexec(c, "DELETE FROM modules WHERE name = 'crm'; INSERT INTO modules VALUES ('stale')"));
  assert_true(hub_ok(hub_migrate(owner, NULL, a, NULL)));
  assert_int_equal(count_rows(owner, "SELECT count(*) FROM modules WHERE name IN ('crm', 'stale')"), 1);
  assert_int_equal(count_rows(owner, "SELECT count(*) FROM modules WHERE name = 'crm'"), 1);
  /* The database refuses what is not a module. */
  PGresult *r = PQexec(c, "UPDATE brands SET modules = '{ticket,payroll}' WHERE id = 'smb_hub'");
  assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
  assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23514");
  PQclear(r);
  r = PQexec(c, "UPDATE brands SET modules = '{ticket,crm}' WHERE id = 'smb_hub'");
  assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
  PQclear(r);
  PQfinish(c);
  hub_arena_free(a);
  hub_pgtest_drop_db(owner);
  free(owner);
}

/* Every permission an RPC declares in the contract is granted by some role of a migrated
 * database (role_permissions): a permission nobody holds is an RPC nobody can call. */
static void test_every_declared_permission_is_granted(void **state) {
  (void)state;
  char *owner = hub_pgtest_create_db("perms");
  hub_arena *a = hub_arena_new(0);
  hub_status st = hub_migrate(owner, NULL, a, NULL);
  if (!hub_ok(st)) fail_msg("migrate: %s", st.message);
  PGconn *c = PQconnectdb(owner);
  PGresult *r = PQexec(c, "SELECT permission FROM role_permissions");
  assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
  size_t checked = 0;
  for (size_t m = 0; m < hub_all_methods_count; m++) {
    const char *perm = hub_all_methods[m]->access.permission;
    if (!perm) continue;
    bool granted = false;
    for (int i = 0; i < PQntuples(r) && !granted; i++) granted = hub_acl_pattern_matches(PQgetvalue(r, i, 0), perm);
    if (!granted) fail_msg("%s declares %s, which no role grants", hub_all_methods[m]->path, perm);
    checked++;
  }
  assert_true(checked > 10);
  PQclear(r);
  PQfinish(c);
  hub_arena_free(a);
  hub_pgtest_drop_db(owner);
  free(owner);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_apply_once_then_idempotent),
      cmocka_unit_test(test_two_servers_at_once),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_hubd_command_line),
      cmocka_unit_test(test_modules_follow_the_enum),
      cmocka_unit_test(test_every_declared_permission_is_granted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
