/* PostgreSQL connection, prepared statements, transactions and SQLSTATE mapping
 * (see pg.h). Everything runs on the calling worker's own connection. */
#include "pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub/log.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
#define TX_ATTEMPTS 4 /* the first try and 3 retries */

struct hub_pg {
  char *conninfo;
  int64_t timeout_ms; /* connect timeout, and the cap on statement_timeout */
  PGconn *conn;
  const hub_pg_stmt **prepared; /* statements prepared on `conn` */
  size_t n_prepared, cap_prepared;
  int64_t next_attempt_us;
  int64_t backoff_ms;
  bool lost;      /* the connection broke during the last statement */
  bool retryable; /* the last failure was a serialization failure or deadlock */
};

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

hub_pg *hub_pg_new(const char *conninfo, int64_t connect_timeout_ms) {
  hub_pg *pg = calloc(1, sizeof *pg);
  if (!pg) abort();
  pg->conninfo = strdup(conninfo);
  pg->timeout_ms = connect_timeout_ms > 0 ? connect_timeout_ms : 5000;
  return pg;
}

static void drop_connection(hub_pg *pg) {
  if (pg->conn) PQfinish(pg->conn);
  pg->conn = NULL;
  pg->n_prepared = 0;
}

void hub_pg_free(hub_pg *pg) {
  if (!pg) return;
  drop_connection(pg);
  free(pg->prepared);
  free(pg->conninfo);
  free(pg);
}

/* Connects unless connected; honours the backoff so a down database is not hammered. */
static bool ensure_connected(hub_pg *pg) {
  if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK) return true;
  int64_t now = now_us();
  if (now < pg->next_attempt_us) return false;
  drop_connection(pg);
  char timeout[32];
  snprintf(timeout, sizeof timeout, "%lld", (long long)(pg->timeout_ms + 999) / 1000);
  const char *keys[] = {"dbname", "connect_timeout", "application_name", "keepalives", "keepalives_idle", NULL};
  const char *vals[] = {pg->conninfo, timeout, "hubd", "1", "30", NULL};
  pg->conn = PQconnectdbParams(keys, vals, 1);
  if (PQstatus(pg->conn) == CONNECTION_OK) {
    pg->backoff_ms = 0;
    return true;
  }
  /* PQerrorMessage names host and reason, never the password. */
  const char *why = PQerrorMessage(pg->conn);
  char msg[256];
  snprintf(msg, sizeof msg, "%s", why ? why : "unknown error");
  msg[strcspn(msg, "\n")] = '\0';
  hub_logf(HUB_LOG_WARN, "postgresql: cannot connect: %s", msg);
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

/* What a caller is told; the database's own text (which may quote values) only goes to
 * the log. */
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

/* Turns a failed result (or a NULL one) into a status, noting lost connections. */
static hub_status failure(hub_pg *pg, PGresult *res, const char *what) {
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
    pg->lost = true;
    drop_connection(pg);
    pg->next_attempt_us = 0; /* reconnect at once on the next use */
    return hub_status_new(NULL, HUB_UNAVAILABLE, "the database connection was lost; retry");
  }
  hub_code code = hub_pg_code_for_sqlstate(state);
  pg->retryable = code == HUB_ABORTED;
  const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  hub_logf(code == HUB_INTERNAL ? HUB_LOG_ERROR : HUB_LOG_DEBUG, "postgresql: %s in %s (SQLSTATE %s)",
           primary ? primary : "error", what, state ? state : "none");
  return hub_status_new(NULL, code, "%s", public_message(code));
}

static bool is_prepared(const hub_pg *pg, const hub_pg_stmt *stmt) {
  for (size_t i = 0; i < pg->n_prepared; i++)
    if (pg->prepared[i] == stmt) return true;
  return false;
}

static hub_status prepare(hub_pg *pg, const hub_pg_stmt *stmt) {
  PGresult *res = PQprepare(pg->conn, stmt->name, stmt->sql, stmt->n_params, NULL);
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
  (void)a;
  if (out) *out = NULL;
  pg->lost = false;
  pg->retryable = false;
  if (!ensure_connected(pg)) {
    pg->lost = true;
    return hub_status_new(NULL, HUB_UNAVAILABLE, "the database is unavailable; retry later");
  }
  if (!is_prepared(pg, stmt)) {
    hub_status st = prepare(pg, stmt);
    if (!hub_ok(st)) return st;
  }
  PGresult *res = PQexecPrepared(pg->conn, stmt->name, stmt->n_params, params, NULL, NULL, 0);
  ExecStatusType rs = PQresultStatus(res);
  if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK) {
    if (out) *out = res;
    else PQclear(res);
    return HUB_STATUS_OK;
  }
  hub_status st = failure(pg, res, stmt->name);
  PQclear(res);
  return st;
}

/* Runs a command outside the statement registry (BEGIN/COMMIT/ROLLBACK). */
static hub_status command(hub_pg *pg, const char *sql) {
  PGresult *res = PQexec(pg->conn, sql);
  hub_status st = PQresultStatus(res) == PGRES_COMMAND_OK ? HUB_STATUS_OK : failure(pg, res, sql);
  PQclear(res);
  return st;
}

bool hub_pg_ping(hub_pg *pg) {
  if (!ensure_connected(pg)) return false;
  PGresult *res = PQexec(pg->conn, "SELECT 1");
  bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
  if (!ok) failure(pg, res, "ping");
  PQclear(res);
  return ok;
}

static const hub_pg_stmt tx_settings = {
    "hub_tx_settings",
    "SELECT set_config('statement_timeout', $1, true), set_config('hub.tenant_id', $2, true)", 2};

static void backoff_sleep(int attempt) {
  /* 5, 10, 20 ms, each +-50%: enough for the conflicting transaction to finish. */
  int64_t base = 5000 << attempt;
  int64_t us = base / 2 + rand() % (int)base;
  struct timespec ts = {0, (long)us * 1000};
  nanosleep(&ts, NULL);
}

hub_status hub_pg_tx(hub_pg *pg, hub_arena *a, const char *tenant_id, int64_t timeout_ms, hub_pg_tx_fn fn,
                     void *ud) {
  if (timeout_ms <= 0) return hub_status_new(NULL, HUB_DEADLINE_EXCEEDED, "the deadline passed before the query");
  int64_t limit = timeout_ms < pg->timeout_ms ? timeout_ms : pg->timeout_ms;
  char limit_text[32];
  snprintf(limit_text, sizeof limit_text, "%lld", (long long)limit);
  const char *params[2] = {limit_text, tenant_id ? tenant_id : ""};
  hub_status st = HUB_STATUS_OK;
  for (int attempt = 0; attempt < TX_ATTEMPTS; attempt++) {
    if (!ensure_connected(pg)) return hub_status_new(NULL, HUB_UNAVAILABLE, "the database is unavailable; retry later");
    pg->lost = pg->retryable = false;
    st = command(pg, "BEGIN");
    if (hub_ok(st)) st = hub_pg_exec(pg, a, &tx_settings, params, NULL);
    if (hub_ok(st)) st = fn(pg, a, ud);
    if (hub_ok(st)) {
      st = command(pg, "COMMIT");
      if (hub_ok(st)) return st;
      if (pg->lost) /* COMMIT was sent: it may or may not have happened */
        return hub_status_new(NULL, HUB_UNAVAILABLE, "the database connection was lost during commit; the outcome is unknown");
    } else if (!pg->lost) {
      bool retry = pg->retryable;
      command(pg, "ROLLBACK");
      pg->retryable = retry;
    }
    /* Nothing was committed: a lost connection is retried once, a conflict three times. */
    if (pg->lost && attempt == 0) continue;
    if (!pg->retryable || attempt + 1 == TX_ATTEMPTS) break;
    backoff_sleep(attempt);
  }
  return st;
}
