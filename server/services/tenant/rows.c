/* See rows.h. Strings are copied into the arena: results are PQclear()ed by the stores. */
#include "services/tenant/rows.h"

#include "services/tenant/convert.h"

static char *col_str(hub_arena *a, const PGresult *res, int row, int col) {
  return hub_arena_strdup(a, PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col));
}

Hub__Tenant__V1__TenantInfo *tenant_row_tenant(hub_arena *a, const PGresult *res, int row, int col) {
  Hub__Tenant__V1__TenantInfo *t = hub_arena_alloc(a, sizeof *t);
  hub__tenant__v1__tenant_info__init(t);
  t->id = col_str(a, res, row, col);
  t->name = col_str(a, res, row, col + 1);
  t->slug = col_str(a, res, row, col + 2);
  t->subscription_type = col_str(a, res, row, col + 3);
  t->tier = col_str(a, res, row, col + 4);
  t->home_brand = col_str(a, res, row, col + 5);
  t->created_at = tenant_timestamp(a, PQgetvalue(res, row, col + 6));
  t->etag = col_str(a, res, row, col + 7);
  return t;
}

Hub__Tenant__V1__Member *tenant_row_member(hub_arena *a, const PGresult *res, int row, int col) {
  Hub__Tenant__V1__Member *m = hub_arena_alloc(a, sizeof *m);
  hub__tenant__v1__member__init(m);
  m->user_id = col_str(a, res, row, col);
  m->email = col_str(a, res, row, col + 1);
  m->display_name = col_str(a, res, row, col + 2);
  m->role = col_str(a, res, row, col + 3);
  m->n_brands = hub_pg_array_parse(a, PQgetvalue(res, row, col + 4), &m->brands);
  m->n_permissions = hub_pg_array_parse(a, PQgetvalue(res, row, col + 5), &m->permissions);
  m->joined_at = tenant_timestamp(a, PQgetvalue(res, row, col + 6));
  m->etag = col_str(a, res, row, col + 7);
  return m;
}

void tenant_rows_entitlements(hub_arena *a, const PGresult *res, int from, int to, int col,
                              Hub__Tenant__V1__TenantInfo *t) {
  t->n_entitlements = 0;
  t->entitlements = to > from ? hub_arena_calloc(a, (size_t)(to - from), sizeof *t->entitlements) : NULL;
  for (int i = from; i < to; i++) {
    Hub__Tenant__V1__Entitlement *e = hub_arena_alloc(a, sizeof *e);
    hub__tenant__v1__entitlement__init(e);
    e->brand = col_str(a, res, i, col);
    e->n_modules = hub_pg_array_parse(a, PQgetvalue(res, i, col + 1), &e->modules);
    t->entitlements[t->n_entitlements++] = e;
  }
}
