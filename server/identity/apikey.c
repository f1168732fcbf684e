/* API keys (see apikey.h): the key's shape, its cache in Redis (one script per operation, so
 * each is atomic and one round trip), and the one place a key is loaded from PostgreSQL. */
#include "identity/apikey.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"
#include "db/array.h"
#include "db/tx.h"
#include "hub/uuid.h"
#include "identity/acl.h"

#define KEY_START "hub_live_"
#define KEY_START_LEN 9
#define SECRET_LEN 43
#define WINDOW_MS 60000
#define ENTRY_TTL_MS 300000 /* an entry also ends with any invalidation */
#define BAD_TTL_MS 60000
#define GEN_TTL_MS 86400000

bool hub_apikey_claimed(const char *token) { return token && strncmp(token, "hub_", 4) == 0; }

static bool b64url_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool hub_apikey_parse(const char *key, char prefix[HUB_APIKEY_PREFIX_LEN + 1]) {
  if (!key || strlen(key) != KEY_START_LEN + HUB_APIKEY_PREFIX_LEN + 1 + SECRET_LEN) return false;
  if (strncmp(key, KEY_START, KEY_START_LEN) != 0) return false;
  const char *p = key + KEY_START_LEN;
  for (int i = 0; i < HUB_APIKEY_PREFIX_LEN; i++)
    if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9'))) return false;
  if (p[HUB_APIKEY_PREFIX_LEN] != '_') return false;
  for (const char *s = p + HUB_APIKEY_PREFIX_LEN + 1; *s; s++)
    if (!b64url_char(*s)) return false;
  memcpy(prefix, p, HUB_APIKEY_PREFIX_LEN);
  prefix[HUB_APIKEY_PREFIX_LEN] = '\0';
  return true;
}

bool hub_apikey_generate(hub_arena *a, char **key, char prefix[HUB_APIKEY_PREFIX_LEN + 1]) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  int n = 0;
  while (n < HUB_APIKEY_PREFIX_LEN) {
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) return false;
    for (size_t i = 0; i < sizeof b && n < HUB_APIKEY_PREFIX_LEN; i++)
      if (b[i] < 252) prefix[n++] = alphabet[b[i] % 36]; /* 252 = 7 * 36: no bias */
  }
  prefix[n] = '\0';
  char *secret = hub_random_token(a, 32);
  if (!secret || strlen(secret) != SECRET_LEN) return false;
  *key = hub_arena_sprintf(a, KEY_START "%s_%s", prefix, secret);
  return true;
}

/* ---- Redis ---- */

/* KEYS: entry, generation, rate. ARGV: now (ms), the presented key's SHA-256 hex.
 * Returns {0} miss, {2} bad, {3} expired, {4, wait_ms} limited, or
 * {1, hash, tenant, account, key, acl, exp, rl, brand, touch}. Wrong secrets are not
 * counted, so knowing a prefix does not let anyone spend its owner's rate limit. The rate
 * limit is a sliding-window counter (this minute's count plus last minute's, weighted by
 * how much of it the window still covers): constant memory per key whatever its limit. The
 * first call of each minute window is the one that records last_used_at (touch = 1). Four
 * commands, one write: about what a session check costs. */
static const char check_lua[] =
    "local v = redis.call('HMGET', KEYS[1], 'h', 'g', 't', 'tg', 'a', 'k', 'acl', 'exp', 'rl', 'b')\n"
    "if not v[1] then return {0} end\n"
    "local gens = redis.call('MGET', KEYS[2], 'hub:akt:{' .. (v[3] or '') .. '}')\n"
    "if v[2] ~= (gens[1] or '0') then return {0} end\n"
    "if v[1] == '-' then return {2} end\n"
    "if v[4] ~= (gens[2] or '0') then return {0} end\n"
    "if v[1] ~= ARGV[2] then return {2} end\n"
    "local now, w, max = tonumber(ARGV[1]), 60000, tonumber(v[9])\n"
    "local exp = tonumber(v[8])\n"
    "if exp > 0 and now >= exp then return {3} end\n"
    "local cw = math.floor(now / w)\n"
    "local c = redis.call('HMGET', KEYS[3], tostring(cw), tostring(cw - 1))\n"
    "local cur, prev = tonumber(c[1] or '0'), tonumber(c[2] or '0')\n"
    "local e = now - cw * w\n"
    "if prev * (w - e) / w + cur >= max then\n"
    "  local wait\n"
    "  if cur >= max then wait = (w - e) + math.floor(w * (1 - max / math.max(cur, 1))) + 1\n"
    "  else wait = math.floor((w - e) - w * (max - cur) / prev) + 1 end\n"
    "  if wait < 1 then wait = 1 end\n"
    "  return {4, wait}\n"
    "end\n"
    "local touch = 0\n"
    "if redis.call('HINCRBY', KEYS[3], tostring(cw), 1) == 1 then\n"
    "  redis.call('HDEL', KEYS[3], tostring(cw - 2))\n"
    "  redis.call('PEXPIRE', KEYS[3], 2 * w)\n"
    "  touch = 1\n"
    "end\n"
    "return {1, v[1], v[3], v[5], v[6], v[7], v[8], v[9], v[10], touch}\n";

/* KEYS: entry, generation. ARGV: generation seen, ttl, then field/value pairs (the tenant's
 * generation is read here, with the tenant named in ARGV[4] = the "t" pair's value). */
static const char store_lua[] =
    "if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end\n"
    "redis.call('DEL', KEYS[1])\n"
    "redis.call('HSET', KEYS[1], 'g', ARGV[1], unpack(ARGV, 3))\n"
    "if ARGV[3] == 't' then\n"
    "  redis.call('HSET', KEYS[1], 'tg', redis.call('GET', 'hub:akt:{' .. ARGV[4] .. '}') or '0')\n"
    "end\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
    "return 1\n";

static const char invalidate_lua[] =
    "redis.call('INCR', KEYS[2])\n"
    "redis.call('PEXPIRE', KEYS[2], ARGV[1])\n"
    "redis.call('DEL', KEYS[1])\n"
    "return 1\n";

static void keys_of(const char *prefix, char entry[48], char gen[48]) {
  snprintf(entry, 48, "hub:ak:{%s}", prefix);
  snprintf(gen, 48, "hub:akg:{%s}", prefix);
}

static bool prefix_ok(const char *p) {
  if (!p || strlen(p) != HUB_APIKEY_PREFIX_LEN) return false;
  for (const char *c = p; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9'))) return false;
  return true;
}

static void copy_reply(char *dst, size_t cap, const redisReply *r) {
  snprintf(dst, cap, "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
}

hub_status hub_apikey_check_cached(hub_redis *r, hub_arena *a, const char *prefix, const char *hash_hex,
                                   int64_t now_ms, hub_apikey_grant *g, hub_apikey_outcome *outcome,
                                   int64_t *retry_ms, bool *touch) {
  *outcome = HUB_APIKEY_MISS;
  *retry_ms = 0;
  *touch = false;
  if (!prefix_ok(prefix)) return hub_status_new(a, HUB_INVALID_ARGUMENT, "not an API key prefix");
  char entry[48], gen[48], rate[48], now[24];
  keys_of(prefix, entry, gen);
  snprintf(rate, sizeof rate, "hub:akrl:{%s}", prefix);
  snprintf(now, sizeof now, "%lld", (long long)now_ms);
  const char *argv[] = {"EVAL", check_lua, "3", entry, gen, rate, now, hash_hex};
  redisReply *rep;
  hub_status st = hub_redis_command(r, a, 8, argv, NULL, &rep);
  if (!hub_ok(st)) return st;
  if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1 || rep->element[0]->type != REDIS_REPLY_INTEGER) {
    freeReplyObject(rep);
    return hub_status_new(a, HUB_INTERNAL, "API key cache: unexpected reply");
  }
  long long kind = rep->element[0]->integer;
  if (kind == 1 && rep->elements == 10) {
    memset(g, 0, sizeof *g);
    redisReply **v = rep->element;
    copy_reply(g->hash, sizeof g->hash, v[1]);
    copy_reply(g->tenant_id, sizeof g->tenant_id, v[2]);
    copy_reply(g->account_id, sizeof g->account_id, v[3]);
    copy_reply(g->key_id, sizeof g->key_id, v[4]);
    g->acl = hub_arena_strdup(a, v[5]->type == REDIS_REPLY_STRING ? v[5]->str : "");
    g->expires_ms = v[6]->type == REDIS_REPLY_STRING ? atoll(v[6]->str) : 0;
    g->rate_per_min = v[7]->type == REDIS_REPLY_STRING ? atoll(v[7]->str) : 0;
    copy_reply(g->brand, sizeof g->brand, v[8]);
    *touch = v[9]->type == REDIS_REPLY_INTEGER && v[9]->integer == 1;
    *outcome = HUB_APIKEY_OK;
  } else if (kind == 2) {
    *outcome = HUB_APIKEY_BAD;
  } else if (kind == 3) {
    *outcome = HUB_APIKEY_EXPIRED;
  } else if (kind == 4 && rep->elements == 2 && rep->element[1]->type == REDIS_REPLY_INTEGER) {
    *outcome = HUB_APIKEY_LIMITED;
    *retry_ms = rep->element[1]->integer > 0 ? rep->element[1]->integer : 1;
  }
  freeReplyObject(rep);
  return HUB_STATUS_OK;
}

hub_status hub_apikey_generation(hub_redis *r, hub_arena *a, const char *prefix, char gen_out[24]) {
  if (!prefix_ok(prefix)) return hub_status_new(a, HUB_INVALID_ARGUMENT, "not an API key prefix");
  char entry[48], gen[48];
  keys_of(prefix, entry, gen);
  redisReply *rep;
  hub_status st = hub_redis_command(r, a, 2, (const char *[]){"GET", gen}, NULL, &rep);
  if (!hub_ok(st)) return st;
  snprintf(gen_out, 24, "%s", rep->type == REDIS_REPLY_STRING ? rep->str : "0");
  freeReplyObject(rep);
  return HUB_STATUS_OK;
}

hub_status hub_apikey_cache_store(hub_redis *r, hub_arena *a, const char *prefix, const char *gen,
                                  const hub_apikey_grant *g, bool *stored) {
  *stored = false;
  if (!prefix_ok(prefix)) return hub_status_new(a, HUB_INVALID_ARGUMENT, "not an API key prefix");
  char entry[48], genkey[48], ttl[24], exp[24], rl[24];
  keys_of(prefix, entry, genkey);
  int64_t ttl_ms = g ? ENTRY_TTL_MS : BAD_TTL_MS;
  snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
  redisReply *rep;
  hub_status st;
  if (g) {
    snprintf(exp, sizeof exp, "%lld", (long long)g->expires_ms);
    snprintf(rl, sizeof rl, "%lld", (long long)g->rate_per_min);
    const char *argv[] = {"EVAL", store_lua, "2",    entry, genkey, gen,   ttl, /* then field/value pairs: */
                          "t",    g->tenant_id, "a", g->account_id, "k", g->key_id, "h", g->hash,
                          "acl",  g->acl,       "exp", exp,         "rl", rl,       "b", g->brand};
    st = hub_redis_command(r, a, (int)(sizeof argv / sizeof *argv), argv, NULL, &rep);
  } else {
    const char *argv[] = {"EVAL", store_lua, "2", entry, genkey, gen, ttl, "h", "-"};
    st = hub_redis_command(r, a, 9, argv, NULL, &rep);
  }
  if (!hub_ok(st)) return st;
  *stored = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
  freeReplyObject(rep);
  return HUB_STATUS_OK;
}

hub_status hub_apikey_invalidate(hub_redis *r, hub_arena *a, const char *prefix) {
  if (!prefix_ok(prefix)) return hub_status_new(a, HUB_INVALID_ARGUMENT, "not an API key prefix");
  char entry[48], gen[48], ttl[24];
  keys_of(prefix, entry, gen);
  snprintf(ttl, sizeof ttl, "%d", GEN_TTL_MS);
  const char *argv[] = {"EVAL", invalidate_lua, "2", entry, gen, ttl};
  return hub_redis_command(r, a, 6, argv, NULL, NULL);
}

hub_status hub_apikey_invalidate_tenant(hub_redis *r, hub_arena *a, const char *tenant_id) {
  if (!(tenant_id = hub_uuid_lower(a, tenant_id))) return hub_status_invalid(a, "tenant_id", "not a tenant id");
  char key[64], ttl[24];
  snprintf(key, sizeof key, "hub:akt:{%s}", tenant_id);
  snprintf(ttl, sizeof ttl, "%d", GEN_TTL_MS);
  hub_status st = hub_redis_command(r, a, 2, (const char *[]){"INCR", key}, NULL, NULL);
  if (hub_ok(st)) st = hub_redis_command(r, a, 3, (const char *[]){"PEXPIRE", key, ttl}, NULL, NULL);
  return st;
}

/* ---- PostgreSQL ---- */

static const hub_pg_stmt set_prefix_sql = {"apikey_set_prefix",
                                           "SELECT set_config('hub.api_key_prefix', $1, true)", 1};
/* The prefix's tenant from the global directory (migration 0018), then that tenant's key: one
 * tenant's rows, as a database distributed by tenant wants. */
static const hub_pg_stmt key_sql = {
    "apikey_by_prefix",
    "SELECT tenant_id, id, account_id, encode(secret_hash, 'hex') AS hash, scopes, rate_per_min, "
    "coalesce((extract(epoch FROM expires_at) * 1000)::bigint, 0) AS expires_ms, revoked_at IS NOT NULL AS revoked, "
    "expires_at IS NOT NULL AND expires_at <= now() AS expired FROM api_keys "
    "WHERE tenant_id = (SELECT d.tenant_id FROM api_key_directory d WHERE d.prefix = $1) AND prefix = $1",
    1};
/* The tenant comes from the key row itself: from here on the transaction acts in it. */
static const hub_pg_stmt set_tenant_sql = {"apikey_set_tenant", "SELECT set_config('hub.tenant_id', $1, true)", 1};
static const hub_pg_stmt account_sql = {
    "apikey_account",
    "SELECT sa.role, sa.permissions, sa.brands, sa.name, sa.disabled_at IS NOT NULL AS disabled, t.home_brand "
    "FROM service_accounts sa JOIN tenants t ON t.id = sa.tenant_id "
    "WHERE sa.tenant_id = $1::uuid AND sa.id = $2::uuid AND t.deleted_at IS NULL",
    2};
/* A platform service account's key (global tables), when no tenant's key has the prefix. */
static const hub_pg_stmt platform_key_sql = {
    "apikey_platform_by_prefix",
    "SELECT k.id, k.account_id, encode(k.secret_hash, 'hex') AS hash, k.rate_per_min, "
    "coalesce((extract(epoch FROM k.expires_at) * 1000)::bigint, 0) AS expires_ms, k.revoked_at IS NOT NULL AS revoked, "
    "k.expires_at IS NOT NULL AND k.expires_at <= now() AS expired, a.name "
    "FROM platform_api_keys k JOIN platform_service_accounts a ON a.id = k.account_id WHERE k.prefix = $1",
    1};
static const hub_pg_stmt platform_touch_sql = {
    "apikey_platform_touch", "UPDATE platform_api_keys SET last_used_at = now() WHERE id = $1::uuid", 1};
static const hub_pg_stmt touch_sql = {
    "apikey_touch", "UPDATE api_keys SET last_used_at = now() WHERE tenant_id = $1::uuid AND id = $2::uuid", 2};

typedef struct load_ctx {
  const char *prefix;
  hub_apikey_grant *g;
  bool usable;
  const char *why;
} load_ctx;

/* The key row's common part (either table), into g; false when it is revoked or expired. */
static bool take_key(const hub_rows *r, hub_apikey_grant *g, load_ctx *c) {
  memset(g, 0, sizeof *g);
  snprintf(g->key_id, sizeof g->key_id, "%s", hub_rows_text(r, 0, "id"));
  snprintf(g->account_id, sizeof g->account_id, "%s", hub_rows_text(r, 0, "account_id"));
  snprintf(g->hash, sizeof g->hash, "%s", hub_rows_text(r, 0, "hash"));
  g->rate_per_min = hub_rows_int(r, 0, "rate_per_min");
  g->expires_ms = hub_rows_int(r, 0, "expires_ms");
  if (hub_rows_bool(r, 0, "revoked")) return c->why = "the API key was revoked", false;
  if (hub_rows_bool(r, 0, "expired")) return c->why = "the API key has expired", false;
  return true;
}

/* A platform key's grant: no tenant, the platform flag, no role (so no tenant permission). */
static hub_status load_platform(hub_arena *a, const hub_rows *r, load_ctx *c) {
  hub_apikey_grant *g = c->g;
  if (hub_rows_count(r) != 1 || !take_key(r, g, c)) return HUB_STATUS_OK;
  hub_acl *acl = hub_arena_calloc(a, 1, sizeof *acl);
  snprintf(acl->display_name, sizeof acl->display_name, "%s", hub_rows_text(r, 0, "name"));
  acl->platform_admin = true;
  snprintf(g->brand, sizeof g->brand, "smb_hub");
  g->acl = hub_acl_format(acl, a);
  c->usable = true;
  c->why = NULL;
  return HUB_STATUS_OK;
}

/* Three round trips at most: the key (a tenant's, else a platform one), then its service
 * account in the key's tenant, then the account's grant. */
static hub_status load_fn(hub_tx *tx, void *ud) {
  load_ctx *c = ud;
  hub_apikey_grant *g = c->g;
  hub_arena *a = hub_tx_arena(tx);
  c->usable = false;
  c->why = "unknown API key";
  const char *const prefix[] = {c->prefix};
  hub_tx_exec(tx, &set_prefix_sql, prefix);
  hub_rows *key = hub_tx_exec(tx, &key_sql, prefix), *platform = hub_tx_exec(tx, &platform_key_sql, prefix);
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(key) != 1) return load_platform(a, platform, c);
  if (!take_key(key, g, c)) return HUB_STATUS_OK;
  snprintf(g->tenant_id, sizeof g->tenant_id, "%s", hub_rows_text(key, 0, "tenant_id"));
  char **scopes = NULL;
  size_t n_scopes = hub_pg_array_parse(a, hub_rows_text(key, 0, "scopes"), &scopes);

  hub_tx_exec(tx, &set_tenant_sql, (const char *[]){g->tenant_id});
  hub_rows *r;
  st = hub_tx_query(tx, &account_sql, (const char *[]){g->tenant_id, g->account_id}, &r);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(r) != 1 || hub_rows_bool(r, 0, "disabled")) {
    c->why = hub_rows_count(r) == 1 ? "the service account is disabled" : "unknown API key";
    return HUB_STATUS_OK;
  }
  const char *home = hub_rows_text(r, 0, "home_brand");
  hub_acl *acl = hub_arena_calloc(a, 1, sizeof *acl);
  snprintf(acl->display_name, sizeof acl->display_name, "%s", hub_rows_text(r, 0, "name"));
  st = hub_acl_load_grant_tx(tx, g->tenant_id, hub_rows_text(r, 0, "role"), hub_rows_text(r, 0, "permissions"),
                             hub_rows_text(r, 0, "brands"), acl);
  if (!hub_ok(st)) return st;
  hub_acl_narrow(acl, scopes, n_scopes);
  /* The tenant's home brand when the account may use it, else its first brand. */
  const char *brand = hub_acl_find_brand(acl, home) || acl->n_brands == 0 ? home : acl->brands[0].id;
  snprintf(g->brand, sizeof g->brand, "%s", brand);
  g->acl = hub_acl_format(acl, a);
  c->usable = true;
  c->why = NULL;
  return HUB_STATUS_OK;
}

hub_status hub_apikey_load(hub_pg *pg, hub_arena *a, const char *prefix, int64_t timeout_ms, hub_apikey_grant *g,
                           bool *usable, const char **why) {
  load_ctx c = {prefix, g, false, NULL};
  hub_status st = hub_tx_run(pg, a, NULL, NULL, timeout_ms, load_fn, &c);
  *usable = hub_ok(st) && c.usable;
  *why = c.why;
  return st;
}

typedef struct touch_ctx {
  const char *tenant_id, *key_id;
} touch_ctx;

static hub_status touch_fn(hub_tx *tx, void *ud) {
  touch_ctx *c = ud;
  if (!c->tenant_id || !*c->tenant_id) hub_tx_exec(tx, &platform_touch_sql, (const char *[]){c->key_id});
  else hub_tx_exec(tx, &touch_sql, (const char *[]){c->tenant_id, c->key_id});
  return HUB_STATUS_OK;
}

hub_status hub_apikey_touch(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *key_id, int64_t timeout_ms) {
  touch_ctx c = {tenant_id, key_id};
  return hub_tx_run(pg, a, hub_sql_opt(tenant_id), NULL, timeout_ms, touch_fn, &c);
}
