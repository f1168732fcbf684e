/* PostgreSQL connection, prepared statements, transactions and SQLSTATE mapping
 * (see pg.h). Everything runs on the calling worker's own connection, with libpq's plain
 * blocking calls: a worker has nothing else to do while its query runs. */
#include "hub/clock.h"
#include "pg.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub/blocking.h"
#include "hub/log.h"

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
  int64_t tx_deadline_us; /* while in_tx: statements are not started after this */
  unsigned seed;          /* for the retry jitter (rand_r: no shared state between workers) */
  bool in_tx;             /* between BEGIN and COMMIT/ROLLBACK in hub_pg_tx */
  /* What went wrong in the current hub_pg_tx attempt (sticky: a body that runs on after a
   * failed statement, or maps its status, does not hide it). */
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
static hub_status failure(hub_pg *pg, PGresult *res, const char *what) {
  if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
    hub_logf(HUB_LOG_WARN, "postgresql: connection lost during %s", what);
    pg->lost = true;
    drop_connection(pg);
    pg->next_attempt_us = 0; /* the server was there a moment ago: reconnect at once */
    return hub_status_fixed(HUB_UNAVAILABLE, "the database connection was lost; retry");
  }
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  hub_code code = hub_pg_code_for_sqlstate(state);
  if (code == HUB_ABORTED) pg->retryable = true;
  log_failure(res, what, state, code);
  return hub_status_fixed(code, public_message(code));
}

static bool is_prepared(const hub_pg *pg, const hub_pg_stmt *stmt) {
  for (size_t i = 0; i < pg->n_prepared; i++)
    if (pg->prepared[i] == stmt) return true;
  return false;
}

static hub_status prepare(hub_pg *pg, const hub_pg_stmt *stmt) {
  hub_blocking_begin();
  PGresult *res = PQprepare(pg->conn, stmt->name, stmt->sql, stmt->n_params, NULL);
  hub_blocking_end();
  hub_status st = HUB_STATUS_OK;
  if (PQresultStatus(res) != PGRES_COMMAND_OK) st = failure(pg, res, stmt->name);
  PQclear(res);
  if (!hub_ok(st)) return st;
  if (pg->n_prepared == pg->cap_prepared) {
    pg->cap_prepared = pg->cap_prepared ? pg->cap_prepared * 2 : 32;
    pg->prepared = realloc(pg->prepared, pg->cap_prepared * sizeof *pg->prepared);
    if (!pg->prepared) abort();
  }
  pg->prepared[pg->n_prepared++] = stmt;
  return st;
}

hub_status hub_pg_exec(hub_pg *pg, hub_arena *a, const hub_pg_stmt *stmt, const char *const *params,
                       PGresult **out) {
  (void)a; /* messages are static; kept so a store's signature need not change if that does */
  assert(stmt && stmt->sql && (stmt->n_params == 0 || params));
  if (out) *out = NULL;
  if (pg->in_tx) {
    /* Never reconnect inside a transaction: the statements after it would run in autocommit
     * mode, without the tenant, and half of the transaction would be gone. */
    if (!pg->conn) {
      pg->lost = true;
      return hub_status_fixed(HUB_UNAVAILABLE, "the database connection was lost; retry");
    }
    if (hub_clock_mono_us() >= pg->tx_deadline_us)
      return hub_status_fixed(HUB_DEADLINE_EXCEEDED, "the deadline passed during the transaction");
  } else if (!ensure_connected(pg)) {
    return hub_status_fixed(HUB_UNAVAILABLE, "the database is unavailable; retry later");
  }
  if (stmt->name && !is_prepared(pg, stmt)) {
    hub_status st = prepare(pg, stmt);
    if (!hub_ok(st)) return st;
  }
  hub_blocking_begin();
  PGresult *res = stmt->name ? PQexecPrepared(pg->conn, stmt->name, stmt->n_params, params, NULL, NULL, 0)
                             : PQexecParams(pg->conn, stmt->sql, stmt->n_params, NULL, params, NULL, NULL, 0);
  hub_blocking_end();
  ExecStatusType rs = PQresultStatus(res);
  if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK) {
    if (out) *out = res;
    else PQclear(res);
    return HUB_STATUS_OK;
  }
  hub_status st = failure(pg, res, stmt->name ? stmt->name : "(composed statement)");
  PQclear(res);
  return st;
}

/* Runs a command outside the statement registry (BEGIN/COMMIT/ROLLBACK). A COMMIT of a
 * transaction that had failed answers "ROLLBACK" with no error: callers check the tag. */
static hub_status command(hub_pg *pg, const char *sql, const char **tag) {
  hub_blocking_begin();
  PGresult *res = PQexec(pg->conn, sql);
  hub_blocking_end();
  hub_status st = PQresultStatus(res) == PGRES_COMMAND_OK ? HUB_STATUS_OK : failure(pg, res, sql);
  if (tag) *tag = hub_ok(st) && !strcmp(PQcmdStatus(res), sql) ? sql : "";
  PQclear(res);
  return st;
}

bool hub_pg_ping(hub_pg *pg) {
  if (pg->in_tx || !ensure_connected(pg)) return false;
  hub_blocking_begin();
  PGresult *res = PQexec(pg->conn, "SELECT 1");
  hub_blocking_end();
  bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
  if (!ok) failure(pg, res, "ping");
  PQclear(res);
  return ok;
}

/* All settings in one round trip; `true` makes them transaction-local (SET LOCAL). */
static const hub_pg_stmt tx_settings = {"hub_tx_settings",
                                        "SELECT set_config('statement_timeout', $1, true), "
                                        "set_config('hub.tenant_id', $2, true), set_config('hub.user_id', $3, true)",
                                        3};

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

/* One attempt: BEGIN, settings, fn, COMMIT. Leaves pg->lost / pg->retryable describing a
 * failure; *commit_sent tells whether the outcome may be unknown. */
static hub_status attempt_tx(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *user_id, int64_t limit_ms,
                             hub_pg_tx_fn fn, void *ud, bool *commit_sent) {
  char limit_text[32];
  snprintf(limit_text, sizeof limit_text, "%lld", (long long)limit_ms);
  const char *params[3] = {limit_text, tenant_id ? tenant_id : "", user_id ? user_id : ""};
  *commit_sent = false;
  hub_status st = command(pg, "BEGIN", NULL);
  if (!hub_ok(st)) return st;
  pg->in_tx = true;
  st = hub_pg_exec(pg, a, &tx_settings, params, NULL);
  if (hub_ok(st)) st = fn(pg, a, ud);
  if (hub_ok(st) && (pg->lost || !pg->conn)) /* fn ignored the loss: nothing to commit */
    st = hub_status_fixed(HUB_UNAVAILABLE, "the database connection was lost; retry");
  if (hub_ok(st) && PQtransactionStatus(pg->conn) == PQTRANS_INERROR) {
    /* fn swallowed a failed statement: COMMIT would quietly roll back. Say so instead. */
    hub_logf(HUB_LOG_ERROR, "postgresql: a transaction body returned OK after a failed statement");
    st = hub_status_fixed(HUB_INTERNAL, "internal database error");
  }
  if (hub_ok(st)) {
    const char *tag;
    *commit_sent = true;
    st = command(pg, "COMMIT", &tag);
    pg->in_tx = false;
    if (hub_ok(st) && strcmp(tag, "COMMIT") != 0) st = hub_status_fixed(HUB_INTERNAL, "internal database error");
    return st;
  }
  pg->in_tx = false;
  if (pg->conn) {
    /* A ROLLBACK that fails (connection gone) changes nothing about what this attempt was. */
    bool lost = pg->lost, retry = pg->retryable;
    command(pg, "ROLLBACK", NULL);
    pg->lost = lost;
    pg->retryable = retry;
  }
  return st;
}

hub_status hub_pg_tx(hub_pg *pg, hub_arena *a, const char *tenant_id, int64_t timeout_ms, hub_pg_tx_fn fn,
                     void *ud) {
  return hub_pg_tx_user(pg, a, tenant_id, NULL, timeout_ms, fn, ud);
}

hub_status hub_pg_tx_user(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *user_id, int64_t timeout_ms,
                          hub_pg_tx_fn fn, void *ud) {
  assert(!pg->in_tx && "hub_pg_tx does not nest");
  if (timeout_ms <= 0) return hub_status_fixed(HUB_DEADLINE_EXCEEDED, "the deadline passed before the query");
  int64_t deadline = hub_clock_mono_us() + timeout_ms * 1000;
  hub_status st = HUB_STATUS_OK;
  bool reconnected = false;
  for (int attempt = 0; attempt < TX_ATTEMPTS;) {
    int64_t left_ms = (deadline - hub_clock_mono_us()) / 1000;
    if (left_ms <= 0) return hub_status_fixed(HUB_DEADLINE_EXCEEDED, "the deadline passed before the query");
    if (!ensure_connected(pg)) return hub_status_fixed(HUB_UNAVAILABLE, "the database is unavailable; retry later");
    pg->lost = pg->retryable = false;
    pg->tx_deadline_us = deadline;
    bool commit_sent;
    st = attempt_tx(pg, a, tenant_id, user_id, left_ms < pg->timeout_ms ? left_ms : pg->timeout_ms, fn, ud, &commit_sent);
    if (hub_ok(st)) return st;
    if (pg->lost) {
      /* Lost before COMMIT was sent: the server rolled it back, so running it again on a new
       * connection is safe (once: a database that keeps dropping us is simply down). Lost
       * during COMMIT: it may have committed, and only the caller can tell. */
      if (commit_sent)
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
