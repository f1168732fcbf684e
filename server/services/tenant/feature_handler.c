/* Feature-flag RPCs: GetFeatures and SetFeatureFlag, in the call's tenant. Reads go through
 * the Redis cache (feature_cache.h); a change invalidates it after its commit. */
#include <string.h>

#include "hub/log.h"
#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/brands.h"
#include "identity/principal.h"
#include "services/context.h"
#include "services/tenant/feature_cache.h"
#include "services/tenant/feature_store.h"
#include "services/tenant/validate.h"

/* The request's brand, else the call's; INVALID_ARGUMENT "brand" when it is no brand. */
static hub_status pick_brand(hub_call *call, const char *requested, const char **out) {
  hub_arena *a = hub_call_arena(call);
  const char *brand = requested && *requested ? requested : hub_principal_of(call)->brand;
  if (!tenant_brand_id_ok(brand)) return hub_status_invalid(a, "brand", "not a brand id");
  bool exists = false;
  hub_status st = hub_brands_exists(hub_ctx_of(call)->pg, a, brand, &exists);
  if (!hub_ok(st)) return st;
  if (!exists) return hub_status_invalid(a, "brand", "no such brand");
  *out = brand;
  return HUB_STATUS_OK;
}

static hub_status effective(hub_call *call, const char *tenant_id, const char *brand,
                            Hub__Tenant__V1__GetFeaturesResponse *response) {
  hub_arena *a = hub_call_arena(call);
  hub_ctx *ctx = hub_ctx_of(call);
  tenant_flag *flags = NULL;
  size_t n = 0;
  char *gen = "";
  if (!tenant_feature_cache_get(ctx->redis, a, tenant_id, brand, &flags, &n, &gen)) {
    hub_status st = tenant_features_effective(ctx->pg, a, hub_call_remaining_ms(call), tenant_id, brand, &flags, &n);
    if (!hub_ok(st)) return st;
    tenant_feature_cache_put(ctx->redis, a, tenant_id, brand, gen, flags, n);
  }
  response->n_features = 0;
  response->features = n ? hub_arena_calloc(a, n, sizeof *response->features) : NULL;
  for (size_t i = 0; i < n; i++) {
    Hub__Tenant__V1__GetFeaturesResponse__FeaturesEntry *e = hub_arena_alloc(a, sizeof *e);
    hub__tenant__v1__get_features_response__features_entry__init(e);
    e->key = flags[i].name;
    e->value = flags[i].enabled;
    response->features[response->n_features++] = e;
  }
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_get_features(hub_call *call, const Hub__Tenant__V1__GetFeaturesRequest *request,
                                             Hub__Tenant__V1__GetFeaturesResponse *response) {
  const char *brand = NULL;
  hub_status st = pick_brand(call, request->brand, &brand);
  if (!hub_ok(st)) return st;
  return effective(call, hub_principal_of(call)->tenant_id, brand, response);
}

hub_status hub_tenant_v1_tenant_set_feature_flag(hub_call *call, const Hub__Tenant__V1__SetFeatureFlagRequest *request,
                                                 Hub__Tenant__V1__GetFeaturesResponse *response) {
  hub_arena *a = hub_call_arena(call);
  hub_ctx *ctx = hub_ctx_of(call);
  const hub_principal *p = hub_principal_of(call);
  if (!tenant_flag_ok(request->flag))
    return hub_status_invalid(a, "flag", "2 to 64 characters: a-z first, then a-z, 0-9, \"_\" or \".\"");
  const char *brand = NULL;
  hub_status st = pick_brand(call, request->brand, &brand);
  if (!hub_ok(st)) return st;
  st = tenant_features_set(ctx->pg, a, hub_call_remaining_ms(call), p->tenant_id, p->user_id, p->ip, request->flag,
                           request->enabled, request->clear);
  if (!hub_ok(st)) return st;
  st = tenant_feature_cache_invalidate(ctx->redis, a, p->tenant_id);
  if (!hub_ok(st)) {
    hub_log_line l;
    hub_log_begin(&l, HUB_LOG_ERROR, "tenant: could not invalidate cached feature flags");
    hub_log_str(&l, "tenant", p->tenant_id);
    hub_log_str(&l, "error", st.message);
    hub_log_end(&l, HUB_LOG_ERROR);
  }
  return effective(call, p->tenant_id, brand, response);
}
