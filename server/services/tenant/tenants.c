/* Tenant RPCs: CreateTenant, GetTenant, ListTenants, UpdateTenant, DeleteTenant and
 * SetEntitlements, and the creation Auth's SignUp runs in its own transaction (api.h). Every
 * transaction acts in one tenant (RLS shows nothing else): the call's, or the new one's
 * (creation), or the one SetEntitlements names (platform administrators); listing sets only
 * the user, so the members_mine and tenants_mine policies show the caller's own tenants across
 * the platform. Refusals found inside a transaction are returned from its body, which rolls it
 * back, so nothing is half-written. After a change that alters anyone's access, their
 * sessions' snapshots are cleared.
 *
 * Idempotent creation: a client-chosen request_id reserves, in Redis for 24 hours, the id of
 * the tenant its first attempt creates, so every repeat (sequential or concurrent) works on the
 * same id; the insert is ON CONFLICT (id) DO NOTHING, so whichever attempt commits first
 * creates it and the others return it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"
#include "hub/log.h"
#include "aip/fields.h"
#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/acl.h"
#include "identity/audit.h"
#include "identity/brands.h"
#include "identity/principal.h"
#include "services/context.h"
#include "services/tenant/api.h"
#include "services/tenant/tenant.h"

#define IDEMPOTENCY_TTL_S 86400

/* A tenant as the messages show it, for "FROM tenants t" (no entitlements). */
#define TENANT_COLS \
  "t.id, t.name, t.slug, t.subscription_type, t.tier, t.home_brand, t.created_at, t.version AS etag"

static const hub_pg_stmt get_sql = {
    "tenant_get", "SELECT " TENANT_COLS " FROM tenants t WHERE t.id = $1::uuid AND t.deleted_at IS NULL", 1};
static const hub_pg_stmt entitlements_sql = {
    "tenant_entitlements", "SELECT brand, modules FROM entitlements WHERE tenant_id = $1::uuid ORDER BY brand", 1};
static const hub_pg_stmt insert_sql = {
    "tenant_insert",
    "INSERT INTO tenants AS t (id, name, slug, home_brand) VALUES ($1::uuid, $2, $3, $4) "
    "ON CONFLICT (id) DO NOTHING RETURNING " TENANT_COLS,
    4};
static const hub_pg_stmt is_member_sql = {
    "tenant_is_member", "SELECT 1 FROM members WHERE tenant_id = $1::uuid AND user_id = $2::uuid", 2};
static const hub_pg_stmt add_owner_sql = {
    "tenant_add_owner", "INSERT INTO members (tenant_id, user_id, role) VALUES ($1::uuid, $2::uuid, 'owner')", 2};
static const hub_pg_stmt entitle_home_sql = {
    "tenant_entitle_home",
    "INSERT INTO entitlements (tenant_id, brand, modules) SELECT $1::uuid, id, modules FROM brands WHERE id = $2 "
    "RETURNING brand, modules",
    2};
/* One page (limit rows) of the user's live tenants by (name, id) after (after_name, after_id). */
#define LIST_PAGE                                                                  \
  "FROM members m JOIN tenants t ON t.id = m.tenant_id "                           \
  "WHERE m.user_id = $1::uuid AND t.deleted_at IS NULL "                           \
  "AND ($2::text IS NULL OR (t.name, t.id) > ($2::text, $3::uuid)) ORDER BY t.name, t.id LIMIT $4::int"
static const hub_pg_stmt list_sql = {
    "tenant_list",
    "SELECT t.id AS \"tenant.id\", t.name AS \"tenant.name\", t.slug AS \"tenant.slug\", "
    "t.subscription_type AS \"tenant.subscription_type\", t.tier AS \"tenant.tier\", "
    "t.home_brand AS \"tenant.home_brand\", t.created_at AS \"tenant.created_at\", t.version AS \"tenant.etag\", "
    "m.role " LIST_PAGE,
    4};
/* The entitlements of the same page, in the same round trip (the entitlements_mine policy). */
static const hub_pg_stmt list_entitlements_sql = {
    "tenant_list_entitlements",
    "SELECT e.tenant_id AS _tenant_id, e.brand, e.modules FROM entitlements e "
    "WHERE e.tenant_id IN (SELECT t.id " LIST_PAGE ") ORDER BY e.tenant_id, e.brand",
    4};
static const hub_pg_stmt lock_sql = {
    "tenant_lock", "SELECT version, slug, name, tier FROM tenants WHERE id = $1::uuid AND deleted_at IS NULL FOR UPDATE",
    1};
static const hub_pg_stmt update_sql = {
    "tenant_update",
    "UPDATE tenants t SET name = CASE WHEN $2::bool THEN $3::text ELSE name END, "
    "slug = CASE WHEN $4::bool THEN $5::text ELSE slug END, version = version + 1, updated_at = now() "
    "WHERE id = $1::uuid RETURNING " TENANT_COLS,
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
    "tenant_add_entitlement",
    "INSERT INTO entitlements (tenant_id, brand, modules) VALUES ($1::uuid, $2, $3::text[]) RETURNING brand, modules",
    3};
static const hub_pg_stmt set_tier_sql = {
    "tenant_set_tier",
    "UPDATE tenants t SET tier = coalesce($2, tier), subscription_type = coalesce($3, subscription_type), "
    "version = version + 1, updated_at = now() WHERE id = $1::uuid RETURNING " TENANT_COLS,
    3};

/* ---- rows ---- */

/* Row 0 of `tenant` with the entitlements of `ents` (every row); NULL when there is no row. */
static Hub__Tenant__V1__TenantInfo *tenant_of(const hub_rows *tenant, const hub_rows *ents) {
  Hub__Tenant__V1__TenantInfo *t =
      (Hub__Tenant__V1__TenantInfo *)hub_rows_message(tenant, 0, &hub__tenant__v1__tenant_info__descriptor);
  if (t)
    t->n_entitlements =
        hub_rows_messages(ents, &hub__tenant__v1__entitlement__descriptor, -1, (void ***)&t->entitlements);
  return t;
}

static void copy_tenant(Hub__Tenant__V1__TenantInfo *dst, const Hub__Tenant__V1__TenantInfo *src) {
  ProtobufCMessage base = dst->base;
  *dst = *src;
  dst->base = base;
}

/* The member ids of a result of member_ids_sql, for tenant_refresh_access. */
static char **ids_of(hub_arena *a, const hub_rows *r, size_t *n) {
  *n = (size_t)hub_rows_count(r);
  char **ids = hub_arena_calloc(a, *n + 1, sizeof *ids);
  for (size_t i = 0; i < *n; i++) ids[i] = (char *)hub_rows_text(r, (int)i, "user_id");
  return ids;
}

/* ---- creation ---- */

typedef struct creation {
  const hub_tenant_new *in;
  hub_rows *tenant, *ents; /* the tenant as it is now, once the transaction is over */
} creation;

/* The tenant a repeated request created, as it is now: NOT_FOUND when it is deleted or the
 * caller is no longer its member. */
static hub_status replay_fn(hub_tx *tx, void *ud) {
  creation *c = ud;
  hub_rows *member = hub_tx_exec(tx, &is_member_sql, (const char *[]){c->in->id, c->in->user_id});
  c->tenant = hub_tx_exec(tx, &get_sql, (const char *[]){c->in->id});
  c->ents = hub_tx_exec(tx, &entitlements_sql, (const char *[]){c->in->id});
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(member) != 1 || hub_rows_count(c->tenant) != 1)
    return hub_status_fixed(HUB_NOT_FOUND, "no such tenant");
  return HUB_STATUS_OK;
}

/* The tenant with its owner and the home brand entitled with all of that brand's modules; the
 * owner row, the entitlement and the audit go out behind the insert, in the next flush. */
static hub_status create(hub_tx *tx, creation *c) {
  const hub_tenant_new *in = c->in;
  hub_status st = hub_tx_query(tx, &insert_sql, (const char *[]){in->id, in->name, in->slug, in->brand}, &c->tenant);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(c->tenant) == 0) return replay_fn(tx, c); /* a repeat of a request that created it */
  hub_tx_exec(tx, &add_owner_sql, (const char *[]){in->id, in->user_id});
  c->ents = hub_tx_exec(tx, &entitle_home_sql, (const char *[]){in->id, in->brand});
  hub_audit_tenant_write(tx, in->id, in->user_id, "tenant.created", in->id, in->ip,
                         tenant_json_object(hub_tx_arena(tx), "name", in->name, "slug", in->slug, "home_brand",
                                            in->brand, NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_create_in_tx(hub_tx *tx, const hub_tenant_new *in) {
  creation c = {in, NULL, NULL};
  return create(tx, &c);
}

static hub_status create_fn(hub_tx *tx, void *ud) { return create(tx, ud); }

/* An existing tenant id reserved for (user, request_id), or `fresh`; one script, so reading
 * and reserving are one atomic step. The key carries the user in a hash tag, like the session
 * keys. UNAVAILABLE when Redis is down. */
static hub_status reserve_id(hub_call *call, const char *request_id, const char *fresh, char *out) {
  static const char lua[] =
      "local v = redis.call('GET', KEYS[1])\n"
      "if v then return v end\n"
      "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])\n"
      "return ARGV[1]\n";
  hub_arena *a = hub_call_arena(call);
  char key[160], ttl[16];
  snprintf(key, sizeof key, "hub:idem:{%s}:create_tenant:%s", hub_principal_of(call)->user_id, request_id);
  snprintf(ttl, sizeof ttl, "%d", IDEMPOTENCY_TTL_S);
  const char *argv[] = {"EVAL", lua, "1", key, fresh, ttl};
  redisReply *reply = NULL;
  hub_status st = hub_redis_command(hub_ctx_of(call)->redis, a, 6, argv, NULL, &reply);
  if (!hub_ok(st)) return st;
  bool ok = reply && reply->type == REDIS_REPLY_STRING && reply->len == 36;
  if (ok) {
    memcpy(out, reply->str, 36);
    out[36] = '\0';
  }
  freeReplyObject(reply);
  return ok ? HUB_STATUS_OK : hub_status_fixed(HUB_INTERNAL, "unexpected idempotency record");
}

/* Not empty and not only spaces (the rules say one line of at most 200 characters). */
static bool name_ok(const char *s) {
  for (const char *p = s; *p; p++)
    if (*p != ' ') return true;
  return false;
}

/* A brand that exists: INVALID_ARGUMENT `field` "no such brand". */
static hub_status check_brand(hub_call *call, const char *field, const char *brand) {
  hub_arena *a = hub_call_arena(call);
  bool exists = false;
  hub_status st = hub_brands_exists(hub_ctx_of(call)->pg, a, brand, &exists);
  if (hub_ok(st) && !exists) return hub_status_invalid(a, field, "no such brand");
  return st;
}

hub_status hub_tenant_v1_tenant_create_tenant(hub_call *call, const Hub__Tenant__V1__CreateTenantRequest *request,
                                              Hub__Tenant__V1__TenantInfo *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  if (!name_ok(request->name)) return hub_status_invalid(a, "name", "not only spaces");
  const char *slug = request->slug;
  if (!slug[0] && !(slug = tenant_slug_from_name(a, request->name)))
    return hub_status_invalid(a, "slug", "cannot be derived from this name; choose one");
  const char *brand = request->brand[0] ? request->brand : p->brand;
  hub_status st = check_brand(call, "brand", brand);
  if (!hub_ok(st)) return st;
  char id[37];
  if (!hub_uuid_v7(id)) return hub_status_fixed(HUB_INTERNAL, "no randomness available");
  if (request->request_id[0]) {
    char fresh[37];
    memcpy(fresh, id, sizeof fresh);
    if (!hub_ok(st = reserve_id(call, request->request_id, fresh, id))) return st;
  }
  hub_tenant_new in = {id, request->name, slug, brand, p->user_id, p->ip};
  creation c = {&in, NULL, NULL};
  hub_pg *pg = hub_ctx_of(call)->pg;
  /* In the new tenant, as the caller: the global case of hub_tx_run. */
  st = hub_tx_run(pg, a, in.id, in.user_id, hub_call_remaining_ms(call), create_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS) {
    /* ON CONFLICT (id) covers only the id: a concurrent identical request that committed
     * first can surface as a slug conflict instead. Then the tenant with our id exists. */
    hub_status again = hub_tx_run(pg, a, in.id, in.user_id, hub_call_remaining_ms(call), replay_fn, &c);
    if (again.code == HUB_NOT_FOUND)
      return hub_status_new(a, HUB_ALREADY_EXISTS, "the slug \"%s\" is taken", hub_status_quote(a, slug));
    st = again;
  }
  if (!hub_ok(st)) return st;
  copy_tenant(response, tenant_of(c.tenant, c.ents));
  return HUB_STATUS_OK;
}

/* ---- GetTenant and ListTenants ---- */

typedef struct reading {
  const char *id;
  hub_rows *tenant, *ents;
} reading;

static hub_status get_fn(hub_tx *tx, void *ud) {
  reading *c = ud;
  c->tenant = hub_tx_exec(tx, &get_sql, (const char *[]){c->id});
  c->ents = hub_tx_exec(tx, &entitlements_sql, (const char *[]){c->id});
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_get_tenant(hub_call *call, const Hub__Tenant__V1__GetTenantRequest *request,
                                           Hub__Tenant__V1__TenantInfo *response) {
  (void)request;
  reading c = {hub_principal_of(call)->tenant_id, NULL, NULL};
  hub_status st = hub_call_tx(call, get_fn, &c);
  if (!hub_ok(st)) return st;
  Hub__Tenant__V1__TenantInfo *t = tenant_of(c.tenant, c.ents);
  if (!t) return hub_status_fixed(HUB_NOT_FOUND, "no such tenant");
  copy_tenant(response, t);
  return HUB_STATUS_OK;
}

typedef struct listing {
  const char *const *params;
  hub_rows *page, *ents;
} listing;

static hub_status list_fn(hub_tx *tx, void *ud) {
  listing *c = ud;
  c->page = hub_tx_exec(tx, &list_sql, c->params);
  c->ents = hub_tx_exec(tx, &list_entitlements_sql, c->params);
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_list_tenants(hub_call *call, const Hub__Tenant__V1__ListTenantsRequest *request,
                                             Hub__Tenant__V1__ListTenantsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *after_id = NULL, *after_name = NULL;
  if (request->page_token[0] &&
      (!hub_page_token_parse(a, request->page_token, &after_id, &after_name) || !hub_uuid_lower(a, after_id) ||
       !hub_text_ok(after_name, 1000, true)))
    return hub_status_invalid(a, "page_token", "not a page token of this list");
  const char *user_id = hub_principal_of(call)->user_id;
  const char *params[] = {user_id, after_name, after_id, hub_arena_sprintf(a, "%d", limit + 1)};
  listing c = {params, NULL, NULL};
  /* Only the user is set: the policies show the caller's own tenants. */
  st = hub_tx_run(hub_ctx_of(call)->pg, a, NULL, user_id, hub_call_remaining_ms(call), list_fn, &c);
  if (!hub_ok(st)) return st;
  size_t n = hub_rows_messages(c.page, &hub__tenant__v1__tenant_membership__descriptor, limit,
                               (void ***)&response->tenants);
  response->n_tenants = n;
  int rows = hub_rows_count(c.ents);
  for (size_t k = 0; k < n; k++) {
    Hub__Tenant__V1__TenantInfo *t = response->tenants[k]->tenant;
    t->entitlements = hub_arena_calloc(a, (size_t)rows + 1, sizeof *t->entitlements);
    for (int i = 0; i < rows; i++)
      if (strcmp(hub_rows_text(c.ents, i, "_tenant_id"), t->id) == 0)
        t->entitlements[t->n_entitlements++] = (Hub__Tenant__V1__Entitlement *)hub_rows_message(
            c.ents, i, &hub__tenant__v1__entitlement__descriptor);
  }
  char *next = NULL;
  if (hub_rows_count(c.page) > limit) {
    const Hub__Tenant__V1__TenantInfo *last = response->tenants[n - 1]->tenant;
    next = hub_page_token(a, last->id, last->name);
  }
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}

/* ---- UpdateTenant ---- */

enum { TENANT_NAME = 1u << 0, TENANT_SLUG = 1u << 1 };

typedef struct update {
  hub_call *call;
  unsigned bits;
  int64_t etag; /* -1: no check */
  const char *name, *slug;
  hub_rows *tenant, *ents;
} update;

/* ABORTED on a stale etag, ALREADY_EXISTS when the slug is taken. Audits tenant.updated. */
static hub_status update_fn(hub_tx *tx, void *ud) {
  update *u = ud;
  const hub_principal *p = hub_principal_of(u->call);
  hub_rows *lock;
  hub_status st = hub_tx_query(tx, &lock_sql, (const char *[]){p->tenant_id}, &lock);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(lock) != 1) return hub_status_fixed(HUB_NOT_FOUND, "no such tenant");
  if (u->etag >= 0 && u->etag != hub_rows_int(lock, 0, "version"))
    return hub_status_fixed(HUB_ABORTED, "the tenant changed since it was read; read it again");
  bool set_name = u->bits & TENANT_NAME, set_slug = u->bits & TENANT_SLUG;
  const char *params[] = {p->tenant_id, set_name ? "true" : "false", u->name, set_slug ? "true" : "false", u->slug};
  u->tenant = hub_tx_exec(tx, &update_sql, params);
  u->ents = hub_tx_exec(tx, &entitlements_sql, (const char *[]){p->tenant_id});
  hub_audit_tenant_write(tx, p->tenant_id, p->user_id, "tenant.updated", p->tenant_id, p->ip,
                         tenant_json_object(hub_tx_arena(tx), "old_name", set_name ? hub_rows_text(lock, 0, "name") : NULL,
                                            "new_name", set_name ? u->name : NULL, "old_slug",
                                            set_slug ? hub_rows_text(lock, 0, "slug") : NULL, "new_slug",
                                            set_slug ? u->slug : NULL, NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_update_tenant(hub_call *call, const Hub__Tenant__V1__UpdateTenantRequest *request,
                                              Hub__Tenant__V1__TenantInfo *response) {
  static const char *const paths[] = {"name", "slug", NULL};
  hub_arena *a = hub_call_arena(call);
  const Hub__Tenant__V1__TenantInfo *t = request->tenant;
  update u = {.call = call, .name = t->name, .slug = t->slug};
  hub_status st = hub_update_mask(a, request->update_mask, paths, &u.bits);
  if (hub_ok(st)) st = tenant_etag(a, request->etag, &u.etag);
  if (!hub_ok(st)) return st;
  if (t->id[0] && strcmp(t->id, hub_principal_of(call)->tenant_id) != 0)
    return hub_status_fixed(HUB_NOT_FOUND, "tenant.id: no such tenant (only the call's tenant can be updated here)");
  if ((u.bits & TENANT_NAME) && !name_ok(t->name)) return hub_status_invalid(a, "tenant.name", "required, not only spaces");
  if ((u.bits & TENANT_SLUG) && !t->slug[0]) return hub_status_invalid(a, "tenant.slug", "required");
  st = hub_call_tx(call, update_fn, &u);
  if (st.code == HUB_ALREADY_EXISTS)
    return hub_status_new(a, HUB_ALREADY_EXISTS, "the slug \"%s\" is taken", hub_status_quote(a, u.slug));
  if (!hub_ok(st)) return st;
  copy_tenant(response, tenant_of(u.tenant, u.ents));
  return HUB_STATUS_OK;
}

/* ---- DeleteTenant ---- */

typedef struct deletion {
  hub_call *call;
  const char *confirm_slug;
  hub_rows *members;
} deletion;

/* Soft-deletes the tenant when the actor is an owner by the committed role (the session's
 * snapshot may be a moment old) and confirm_slug is its slug, revokes its pending invitations
 * and audits tenant.deleted; `members` are everyone whose sessions must forget their access. */
static hub_status delete_fn(hub_tx *tx, void *ud) {
  deletion *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  hub_rows *lock = hub_tx_exec(tx, &lock_sql, (const char *[]){p->tenant_id});
  hub_rows *actor = hub_tx_exec(tx, &actor_role_sql, (const char *[]){p->tenant_id, p->user_id});
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(lock) != 1) return hub_status_fixed(HUB_NOT_FOUND, "no such tenant");
  if (hub_rows_count(actor) != 1 || strcmp(hub_rows_text(actor, 0, "role"), "owner") != 0)
    return hub_status_fixed(HUB_PERMISSION_DENIED, "only owners delete a tenant");
  const char *slug = hub_rows_text(lock, 0, "slug");
  if (strcmp(slug, c->confirm_slug) != 0)
    return hub_status_invalid(hub_tx_arena(tx), "confirm_slug", "does not match the tenant's slug");
  hub_tx_exec(tx, &delete_sql, (const char *[]){p->tenant_id});
  hub_tx_exec(tx, &revoke_invitations_sql, (const char *[]){p->tenant_id});
  c->members = hub_tx_exec(tx, &member_ids_sql, (const char *[]){p->tenant_id});
  hub_audit_tenant_write(tx, p->tenant_id, p->user_id, "tenant.deleted", p->tenant_id, p->ip,
                         tenant_json_object(hub_tx_arena(tx), "slug", slug, NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_delete_tenant(hub_call *call, const Hub__Tenant__V1__DeleteTenantRequest *request,
                                              Hub__Tenant__V1__DeleteTenantResponse *response) {
  (void)response;
  const hub_principal *p = hub_principal_of(call);
  if (strcmp(p->acl.role, "owner") != 0) return hub_status_fixed(HUB_PERMISSION_DENIED, "only owners delete a tenant");
  deletion c = {call, request->confirm_slug, NULL};
  hub_status st = hub_call_tx(call, delete_fn, &c);
  if (!hub_ok(st)) return st;
  size_t n;
  char **members = ids_of(hub_call_arena(call), c.members, &n);
  tenant_refresh_access(call, p->tenant_id, members, n);
  return HUB_STATUS_OK;
}

/* ---- SetEntitlements ---- */

typedef struct entitling {
  const Hub__Tenant__V1__SetEntitlementsRequest *r;
  const char *actor_id, *ip;
  const char *tier, *subscription_type; /* NULL: unchanged */
  char **modules;                       /* text[] literals, one per entitlement */
  hub_rows *tenant, *members, **ents;
  bool tier_changed;
} entitling;

static char *entitlements_detail(hub_arena *a, const entitling *e, const char *old_tier) {
  json_t *o = json_object(), *set = json_object();
  for (size_t i = 0; i < e->r->n_entitlements; i++) {
    const Hub__Tenant__V1__Entitlement *en = e->r->entitlements[i];
    json_t *mods = json_array();
    for (size_t k = 0; k < en->n_modules; k++) json_array_append_new(mods, json_string(en->modules[k]));
    json_object_set_new(set, en->brand, mods);
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

/* Replaces the tenant's entitlements (and tier / subscription type) and audits
 * entitlements.set: after the lock, everything goes out with the COMMIT. NOT_FOUND for an
 * unknown or deleted tenant. */
static hub_status entitle_fn(hub_tx *tx, void *ud) {
  entitling *e = ud;
  const char *id = e->r->tenant_id;
  hub_rows *lock;
  hub_status st = hub_tx_query(tx, &lock_sql, (const char *[]){id}, &lock);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(lock) != 1) return hub_status_fixed(HUB_NOT_FOUND, "no such tenant");
  const char *old_tier = hub_rows_text(lock, 0, "tier");
  e->tier_changed = e->tier && strcmp(e->tier, old_tier) != 0;
  hub_tx_exec(tx, &clear_entitlements_sql, (const char *[]){id});
  for (size_t i = 0; i < e->r->n_entitlements; i++)
    e->ents[i] = hub_tx_exec(tx, &add_entitlement_sql, (const char *[]){id, e->r->entitlements[i]->brand, e->modules[i]});
  e->tenant = hub_tx_exec(tx, &set_tier_sql, (const char *[]){id, e->tier, e->subscription_type});
  e->members = hub_tx_exec(tx, &member_ids_sql, (const char *[]){id});
  hub_audit_tenant_write(tx, id, e->actor_id, "entitlements.set", id, e->ip,
                         entitlements_detail(hub_tx_arena(tx), e, old_tier));
  return HUB_STATUS_OK;
}

static int by_brand(const void *x, const void *y) {
  const Hub__Tenant__V1__Entitlement *const *p = x, *const *q = y;
  return strcmp((*p)->brand, (*q)->brand);
}

static bool tier_ok(const char *s) { return !strcmp(s, "free") || !strcmp(s, "pro") || !strcmp(s, "enterprise"); }
static bool subscription_ok(const char *s) { return !strcmp(s, "standalone") || !strcmp(s, "branded"); }

hub_status hub_tenant_v1_tenant_set_entitlements(hub_call *call, const Hub__Tenant__V1__SetEntitlementsRequest *request,
                                                 Hub__Tenant__V1__SetEntitlementsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  size_t n = request->n_entitlements;
  entitling e = {.r = request, .actor_id = p->user_id, .ip = p->ip};
  if (request->tier[0] && !tier_ok(e.tier = request->tier)) return hub_status_invalid(a, "tier", "free, pro or enterprise");
  if (request->subscription_type[0] && !subscription_ok(e.subscription_type = request->subscription_type))
    return hub_status_invalid(a, "subscription_type", "standalone or branded");
  e.modules = hub_arena_calloc(a, n + 1, sizeof *e.modules);
  e.ents = hub_arena_calloc(a, n + 1, sizeof *e.ents);
  for (size_t i = 0; i < n; i++) {
    const Hub__Tenant__V1__Entitlement *en = request->entitlements[i];
    char *field = hub_arena_sprintf(a, "entitlements[%zu].brand", i);
    hub_status st = check_brand(call, field, en->brand);
    if (!hub_ok(st)) return st;
    for (size_t k = 0; k < i; k++)
      if (!strcmp(request->entitlements[k]->brand, en->brand)) return hub_status_invalid(a, field, "repeated");
    st = tenant_check_items(a, hub_arena_sprintf(a, "entitlements[%zu].modules", i), en->modules, en->n_modules,
                            hub_acl_is_module, "not a module");
    if (!hub_ok(st)) return st;
    e.modules[i] = hub_pg_array_literal(a, en->modules, en->n_modules);
  }
  /* In the tenant the request names: the global case of hub_tx_run. */
  hub_status st = hub_tx_run(hub_ctx_of(call)->pg, a, request->tenant_id, p->user_id, hub_call_remaining_ms(call),
                             entitle_fn, &e);
  if (!hub_ok(st)) return st;
  size_t n_members;
  char **members = ids_of(a, e.members, &n_members);
  tenant_refresh_access(call, request->tenant_id, members, n_members);
  if (e.tier_changed && !hub_ok(st = tenant_feature_cache_invalidate(call, request->tenant_id)))
    hub_logf(HUB_LOG_ERROR, "tenant: could not invalidate cached feature flags after a tier change");
  Hub__Tenant__V1__TenantInfo *t =
      (Hub__Tenant__V1__TenantInfo *)hub_rows_message(e.tenant, 0, &hub__tenant__v1__tenant_info__descriptor);
  t->entitlements = hub_arena_calloc(a, n + 1, sizeof *t->entitlements);
  for (size_t i = 0; i < n; i++)
    if (hub_rows_count(e.ents[i]) == 1)
      t->entitlements[t->n_entitlements++] = (Hub__Tenant__V1__Entitlement *)hub_rows_message(
          e.ents[i], 0, &hub__tenant__v1__entitlement__descriptor);
  qsort(t->entitlements, t->n_entitlements, sizeof *t->entitlements, by_brand);
  response->tenant = t;
  return HUB_STATUS_OK;
}
