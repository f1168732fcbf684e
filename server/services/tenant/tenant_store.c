/* See tenant_store.h. Refusals found inside a transaction are returned from its body, which
 * rolls it back, so nothing is half-written. */
#include "services/tenant/tenant_store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "identity/audit.h"
#include "services/tenant/convert.h"
#include "services/tenant/tenant.h"
#include "services/tenant/rows.h"

static const hub_pg_stmt get_sql = {
    "tenant_get", "SELECT " TENANT_COLS " FROM tenants t WHERE t.id = $1::uuid AND t.deleted_at IS NULL", 1};
static const hub_pg_stmt entitlements_sql = {
    "tenant_entitlements", "SELECT brand, modules FROM entitlements WHERE tenant_id = $1::uuid ORDER BY brand", 1};
static const hub_pg_stmt insert_sql = {
    "tenant_insert",
    "INSERT INTO tenants (id, name, slug, home_brand) VALUES ($1::uuid, $2, $3, $4) "
    "ON CONFLICT (id) DO NOTHING RETURNING id",
    4};
static const hub_pg_stmt is_member_sql = {
    "tenant_is_member", "SELECT 1 FROM members WHERE tenant_id = $1::uuid AND user_id = $2::uuid", 2};
static const hub_pg_stmt add_owner_sql = {
    "tenant_add_owner", "INSERT INTO members (tenant_id, user_id, role) VALUES ($1::uuid, $2::uuid, 'owner')", 2};
static const hub_pg_stmt entitle_home_sql = {
    "tenant_entitle_home",
    "INSERT INTO entitlements (tenant_id, brand, modules) SELECT $1::uuid, id, modules FROM brands WHERE id = $2", 2};
static const hub_pg_stmt list_sql = {
    "tenant_list",
    "SELECT " TENANT_COLS ", m.role FROM members m JOIN tenants t ON t.id = m.tenant_id "
    "WHERE m.user_id = $1::uuid AND t.deleted_at IS NULL "
    "AND ($2::text IS NULL OR (t.name, t.id) > ($2::text, $3::uuid)) ORDER BY t.name, t.id LIMIT $4::int",
    4};
static const hub_pg_stmt list_entitlements_sql = {
    "tenant_list_entitlements",
    "SELECT tenant_id, brand, modules FROM entitlements WHERE tenant_id = ANY($1::uuid[]) ORDER BY tenant_id, brand",
    1};
static const hub_pg_stmt lock_sql = {
    "tenant_lock", "SELECT version, slug, name, tier FROM tenants WHERE id = $1::uuid AND deleted_at IS NULL FOR UPDATE",
    1};
static const hub_pg_stmt update_sql = {
    "tenant_update",
    "UPDATE tenants SET name = CASE WHEN $2::bool THEN $3::text ELSE name END, "
    "slug = CASE WHEN $4::bool THEN $5::text ELSE slug END, version = version + 1, updated_at = now() "
    "WHERE id = $1::uuid",
    5};
static const hub_pg_stmt delete_sql = {
    "tenant_soft_delete",
    "UPDATE tenants SET deleted_at = now(), version = version + 1, updated_at = now() WHERE id = $1::uuid", 1};
static const hub_pg_stmt revoke_invitations_sql = {
    "tenant_revoke_invitations",
    "UPDATE invitations SET revoked_at = now() WHERE tenant_id = $1::uuid AND accepted_at IS NULL AND revoked_at IS NULL",
    1};
static const hub_pg_stmt actor_role_sql = {
    "tenant_actor_role", "SELECT role FROM members WHERE tenant_id = $1::uuid AND user_id = $2::uuid", 2};
static const hub_pg_stmt member_ids_sql = {
    "tenant_member_ids", "SELECT user_id FROM members WHERE tenant_id = $1::uuid ORDER BY user_id", 1};
static const hub_pg_stmt clear_entitlements_sql = {
    "tenant_clear_entitlements", "DELETE FROM entitlements WHERE tenant_id = $1::uuid", 1};
static const hub_pg_stmt add_entitlement_sql = {
    "tenant_add_entitlement", "INSERT INTO entitlements (tenant_id, brand, modules) VALUES ($1::uuid, $2, $3::text[])",
    3};
static const hub_pg_stmt set_tier_sql = {
    "tenant_set_tier",
    "UPDATE tenants SET tier = coalesce($2, tier), subscription_type = coalesce($3, subscription_type), "
    "version = version + 1, updated_at = now() WHERE id = $1::uuid",
    3};

/* The tenant and its entitlements, inside a transaction that shows it. */
static hub_status read_tenant(hub_pg *pg, hub_arena *a, const char *id, Hub__Tenant__V1__TenantInfo **out) {
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &get_sql, (const char *[]){id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return hub_status_new(a, HUB_NOT_FOUND, "no such tenant");
  }
  Hub__Tenant__V1__TenantInfo *t = tenant_row_tenant(a, res, 0, 0);
  PQclear(res);
  st = hub_pg_exec(pg, a, &entitlements_sql, (const char *[]){id}, &res);
  if (!hub_ok(st)) return st;
  tenant_rows_entitlements(a, res, 0, PQntuples(res), 0, t);
  PQclear(res);
  *out = t;
  return HUB_STATUS_OK;
}

static hub_status member_ids(hub_pg *pg, hub_arena *a, const char *tenant_id, char ***ids, size_t *n) {
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &member_ids_sql, (const char *[]){tenant_id}, &res);
  if (!hub_ok(st)) return st;
  *n = (size_t)PQntuples(res);
  *ids = hub_arena_calloc(a, *n + 1, sizeof **ids);
  for (size_t i = 0; i < *n; i++) (*ids)[i] = hub_arena_strdup(a, PQgetvalue(res, (int)i, 0));
  PQclear(res);
  return HUB_STATUS_OK;
}

/* ---- create ---- */

typedef struct create_ctx {
  const hub_tenant_new *in;
  Hub__Tenant__V1__TenantInfo *out;
} create_ctx;

static hub_status create_fn(hub_pg *pg, hub_arena *a, void *ud);

/* The tenant a repeated request created, as it is now. */
static hub_status replay_fn(hub_pg *pg, hub_arena *a, void *ud) {
  create_ctx *c = ud;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &is_member_sql, (const char *[]){c->in->id, c->in->user_id}, &res);
  if (!hub_ok(st)) return st;
  bool member = PQntuples(res) == 1;
  PQclear(res);
  if (!member) return hub_status_new(a, HUB_NOT_FOUND, "no such tenant");
  return read_tenant(pg, a, c->in->id, &c->out);
}

hub_status hub_tenant_create_in_tx(hub_pg *pg, hub_arena *a, const hub_tenant_new *in,
                                   Hub__Tenant__V1__TenantInfo **out) {
  create_ctx c = {in, NULL};
  hub_status st = create_fn(pg, a, &c);
  if (hub_ok(st) && out) *out = c.out;
  return st;
}

static hub_status create_fn(hub_pg *pg, hub_arena *a, void *ud) {
  create_ctx *c = ud;
  const hub_tenant_new *in = c->in;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &insert_sql, (const char *[]){in->id, in->name, in->slug, in->brand}, &res);
  if (!hub_ok(st)) return st;
  bool created = PQntuples(res) == 1;
  PQclear(res);
  if (!created) return replay_fn(pg, a, ud); /* a repeat of a request that created it */
  st = hub_pg_exec(pg, a, &add_owner_sql, (const char *[]){in->id, in->user_id}, NULL);
  if (hub_ok(st)) st = hub_pg_exec(pg, a, &entitle_home_sql, (const char *[]){in->id, in->brand}, NULL);
  if (hub_ok(st))
    st = hub_audit_tenant(pg, a, in->id, in->user_id, "tenant.created", in->id, in->ip,
                          tenant_json_object(a, "name", in->name, "slug", in->slug, "home_brand", in->brand, NULL));
  if (!hub_ok(st)) return st;
  return read_tenant(pg, a, in->id, &c->out);
}

hub_status tenant_create(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const hub_tenant_new *in,
                         Hub__Tenant__V1__TenantInfo **out) {
  create_ctx c = {in, NULL};
  hub_status st = hub_pg_tx_user(pg, a, in->id, in->user_id, timeout_ms, create_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS) {
    /* ON CONFLICT (id) covers only the id: a concurrent identical request that committed
     * first can surface as a slug conflict instead. Then the tenant with our id exists. */
    hub_status again = hub_pg_tx_user(pg, a, in->id, in->user_id, timeout_ms, replay_fn, &c);
    if (again.code == HUB_NOT_FOUND) return hub_status_new(a, HUB_ALREADY_EXISTS, "the slug \"%s\" is taken", hub_status_quote(a, in->slug));
    st = again;
  }
  if (hub_ok(st)) *out = c.out;
  return st;
}

/* ---- get ---- */

typedef struct get_ctx {
  const char *id;
  Hub__Tenant__V1__TenantInfo *out;
} get_ctx;

static hub_status get_fn(hub_pg *pg, hub_arena *a, void *ud) {
  get_ctx *c = ud;
  return read_tenant(pg, a, c->id, &c->out);
}

hub_status tenant_get(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id,
                      Hub__Tenant__V1__TenantInfo **out) {
  get_ctx c = {tenant_id, NULL};
  hub_status st = hub_pg_tx(pg, a, tenant_id, timeout_ms, get_fn, &c);
  if (hub_ok(st)) *out = c.out;
  return st;
}

/* ---- list ---- */

typedef struct list_ctx {
  const char *user_id, *after_name, *after_id;
  int limit;
  Hub__Tenant__V1__ListTenantsResponse *out;
  bool more;
} list_ctx;

static hub_status list_fn(hub_pg *pg, hub_arena *a, void *ud) {
  list_ctx *c = ud;
  char limit[16];
  snprintf(limit, sizeof limit, "%d", c->limit + 1);
  PGresult *res = NULL;
  hub_status st =
      hub_pg_exec(pg, a, &list_sql, (const char *[]){c->user_id, c->after_name, c->after_id, limit}, &res);
  if (!hub_ok(st)) return st;
  int n = PQntuples(res);
  c->more = n > c->limit;
  if (c->more) n = c->limit;
  Hub__Tenant__V1__ListTenantsResponse *out = c->out;
  out->n_tenants = 0;
  out->tenants = n ? hub_arena_calloc(a, (size_t)n, sizeof *out->tenants) : NULL;
  char **ids = hub_arena_calloc(a, (size_t)n + 1, sizeof *ids);
  for (int i = 0; i < n; i++) {
    Hub__Tenant__V1__TenantMembership *m = hub_arena_alloc(a, sizeof *m);
    hub__tenant__v1__tenant_membership__init(m);
    m->tenant = tenant_row_tenant(a, res, i, 0);
    m->role = hub_arena_strdup(a, PQgetvalue(res, i, TENANT_NCOLS));
    out->tenants[out->n_tenants++] = m;
    ids[i] = m->tenant->id;
  }
  PQclear(res);
  if (n == 0) return HUB_STATUS_OK;
  /* Entitlements of the whole page in one statement (the entitlements_mine policy). */
  st = hub_pg_exec(pg, a, &list_entitlements_sql, (const char *[]){hub_pg_array_literal(a, ids, (size_t)n)}, &res);
  if (!hub_ok(st)) return st;
  int rows = PQntuples(res);
  for (size_t k = 0; k < out->n_tenants; k++) {
    Hub__Tenant__V1__TenantInfo *t = out->tenants[k]->tenant;
    int from = 0;
    while (from < rows && strcmp(PQgetvalue(res, from, 0), t->id) != 0) from++;
    int to = from;
    while (to < rows && strcmp(PQgetvalue(res, to, 0), t->id) == 0) to++;
    tenant_rows_entitlements(a, res, from, to, 1, t);
  }
  PQclear(res);
  return HUB_STATUS_OK;
}

hub_status tenant_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *user_id, int limit,
                       const char *after_name, const char *after_id, Hub__Tenant__V1__ListTenantsResponse *out,
                       bool *more) {
  list_ctx c = {user_id, after_name, after_id, limit, out, false};
  hub_status st = hub_pg_tx_user(pg, a, NULL, user_id, timeout_ms, list_fn, &c);
  *more = c.more;
  return st;
}

/* ---- update ---- */

typedef struct update_ctx {
  const tenant_update *u;
  Hub__Tenant__V1__TenantInfo *out;
} update_ctx;

static hub_status update_fn(hub_pg *pg, hub_arena *a, void *ud) {
  update_ctx *c = ud;
  const tenant_update *u = c->u;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &lock_sql, (const char *[]){u->tenant_id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return hub_status_new(a, HUB_NOT_FOUND, "no such tenant");
  }
  long long version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  char *old_slug = hub_arena_strdup(a, PQgetvalue(res, 0, 1)), *old_name = hub_arena_strdup(a, PQgetvalue(res, 0, 2));
  PQclear(res);
  if (u->etag >= 0 && u->etag != version)
    return hub_status_new(a, HUB_ABORTED, "the tenant changed since it was read; read it again");
  bool set_name = u->bits & TENANT_NAME, set_slug = u->bits & TENANT_SLUG;
  const char *p[] = {u->tenant_id, set_name ? "true" : "false", u->name, set_slug ? "true" : "false", u->slug};
  st = hub_pg_exec(pg, a, &update_sql, p, NULL);
  if (hub_ok(st))
    st = hub_audit_tenant(
        pg, a, u->tenant_id, u->actor_id, "tenant.updated", u->tenant_id, u->ip,
        tenant_json_object(a, "old_name", set_name ? old_name : NULL, "new_name", set_name ? u->name : NULL, "old_slug",
                           set_slug ? old_slug : NULL, "new_slug", set_slug ? u->slug : NULL, NULL));
  if (!hub_ok(st)) return st;
  return read_tenant(pg, a, u->tenant_id, &c->out);
}

hub_status tenant_update_apply(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_update *u,
                               Hub__Tenant__V1__TenantInfo **out) {
  update_ctx c = {u, NULL};
  hub_status st = hub_pg_tx(pg, a, u->tenant_id, timeout_ms, update_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS) return hub_status_new(a, HUB_ALREADY_EXISTS, "the slug \"%s\" is taken", hub_status_quote(a, u->slug));
  if (hub_ok(st)) *out = c.out;
  return st;
}

/* ---- delete ---- */

typedef struct delete_ctx {
  const char *tenant_id, *actor_id, *ip, *confirm_slug;
  char **members;
  size_t n_members;
} delete_ctx;

static hub_status delete_fn(hub_pg *pg, hub_arena *a, void *ud) {
  delete_ctx *c = ud;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &lock_sql, (const char *[]){c->tenant_id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return hub_status_new(a, HUB_NOT_FOUND, "no such tenant");
  }
  bool match = strcmp(PQgetvalue(res, 0, 1), c->confirm_slug) == 0;
  char *slug = hub_arena_strdup(a, PQgetvalue(res, 0, 1));
  PQclear(res);
  /* Owners only, by the committed role (the session's snapshot may be a moment old). */
  st = hub_pg_exec(pg, a, &actor_role_sql, (const char *[]){c->tenant_id, c->actor_id}, &res);
  if (!hub_ok(st)) return st;
  bool owner = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "owner") == 0;
  PQclear(res);
  if (!owner) return hub_status_new(a, HUB_PERMISSION_DENIED, "only owners delete a tenant");
  if (!match) return hub_status_invalid(a, "confirm_slug", "does not match the tenant's slug");
  st = hub_pg_exec(pg, a, &delete_sql, (const char *[]){c->tenant_id}, NULL);
  if (hub_ok(st)) st = hub_pg_exec(pg, a, &revoke_invitations_sql, (const char *[]){c->tenant_id}, NULL);
  if (hub_ok(st)) st = member_ids(pg, a, c->tenant_id, &c->members, &c->n_members);
  if (hub_ok(st))
    st = hub_audit_tenant(pg, a, c->tenant_id, c->actor_id, "tenant.deleted", c->tenant_id, c->ip,
                          tenant_json_object(a, "slug", slug, NULL));
  return st;
}

hub_status tenant_delete(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, const char *actor_id,
                         const char *ip, const char *confirm_slug, char ***members, size_t *n_members) {
  delete_ctx c = {tenant_id, actor_id, ip, confirm_slug, NULL, 0};
  hub_status st = hub_pg_tx(pg, a, tenant_id, timeout_ms, delete_fn, &c);
  *members = c.members;
  *n_members = hub_ok(st) ? c.n_members : 0;
  return st;
}

/* ---- entitlements ---- */

typedef struct ent_ctx {
  const tenant_entitlements *e;
  Hub__Tenant__V1__TenantInfo *out;
  char **members;
  size_t n_members;
  bool tier_changed;
} ent_ctx;

static char *entitlements_detail(hub_arena *a, const tenant_entitlements *e, const char *old_tier) {
  json_t *o = json_object(), *set = json_object();
  for (size_t i = 0; i < e->n; i++) {
    json_t *mods = json_array();
    char **m = NULL;
    size_t n = hub_pg_array_parse(a, e->modules[i], &m);
    for (size_t k = 0; k < n; k++) json_array_append_new(mods, json_string(m[k]));
    json_object_set_new(set, e->brands[i], mods);
  }
  json_object_set_new(o, "entitlements", set);
  if (e->tier) {
    json_object_set_new(o, "old_tier", json_string(old_tier));
    json_object_set_new(o, "new_tier", json_string(e->tier));
  }
  if (e->subscription_type) json_object_set_new(o, "subscription_type", json_string(e->subscription_type));
  char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  char *out = hub_arena_strdup(a, text ? text : "{}");
  free(text);
  return out;
}

static hub_status ent_fn(hub_pg *pg, hub_arena *a, void *ud) {
  ent_ctx *c = ud;
  const tenant_entitlements *e = c->e;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &lock_sql, (const char *[]){e->tenant_id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return hub_status_new(a, HUB_NOT_FOUND, "no such tenant");
  }
  char *old_tier = hub_arena_strdup(a, PQgetvalue(res, 0, 3));
  PQclear(res);
  c->tier_changed = e->tier && strcmp(e->tier, old_tier) != 0;
  st = hub_pg_exec(pg, a, &clear_entitlements_sql, (const char *[]){e->tenant_id}, NULL);
  for (size_t i = 0; i < e->n && hub_ok(st); i++)
    st = hub_pg_exec(pg, a, &add_entitlement_sql, (const char *[]){e->tenant_id, e->brands[i], e->modules[i]}, NULL);
  if (hub_ok(st))
    st = hub_pg_exec(pg, a, &set_tier_sql, (const char *[]){e->tenant_id, e->tier, e->subscription_type}, NULL);
  if (hub_ok(st)) st = member_ids(pg, a, e->tenant_id, &c->members, &c->n_members);
  if (hub_ok(st))
    st = hub_audit_tenant(pg, a, e->tenant_id, e->actor_id, "entitlements.set", e->tenant_id, e->ip,
                          entitlements_detail(a, e, old_tier));
  if (!hub_ok(st)) return st;
  return read_tenant(pg, a, e->tenant_id, &c->out);
}

hub_status tenant_set_entitlements(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_entitlements *e,
                                   Hub__Tenant__V1__TenantInfo **out, char ***members, size_t *n_members,
                                   bool *tier_changed) {
  ent_ctx c = {e, NULL, NULL, 0, false};
  hub_status st = hub_pg_tx(pg, a, e->tenant_id, timeout_ms, ent_fn, &c);
  *out = c.out;
  *members = c.members;
  *n_members = hub_ok(st) ? c.n_members : 0;
  *tier_changed = hub_ok(st) && c.tier_changed;
  return st;
}
