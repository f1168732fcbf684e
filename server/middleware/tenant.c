/* Tenant resolution: the session's tenant and its access snapshot, kept in the session so a
 * warm call needs no query. An empty snapshot (cleared by a role, membership or entitlement
 * change) is rebuilt from PostgreSQL and stored back. x-tenant-id may name another tenant
 * the caller is a member of, for this call only (checked against PostgreSQL). An API key's
 * tenant is its service account's, and no other. */
#include <string.h>

#include "cache/session.h"
#include "crypto/random.h"
#include "hub/uuid.h"
#include "identity/identity.h"
#include "middleware/access.h"
#include "services/context.h"

hub_status hub_resolve_tenant(hub_call *call, hub_principal *p, const char *session_acl) {
  hub_arena *a = hub_call_arena(call);
  hub_ctx *ctx = hub_ctx_of(call);
  const char *want = hub_call_metadata(call, "x-tenant-id");
  if (want && *want) { /* a tenant id in either case names the same tenant */
    const char *lower = hub_uuid_lower(a, want);
    if (!lower) return hub_status_invalid(a, "x-tenant-id", "not a tenant id");
    want = lower;
  }
  if (p->service_account) { /* authn filled the key's access: it acts in its own tenant only */
    if (want && *want && strcmp(want, p->tenant_id) != 0)
      return hub_status_new(a, HUB_PERMISSION_DENIED,
                            "x-tenant-id: an API key acts only in its service account's tenant");
  } else if (want && *want && strcmp(want, p->tenant_id) != 0) {
    hub_status st = hub_acl_load(ctx->pg, a, p->user_id, want, hub_call_remaining_ms(call), &p->acl);
    if (!hub_ok(st)) return st;
    if (!p->acl.role[0]) return hub_status_new(a, HUB_PERMISSION_DENIED, "x-tenant-id: not a member of that tenant");
    strcpy(p->tenant_id, want);
  } else if (!session_acl || !hub_acl_parse(session_acl, &p->acl)) {
    hub_status st = hub_acl_load(ctx->pg, a, p->user_id, p->tenant_id, hub_call_remaining_ms(call), &p->acl);
    if (!hub_ok(st)) return st;
    /* Best effort: if it cannot be stored, the next call rebuilds it again. */
    hub_session_set_acl(ctx->redis, a, p->user_id, p->session_id, p->tenant_id, hub_acl_format(&p->acl, a));
  }
  if (p->tenant_id[0]) hub_call_set_tenant(call, p->tenant_id);
  return HUB_STATUS_OK;
}
