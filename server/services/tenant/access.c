/* GetMyAccess: the caller's access matrix in every live tenant they belong to, from four
 * statements that go out together (one round trip however many tenants), shaped by
 * access_matrix.c. The transaction sets only the user: the members_mine, tenants_mine and
 * entitlements_mine policies show exactly the caller's own rows. The memberships and the
 * entitlements come back in the same order (tenant name, tenant id), so they merge in one pass. */
#include <string.h>

#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/principal.h"
#include "services/context.h"
#include "services/tenant/tenant.h"

static const hub_pg_stmt admin_sql = {
    "tenant_access_admin", "SELECT is_platform_admin AS platform_admin FROM users WHERE id = $1::uuid", 1};
static const hub_pg_stmt members_sql = {
    "tenant_access_members",
    "SELECT m.tenant_id, t.name AS tenant_name, m.role, m.permissions AS _permissions "
    "FROM members m JOIN tenants t ON t.id = m.tenant_id "
    "WHERE m.user_id = $1::uuid AND t.deleted_at IS NULL ORDER BY t.name, t.id",
    1};
static const hub_pg_stmt roles_sql = {
    "tenant_access_roles", "SELECT role, permission FROM role_permissions ORDER BY role, permission", 0};
static const hub_pg_stmt brands_sql = {
    "tenant_access_brands",
    "SELECT e.tenant_id, e.brand, ARRAY(SELECT unnest(e.modules) INTERSECT SELECT unnest(b.modules) ORDER BY 1) "
    "AS modules FROM members m JOIN tenants t ON t.id = m.tenant_id JOIN entitlements e ON e.tenant_id = m.tenant_id "
    "JOIN brands b ON b.id = e.brand "
    "WHERE m.user_id = $1::uuid AND t.deleted_at IS NULL AND (cardinality(m.brands) = 0 OR e.brand = ANY(m.brands)) "
    "ORDER BY t.name, t.id, e.brand",
    1};

typedef struct load {
  const char *user_id;
  hub_rows *admin, *members, *roles, *brands;
} load;

static hub_status load_fn(hub_tx *tx, void *ud) {
  load *c = ud;
  const char *const p[] = {c->user_id};
  c->admin = hub_tx_exec(tx, &admin_sql, p);
  c->roles = hub_tx_exec(tx, &roles_sql, NULL);
  c->members = hub_tx_exec(tx, &members_sql, p);
  c->brands = hub_tx_exec(tx, &brands_sql, p);
  return HUB_STATUS_OK;
}

/* The role's patterns (rows of roles_sql), then the member's extra grants. */
static void set_perms(hub_arena *a, tenant_access_tenant *t, const hub_rows *roles, const char *extra_lit) {
  char **extra = NULL;
  size_t n_extra = hub_pg_array_parse(a, extra_lit, &extra);
  int n_roles = hub_rows_count(roles);
  t->perms = hub_arena_calloc(a, (size_t)n_roles + n_extra + 1, sizeof *t->perms);
  t->n_perms = 0;
  for (int i = 0; i < n_roles; i++)
    if (strcmp(hub_rows_text(roles, i, "role"), t->role) == 0)
      t->perms[t->n_perms++] = (char *)hub_rows_text(roles, i, "permission");
  for (size_t i = 0; i < n_extra; i++) t->perms[t->n_perms++] = extra[i];
}

hub_status hub_tenant_v1_tenant_get_my_access(hub_call *call, const Hub__Tenant__V1__GetMyAccessRequest *request,
                                              Hub__Tenant__V1__GetMyAccessResponse *response) {
  (void)request;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  load c = {p->user_id, NULL, NULL, NULL, NULL};
  hub_status st = hub_tx_run(hub_ctx_of(call)->pg, a, NULL, p->user_id, hub_call_remaining_ms(call), load_fn, &c);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(c.admin) == 1) hub_rows_decode(c.admin, 0, &response->base);
  response->user_id = (char *)p->user_id;
  int n = hub_rows_count(c.members), nb = hub_rows_count(c.brands), b = 0;
  response->n_tenants = 0;
  response->tenants = hub_arena_calloc(a, (size_t)n + 1, sizeof *response->tenants);
  for (int i = 0; i < n; i++) {
    Hub__Tenant__V1__TenantAccess *ta =
        (Hub__Tenant__V1__TenantAccess *)hub_rows_message(c.members, i, &hub__tenant__v1__tenant_access__descriptor);
    tenant_access_tenant t = {.tenant_id = ta->tenant_id, .name = ta->tenant_name, .role = ta->role};
    set_perms(a, &t, c.roles, hub_rows_text(c.members, i, "_permissions"));
    int from = b;
    while (b < nb && strcmp(hub_rows_text(c.brands, b, "tenant_id"), t.tenant_id) == 0) b++;
    t.brands = hub_arena_calloc(a, (size_t)(b - from) + 1, sizeof *t.brands);
    for (int k = from; k < b; k++) {
      tenant_access_brand *br = &t.brands[t.n_brands++];
      br->brand = (char *)hub_rows_text(c.brands, k, "brand");
      br->n_modules = hub_pg_array_parse(a, hub_rows_text(c.brands, k, "modules"), &br->modules);
    }
    tenant_access_brands(a, &t, ta);
    response->tenants[response->n_tenants++] = ta;
  }
  return HUB_STATUS_OK;
}
