/* Long-lived streams (WatchTickets, WatchEntries, ...) outlive the access check made when they
 * opened: every HUB_STREAM_SESSION_CHECK_S the stream asks Redis whether its session still lives,
 * so a revoked session's streams end with UNAUTHENTICATED instead of running for hours. */
#include "identity/stream.h"

#include "hub/clock.h"
#include "identity/identity.h"
#include "identity/principal.h"

hub_status hub_stream_session_alive(hub_call *call, hub_redis *redis, int64_t *checked_s) {
  int64_t now = hub_clock_wall_s();
  if (now - *checked_s < HUB_STREAM_SESSION_CHECK_S) return HUB_STATUS_OK;
  const hub_principal *pr = hub_principal_of(call);
  hub_session s;
  hub_status st = hub_session_touch(redis, hub_call_arena(call), &hub_identity_get()->session, pr->user_id, pr->session_id,
                                    now * 1000, &s);
  if (st.code == HUB_NOT_FOUND) return hub_status_new(hub_call_arena(call), HUB_UNAUTHENTICATED, "the session has ended");
  *checked_s = now;
  return HUB_STATUS_OK;
}
