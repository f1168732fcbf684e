/* See service_account_store.h. Races: every change locks the account row (FOR UPDATE)
 * before it reads the actor's role, so a concurrent demotion or deletion is seen; keys are
 * locked the same way before rotation or revocation, so a key is rotated at most once. */
#include "services/tenant/service_account_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/audit.h"
#include "services/tenant/convert.h"
#include "services/tenant/tenant.h"
#include "services/tenant/rows.h"

#define SA_COLS                                                                                             \
  "s.id, s.name, s.description, s.role, s.brands, s.permissions, s.disabled_at IS NOT NULL, s.created_by, " \
  TENANT_MICROS("s.created_at") ", s.version"
#define KEY_COLS                                                                                       \
  "k.id, k.account_id, k.name, k.prefix, k.scopes, " TENANT_MICROS("k.expires_at") ", " TENANT_MICROS( \
      "k.last_used_at") ", " TENANT_MICROS("k.created_at") ", k.rate_per_min, coalesce(k.rotated_from::text, '')"

/* The actor's role as committed: a member's, or an enabled service account's own. */
static const hub_pg_stmt actor_role_sql = {
    "tenant_sa_actor_role",
    "SELECT role FROM members WHERE tenant_id = $1::uuid AND user_id = $2::uuid "
    "UNION ALL SELECT role FROM service_accounts WHERE tenant_id = $1::uuid AND id = $2::uuid AND disabled_at IS NULL",
    2};
static const hub_pg_stmt insert_sql = {
    "tenant_sa_insert",
    "INSERT INTO service_accounts AS s (tenant_id, name, description, role, brands, permissions, created_by) "
    "VALUES ($1::uuid, $2, $3, $4, $5::text[], $6::text[], $7::uuid) RETURNING " SA_COLS,
    7};
static const hub_pg_stmt get_sql = {
    "tenant_sa_get", "SELECT " SA_COLS " FROM service_accounts s WHERE s.tenant_id = $1::uuid AND s.id = $2::uuid", 2};
static const hub_pg_stmt lock_sql = {
    "tenant_sa_lock",
    "SELECT role, permissions, brands, disabled_at IS NOT NULL, version FROM service_accounts "
    "WHERE tenant_id = $1::uuid AND id = $2::uuid FOR UPDATE",
    2};
static const hub_pg_stmt list_sql = {
    "tenant_sa_list",
    "SELECT " SA_COLS " FROM service_accounts s WHERE s.tenant_id = $1::uuid AND ($2::uuid IS NULL OR s.id > $2::uuid) "
    "ORDER BY s.id LIMIT $3::int",
    3};
static const hub_pg_stmt update_sql = {
    "tenant_sa_update",
    "UPDATE service_accounts AS s SET name = CASE WHEN $3::bool THEN $4 ELSE name END, "
    "description = CASE WHEN $5::bool THEN $6 ELSE description END, "
    "role = CASE WHEN $7::bool THEN $8 ELSE role END, "
    "brands = CASE WHEN $9::bool THEN $10::text[] ELSE brands END, "
    "permissions = CASE WHEN $11::bool THEN $12::text[] ELSE permissions END, "
    "disabled_at = CASE WHEN NOT $13::bool THEN disabled_at WHEN $14::bool THEN coalesce(disabled_at, now()) END, "
    "version = version + 1, updated_at = now() WHERE tenant_id = $1::uuid AND id = $2::uuid RETURNING " SA_COLS,
    14};
static const hub_pg_stmt delete_sql = {
    "tenant_sa_delete", "DELETE FROM service_accounts WHERE tenant_id = $1::uuid AND id = $2::uuid", 2};
/* The prefixes of an account's keys (every cached grant of the account). */
static const hub_pg_stmt prefixes_sql = {
    "tenant_sa_key_prefixes", "SELECT prefix FROM api_keys WHERE tenant_id = $1::uuid AND account_id = $2::uuid", 2};
static const hub_pg_stmt revoke_all_sql = {
    "tenant_sa_revoke_keys",
    "UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1::uuid AND account_id = $2::uuid "
    "AND revoked_at IS NULL",
    2};

static const hub_pg_stmt live_keys_sql = {
    "tenant_key_live_count",
    "SELECT count(*) FROM api_keys WHERE tenant_id = $1::uuid AND account_id = $2::uuid AND revoked_at IS NULL "
    "AND (expires_at IS NULL OR expires_at > now())",
    2};
static const hub_pg_stmt key_insert_sql = {
    "tenant_key_insert",
    "INSERT INTO api_keys AS k (tenant_id, account_id, prefix, secret_hash, name, scopes, rate_per_min, expires_at, "
    "rotated_from, created_by) VALUES ($1::uuid, $2::uuid, $3, decode($4, 'hex'), $5, $6::text[], $7::int, "
    "to_timestamp($8::bigint / 1000000.0), $9::uuid, $10::uuid) RETURNING " KEY_COLS,
    10};
static const hub_pg_stmt key_list_sql = {
    "tenant_key_list",
    "SELECT " KEY_COLS " FROM api_keys k WHERE k.tenant_id = $1::uuid AND k.account_id = $2::uuid "
    "AND k.revoked_at IS NULL ORDER BY k.created_at DESC, k.id DESC LIMIT 100",
    2};
static const hub_pg_stmt key_lock_sql = {
    "tenant_key_lock",
    "SELECT account_id, prefix, scopes, rate_per_min, revoked_at IS NOT NULL, "
    "expires_at IS NOT NULL AND expires_at <= now() FROM api_keys WHERE tenant_id = $1::uuid AND id = $2::uuid "
    "FOR UPDATE",
    2};
static const hub_pg_stmt key_cut_sql = {
    "tenant_key_cut_over",
    "UPDATE api_keys SET expires_at = least(coalesce(expires_at, 'infinity'), "
    "coalesce(to_timestamp($3::bigint / 1000000.0), now() + interval '24 hours')) "
    "WHERE tenant_id = $1::uuid AND id = $2::uuid RETURNING " TENANT_MICROS("expires_at"),
    3};
static const hub_pg_stmt key_revoke_sql = {
    "tenant_key_revoke",
    "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1::uuid AND id = $2::uuid", 2};

/* ---- rows ---- */

static char *col(hub_arena *a, const PGresult *res, int row, int c) {
  return hub_arena_strdup(a, PQgetisnull(res, row, c) ? "" : PQgetvalue(res, row, c));
}

static Google__Protobuf__Timestamp *col_time(hub_arena *a, const PGresult *res, int row, int c) {
  return PQgetisnull(res, row, c) ? NULL : tenant_timestamp(a, PQgetvalue(res, row, c));
}

Hub__Tenant__V1__ServiceAccount *tenant_row_service_account(hub_arena *a, const PGresult *res, int row) {
  Hub__Tenant__V1__ServiceAccount *s = hub_arena_alloc(a, sizeof *s);
  hub__tenant__v1__service_account__init(s);
  s->id = col(a, res, row, 0);
  s->name = col(a, res, row, 1);
  s->description = col(a, res, row, 2);
  s->role = col(a, res, row, 3);
  s->n_brands = hub_pg_array_parse(a, PQgetvalue(res, row, 4), &s->brands);
  s->n_permissions = hub_pg_array_parse(a, PQgetvalue(res, row, 5), &s->permissions);
  s->disabled = PQgetvalue(res, row, 6)[0] == 't';
  s->created_by = col(a, res, row, 7);
  s->created_at = col_time(a, res, row, 8);
  s->etag = col(a, res, row, 9);
  return s;
}

Hub__Tenant__V1__ApiKey *tenant_row_api_key(hub_arena *a, const PGresult *res, int row) {
  Hub__Tenant__V1__ApiKey *k = hub_arena_alloc(a, sizeof *k);
  hub__tenant__v1__api_key__init(k);
  k->id = col(a, res, row, 0);
  k->service_account_id = col(a, res, row, 1);
  k->name = col(a, res, row, 2);
  k->prefix = col(a, res, row, 3);
  k->n_scopes = hub_pg_array_parse(a, PQgetvalue(res, row, 4), &k->scopes);
  k->expires_at = col_time(a, res, row, 5);
  k->last_used_at = col_time(a, res, row, 6);
  k->created_at = col_time(a, res, row, 7);
  k->rate_limit_per_minute = atoi(PQgetvalue(res, row, 8));
  k->rotated_from = col(a, res, row, 9);
  return k;
}

/* ---- shared steps ---- */

typedef struct locked_account {
  char role[16];
  char *permissions, *brands; /* text[] literals */
  bool disabled;
  long long version;
  char actor_role[16];
} locked_account;

/* Locks the account and reads the actor's committed role; NOT_FOUND, or PERMISSION_DENIED
 * when the actor is no longer in the tenant or the account's role is above theirs. */
static hub_status lock_account(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *id, const char *actor_id,
                               locked_account *out) {
  memset(out, 0, sizeof *out);
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &lock_sql, (const char *[]){tenant_id, id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return hub_status_new(a, HUB_NOT_FOUND, "no such service account");
  }
  snprintf(out->role, sizeof out->role, "%s", PQgetvalue(res, 0, 0));
  out->permissions = hub_arena_strdup(a, PQgetvalue(res, 0, 1));
  out->brands = hub_arena_strdup(a, PQgetvalue(res, 0, 2));
  out->disabled = PQgetvalue(res, 0, 3)[0] == 't';
  out->version = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
  PQclear(res);
  st = hub_pg_exec(pg, a, &actor_role_sql, (const char *[]){tenant_id, actor_id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) > 0) snprintf(out->actor_role, sizeof out->actor_role, "%s", PQgetvalue(res, 0, 0));
  PQclear(res);
  if (!out->actor_role[0]) return hub_status_new(a, HUB_PERMISSION_DENIED, "not a member of this tenant");
  if (tenant_role_rank(out->role) > tenant_role_rank(out->actor_role))
    return hub_status_new(a, HUB_PERMISSION_DENIED, "you cannot manage a service account whose role is above yours");
  return HUB_STATUS_OK;
}

static hub_status collect_prefixes(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *id,
                                   tenant_prefixes *out) {
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &prefixes_sql, (const char *[]){tenant_id, id}, &res);
  if (!hub_ok(st)) return st;
  int n = PQntuples(res);
  out->n = 0;
  out->items = hub_arena_calloc(a, (size_t)n + 1, sizeof *out->items);
  for (int i = 0; i < n; i++) out->items[out->n++] = hub_arena_strdup(a, PQgetvalue(res, i, 0));
  PQclear(res);
  return HUB_STATUS_OK;
}

/* ---- accounts ---- */

typedef struct create_ctx {
  const tenant_sa_new *in;
  Hub__Tenant__V1__ServiceAccount *out;
} create_ctx;

static hub_status create_fn(hub_pg *pg, hub_arena *a, void *ud) {
  create_ctx *c = ud;
  const tenant_sa_new *in = c->in;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &actor_role_sql, (const char *[]){in->tenant_id, in->actor_id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) < 1) st = hub_status_new(a, HUB_PERMISSION_DENIED, "not a member of this tenant");
  else if (tenant_role_rank(in->role) > tenant_role_rank(PQgetvalue(res, 0, 0)))
    st = hub_status_new(a, HUB_PERMISSION_DENIED, "you cannot grant a role above your own");
  PQclear(res);
  if (!hub_ok(st)) return st;
  const char *p[] = {in->tenant_id, in->name, in->description, in->role, in->brands, in->permissions, in->actor_id};
  st = hub_pg_exec(pg, a, &insert_sql, p, &res);
  if (!hub_ok(st)) return st;
  c->out = tenant_row_service_account(a, res, 0);
  PQclear(res);
  return hub_audit_tenant(pg, a, in->tenant_id, in->actor_id, "service_account.created", c->out->id, in->ip,
                          tenant_json_object(a, "name", in->name, "role", in->role, "brands", in->brands, "permissions",
                                             in->permissions, NULL));
}

hub_status tenant_sa_create(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_sa_new *in,
                            Hub__Tenant__V1__ServiceAccount **out) {
  create_ctx c = {in, NULL};
  hub_status st = hub_pg_tx(pg, a, in->tenant_id, timeout_ms, create_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS)
    return hub_status_new(a, HUB_ALREADY_EXISTS, "a service account of that name exists");
  if (hub_ok(st)) *out = c.out;
  return st;
}

typedef struct get_ctx {
  const char *tenant_id, *id;
  Hub__Tenant__V1__ServiceAccount *out;
} get_ctx;

static hub_status get_fn(hub_pg *pg, hub_arena *a, void *ud) {
  get_ctx *c = ud;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &get_sql, (const char *[]){c->tenant_id, c->id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) == 1) c->out = tenant_row_service_account(a, res, 0);
  else st = hub_status_new(a, HUB_NOT_FOUND, "no such service account");
  PQclear(res);
  return st;
}

hub_status tenant_sa_get(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, const char *id,
                         Hub__Tenant__V1__ServiceAccount **out) {
  get_ctx c = {tenant_id, id, NULL};
  hub_status st = hub_pg_tx(pg, a, tenant_id, timeout_ms, get_fn, &c);
  if (hub_ok(st)) *out = c.out;
  return st;
}

typedef struct list_ctx {
  const char *tenant_id, *after_id;
  int limit;
  Hub__Tenant__V1__ListServiceAccountsResponse *out;
  bool more;
} list_ctx;

static hub_status list_fn(hub_pg *pg, hub_arena *a, void *ud) {
  list_ctx *c = ud;
  char limit[16];
  snprintf(limit, sizeof limit, "%d", c->limit + 1);
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &list_sql, (const char *[]){c->tenant_id, c->after_id, limit}, &res);
  if (!hub_ok(st)) return st;
  int n = PQntuples(res);
  c->more = n > c->limit;
  if (c->more) n = c->limit;
  c->out->n_service_accounts = 0;
  c->out->service_accounts = hub_arena_calloc(a, (size_t)n + 1, sizeof *c->out->service_accounts);
  for (int i = 0; i < n; i++)
    c->out->service_accounts[c->out->n_service_accounts++] = tenant_row_service_account(a, res, i);
  PQclear(res);
  return HUB_STATUS_OK;
}

hub_status tenant_sa_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, int limit,
                          const char *after_id, Hub__Tenant__V1__ListServiceAccountsResponse *out, bool *more) {
  list_ctx c = {tenant_id, after_id, limit, out, false};
  hub_status st = hub_pg_tx(pg, a, tenant_id, timeout_ms, list_fn, &c);
  *more = hub_ok(st) && c.more;
  return st;
}

typedef struct update_ctx {
  const tenant_sa_change *c;
  Hub__Tenant__V1__ServiceAccount *out;
  tenant_prefixes *retire;
} update_ctx;

static hub_status update_fn(hub_pg *pg, hub_arena *a, void *ud) {
  update_ctx *u = ud;
  const tenant_sa_change *c = u->c;
  u->retire->n = 0;
  locked_account t;
  hub_status st = lock_account(pg, a, c->tenant_id, c->id, c->actor_id, &t);
  if (!hub_ok(st)) return st;
  if (c->etag >= 0 && c->etag != t.version)
    return hub_status_new(a, HUB_ABORTED, "the service account changed since it was read; read it again");
  if ((c->bits & TENANT_SA_ROLE) && tenant_role_rank(c->role) > tenant_role_rank(t.actor_role))
    return hub_status_new(a, HUB_PERMISSION_DENIED, "you cannot grant a role above your own");
#define FLAG(bit) ((c->bits & (bit)) ? "true" : "false")
  const char *p[] = {c->tenant_id,
                     c->id,
                     FLAG(TENANT_SA_NAME),
                     c->name,
                     FLAG(TENANT_SA_DESCRIPTION),
                     c->description,
                     FLAG(TENANT_SA_ROLE),
                     c->role,
                     FLAG(TENANT_SA_BRANDS),
                     c->brands,
                     FLAG(TENANT_SA_PERMISSIONS),
                     c->permissions,
                     FLAG(TENANT_SA_DISABLED),
                     c->disabled ? "true" : "false"};
#undef FLAG
  PGresult *res = NULL;
  st = hub_pg_exec(pg, a, &update_sql, p, &res);
  if (!hub_ok(st)) return st;
  u->out = tenant_row_service_account(a, res, 0);
  PQclear(res);
  bool disabling = (c->bits & TENANT_SA_DISABLED) && c->disabled;
  if (disabling) {
    st = hub_pg_exec(pg, a, &revoke_all_sql, (const char *[]){c->tenant_id, c->id}, NULL);
    if (!hub_ok(st)) return st;
  }
  if (c->bits & ~(unsigned)(TENANT_SA_NAME | TENANT_SA_DESCRIPTION)) {
    st = collect_prefixes(pg, a, c->tenant_id, c->id, u->retire);
    if (!hub_ok(st)) return st;
  }
  const char *changed = hub_arena_sprintf(
      a, "%s%s%s%s%s%s", (c->bits & TENANT_SA_NAME) ? "name " : "",
      (c->bits & TENANT_SA_DESCRIPTION) ? "description " : "", (c->bits & TENANT_SA_ROLE) ? "role " : "",
      (c->bits & TENANT_SA_BRANDS) ? "brands " : "", (c->bits & TENANT_SA_PERMISSIONS) ? "permissions " : "",
      (c->bits & TENANT_SA_DISABLED) ? "disabled " : "");
  return hub_audit_tenant(
      pg, a, c->tenant_id, c->actor_id, "service_account.updated", c->id, c->ip,
      tenant_json_object(a, "old_role", t.role, "new_role", u->out->role, "changed", changed, "disabled",
                         (c->bits & TENANT_SA_DISABLED) ? (c->disabled ? "true" : "false") : NULL, NULL));
}

hub_status tenant_sa_update(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_sa_change *c,
                            Hub__Tenant__V1__ServiceAccount **out, tenant_prefixes *retire) {
  update_ctx u = {c, NULL, retire};
  hub_status st = hub_pg_tx(pg, a, c->tenant_id, timeout_ms, update_fn, &u);
  if (st.code == HUB_ALREADY_EXISTS)
    return hub_status_new(a, HUB_ALREADY_EXISTS, "a service account of that name exists");
  if (hub_ok(st)) *out = u.out;
  return st;
}

typedef struct delete_ctx {
  const char *tenant_id, *actor_id, *ip, *id;
  tenant_prefixes *retire;
} delete_ctx;

static hub_status delete_fn(hub_pg *pg, hub_arena *a, void *ud) {
  delete_ctx *c = ud;
  c->retire->n = 0;
  locked_account t;
  hub_status st = lock_account(pg, a, c->tenant_id, c->id, c->actor_id, &t);
  if (hub_ok(st)) st = collect_prefixes(pg, a, c->tenant_id, c->id, c->retire);
  if (hub_ok(st)) st = hub_pg_exec(pg, a, &delete_sql, (const char *[]){c->tenant_id, c->id}, NULL);
  if (!hub_ok(st)) return st;
  return hub_audit_tenant(pg, a, c->tenant_id, c->actor_id, "service_account.deleted", c->id, c->ip,
                          tenant_json_object(a, "role", t.role, NULL));
}

hub_status tenant_sa_delete(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, const char *actor_id,
                            const char *ip, const char *id, tenant_prefixes *retire) {
  delete_ctx c = {tenant_id, actor_id, ip, id, retire};
  return hub_pg_tx(pg, a, tenant_id, timeout_ms, delete_fn, &c);
}

/* ---- keys ---- */

static bool covered(const hub_acl *acl, const char *perm) {
  for (int k = 0; k < acl->n_perms; k++)
    if (hub_acl_pattern_matches(acl->perms[k], perm)) return true;
  return false;
}

/* The account must be usable and may get another key whose scopes it and the actor hold. */
static hub_status check_new_key(hub_pg *pg, hub_arena *a, const tenant_key_new *in, const char *account_id,
                                const locked_account *t, char **scopes, size_t n_scopes) {
  if (t->disabled) return hub_status_new(a, HUB_FAILED_PRECONDITION, "the service account is disabled");
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &live_keys_sql, (const char *[]){in->tenant_id, account_id}, &res);
  if (!hub_ok(st)) return st;
  long live = atol(PQgetvalue(res, 0, 0));
  PQclear(res);
  if (live >= TENANT_KEYS_PER_ACCOUNT)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "the service account has %d live keys; revoke one first",
                          TENANT_KEYS_PER_ACCOUNT);
  hub_acl *acl = hub_arena_calloc(a, 1, sizeof *acl);
  st = hub_acl_load_grant_in_tx(pg, a, in->tenant_id, t->role, t->permissions, t->brands, acl);
  if (!hub_ok(st)) return st;
  for (size_t i = 0; i < n_scopes; i++)
    if (!covered(acl, scopes[i]))
      return hub_status_invalid(a, hub_arena_sprintf(a, "scopes[%zu]", i),
                                "not among the service account's permissions");
  /* What the key can do must be something the actor can do: its scopes, or else everything
   * the account holds. */
  if (n_scopes == 0) {
    for (int k = 0; k < acl->n_perms; k++)
      if (!covered(in->actor_acl, acl->perms[k]))
        return hub_status_new(a, HUB_PERMISSION_DENIED,
                              "the service account holds %s, which you do not: give the key scopes you hold",
                              acl->perms[k]);
  } else {
    for (size_t i = 0; i < n_scopes; i++)
      if (!covered(in->actor_acl, scopes[i]))
        return hub_status_new(a, HUB_PERMISSION_DENIED, "you cannot give a key %s: you do not hold it", scopes[i]);
  }
  return HUB_STATUS_OK;
}

typedef struct key_ctx {
  const tenant_key_new *in;
  const char *key_id, *old_expires; /* rotation */
  Hub__Tenant__V1__ApiKey *out;
  char *old_prefix;
} key_ctx;

static hub_status insert_key(hub_pg *pg, hub_arena *a, const tenant_key_new *in, const char *account_id,
                             const char *scopes, const char *rate, const char *rotated_from,
                             Hub__Tenant__V1__ApiKey **out) {
  const char *p[] = {in->tenant_id, account_id, in->prefix, in->hash_hex, in->name ? in->name : "", scopes, rate,
                     in->expires_micros, rotated_from, in->actor_id};
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &key_insert_sql, p, &res);
  if (!hub_ok(st)) return st;
  *out = tenant_row_api_key(a, res, 0);
  PQclear(res);
  return HUB_STATUS_OK;
}

static hub_status key_create_fn(hub_pg *pg, hub_arena *a, void *ud) {
  key_ctx *c = ud;
  const tenant_key_new *in = c->in;
  locked_account t;
  hub_status st = lock_account(pg, a, in->tenant_id, in->account_id, in->actor_id, &t);
  if (hub_ok(st)) st = check_new_key(pg, a, in, in->account_id, &t, in->scopes, in->n_scopes);
  if (hub_ok(st))
    st = insert_key(pg, a, in, in->account_id, hub_pg_array_literal(a, in->scopes, in->n_scopes), in->rate_per_min,
                    NULL, &c->out);
  if (!hub_ok(st)) return st;
  return hub_audit_tenant(pg, a, in->tenant_id, in->actor_id, "api_key.created", c->out->id, in->ip,
                          tenant_json_object(a, "service_account_id", in->account_id, "prefix", in->prefix, "scopes",
                                             hub_pg_array_literal(a, in->scopes, in->n_scopes), NULL));
}

hub_status tenant_key_create(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_key_new *in,
                             Hub__Tenant__V1__ApiKey **out) {
  key_ctx c = {in, NULL, NULL, NULL, NULL};
  hub_status st = hub_pg_tx(pg, a, in->tenant_id, timeout_ms, key_create_fn, &c);
  if (hub_ok(st)) *out = c.out;
  return st;
}

typedef struct key_list_ctx {
  const char *tenant_id, *account_id;
  Hub__Tenant__V1__ListApiKeysResponse *out;
} key_list_ctx;

static hub_status key_list_fn(hub_pg *pg, hub_arena *a, void *ud) {
  key_list_ctx *c = ud;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &get_sql, (const char *[]){c->tenant_id, c->account_id}, &res);
  if (!hub_ok(st)) return st;
  bool found = PQntuples(res) == 1;
  PQclear(res);
  if (!found) return hub_status_new(a, HUB_NOT_FOUND, "no such service account");
  st = hub_pg_exec(pg, a, &key_list_sql, (const char *[]){c->tenant_id, c->account_id}, &res);
  if (!hub_ok(st)) return st;
  int n = PQntuples(res);
  c->out->n_api_keys = 0;
  c->out->api_keys = hub_arena_calloc(a, (size_t)n + 1, sizeof *c->out->api_keys);
  for (int i = 0; i < n; i++) c->out->api_keys[c->out->n_api_keys++] = tenant_row_api_key(a, res, i);
  PQclear(res);
  return HUB_STATUS_OK;
}

hub_status tenant_key_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, const char *account_id,
                           Hub__Tenant__V1__ListApiKeysResponse *out) {
  key_list_ctx c = {tenant_id, account_id, out};
  return hub_pg_tx(pg, a, tenant_id, timeout_ms, key_list_fn, &c);
}

typedef struct locked_key {
  char *account_id, *prefix, *scopes, *rate;
  bool revoked, expired;
} locked_key;

static hub_status lock_key(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *key_id, locked_key *out) {
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &key_lock_sql, (const char *[]){tenant_id, key_id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return hub_status_new(a, HUB_NOT_FOUND, "no such API key");
  }
  out->account_id = hub_arena_strdup(a, PQgetvalue(res, 0, 0));
  out->prefix = hub_arena_strdup(a, PQgetvalue(res, 0, 1));
  out->scopes = hub_arena_strdup(a, PQgetvalue(res, 0, 2));
  out->rate = hub_arena_strdup(a, PQgetvalue(res, 0, 3));
  out->revoked = PQgetvalue(res, 0, 4)[0] == 't';
  out->expired = PQgetvalue(res, 0, 5)[0] == 't';
  PQclear(res);
  return HUB_STATUS_OK;
}

static hub_status key_rotate_fn(hub_pg *pg, hub_arena *a, void *ud) {
  key_ctx *c = ud;
  const tenant_key_new *in = c->in;
  locked_key k = {0};
  hub_status st = lock_key(pg, a, in->tenant_id, c->key_id, &k);
  if (!hub_ok(st)) return st;
  if (k.revoked || k.expired)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "the API key is %s; create a new one instead",
                          k.revoked ? "revoked" : "expired");
  locked_account t;
  st = lock_account(pg, a, in->tenant_id, k.account_id, in->actor_id, &t);
  char **scopes = NULL;
  size_t n_scopes = hub_pg_array_parse(a, k.scopes, &scopes);
  if (hub_ok(st)) st = check_new_key(pg, a, in, k.account_id, &t, scopes, n_scopes);
  if (hub_ok(st)) st = insert_key(pg, a, in, k.account_id, k.scopes, k.rate, c->key_id, &c->out);
  PGresult *res = NULL;
  if (hub_ok(st))
    st = hub_pg_exec(pg, a, &key_cut_sql, (const char *[]){in->tenant_id, c->key_id, c->old_expires}, &res);
  if (!hub_ok(st)) return st;
  char *until = hub_arena_strdup(a, PQgetvalue(res, 0, 0));
  PQclear(res);
  c->old_prefix = k.prefix;
  return hub_audit_tenant(
      pg, a, in->tenant_id, in->actor_id, "api_key.rotated", c->key_id, in->ip,
      tenant_json_object(a, "service_account_id", k.account_id, "old_prefix", k.prefix, "new_key_id", c->out->id,
                         "new_prefix", in->prefix, "old_key_expires_micros", until, NULL));
}

hub_status tenant_key_rotate(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *key_id,
                             const char *old_expires_micros, const tenant_key_new *in, Hub__Tenant__V1__ApiKey **out,
                             char **old_prefix) {
  key_ctx c = {in, key_id, old_expires_micros, NULL, NULL};
  hub_status st = hub_pg_tx(pg, a, in->tenant_id, timeout_ms, key_rotate_fn, &c);
  if (hub_ok(st)) {
    *out = c.out;
    *old_prefix = c.old_prefix;
  }
  return st;
}

typedef struct revoke_ctx {
  const char *tenant_id, *actor_id, *ip, *key_id;
  char *prefix;
} revoke_ctx;

static hub_status key_revoke_fn(hub_pg *pg, hub_arena *a, void *ud) {
  revoke_ctx *c = ud;
  locked_key k = {0};
  hub_status st = lock_key(pg, a, c->tenant_id, c->key_id, &k);
  locked_account t;
  if (hub_ok(st)) st = lock_account(pg, a, c->tenant_id, k.account_id, c->actor_id, &t);
  if (hub_ok(st)) st = hub_pg_exec(pg, a, &key_revoke_sql, (const char *[]){c->tenant_id, c->key_id}, NULL);
  if (!hub_ok(st)) return st;
  c->prefix = k.prefix;
  if (k.revoked) return HUB_STATUS_OK; /* again: nothing new to record */
  return hub_audit_tenant(pg, a, c->tenant_id, c->actor_id, "api_key.revoked", c->key_id, c->ip,
                          tenant_json_object(a, "service_account_id", k.account_id, "prefix", k.prefix, NULL));
}

hub_status tenant_key_revoke(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, const char *actor_id,
                             const char *ip, const char *key_id, char **prefix) {
  revoke_ctx c = {tenant_id, actor_id, ip, key_id, NULL};
  hub_status st = hub_pg_tx(pg, a, tenant_id, timeout_ms, key_revoke_fn, &c);
  if (hub_ok(st)) *prefix = c.prefix;
  return st;
}
