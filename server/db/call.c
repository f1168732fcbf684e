/* See call.h. Kept out of hub_db proper so the connection layer knows no call or principal. */
#include "db/call.h"

#include "hub/assert.h"
#include "hub/method.h"
#include "identity/principal.h"
#include "services/context.h"


hub_status hub_call_tx(hub_call *call, hub_tx_fn fn, void *ud) {
  const hub_principal *p = hub_principal_of(call);
  /* The access chain sets the principal before any handler of an RPC that declares a
   * permission runs; without it this transaction would run in no tenant and see nothing. */
  HUB_ASSERT(p || !hub_call_method(call)->access.permission);
  return hub_tx_run(hub_ctx_of(call)->pg, hub_call_arena(call), p ? hub_sql_opt(p->tenant_id) : NULL,
                    p ? hub_sql_opt(p->user_id) : NULL, hub_call_remaining_ms(call), fn, ud);
}

hub_status hub_call_tx_as(hub_call *call, const char *tenant_id, const char *user_id, hub_tx_fn fn, void *ud) {
  return hub_tx_run(hub_ctx_of(call)->pg, hub_call_arena(call), hub_sql_opt(tenant_id), hub_sql_opt(user_id),
                    hub_call_remaining_ms(call), fn, ud);
}

typedef struct one {
  const hub_pg_stmt *stmt;
  const char *const *params;
  hub_rows **out;
} one;

static hub_status one_fn(hub_tx *tx, void *ud) {
  one *o = ud;
  *o->out = hub_tx_exec(tx, o->stmt, o->params);
  return HUB_STATUS_OK;
}

hub_status hub_call_query(hub_call *call, const hub_pg_stmt *stmt, const char *const *params, hub_rows **out) {
  one o = {stmt, params, out};
  return hub_call_tx(call, one_fn, &o);
}
