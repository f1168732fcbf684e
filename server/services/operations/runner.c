/* The runner: a thread of every hubd (started through Operations' lifecycle, the end of this
 * file) that claims runnable operations and runs them one step per transaction:
 *
 *   BEGIN; hub.scope = operations_runner                  (sees every tenant's queue)
 *   SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1              claim: rows another runner holds
 *                                                          are skipped, so processes share work
 *   hub.tenant_id / hub.user_id = the operation's; scope off   (the step runs under RLS)
 *   step(tx, job)                                          the kind's work
 *   UPDATE operations SET checkpoint, progress, state      with the work, or not at all
 *   COMMIT
 *
 * The checkpoint commits with the step's work, so after a crash or restart the next claim
 * starts from the last committed step. The row lock is held for the step, so CancelOperation
 * lands between two steps. A failed step rolls back; a second transaction records it (retried
 * with backoff when transient, failed otherwise). Only kinds this process registered are
 * claimed, so a rolling upgrade never runs a job on a server that does not know it. */
#include <stdio.h>
#include <string.h>

#include "hub/config.h"
#include "hub/log.h"
#include "hub/periodic.h"
#include "services/operations/operations.h"

#define STEP_TIMEOUT_MS 30000
#define MAX_ATTEMPTS 5

static const hub_pg_stmt scope_sql = {"operations_scope",
                                      "SELECT set_config('hub.scope', 'operations_runner', true) AS _scope", 0};
static const hub_pg_stmt claim_sql = {
    "operations_claim",
    "SELECT x.tenant_id AS _tenant, x.id AS _id, x.kind AS _kind, coalesce(x.created_by::text, '') AS _user, "
    "x.input::text AS _input, x.checkpoint AS _checkpoint, x.progress_done AS _done, x.progress_total AS _total "
    "FROM operations x WHERE x.state IN ('pending', 'running') AND x.not_before <= now() "
    "AND x.kind = ANY($1::text[]) ORDER BY x.updated_at LIMIT 1 FOR UPDATE SKIP LOCKED",
    1};
static const hub_pg_stmt enter_sql = {
    "operations_enter",
    "SELECT set_config('hub.tenant_id', $1, true) AS _tenant, set_config('hub.user_id', $2, true) AS _user, "
    "set_config('hub.scope', '', true) AS _scope",
    2};
static const hub_pg_stmt save_sql = {
    "operations_save",
    "UPDATE operations SET state = CASE WHEN $2::bool THEN 'succeeded' ELSE 'running' END, "
    "checkpoint = coalesce($3, checkpoint), progress_done = $4::bigint, progress_total = $5::bigint, "
    "response = CASE WHEN $2::bool THEN coalesce($6::jsonb, '{}'::jsonb) END, "
    "done_at = CASE WHEN $2::bool THEN now() END, attempts = 0, updated_at = now() "
    "WHERE tenant_id = hub_current_tenant() AND id = $1::uuid",
    6};
/* A failed step: another attempt after 2^attempts s, or (attempts used up, or $2 = 0 for a
 * failure no retry mends) the end of the operation. */
static const hub_pg_stmt failed_sql = {
    "operations_failed",
    "UPDATE operations SET attempts = attempts + 1, updated_at = now(), "
    "not_before = now() + make_interval(secs => power(2, least(attempts, 6))), "
    "state = CASE WHEN attempts + 1 >= $2::int THEN 'failed' ELSE state END, "
    "error_code = CASE WHEN attempts + 1 >= $2::int THEN $3::int END, "
    "error_message = CASE WHEN attempts + 1 >= $2::int THEN $4 END, "
    "done_at = CASE WHEN attempts + 1 >= $2::int THEN now() END "
    "WHERE tenant_id = hub_current_tenant() AND id = $1::uuid AND done_at IS NULL",
    4};

typedef struct step_ctx {
  hub_pg *pg;
  hub_arena *a;
  const char *kinds;
  bool claimed, step_failed;
  const char *tenant, *id;
  hub_status step_status;
} step_ctx;

static const char *num(hub_arena *a, int64_t v) { return hub_arena_sprintf(a, "%lld", (long long)v); }

static hub_status step_fn(hub_tx *tx, void *ud) {
  step_ctx *c = ud;
  c->claimed = c->step_failed = false; /* the body may run again (a retried transaction) */
  hub_tx_exec(tx, &scope_sql, NULL);
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &claim_sql, (const char *[]){c->kinds}, &r);
  if (!hub_ok(st) || hub_rows_count(r) == 0) return st;
  c->claimed = true;
  c->tenant = hub_rows_text(r, 0, "_tenant");
  c->id = hub_rows_text(r, 0, "_id");
  const char *user = hub_rows_text(r, 0, "_user");
  const hub_op_kind *kind = operations_kind(hub_rows_text(r, 0, "_kind"));
  hub_tx_exec(tx, &enter_sql, (const char *[]){c->tenant, user});
  hub_op_job job = {
      .name = hub_arena_sprintf(c->a, "operations/%s", c->id),
      .tenant_id = c->tenant,
      .user_id = user,
      .input_json = hub_rows_text(r, 0, "_input"),
      .checkpoint = hub_rows_text(r, 0, "_checkpoint"),
      .arena = c->a,
      .done = hub_rows_int(r, 0, "_done"),
      .total = hub_rows_int(r, 0, "_total"),
  };
  st = kind->step(tx, &job);
  if (!hub_ok(st)) {
    c->step_failed = true;
    c->step_status = st;
    return st;
  }
  const char *finished = job.finished ? "true" : "false";
  hub_tx_exec(tx, &save_sql,
              (const char *[]){c->id, finished, job.next_checkpoint, num(c->a, job.done), num(c->a, job.total),
                               job.response_json});
  return HUB_STATUS_OK;
}

typedef struct fail_ctx {
  const char *id, *max_attempts, *code, *message;
} fail_ctx;

static hub_status fail_fn(hub_tx *tx, void *ud) {
  fail_ctx *f = ud;
  hub_tx_exec(tx, &failed_sql, (const char *[]){f->id, f->max_attempts, f->code, f->message});
  return HUB_STATUS_OK;
}

static bool transient(hub_code code) {
  return code == HUB_UNAVAILABLE || code == HUB_ABORTED || code == HUB_DEADLINE_EXCEEDED;
}

hub_status operations_step_once(hub_pg *pg, hub_arena *a, bool *ran) {
  step_ctx c = {.pg = pg, .a = a, .kinds = operations_kinds_literal(a)};
  hub_status st = hub_tx_run(pg, a, NULL, NULL, STEP_TIMEOUT_MS, step_fn, &c);
  *ran = c.claimed;
  if (hub_ok(st) || !c.claimed || !c.step_failed) return st;
  /* The step failed and rolled back: say so in the operation's own tenant. */
  hub_status why = c.step_status;
  fail_ctx f = {c.id, transient(why.code) ? "5" : "0", num(a, why.code),
                why.message ? why.message : hub_code_name(why.code)};
  hub_logf(HUB_LOG_WARN, "operations: a step of operations/%s failed: %s %s", c.id, hub_code_name(why.code),
           f.message);
  return hub_tx_run(pg, a, c.tenant, NULL, STEP_TIMEOUT_MS, fail_fn, &f);
}

/* ---- the thread, started and stopped through Operations' lifecycle ---- */

static hub_periodic *runner;
static hub_pg *runner_pg; /* the runner's own connection, never a worker's */

/* Steps operations until none is runnable (or hubd stops: the running step finishes first). */
static void run_tick(hub_periodic *p, void *ud) {
  bool ran = true;
  while (ran && !hub_periodic_stopping(p)) {
    hub_arena *a = hub_arena_new(0);
    hub_status st = operations_step_once(ud, a, &ran);
    if (!hub_ok(st)) hub_logf(HUB_LOG_WARN, "operations runner: %s", st.message ? st.message : hub_code_name(st.code));
    hub_arena_free(a);
  }
}

static bool operations_init(const hub_service_env *env) {
  (void)env;
  return hub_operations_register(&operations_count_kind);
}

static bool operations_start(const hub_service_env *env) {
  if (env->config->operations_interval_ms <= 0) return true; /* other processes run the operations */
  runner_pg = hub_pg_new(env->config->database_url, env->config->db_timeout_ms);
  runner = hub_periodic_start("operations runner", env->config->operations_interval_ms, run_tick, runner_pg);
  return runner != NULL;
}

static void operations_stop(void) {
  hub_periodic_stop(runner);
  runner = NULL;
  hub_pg_free(runner_pg);
  runner_pg = NULL;
}

const hub_service_lifecycle hub_operations_v1_operations_lifecycle = {
    .init = operations_init, .start = operations_start, .stop = operations_stop};
