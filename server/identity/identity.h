/* The identity settings every part shares, fixed once at start-up by main: the signing keys,
 * issuer and audience of access tokens, session timeouts, token lifetimes and the key that
 * seals secrets at rest. */
#ifndef HUB_IDENTITY_IDENTITY_H
#define HUB_IDENTITY_IDENTITY_H

#include <stdint.h>

#include "auth/oidc.h"
#include "auth/token.h"
#include "cache/session.h"

typedef struct hub_identity {
  hub_keyring *keys;
  hub_oidc *oidc; /* external identity providers for LoginWithIdToken */
  const char *issuer, *audience;
  hub_session_policy session;
  int64_t access_ttl_s;
  int64_t refresh_ttl_ms;
  int64_t refresh_grace_ms;
  int64_t login_per_ip, login_per_account; /* attempts per 15 minutes */
  int64_t deletion_grace_ms;                /* DeleteMyAccount until the purge may run */
  unsigned char data_key[32]; /* AES-256-GCM key for TOTP secrets and refresh successors */
} hub_identity;

/* Set once before serving; read by the middleware and the services. */
void hub_identity_set(const hub_identity *id);
const hub_identity *hub_identity_get(void);

#endif
