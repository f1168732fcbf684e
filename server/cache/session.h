/* Sessions in Redis (the identity issue's building block): who is signed in, on which
 * tenant and brand, from where, since when. Every authenticated call checks its session
 * here in one round trip (hub_session_touch), so a revoked session is refused at once even
 * while its access token is unexpired. Losing Redis logs people out and nothing more.
 * Keys carry the user in a hash tag ({user}) so a user's sessions share a Redis Cluster slot. */
#ifndef HUB_CACHE_SESSION_H
#define HUB_CACHE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "cache/redis.h"

typedef struct hub_session {
  char id[33];         /* 128 random bits, hex; set by create */
  char user_id[40];    /* uuid */
  char tenant_id[40];  /* uuid or "" */
  char brand[32];
  char ip[64];
  char user_agent[200];
  int64_t created_ms;  /* set by create */
  int64_t last_seen_ms;
  const char *acl;     /* the access snapshot in tenant_id (identity/acl.h); "" = rebuild */
} hub_session;

typedef struct hub_session_policy {
  int64_t idle_ms;     /* a session unused this long ends */
  int64_t absolute_ms; /* and every session ends this long after it began */
} hub_session_policy;

/* Every function takes an arena for its status messages (and list's results): not NULL. */

/* Creates a session from s's user, tenant, brand, ip and user agent; fills s->id,
 * created_ms and last_seen_ms. */
hub_status hub_session_create(hub_redis *r, hub_arena *a, const hub_session_policy *p, hub_session *s, int64_t now_ms);

/* The authn check: the session `sid` of `user_id`, if alive under the policy; records the
 * use (sliding the idle timeout). NOT_FOUND when it is unknown, revoked or expired. */
hub_status hub_session_touch(hub_redis *r, hub_arena *a, const hub_session_policy *p, const char *user_id,
                             const char *sid, int64_t now_ms, hub_session *out);

/* The copies are confirmed with Redis at least this often (and a quarter of the idle
 * timeout, when that is shorter). */
#define HUB_SESSION_RECHECK_MS 1000

/* hub_session_touch for the access chain: answers from this process's copy of the session
 * when it has one (see session_cache.c), else touches Redis and keeps a copy. Every change
 * made through this file drops the user's copies in this process at once and in every other
 * hubd when the published change reaches it; without the subscription no copy is used, and
 * no copy is older than HUB_SESSION_RECHECK_MS. The idle timeout slides with each recheck,
 * so a session's last_seen_ms lags its last use by up to that. */
hub_status hub_session_touch_cached(hub_redis *r, hub_arena *a, const hub_session_policy *p, const char *user_id,
                                    const char *sid, int64_t now_ms, hub_session *out);

/* Starts the subscription that lets hub_session_touch_cached use copies (a thread with its
 * own connection to redis_url, reconnecting with backoff); false on a bad URL. */
bool hub_session_cache_start(const char *redis_url, int64_t timeout_ms);
/* Whether copies are in use (subscribed). */
bool hub_session_cache_live(void);
/* Stops the subscription and drops every copy. */
void hub_session_cache_stop(void);

/* Moves a session to another tenant and brand with its new access snapshot (SwitchTenant).
 * NOT_FOUND when the session is gone. */
hub_status hub_session_set_context(hub_redis *r, hub_arena *a, const char *user_id, const char *sid,
                                   const char *tenant_id, const char *brand, const char *acl);
/* Stores a rebuilt access snapshot, unless the session is gone or now acts in another tenant. */
hub_status hub_session_set_acl(hub_redis *r, hub_arena *a, const char *user_id, const char *sid, const char *tenant_id,
                               const char *acl);
/* Forgets the snapshot of each of the user's sessions acting in `tenant_id` ("" or NULL: all),
 * so the next call rebuilds it: how role, membership and entitlement changes take effect at
 * once on live sessions. */
hub_status hub_session_clear_acl(hub_redis *r, hub_arena *a, const char *user_id, const char *tenant_id);
/* Ends one session of the user (NOT_FOUND if it was not theirs or is gone). */
hub_status hub_session_revoke(hub_redis *r, hub_arena *a, const char *user_id, const char *sid);

/* Ends every session of the user except `keep_sid` (may be NULL); *revoked counts them. */
hub_status hub_session_revoke_all(hub_redis *r, hub_arena *a, const char *user_id, const char *keep_sid,
                                  int *revoked);

/* The user's live sessions, newest first, in the arena. Expired ones are pruned on the way. */
hub_status hub_session_list(hub_redis *r, hub_arena *a, const char *user_id, int64_t now_ms, hub_session **out,
                            size_t *n);

#endif
