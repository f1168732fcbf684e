/* The permission check: the RPC's declared permission ("domain.resource.verb") against the
 * caller's access snapshot. Platform permissions need a platform administrator and no
 * tenant; every other permission needs a membership of the call's tenant, the call's brand
 * entitled there, the RPC's module (its domain, when it is a business module) enabled on
 * that brand, and a granted pattern. */
#include <stdio.h>
#include <string.h>

#include "middleware/access.h"

hub_status hub_check_permission(hub_call *call, const hub_principal *p, const char *permission) {
  hub_arena *a = hub_call_arena(call);
  if (strncmp(permission, "platform.", 9) == 0)
    return p->acl.platform_admin ? HUB_STATUS_OK
                                 : hub_status_new(a, HUB_PERMISSION_DENIED, "this RPC is for platform administrators");
  if (!p->tenant_id[0])
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "no tenant selected: create one or call SwitchTenant");
  if (!p->acl.role[0]) return hub_status_new(a, HUB_PERMISSION_DENIED, "not a member of this tenant");
  const hub_acl_brand *b = hub_acl_find_brand(&p->acl, p->brand);
  if (!b) return hub_status_new(a, HUB_PERMISSION_DENIED, "brand \"%s\" is not available to you in this tenant",
                                  hub_status_quote(a, p->brand));
  char domain[32];
  const char *dot = strchr(permission, '.');
  snprintf(domain, sizeof domain, "%.*s", dot ? (int)(dot - permission) : 0, permission);
  if (hub_acl_is_module(domain) && !hub_acl_brand_has_module(b, domain))
    return hub_status_new(a, HUB_PERMISSION_DENIED, "the %s module is not enabled for this tenant on %s", domain,
                          p->brand);
  if (!hub_acl_grants(&p->acl, permission))
    return hub_status_new(a, HUB_PERMISSION_DENIED, "your role does not grant %s", permission);
  return HUB_STATUS_OK;
}
