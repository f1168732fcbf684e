/* Feature flags: GetFeatures and SetFeatureFlag, in the call's tenant. The effective value of
 * each flag on a brand is the tenant's override, else the brand's (brands.features), else the
 * tenant tier's default, merged in one statement (DISTINCT ON keeps the highest layer per flag;
 * brand keys that are not flag names or not booleans are ignored).
 *
 * Reads go through Redis: hash hub:features:{<tenant>}, one field per brand
 * ("<computed unix ms>|flag=1,flag=0"), valid for FEATURES_TTL_S. A change of the tenant's
 * overrides or tier invalidates the tenant's hash at once (after its commit); a change of a
 * brand's overrides shows within the TTL.
 *
 * Race: a reader that computed the map from PostgreSQL just before a change committed must
 * not store that old map after the change's invalidation. The hash keeps a generation
 * counter (field "#gen", which no brand id can be) that invalidation increments; a reader
 * stores its map only if the generation is still the one it saw before reading PostgreSQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/clock.h"
#include "hub/log.h"
#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/audit.h"
#include "identity/brands.h"
#include "identity/principal.h"
#include "services/context.h"
#include "services/tenant/tenant.h"

#define FEATURES_TTL_S 300

typedef struct flag {
  char *name;
  bool enabled;
} flag;

static const hub_pg_stmt effective_sql = {
    "tenant_features_effective",
    "SELECT DISTINCT ON (flag) flag, enabled FROM ("
    "  SELECT tf.flag, tf.enabled, 1 AS layer FROM tier_features tf JOIN tenants t ON t.tier = tf.tier "
    "   WHERE t.id = $1::uuid"
    "  UNION ALL"
    "  SELECT f.key, f.value = 'true'::jsonb, 2 FROM brands b, jsonb_each(b.features) f"
    "   WHERE b.id = $2 AND jsonb_typeof(f.value) = 'boolean' AND f.key ~ '^[a-z][a-z0-9_.]{1,63}$'"
    "  UNION ALL"
    "  SELECT flag, enabled, 3 FROM tenant_features WHERE tenant_id = $1::uuid"
    ") x ORDER BY flag, layer DESC",
    2};
static const hub_pg_stmt set_sql = {
    "tenant_features_set",
    "INSERT INTO tenant_features (tenant_id, flag, enabled) VALUES ($1::uuid, $2, $3::bool) "
    "ON CONFLICT (tenant_id, flag) DO UPDATE SET enabled = EXCLUDED.enabled",
    3};
static const hub_pg_stmt clear_sql = {
    "tenant_features_clear", "DELETE FROM tenant_features WHERE tenant_id = $1::uuid AND flag = $2", 2};

/* ---- the cache ---- */

static const char put_lua[] =
    "if (redis.call('HGET', KEYS[1], '#gen') or '') ~= ARGV[1] then return 0 end\n"
    "redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[4])\n"
    "return 1\n";

static const char invalidate_lua[] =
    "local g = tonumber(redis.call('HGET', KEYS[1], '#gen') or '0') + 1\n"
    "redis.call('DEL', KEYS[1])\n"
    "redis.call('HSET', KEYS[1], '#gen', g)\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[1])\n"
    "return g\n";

static void key_of(char *key, size_t cap, const char *tenant_id) {
  snprintf(key, cap, "hub:features:{%s}", tenant_id);
}

/* Parses "<ms>|a=1,b=0"; false when malformed or older than the TTL. */
static bool parse(hub_arena *a, const char *v, flag **flags, size_t *n) {
  char *end = NULL;
  long long at = strtoll(v, &end, 10);
  int64_t now = hub_clock_wall_ms();
  if (!end || *end != '|' || now - at > FEATURES_TTL_S * 1000LL || now < at - 60000) return false;
  const char *p = end + 1;
  size_t cap = *p ? 1 : 0;
  for (const char *q = p; *q; q++) cap += *q == ',';
  flag *out = hub_arena_calloc(a, cap + 1, sizeof *out);
  size_t k = 0;
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (len < 3 || p[len - 2] != '=' || (p[len - 1] != '0' && p[len - 1] != '1')) return false;
    out[k].name = hub_arena_strndup(a, p, len - 2);
    out[k].enabled = p[len - 1] == '1';
    k++;
    p += len + (comma ? 1 : 0);
  }
  *flags = out;
  *n = k;
  return true;
}

static bool cache_get(hub_redis *r, hub_arena *a, const char *tenant_id, const char *brand, flag **flags,
                              size_t *n, char **gen) {
  char key[96];
  key_of(key, sizeof key, tenant_id);
  *gen = "";
  const char *argv[] = {"HMGET", key, brand, "#gen"};
  redisReply *reply = NULL;
  if (!hub_ok(hub_redis_command(r, a, 4, argv, NULL, &reply))) return false;
  bool hit = false;
  if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
    if (reply->element[1]->type == REDIS_REPLY_STRING) *gen = hub_arena_strdup(a, reply->element[1]->str);
    if (reply->element[0]->type == REDIS_REPLY_STRING) hit = parse(a, reply->element[0]->str, flags, n);
  }
  freeReplyObject(reply);
  return hit;
}

static void cache_put(hub_redis *r, hub_arena *a, const char *tenant_id, const char *brand, const char *gen,
                              const flag *flags, size_t n) {
  char key[96], ttl[16];
  key_of(key, sizeof key, tenant_id);
  snprintf(ttl, sizeof ttl, "%d", FEATURES_TTL_S);
  size_t cap = 32;
  for (size_t i = 0; i < n; i++) cap += strlen(flags[i].name) + 3;
  char *v = hub_arena_alloc(a, cap);
  size_t len = (size_t)snprintf(v, cap, "%lld|", (long long)hub_clock_wall_ms());
  for (size_t i = 0; i < n; i++)
    len += (size_t)snprintf(v + len, cap - len, "%s%s=%c", i ? "," : "", flags[i].name, flags[i].enabled ? '1' : '0');
  const char *argv[] = {"EVAL", put_lua, "1", key, gen, brand, v, ttl};
  hub_redis_command(r, a, 8, argv, NULL, NULL); /* best effort: a miss recomputes */
}

hub_status tenant_feature_cache_invalidate(hub_call *call, const char *tenant_id) {
  hub_redis *r = hub_ctx_of(call)->redis;
  hub_arena *a = hub_call_arena(call);
  char key[96], ttl[16];
  key_of(key, sizeof key, tenant_id);
  snprintf(ttl, sizeof ttl, "%d", FEATURES_TTL_S);
  const char *argv[] = {"EVAL", invalidate_lua, "1", key, ttl};
  return hub_redis_command(r, a, 5, argv, NULL, NULL);
}

/* ---- the RPCs ---- */

/* The request's brand, else the call's; INVALID_ARGUMENT "brand" when it is no brand. */
static hub_status pick_brand(hub_call *call, const char *requested, const char **out) {
  hub_arena *a = hub_call_arena(call);
  const char *brand = requested && *requested ? requested : hub_principal_of(call)->brand;
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
  hub_redis *redis = hub_ctx_of(call)->redis;
  flag *flags = NULL;
  size_t n = 0;
  char *gen = "";
  if (!cache_get(redis, a, tenant_id, brand, &flags, &n, &gen)) {
    hub_rows *rows;
    hub_status st = hub_call_query(call, &effective_sql, (const char *[]){tenant_id, brand}, &rows);
    if (!hub_ok(st)) return st;
    n = (size_t)hub_rows_count(rows);
    flags = hub_arena_calloc(a, n + 1, sizeof *flags);
    for (size_t i = 0; i < n; i++) {
      flags[i].name = (char *)hub_rows_text(rows, (int)i, "flag");
      flags[i].enabled = hub_rows_bool(rows, (int)i, "enabled");
    }
    cache_put(redis, a, tenant_id, brand, gen, flags, n);
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

typedef struct set_ctx {
  hub_call *call;
  const Hub__Tenant__V1__SetFeatureFlagRequest *request;
} set_ctx;

/* Sets (or, with clear, removes) the tenant's override; audits feature.set. */
static hub_status set_fn(hub_tx *tx, void *ud) {
  set_ctx *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  const Hub__Tenant__V1__SetFeatureFlagRequest *r = c->request;
  hub_arena *a = hub_tx_arena(tx);
  if (r->clear) hub_tx_exec(tx, &clear_sql, (const char *[]){p->tenant_id, r->flag});
  else hub_tx_exec(tx, &set_sql, (const char *[]){p->tenant_id, r->flag, r->enabled ? "true" : "false"});
  const char *value = r->clear ? "cleared" : r->enabled ? "true" : "false";
  hub_audit_tenant_write(tx, p->tenant_id, p->user_id, "feature.set", r->flag, p->ip,
                         tenant_json_object(a, "flag", r->flag, "value", value, NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_set_feature_flag(hub_call *call, const Hub__Tenant__V1__SetFeatureFlagRequest *request,
                                                 Hub__Tenant__V1__GetFeaturesResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  if (!tenant_flag_ok(request->flag))
    return hub_status_invalid(a, "flag", "2 to 64 characters: a-z first, then a-z, 0-9, \"_\" or \".\"");
  const char *brand = NULL;
  hub_status st = pick_brand(call, request->brand, &brand);
  if (!hub_ok(st)) return st;
  set_ctx c = {call, request};
  st = hub_call_tx(call, set_fn, &c);
  if (!hub_ok(st)) return st;
  st = tenant_feature_cache_invalidate(call, p->tenant_id);
  if (!hub_ok(st)) {
    hub_log_line l;
    hub_log_begin(&l, HUB_LOG_ERROR, "tenant: could not invalidate cached feature flags");
    hub_log_str(&l, "tenant", p->tenant_id);
    hub_log_str(&l, "error", st.message);
    hub_log_end(&l, HUB_LOG_ERROR);
  }
  return effective(call, p->tenant_id, brand, response);
}
