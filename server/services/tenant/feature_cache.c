/* See feature_cache.h. */
#include "hub/clock.h"
#include "services/tenant/feature_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
static bool parse(hub_arena *a, const char *v, tenant_flag **flags, size_t *n) {
  char *end = NULL;
  long long at = strtoll(v, &end, 10);
  int64_t now = hub_clock_wall_ms();
  if (!end || *end != '|' || now - at > TENANT_FEATURES_TTL_S * 1000LL || now < at - 60000) return false;
  const char *p = end + 1;
  size_t cap = *p ? 1 : 0;
  for (const char *q = p; *q; q++) cap += *q == ',';
  tenant_flag *out = hub_arena_calloc(a, cap + 1, sizeof *out);
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

bool tenant_feature_cache_get(hub_redis *r, hub_arena *a, const char *tenant_id, const char *brand, tenant_flag **flags,
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

void tenant_feature_cache_put(hub_redis *r, hub_arena *a, const char *tenant_id, const char *brand, const char *gen,
                              const tenant_flag *flags, size_t n) {
  char key[96], ttl[16];
  key_of(key, sizeof key, tenant_id);
  snprintf(ttl, sizeof ttl, "%d", TENANT_FEATURES_TTL_S);
  size_t cap = 32;
  for (size_t i = 0; i < n; i++) cap += strlen(flags[i].name) + 3;
  char *v = hub_arena_alloc(a, cap);
  size_t len = (size_t)snprintf(v, cap, "%lld|", (long long)hub_clock_wall_ms());
  for (size_t i = 0; i < n; i++)
    len += (size_t)snprintf(v + len, cap - len, "%s%s=%c", i ? "," : "", flags[i].name, flags[i].enabled ? '1' : '0');
  const char *argv[] = {"EVAL", put_lua, "1", key, gen, brand, v, ttl};
  hub_redis_command(r, a, 8, argv, NULL, NULL); /* best effort: a miss recomputes */
}

hub_status tenant_feature_cache_invalidate(hub_redis *r, hub_arena *a, const char *tenant_id) {
  char key[96], ttl[16];
  key_of(key, sizeof key, tenant_id);
  snprintf(ttl, sizeof ttl, "%d", TENANT_FEATURES_TTL_S);
  const char *argv[] = {"EVAL", invalidate_lua, "1", key, ttl};
  return hub_redis_command(r, a, 5, argv, NULL, NULL);
}
