/* API keys: the credential of a service account (a machine caller), shared by the authn
 * middleware, which checks them, and the Tenant service, which issues and revokes them.
 *
 *   hub_live_<prefix: 8 of [a-z0-9]>_<secret: 43 base64url characters = 256 random bits>
 *
 * Only the SHA-256 of the whole key is stored (a fast hash is right for 256 bits of
 * entropy: nothing to brute-force, unlike a password); the prefix is public and names the
 * key in listings, logs and audit. A key's verified grant (tenant, account, access snapshot
 * narrowed to its scopes, expiry, rate limit) is cached in Redis, so a warm call costs one
 * Redis round trip and no PostgreSQL:
 *
 *   hub:ak:{<prefix>}     hash: h (the key's SHA-256 hex, "-" for a key known to be bad),
 *                         g (generation at load), t tenant, tg (tenant generation), a account,
 *                         k key id, acl, exp (ms, 0 = never), rl (calls per minute), b brand
 *   hub:akg:{<prefix>}    the key's generation: revocation, rotation and account changes
 *                         increment it (and drop the entry) after they commit
 *   hub:akt:{<tenant>}    the tenant's generation: entitlement, membership and tenant changes
 *   hub:akrl:{<prefix>}   the rate limiter: calls per one-minute window (two windows kept);
 *                         the first call of a window also writes last_used_at
 *
 * A loader reads the key's generation before PostgreSQL and stores its entry only if the
 * generation is unchanged, so an entry loaded before a revocation committed can never land
 * after the revocation's invalidation. */
#ifndef HUB_IDENTITY_APIKEY_H
#define HUB_IDENTITY_APIKEY_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/redis.h"
#include "db/pg.h"

#define HUB_APIKEY_PREFIX_LEN 8
#define HUB_APIKEY_DEFAULT_RATE 600 /* calls per minute, when the key does not say */

/* Does `token` claim to be an API key (rather than a JWT)? Checks the "hub_" start only. */
bool hub_apikey_claimed(const char *token);
/* Checks the shape of a key and copies its prefix out; false when malformed (no I/O). */
bool hub_apikey_parse(const char *key, char prefix[HUB_APIKEY_PREFIX_LEN + 1]);
/* A new key in the arena, with its prefix; false when the CSPRNG fails. */
bool hub_apikey_generate(hub_arena *a, char **key, char prefix[HUB_APIKEY_PREFIX_LEN + 1]);

/* What a verified key lets its caller do (strings in the arena). */
typedef struct hub_apikey_grant {
  char tenant_id[40], account_id[40], key_id[40], brand[32];
  char hash[65];      /* the stored SHA-256 hex */
  int64_t expires_ms; /* 0: never */
  int64_t rate_per_min;
  const char *acl; /* the access snapshot (identity/acl.h), narrowed to the key's scopes */
} hub_apikey_grant;

typedef enum hub_apikey_outcome {
  HUB_APIKEY_MISS,    /* not cached: load it from PostgreSQL */
  HUB_APIKEY_OK,      /* *g is filled, the call counted */
  HUB_APIKEY_BAD,     /* wrong secret, or a key known to be revoked, disabled or unknown */
  HUB_APIKEY_EXPIRED, /* past its expiry */
  HUB_APIKEY_LIMITED, /* over its rate limit: *retry_ms says when to try again */
} hub_apikey_outcome;

/* One Redis round trip: the cached grant of `prefix`, compared with the presented key's
 * SHA-256, then the rate limit. *touch is true when last_used_at is due: for the first call
 * of each minute window, so at most once a minute per key across every hubd. */
hub_status hub_apikey_check_cached(hub_redis *r, hub_arena *a, const char *prefix, const char *hash_hex,
                                   int64_t now_ms, hub_apikey_grant *g, hub_apikey_outcome *outcome,
                                   int64_t *retry_ms, bool *touch);

/* The key's generation, read before loading from PostgreSQL (see the file comment). */
hub_status hub_apikey_generation(hub_redis *r, hub_arena *a, const char *prefix, char gen[24]);

/* Loads the key named by `prefix` from PostgreSQL (the prefix alone selects it, before the
 * tenant is known, through the api_keys_by_prefix policy), then in its tenant the service
 * account and its access snapshot. *usable is false (and *why says why) when the key is
 * unknown, revoked or expired, or its account disabled or gone; g is filled when usable. */
hub_status hub_apikey_load(hub_pg *pg, hub_arena *a, const char *prefix, int64_t timeout_ms, hub_apikey_grant *g,
                           bool *usable, const char **why);

/* Caches a loaded grant (or, with g NULL, that the prefix is not usable, for a minute),
 * unless the key's generation moved past `gen`. *stored says whether it was. */
hub_status hub_apikey_cache_store(hub_redis *r, hub_arena *a, const char *prefix, const char *gen,
                                  const hub_apikey_grant *g, bool *stored);

/* After a change to the key (revocation, rotation) or its account has committed: no hubd
 * accepts the cached grant any more. */
hub_status hub_apikey_invalidate(hub_redis *r, hub_arena *a, const char *prefix);
/* The same for every key of a tenant (entitlements, membership or tenant changes). */
hub_status hub_apikey_invalidate_tenant(hub_redis *r, hub_arena *a, const char *tenant_id);

/* Records the use of a key (last_used_at = now). */
hub_status hub_apikey_touch(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *key_id, int64_t timeout_ms);

#endif
