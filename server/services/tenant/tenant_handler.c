/* Tenant RPCs of hub.tenant.v1.Tenant: CreateTenant, GetTenant, ListTenants, UpdateTenant,
 * DeleteTenant and SetEntitlements. Handlers validate and map; SQL is in tenant_store.c.
 * After a change that alters anyone's access, their sessions' snapshots are cleared. */
#include <string.h>

#include "crypto/random.h"
#include "hub/log.h"
#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/acl.h"
#include "identity/brands.h"
#include "identity/principal.h"
#include "services/context.h"
#include "services/tenant/convert.h"
#include "services/tenant/idempotency.h"
#include "services/tenant/refresh.h"
#include "services/tenant/tenant_store.h"
#include "services/tenant/tenant.h"

static void copy_tenant(Hub__Tenant__V1__TenantInfo *dst, const Hub__Tenant__V1__TenantInfo *src) {
  ProtobufCMessage base = dst->base;
  *dst = *src;
  dst->base = base;
}

static bool name_ok(const char *s) {
  if (!s[0] || !tenant_text_ok(s, 200, false)) return false;
  for (const char *p = s; *p; p++)
    if (*p != ' ') return true;
  return false;
}

static hub_status check_brand(hub_call *call, const char *field, const char *brand) {
  hub_arena *a = hub_call_arena(call);
  if (!tenant_brand_id_ok(brand)) return hub_status_invalid(a, field, "not a brand id");
  bool exists = false;
  hub_status st = hub_brands_exists(hub_ctx_of(call)->pg, a, brand, &exists);
  if (hub_ok(st) && !exists) return hub_status_invalid(a, field, "no such brand");
  return st;
}

hub_status hub_tenant_v1_tenant_create_tenant(hub_call *call, const Hub__Tenant__V1__CreateTenantRequest *request,
                                              Hub__Tenant__V1__TenantInfo *response) {
  hub_arena *a = hub_call_arena(call);
  hub_ctx *ctx = hub_ctx_of(call);
  const hub_principal *p = hub_principal_of(call);
  if (!name_ok(request->name)) return hub_status_invalid(a, "name", "1 to 200 bytes of text, one line");
  const char *slug = request->slug;
  if (!slug[0]) {
    slug = tenant_slug_from_name(a, request->name);
    if (!slug) return hub_status_invalid(a, "slug", "cannot be derived from this name; choose one");
  } else if (!tenant_slug_ok(slug)) {
    return hub_status_invalid(a, "slug", "2 to 63 characters: a-z and 0-9, then also \"-\"");
  }
  const char *brand = request->brand[0] ? request->brand : p->brand;
  hub_status st = check_brand(call, "brand", brand);
  if (!hub_ok(st)) return st;
  const char *request_id = NULL;
  if (request->request_id[0] && !(request_id = hub_uuid_lower(a, request->request_id)))
    return hub_status_invalid(a, "request_id", "must be a UUID");

  char id[37];
  if (!hub_uuid_v7(id)) return hub_status_new(a, HUB_INTERNAL, "no randomness available");
  if (request_id) {
    char fresh[37];
    memcpy(fresh, id, sizeof fresh);
    st = tenant_idempotency_reserve(ctx->redis, a, p->user_id, "create_tenant", request_id, fresh, id);
    if (!hub_ok(st)) return st;
  }
  hub_tenant_new in = {id, request->name, slug, brand, p->user_id, p->ip};
  Hub__Tenant__V1__TenantInfo *t;
  st = tenant_create(ctx->pg, a, hub_call_remaining_ms(call), &in, &t);
  if (hub_ok(st)) copy_tenant(response, t);
  return st;
}

hub_status hub_tenant_v1_tenant_get_tenant(hub_call *call, const Hub__Tenant__V1__GetTenantRequest *request,
                                           Hub__Tenant__V1__TenantInfo *response) {
  (void)request;
  hub_arena *a = hub_call_arena(call);
  Hub__Tenant__V1__TenantInfo *t;
  hub_status st =
      tenant_get(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), hub_principal_of(call)->tenant_id, &t);
  if (hub_ok(st)) copy_tenant(response, t);
  return st;
}

hub_status hub_tenant_v1_tenant_list_tenants(hub_call *call, const Hub__Tenant__V1__ListTenantsRequest *request,
                                             Hub__Tenant__V1__ListTenantsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *after_id = NULL, *after_name = NULL;
  if (request->page_token[0] &&
      (!hub_page_token_parse(a, request->page_token, &after_id, &after_name) || !hub_uuid_lower(a, after_id) ||
       !tenant_text_ok(after_name, 1000, true)))
    return hub_status_invalid(a, "page_token", "not a page token of this list");
  bool more = false;
  st = tenant_list(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), hub_principal_of(call)->user_id, limit,
                   after_name, after_id, response, &more);
  if (!hub_ok(st)) return st;
  response->page = hub_arena_alloc(a, sizeof *response->page);
  hub__api__v1__page_info__init(response->page);
  if (more && response->n_tenants) {
    const Hub__Tenant__V1__TenantInfo *last = response->tenants[response->n_tenants - 1]->tenant;
    response->page->next_page_token = hub_page_token(a, last->id, last->name);
  }
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_update_tenant(hub_call *call, const Hub__Tenant__V1__UpdateTenantRequest *request,
                                              Hub__Tenant__V1__TenantInfo *response) {
  static const char *const paths[] = {"name", "slug", NULL};
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  tenant_update u = {.tenant_id = p->tenant_id, .actor_id = p->user_id, .ip = p->ip};
  hub_status st = tenant_mask(a, request->update_mask, paths, &u.bits);
  if (hub_ok(st)) st = tenant_etag(a, request->etag, &u.etag);
  if (!hub_ok(st)) return st;
  const Hub__Tenant__V1__TenantInfo *t = request->tenant;
  if (!t) return hub_status_invalid(a, "tenant", "required");
  if (t->id[0] && strcmp(t->id, p->tenant_id) != 0)
    return hub_status_fixed(HUB_NOT_FOUND, "tenant.id: no such tenant (only the call's tenant can be updated here)");
  if (u.bits & TENANT_NAME) {
    if (!name_ok(t->name)) return hub_status_invalid(a, "tenant.name", "1 to 200 bytes of text, one line");
    u.name = t->name;
  }
  if (u.bits & TENANT_SLUG) {
    if (!tenant_slug_ok(t->slug))
      return hub_status_invalid(a, "tenant.slug", "2 to 63 characters: a-z and 0-9, then also \"-\"");
    u.slug = t->slug;
  }
  Hub__Tenant__V1__TenantInfo *out;
  st = tenant_update_apply(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), &u, &out);
  if (hub_ok(st)) copy_tenant(response, out);
  return st;
}

hub_status hub_tenant_v1_tenant_delete_tenant(hub_call *call, const Hub__Tenant__V1__DeleteTenantRequest *request,
                                              Hub__Tenant__V1__DeleteTenantResponse *response) {
  (void)response;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  if (strcmp(p->acl.role, "owner") != 0) return hub_status_new(a, HUB_PERMISSION_DENIED, "only owners delete a tenant");
  if (!request->confirm_slug[0]) return hub_status_invalid(a, "confirm_slug", "type the tenant's slug to confirm");
  char **members = NULL;
  size_t n = 0;
  hub_status st = tenant_delete(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), p->tenant_id, p->user_id,
                                p->ip, request->confirm_slug, &members, &n);
  if (hub_ok(st)) tenant_refresh_access(call, p->tenant_id, members, n);
  return st;
}

static bool tier_ok(const char *s) { return !strcmp(s, "free") || !strcmp(s, "pro") || !strcmp(s, "enterprise"); }
static bool subscription_ok(const char *s) { return !strcmp(s, "standalone") || !strcmp(s, "branded"); }

hub_status hub_tenant_v1_tenant_set_entitlements(hub_call *call, const Hub__Tenant__V1__SetEntitlementsRequest *request,
                                                 Hub__Tenant__V1__SetEntitlementsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  hub_ctx *ctx = hub_ctx_of(call);
  const hub_principal *p = hub_principal_of(call);
  tenant_entitlements e = {.actor_id = p->user_id, .ip = p->ip, .n = request->n_entitlements};
  if (!(e.tenant_id = hub_uuid_lower(a, request->tenant_id))) return hub_status_invalid(a, "tenant_id", "not a tenant id");
  if (request->tier[0]) {
    if (!tier_ok(request->tier)) return hub_status_invalid(a, "tier", "free, pro or enterprise");
    e.tier = request->tier;
  }
  if (request->subscription_type[0]) {
    if (!subscription_ok(request->subscription_type))
      return hub_status_invalid(a, "subscription_type", "standalone or branded");
    e.subscription_type = request->subscription_type;
  }
  if (e.n > 16) return hub_status_invalid(a, "entitlements", "at most 16 brands");
  e.brands = hub_arena_calloc(a, e.n + 1, sizeof *e.brands);
  e.modules = hub_arena_calloc(a, e.n + 1, sizeof *e.modules);
  for (size_t i = 0; i < e.n; i++) {
    const Hub__Tenant__V1__Entitlement *en = request->entitlements[i];
    char *field = hub_arena_sprintf(a, "entitlements[%zu].brand", i);
    hub_status st = check_brand(call, field, en->brand);
    if (!hub_ok(st)) return st;
    for (size_t k = 0; k < i; k++)
      if (!strcmp(e.brands[k], en->brand)) return hub_status_invalid(a, field, "repeated");
    st = tenant_check_list(a, hub_arena_sprintf(a, "entitlements[%zu].modules", i), en->modules, en->n_modules, 5,
                           hub_acl_is_module);
    if (!hub_ok(st)) return st;
    e.brands[i] = en->brand;
    e.modules[i] = hub_pg_array_literal(a, en->modules, en->n_modules);
  }
  Hub__Tenant__V1__TenantInfo *t;
  char **members = NULL;
  size_t n = 0;
  bool tier_changed = false;
  hub_status st = tenant_set_entitlements(ctx->pg, a, hub_call_remaining_ms(call), &e, &t, &members, &n,
                                          &tier_changed);
  if (!hub_ok(st)) return st;
  tenant_refresh_access(call, e.tenant_id, members, n);
  if (tier_changed && !hub_ok(st = tenant_feature_cache_invalidate(call, e.tenant_id)))
    hub_logf(HUB_LOG_ERROR, "tenant: could not invalidate cached feature flags after a tier change");
  response->tenant = t;
  return HUB_STATUS_OK;
}
