/* GetMyAccess: the caller's access matrix in every live tenant they belong to, built from
 * four statements (access_store.c) and shaped by access_matrix.c. */
#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/principal.h"
#include "services/context.h"
#include "services/tenant/access_matrix.h"
#include "services/tenant/access_store.h"

hub_status hub_tenant_v1_tenant_get_my_access(hub_call *call, const Hub__Tenant__V1__GetMyAccessRequest *request,
                                              Hub__Tenant__V1__GetMyAccessResponse *response) {
  (void)request;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  tenant_access acc;
  hub_status st = tenant_access_load(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), p->user_id, &acc);
  if (!hub_ok(st)) return st;
  response->user_id = (char *)p->user_id;
  response->platform_admin = acc.platform_admin;
  response->n_tenants = 0;
  response->tenants = hub_arena_calloc(a, acc.n_tenants + 1, sizeof *response->tenants);
  for (size_t i = 0; i < acc.n_tenants; i++) {
    const tenant_access_tenant *t = &acc.tenants[i];
    Hub__Tenant__V1__TenantAccess *ta = hub_arena_alloc(a, sizeof *ta);
    hub__tenant__v1__tenant_access__init(ta);
    ta->tenant_id = t->tenant_id;
    ta->tenant_name = t->name;
    ta->role = t->role;
    tenant_access_brands(a, t, ta);
    response->tenants[response->n_tenants++] = ta;
  }
  return HUB_STATUS_OK;
}
