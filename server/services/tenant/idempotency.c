/* See idempotency.h. One script, so reading and reserving are one atomic step. The key
 * carries the user in a hash tag, like the session keys. */
#include "services/tenant/idempotency.h"

#include <stdio.h>
#include <string.h>

static const char reserve_lua[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if v then return v end\n"
    "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])\n"
    "return ARGV[1]\n";

hub_status tenant_idempotency_reserve(hub_redis *r, hub_arena *a, const char *user_id, const char *op,
                                      const char *request_id, const char *fresh_id, char *out) {
  char key[160], ttl[16];
  snprintf(key, sizeof key, "hub:idem:{%s}:%s:%s", user_id, op, request_id);
  snprintf(ttl, sizeof ttl, "%d", TENANT_IDEMPOTENCY_TTL_S);
  const char *argv[] = {"EVAL", reserve_lua, "1", key, fresh_id, ttl};
  redisReply *reply = NULL;
  hub_status st = hub_redis_command(r, a, 6, argv, NULL, &reply);
  if (!hub_ok(st)) return st;
  bool ok = reply && reply->type == REDIS_REPLY_STRING && reply->len == 36;
  if (ok) {
    memcpy(out, reply->str, 36);
    out[36] = '\0';
  }
  freeReplyObject(reply);
  return ok ? HUB_STATUS_OK : hub_status_new(a, HUB_INTERNAL, "unexpected idempotency record");
}
