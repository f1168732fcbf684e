/* The authenticated caller of an RPC, as the middleware established it: who, in which
 * session, tenant and brand, with which access. Handlers read it with hub_principal_of and
 * never re-parse tokens or metadata themselves. */
#ifndef HUB_IDENTITY_PRINCIPAL_H
#define HUB_IDENTITY_PRINCIPAL_H

#include <stdbool.h>
#include <stdint.h>

#include "identity/acl.h"
#include "runtime/call.h"

typedef struct hub_principal {
  char user_id[40];
  char session_id[40];
  char tenant_id[40]; /* "" when the session has no tenant */
  char brand[32];     /* the call's brand (x-brand, x-forwarded-host, else the session's) */
  char ip[64];        /* the caller's address, for audit */
  int64_t token_exp;  /* access token expiry, unix seconds (0 for an API key) */
  hub_acl acl;        /* access in tenant_id (for an API key: narrowed to its scopes) */
  /* A machine caller: user_id is then the service account's id, session_id is "", and the
   * call acts only in the account's tenant. */
  bool service_account;
  char api_key_id[40];    /* the key the call presented */
  char api_key_prefix[16]; /* its public prefix, for logs and audit */
} hub_principal;

/* The caller, or NULL on a public RPC. */
static inline const hub_principal *hub_principal_of(hub_call *call) {
  return (const hub_principal *)hub_call_principal(call);
}

#endif
