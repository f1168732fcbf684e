/* The data layer as a handler sees it: transactions of the call, in the caller's tenant (and
 * as the caller, hub.user_id), bounded by the call's deadline, on the worker's connection,
 * with results in the call's arena (db/tx.h). Nothing to pass by hand, nothing to free. */
#ifndef HUB_DB_CALL_H
#define HUB_DB_CALL_H

#include "db/tx.h"
#include "runtime/call.h"

/* hub_tx_run for the call: tenant and user from its principal (none on a public RPC), the
 * deadline from the call. Every guarantee of hub_tx_run holds. */
hub_status hub_call_tx(hub_call *call, hub_tx_fn fn, void *ud);

/* hub_tx_run for the call (its arena, connection and deadline) in a tenant and as a user named
 * by hand (NULL for none), for the rare work the principal does not describe: a public RPC
 * acting for the account it just identified (a sign-in, a sign-up's first tenant), or work
 * over a user's tenants one tenant at a time. */
hub_status hub_call_tx_as(hub_call *call, const char *tenant_id, const char *user_id, hub_tx_fn fn, void *ud);

/* A transaction of one statement (one round trip); *out is its result. */
hub_status hub_call_query(hub_call *call, const hub_pg_stmt *stmt, const char *const *params, hub_rows **out);

#endif
