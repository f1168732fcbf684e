/* The account lifecycle of the Auth service: the profile (profile.c, with the BCP 47 and time
 * zone rules in profile_rules.h), a change of email (email_change.c), the export
 * (account_export.c), deletion (account_delete.c) and the purge that follows it
 * (account_purge.c). What those files share is declared here. */
#ifndef HUB_SERVICES_AUTH_LIFECYCLE_H
#define HUB_SERVICES_AUTH_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "services/auth/auth.h"
#include "services/auth/profile_rules.h"

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

/* The compact text of `o` (keys sorted) in the arena, "{}" when o is NULL; takes o's reference.
 * Outbox payloads and audit details are built with json_pack and written with this, so values
 * are always escaped. */
char *auth_json(hub_arena *a, json_t *o);

/* Unix seconds as a protobuf Timestamp in the arena. */
Google__Protobuf__Timestamp *auth_timestamp(hub_arena *a, int64_t seconds);

/* When the user's scheduled deletion falls due (Unix seconds), or 0 when none is scheduled. */
hub_status auth_deletion_due(hub_call *call, const char *user_id, int64_t *due_s);

/* The columns of a profile, in the order auth_profile_row reads them, for SELECT and
 * RETURNING lists over the users table. */
#define AUTH_PROFILE_COLS                                                                                   \
  "id, email, email_verified_at IS NOT NULL, display_name, coalesce(locale, ''), coalesce(time_zone, ''), " \
  "coalesce(avatar_url, ''), extract(epoch FROM created_at)::bigint, "                                      \
  "coalesce(extract(epoch FROM deletion_due_at)::bigint, 0)"
/* Row `row` of a result selecting AUTH_PROFILE_COLS, into `out` (strings in the arena). */
void auth_profile_row(hub_arena *a, const PGresult *res, int row, Hub__Auth__V1__Profile *out);

#endif
