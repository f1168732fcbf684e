/* The second factor, shared by Login, VerifyMfa and the TOTP RPCs. */
#ifndef HUB_SERVICES_AUTH_MFA_H
#define HUB_SERVICES_AUTH_MFA_H

#include "runtime/call.h"

/* Checks a TOTP code (current step ±1, each step usable once) or a recovery code (spent on
 * use) for the user, under the per-account TOTP rate limit. UNAUTHENTICATED when wrong. */
hub_status auth_check_second_factor(hub_call *call, const char *user_id, const char *totp_code,
                                    const char *recovery_code);

#endif
