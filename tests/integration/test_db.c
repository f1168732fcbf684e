/* The PostgreSQL layer as the server uses it: role hubd on a migrated database, through
 * hub_pg only. Transactions commit and roll back; row-level security isolates tenants
 * (and a query with no tenant sees nothing), also on a table made tenant-owned by the one
 * migration helper (hub_tenant_table); SQLSTATEs map to canonical codes; the
 * deadline becomes statement_timeout; deadlocks and serialization failures are retried; a
 * connection killed mid-transaction never autocommits half of it; a killed connection is
 * re-established with its statements prepared again. A transaction sent in one flush (no
 * BEGIN/COMMIT: the pipeline's implicit transaction) commits at the Sync, rolls back on a
 * failure, including one found only at commit, and leaves no setting behind. Rows decode
 * by column name, with the plans kept per thread telling results of different columns apart. */
#include <libpq-fe.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "db/migrate.h"
#include "db/pg.h"
#include "db/tx.h"
#include "hub/auth/v1/auth.pb-c.h"
#include "support/pgtest.h"
#include "support/procs.h"

#define TENANT_A "00000000-0000-7000-8000-00000000000a"
#define TENANT_B "00000000-0000-7000-8000-00000000000b"

static char *owner_url, *app_url;

static int setup(void **state) {
  (void)state;
  owner_url = hub_pgtest_create_db("db");
  app_url = hub_pgtest_url(owner_url, "hubd");
  hub_arena *a = hub_arena_new(0);
  hub_status st = hub_migrate(owner_url, NULL, a, NULL);
  hub_arena_free(a);
  if (!hub_ok(st)) return -1;
  /* A table for the mapping tests, created by the owner so hub_app's default privileges apply. */
  PGconn *c = PQconnectdb(owner_url);
  PGresult *r = PQexec(c, "CREATE TABLE pairs (k text PRIMARY KEY, v int NOT NULL CHECK (v >= 0));"
                          "INSERT INTO pairs VALUES ('left', 0), ('right', 0), ('sl', 0), ('sr', 0);"
                          "CREATE TABLE notes (tenant_id uuid NOT NULL, body text NOT NULL);"
                          "CALL hub_tenant_table('notes');"
                          "CREATE TABLE deferred (k int, CONSTRAINT deferred_k UNIQUE (k) DEFERRABLE INITIALLY DEFERRED);");
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  PQfinish(c);
  return ok ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  hub_pgtest_drop_db(owner_url);
  free(owner_url);
  free(app_url);
  return 0;
}

static const hub_pg_stmt insert_outbox = {"t_insert_outbox", "INSERT INTO outbox (tenant_id, topic) VALUES ($1, $2)", 2};
static const hub_pg_stmt count_outbox = {"t_count_outbox", "SELECT count(*) AS _n FROM outbox WHERE topic = $1", 1};
static const hub_pg_stmt insert_pair = {"t_insert_pair", "INSERT INTO pairs (k, v) VALUES ($1, $2)", 2};
static const hub_pg_stmt sleep_stmt = {"t_sleep", "SELECT pg_sleep($1::float8)", 1};
static const hub_pg_stmt bump = {"t_bump", "UPDATE pairs SET v = v + 1 WHERE k = $1", 1};
static const hub_pg_stmt sum_skew = {"t_sum_skew", "SELECT sum(v) AS _sum FROM pairs WHERE k IN ('sl', 'sr')", 0};
static const hub_pg_stmt my_pid = {"t_my_pid", "SELECT pg_backend_pid() AS _pid", 0};

typedef struct outbox_job {
  const char *tenant; /* row's tenant */
  const char *topic;
  bool fail_after;    /* return an error after inserting */
} outbox_job;

static hub_status do_insert(hub_tx *tx, void *ud) {
  outbox_job *j = ud;
  const char *p[2] = {j->tenant, j->topic};
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &insert_outbox, p, &r);
  if (hub_ok(st) && j->fail_after) return hub_status_new(hub_tx_arena(tx), HUB_FAILED_PRECONDITION, "changed my mind");
  return st;
}

typedef struct counter {
  const char *topic;
  long n;
} counter;

static hub_status do_count(hub_tx *tx, void *ud) {
  counter *c = ud;
  hub_rows *r;
  const char *p[1] = {c->topic};
  hub_status st = hub_tx_query(tx, &count_outbox, p, &r);
  if (hub_ok(st)) c->n = hub_rows_int(r, 0, "_n");
  return st;
}

/* One statement in a transaction of its own (no tenant when `tenant` is NULL); its rows. */
typedef struct one_stmt {
  const hub_pg_stmt *stmt;
  const char *const *params;
  hub_rows *rows;
} one_stmt;

static hub_status do_one(hub_tx *tx, void *ud) {
  one_stmt *o = ud;
  o->rows = hub_tx_exec(tx, o->stmt, o->params);
  return HUB_STATUS_OK;
}

static hub_status run_one(hub_pg *pg, hub_arena *a, const char *tenant, const hub_pg_stmt *stmt,
                          const char *const *params, hub_rows **rows) {
  one_stmt o = {stmt, params, NULL};
  hub_status st = hub_tx_run(pg, a, tenant, NULL, 5000, do_one, &o);
  *rows = o.rows;
  return st;
}

static long count_as(hub_pg *pg, const char *tenant, const char *topic) {
  hub_arena *a = hub_arena_new(0);
  counter c = {topic, -1};
  hub_status st = hub_tx_run(pg, a, tenant, NULL, 5000, do_count, &c);
  if (!hub_ok(st)) fail_msg("count: %s", st.message);
  hub_arena_free(a);
  return c.n;
}

static void test_commit_and_rollback(void **state) {
  (void)state;
  hub_pg *pg = hub_pg_new(app_url, 5000);
  hub_arena *a = hub_arena_new(0);
  outbox_job keep = {TENANT_A, "kept", false}, drop = {TENANT_A, "dropped", true};
  assert_true(hub_ok(hub_tx_run(pg, a, TENANT_A, NULL, 5000, do_insert, &keep)));
  assert_int_equal(hub_tx_run(pg, a, TENANT_A, NULL, 5000, do_insert, &drop).code, HUB_FAILED_PRECONDITION);
  assert_int_equal(count_as(pg, TENANT_A, "kept"), 1);
  assert_int_equal(count_as(pg, TENANT_A, "dropped"), 0);
  hub_arena_free(a);
  hub_pg_free(pg);
}

static void test_row_level_security(void **state) {
  (void)state;
  hub_pg *pg = hub_pg_new(app_url, 5000);
  hub_arena *a = hub_arena_new(0);
  outbox_job mine = {TENANT_A, "rls", false};
  assert_true(hub_ok(hub_tx_run(pg, a, TENANT_A, NULL, 5000, do_insert, &mine)));
  assert_int_equal(count_as(pg, TENANT_A, "rls"), 1);
  assert_int_equal(count_as(pg, TENANT_B, "rls"), 0); /* another tenant sees nothing */
  assert_int_equal(count_as(pg, NULL, "rls"), 0);     /* no tenant: no rows at all */
  /* A transaction that names no tenant sees none of the rows either. */
  hub_rows *r;
  const char *p[1] = {"rls"};
  assert_true(hub_ok(run_one(pg, a, NULL, &count_outbox, p, &r)));
  assert_int_equal(hub_rows_int(r, 0, "_n"), 0);
  /* Writing a row for B while A is set violates the policy's WITH CHECK. */
  outbox_job theirs = {TENANT_B, "rls", false};
  assert_int_equal(hub_tx_run(pg, a, TENANT_A, NULL, 5000, do_insert, &theirs).code, HUB_PERMISSION_DENIED);
  assert_int_equal(count_as(pg, TENANT_B, "rls"), 0);
  hub_arena_free(a);
  hub_pg_free(pg);
}

static const hub_pg_stmt insert_note = {"t_insert_note", "INSERT INTO notes (tenant_id, body) VALUES ($1, $2)", 2};
static const hub_pg_stmt count_notes = {"t_count_notes", "SELECT count(*) AS _n FROM notes", 0};

static hub_status do_note(hub_tx *tx, void *ud) {
  const char *const *p = ud;
  hub_tx_exec(tx, &insert_note, p);
  return HUB_STATUS_OK;
}

static hub_status do_count_notes(hub_tx *tx, void *ud) {
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &count_notes, NULL, &r);
  if (hub_ok(st)) *(int64_t *)ud = hub_rows_int(r, 0, "_n");
  return st;
}

static int64_t notes_as(hub_pg *pg, hub_arena *a, const char *tenant) {
  int64_t n = -1;
  hub_status st = hub_tx_run(pg, a, tenant, NULL, 5000, do_count_notes, &n);
  if (!hub_ok(st)) fail_msg("count notes: %s", st.message);
  return n;
}

static const hub_pg_stmt insert_deferred = {"t_insert_deferred", "INSERT INTO deferred (k) VALUES ($1::int)", 1};
static const hub_pg_stmt count_deferred = {"t_count_deferred", "SELECT count(*)::text AS _v FROM deferred", 0};
static const hub_pg_stmt tenant_setting = {"t_tenant_setting", "SELECT coalesce(current_setting('hub.tenant_id', true), '') AS _v", 0};

static hub_status do_deferred(hub_tx *tx, void *ud) {
  const char *const *keys = ud;
  for (; *keys; keys++) hub_tx_exec(tx, &insert_deferred, (const char *const[]){*keys});
  return HUB_STATUS_OK;
}

/* The column _v of a one-row statement run in a transaction of its own, with no tenant. */
static const char *one_value(hub_pg *pg, hub_arena *a, const hub_pg_stmt *stmt) {
  hub_rows *r;
  hub_status st = run_one(pg, a, NULL, stmt, NULL, &r);
  if (!hub_ok(st)) fail_msg("%s: %s", stmt->name, st.message);
  return hub_rows_text(r, 0, "_v");
}

static void test_one_flush_transaction(void **state) {
  (void)state;
  hub_pg *pg = hub_pg_new(app_url, 5000);
  hub_arena *a = hub_arena_new(0);
  /* Committed by the Sync. */
  assert_true(hub_ok(hub_tx_run(pg, a, TENANT_A, NULL, 5000, do_deferred, (const char *[]){"1", "2", NULL})));
  assert_string_equal(one_value(pg, a, &count_deferred), "2");
  /* A failure found only at commit (a deferred unique check) rolls the whole of it back. */
  hub_status st = hub_tx_run(pg, a, TENANT_A, NULL, 5000, do_deferred, (const char *[]){"3", "3", NULL});
  assert_int_equal(st.code, HUB_ALREADY_EXISTS);
  /* So does one found at a statement, and the statements after it never run. */
  st = hub_tx_run(pg, a, TENANT_A, NULL, 5000, do_deferred, (const char *[]){"4", "x", "5", NULL});
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(one_value(pg, a, &count_deferred), "2");
  /* The transaction's settings ended with it. */
  assert_string_equal(one_value(pg, a, &tenant_setting), "");
  hub_arena_free(a);
  hub_pg_free(pg);
}

static const hub_pg_stmt session_a = {
    "t_session_a", "SELECT 's1' AS id, 'exakeep' AS brand, '2026-12-02 10:23:44.5+00'::timestamptz AS created_at", 0};
static const hub_pg_stmt session_b = {"t_session_b", "SELECT 's2' AS id, '198.51.100.7' AS ip, true AS current", 0};

static hub_status do_sessions(hub_tx *tx, void *ud) {
  hub_rows **r = ud;
  r[0] = hub_tx_exec(tx, &session_a, NULL);
  r[1] = hub_tx_exec(tx, &session_b, NULL);
  return HUB_STATUS_OK;
}

static void test_decode_by_column_name(void **state) {
  (void)state;
  hub_pg *pg = hub_pg_new(app_url, 5000);
  hub_arena *a = hub_arena_new(0);
  for (int round = 0; round < 3; round++) { /* the first builds the plans, the others reuse them */
    hub_rows *r[2];
    assert_true(hub_ok(hub_tx_run(pg, a, NULL, NULL, 5000, do_sessions, r)));
    Hub__Auth__V1__Session *sa = (Hub__Auth__V1__Session *)hub_rows_message(r[0], 0, &hub__auth__v1__session__descriptor);
    Hub__Auth__V1__Session *sb = (Hub__Auth__V1__Session *)hub_rows_message(r[1], 0, &hub__auth__v1__session__descriptor);
    assert_string_equal(sa->id, "s1");
    assert_string_equal(sa->brand, "exakeep");
    assert_string_equal(sa->ip, "");
    assert_non_null(sa->created_at);
    assert_int_equal(sa->created_at->seconds, 1796207024);
    assert_int_equal(sa->created_at->nanos, 500000000);
    assert_false(sa->current);
    assert_string_equal(sb->id, "s2");
    assert_string_equal(sb->ip, "198.51.100.7");
    assert_string_equal(sb->brand, "");
    assert_null(sb->created_at);
    assert_true(sb->current);
  }
  hub_arena_free(a);
  hub_pg_free(pg);
}

/* A table made by CALL hub_tenant_table (migrations/0008) is isolated like every other
 * tenant table: each tenant sees only its rows, none without a tenant, and a row for a
 * foreign tenant is refused; the helper refuses a table that has no tenant_id uuid. */
static void test_tenant_table_helper(void **state) {
  (void)state;
  hub_pg *pg = hub_pg_new(app_url, 5000);
  hub_arena *a = hub_arena_new(0);
  const char *a1[] = {TENANT_A, "a's"}, *b1[] = {TENANT_B, "b's"};
  assert_true(hub_ok(hub_tx_run(pg, a, TENANT_A, NULL, 5000, do_note, (void *)a1)));
  assert_true(hub_ok(hub_tx_run(pg, a, TENANT_A, NULL, 5000, do_note, (void *)a1)));
  assert_true(hub_ok(hub_tx_run(pg, a, TENANT_B, NULL, 5000, do_note, (void *)b1)));
  assert_int_equal(notes_as(pg, a, TENANT_A), 2);
  assert_int_equal(notes_as(pg, a, TENANT_B), 1);
  assert_int_equal(notes_as(pg, a, NULL), 0);
  /* B's row while A is set: the policy's WITH CHECK refuses it. */
  assert_int_equal(hub_tx_run(pg, a, TENANT_A, NULL, 5000, do_note, (void *)b1).code, HUB_PERMISSION_DENIED);
  assert_int_equal(notes_as(pg, a, TENANT_B), 1);
  /* Even the owner obeys it (forced), and the helper refuses a table without tenant_id. */
  char *owner_sees = hub_pgtest_admin_query(owner_url, "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'notes'");
  assert_string_equal(owner_sees, "t");
  free(owner_sees);
  PGconn *c = PQconnectdb(owner_url);
  PGresult *r = PQexec(c, "CREATE TABLE loose (id int); CALL hub_tenant_table('loose')");
  assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
  assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42P16");
  PQclear(r);
  PQfinish(c);
  hub_arena_free(a);
  hub_pg_free(pg);
}

typedef struct pair_job {
  const char *k;
  const char *v;
} pair_job;

static hub_status do_pair(hub_tx *tx, void *ud) {
  pair_job *j = ud;
  const char *p[2] = {j->k, j->v};
  hub_tx_exec(tx, &insert_pair, p);
  return HUB_STATUS_OK;
}

static void test_sqlstate_mapping(void **state) {
  (void)state;
  hub_pg *pg = hub_pg_new(app_url, 5000);
  hub_arena *a = hub_arena_new(0);
  pair_job dup = {"left", "1"}, neg = {"negative", "-1"}, nan = {"nan", "not a number"};
  hub_status st = hub_tx_run(pg, a, NULL, NULL, 5000, do_pair, &dup);
  assert_int_equal(st.code, HUB_ALREADY_EXISTS);
  assert_null(strstr(st.message, "left")); /* values never reach the caller */
  assert_int_equal(hub_tx_run(pg, a, NULL, NULL, 5000, do_pair, &neg).code, HUB_FAILED_PRECONDITION);
  assert_int_equal(hub_tx_run(pg, a, NULL, NULL, 5000, do_pair, &nan).code, HUB_INVALID_ARGUMENT);
  struct { const char *state; hub_code code; } map[] = {
      {"23505", HUB_ALREADY_EXISTS}, {"23503", HUB_FAILED_PRECONDITION}, {"22P02", HUB_INVALID_ARGUMENT},
      {"40001", HUB_ABORTED},        {"40P01", HUB_ABORTED},             {"57014", HUB_DEADLINE_EXCEEDED},
      {"08006", HUB_UNAVAILABLE},    {"57P01", HUB_UNAVAILABLE},         {"42501", HUB_PERMISSION_DENIED},
      {"42P01", HUB_INTERNAL},       {NULL, HUB_INTERNAL},               {"bad", HUB_INTERNAL}};
  for (size_t i = 0; i < sizeof map / sizeof *map; i++) assert_int_equal(hub_pg_code_for_sqlstate(map[i].state), map[i].code);
  hub_arena_free(a);
  hub_pg_free(pg);
}

static hub_status do_sleep(hub_tx *tx, void *ud) {
  const char *p[1] = {ud};
  hub_tx_exec(tx, &sleep_stmt, p);
  return HUB_STATUS_OK;
}

static void test_deadline_becomes_statement_timeout(void **state) {
  (void)state;
  hub_pg *pg = hub_pg_new(app_url, 5000);
  hub_arena *a = hub_arena_new(0);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(hub_tx_run(pg, a, NULL, NULL, 200, do_sleep, "3").code, HUB_DEADLINE_EXCEEDED);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  assert_true(took < 1.5);
  assert_int_equal(hub_tx_run(pg, a, NULL, NULL, 0, do_sleep, "0").code, HUB_DEADLINE_EXCEEDED);
  assert_true(hub_ok(hub_tx_run(pg, a, NULL, NULL, 2000, do_sleep, "0.01"))); /* the connection is fine after */
  hub_arena_free(a);
  hub_pg_free(pg);
}

/* Two transactions lock "left" and "right" in opposite orders; PostgreSQL breaks the
 * deadlock by aborting one (40P01), which hub_tx_run retries, so both finally commit. */
typedef struct locker {
  const char *first, *second;
  pthread_barrier_t *both_locked;
  int attempts;
  hub_status st;
} locker;

static hub_status do_lock_pair(hub_tx *tx, void *ud) {
  locker *l = ud;
  l->attempts++;
  const char *p1[1] = {l->first}, *p2[1] = {l->second};
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &bump, p1, &r);
  if (!hub_ok(st)) return st;
  if (l->attempts == 1) pthread_barrier_wait(l->both_locked); /* make the first attempts collide */
  return hub_tx_query(tx, &bump, p2, &r);
}

static void *run_locker(void *arg) {
  locker *l = arg;
  hub_pg *pg = hub_pg_new(app_url, 5000);
  hub_arena *a = hub_arena_new(0);
  l->st = hub_tx_run(pg, a, NULL, NULL, 10000, do_lock_pair, l);
  if (l->st.message) l->st.message = strdup(l->st.message);
  hub_arena_free(a);
  hub_pg_free(pg);
  return NULL;
}

static void test_deadlock_is_retried(void **state) {
  (void)state;
  pthread_barrier_t b;
  pthread_barrier_init(&b, NULL, 2);
  locker l1 = {"left", "right", &b, 0, HUB_STATUS_OK}, l2 = {"right", "left", &b, 0, HUB_STATUS_OK};
  pthread_t t1, t2;
  pthread_create(&t1, NULL, run_locker, &l1);
  pthread_create(&t2, NULL, run_locker, &l2);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  if (!hub_ok(l1.st) || !hub_ok(l2.st)) fail_msg("after retries: %s / %s", l1.st.message, l2.st.message);
  assert_true(l1.attempts + l2.attempts >= 3); /* one of them ran again */
  PGconn *c = PQconnectdb(owner_url);
  PGresult *r = PQexec(c, "SELECT sum(v) FROM pairs WHERE k IN ('left', 'right')");
  assert_string_equal(PQgetvalue(r, 0, 0), "4"); /* both transactions, each exactly once */
  PQclear(r);
  PQfinish(c);
  pthread_barrier_destroy(&b);
}

/* Write skew under SERIALIZABLE: both read the pair, then each bumps a different row. One
 * must fail with 40001 (at its UPDATE or its COMMIT); hub_tx_run runs it again, and then both
 * changes are in, each exactly once. */
typedef struct skewer {
  const char *row;
  pthread_barrier_t *both_read;
  int attempts;
  hub_status st;
} skewer;

static hub_status do_skew(hub_tx *tx, void *ud) {
  skewer *s = ud;
  s->attempts++;
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &sum_skew, NULL, &r);
  if (!hub_ok(st)) return st;
  if (s->attempts == 1) pthread_barrier_wait(s->both_read);
  const char *p[1] = {s->row};
  return hub_tx_query(tx, &bump, p, &r);
}

static void *run_skewer(void *arg) {
  skewer *s = arg;
  /* The isolation level rides on the connection, so the code under test is unchanged. */
  char *url = NULL;
  if (asprintf(&url, "%s?options=-c%%20default_transaction_isolation%%3Dserializable", app_url) < 0) abort();
  hub_pg *pg = hub_pg_new(url, 5000);
  hub_arena *a = hub_arena_new(0);
  s->st = hub_tx_run(pg, a, NULL, NULL, 10000, do_skew, s);
  if (s->st.message) s->st.message = strdup(s->st.message);
  hub_arena_free(a);
  hub_pg_free(pg);
  free(url);
  return NULL;
}

static void test_serialization_failure_is_retried(void **state) {
  (void)state;
  pthread_barrier_t b;
  pthread_barrier_init(&b, NULL, 2);
  skewer s1 = {"sl", &b, 0, HUB_STATUS_OK}, s2 = {"sr", &b, 0, HUB_STATUS_OK};
  pthread_t t1, t2;
  pthread_create(&t1, NULL, run_skewer, &s1);
  pthread_create(&t2, NULL, run_skewer, &s2);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  if (!hub_ok(s1.st) || !hub_ok(s2.st)) fail_msg("after retries: %s / %s", s1.st.message, s2.st.message);
  if (s1.attempts + s2.attempts < 3) fail_msg("no serialization failure happened (%d + %d attempts)", s1.attempts, s2.attempts);
  PGconn *c = PQconnectdb(owner_url);
  PGresult *r = PQexec(c, "SELECT string_agg(k || '=' || v, ',' ORDER BY k) FROM pairs WHERE k IN ('sl', 'sr')");
  assert_string_equal(PQgetvalue(r, 0, 0), "sl=1,sr=1");
  PQclear(r);
  PQfinish(c);
  pthread_barrier_destroy(&b);
}

/* The backend dies in the middle of a transaction body: the statements after the loss must
 * fail (not reconnect and autocommit), the server has rolled back the first half, and
 * hub_tx_run runs the whole body once more on a fresh connection. */
typedef struct midway {
  int attempts;
  hub_status finds_loss, after_kill;
} midway;

static hub_status do_midway(hub_tx *tx, void *ud) {
  midway *m = ud;
  m->attempts++;
  char attempt[16];
  snprintf(attempt, sizeof attempt, "%d", m->attempts);
  const char *p[2] = {"midway", attempt};
  hub_tx_exec(tx, &insert_pair, p);
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &my_pid, NULL, &r);
  if (!hub_ok(st) || m->attempts > 1) return st;
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%s, 5000)", hub_rows_text(r, 0, "_pid"));
  if (hub_pgtest_admin_exec(owner_url, sql) != 0) return hub_status_new(hub_tx_arena(tx), HUB_INTERNAL, "could not kill");
  /* The first statement after the kill finds the connection dead; the second is the one
   * that must not quietly reconnect and autocommit. */
  m->finds_loss = hub_tx_query(tx, &my_pid, NULL, &r);
  const char *q[2] = {"midway_after_kill", "1"};
  m->after_kill = hub_tx_query(tx, &insert_pair, q, &r);
  /* A careless body that ignores the failure must not get a half-done commit either. */
  return HUB_STATUS_OK;
}

static void test_connection_lost_mid_transaction(void **state) {
  (void)state;
  hub_pg *pg = hub_pg_new(app_url, 5000);
  hub_arena *a = hub_arena_new(0);
  midway m = {0, HUB_STATUS_OK, HUB_STATUS_OK};
  hub_status st = hub_tx_run(pg, a, NULL, NULL, 5000, do_midway, &m);
  if (!hub_ok(st)) fail_msg("hub_tx_run: %s", st.message);
  assert_int_equal(m.attempts, 2);
  assert_int_equal(m.finds_loss.code, HUB_UNAVAILABLE);
  assert_int_equal(m.after_kill.code, HUB_UNAVAILABLE);
  PGconn *c = PQconnectdb(owner_url);
  PGresult *r = PQexec(c, "SELECT coalesce(string_agg(k || '=' || v, ',' ORDER BY k), '') FROM pairs "
                          "WHERE k LIKE 'midway%'");
  assert_string_equal(PQgetvalue(r, 0, 0), "midway=2");
  PQclear(r);
  PQfinish(c);
  hub_arena_free(a);
  hub_pg_free(pg);
}

/* A body that ignores a failed statement and returns OK: COMMIT would silently roll back,
 * so hub_tx_run reports INTERNAL rather than success. */
static hub_status do_swallow(hub_tx *tx, void *ud) {
  (void)ud;
  const char *p[2] = {"left", "7"};
  hub_rows *r;
  (void)hub_tx_query(tx, &insert_pair, p, &r); /* a unique violation, ignored */
  return HUB_STATUS_OK;
}

static void test_swallowed_failure_is_not_success(void **state) {
  (void)state;
  hub_pg *pg = hub_pg_new(app_url, 5000);
  hub_arena *a = hub_arena_new(0);
  assert_int_equal(hub_tx_run(pg, a, NULL, NULL, 5000, do_swallow, NULL).code, HUB_INTERNAL);
  assert_true(hub_pg_ping(pg)); /* and the connection is usable after */
  hub_arena_free(a);
  hub_pg_free(pg);
}

static const char *const kill_hubd_sql =
    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
    "WHERE usename = 'hubd' AND application_name = 'hubd' AND datname = current_database()";

static void test_reconnect_after_backend_killed(void **state) {
  (void)state;
  hub_pg *pg = hub_pg_new(app_url, 5000);
  assert_int_equal(count_as(pg, TENANT_A, "kept"), 1); /* connected, count_outbox prepared */
  assert_int_equal(hub_pgtest_admin_exec(owner_url, kill_hubd_sql), 0);
  /* The lost connection is retried once inside hub_tx_run, so this call already succeeds and
   * its statements were prepared again on the new connection. */
  hub_arena *a = hub_arena_new(0);
  counter c = {"kept", -1};
  hub_status st = hub_tx_run(pg, a, TENANT_A, NULL, 5000, do_count, &c);
  if (!hub_ok(st)) { /* at worst one UNAVAILABLE, then recovery */
    assert_int_equal(st.code, HUB_UNAVAILABLE);
    st = hub_tx_run(pg, a, TENANT_A, NULL, 5000, do_count, &c);
  }
  assert_true(hub_ok(st));
  assert_int_equal(c.n, 1);
  /* Killed again: a transaction with no tenant reconnects the same way, prepares its
   * statement again, and sees no tenant's rows. */
  assert_int_equal(hub_pgtest_admin_exec(owner_url, kill_hubd_sql), 0);
  hub_rows *r;
  const char *p[1] = {"kept"};
  st = run_one(pg, a, NULL, &count_outbox, p, &r);
  if (!hub_ok(st)) { /* at worst one UNAVAILABLE, then recovery */
    assert_int_equal(st.code, HUB_UNAVAILABLE);
    st = run_one(pg, a, NULL, &count_outbox, p, &r);
  }
  if (!hub_ok(st)) fail_msg("after reconnect: %s", st.message);
  assert_int_equal(hub_rows_int(r, 0, "_n"), 0);
  hub_arena_free(a);
  hub_pg_free(pg);
}

static void test_ping(void **state) {
  (void)state;
  char dead[128];
  snprintf(dead, sizeof dead, "postgresql://hubd@127.0.0.1:%d/postgres", hub_free_port());
  hub_pg *down = hub_pg_new(dead, 1000);
  assert_false(hub_pg_ping(down));
  hub_arena *a = hub_arena_new(0);
  assert_int_equal(hub_tx_run(down, a, NULL, NULL, 1000, do_count, &(counter){"x", 0}).code, HUB_UNAVAILABLE);
  hub_arena_free(a);
  hub_pg_free(down);
  hub_pg *up = hub_pg_new(app_url, 1000);
  assert_true(hub_pg_ping(up));
  hub_pg_free(up);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_commit_and_rollback),
      cmocka_unit_test(test_one_flush_transaction),
      cmocka_unit_test(test_decode_by_column_name),
      cmocka_unit_test(test_row_level_security),
      cmocka_unit_test(test_tenant_table_helper),
      cmocka_unit_test(test_sqlstate_mapping),
      cmocka_unit_test(test_deadline_becomes_statement_timeout),
      cmocka_unit_test(test_deadlock_is_retried),
      cmocka_unit_test(test_serialization_failure_is_retried),
      cmocka_unit_test(test_connection_lost_mid_transaction),
      cmocka_unit_test(test_swallowed_failure_is_not_success),
      cmocka_unit_test(test_reconnect_after_backend_killed),
      cmocka_unit_test(test_ping),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
