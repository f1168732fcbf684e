/* Internals of the Auth service, shared by its files. One .c per group of RPCs, with its SQL:
 * login.c (Login, VerifyMfa), signup.c (SignUp, VerifyEmail), refresh.c (Refresh), sso.c
 * (LoginWithIdToken), mfa.c (EnrollTotp, ConfirmTotp, DisableTotp and the second factor),
 * passwords.c (ChangePassword, RequestPasswordReset, ResetPassword), account.c (WhoAmI,
 * Logout, SwitchTenant, the sessions, GetJwks), profile.c (GetProfile, UpdateProfile),
 * email_change.c, account_delete.c, account_export.c (ExportMyData) and account_purge.c (the
 * purge and Auth's lifecycle). sessions.c and common.c hold what they share. The profile's
 * value rules are a pure module with a header of their own (profile_rules.h), unit-tested. */
#ifndef HUB_SERVICES_AUTH_H
#define HUB_SERVICES_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cache/ratelimit.h"
#include "db/call.h"
#include "hub/auth/v1/auth.pb-c.h"
#include "hub/clock.h"
#include "identity/acl.h"
#include "identity/audit.h"
#include "identity/identity.h"
#include "identity/principal.h"
#include "services/auth/profile_rules.h"
#include "services/context.h"

/* ---- shared pieces (common.c) ---- */

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
/* An email address as stored for comparison (email_norm): lower case, in the arena. Its shape
 * is the contract's email rule (hub/email.h), checked before the handler for a request field
 * and by the caller for anything else. */
char *auth_email_norm(hub_arena *a, const char *email);
/* Splits `s` in place at every `sep` (empty fields kept) into at most `max` fields; returns
 * how many there were. */
int auth_split(char *s, char sep, char **fields, int max);
/* Appends an account event in a transaction of its own (best effort for failures). */
void auth_audit(hub_call *call, const char *user_id, const char *action, const char *detail_json);
/* The compact text of `o` (keys sorted) in the arena, "{}" when o is NULL; takes o's reference.
 * Outbox payloads and audit details are built with json_pack and written with this, so values
 * are always escaped. */
char *auth_json(hub_arena *a, json_t *o);
/* Unix seconds as a protobuf Timestamp in the arena. */
Google__Protobuf__Timestamp *auth_timestamp(hub_arena *a, int64_t seconds);

/* ---- sessions (sessions.c) ---- */

/* What a new or refreshed session acts as. */
typedef struct auth_grant {
  const char *user_id;
  const char *session_id; /* set by auth_start_session */
  char tenant_id[40];
  char brand[32];
  hub_acl acl;
} auth_grant;

/* Picks the tenant (requested, which must be a membership, else the first membership, else
 * none; a requested one is a request field the contract's uuid rule has lower-cased, or one a
 * second-factor challenge kept from such a field) and brand (requested, else the tenant's home brand, else smb_hub) and loads the
 * access snapshot, in one transaction. NOT_FOUND when the requested tenant is not one of the
 * user's; PERMISSION_DENIED when the brand is not available there. */
hub_status auth_choose_context(hub_call *call, const char *user_id, const char *want_tenant, const char *want_brand,
                               auth_grant *g);
/* Creates the Redis session and the first refresh token and signs the access token; `also`
 * as for auth_mint_pair (g->session_id is set when it runs). */
hub_status auth_start_session(hub_call *call, auth_grant *g, hub_tx_fn also, void *also_ud,
                              Hub__Auth__V1__TokenPair **out);
/* A new refresh token in the session's family (PostgreSQL) and an access token for it. `also`
 * (may be NULL) queues the caller's own statements into the same transaction, which then
 * costs one round trip for all of them: it must only queue (hub_tx_exec), its statements run
 * before the new token's insert, and their results are read once this returns. */
hub_status auth_mint_pair(hub_call *call, const char *user_id, const char *session_id, const char *tenant_id,
                          const char *brand, hub_tx_fn also, void *also_ud, Hub__Auth__V1__TokenPair **out);
/* Ends the session everywhere: Redis, and its refresh tokens in PostgreSQL. */
hub_status auth_end_session(hub_call *call, const char *user_id, const char *session_id);
/* Ends every session of the user but `keep_sid` (may be NULL); *n counts them. */
hub_status auth_end_other_sessions(hub_call *call, const char *user_id, const char *keep_sid, int *n);
/* An access token for the pair (claims from the arguments). */
hub_status auth_sign_access(hub_call *call, const char *user_id, const char *session_id, const char *tenant_id,
                            const char *brand, char **token, int64_t *exp_s);

/* ---- signing in (login.c) ---- */

/* Stores a single-use second-factor challenge for VerifyMfa (5 minutes). */
hub_status auth_mfa_challenge(hub_call *call, const char *user_id, const char *tenant, const char *brand,
                              char **challenge);
/* Chooses the context, starts the session and fills response->tokens (the last step of every
 * sign-in). */
hub_status auth_finish_login(hub_call *call, const char *user_id, const char *tenant, const char *brand,
                             Hub__Auth__V1__LoginResponse *response);

/* ---- the second factor (mfa.c) ---- */

/* Checks a TOTP code (current step ±1, each step usable once) or a recovery code (spent on
 * use) for the user, under the per-account TOTP rate limit. UNAUTHENTICATED when wrong. */
hub_status auth_check_second_factor(hub_call *call, const char *user_id, const char *totp_code,
                                    const char *recovery_code);

/* ---- the account lifecycle (profile.c, account_delete.c) ---- */

/* What proving the password found: the account's normalised email and whether it has a
 * second factor. */
typedef struct auth_proof {
  char *email_norm;
  bool has_mfa;
} auth_proof;

/* Checks the caller's password (for RPCs that must not run on a stolen session alone):
 * `password` must already be checked non-empty and at most HUB_PASSWORD_MAX_BYTES. Counts
 * against the per-account login limit; FAILED_PRECONDITION for an account without a password
 * (SSO only); UNAUTHENTICATED (audited as password.check_failed with `purpose`) when wrong. */
hub_status auth_prove_password(hub_call *call, const char *user_id, const char *password, const char *purpose,
                               auth_proof *out);

/* Queues the read of when the user's scheduled deletion falls due: once flushed, a row whose
 * due_s is Unix seconds, or 0 when none is scheduled. */
hub_rows *auth_queue_deletion_due(hub_tx *tx, const char *user_id);

/* ---- operator commands on accounts: hubd platform-admin|sessions|revoke-sessions EMAIL (admin_commands.c) ---- */

int auth_platform_admin_command(const hub_service_env *env);
int auth_sessions_command(const hub_service_env *env);
int auth_revoke_sessions_command(const hub_service_env *env);

#endif
