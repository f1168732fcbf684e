/* Redis for hubd: one connection per worker thread, with connect and command timeouts and
 * reconnect with backoff. Redis holds sessions, rate limits, idempotency keys and caches;
 * when it is down calls answer UNAVAILABLE and nothing durable is lost. */
#ifndef HUB_CACHE_REDIS_H
#define HUB_CACHE_REDIS_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub/arena.h"
#include "hub/status.h"

typedef struct hub_redis hub_redis;

/* Parses redis://[:password@]host:port[/db]; does not connect yet. NULL on a bad URL.
 * The caller frees it with hub_redis_free. */
hub_redis *hub_redis_new(const char *url, int64_t timeout_ms);
void hub_redis_free(hub_redis *r);

/* Connects if needed (at most one attempt per backoff interval: 100 ms doubling to 5 s),
 * authenticates, selects the db and sends PING. */
bool hub_redis_ping(hub_redis *r);

/* Runs one command in argv form (binary-safe; argvlen may be NULL for C strings). An EVAL
 * is sent as EVALSHA (falling back to EVAL when Redis does not know the script yet): its
 * script must be a static string, since digests are cached by address. On
 * success *reply (if non-NULL) is the reply, freed by the caller with freeReplyObject.
 * A connection error or timeout is UNAVAILABLE and drops the connection (the next call
 * reconnects); a Redis error reply is INTERNAL. */
hub_status hub_redis_command(hub_redis *r, hub_arena *a, int argc, const char **argv, const size_t *argvlen,
                             redisReply **reply);

/* A new connection to r's server of the caller's own (authenticated, with r's timeouts; no
 * backoff), for a subscriber; NULL when it cannot connect. Freed with redisFree. */
redisContext *hub_redis_connect_dedicated(const hub_redis *r);

#endif
