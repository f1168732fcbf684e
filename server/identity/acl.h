/* A member's access in one tenant, as one compact string kept in their Redis session, so the
 * permission check on a warm call costs no PostgreSQL query: role, platform-admin flag, the
 * brands they may use there with the modules of each (tenant entitlement ∩ brand offer ∩ the
 * member's brand list), and the permission patterns granted (role defaults from the
 * role_permissions table plus the member's extra grants).
 *
 *   "v1|role=admin|pa=0|ev=1|mfa=0|email=a%40b.c|name=Ann|b=exakeep:accounting+ticket,addvive:crm|p=ticket.*.*"
 *
 * (email and name are percent-encoded). Account changes WhoAmI reports (email verified, MFA
 * on or off) clear the user's snapshots too.
 *
 * The snapshot is rebuilt from PostgreSQL (hub_acl_load) at login, on SwitchTenant, and on the
 * first call after a change cleared it (hub_session_clear_acl). */
#ifndef HUB_IDENTITY_ACL_H
#define HUB_IDENTITY_ACL_H

#include <stdbool.h>
#include <stddef.h>

#include "db/pg.h"
#include "db/tx.h"

#define HUB_ACL_MAX_BRANDS 16
#define HUB_ACL_MAX_MODULES 16
#define HUB_ACL_MAX_PERMS 96

typedef struct hub_acl_brand {
  char id[32];
  int n_modules;
  char modules[HUB_ACL_MAX_MODULES][24];
} hub_acl_brand;

typedef struct hub_acl {
  char role[16]; /* "" when not a member of the tenant */
  bool platform_admin;
  /* The account as WhoAmI shows it, so that answering it needs no query either. */
  char email[256];
  char display_name[208];
  bool email_verified, mfa_enabled;
  int n_brands;
  hub_acl_brand brands[HUB_ACL_MAX_BRANDS];
  int n_perms;
  char perms[HUB_ACL_MAX_PERMS][64];
} hub_acl;

/* Serialises into the arena. */
char *hub_acl_format(const hub_acl *acl, hub_arena *a);
/* Parses a snapshot; false when malformed (the caller rebuilds it). */
bool hub_acl_parse(const char *text, hub_acl *out);

/* Does `pattern` ("ticket.*.view", "*.*.*") grant `perm` ("ticket.tickets.view")? */
bool hub_acl_pattern_matches(const char *pattern, const char *perm);
/* Does the acl grant `perm`? Platform permissions ("platform.x.y") need platform_admin. */
bool hub_acl_grants(const hub_acl *acl, const char *perm);
/* The brand entry, or NULL when the member may not use that brand in this tenant. */
const hub_acl_brand *hub_acl_find_brand(const hub_acl *acl, const char *brand);
/* Is `module` ("ticket") usable on that brand entry? */
bool hub_acl_brand_has_module(const hub_acl_brand *b, const char *module);
/* Modules are the domains of the business services, the values of hub.api.v1.Module
 * (proto/hub/api/v1/module.proto) read from its descriptor; "tenant", "auth" and "platform"
 * are not modules and need no entitlement. NULL is no module. */
bool hub_acl_is_module(const char *domain);

/* Narrows the granted patterns to what both they and one of `scopes` grant (an API key's
 * scopes; n = 0 leaves the acl as it is): afterwards hub_acl_grants(acl, p) holds exactly
 * when it held before and some scope matches p. */
void hub_acl_narrow(hub_acl *acl, char *const *scopes, size_t n);

/* Builds `user_id`'s snapshot in `tenant_id` (NULL or "": no tenant, only the platform flag)
 * inside a transaction of its own. A user who is not a member (or a deleted tenant) gets an
 * empty role, which refuses every tenant permission. */
hub_status hub_acl_load(hub_pg *pg, hub_arena *a, const char *user_id, const char *tenant_id, int64_t timeout_ms,
                        hub_acl *out);
/* The same inside a running transaction (set up with the user, and the tenant when there is
 * one): for a body that picks the tenant itself (a sign-in). */
hub_status hub_acl_load_tx(hub_tx *tx, const char *user_id, const char *tenant_id, hub_acl *out);
/* The second half of a snapshot, for a grant already read (a membership's or a service
 * account's): the role's defaults plus `extra` (a text[] literal), and the tenant's brands
 * narrowed to `brands` (a text[] literal; empty: all), in one round trip. Inside a
 * transaction with the tenant set. Leaves the account fields of *out alone. */
hub_status hub_acl_load_grant_tx(hub_tx *tx, const char *tenant_id, const char *role, const char *extra,
                                 const char *brands, hub_acl *out);
#endif
