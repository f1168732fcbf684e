/* The session check of long-lived server streams (see stream.c). */
#ifndef HUB_IDENTITY_STREAM_H
#define HUB_IDENTITY_STREAM_H

#include <stdint.h>

#include "cache/redis.h"
#include "runtime/call.h"

#define HUB_STREAM_SESSION_CHECK_S 30

/* OK while the caller's session lives (asked at most every HUB_STREAM_SESSION_CHECK_S since
 * *checked_s, which it advances); UNAUTHENTICATED once it has ended. A Redis that cannot answer
 * keeps the stream (the check is for revocation, not availability). Start with *checked_s = now. */
hub_status hub_stream_session_alive(hub_call *call, hub_redis *redis, int64_t *checked_s);

#endif
