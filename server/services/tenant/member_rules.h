/* The rules of membership changes, apart from SQL so they read as rules:
 *   - roles rank owner > admin > member > viewer;
 *   - nobody grants a role above their own, nor changes or removes someone above them;
 *   - a tenant always keeps an owner: the last one cannot be demoted or removed;
 *   - extra permissions are "domain.resource.verb" patterns the granter holds themselves,
 *     never platform ones. */
#ifndef HUB_TENANT_MEMBER_RULES_H
#define HUB_TENANT_MEMBER_RULES_H

#include <stdbool.h>

#include "identity/acl.h"

/* A change of `target_role` by someone with `actor_role`, to `new_role` (NULL: the role is
 * unchanged; removing: the member leaves). `owners` counts the tenant's owners, locked.
 * PERMISSION_DENIED or FAILED_PRECONDITION when refused. */
hub_status tenant_rule_member_change(hub_arena *a, const char *actor_role, const char *target_role,
                                     const char *new_role, bool removing, int owners);

/* Checks extra permissions for a grant by `granter`: INVALID_ARGUMENT "<field>[i]" for a
 * malformed, repeated or platform pattern, PERMISSION_DENIED for one the granter lacks. */
hub_status tenant_rule_grants(hub_arena *a, const hub_acl *granter, const char *field, char **perms, size_t n);

/* A role the granter may hand out: INVALID_ARGUMENT "<field>" when not a role,
 * PERMISSION_DENIED when above the granter's. */
hub_status tenant_rule_role(hub_arena *a, const char *granter_role, const char *field, const char *role);

#endif
