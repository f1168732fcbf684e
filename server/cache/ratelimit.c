/* See ratelimit.h. The script runs atomically inside Redis:
 *   ZREMRANGEBYSCORE key -inf now-window      -- forget attempts that left the window
 *   if ZCARD key < max: ZADD key now member; PEXPIRE key window; return {1, 0}
 *   else: return {0, oldest + window - now}     -- when the oldest attempt leaves
 * Members are unique (time + a random suffix), so two attempts in one millisecond both count. */
#include "ratelimit.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

static const char script[] =
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))\n"
    "if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then\n"
    "  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])\n"
    "  redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
    "  return {1, 0}\n"
    "end\n"
    "local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')\n"
    "return {0, tonumber(oldest[2]) + tonumber(ARGV[2]) - tonumber(ARGV[1])}\n";

/* "hub:rl:<name>:<sha256(subject) hex, 32 chars>" */
static void make_key(char *out, size_t cap, const hub_rate_limit *limit, const char *subject) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(subject, strlen(subject), md, &len, EVP_sha256(), NULL);
  int n = snprintf(out, cap, "hub:rl:%s:", limit->name);
  for (unsigned i = 0; i < 16 && (size_t)n + 2 < cap; i++) n += snprintf(out + n, cap - (size_t)n, "%02x", md[i]);
}

hub_status hub_rate_limit_hit(hub_redis *r, hub_arena *a, const hub_rate_limit *limit, const char *subject,
                              int64_t now_ms, int64_t *retry_after_ms) {
  *retry_after_ms = 0;
  char key[160], now[32], window[32], max[32], member[64];
  make_key(key, sizeof key, limit, subject);
  snprintf(now, sizeof now, "%lld", (long long)now_ms);
  snprintf(window, sizeof window, "%lld", (long long)limit->window_ms);
  snprintf(max, sizeof max, "%lld", (long long)limit->max);
  unsigned char rnd[8];
  RAND_bytes(rnd, sizeof rnd);
  snprintf(member, sizeof member, "%lld-%02x%02x%02x%02x%02x%02x%02x%02x", (long long)now_ms, rnd[0], rnd[1], rnd[2],
           rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
  /* hub_redis_command sends this as EVALSHA (the script is a static string). */
  const char *argv[] = {"EVAL", script, "1", key, now, window, max, member};
  redisReply *rep;
  hub_status st = hub_redis_command(r, a, 8, argv, NULL, &rep);
  if (!hub_ok(st)) return st;
  if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 || rep->element[0]->type != REDIS_REPLY_INTEGER) {
    freeReplyObject(rep);
    return hub_status_fixed(HUB_INTERNAL, "rate limit: unexpected reply");
  }
  bool admitted = rep->element[0]->integer == 1;
  int64_t wait = rep->element[1]->type == REDIS_REPLY_INTEGER ? rep->element[1]->integer : limit->window_ms;
  freeReplyObject(rep);
  if (admitted) return HUB_STATUS_OK;
  *retry_after_ms = wait > 0 ? wait : 1;
  return hub_status_new(a, HUB_RESOURCE_EXHAUSTED, "too many attempts; retry in %lld ms", (long long)*retry_after_ms);
}

hub_status hub_rate_limit_reset(hub_redis *r, hub_arena *a, const hub_rate_limit *limit, const char *subject) {
  char key[160];
  make_key(key, sizeof key, limit, subject);
  const char *argv[] = {"DEL", key};
  return hub_redis_command(r, a, 2, argv, NULL, NULL);
}
