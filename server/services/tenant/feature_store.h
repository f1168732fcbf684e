/* SQL of feature flags: the effective value of each flag for a tenant on a brand is the
 * tenant's override, else the brand's (brands.features), else the tenant tier's default. */
#ifndef HUB_TENANT_FEATURE_STORE_H
#define HUB_TENANT_FEATURE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/pg.h"

typedef struct tenant_flag {
  char *name;
  bool enabled;
} tenant_flag;

/* Every flag any layer names, sorted by name. */
hub_status tenant_features_effective(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id,
                                     const char *brand, tenant_flag **flags, size_t *n);

/* Sets (or, with clear, removes) the tenant's override; audits feature.set. */
hub_status tenant_features_set(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id,
                               const char *actor_id, const char *ip, const char *flag, bool enabled, bool clear);

#endif
