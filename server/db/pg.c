/* PostgreSQL connection, prepared statements, pipelined transactions and SQLSTATE mapping
 * (see pg.h and tx.h). Everything runs on the calling worker's own connection, with libpq's
 * blocking calls in pipeline mode: a flush sends its commands and one Sync, then reads every
 * result; a worker has nothing else to do while it waits. Row decoding is in rows.c. */
#include "pg.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/tx_internal.h"
#include "hub/clock.h"
#include "hub/assert.h"
#include "hub/blocking.h"
#include "hub/log.h"
#include "metrics/metrics.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
#define TX_ATTEMPTS 4 /* the first try and 3 retries */

struct hub_pg {
  char *conninfo;
  int64_t timeout_ms; /* connect timeout, and the cap on statement_timeout */
  PGconn *conn;
  const hub_pg_stmt **prepared; /* statements prepared on `conn`, by address */
  size_t n_prepared, cap_prepared;
  int64_t next_attempt_us; /* no connection attempt before this (backoff) */
  int64_t backoff_ms;
  int64_t tx_deadline_us; /* while tx: no flush starts after this */
  unsigned seed;          /* for the retry jitter (rand_r: no shared state between workers) */
  hub_tx *tx;             /* the transaction in progress (hub_tx_run), or NULL */
  /* What went wrong in the current attempt (sticky: a body that runs on after a failed
   * statement, or maps its status, does not hide it). */
  bool lost;      /* the connection broke */
  bool retryable; /* a serialization failure or deadlock */
};

hub_pg *hub_pg_new(const char *conninfo, int64_t connect_timeout_ms) {
  hub_pg *pg = calloc(1, sizeof *pg);
  if (!pg) abort();
  pg->conninfo = strdup(conninfo ? conninfo : "");
  if (!pg->conninfo) abort();
  pg->timeout_ms = connect_timeout_ms > 0 ? connect_timeout_ms : 5000;
  pg->seed = (unsigned)hub_clock_mono_us() ^ (unsigned)(uintptr_t)pg;
  return pg;
}

/* Waits for the server on this thread (see hub_pg_thread_round_trips). */
static __thread uint64_t thread_round_trips;

uint64_t hub_pg_thread_round_trips(void) { return thread_round_trips; }

/* ---- metrics: every wait for the server and every failure, over all connections ---- */

static const hub_metric_def round_trip_def = {
    "hub_pg_round_trip_seconds",
    "Waits for PostgreSQL (a pipeline's sync, a blocking command, a health ping) on every connection of hubd.",
    HUB_METRIC_HISTOGRAM, NULL, hub_metric_latency_buckets, HUB_METRIC_LATENCY_N};
static const hub_metric_def errors_def = {
    "hub_pg_errors_total",
    "PostgreSQL failures: connect (an attempt to connect failed), lost (a connection broke), conflict (a "
    "serialization failure or deadlock, retried), statement (any other failed statement).",
    HUB_METRIC_COUNTER, (const char *const[]){"reason", NULL}, NULL, 0};

static struct {
  hub_histogram *round_trip;
  hub_counter *connect, *lost, *conflict, *statement;
} metrics;

static void metrics_init(void) {
  hub_metric_family *errors = hub_metric_family_get(&errors_def);
  metrics.round_trip = hub_histogram_simple(&round_trip_def);
  metrics.connect = hub_counter_get(errors, (const char *[]){"connect"});
  metrics.lost = hub_counter_get(errors, (const char *[]){"lost"});
  metrics.conflict = hub_counter_get(errors, (const char *[]){"conflict"});
  metrics.statement = hub_counter_get(errors, (const char *[]){"statement"});
}

static void metrics_ready(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, metrics_init);
}

/* A wait for the server starts: counted for the call's log line; returns its start time. */
static int64_t round_trip_begin(void) {
  thread_round_trips++;
  return hub_clock_mono_us();
}

static void round_trip_end(int64_t started_us) {
  metrics_ready();
  hub_histogram_observe_us(metrics.round_trip, hub_clock_mono_us() - started_us);
}

static void count_error(hub_counter **which) {
  metrics_ready();
  hub_counter_inc(*which);
}

static void drop_connection(hub_pg *pg) {
  if (pg->conn) PQfinish(pg->conn);
  pg->conn = NULL;
  pg->n_prepared = 0; /* prepared statements die with their session */
}

void hub_pg_free(hub_pg *pg) {
  if (!pg) return;
  drop_connection(pg);
  free(pg->prepared);
  free(pg->conninfo);
  free(pg);
}

/* Server NOTICEs (e.g. "... already exists, skipping") go to our log, not to stderr. */
static void on_notice(void *ud, const char *message) {
  (void)ud;
  hub_logf(HUB_LOG_DEBUG, "postgresql notice: %.*s", (int)strcspn(message, "\n"), message);
}

/* Connects unless connected; honours the backoff so a down database is not hammered by
 * every request of every worker. */
static bool ensure_connected(hub_pg *pg) {
  if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK) return true;
  int64_t now = hub_clock_mono_us();
  if (now < pg->next_attempt_us) return false;
  drop_connection(pg);
  char timeout[32];
  snprintf(timeout, sizeof timeout, "%lld", (long long)(pg->timeout_ms + 999) / 1000);
  /* Keys after "dbname" (which expands the caller's URL or key=value string) win over it. */
  const char *keys[] = {"dbname", "connect_timeout", "application_name", "keepalives", "keepalives_idle",
                        "keepalives_interval", "keepalives_count", NULL};
  const char *vals[] = {pg->conninfo, timeout, "hubd", "1", "30", "10", "3", NULL};
  hub_blocking_begin();
  pg->conn = PQconnectdbParams(keys, vals, 1);
  hub_blocking_end();
  if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK) {
    PQsetNoticeProcessor(pg->conn, on_notice, NULL);
    pg->backoff_ms = 0;
    return true;
  }
  /* PQerrorMessage names host and reason, never the password. */
  const char *why = pg->conn ? PQerrorMessage(pg->conn) : "out of memory";
  hub_logf(HUB_LOG_WARN, "postgresql: cannot connect: %.*s", (int)strcspn(why, "\n"), why);
  count_error(&metrics.connect);
  drop_connection(pg);
  pg->backoff_ms = pg->backoff_ms ? pg->backoff_ms * 2 : BACKOFF_FIRST_MS;
  if (pg->backoff_ms > BACKOFF_MAX_MS) pg->backoff_ms = BACKOFF_MAX_MS;
  pg->next_attempt_us = now + pg->backoff_ms * 1000;
  return false;
}

hub_code hub_pg_code_for_sqlstate(const char *s) {
  if (!s || strlen(s) != 5) return HUB_INTERNAL;
  if (!strcmp(s, "23505")) return HUB_ALREADY_EXISTS;
  if (!strcmp(s, "23503") || !strcmp(s, "23502") || !strcmp(s, "23514") || !strcmp(s, "23P01"))
    return HUB_FAILED_PRECONDITION;
  if (!strncmp(s, "22", 2)) return HUB_INVALID_ARGUMENT;
  if (!strcmp(s, "40001") || !strcmp(s, "40P01")) return HUB_ABORTED;
  if (!strcmp(s, "57014")) return HUB_DEADLINE_EXCEEDED;
  if (!strncmp(s, "08", 2) || !strcmp(s, "57P01") || !strcmp(s, "57P02") || !strcmp(s, "57P03") ||
      !strncmp(s, "53", 2))
    return HUB_UNAVAILABLE;
  if (!strcmp(s, "42501")) return HUB_PERMISSION_DENIED;
  return HUB_INTERNAL;
}

/* What a caller is told. The database's own text can quote values (another tenant's, in a
 * unique violation's DETAIL), so it only goes to the log. */
static const char *public_message(hub_code code) {
  switch (code) {
    case HUB_ALREADY_EXISTS: return "already exists";
    case HUB_FAILED_PRECONDITION: return "the change conflicts with related data";
    case HUB_INVALID_ARGUMENT: return "a value is out of range or malformed";
    case HUB_ABORTED: return "the change conflicted with a concurrent one; retry";
    case HUB_DEADLINE_EXCEEDED: return "the database did not answer before the deadline";
    case HUB_UNAVAILABLE: return "the database is unavailable; retry later";
    case HUB_PERMISSION_DENIED: return "not permitted";
    default: return "internal database error";
  }
}

/* One structured line per failed statement: SQLSTATE, statement name, the primary message
 * and which constraint/table; never DETAIL, which quotes row values. A conflict that will be
 * retried is routine (debug); anything else is worth an operator's look. */
static void log_failure(PGresult *res, const char *what, const char *state, hub_code code) {
  hub_log_level level = code == HUB_INTERNAL ? HUB_LOG_ERROR : code == HUB_ABORTED ? HUB_LOG_DEBUG : HUB_LOG_WARN;
  if (!hub_log_enabled(level)) return;
  hub_log_line line;
  hub_log_begin(&line, level, "postgresql statement failed");
  hub_log_str(&line, "statement", what);
  hub_log_str(&line, "sqlstate", state);
  hub_log_str(&line, "code", hub_code_name(code));
  hub_log_str(&line, "error", res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL);
  hub_log_str(&line, "table", res ? PQresultErrorField(res, PG_DIAG_TABLE_NAME) : NULL);
  hub_log_str(&line, "constraint", res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL);
  hub_log_end(&line, level);
}

/* Turns a failed result (or a NULL one) into a status, noting lost connections. */
static hub_status lose_connection(hub_pg *pg, const char *what) {
  hub_logf(HUB_LOG_WARN, "postgresql: connection lost during %s", what);
  count_error(&metrics.lost);
  pg->lost = true;
  drop_connection(pg);
  pg->next_attempt_us = 0; /* the server was there a moment ago: reconnect at once */
  return hub_status_fixed(HUB_UNAVAILABLE, "the database connection was lost; retry");
}

static hub_status failure(hub_pg *pg, PGresult *res, const char *what) {
  if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) return lose_connection(pg, what);
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  hub_code code = hub_pg_code_for_sqlstate(state);
  if (code == HUB_ABORTED) pg->retryable = true;
  count_error(code == HUB_ABORTED ? &metrics.conflict : &metrics.statement);
  log_failure(res, what, state, code);
  return hub_status_fixed(code, public_message(code));
}

static bool is_prepared(const hub_pg *pg, const hub_pg_stmt *stmt) {
  for (size_t i = 0; i < pg->n_prepared; i++)
    if (pg->prepared[i] == stmt) return true;
  return false;
}

static void mark_prepared(hub_pg *pg, const hub_pg_stmt *stmt) {
  if (pg->n_prepared == pg->cap_prepared) {
    pg->cap_prepared = pg->cap_prepared ? pg->cap_prepared * 2 : 32;
    pg->prepared = realloc(pg->prepared, pg->cap_prepared * sizeof *pg->prepared);
    if (!pg->prepared) abort();
  }
  pg->prepared[pg->n_prepared++] = stmt;
}

/* ---- the pipeline ---- */

/* A queued statement. */
typedef struct item {
  const hub_pg_stmt *stmt;
  const char **params;
  hub_rows *rows; /* where the result goes (arena-owned) */
} item;

struct hub_tx {
  hub_pg *pg;
  hub_arena *a;
  const char *settings[3]; /* statement_timeout, tenant, user */
  item *q;
  size_t n, cap;
  bool begun;        /* the server answered BEGIN: it holds our transaction */
  bool failed;       /* a flush failed: the transaction is aborted */
  bool commit_unknown; /* COMMIT went out to a begun transaction and no answer came back */
  hub_status failure;  /* the first failure, answered by every later flush */
};

/* What a flush sent, in order, to read the answers back against. */
typedef enum { CMD_BEGIN, CMD_PREPARE, CMD_STMT, CMD_COMMIT } cmd_kind;
typedef struct cmd {
  cmd_kind kind;
  const hub_pg_stmt *stmt; /* CMD_PREPARE, CMD_STMT */
  item *it;                /* CMD_STMT (NULL for the settings) */
  PGresult *res;
} cmd;

/* All settings in one statement; `true` makes them transaction-local (SET LOCAL). */
static const hub_pg_stmt tx_settings = {"hub_tx_settings",
                                        "SELECT set_config('statement_timeout', $1, true), "
                                        "set_config('hub.tenant_id', $2, true), set_config('hub.user_id', $3, true)",
                                        3};

static bool pending_prepare(const cmd *cmds, size_t n, const hub_pg_stmt *stmt) {
  for (size_t i = 0; i < n; i++)
    if (cmds[i].kind == CMD_PREPARE && cmds[i].stmt == stmt) return true;
  return false;
}

/* Queues the commands of one statement: its Parse first when the connection lacks it. */
static bool send_stmt(hub_pg *pg, cmd *cmds, size_t *n, const hub_pg_stmt *stmt, const char *const *params, item *it) {
  if (stmt->name && !is_prepared(pg, stmt) && !pending_prepare(cmds, *n, stmt)) {
    if (!PQsendPrepare(pg->conn, stmt->name, stmt->sql, stmt->n_params, NULL)) return false;
    cmds[(*n)++] = (cmd){CMD_PREPARE, stmt, NULL, NULL};
  }
  int ok = stmt->name ? PQsendQueryPrepared(pg->conn, stmt->name, stmt->n_params, params, NULL, NULL, 0)
                      : PQsendQueryParams(pg->conn, stmt->sql, stmt->n_params, NULL, params, NULL, NULL, 0);
  if (!ok) return false;
  cmds[(*n)++] = (cmd){CMD_STMT, stmt, it, NULL};
  return true;
}

static void clear_result(void *p) { PQclear(p); }

static const char *cmd_name(const cmd *c) {
  switch (c->kind) {
    case CMD_BEGIN: return "BEGIN";
    case CMD_COMMIT: return "COMMIT";
    default: return c->stmt->name ? c->stmt->name : "(composed statement)";
  }
}

/* One round trip: [BEGIN, settings,] the items, [COMMIT], Sync; then every answer. `begin`
 * and `commit` say what brackets the items; tx is NULL in autocommit mode. Returns the first
 * failure; results go to their items. */
static hub_status run_pipeline(hub_pg *pg, hub_tx *tx, item *items, size_t n_items, bool begin, bool commit) {
  size_t max = 2 * n_items + 4, n = 0;
  cmd stack_cmds[32];
  HUB_ASSERT(tx || max <= 32);
  cmd *cmds = max <= 32 ? stack_cmds : hub_arena_alloc(tx ? tx->a : items[0].rows->a, max * sizeof *cmds);
  /* A transaction that is all in this flush needs no BEGIN and COMMIT: what a pipeline sends
   * before its Sync is one implicit transaction, which a failure rolls back, the Sync
   * commits, and which the settings (set_config(..., true)) last until. */
  bool implicit = tx && begin && commit;
  bool sent = PQenterPipelineMode(pg->conn) == 1;
  if (sent && begin) {
    if (!implicit) sent = PQsendQueryParams(pg->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) == 1;
    if (sent && !implicit) cmds[n++] = (cmd){CMD_BEGIN, NULL, NULL, NULL};
    if (sent) sent = send_stmt(pg, cmds, &n, &tx_settings, tx->settings, NULL);
  }
  for (size_t i = 0; sent && i < n_items; i++) sent = send_stmt(pg, cmds, &n, items[i].stmt, items[i].params, &items[i]);
  if (sent && commit && !implicit) {
    sent = PQsendQueryParams(pg->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) == 1;
    if (sent) cmds[n++] = (cmd){CMD_COMMIT, NULL, NULL, NULL};
  }
  int64_t waited = round_trip_begin();
  /* Everything between the Sync going out and the last answer is waiting: read the answers
   * first, look at them after. */
  hub_blocking_begin();
  bool synced = sent && PQpipelineSync(pg->conn) == 1;
  size_t got = 0;
  PGresult *commit_error = NULL; /* implicit: the Sync's commit failed (a deferred check) */
  if (synced) {
    for (; got < n; got++) {
      cmds[got].res = PQgetResult(pg->conn);
      if (!cmds[got].res) break;
      PGresult *end = PQgetResult(pg->conn); /* each command's results end with a NULL */
      if (end) { /* not the protocol we speak: treat the connection as gone */
        PQclear(end);
        got++;
        break;
      }
    }
    if (got == n) {
      PGresult *sync = PQgetResult(pg->conn);
      if (implicit && sync && PQresultStatus(sync) == PGRES_FATAL_ERROR) {
        commit_error = sync; /* then its NULL, then the Sync's answer */
        sync = PQgetResult(pg->conn);
        if (!sync) sync = PQgetResult(pg->conn);
      }
      if (PQresultStatus(sync) != PGRES_PIPELINE_SYNC) synced = false;
      PQclear(sync);
    }
  }
  hub_blocking_end();
  round_trip_end(waited);
  bool lost = !synced || got < n || PQstatus(pg->conn) != CONNECTION_OK;
  if (!lost) PQexitPipelineMode(pg->conn);

  hub_status st = HUB_STATUS_OK;
  bool failed = false, begun_here = false, committed = false;
  for (size_t i = 0; i < n; i++) {
    cmd *c = &cmds[i];
    ExecStatusType rs = c->res ? PQresultStatus(c->res) : PGRES_FATAL_ERROR;
    bool ok = rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK;
    if (i >= got || rs == PGRES_PIPELINE_ABORTED) {
      /* never answered, or skipped after an earlier failure */
    } else if (!ok) {
      if (!failed) st = failure(pg, c->res, cmd_name(c));
      failed = true;
    } else if (c->kind == CMD_BEGIN) {
      begun_here = true;
    } else if (c->kind == CMD_PREPARE) {
      mark_prepared(pg, c->stmt);
    } else if (c->kind == CMD_COMMIT) {
      /* A COMMIT of a transaction that had failed answers "ROLLBACK" with no error. */
      committed = !strcmp(PQcmdStatus(c->res), "COMMIT");
      if (!committed && !failed) st = hub_status_fixed(HUB_INTERNAL, "internal database error");
      failed = failed || !committed;
    } else if (c->it) {
      c->it->rows->res = c->res;
      hub_arena_on_free(c->it->rows->a, clear_result, c->res);
      c->res = NULL;
    }
    if (c->res) PQclear(c->res);
  }
  if (commit_error) {
    if (!failed) st = failure(pg, commit_error, "COMMIT");
    failed = true;
    PQclear(commit_error);
  }
  /* The Sync answered an implicit transaction that nothing failed in: it committed. */
  if (implicit && !failed && synced && got == n) committed = true;
  for (size_t i = 0; i < n_items; i++)
    if (items[i].rows) items[i].rows->flushed = true;
  if (tx && begun_here) tx->begun = true;
  if (lost) {
    /* A COMMIT that went out to a transaction the server had begun, with no answer: it may
     * have committed. Anything else the server rolled back when the connection went; and a
     * COMMIT that was answered is known to have committed. */
    bool commit_out = n > 0 && cmds[n - 1].kind == CMD_COMMIT;
    if (tx && tx->begun && commit_out && got < n) tx->commit_unknown = true;
    /* Implicit: the first answer plays BEGIN's part; with it in and the Sync's missing, the
     * Sync may have committed. */
    if (implicit && got > 0 && !failed && !committed) tx->commit_unknown = true;
    if (!failed && !committed) st = lose_connection(pg, "pipeline");
    else if (pg->conn) lose_connection(pg, "pipeline");
    if (committed && !failed) pg->lost = false;
  }
  return st;
}

/* ---- transactions ---- */

hub_arena *hub_tx_arena(hub_tx *tx) { return tx->a; }

static const char **copy_params(hub_arena *a, const hub_pg_stmt *stmt, const char *const *params) {
  if (stmt->n_params == 0) return NULL;
  const char **p = hub_arena_alloc(a, (size_t)stmt->n_params * sizeof *p);
  for (int i = 0; i < stmt->n_params; i++) p[i] = params[i] ? hub_arena_strdup(a, params[i]) : NULL;
  return p;
}

static item *enqueue(hub_tx *tx, const hub_pg_stmt *stmt, const char *const *params) {
  HUB_ASSERT(stmt && stmt->sql && (stmt->n_params == 0 || params));
  if (tx->n == tx->cap) {
    size_t cap = tx->cap ? tx->cap * 2 : 8;
    item *q = hub_arena_alloc(tx->a, cap * sizeof *q);
    if (tx->n) memcpy(q, tx->q, tx->n * sizeof *q);
    tx->q = q;
    tx->cap = cap;
  }
  item *it = &tx->q[tx->n++];
  *it = (item){stmt, copy_params(tx->a, stmt, params), NULL};
  return it;
}

hub_rows *hub_tx_exec(hub_tx *tx, const hub_pg_stmt *stmt, const char *const *params) {
  item *it = enqueue(tx, stmt, params);
  it->rows = hub_arena_calloc(tx->a, 1, sizeof *it->rows);
  it->rows->a = tx->a;
  return it->rows;
}

static hub_status tx_flush(hub_tx *tx, bool commit) {
  hub_pg *pg = tx->pg;
  if (tx->failed) return tx->failure;
  hub_status st = HUB_STATUS_OK;
  if (tx->n == 0 && (!commit || !tx->begun)) return st; /* nothing to send, nothing to end */
  if (!pg->conn) { /* never reconnect inside a transaction: the rest would run in autocommit mode */
    pg->lost = true;
    st = hub_status_fixed(HUB_UNAVAILABLE, "the database connection was lost; retry");
  } else if (hub_clock_mono_us() >= pg->tx_deadline_us) {
    st = hub_status_fixed(HUB_DEADLINE_EXCEEDED, "the deadline passed during the transaction");
  } else {
    st = run_pipeline(pg, tx, tx->q, tx->n, !tx->begun, commit);
  }
  for (size_t i = 0; i < tx->n; i++)
    if (tx->q[i].rows) tx->q[i].rows->flushed = true;
  tx->n = 0;
  if (!hub_ok(st)) {
    tx->failed = true;
    tx->failure = st;
  }
  return st;
}

hub_status hub_tx_flush(hub_tx *tx) { return tx_flush(tx, false); }

hub_status hub_tx_query(hub_tx *tx, const hub_pg_stmt *stmt, const char *const *params, hub_rows **out) {
  *out = hub_tx_exec(tx, stmt, params);
  return hub_tx_flush(tx);
}

/* A command outside any pipeline (ROLLBACK): one round trip. */
static hub_status command(hub_pg *pg, const char *sql) {
  int64_t waited = round_trip_begin();
  hub_blocking_begin();
  PGresult *res = PQexec(pg->conn, sql);
  hub_blocking_end();
  round_trip_end(waited);
  hub_status st = PQresultStatus(res) == PGRES_COMMAND_OK ? HUB_STATUS_OK : failure(pg, res, sql);
  PQclear(res);
  return st;
}

bool hub_pg_ping(hub_pg *pg) {
  if (pg->tx || !ensure_connected(pg)) return false;
  int64_t waited = round_trip_begin();
  hub_blocking_begin();
  PGresult *res = PQexec(pg->conn, "SELECT 1");
  hub_blocking_end();
  round_trip_end(waited);
  bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
  if (!ok) failure(pg, res, "ping");
  PQclear(res);
  return ok;
}

static void backoff_sleep(hub_pg *pg, int attempt) {
  /* 5, 10, 20 ms, each +-50%: long enough for the conflicting transaction to finish, and the
   * jitter keeps two retrying workers from colliding again in lockstep. */
  int64_t base = (int64_t)5000 << attempt;
  int64_t us = base / 2 + rand_r(&pg->seed) % base;
  struct timespec ts = {0, (long)us * 1000};
  hub_blocking_begin();
  nanosleep(&ts, NULL);
  hub_blocking_end();
}

/* One attempt: fn, then what it left queued with COMMIT (or ROLLBACK when anything failed).
 * Leaves pg->lost / pg->retryable describing a failure; tx->commit_unknown when the outcome
 * may be unknown. */
static hub_status attempt_tx(hub_tx *tx, hub_tx_fn fn, void *ud) {
  hub_pg *pg = tx->pg;
  hub_status st = fn(tx, ud);
  if (hub_ok(st) && tx->failed) {
    /* fn swallowed a failed statement: COMMIT would quietly roll back. Say so instead. */
    hub_logf(HUB_LOG_ERROR, "postgresql: a transaction body returned OK after a failed statement");
    st = hub_status_fixed(HUB_INTERNAL, "internal database error");
  }
  if (hub_ok(st)) st = tx_flush(tx, true);
  if (!hub_ok(st) && pg->conn && PQtransactionStatus(pg->conn) != PQTRANS_IDLE) {
    /* A ROLLBACK that fails (connection gone) changes nothing about what this attempt was. */
    bool lost = pg->lost, retry = pg->retryable;
    command(pg, "ROLLBACK");
    pg->lost = lost;
    pg->retryable = retry;
  }
  return st;
}

hub_status hub_tx_run(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *user_id, int64_t timeout_ms,
                      hub_tx_fn fn, void *ud) {
  HUB_ASSERT(!pg->tx); /* transactions do not nest */
  if (timeout_ms <= 0) return hub_status_fixed(HUB_DEADLINE_EXCEEDED, "the deadline passed before the query");
  int64_t deadline = hub_clock_mono_us() + (timeout_ms > INT64_MAX / 2000 ? INT64_MAX / 2 : timeout_ms * 1000);
  hub_status st = HUB_STATUS_OK;
  bool reconnected = false;
  for (int attempt = 0; attempt < TX_ATTEMPTS;) {
    int64_t left_ms = (deadline - hub_clock_mono_us()) / 1000;
    if (left_ms <= 0) return hub_status_fixed(HUB_DEADLINE_EXCEEDED, "the deadline passed before the query");
    if (!ensure_connected(pg)) return hub_status_fixed(HUB_UNAVAILABLE, "the database is unavailable; retry later");
    pg->lost = pg->retryable = false;
    pg->tx_deadline_us = deadline;
    char limit_text[32];
    snprintf(limit_text, sizeof limit_text, "%lld", (long long)(left_ms < pg->timeout_ms ? left_ms : pg->timeout_ms));
    hub_tx tx = {.pg = pg, .a = a, .settings = {limit_text, tenant_id ? tenant_id : "", user_id ? user_id : ""}};
    pg->tx = &tx;
    st = attempt_tx(&tx, fn, ud);
    pg->tx = NULL;
    if (hub_ok(st)) return st;
    if (pg->lost) {
      /* Lost before COMMIT was answered by a begun transaction: the server rolled it back, so
       * running it again on a new connection is safe (once: a database that keeps dropping us
       * is simply down). Lost during COMMIT: it may have committed, and only the caller can tell. */
      if (tx.commit_unknown)
        return hub_status_fixed(HUB_UNAVAILABLE,
                                "the database connection was lost during commit; the outcome is unknown");
      if (reconnected) return st;
      reconnected = true;
      continue;
    }
    if (!pg->retryable) return st;
    if (++attempt < TX_ATTEMPTS) backoff_sleep(pg, attempt - 1);
  }
  hub_logf(HUB_LOG_WARN, "postgresql: transaction still conflicting after %d attempts", TX_ATTEMPTS);
  return st;
}
