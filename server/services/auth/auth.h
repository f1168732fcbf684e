/* Internals shared by the Auth service's handler files: minting token pairs, rate limits
 * with their retry hint, the clock, and small validators. */
#ifndef HUB_SERVICES_AUTH_H
#define HUB_SERVICES_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/ratelimit.h"
#include "hub/clock.h"
#include "hub/auth/v1/auth.pb-c.h"
#include "identity/acl.h"
#include "identity/identity.h"
#include "identity/principal.h"
#include "services/context.h"

/* Abuse limits: sliding windows in Redis, shared by every hubd. */
extern const hub_rate_limit auth_limit_totp, auth_limit_reset_ip, auth_limit_reset_account,
    auth_limit_signup_ip;
/* The login limits are configurable (HUB_LOGIN_LIMIT_PER_IP / _PER_ACCOUNT, per 15 minutes). */
hub_rate_limit auth_limit_login_ip(void);
hub_rate_limit auth_limit_login_account(void);

/* The caller's address without port, for sessions, audit and per-IP limits. */
const char *auth_peer_ip(hub_call *call);
/* Counts one attempt; RESOURCE_EXHAUSTED (with a retry-after-ms trailer) when over. Redis
 * being down fails closed for these limits: UNAVAILABLE. */
hub_status auth_limit(hub_call *call, const hub_rate_limit *limit, const char *subject);
/* Lower-cases and checks an email's shape; INVALID_ARGUMENT on `field`. */
hub_status auth_normalize_email(hub_arena *a, const char *field, const char *email, char **norm);
/* Splits `s` in place at every `sep` (empty fields kept) into at most `max` fields; returns
 * how many there were. */
int auth_split(char *s, char sep, char **fields, int max);

/* What a new or refreshed session acts as. */
typedef struct auth_grant {
  const char *user_id;
  const char *session_id; /* set by auth_start_session */
  char tenant_id[40];
  char brand[32];
  hub_acl acl;
} auth_grant;

/* Picks the tenant (requested, which must be a membership, else the first membership, else
 * none) and brand (requested, else the tenant's home brand, else smb_hub) and loads the
 * access snapshot, in one transaction. NOT_FOUND when the requested tenant is not one of the
 * user's; PERMISSION_DENIED when the brand is not available there. */
hub_status auth_choose_context(hub_call *call, const char *user_id, const char *want_tenant, const char *want_brand,
                               auth_grant *g);
/* Creates the Redis session and the first refresh token and signs the access token. */
hub_status auth_start_session(hub_call *call, auth_grant *g, Hub__Auth__V1__TokenPair **out);
/* A new refresh token in the session's family (PostgreSQL) and an access token for it. */
hub_status auth_mint_pair(hub_call *call, const char *user_id, const char *session_id, const char *tenant_id,
                          const char *brand, Hub__Auth__V1__TokenPair **out);
/* Ends the session everywhere: Redis, and its refresh tokens in PostgreSQL. */
hub_status auth_end_session(hub_call *call, const char *user_id, const char *session_id);
/* Ends every session of the user but `keep_sid` (may be NULL); *n counts them. */
hub_status auth_end_other_sessions(hub_call *call, const char *user_id, const char *keep_sid, int *n);
/* An access token for the pair (claims from the arguments). */
hub_status auth_sign_access(hub_call *call, const char *user_id, const char *session_id, const char *tenant_id,
                            const char *brand, char **token, int64_t *exp_s);

/* Stores a single-use second-factor challenge for VerifyMfa (5 minutes). */
hub_status auth_mfa_challenge(hub_call *call, const char *user_id, const char *tenant, const char *brand,
                              char **challenge);
/* Chooses the context, starts the session and fills response->tokens (the last step of every
 * sign-in). */
hub_status auth_finish_login(hub_call *call, const char *user_id, const char *tenant, const char *brand,
                             Hub__Auth__V1__LoginResponse *response);

/* Appends an account event in a transaction of its own (best effort for failures). */
void auth_audit(hub_call *call, const char *user_id, const char *action, const char *detail_json);

#endif
