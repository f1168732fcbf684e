/* Sliding-window rate limits in Redis, shared by every hubd: each attempt is a member of a
 * sorted set scored by its time, and one Lua script trims the window, counts, and admits or
 * refuses atomically, so parallel attempts cannot slip past the limit (a check-then-increment
 * from two servers could). Limits are time-based and recover by themselves: an attacker can
 * slow a victim's logins down for a window, never lock the account for good. */
#ifndef HUB_CACHE_RATELIMIT_H
#define HUB_CACHE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/redis.h"

typedef struct hub_rate_limit {
  const char *name;  /* what is limited, e.g. "login.account" (part of the key) */
  int64_t max;       /* attempts allowed within the window */
  int64_t window_ms; /* window length */
} hub_rate_limit;

/* Records one attempt by `subject` (an account id, an IP address: hashed into the key, so
 * no personal data sits in Redis keys) unless the limit is reached. OK when admitted;
 * RESOURCE_EXHAUSTED with *retry_after_ms set (ms until the oldest attempt leaves the window)
 * when refused; UNAVAILABLE when Redis is down (callers decide whether to fail closed).
 * `now_ms` is wall-clock milliseconds (a parameter so tests control time). */
hub_status hub_rate_limit_hit(hub_redis *r, hub_arena *a, const hub_rate_limit *limit, const char *subject,
                              int64_t now_ms, int64_t *retry_after_ms);

/* Forgets the attempts of `subject` (e.g. after a successful login). */
hub_status hub_rate_limit_reset(hub_redis *r, hub_arena *a, const hub_rate_limit *limit, const char *subject);

#endif
