/* PostgreSQL for hubd: one connection per worker thread (never shared, so no locks),
 * statements prepared once per connection, one helper for transactions that sets the
 * tenant for row-level security and the statement timeout from the caller's deadline, and
 * the one mapping from SQLSTATE to canonical status codes. Stores use only this. */
#ifndef HUB_DB_PG_H
#define HUB_DB_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "hub/arena.h"
#include "hub/status.h"

typedef struct hub_pg hub_pg;

/* A connection to `conninfo` (URL or key=value). Does not connect yet; the first use does.
 * The caller frees it with hub_pg_free. */
hub_pg *hub_pg_new(const char *conninfo, int64_t connect_timeout_ms);
void hub_pg_free(hub_pg *pg);

/* Connects if needed (at most one attempt per backoff interval: 100 ms doubling to 5 s,
 * reset on success) and runs a trivial query. */
bool hub_pg_ping(hub_pg *pg);

/* A statement declared once, statically, by a store: prepared lazily on each connection
 * the first time it runs there, and again after a reconnect. `name` must be unique. */
typedef struct hub_pg_stmt {
  const char *name;
  const char *sql;
  int n_params;
} hub_pg_stmt;

/* Runs a prepared statement with text parameters (NULL = SQL NULL). On success *out (when
 * out is non-NULL) is the result, which the caller PQclear()s. Failures map through
 * hub_pg_code_for_sqlstate; the message is safe to show a caller (details go to the log). */
hub_status hub_pg_exec(hub_pg *pg, hub_arena *a, const hub_pg_stmt *stmt, const char *const *params,
                       PGresult **out);

/* The body of a transaction. It runs statements with hub_pg_exec and returns a status;
 * anything but OK rolls the transaction back. It may run more than once (see hub_pg_tx), so
 * it must not have effects outside the database. */
typedef hub_status (*hub_pg_tx_fn)(hub_pg *pg, hub_arena *a, void *ud);

/* One transaction: BEGIN; statement_timeout = min(timeout_ms, the connection cap);
 * hub.tenant_id = tenant_id (transaction-local, read by the RLS policies; NULL sets none);
 * fn; COMMIT. A serialization failure or deadlock is retried up to 3 times with a short
 * jittered backoff, then ABORTED. A connection lost before COMMIT was sent is retried once
 * on a fresh connection; lost during COMMIT the outcome is unknown and the answer is
 * UNAVAILABLE (never a silent duplicate). */
hub_status hub_pg_tx(hub_pg *pg, hub_arena *a, const char *tenant_id, int64_t timeout_ms, hub_pg_tx_fn fn,
                     void *ud);

/* The one SQLSTATE -> canonical code mapping:
 *   23505 unique_violation                -> ALREADY_EXISTS
 *   23503/23502/23514/23P01 integrity     -> FAILED_PRECONDITION
 *   22xxx data exception                  -> INVALID_ARGUMENT
 *   40001/40P01 serialization, deadlock   -> ABORTED
 *   57014 query_canceled (statement_timeout) -> DEADLINE_EXCEEDED
 *   08xxx, 57P01-57P03, 53xxx             -> UNAVAILABLE
 *   42501 insufficient_privilege (incl. an RLS WITH CHECK violation) -> PERMISSION_DENIED
 *   anything else                         -> INTERNAL */
hub_code hub_pg_code_for_sqlstate(const char *sqlstate);

#endif
