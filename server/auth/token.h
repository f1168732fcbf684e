/* Access tokens for the identity issue: JWTs signed ES256 (libjwt, OpenSSL keys), a key ring
 * that signs with its newest key and verifies with any (two keys live during a rotation),
 * the JWKS other backends fetch to verify offline, and a per-thread cache of verified
 * tokens, since an ES256 check costs tens of microseconds and a session makes many calls
 * with one token. Revocation is not the cache's job: the session check in Redis refuses a
 * revoked session's token at once. */
#ifndef HUB_AUTH_TOKEN_H
#define HUB_AUTH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub/arena.h"
#include "hub/status.h"

#define HUB_TOKEN_MAX_TTL_S (15 * 60)
#define HUB_TOKEN_SKEW_S 30

typedef struct hub_keyring hub_keyring;

/* An empty ring; free with hub_keyring_free. */
hub_keyring *hub_keyring_new(void);
void hub_keyring_free(hub_keyring *ring);
/* Adds a P-256 private key (PEM) under `kid`; the last added signs. Returns false on a bad key. */
bool hub_keyring_add_pem(hub_keyring *ring, const char *kid, const char *pem);
/* Generates a fresh P-256 key (PEM, malloc'd; the caller frees) for tooling and tests. */
char *hub_keyring_generate_pem(void);
/* Drops a key (after a rotation has outlived the tokens it signed). */
void hub_keyring_remove(hub_keyring *ring, const char *kid);
/* The SHA-256 of a key's public key (DER), in lower-case hex: what stays the same for one key
 * whatever its file or kid is called. `index` counts from the signing key (0) back to the
 * oldest; false when the ring holds no such key. kid_out (64 bytes) gets its kid. */
bool hub_keyring_fingerprint(hub_keyring *ring, int index, char kid_out[64], char hex_out[65]);
/* {"keys":[{"kty":"EC","crv":"P-256","x":..,"y":..,"kid":..,"alg":"ES256","use":"sig"},...]} */
char *hub_keyring_jwks(hub_keyring *ring, hub_arena *a);

typedef struct hub_token_claims {
  char sub[40];    /* user id */
  char tenant[40]; /* tenant id or "" */
  char brand[32];
  char sid[40];    /* session id */
  char iss[64];
  char aud[64];
  int64_t iat, exp; /* unix seconds */
} hub_token_claims;

/* A signed compact JWT (arena). INVALID_ARGUMENT if exp - iat is not in (0, 15 min]. */
hub_status hub_token_sign(hub_keyring *ring, hub_arena *a, const hub_token_claims *c, char **token);

/* Verifies signature (ES256 only, by the header's kid), expiry (±30 s skew), issuer and
 * audience. Every refusal is UNAUTHENTICATED with a message that says no more than needed. */
hub_status hub_token_verify(hub_keyring *ring, hub_arena *a, const char *token, const char *iss, const char *aud,
                            int64_t now_s, hub_token_claims *out);

/* hub_token_verify behind this thread's cache of verified tokens (kept until they expire). */
hub_status hub_token_verify_cached(hub_keyring *ring, hub_arena *a, const char *token, const char *iss,
                                   const char *aud, int64_t now_s, hub_token_claims *out);

/* The alg and kid of a compact JWS's header, read before any key is chosen (false when the
 * header is malformed or lacks either). Shared with the OIDC verifier. */
bool hub_jose_header(const char *token, char *alg, size_t alg_cap, char *kid, size_t kid_cap);

#endif
