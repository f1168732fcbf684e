/* Brand context: the brand a call acts for is x-brand (which must exist), else the brand
 * serving the x-forwarded-host a BFF or proxy passes on, else the session's. Whether the caller
 * may use it in the tenant (entitled, and on the member's brand list) is the permission step's
 * check (permission.c). */
#include <stdio.h>
#include <string.h>

#include "identity/brands.h"
#include "middleware/access.h"
#include "services/context.h"

hub_status hub_resolve_brand(hub_call *call, hub_principal *p) {
  hub_arena *a = hub_call_arena(call);
  const char *brand = hub_call_metadata(call, "x-brand");
  const char *host = hub_call_metadata(call, "x-forwarded-host");
  if (brand && *brand) {
    bool exists = false;
    hub_status st = hub_brands_exists(hub_ctx_of(call)->pg, a, brand, &exists);
    if (!hub_ok(st)) return st;
    if (!exists) return hub_status_invalid(a, "x-brand", "no such brand");
    snprintf(p->brand, sizeof p->brand, "%s", brand);
  } else if (host && *host) {
    char found[32];
    hub_status st = hub_brands_resolve(hub_ctx_of(call)->pg, a, host, found);
    if (st.code == HUB_NOT_FOUND) return hub_status_invalid(a, "x-forwarded-host", "no brand serves this host");
    if (!hub_ok(st)) return st;
    snprintf(p->brand, sizeof p->brand, "%s", found);
  }
  return HUB_STATUS_OK;
}
