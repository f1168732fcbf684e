/* Authentication: "authorization: Bearer <jwt>", verified against the key ring (through the
 * per-worker cache, so a warm call does no signature check), then the session the token
 * names must still be alive: from the process's copy of it, confirmed in Redis at least every
 * HUB_SESSION_RECHECK_MS (which slides the idle timeout), with the tenant, brand and access
 * snapshot. A revoked session's token is refused on the next call even though it has not
 * expired: every change drops the copies (cache/session.h). API keys (a bearer value starting "hub_", or x-api-key)
 * take the machine-caller branch in apikey.c. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hub/clock.h"
#include "cache/session.h"
#include "identity/apikey.h"
#include "identity/identity.h"
#include "middleware/access.h"
#include "services/context.h"

hub_status hub_authn(hub_call *call, hub_principal *p, const char **session_acl) {
  hub_arena *a = hub_call_arena(call);
  const hub_identity *id = hub_identity_get();
  const char *auth = hub_call_metadata(call, "authorization");
  const char *api_key = hub_call_metadata(call, "x-api-key");
  if (api_key && auth) return hub_status_new(a, HUB_UNAUTHENTICATED, "send an API key or a bearer token, not both");
  if (api_key) return hub_authn_api_key(call, api_key, p, session_acl);
  if (auth && strncasecmp(auth, "Bearer ", 7) == 0 && hub_apikey_claimed(auth + 7))
    return hub_authn_api_key(call, auth + 7, p, session_acl);
  if (!auth || strncasecmp(auth, "Bearer ", 7) != 0 || !auth[7])
    return hub_status_new(a, HUB_UNAUTHENTICATED, "this RPC needs a bearer token in the authorization header");
  int64_t now = hub_clock_wall_ms();
  hub_token_claims c;
  hub_status st = hub_token_verify_cached(id->keys, a, auth + 7, id->issuer, id->audience, now / 1000, &c);
  if (!hub_ok(st)) return st;
  hub_session s;
  st = hub_session_touch_cached(hub_ctx_of(call)->redis, a, &id->session, c.sub, c.sid, now, &s);
  if (st.code == HUB_NOT_FOUND) return hub_status_new(a, HUB_UNAUTHENTICATED, "the session has ended; sign in again");
  if (!hub_ok(st)) return st;
  /* A token minted before SwitchTenant names the old tenant: only the newest pair acts. */
  if (strcmp(s.tenant_id, c.tenant) != 0)
    return hub_status_new(a, HUB_UNAUTHENTICATED, "the access token was superseded; refresh it");
  snprintf(p->user_id, sizeof p->user_id, "%s", c.sub);
  snprintf(p->session_id, sizeof p->session_id, "%s", c.sid);
  snprintf(p->tenant_id, sizeof p->tenant_id, "%s", s.tenant_id);
  snprintf(p->brand, sizeof p->brand, "%s", s.brand);
  p->token_exp = c.exp;
  snprintf(p->ip, sizeof p->ip, "%s", hub_call_peer_address(call));
  *session_acl = s.acl;
  hub_call_set_user(call, p->user_id);
  return HUB_STATUS_OK;
}
