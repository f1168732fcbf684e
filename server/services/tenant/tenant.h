/* Internals shared by the Tenant service's files. Handlers live in one file per group of RPCs
 * (tenants.c, members.c, brands.c, features.c, access.c, audit.c, service_accounts.c,
 * platform_accounts.c), each with its SQL beside it; the pure modules
 * below (no I/O, no clock) have unit tests (tests/unit/test_tenant_pure.c). Requests arrive
 * checked against the contract's field rules (proto/hub/tenant/v1/tenant.proto), so a
 * handler checks only what needs the database or several fields at once. */
#ifndef HUB_SERVICES_TENANT_H
#define HUB_SERVICES_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aip/paging.h"
#include "db/array.h"
#include "db/call.h"
#include "hub/tenant/v1/tenant.pb-c.h"
#include "hub/uuid.h"
#include "identity/acl.h"
#include "identity/apikey.h"

/* ---- values the field rules cannot express (values.c, pure) ---- */

/* A slug made from a display name: lower case, runs of anything but a-z0-9 become one "-",
 * trimmed to 63 characters; NULL when fewer than 2 characters remain. (A slug the caller
 * chose is the contract's rule: CHAR_CLASS_SLUG, 2 to 63 characters.) */
char *tenant_slug_from_name(hub_arena *a, const char *name);
char *tenant_lower(hub_arena *a, const char *s);
/* A lower-case DNS host name with at least one dot: labels a-z0-9 and inner "-". */
bool tenant_host_ok(const char *s);
/* "#RRGGBB". */
bool tenant_colour_ok(const char *s);
/* "^[a-z][a-z_]{1,31}$", as the brands table requires. */
bool tenant_brand_id_ok(const char *s);
/* owner 4, admin 3, member 2, viewer 1, anything else 0. */
int tenant_role_rank(const char *role);
/* "domain.resource.verb", each part [a-z_]+ or "*", at most 63 bytes. */
bool tenant_permission_ok(const char *s);
/* "^[a-z][a-z0-9_.]{1,63}$". */
bool tenant_flag_ok(const char *s);
/* An etag: "" means no check (*out = -1), else a positive decimal version. */
hub_status tenant_etag(hub_arena *a, const char *etag, int64_t *out);
/* Checks a list of strings with `ok`, refusing duplicates and more than `max` items; the
 * violation names "<field>[i]". */
hub_status tenant_check_list(hub_arena *a, const char *field, char **items, size_t n, size_t max,
                             bool (*ok)(const char *));
/* Every item of a list passes `ok`, else INVALID_ARGUMENT "<field>[i]" `what`. (The list's
 * length and repeats are the contract's rules.) */
hub_status tenant_check_items(hub_arena *a, const char *field, char **items, size_t n, bool (*ok)(const char *),
                              const char *what);

/* ---- the rules of membership changes (member_rules.c, pure) ----
 *   - roles rank owner > admin > member > viewer;
 *   - nobody grants a role above their own, nor changes or removes someone above them;
 *   - a tenant always keeps an owner: the last one cannot be demoted or removed;
 *   - extra permissions are "domain.resource.verb" patterns the granter holds themselves,
 *     never platform ones. */

/* A change of `target_role` by someone with `actor_role`, to `new_role` (NULL: the role is
 * unchanged; removing: the member leaves). `owners` counts the tenant's owners, locked.
 * PERMISSION_DENIED or FAILED_PRECONDITION when refused. */
hub_status tenant_rule_member_change(hub_arena *a, const char *actor_role, const char *target_role,
                                     const char *new_role, bool removing, int owners);
/* Checks extra permissions for a grant by `granter`: INVALID_ARGUMENT "<field>[i]" for a
 * malformed, repeated or platform pattern (or more than 32), PERMISSION_DENIED for one the
 * granter lacks. (The contract's rules say as much of a create request's list; an update's
 * list counts only when its update mask names it, which no field rule can express.) */
hub_status tenant_rule_grants(hub_arena *a, const hub_acl *granter, const char *field, char **perms, size_t n);
/* A role the granter may hand out: INVALID_ARGUMENT "<field>" when not a role,
 * PERMISSION_DENIED when above the granter's. */
hub_status tenant_rule_role(hub_arena *a, const char *granter_role, const char *field, const char *role);

/* ---- brand settings as stored JSON (json.c, pure) ----
 * The brands table keeps a brand's theme, mail parts, SEO and white-label settings as jsonb
 * objects whose keys are the proto's snake_case field names. */

/* Compact JSON of the message; empty strings are left out. A NULL message gives "{}". */
char *tenant_theme_json(hub_arena *a, const Hub__Tenant__V1__Theme *m);
char *tenant_email_json(hub_arena *a, const Hub__Tenant__V1__EmailTemplate *m);
char *tenant_seo_json(hub_arena *a, const Hub__Tenant__V1__Seo *m);
char *tenant_white_label_json(hub_arena *a, const Hub__Tenant__V1__WhiteLabel *m);
/* Messages from stored JSON; unknown keys and values of the wrong type are ignored. */
Hub__Tenant__V1__Theme *tenant_theme_from_json(hub_arena *a, const char *json);
Hub__Tenant__V1__EmailTemplate *tenant_email_from_json(hub_arena *a, const char *json);
Hub__Tenant__V1__Seo *tenant_seo_from_json(hub_arena *a, const char *json);
Hub__Tenant__V1__WhiteLabel *tenant_white_label_from_json(hub_arena *a, const char *json);
/* A compact object from NULL-terminated (key, value) string pairs; a NULL value is skipped,
 * every value is escaped. For audit details and the outbox: never put secrets in them.
 * E.g. tenant_json_object(a, "role", "admin", "email", e, NULL). */
char *tenant_json_object(hub_arena *a, ...);

/* ---- the access matrix (access_matrix.c, pure) ----
 * The shape of GetMyAccess: per tenant, per brand, the permissions grouped by service (a
 * permission's first part). A wildcard domain ("*.*.*", "*.*.view") stands for each of the
 * brand's modules and "tenant" (tenant administration), so an owner gets, for service
 * "ticket", ["ticket.*.*"]. A module the brand does not enable for the tenant is left out;
 * platform permissions belong to platform_admin, not to a tenant. access.c loads the input. */

typedef struct tenant_access_brand {
  char *brand;
  char **modules; /* entitled and offered by the brand */
  size_t n_modules;
} tenant_access_brand;

typedef struct tenant_access_tenant {
  char *tenant_id, *name, *role;
  char **perms; /* the role's patterns, then the member's extra grants */
  size_t n_perms;
  tenant_access_brand *brands; /* entitled, narrowed to the member's brand list */
  size_t n_brands;
} tenant_access_tenant;

/* One tenant's BrandAccess list; services and permissions sorted and distinct. */
void tenant_access_brands(hub_arena *a, const tenant_access_tenant *t, Hub__Tenant__V1__TenantAccess *out);

/* ---- members (members.c) ---- */

/* Brands a member or a service account may be limited to: brand ids that exist (a lookup in
 * the process-wide brand list), at most 16, no repeats; the violation names "<field>[i]". (As
 * for tenant_rule_grants, the update paths need the count and repeats checked here.) */
hub_status tenant_check_brands(hub_call *call, const char *field, char **brands, size_t n);
/* After a change to someone's membership, role, brands, permissions, or to a tenant's
 * entitlements or existence, their live sessions must rebuild their access snapshot on the
 * next call: this forgets the snapshots of `users` acting in `tenant_id` (and every API key's
 * of the tenant). Call after the commit. Best effort: a failure is logged (the change stands;
 * sessions pick it up when their snapshot is rebuilt for another reason or they end) and
 * retried once. */
void tenant_refresh_access(hub_call *call, const char *tenant_id, char *const *users, size_t n);

/* ---- API keys of service accounts (service_accounts.c; platform_accounts.c makes the
 * platform's with the same helpers) ----
 * A key's secret exists only in CreateApiKey's and RotateApiKey's response; only its SHA-256
 * is stored. Whatever ends or narrows a key retires its cached grant in Redis after the commit
 * and before the RPC answers, so no hubd accepts the old grant once the caller has the answer. */

#define TENANT_KEYS_PER_ACCOUNT 20 /* live (not revoked, not expired) keys per service account */

/* A new key being made: the key-making body (`fn` of tenant_key_issue) sets `row` to its
 * insert's result and, for a rotation, `old` to the old key's locked row (with its "prefix").
 * Embed it first in the body's context. */
typedef struct tenant_minting {
  char prefix[HUB_APIKEY_PREFIX_LEN + 1];
  const char *hash_hex;
  hub_rows *row, *old;
} tenant_minting;

/* An expiry in the future (unset: none), at most max_ahead_s ahead when that is not 0, as the
 * epoch-microseconds parameter the inserts take (*micros NULL for none). */
hub_status tenant_key_expiry(hub_arena *a, const char *field, const Google__Protobuf__Timestamp *ts,
                             int64_t max_ahead_s, const char **micros);
/* RotateApiKey's and RotatePlatformApiKey's two times: the old key's new expiry (at most 30
 * days ahead) and the new key's. */
hub_status tenant_key_rotation_times(hub_arena *a, const Google__Protobuf__Timestamp *old_key_expires_at,
                                     const Google__Protobuf__Timestamp *expires_at, const char **old_until,
                                     const char **expires);
/* The rate limit parameter: the request's (the contract bounds it), 0 meaning the default. */
const char *tenant_key_rate(hub_arena *a, int32_t requested);
/* Makes a key and runs `fn(tx, m)` in the call's tenant (platform: no tenant and no user),
 * with one more draw when the prefix is taken; answers the key and, after a rotation,
 * retires the old key's cached grant. A refusal names `field`. */
hub_status tenant_key_issue(hub_call *call, bool platform, hub_tx_fn fn, tenant_minting *m, const char *field,
                            Hub__Tenant__V1__CreateApiKeyResponse *response);
/* Retires the cached grants of keys that just changed (identity/apikey.h). A failure is
 * UNAVAILABLE: the change stands, and the caller retries (revocation and deletion are safe to
 * repeat) until no hubd can accept the old grant. */
hub_status tenant_keys_retire(hub_call *call, const hub_rows *prefixes); /* column "prefix" */

/* ---- feature flags (features.c) ---- */

/* Forgets every brand's cached flag map of the tenant; call after the change has committed
 * (a tier change too). */
hub_status tenant_feature_cache_invalidate(hub_call *call, const char *tenant_id);

#endif
