/* What every service handler gets from its worker: the thread's own PostgreSQL and Redis
 * connections (made by worker_init in server/hubd/main.c, through the runtime's per-thread
 * worker context). */
#ifndef HUB_SERVICES_CONTEXT_H
#define HUB_SERVICES_CONTEXT_H

#include "cache/redis.h"
#include "db/pg.h"
#include "runtime/call.h"

typedef struct hub_ctx {
  hub_pg *pg;
  hub_redis *redis;
} hub_ctx;

static inline hub_ctx *hub_ctx_of(hub_call *call) { return (hub_ctx *)hub_call_worker_ctx(call); }

#endif
