/* PostgreSQL for hubd: one connection per worker thread (never shared, so no locks),
 * statements declared once and prepared on each connection at first use, and the one mapping
 * from SQLSTATE to canonical status codes. Transactions are in db/tx.h (pipelined, results
 * owned by the arena, rows decoded by column name) and, for a handler, db/call.h. */
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
 * SQL must still be built only from fixed fragments; values travel as parameters.
 * Result columns are named for the message fields they fill (see db/tx.h). */
typedef struct hub_pg_stmt {
  const char *name;
  const char *sql;
  int n_params;
} hub_pg_stmt;

/* Waits for the server (round trips: a pipeline's sync, a blocking command) made on this
 * thread so far, over all its connections; the runtime reads it around each call for the
 * call's log line (db_round_trips). */
uint64_t hub_pg_thread_round_trips(void);

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
