/* See member_rules.h. */
#include "services/tenant/tenant.h"

#include <string.h>


#define MAX_EXTRA_PERMISSIONS 32

hub_status tenant_rule_member_change(hub_arena *a, const char *actor_role, const char *target_role,
                                     const char *new_role, bool removing, int owners) {
  int actor = tenant_role_rank(actor_role), target = tenant_role_rank(target_role);
  if (target > actor)
    return hub_status_new(a, HUB_PERMISSION_DENIED, removing ? "you cannot remove a member whose role is above yours"
                                                             : "you cannot change a member whose role is above yours");
  if (new_role && tenant_role_rank(new_role) > actor)
    return hub_status_new(a, HUB_PERMISSION_DENIED, "you cannot grant a role above your own");
  bool loses_owner = strcmp(target_role, "owner") == 0 && (removing || (new_role && strcmp(new_role, "owner") != 0));
  if (loses_owner && owners <= 1)
    return hub_status_new(a, HUB_FAILED_PRECONDITION,
                          "this is the tenant's last owner: make another member owner first");
  return HUB_STATUS_OK;
}

hub_status tenant_rule_grants(hub_arena *a, const hub_acl *granter, const char *field, char **perms, size_t n) {
  hub_status st = tenant_check_list(a, field, perms, n, MAX_EXTRA_PERMISSIONS, tenant_permission_ok);
  if (!hub_ok(st)) return st;
  for (size_t i = 0; i < n; i++) {
    if (strncmp(perms[i], "platform.", 9) == 0)
      return hub_status_invalid(a, hub_arena_sprintf(a, "%s[%zu]", field, i),
                                "platform permissions cannot be granted here");
    bool held = false;
    for (int k = 0; k < granter->n_perms && !held; k++) held = hub_acl_pattern_matches(granter->perms[k], perms[i]);
    if (!held) return hub_status_new(a, HUB_PERMISSION_DENIED, "you cannot grant %s: you do not hold it", perms[i]);
  }
  return HUB_STATUS_OK;
}

hub_status tenant_rule_role(hub_arena *a, const char *granter_role, const char *field, const char *role) {
  if (!tenant_role_rank(role)) return hub_status_invalid(a, field, "owner, admin, member or viewer");
  if (tenant_role_rank(role) > tenant_role_rank(granter_role))
    return hub_status_new(a, HUB_PERMISSION_DENIED, "you cannot grant a role above your own");
  return HUB_STATUS_OK;
}
