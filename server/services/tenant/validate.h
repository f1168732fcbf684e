/* Input rules of the Tenant service, as pure functions: every RPC checks its request with
 * these before any SQL runs, so a bad value is INVALID_ARGUMENT naming the field instead of
 * a PostgreSQL data error, and the rules live in one place. */
#ifndef HUB_TENANT_VALIDATE_H
#define HUB_TENANT_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "google/protobuf/field_mask.pb-c.h"
#include "hub/arena.h"
#include "hub/status.h"
#include "hub/email.h"
#include "hub/uuid.h" /* ids: hub_uuid_lower */

/* "^[a-z0-9][a-z0-9-]{1,62}$", as the tenants table requires. */
bool tenant_slug_ok(const char *s);
/* A slug made from a display name: lower case, runs of anything but a-z0-9 become one "-",
 * trimmed to 63 characters; NULL when fewer than 2 characters remain. */
char *tenant_slug_from_name(hub_arena *a, const char *name);
char *tenant_lower(hub_arena *a, const char *s);
/* A lower-case DNS host name with at least one dot: labels a-z0-9 and inner "-". */
bool tenant_host_ok(const char *s);
/* "#RRGGBB". */
bool tenant_colour_ok(const char *s);
/* "https://<host>[...]". */
bool tenant_https_url_ok(const char *s);
/* "^[a-z][a-z_]{1,31}$", as the brands table requires. */
bool tenant_brand_id_ok(const char *s);
/* owner 4, admin 3, member 2, viewer 1, anything else 0. */
int tenant_role_rank(const char *role);
/* "domain.resource.verb", each part [a-z_]+ or "*", at most 63 bytes. */
bool tenant_permission_ok(const char *s);
/* "^[a-z][a-z0-9_.]{1,63}$". */
bool tenant_flag_ok(const char *s);
/* Free text of at most `max` bytes, valid UTF-8, without control characters (newlines and
 * tabs allowed when `multiline`). */
bool tenant_text_ok(const char *s, size_t max, bool multiline);

/* An etag: "" means no check (*out = -1), else a positive decimal version. */
hub_status tenant_etag(hub_arena *a, const char *etag, int64_t *out);
/* A field mask over `allowed` (NULL-terminated): bit i set for allowed[i]. Empty, unknown
 * or repeated paths are INVALID_ARGUMENT "update_mask". */
hub_status tenant_mask(hub_arena *a, const Google__Protobuf__FieldMask *mask, const char *const *allowed,
                       unsigned *bits);

/* Checks a list of strings with `ok`, refusing duplicates and more than `max` items; the
 * violation names "<field>[i]". */
hub_status tenant_check_list(hub_arena *a, const char *field, char **items, size_t n, size_t max,
                             bool (*ok)(const char *));

/* Brands a member or a service account may be limited to: brand ids that exist (a lookup in
 * the process-wide brand list), at most 16, no repeats; the violation names "<field>[i]".
 * (In member_handler.c.) */
struct hub_call;
hub_status tenant_check_brands(struct hub_call *call, const char *field, char **brands, size_t n);

#endif
