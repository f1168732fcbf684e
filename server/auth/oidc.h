/* Sign-in with an external identity provider (Google, Microsoft, Apple): OIDC ID tokens
 * verified offline against each issuer's keys, configured as JWKS files (an operator or a
 * sidecar refreshes them; hubd makes no outbound calls). Only RS256 and ES256 are accepted;
 * iss, aud, exp (±30 s), iat and the caller's nonce are checked. */
#ifndef HUB_AUTH_OIDC_H
#define HUB_AUTH_OIDC_H

#include <stdbool.h>
#include <stdint.h>

#include "hub/arena.h"
#include "hub/status.h"

typedef struct hub_oidc hub_oidc;

/* Reads the providers file:
 *   {"providers": [{"name": "google", "issuer": "https://accounts.google.com",
 *                   "audiences": ["<client id>"], "jwks_file": "/etc/hub/google.jwks.json"}]}
 * NULL (with a one-line reason in err) when anything is unreadable. An empty path gives an
 * empty set (no provider accepted). */
hub_oidc *hub_oidc_load(const char *path, char *err, size_t errlen);
void hub_oidc_free(hub_oidc *o);

typedef struct hub_oidc_claims {
  char issuer[256];
  char subject[256];
  char email[256];
  bool email_verified;
} hub_oidc_claims;

/* Verifies `id_token` from `provider` with `nonce` (required). UNAUTHENTICATED with a short
 * reason on any failure; INVALID_ARGUMENT for an unknown provider. */
hub_status hub_oidc_verify(const hub_oidc *o, hub_arena *a, const char *provider, const char *id_token,
                           const char *nonce, int64_t now_s, hub_oidc_claims *out);

#endif
