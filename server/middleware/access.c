/* The chain (see access.h): public passes; otherwise authn, tenant, and for RPCs that
 * declare a permission, brand and permission. Service accounts pass only RPCs that declare
 * a permission, and are refused Auth's public sign-in RPCs. The principal lives in the
 * call's arena. */
#include "middleware/access.h"

#include <string.h>

hub_status hub_access_check(hub_call *call, void *ud) {
  (void)ud;
  const hub_method_def *m = hub_call_method(call);
  if (m->access.is_public) {
    /* Auth's public RPCs that change something are a person's ways in (sign-up, login,
     * refresh, resets): a caller presenting an API key is a machine, and is told so instead of
     * being served as anonymous. Read-only public RPCs (GetJwks, health, ResolveBrand) stay
     * open to it. */
    if (!m->idempotent && strncmp(m->service, "hub.auth.", 9) == 0 && hub_authn_presents_api_key(call))
      return hub_status_new(hub_call_arena(call), HUB_PERMISSION_DENIED,
                            "%s is for people signing in; a service account cannot call it", m->name);
    return HUB_STATUS_OK;
  }
  hub_principal *p = hub_arena_calloc(hub_call_arena(call), 1, sizeof *p);
  const char *session_acl = NULL;
  hub_status st = hub_authn(call, p, &session_acl);
  if (hub_ok(st) && p->service_account && !m->access.permission)
    st = hub_status_new(hub_call_arena(call), HUB_PERMISSION_DENIED,
                        "%s is for people signing in; a service account cannot call it", m->name);
  if (hub_ok(st)) st = hub_resolve_tenant(call, p, session_acl);
  if (hub_ok(st)) st = hub_resolve_brand(call, p);
  if (hub_ok(st) && m->access.permission) st = hub_check_permission(call, p, m->access.permission);
  if (hub_ok(st)) hub_call_set_principal(call, p);
  return st;
}
