/* Sessions in Redis (see session.h). Layout, per user u:
 *   hub:sess:{u}:<sid>   hash: user tenant brand ip ua created seen acl; expires at the sooner
 *                        of the idle and the absolute timeout, renewed by every touch
 *   hub:usess:{u}        sorted set of the user's session ids, scored by creation time
 * Each operation is one Lua script, so it is atomic and one round trip. The scripts name
 * the per-session keys themselves; they all share the user's hash tag, hence one slot.
 * Every change to a user's sessions ends in changed(): the user's local copies go
 * (session_cache.c) and the change is published for every other hubd's. */
#include "session.h"

#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_cache.h"

static const char create_lua[] =
    "redis.call('HSET', KEYS[1], 'user', ARGV[2], 'tenant', ARGV[3], 'brand', ARGV[4], 'ip', ARGV[5],"
    "  'ua', ARGV[6], 'created', ARGV[7], 'seen', ARGV[7], 'acl', ARGV[10])\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[8])\n"
    "redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])\n"
    "redis.call('PEXPIRE', KEYS[2], ARGV[9])\n"
    "return 1\n";

/* Returns the fields (seen updated) or nil when unknown, someone else's, or expired. */
static const char touch_lua[] =
    "local v = redis.call('HMGET', KEYS[1], 'user', 'tenant', 'brand', 'ip', 'ua', 'created', 'seen', 'acl')\n"
    "if not v[1] or v[1] ~= ARGV[4] then return nil end\n"
    "if not v[8] then v[8] = '' end\n"
    "local now, idle, abs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local created, seen = tonumber(v[6]), tonumber(v[7])\n"
    "if now - created >= abs or now - seen >= idle then\n"
    "  redis.call('DEL', KEYS[1]) redis.call('ZREM', KEYS[2], ARGV[5]) return nil\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'seen', ARGV[1])\n"
    "redis.call('PEXPIRE', KEYS[1], math.min(idle, created + abs - now))\n"
    "v[7] = ARGV[1]\n"
    "return v\n";

/* Moves a live session to another tenant/brand and access snapshot; 0 when it is gone. */
static const char set_context_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'tenant', ARGV[1], 'brand', ARGV[2], 'acl', ARGV[3])\n"
    "return 1\n";

/* Stores a rebuilt snapshot unless the session is gone or has moved to another tenant. */
static const char set_acl_lua[] =
    "if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'acl', ARGV[2])\n"
    "return 1\n";

/* Forgets the snapshot of every session of the user acting in tenant ARGV[2]. */
static const char clear_acl_lua[] =
    "local n = 0\n"
    "for _, sid in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do\n"
    "  local k = ARGV[1] .. sid\n"
    "  if ARGV[2] == '' or redis.call('HGET', k, 'tenant') == ARGV[2] then\n"
    "    n = n + redis.call('HDEL', k, 'acl')\n"
    "  end\n"
    "end\n"
    "return n\n";

static const char revoke_all_lua[] =
    "local n = 0\n"
    "for _, sid in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do\n"
    "  if sid ~= ARGV[2] then\n"
    "    n = n + redis.call('DEL', ARGV[1] .. sid)\n"
    "    redis.call('ZREM', KEYS[1], sid)\n"
    "  end\n"
    "end\n"
    "return n\n";

/* Returns {sid, user, tenant, brand, ip, ua, created, seen, ...} of live sessions, newest
 * first, pruning ids whose hash has expired. */
static const char list_lua[] =
    "local out = {}\n"
    "for _, sid in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, -1)) do\n"
    "  local v = redis.call('HMGET', ARGV[1] .. sid, 'user', 'tenant', 'brand', 'ip', 'ua', 'created', 'seen')\n"
    "  if v[1] then\n"
    "    table.insert(out, sid)\n"
    "    for i = 1, 7 do table.insert(out, v[i]) end\n"
    "  else\n"
    "    redis.call('ZREM', KEYS[1], sid)\n"
    "  end\n"
    "end\n"
    "return out\n";

/* User and session ids go into key names (and the user into the hash tag): only ids of
 * ours, never free text, may appear there. */
static bool id_ok(const char *id) {
  if (!id || !*id || strlen(id) > 36) return false;
  for (const char *c = id; *c; c++)
    if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || *c == '-')) return false;
  return true;
}

static void session_key(char *out, size_t cap, const char *user, const char *sid) {
  snprintf(out, cap, "hub:sess:{%s}:%s", user, sid);
}

static void user_key(char *out, size_t cap, const char *user) { snprintf(out, cap, "hub:usess:{%s}", user); }

/* After a change to the user's sessions in Redis: drop the copies here, and tell every other
 * hubd (best effort: theirs are rechecked within HUB_SESSION_RECHECK_MS anyway). */
static void changed(hub_redis *r, hub_arena *a, const char *user_id) {
  hub_session_cache_forget_user(user_id);
  hub_redis_command(r, a, 3, (const char *[]){"PUBLISH", HUB_SESSION_CHANNEL, user_id}, NULL, NULL);
}

static void copy(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src ? src : ""); }

hub_status hub_session_create(hub_redis *r, hub_arena *a, const hub_session_policy *p, hub_session *s, int64_t now_ms) {
  if (!id_ok(s->user_id)) return hub_status_invalid(a, "user_id", "not an id");
  unsigned char rnd[16];
  if (RAND_bytes(rnd, sizeof rnd) != 1) return hub_status_new(a, HUB_INTERNAL, "no randomness for a session id");
  for (int i = 0; i < 16; i++) snprintf(s->id + 2 * i, 3, "%02x", rnd[i]);
  s->created_ms = s->last_seen_ms = now_ms;
  char skey[128], ukey[96], now[24], ttl[24], abs[24];
  session_key(skey, sizeof skey, s->user_id, s->id);
  user_key(ukey, sizeof ukey, s->user_id);
  snprintf(now, sizeof now, "%lld", (long long)now_ms);
  snprintf(ttl, sizeof ttl, "%lld", (long long)(p->idle_ms < p->absolute_ms ? p->idle_ms : p->absolute_ms));
  snprintf(abs, sizeof abs, "%lld", (long long)p->absolute_ms);
  const char *argv[] = {"EVAL", create_lua, "2", skey, ukey, s->id, s->user_id, s->tenant_id, s->brand,
                        s->ip, s->user_agent, now, ttl, abs, s->acl ? s->acl : ""};
  return hub_redis_command(r, a, 15, argv, NULL, NULL);
}

static void fill(hub_session *s, const char *sid, redisReply **v) {
  copy(s->id, sizeof s->id, sid);
  copy(s->user_id, sizeof s->user_id, v[0]->str);
  copy(s->tenant_id, sizeof s->tenant_id, v[1]->str);
  copy(s->brand, sizeof s->brand, v[2]->str);
  copy(s->ip, sizeof s->ip, v[3]->str);
  copy(s->user_agent, sizeof s->user_agent, v[4]->str);
  s->created_ms = v[5]->str ? atoll(v[5]->str) : 0;
  s->last_seen_ms = v[6]->str ? atoll(v[6]->str) : 0;
  s->acl = NULL;
}

hub_status hub_session_set_context(hub_redis *r, hub_arena *a, const char *user_id, const char *sid,
                                   const char *tenant_id, const char *brand, const char *acl) {
  if (!id_ok(user_id) || !id_ok(sid)) return hub_status_new(a, HUB_NOT_FOUND, "no such session");
  char skey[128];
  session_key(skey, sizeof skey, user_id, sid);
  const char *argv[] = {"EVAL", set_context_lua, "1", skey, tenant_id ? tenant_id : "", brand ? brand : "",
                        acl ? acl : ""};
  redisReply *rep;
  hub_status st = hub_redis_command(r, a, 7, argv, NULL, &rep);
  if (!hub_ok(st)) return st;
  bool gone = rep->integer == 0;
  freeReplyObject(rep);
  changed(r, a, user_id);
  return gone ? hub_status_new(a, HUB_NOT_FOUND, "no such session") : HUB_STATUS_OK;
}

hub_status hub_session_set_acl(hub_redis *r, hub_arena *a, const char *user_id, const char *sid, const char *tenant_id,
                               const char *acl) {
  if (!id_ok(user_id) || !id_ok(sid)) return hub_status_new(a, HUB_NOT_FOUND, "no such session");
  char skey[128];
  session_key(skey, sizeof skey, user_id, sid);
  const char *argv[] = {"EVAL", set_acl_lua, "1", skey, tenant_id ? tenant_id : "", acl};
  hub_status st = hub_redis_command(r, a, 6, argv, NULL, NULL);
  /* Only a cleared snapshot is rebuilt, and clearing it dropped every hubd's copies: this
   * hubd's next touch picks the stored one up. */
  hub_session_cache_forget_user(user_id);
  return st;
}

hub_status hub_session_clear_acl(hub_redis *r, hub_arena *a, const char *user_id, const char *tenant_id) {
  if (!id_ok(user_id)) return hub_status_invalid(a, "user_id", "not an id");
  char ukey[96], prefix[96];
  user_key(ukey, sizeof ukey, user_id);
  snprintf(prefix, sizeof prefix, "hub:sess:{%s}:", user_id);
  const char *argv[] = {"EVAL", clear_acl_lua, "1", ukey, prefix, tenant_id ? tenant_id : ""};
  hub_status st = hub_redis_command(r, a, 6, argv, NULL, NULL);
  changed(r, a, user_id);
  return st;
}

hub_status hub_session_touch(hub_redis *r, hub_arena *a, const hub_session_policy *p, const char *user_id,
                             const char *sid, int64_t now_ms, hub_session *out) {
  if (!id_ok(user_id) || !id_ok(sid)) return hub_status_new(a, HUB_NOT_FOUND, "no such session");
  char skey[128], ukey[96], now[24], idle[24], abs[24];
  session_key(skey, sizeof skey, user_id, sid);
  user_key(ukey, sizeof ukey, user_id);
  snprintf(now, sizeof now, "%lld", (long long)now_ms);
  snprintf(idle, sizeof idle, "%lld", (long long)p->idle_ms);
  snprintf(abs, sizeof abs, "%lld", (long long)p->absolute_ms);
  const char *argv[] = {"EVAL", touch_lua, "2", skey, ukey, now, idle, abs, user_id, sid};
  redisReply *rep;
  hub_status st = hub_redis_command(r, a, 10, argv, NULL, &rep);
  if (!hub_ok(st)) return st;
  if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 8) {
    freeReplyObject(rep);
    return hub_status_new(a, HUB_NOT_FOUND, "no such session");
  }
  fill(out, sid, rep->element);
  out->acl = rep->element[7]->str ? hub_arena_strdup(a, rep->element[7]->str) : "";
  freeReplyObject(rep);
  return HUB_STATUS_OK;
}

hub_status hub_session_touch_cached(hub_redis *r, hub_arena *a, const hub_session_policy *p, const char *user_id,
                                    const char *sid, int64_t now_ms, hub_session *out) {
  if (!id_ok(user_id) || !id_ok(sid)) return hub_status_new(a, HUB_NOT_FOUND, "no such session");
  int64_t recheck = p->idle_ms / 4 < HUB_SESSION_RECHECK_MS ? p->idle_ms / 4 : HUB_SESSION_RECHECK_MS;
  if (hub_session_cache_get(user_id, sid, now_ms, recheck, p, a, out)) return HUB_STATUS_OK;
  uint64_t before = hub_session_cache_seq();
  hub_status st = hub_session_touch(r, a, p, user_id, sid, now_ms, out);
  if (hub_ok(st)) hub_session_cache_put(out, now_ms, before);
  return st;
}

hub_status hub_session_revoke(hub_redis *r, hub_arena *a, const char *user_id, const char *sid) {
  if (!id_ok(user_id) || !id_ok(sid)) return hub_status_new(a, HUB_NOT_FOUND, "no such session");
  char skey[128], ukey[96];
  session_key(skey, sizeof skey, user_id, sid);
  user_key(ukey, sizeof ukey, user_id);
  redisReply *rep;
  hub_status st = hub_redis_command(r, a, 2, (const char *[]){"DEL", skey}, NULL, &rep);
  if (!hub_ok(st)) return st;
  long long gone = rep->integer;
  freeReplyObject(rep);
  changed(r, a, user_id);
  st = hub_redis_command(r, a, 3, (const char *[]){"ZREM", ukey, sid}, NULL, NULL);
  if (!hub_ok(st)) return st;
  return gone ? HUB_STATUS_OK : hub_status_new(a, HUB_NOT_FOUND, "no such session");
}

hub_status hub_session_revoke_all(hub_redis *r, hub_arena *a, const char *user_id, const char *keep_sid,
                                  int *revoked) {
  if (!id_ok(user_id)) return hub_status_invalid(a, "user_id", "not an id");
  char ukey[96], prefix[96];
  user_key(ukey, sizeof ukey, user_id);
  snprintf(prefix, sizeof prefix, "hub:sess:{%s}:", user_id);
  const char *argv[] = {"EVAL", revoke_all_lua, "1", ukey, prefix, keep_sid ? keep_sid : ""};
  redisReply *rep;
  hub_status st = hub_redis_command(r, a, 6, argv, NULL, &rep);
  if (!hub_ok(st)) return st;
  if (revoked) *revoked = (int)rep->integer;
  freeReplyObject(rep);
  changed(r, a, user_id);
  return HUB_STATUS_OK;
}

hub_status hub_session_list(hub_redis *r, hub_arena *a, const char *user_id, int64_t now_ms, hub_session **out,
                            size_t *n) {
  *n = 0;
  if (!id_ok(user_id)) return hub_status_invalid(a, "user_id", "not an id");
  (void)now_ms; /* expiry is Redis's: a listed session is alive at this moment */
  char ukey[96], prefix[96];
  user_key(ukey, sizeof ukey, user_id);
  snprintf(prefix, sizeof prefix, "hub:sess:{%s}:", user_id);
  const char *argv[] = {"EVAL", list_lua, "1", ukey, prefix};
  redisReply *rep;
  hub_status st = hub_redis_command(r, a, 5, argv, NULL, &rep);
  if (!hub_ok(st)) return st;
  *n = rep->type == REDIS_REPLY_ARRAY ? rep->elements / 8 : 0;
  *out = hub_arena_calloc(a, *n ? *n : 1, sizeof **out);
  for (size_t i = 0; i < *n; i++) fill(&(*out)[i], rep->element[8 * i]->str, &rep->element[8 * i + 1]);
  freeReplyObject(rep);
  return HUB_STATUS_OK;
}
