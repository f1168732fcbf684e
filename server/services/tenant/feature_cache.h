/* The effective feature flags in Redis: hash hub:features:{<tenant>}, one field per brand
 * ("<computed unix ms>|flag=1,flag=0"), valid for TENANT_FEATURES_TTL_S. A change of the tenant's
 * overrides or tier invalidates the tenant's hash at once; a change of a brand's overrides
 * shows within the TTL.
 *
 * Race: a reader that computed the map from PostgreSQL just before a change committed must
 * not store that old map after the change's invalidation. The hash keeps a generation
 * counter (field "#gen", which no brand id can be) that invalidation increments; a reader
 * stores its map only if the generation is still the one it saw before reading PostgreSQL. */
#ifndef HUB_TENANT_FEATURE_CACHE_H
#define HUB_TENANT_FEATURE_CACHE_H

#include <stdbool.h>

#include "cache/redis.h"
#include "services/tenant/feature_store.h"

#define TENANT_FEATURES_TTL_S 300

/* A hit fills flags/n and returns true. Either way *gen (arena) is the generation to pass
 * to tenant_feature_cache_put. Redis errors count as a miss. */
bool tenant_feature_cache_get(hub_redis *r, hub_arena *a, const char *tenant_id, const char *brand, tenant_flag **flags,
                              size_t *n, char **gen);
/* Stores a map computed after tenant_feature_cache_get returned `gen` (best effort). */
void tenant_feature_cache_put(hub_redis *r, hub_arena *a, const char *tenant_id, const char *brand, const char *gen,
                              const tenant_flag *flags, size_t n);
/* Forgets every brand's map of the tenant; call after the change has committed. */
hub_status tenant_feature_cache_invalidate(hub_redis *r, hub_arena *a, const char *tenant_id);

#endif
