/* The shape of GetMyAccess: per tenant, per brand, the permissions grouped by service (a
 * permission's first part). A wildcard domain ("*.*.*", "*.*.view") stands for each of the
 * brand's modules and "tenant" (tenant administration), so an owner gets, for service
 * "ticket", ["ticket.*.*"]. A module the brand does not enable for the tenant is left out;
 * platform permissions belong to platform_admin, not to a tenant. */
#ifndef HUB_TENANT_ACCESS_MATRIX_H
#define HUB_TENANT_ACCESS_MATRIX_H

#include "hub/tenant/v1/tenant.pb-c.h"
#include "services/tenant/access_store.h"

/* One tenant's BrandAccess list; services and permissions sorted and distinct. */
void tenant_access_brands(hub_arena *a, const tenant_access_tenant *t, Hub__Tenant__V1__TenantAccess *out);

#endif
