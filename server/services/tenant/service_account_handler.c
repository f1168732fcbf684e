/* Service-account and API-key RPCs of hub.tenant.v1.Tenant. Handlers validate and map; the
 * SQL and the hierarchy checks are in service_account_store.c, the key's shape and cache in
 * identity/apikey.c. A key's secret exists only in CreateApiKey's and RotateApiKey's
 * response; only its SHA-256 is stored. Whatever ends or narrows a key retires its cached
 * grant in Redis after the commit and before the RPC answers, so no hubd accepts the old
 * grant once the caller has the answer. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hub/clock.h"
#include "crypto/random.h"
#include "hub/log.h"
#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/apikey.h"
#include "identity/principal.h"
#include "services/context.h"
#include "services/tenant/convert.h"
#include "services/tenant/tenant.h"
#include "services/tenant/service_account_store.h"

#define MAX_SCOPES 32
#define MAX_ROTATION_OVERLAP_S (30 * 86400)

static void copy_account(Hub__Tenant__V1__ServiceAccount *dst, const Hub__Tenant__V1__ServiceAccount *src) {
  ProtobufCMessage base = dst->base;
  *dst = *src;
  dst->base = base;
}


static const char *micros_of(hub_arena *a, const Google__Protobuf__Timestamp *ts) {
  return hub_arena_sprintf(a, "%lld", (long long)ts->seconds * 1000000 + ts->nanos / 1000);
}

static hub_status check_name(hub_arena *a, const char *field, const char *name, size_t max, bool required) {
  if (required && !*name) return hub_status_invalid(a, field, "required");
  if (!tenant_text_ok(name, max, false))
    return hub_status_invalid(a, field, "at most %zu bytes of one-line text", max);
  return HUB_STATUS_OK;
}

/* Retires the cached grants of keys that just changed. A failure is UNAVAILABLE: the change
 * stands, and the caller retries (revocation and deletion are safe to repeat) until no hubd
 * can accept the old grant. */
static hub_status retire(hub_call *call, char *const *prefixes, size_t n) {
  hub_ctx *ctx = hub_ctx_of(call);
  hub_arena *a = hub_call_arena(call);
  for (size_t i = 0; i < n; i++) {
    hub_status st = hub_apikey_invalidate(ctx->redis, a, prefixes[i]);
    if (!hub_ok(st)) st = hub_apikey_invalidate(ctx->redis, a, prefixes[i]);
    if (!hub_ok(st)) {
      hub_logf(HUB_LOG_ERROR, "tenant: could not retire the cached grant of API key %s: %s", prefixes[i], st.message);
      return hub_status_new(a, HUB_UNAVAILABLE, "the change is saved but could not reach every server yet; retry");
    }
  }
  return HUB_STATUS_OK;
}

/* ---- accounts ---- */

hub_status hub_tenant_v1_tenant_create_service_account(hub_call *call,
                                                       const Hub__Tenant__V1__CreateServiceAccountRequest *request,
                                                       Hub__Tenant__V1__ServiceAccount *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  hub_status st = check_name(a, "name", request->name, 100, true);
  if (hub_ok(st)) st = check_name(a, "description", request->description, 500, false);
  if (hub_ok(st)) st = tenant_rule_role(a, p->acl.role, "role", request->role);
  if (hub_ok(st)) st = tenant_check_brands(call, "brands", request->brands, request->n_brands);
  if (hub_ok(st)) st = tenant_rule_grants(a, &p->acl, "permissions", request->permissions, request->n_permissions);
  if (!hub_ok(st)) return st;
  tenant_sa_new in = {.tenant_id = p->tenant_id,
                      .actor_id = p->user_id,
                      .ip = p->ip,
                      .name = request->name,
                      .description = request->description,
                      .role = request->role,
                      .brands = hub_pg_array_literal(a, request->brands, request->n_brands),
                      .permissions = hub_pg_array_literal(a, request->permissions, request->n_permissions)};
  Hub__Tenant__V1__ServiceAccount *out;
  st = tenant_sa_create(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), &in, &out);
  if (hub_ok(st)) copy_account(response, out);
  return st;
}

hub_status hub_tenant_v1_tenant_list_service_accounts(hub_call *call,
                                                      const Hub__Tenant__V1__ListServiceAccountsRequest *request,
                                                      Hub__Tenant__V1__ListServiceAccountsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *after = NULL, *rest = NULL;
  if (request->page_token[0] &&
      (!hub_page_token_parse(a, request->page_token, &after, &rest) || !(after = (char *)hub_uuid_lower(a, after))))
    return hub_status_invalid(a, "page_token", "not a page token of this list");
  bool more = false;
  st = tenant_sa_list(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), hub_principal_of(call)->tenant_id, limit,
                      after, response, &more);
  if (!hub_ok(st)) return st;
  response->page = hub_arena_alloc(a, sizeof *response->page);
  hub__api__v1__page_info__init(response->page);
  if (more && response->n_service_accounts)
    response->page->next_page_token =
        hub_page_token(a, response->service_accounts[response->n_service_accounts - 1]->id, "");
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_get_service_account(hub_call *call,
                                                    const Hub__Tenant__V1__GetServiceAccountRequest *request,
                                                    Hub__Tenant__V1__ServiceAccount *response) {
  hub_arena *a = hub_call_arena(call);
  const char *id = hub_uuid_lower(a, request->service_account_id);
  if (!id) return hub_status_invalid(a, "service_account_id", "not a service account id");
  Hub__Tenant__V1__ServiceAccount *out;
  hub_status st = hub_status_at_field(
      a,
      tenant_sa_get(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), hub_principal_of(call)->tenant_id, id, &out),
      "service_account_id");
  if (hub_ok(st)) copy_account(response, out);
  return st;
}

hub_status hub_tenant_v1_tenant_update_service_account(hub_call *call,
                                                       const Hub__Tenant__V1__UpdateServiceAccountRequest *request,
                                                       Hub__Tenant__V1__ServiceAccount *response) {
  static const char *const paths[] = {"name", "description", "role", "brands", "permissions", "disabled", NULL};
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  tenant_sa_change c = {.tenant_id = p->tenant_id, .actor_id = p->user_id, .ip = p->ip};
  hub_status st = tenant_mask(a, request->update_mask, paths, &c.bits);
  if (hub_ok(st)) st = tenant_etag(a, request->etag, &c.etag);
  if (!hub_ok(st)) return st;
  const Hub__Tenant__V1__ServiceAccount *s = request->service_account;
  if (!s) return hub_status_invalid(a, "service_account", "required");
  if (!(c.id = hub_uuid_lower(a, s->id))) return hub_status_invalid(a, "service_account.id", "not a service account id");
  if ((c.bits & TENANT_SA_NAME) && !hub_ok(st = check_name(a, "service_account.name", s->name, 100, true))) return st;
  if ((c.bits & TENANT_SA_DESCRIPTION) &&
      !hub_ok(st = check_name(a, "service_account.description", s->description, 500, false)))
    return st;
  if ((c.bits & TENANT_SA_ROLE) && !hub_ok(st = tenant_rule_role(a, p->acl.role, "service_account.role", s->role)))
    return st;
  if ((c.bits & TENANT_SA_BRANDS) &&
      !hub_ok(st = tenant_check_brands(call, "service_account.brands", s->brands, s->n_brands)))
    return st;
  if ((c.bits & TENANT_SA_PERMISSIONS) &&
      !hub_ok(st = tenant_rule_grants(a, &p->acl, "service_account.permissions", s->permissions, s->n_permissions)))
    return st;
  c.name = s->name;
  c.description = s->description;
  c.role = s->role;
  c.brands = hub_pg_array_literal(a, s->brands, s->n_brands);
  c.permissions = hub_pg_array_literal(a, s->permissions, s->n_permissions);
  c.disabled = s->disabled;
  Hub__Tenant__V1__ServiceAccount *out;
  tenant_prefixes gone = {0};
  st = hub_status_at_field(a, tenant_sa_update(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), &c, &out, &gone),
                           "service_account.id");
  if (hub_ok(st)) st = retire(call, gone.items, gone.n);
  if (hub_ok(st)) copy_account(response, out);
  return st;
}

hub_status hub_tenant_v1_tenant_delete_service_account(hub_call *call,
                                                       const Hub__Tenant__V1__DeleteServiceAccountRequest *request,
                                                       Hub__Tenant__V1__DeleteServiceAccountResponse *response) {
  (void)response;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  const char *id = hub_uuid_lower(a, request->service_account_id);
  if (!id) return hub_status_invalid(a, "service_account_id", "not a service account id");
  tenant_prefixes gone = {0};
  hub_status st = hub_status_at_field(a,
                                      tenant_sa_delete(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call),
                                                       p->tenant_id, p->user_id, p->ip, id, &gone),
                                      "service_account_id");
  return hub_ok(st) ? retire(call, gone.items, gone.n) : st;
}

/* ---- keys ---- */

/* An expiry in the future (unset: none); *micros NULL for none. */
static hub_status check_expiry(hub_arena *a, const char *field, const Google__Protobuf__Timestamp *ts,
                               int64_t max_ahead_s, const char **micros) {
  *micros = NULL;
  if (!ts) return HUB_STATUS_OK;
  if (ts->seconds <= hub_clock_wall_s()) return hub_status_invalid(a, field, "must be in the future");
  if (max_ahead_s && ts->seconds > hub_clock_wall_s() + max_ahead_s)
    return hub_status_invalid(a, field, "at most %lld days ahead", (long long)(max_ahead_s / 86400));
  if (ts->seconds > 253402300799LL) return hub_status_invalid(a, field, "too far ahead");
  *micros = micros_of(a, ts);
  return HUB_STATUS_OK;
}

static hub_status check_scopes(hub_arena *a, char **scopes, size_t n) {
  hub_status st = tenant_check_list(a, "scopes", scopes, n, MAX_SCOPES, tenant_permission_ok);
  for (size_t i = 0; i < n && hub_ok(st); i++)
    if (strncmp(scopes[i], "platform.", 9) == 0)
      st = hub_status_invalid(a, hub_arena_sprintf(a, "scopes[%zu]", i), "platform permissions are not for API keys");
  return st;
}

/* Fills a new key's secret parts; the response carries the key, only its hash goes on. */
static hub_status mint(hub_arena *a, tenant_key_new *in, char prefix[HUB_APIKEY_PREFIX_LEN + 1], char **key) {
  if (!hub_apikey_generate(a, key, prefix)) return hub_status_new(a, HUB_INTERNAL, "no randomness available");
  in->prefix = prefix;
  in->hash_hex = hub_sha256_hex(a, *key);
  return HUB_STATUS_OK;
}

static void answer_key(hub_call *call, Hub__Tenant__V1__CreateApiKeyResponse *response, Hub__Tenant__V1__ApiKey *k,
                       char *key) {
  response->api_key = k;
  response->secret = key;
  /* A fresh prefix may sit in the cache as unknown (someone guessed it): forget that. */
  hub_apikey_invalidate(hub_ctx_of(call)->redis, hub_call_arena(call), k->prefix);
}

hub_status hub_tenant_v1_tenant_create_api_key(hub_call *call, const Hub__Tenant__V1__CreateApiKeyRequest *request,
                                               Hub__Tenant__V1__CreateApiKeyResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  tenant_key_new in = {.tenant_id = p->tenant_id, .actor_id = p->user_id, .ip = p->ip, .actor_acl = &p->acl};
  if (!(in.account_id = hub_uuid_lower(a, request->service_account_id)))
    return hub_status_invalid(a, "service_account_id", "not a service account id");
  hub_status st = check_name(a, "name", request->name, 100, false);
  if (hub_ok(st)) st = check_scopes(a, request->scopes, request->n_scopes);
  if (hub_ok(st)) st = check_expiry(a, "expires_at", request->expires_at, 0, &in.expires_micros);
  if (!hub_ok(st)) return st;
  int32_t rate = request->rate_limit_per_minute ? request->rate_limit_per_minute : HUB_APIKEY_DEFAULT_RATE;
  if (rate < 1 || rate > 1000000) return hub_status_invalid(a, "rate_limit_per_minute", "1 to 1000000, or 0 for 600");
  in.rate_per_min = hub_arena_sprintf(a, "%d", rate);
  in.name = request->name;
  in.scopes = request->scopes;
  in.n_scopes = request->n_scopes;
  Hub__Tenant__V1__ApiKey *k = NULL;
  char prefix[HUB_APIKEY_PREFIX_LEN + 1], *key = NULL;
  /* A prefix already taken (one chance in 36^8 per key) gets one more draw. */
  for (int attempt = 0; attempt < 2; attempt++) {
    st = mint(a, &in, prefix, &key);
    if (hub_ok(st)) st = tenant_key_create(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), &in, &k);
    if (st.code != HUB_ALREADY_EXISTS) break;
  }
  if (!hub_ok(st)) return hub_status_at_field(a, st, "service_account_id");
  answer_key(call, response, k, key);
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_list_api_keys(hub_call *call, const Hub__Tenant__V1__ListApiKeysRequest *request,
                                              Hub__Tenant__V1__ListApiKeysResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const char *id = hub_uuid_lower(a, request->service_account_id);
  if (!id) return hub_status_invalid(a, "service_account_id", "not a service account id");
  const char *tenant_id = hub_principal_of(call)->tenant_id;
  return hub_status_at_field(
      a, tenant_key_list(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), tenant_id, id, response),
      "service_account_id");
}

/* The store's rotation: tenant keys (tenant_key_rotate) or platform keys (tenant_pkey_rotate). */
typedef hub_status (*rotate_store_fn)(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *key_id,
                                      const char *old_expires_micros, const tenant_key_new *in,
                                      Hub__Tenant__V1__ApiKey **out, char **old_prefix);

/* RotateApiKey and RotatePlatformApiKey: one body, the store decides the scope. */
static hub_status rotate_key(hub_call *call, tenant_key_new in, const char *requested_key_id,
                             const Google__Protobuf__Timestamp *old_key_expires_at,
                             const Google__Protobuf__Timestamp *expires_at, rotate_store_fn rotate,
                             Hub__Tenant__V1__CreateApiKeyResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const char *key_id = hub_uuid_lower(a, requested_key_id), *old_until = NULL;
  if (!key_id) return hub_status_invalid(a, "key_id", "not an API key id");
  hub_status st = check_expiry(a, "old_key_expires_at", old_key_expires_at, MAX_ROTATION_OVERLAP_S, &old_until);
  if (hub_ok(st)) st = check_expiry(a, "expires_at", expires_at, 0, &in.expires_micros);
  if (!hub_ok(st)) return st;
  Hub__Tenant__V1__ApiKey *k = NULL;
  char prefix[HUB_APIKEY_PREFIX_LEN + 1], *key = NULL, *old_prefix = NULL;
  for (int attempt = 0; attempt < 2; attempt++) {
    st = mint(a, &in, prefix, &key);
    if (hub_ok(st))
      st = rotate(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), key_id, old_until, &in, &k, &old_prefix);
    if (st.code != HUB_ALREADY_EXISTS) break;
  }
  if (!hub_ok(st)) return hub_status_at_field(a, st, "key_id");
  /* The new secret cannot be shown again, so it is answered even if the old key's cached
   * grant could not be retired now (its entry then ends within five minutes). */
  hub_status rt = retire(call, &old_prefix, 1);
  if (!hub_ok(rt)) hub_logf(HUB_LOG_ERROR, "tenant: rotated API key %s keeps its old expiry in the cache", old_prefix);
  answer_key(call, response, k, key);
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_rotate_api_key(hub_call *call, const Hub__Tenant__V1__RotateApiKeyRequest *request,
                                               Hub__Tenant__V1__CreateApiKeyResponse *response) {
  const hub_principal *p = hub_principal_of(call);
  tenant_key_new in = {
      .tenant_id = p->tenant_id, .actor_id = p->user_id, .ip = p->ip, .actor_acl = &p->acl, .name = ""};
  return rotate_key(call, in, request->key_id, request->old_key_expires_at, request->expires_at, tenant_key_rotate,
                    response);
}

hub_status hub_tenant_v1_tenant_revoke_api_key(hub_call *call, const Hub__Tenant__V1__RevokeApiKeyRequest *request,
                                               Hub__Tenant__V1__RevokeApiKeyResponse *response) {
  (void)response;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  const char *key_id = hub_uuid_lower(a, request->key_id);
  if (!key_id) return hub_status_invalid(a, "key_id", "not an API key id");
  char *prefix = NULL;
  hub_status st = tenant_key_revoke(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), p->tenant_id, p->user_id,
                                    p->ip, key_id, &prefix);
  st = hub_status_at_field(a, st, "key_id");
  return hub_ok(st) ? retire(call, &prefix, 1) : st;
}

/* ---- platform service accounts: the same shapes, no tenant, platform administrators ---- */

hub_status hub_tenant_v1_tenant_create_platform_service_account(
    hub_call *call, const Hub__Tenant__V1__CreatePlatformServiceAccountRequest *request,
    Hub__Tenant__V1__ServiceAccount *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  hub_status st = check_name(a, "name", request->name, 100, true);
  if (hub_ok(st)) st = check_name(a, "description", request->description, 500, false);
  if (!hub_ok(st)) return st;
  Hub__Tenant__V1__ServiceAccount *out;
  st = tenant_psa_create(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), p->user_id, p->ip, request->name,
                         request->description, &out);
  if (hub_ok(st)) copy_account(response, out);
  return st;
}

hub_status hub_tenant_v1_tenant_list_platform_service_accounts(
    hub_call *call, const Hub__Tenant__V1__ListPlatformServiceAccountsRequest *request,
    Hub__Tenant__V1__ListServiceAccountsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *after = NULL, *rest = NULL;
  if (request->page_token[0] &&
      (!hub_page_token_parse(a, request->page_token, &after, &rest) || !(after = (char *)hub_uuid_lower(a, after))))
    return hub_status_invalid(a, "page_token", "not a page token of this list");
  bool more = false;
  st = tenant_psa_list(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), limit, after, response, &more);
  if (!hub_ok(st)) return st;
  response->page = hub_arena_alloc(a, sizeof *response->page);
  hub__api__v1__page_info__init(response->page);
  if (more && response->n_service_accounts)
    response->page->next_page_token =
        hub_page_token(a, response->service_accounts[response->n_service_accounts - 1]->id, "");
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_delete_platform_service_account(
    hub_call *call, const Hub__Tenant__V1__DeletePlatformServiceAccountRequest *request,
    Hub__Tenant__V1__DeleteServiceAccountResponse *response) {
  (void)response;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  const char *id = hub_uuid_lower(a, request->service_account_id);
  if (!id) return hub_status_invalid(a, "service_account_id", "not a service account id");
  tenant_prefixes gone = {0};
  hub_status st = tenant_psa_delete(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), p->user_id, p->ip, id, &gone);
  st = hub_status_at_field(a, st, "service_account_id");
  return hub_ok(st) ? retire(call, gone.items, gone.n) : st;
}

hub_status hub_tenant_v1_tenant_create_platform_api_key(hub_call *call,
                                                        const Hub__Tenant__V1__CreatePlatformApiKeyRequest *request,
                                                        Hub__Tenant__V1__CreateApiKeyResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  tenant_key_new in = {.actor_id = p->user_id, .ip = p->ip, .actor_acl = &p->acl};
  if (!(in.account_id = hub_uuid_lower(a, request->service_account_id)))
    return hub_status_invalid(a, "service_account_id", "not a service account id");
  hub_status st = check_name(a, "name", request->name, 100, false);
  if (hub_ok(st)) st = check_expiry(a, "expires_at", request->expires_at, 0, &in.expires_micros);
  if (!hub_ok(st)) return st;
  int32_t rate = request->rate_limit_per_minute ? request->rate_limit_per_minute : HUB_APIKEY_DEFAULT_RATE;
  if (rate < 1 || rate > 1000000) return hub_status_invalid(a, "rate_limit_per_minute", "1 to 1000000, or 0 for 600");
  in.rate_per_min = hub_arena_sprintf(a, "%d", rate);
  in.name = request->name;
  Hub__Tenant__V1__ApiKey *k = NULL;
  char prefix[HUB_APIKEY_PREFIX_LEN + 1], *key = NULL;
  for (int attempt = 0; attempt < 2; attempt++) {
    st = mint(a, &in, prefix, &key);
    if (hub_ok(st)) st = tenant_pkey_create(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), &in, &k);
    if (st.code != HUB_ALREADY_EXISTS) break;
  }
  if (!hub_ok(st)) return hub_status_at_field(a, st, "service_account_id");
  answer_key(call, response, k, key);
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_list_platform_api_keys(hub_call *call,
                                                       const Hub__Tenant__V1__ListPlatformApiKeysRequest *request,
                                                       Hub__Tenant__V1__ListApiKeysResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const char *id = hub_uuid_lower(a, request->service_account_id);
  if (!id) return hub_status_invalid(a, "service_account_id", "not a service account id");
  return hub_status_at_field(a, tenant_pkey_list(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), id, response),
                             "service_account_id");
}

hub_status hub_tenant_v1_tenant_rotate_platform_api_key(hub_call *call,
                                                        const Hub__Tenant__V1__RotatePlatformApiKeyRequest *request,
                                                        Hub__Tenant__V1__CreateApiKeyResponse *response) {
  const hub_principal *p = hub_principal_of(call);
  tenant_key_new in = {.actor_id = p->user_id, .ip = p->ip, .actor_acl = &p->acl, .name = ""};
  return rotate_key(call, in, request->key_id, request->old_key_expires_at, request->expires_at,
                    tenant_pkey_rotate, response);
}

hub_status hub_tenant_v1_tenant_revoke_platform_api_key(hub_call *call,
                                                        const Hub__Tenant__V1__RevokePlatformApiKeyRequest *request,
                                                        Hub__Tenant__V1__RevokeApiKeyResponse *response) {
  (void)response;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  const char *key_id = hub_uuid_lower(a, request->key_id);
  if (!key_id) return hub_status_invalid(a, "key_id", "not an API key id");
  char *prefix = NULL;
  hub_status st =
      tenant_pkey_revoke(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), p->user_id, p->ip, key_id, &prefix);
  st = hub_status_at_field(a, st, "key_id");
  return hub_ok(st) ? retire(call, &prefix, 1) : st;
}
