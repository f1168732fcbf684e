/* The process's local copy of live sessions behind hub_session_touch_cached (session.h):
 * session.c's half of it. Not for other callers: they use session.h. */
#ifndef HUB_CACHE_SESSION_CACHE_H
#define HUB_CACHE_SESSION_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/session.h"

/* The channel a change to a user's sessions is published on (the message: the user's id). */
#define HUB_SESSION_CHANNEL "hub:sess:changed"

/* Drops the user's copies (and any copy being filled right now). */
void hub_session_cache_forget_user(const char *user_id);

/* The drop counter a fill reads before its Redis touch and hands to put. */
uint64_t hub_session_cache_seq(void);

/* The copy of `sid` of `user_id`, into out (acl in a), if the cache is live, the copy was
 * confirmed by Redis less than recheck_ms before now_ms, and it is within p's timeouts. */
bool hub_session_cache_get(const char *user_id, const char *sid, int64_t now_ms, int64_t recheck_ms,
                           const hub_session_policy *p, hub_arena *a, hub_session *out);

/* Keeps a copy of s, just confirmed by a touch at now_ms, unless anything was dropped since
 * seq_before was read or the cache is not live. */
void hub_session_cache_put(const hub_session *s, int64_t now_ms, uint64_t seq_before);

#endif
