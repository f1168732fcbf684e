/* Transactions as a handler writes them: statements are queued, and go out together in one
 * libpq pipeline with BEGIN and the settings (statement_timeout, hub.tenant_id, hub.user_id)
 * in front and COMMIT behind, so a transaction whose statements do not depend on each other's
 * results costs ONE round trip to PostgreSQL. A body that needs a result to decide what comes
 * next flushes (one more round trip) and reads it. Results belong to the arena (nobody
 * PQclear()s), and rows become protobuf-c messages by column name. A handler calls this
 * through hub_call_tx (db/call.h); hub_tx_run with a tenant passed by hand is for the rare
 * global work (sign-up, the SLA sweeper, the seed, tests). */
#ifndef HUB_DB_TX_H
#define HUB_DB_TX_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/pg.h"

typedef struct hub_tx hub_tx;
/* One statement's result, owned by the transaction's arena. Empty (0 rows) until the flush
 * that ran it, and when it did not run (a statement before it failed). */
typedef struct hub_rows hub_rows;

/* The body of a transaction: queues statements (hub_tx_exec), flushes when it needs a result
 * to go on, and returns a status; anything but OK rolls back. It may run more than once (see
 * hub_tx_run), so it must not have effects outside the database. Statements still queued when
 * it returns OK go out with the COMMIT. */
typedef hub_status (*hub_tx_fn)(hub_tx *tx, void *ud);

/* One transaction on `pg`: BEGIN; statement_timeout = min(time left of timeout_ms, the
 * connection's cap, i.e. its connect_timeout_ms); hub.tenant_id = tenant_id and hub.user_id =
 * user_id (transaction-local, read by the RLS policies and hub_current_user(); NULL sets none,
 * so tenant-owned tables show no rows); fn; COMMIT, or ROLLBACK when fn or a statement fails.
 * The deadline covers all attempts: no flush starts after it (DEADLINE_EXCEEDED).
 *   - Serialization failure (40001) or deadlock (40P01), also at COMMIT: rolled back and run
 *     again, up to 3 retries 5/10/20 ms (+-50%) apart, then ABORTED.
 *   - Connection lost before the server began the transaction or before COMMIT went out: the
 *     server has rolled it back, so it runs once more on a new connection; if that fails too,
 *     UNAVAILABLE. Statements after the loss fail (never reconnect into autocommit mode).
 *   - Connection lost while COMMIT was in flight (after the server began the transaction, no
 *     answer to COMMIT): the outcome is unknown; UNAVAILABLE, never run again here.
 *   - fn returning OK after a flush failed: INTERNAL (COMMIT would silently roll back).
 * A body that queues nothing costs nothing. Does not nest. */
hub_status hub_tx_run(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *user_id, int64_t timeout_ms,
                      hub_tx_fn fn, void *ud);

/* An optional text parameter: proto3's unset string ("") or NULL as SQL NULL, the value otherwise. */
static inline const char *hub_sql_opt(const char *s) { return s && *s ? s : NULL; }

/* Queues `stmt` with text parameters (NULL = SQL NULL; copied, so they may live on the stack).
 * Returns its result, filled by the next flush. A statement a store declares is prepared on
 * the connection inside the pipeline the first time it runs there. */
hub_rows *hub_tx_exec(hub_tx *tx, const hub_pg_stmt *stmt, const char *const *params);

/* Sends what is queued (after BEGIN and the settings, when nothing went out yet) and waits
 * once. Returns OK, or the status of the first statement that failed (fixed message per code:
 * SQLSTATE, statement, table and constraint go to the log, never values); the statements after
 * it did not run, and every later flush fails with the same status. */
hub_status hub_tx_flush(hub_tx *tx);

/* hub_tx_exec then hub_tx_flush: one statement whose result the body needs now. */
hub_status hub_tx_query(hub_tx *tx, const hub_pg_stmt *stmt, const char *const *params, hub_rows **out);

hub_arena *hub_tx_arena(hub_tx *tx);

/* ---- results ----
 * A column is read by its name. A column named for a field fills that field ("id", "sla.paused"
 * for a nested message's field, quoted in SQL: AS "sla.paused"); SQL NULL leaves the field at
 * its default (and creates no nested message). By field type:
 *   string          any text (jsonb's text for the *_json fields the protos use)
 *   int32/64, uint  integer text;  bool: boolean;  double/float: numeric text
 *   enum            the stored lower-case text (hub/enum_text.h): 'on_hold' -> STATUS_ON_HOLD
 *   Timestamp       timestamptz (ISO DateStyle, any UTC offset)
 *   repeated string text[] / uuid[]
 * Every column must map to a field (HUB_ASSERT) except those whose name starts with '_', which
 * are the body's own (a cursor for the page token), read with hub_rows_text. */

/* Rows in the result (0 when it did not run). */
int hub_rows_count(const hub_rows *r);

/* Column `column` of row `row` (both must exist: HUB_ASSERT), NULL for SQL NULL. The text
 * lives as long as the arena. */
const char *hub_rows_text(const hub_rows *r, int row, const char *column);
int64_t hub_rows_int(const hub_rows *r, int row, const char *column); /* 0 for NULL */
bool hub_rows_bool(const hub_rows *r, int row, const char *column);   /* false for NULL */

/* Fills `msg` (already initialised) from row `row`, by column name as above. */
void hub_rows_decode(const hub_rows *r, int row, ProtobufCMessage *msg);

/* Row `row` as a new message of type `d` (in the arena); NULL when there is no such row. */
ProtobufCMessage *hub_rows_message(const hub_rows *r, int row, const ProtobufCMessageDescriptor *d);

/* The first min(count, limit) rows (limit < 0: all) as new messages of type `d`, into an arena
 * array *out (never NULL); returns how many. For a repeated field: n_x = hub_rows_messages(...). */
size_t hub_rows_messages(const hub_rows *r, const ProtobufCMessageDescriptor *d, int limit, void ***out);

#endif
