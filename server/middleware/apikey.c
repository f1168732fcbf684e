/* Authentication with an API key ("authorization: Bearer hub_live_..." or "x-api-key"): the
 * machine-caller branch of authn.c. The key's shape is checked first (a malformed key never
 * reaches Redis or PostgreSQL); then one Redis round trip answers a warm call: the cached
 * grant, compared with the key's SHA-256, and the key's rate limit (whose first call of a
 * minute also says last_used_at is due). A miss loads the key from PostgreSQL, caches it
 * (identity/apikey.h) and checks again. The principal it builds is the one every later step
 * reads: the service account as the user, its tenant, the key's brand, and the account's
 * access narrowed to the key's scopes. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hub/clock.h"
#include "crypto/random.h"
#include "hub/log.h"
#include "identity/apikey.h"
#include "middleware/access.h"
#include "services/context.h"

/* Loads the key into the cache (unless an invalidation races it) and says whether it is usable. */
static hub_status load_into_cache(hub_call *call, const char *prefix, bool *usable, const char **why) {
  hub_arena *a = hub_call_arena(call);
  hub_ctx *ctx = hub_ctx_of(call);
  char gen[24];
  hub_status st = hub_apikey_generation(ctx->redis, a, prefix, gen);
  if (!hub_ok(st)) return st;
  hub_apikey_grant g;
  st = hub_apikey_load(ctx->pg, a, prefix, hub_call_remaining_ms(call), &g, usable, why);
  if (!hub_ok(st)) return st;
  bool stored = false;
  return hub_apikey_cache_store(ctx->redis, a, prefix, gen, *usable ? &g : NULL, &stored);
}

bool hub_authn_presents_api_key(hub_call *call) {
  const char *auth = hub_call_metadata(call, "authorization");
  return hub_call_metadata(call, "x-api-key") ||
         (auth && strncasecmp(auth, "Bearer ", 7) == 0 && hub_apikey_claimed(auth + 7));
}

hub_status hub_authn_api_key(hub_call *call, const char *key, hub_principal *p, const char **acl_text) {
  hub_arena *a = hub_call_arena(call);
  hub_ctx *ctx = hub_ctx_of(call);
  char prefix[HUB_APIKEY_PREFIX_LEN + 1];
  if (!hub_apikey_parse(key, prefix)) return hub_status_new(a, HUB_UNAUTHENTICATED, "malformed API key");
  const char *hash = hub_sha256_hex(a, key);
  hub_apikey_grant g;
  hub_apikey_outcome outcome = HUB_APIKEY_MISS;
  int64_t retry = 0;
  bool touch = false;
  /* Two loads at most: a store refused because an invalidation raced it means the loaded
   * state may be stale, so the next round reads it again. */
  for (int round = 0; round < 3 && outcome == HUB_APIKEY_MISS; round++) {
    hub_status st = hub_apikey_check_cached(ctx->redis, a, prefix, hash, hub_clock_wall_ms(), &g, &outcome, &retry, &touch);
    if (!hub_ok(st)) return st;
    if (outcome != HUB_APIKEY_MISS || round == 2) break;
    bool usable = false;
    const char *why = NULL;
    st = load_into_cache(call, prefix, &usable, &why);
    if (!hub_ok(st)) return st;
    if (!usable) return hub_status_new(a, HUB_UNAUTHENTICATED, "%s", why ? why : "unknown API key");
  }
  switch (outcome) {
    case HUB_APIKEY_OK: break;
    case HUB_APIKEY_MISS: return hub_status_new(a, HUB_UNAVAILABLE, "the API key could not be checked; retry");
    case HUB_APIKEY_EXPIRED: return hub_status_new(a, HUB_UNAUTHENTICATED, "the API key has expired");
    case HUB_APIKEY_LIMITED: {
      char v[24];
      int n = snprintf(v, sizeof v, "%lld", (long long)retry);
      hub_call_add_trailer(call, "retry-after-ms", v, (size_t)n);
      return hub_status_new(a, HUB_RESOURCE_EXHAUSTED, "this API key's rate limit is reached; retry in %lld ms",
                            (long long)retry);
    }
    default: return hub_status_new(a, HUB_UNAUTHENTICATED, "the API key is not valid (unknown, revoked or disabled)");
  }
  /* The cache compared hashes to decide; this is the constant-time check that counts. */
  if (!hub_secret_equal(g.hash, hash))
    return hub_status_new(a, HUB_UNAUTHENTICATED, "the API key is not valid (unknown, revoked or disabled)");
  if (!hub_acl_parse(g.acl, &p->acl)) return hub_status_new(a, HUB_INTERNAL, "API key cache: bad access snapshot");
  snprintf(p->user_id, sizeof p->user_id, "%s", g.account_id);
  p->session_id[0] = '\0';
  snprintf(p->tenant_id, sizeof p->tenant_id, "%s", g.tenant_id);
  snprintf(p->brand, sizeof p->brand, "%s", g.brand);
  snprintf(p->ip, sizeof p->ip, "%s", hub_call_peer_address(call));
  p->token_exp = 0;
  p->service_account = true;
  snprintf(p->api_key_id, sizeof p->api_key_id, "%s", g.key_id);
  snprintf(p->api_key_prefix, sizeof p->api_key_prefix, "%s", prefix);
  *acl_text = g.acl;
  hub_call_set_user(call, p->user_id);
  hub_call_set_api_key(call, prefix);
  if (touch) {
    /* The first call of the key's minute window, whichever hubd serves it; best effort. */
    hub_status st = hub_apikey_touch(ctx->pg, a, g.tenant_id, g.key_id, hub_call_remaining_ms(call));
    if (!hub_ok(st)) hub_logf(HUB_LOG_WARN, "api key %s: could not record its use: %s", prefix, st.message);
  }
  return HUB_STATUS_OK;
}
