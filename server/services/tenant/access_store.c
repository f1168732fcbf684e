/* See access_store.h. The memberships and the entitlements come back in the same order
 * (tenant name, tenant id), so they are merged in one pass. */
#include "services/tenant/access_store.h"

#include <string.h>

#include "services/tenant/convert.h"

static const hub_pg_stmt admin_sql = {"tenant_access_admin", "SELECT is_platform_admin FROM users WHERE id = $1::uuid",
                                      1};
static const hub_pg_stmt members_sql = {
    "tenant_access_members",
    "SELECT m.tenant_id, t.name, m.role, m.permissions FROM members m JOIN tenants t ON t.id = m.tenant_id "
    "WHERE m.user_id = $1::uuid AND t.deleted_at IS NULL ORDER BY t.name, t.id",
    1};
static const hub_pg_stmt roles_sql = {"tenant_access_roles",
                                      "SELECT role, permission FROM role_permissions ORDER BY role, permission", 0};
static const hub_pg_stmt brands_sql = {
    "tenant_access_brands",
    "SELECT e.tenant_id, e.brand, ARRAY(SELECT unnest(e.modules) INTERSECT SELECT unnest(b.modules) ORDER BY 1) "
    "FROM members m JOIN tenants t ON t.id = m.tenant_id JOIN entitlements e ON e.tenant_id = m.tenant_id "
    "JOIN brands b ON b.id = e.brand "
    "WHERE m.user_id = $1::uuid AND t.deleted_at IS NULL AND (cardinality(m.brands) = 0 OR e.brand = ANY(m.brands)) "
    "ORDER BY t.name, t.id, e.brand",
    1};

typedef struct load_ctx {
  const char *user_id;
  tenant_access *out;
} load_ctx;

/* Appends the role's patterns (rows of roles_sql) and the extras literal to t->perms. */
static void set_perms(hub_arena *a, tenant_access_tenant *t, const PGresult *roles, const char *extra_lit) {
  char **extra = NULL;
  size_t n_extra = hub_pg_array_parse(a, extra_lit, &extra);
  int n_roles = PQntuples(roles);
  t->perms = hub_arena_calloc(a, (size_t)n_roles + n_extra + 1, sizeof *t->perms);
  t->n_perms = 0;
  for (int i = 0; i < n_roles; i++)
    if (strcmp(PQgetvalue(roles, i, 0), t->role) == 0)
      t->perms[t->n_perms++] = hub_arena_strdup(a, PQgetvalue(roles, i, 1));
  for (size_t i = 0; i < n_extra; i++) t->perms[t->n_perms++] = extra[i];
}

static hub_status load_fn(hub_pg *pg, hub_arena *a, void *ud) {
  load_ctx *c = ud;
  tenant_access *out = c->out;
  memset(out, 0, sizeof *out);
  PGresult *res = NULL, *roles = NULL, *brands = NULL;
  hub_status st = hub_pg_exec(pg, a, &admin_sql, (const char *[]){c->user_id}, &res);
  if (!hub_ok(st)) return st;
  out->platform_admin = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
  PQclear(res);
  st = hub_pg_exec(pg, a, &roles_sql, NULL, &roles);
  if (hub_ok(st)) st = hub_pg_exec(pg, a, &members_sql, (const char *[]){c->user_id}, &res);
  if (hub_ok(st)) st = hub_pg_exec(pg, a, &brands_sql, (const char *[]){c->user_id}, &brands);
  if (!hub_ok(st)) {
    PQclear(roles);
    PQclear(res);
    return st;
  }
  int n = PQntuples(res), nb = PQntuples(brands), b = 0;
  out->tenants = hub_arena_calloc(a, (size_t)n + 1, sizeof *out->tenants);
  for (int i = 0; i < n; i++) {
    tenant_access_tenant *t = &out->tenants[out->n_tenants++];
    t->tenant_id = hub_arena_strdup(a, PQgetvalue(res, i, 0));
    t->name = hub_arena_strdup(a, PQgetvalue(res, i, 1));
    t->role = hub_arena_strdup(a, PQgetvalue(res, i, 2));
    set_perms(a, t, roles, PQgetvalue(res, i, 3));
    int from = b;
    while (b < nb && strcmp(PQgetvalue(brands, b, 0), t->tenant_id) == 0) b++;
    t->brands = hub_arena_calloc(a, (size_t)(b - from) + 1, sizeof *t->brands);
    for (int k = from; k < b; k++) {
      tenant_access_brand *br = &t->brands[t->n_brands++];
      br->brand = hub_arena_strdup(a, PQgetvalue(brands, k, 1));
      br->n_modules = hub_pg_array_parse(a, PQgetvalue(brands, k, 2), &br->modules);
    }
  }
  PQclear(roles);
  PQclear(res);
  PQclear(brands);
  return HUB_STATUS_OK;
}

hub_status tenant_access_load(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *user_id, tenant_access *out) {
  load_ctx c = {user_id, out};
  return hub_pg_tx_user(pg, a, NULL, user_id, timeout_ms, load_fn, &c);
}
