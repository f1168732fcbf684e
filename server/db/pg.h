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
 * reset on success; after a connection breaks the first attempt is immediate) and runs a
 * trivial query. The connection sets application_name=hubd, connect_timeout and TCP
 * keepalives over whatever conninfo says. */
bool hub_pg_ping(hub_pg *pg);

/* A statement declared once, statically, by a store: prepared lazily on each connection
 * the first time it runs there, and again after a reconnect. `name` must be unique. */
/* A statement with name NULL is composed at run time (a List with optional filters): it is
 * sent with its parameters but not prepared, so each combination gets a plan of its own. Its
 * SQL must still be built only from fixed fragments; values travel as parameters. */
typedef struct hub_pg_stmt {
  const char *name;
  const char *sql;
  int n_params;
} hub_pg_stmt;

/* Runs a prepared statement with text parameters (NULL = SQL NULL). On success *out (when
 * out is non-NULL) is the result, which the caller PQclear()s; on failure *out is NULL.
 * Failures map through hub_pg_code_for_sqlstate; the message is fixed per code and safe to
 * show a caller (SQLSTATE, statement, table and constraint go to the log, never values).
 * Outside hub_pg_tx it runs in autocommit mode with no tenant set. */
hub_status hub_pg_exec(hub_pg *pg, hub_arena *a, const hub_pg_stmt *stmt, const char *const *params,
                       PGresult **out);

/* The body of a transaction. It runs statements with hub_pg_exec and returns a status;
 * anything but OK rolls the transaction back. It may run more than once (see hub_pg_tx), so
 * it must not have effects outside the database, and should return the first failed
 * statement's status as it is. */
typedef hub_status (*hub_pg_tx_fn)(hub_pg *pg, hub_arena *a, void *ud);

/* One transaction: BEGIN; statement_timeout = min(time left of timeout_ms, the connection's
 * cap, i.e. its connect_timeout_ms); hub.tenant_id = tenant_id (transaction-local, read by the
 * RLS policies; NULL sets none, so tenant-owned tables show no rows); fn; COMMIT, or ROLLBACK
 * when fn fails. The deadline covers all attempts: no statement starts after it
 * (DEADLINE_EXCEEDED).
 *   - Serialization failure (40001) or deadlock (40P01), also at COMMIT: rolled back and run
 *     again, up to 3 retries 5/10/20 ms (+-50%) apart, then ABORTED.
 *   - Connection lost before COMMIT was sent: the server has rolled it back, so it runs once
 *     more on a new connection; if that fails too, UNAVAILABLE. Inside fn, statements after
 *     the loss fail (never reconnect into autocommit mode).
 *   - Connection lost while COMMIT was in flight: the outcome is unknown; UNAVAILABLE, never
 *     run again here.
 *   - fn returning OK after one of its statements failed: INTERNAL (COMMIT would silently
 *     roll back).
 * Does not nest. The caller frees nothing; PGresults fn gets are fn's to PQclear. */
hub_status hub_pg_tx(hub_pg *pg, hub_arena *a, const char *tenant_id, int64_t timeout_ms, hub_pg_tx_fn fn,
                     void *ud);

/* hub_pg_tx that also sets the transaction-local hub.user_id (read by hub_current_user()),
 * so policies can show a signed-in user their own rows in every tenant (their memberships)
 * while tenant-owned data stays behind hub.tenant_id. NULL sets none. */
hub_status hub_pg_tx_user(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *user_id, int64_t timeout_ms,
                          hub_pg_tx_fn fn, void *ud);

/* The one SQLSTATE -> canonical code mapping:
 *   23505 unique_violation                -> ALREADY_EXISTS
 *   23503/23502/23514/23P01 integrity     -> FAILED_PRECONDITION
 *   22xxx data exception                  -> INVALID_ARGUMENT
 *   40001/40P01 serialization, deadlock   -> ABORTED
 *   57014 query_canceled (statement_timeout) -> DEADLINE_EXCEEDED
 *   08xxx, 57P01-57P03, 53xxx             -> UNAVAILABLE
 *   42501 insufficient_privilege (incl. an RLS WITH CHECK violation) -> PERMISSION_DENIED
 *   anything else                         -> INTERNAL
 * Why: integrity violations mean the request was well-formed but the stored data forbids it
 * (handlers validate values before SQL, so a CHECK that fires is about state); 22xxx means a
 * value PostgreSQL could not take at all. A read of another tenant's row simply finds nothing
 * under RLS (stores answer NOT_FOUND); a *write* that fails WITH CHECK is a bug or an attack,
 * so it is PERMISSION_DENIED, not disguised. */
hub_code hub_pg_code_for_sqlstate(const char *sqlstate);

#endif
