/* Access enforcement (see access.h). Until the identity layer lands (authn, tenant, brand,
 * role permissions), no caller can be authenticated, so every non-public RPC is refused
 * with UNAUTHENTICATED: closed by default, never open by omission. */
#include "middleware/access.h"

#include <strings.h>

hub_status hub_access_check(hub_call *call, void *ud) {
  (void)ud;
  const hub_method_def *m = hub_call_method(call);
  if (m->access.is_public) return HUB_STATUS_OK;
  const char *auth = hub_call_metadata(call, "authorization");
  if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
    return hub_status_new(NULL, HUB_UNAUTHENTICATED, "this RPC needs a bearer token in the authorization header");
  return hub_status_new(NULL, HUB_UNAUTHENTICATED, "the bearer token is not valid");
}
