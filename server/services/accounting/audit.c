/* The audit row and the outbox event of one change to the books, queued in the change's own
 * transaction so neither exists without the other or without the change. Through api.h (no
 * call) only the outbox event: the calling service audits its own action. */
#include <stdlib.h>

#include <jansson.h>

#include "db/outbox.h"
#include "identity/audit.h"
#include "identity/principal.h"
#include "services/accounting/accounting.h"

/* {"key": value, ...} of the non-NULL pairs, for audit details and outbox payloads. */
static const char *json_pairs(hub_arena *a, const char *const *kv) {
  json_t *o = json_object();
  for (; kv[0]; kv += 2)
    if (kv[1]) json_object_set_new(o, kv[0], json_string(kv[1]));
  char *text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  const char *out = hub_arena_strdup(a, text ? text : "{}");
  free(text);
  return out;
}

void accounting_record(hub_tx *tx, hub_call *call, const char *action, const char *target, const char *const *kv) {
  const char *detail = json_pairs(hub_tx_arena(tx), kv);
  if (call) {
    const hub_principal *p = hub_principal_of(call);
    hub_audit_tenant_write(tx, p->tenant_id, p->user_id, action, target, p->ip, detail);
  }
  hub_outbox_write(tx, HUB_OUTBOX_TENANT, action, target, detail);
}
