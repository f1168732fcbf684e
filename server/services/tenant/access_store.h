/* SQL of GetMyAccess: everything needed to build the caller's access matrix across all of
 * their tenants in four statements, however many tenants they belong to (no per-tenant
 * round trip). The transaction sets only the user: the members_mine, tenants_mine and
 * entitlements_mine policies show exactly the caller's own rows. */
#ifndef HUB_TENANT_ACCESS_STORE_H
#define HUB_TENANT_ACCESS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/pg.h"

typedef struct tenant_access_brand {
  char *brand;
  char **modules; /* entitled and offered by the brand */
  size_t n_modules;
} tenant_access_brand;

typedef struct tenant_access_tenant {
  char *tenant_id, *name, *role;
  char **perms; /* the role's patterns, then the member's extra grants */
  size_t n_perms;
  tenant_access_brand *brands; /* entitled, narrowed to the member's brand list */
  size_t n_brands;
} tenant_access_tenant;

typedef struct tenant_access {
  bool platform_admin;
  tenant_access_tenant *tenants; /* live tenants, by name */
  size_t n_tenants;
} tenant_access;

hub_status tenant_access_load(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *user_id, tenant_access *out);

#endif
