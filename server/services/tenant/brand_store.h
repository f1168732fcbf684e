/* SQL of brand configuration: the brands table is global (no tenant, no row-level
 * security); only platform administrators reach the writes, through the middleware. */
#ifndef HUB_TENANT_BRAND_STORE_H
#define HUB_TENANT_BRAND_STORE_H

#include <stdint.h>

#include "db/pg.h"
#include "hub/tenant/v1/tenant.pb-c.h"

/* NOT_FOUND when there is no such brand. */
hub_status tenant_brand_get(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *id, Hub__Tenant__V1__Brand **out);
/* Every brand, by id. */
hub_status tenant_brand_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms,
                             Hub__Tenant__V1__ListBrandConfigsResponse *out);

/* Which columns an update writes (bits), with their new values already validated and in
 * SQL form: text[] literals for domains and modules, JSON text for the objects. */
enum {
  TENANT_BRAND_NAME = 1u << 0,
  TENANT_BRAND_DOMAINS = 1u << 1,
  TENANT_BRAND_THEME = 1u << 2,
  TENANT_BRAND_EMAIL = 1u << 3,
  TENANT_BRAND_SEO = 1u << 4,
  TENANT_BRAND_MODULES = 1u << 5,
  TENANT_BRAND_WHITE_LABEL = 1u << 6,
};
typedef struct tenant_brand_update {
  const char *id;
  unsigned bits;
  int64_t etag; /* -1: no check */
  const char *name, *domains, *theme, *email, *seo, *modules, *white_label;
} tenant_brand_update;

/* NOT_FOUND, ABORTED on a stale etag, ALREADY_EXISTS when another brand serves one of the
 * new domains. */
hub_status tenant_brand_update_apply(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_brand_update *u,
                                     Hub__Tenant__V1__Brand **out);

#endif
