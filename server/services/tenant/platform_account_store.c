/* SQL of platform service accounts and their keys (see service_account_store.h): global
 * tables, no tenant, managed by platform administrators only (the RPCs' platform permission),
 * so there is no role hierarchy to apply. Rows come back in the shapes of tenant accounts and
 * keys (no role, brands, permissions or scopes). Keys are locked before rotation or
 * revocation, so a key is rotated at most once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/audit.h"
#include "services/tenant/tenant.h"
#include "services/tenant/rows.h"
#include "services/tenant/service_account_store.h"

#define PSA_COLS                                                                                                     \
  "s.id, s.name, s.description, '', '{}'::text[], '{}'::text[], false, s.created_by, " TENANT_MICROS("s.created_at") \
  ", s.version"
#define PKEY_COLS                                                                                          \
  "k.id, k.account_id, k.name, k.prefix, '{}'::text[], " TENANT_MICROS("k.expires_at") ", " TENANT_MICROS( \
      "k.last_used_at") ", " TENANT_MICROS("k.created_at") ", k.rate_per_min, coalesce(k.rotated_from::text, '')"

static const hub_pg_stmt insert_sql = {
    "platform_sa_insert",
    "INSERT INTO platform_service_accounts AS s (name, description, created_by) VALUES ($1, $2, $3::uuid) "
    "RETURNING " PSA_COLS,
    3};
static const hub_pg_stmt list_sql = {
    "platform_sa_list",
    "SELECT " PSA_COLS " FROM platform_service_accounts s WHERE ($1::uuid IS NULL OR s.id > $1::uuid) "
    "ORDER BY s.id LIMIT $2::int",
    2};
static const hub_pg_stmt exists_sql = {"platform_sa_exists",
                                       "SELECT 1 FROM platform_service_accounts WHERE id = $1::uuid FOR UPDATE", 1};
static const hub_pg_stmt prefixes_sql = {"platform_sa_key_prefixes",
                                         "SELECT prefix FROM platform_api_keys WHERE account_id = $1::uuid", 1};
static const hub_pg_stmt delete_sql = {"platform_sa_delete",
                                       "DELETE FROM platform_service_accounts WHERE id = $1::uuid", 1};
static const hub_pg_stmt live_keys_sql = {
    "platform_key_live_count",
    "SELECT count(*) FROM platform_api_keys WHERE account_id = $1::uuid AND revoked_at IS NULL "
    "AND (expires_at IS NULL OR expires_at > now())",
    1};
static const hub_pg_stmt key_insert_sql = {
    "platform_key_insert",
    "INSERT INTO platform_api_keys AS k (account_id, prefix, secret_hash, name, rate_per_min, expires_at, "
    "rotated_from, created_by) VALUES ($1::uuid, $2, decode($3, 'hex'), $4, $5::int, "
    "to_timestamp($6::bigint / 1000000.0), $7::uuid, $8::uuid) RETURNING " PKEY_COLS,
    8};
static const hub_pg_stmt key_list_sql = {
    "platform_key_list",
    "SELECT " PKEY_COLS " FROM platform_api_keys k WHERE k.account_id = $1::uuid AND k.revoked_at IS NULL "
    "ORDER BY k.created_at DESC, k.id DESC LIMIT 100",
    1};
static const hub_pg_stmt key_lock_sql = {
    "platform_key_lock",
    "SELECT account_id, prefix, rate_per_min, revoked_at IS NOT NULL, expires_at IS NOT NULL AND expires_at <= now() "
    "FROM platform_api_keys WHERE id = $1::uuid FOR UPDATE",
    1};
static const hub_pg_stmt key_cut_sql = {
    "platform_key_cut_over",
    "UPDATE platform_api_keys SET expires_at = least(coalesce(expires_at, 'infinity'), "
    "coalesce(to_timestamp($2::bigint / 1000000.0), now() + interval '24 hours')) WHERE id = $1::uuid",
    2};
static const hub_pg_stmt key_revoke_sql = {
    "platform_key_revoke", "UPDATE platform_api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1::uuid",
    1};

static hub_status audit(hub_pg *pg, hub_arena *a, const char *actor_id, const char *ip, const char *action,
                        const char *detail) {
  return hub_audit_account(pg, a, actor_id, action, ip, detail);
}

/* The account exists (locked) and may get another key. */
static hub_status check_account(hub_pg *pg, hub_arena *a, const char *account_id, bool new_key) {
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &exists_sql, (const char *[]){account_id}, &res);
  if (!hub_ok(st)) return st;
  bool found = PQntuples(res) == 1;
  PQclear(res);
  if (!found) return hub_status_new(a, HUB_NOT_FOUND, "no such platform service account");
  if (!new_key) return HUB_STATUS_OK;
  st = hub_pg_exec(pg, a, &live_keys_sql, (const char *[]){account_id}, &res);
  if (!hub_ok(st)) return st;
  long live = atol(PQgetvalue(res, 0, 0));
  PQclear(res);
  if (live >= TENANT_KEYS_PER_ACCOUNT)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "the service account has %d live keys; revoke one first",
                          TENANT_KEYS_PER_ACCOUNT);
  return HUB_STATUS_OK;
}

/* ---- accounts ---- */

typedef struct create_ctx {
  const char *actor_id, *ip, *name, *description;
  Hub__Tenant__V1__ServiceAccount *out;
} create_ctx;

static hub_status create_fn(hub_pg *pg, hub_arena *a, void *ud) {
  create_ctx *c = ud;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &insert_sql, (const char *[]){c->name, c->description, c->actor_id}, &res);
  if (!hub_ok(st)) return st;
  c->out = tenant_row_service_account(a, res, 0);
  PQclear(res);
  return audit(pg, a, c->actor_id, c->ip, "platform_service_account.created",
               tenant_json_object(a, "service_account_id", c->out->id, "name", c->name, NULL));
}

hub_status tenant_psa_create(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *actor_id, const char *ip,
                             const char *name, const char *description, Hub__Tenant__V1__ServiceAccount **out) {
  create_ctx c = {actor_id, ip, name, description, NULL};
  hub_status st = hub_pg_tx(pg, a, NULL, timeout_ms, create_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS)
    return hub_status_new(a, HUB_ALREADY_EXISTS, "a platform service account of that name exists");
  if (hub_ok(st)) *out = c.out;
  return st;
}

typedef struct list_ctx {
  const char *after_id;
  int limit;
  Hub__Tenant__V1__ListServiceAccountsResponse *out;
  bool more;
} list_ctx;

static hub_status list_fn(hub_pg *pg, hub_arena *a, void *ud) {
  list_ctx *c = ud;
  char limit[16];
  snprintf(limit, sizeof limit, "%d", c->limit + 1);
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &list_sql, (const char *[]){c->after_id, limit}, &res);
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

hub_status tenant_psa_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms, int limit, const char *after_id,
                           Hub__Tenant__V1__ListServiceAccountsResponse *out, bool *more) {
  list_ctx c = {after_id, limit, out, false};
  hub_status st = hub_pg_tx(pg, a, NULL, timeout_ms, list_fn, &c);
  *more = hub_ok(st) && c.more;
  return st;
}

typedef struct delete_ctx {
  const char *actor_id, *ip, *id;
  tenant_prefixes *retire;
} delete_ctx;

static hub_status delete_fn(hub_pg *pg, hub_arena *a, void *ud) {
  delete_ctx *c = ud;
  c->retire->n = 0;
  hub_status st = check_account(pg, a, c->id, false);
  PGresult *res = NULL;
  if (hub_ok(st)) st = hub_pg_exec(pg, a, &prefixes_sql, (const char *[]){c->id}, &res);
  if (!hub_ok(st)) return st;
  int n = PQntuples(res);
  c->retire->items = hub_arena_calloc(a, (size_t)n + 1, sizeof *c->retire->items);
  for (int i = 0; i < n; i++) c->retire->items[c->retire->n++] = hub_arena_strdup(a, PQgetvalue(res, i, 0));
  PQclear(res);
  st = hub_pg_exec(pg, a, &delete_sql, (const char *[]){c->id}, NULL);
  if (!hub_ok(st)) return st;
  return audit(pg, a, c->actor_id, c->ip, "platform_service_account.deleted",
               tenant_json_object(a, "service_account_id", c->id, NULL));
}

hub_status tenant_psa_delete(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *actor_id, const char *ip,
                             const char *id, tenant_prefixes *retire) {
  delete_ctx c = {actor_id, ip, id, retire};
  return hub_pg_tx(pg, a, NULL, timeout_ms, delete_fn, &c);
}

/* ---- keys ---- */

typedef struct key_ctx {
  const tenant_key_new *in;
  const char *key_id, *old_expires;
  Hub__Tenant__V1__ApiKey *out;
  char *old_prefix;
} key_ctx;

static hub_status insert_key(hub_pg *pg, hub_arena *a, const tenant_key_new *in, const char *account_id,
                             const char *rate, const char *rotated_from, Hub__Tenant__V1__ApiKey **out) {
  const char *p[] = {account_id, in->prefix, in->hash_hex, in->name ? in->name : "", rate, in->expires_micros,
                     rotated_from, in->actor_id};
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
  hub_status st = check_account(pg, a, in->account_id, true);
  if (hub_ok(st)) st = insert_key(pg, a, in, in->account_id, in->rate_per_min, NULL, &c->out);
  if (!hub_ok(st)) return st;
  return audit(pg, a, in->actor_id, in->ip, "platform_api_key.created",
               tenant_json_object(a, "service_account_id", in->account_id, "key_id", c->out->id, "prefix", in->prefix,
                                  NULL));
}

hub_status tenant_pkey_create(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_key_new *in,
                              Hub__Tenant__V1__ApiKey **out) {
  key_ctx c = {in, NULL, NULL, NULL, NULL};
  hub_status st = hub_pg_tx(pg, a, NULL, timeout_ms, key_create_fn, &c);
  if (hub_ok(st)) *out = c.out;
  return st;
}

typedef struct key_list_ctx {
  const char *account_id;
  Hub__Tenant__V1__ListApiKeysResponse *out;
} key_list_ctx;

static hub_status key_list_fn(hub_pg *pg, hub_arena *a, void *ud) {
  key_list_ctx *c = ud;
  hub_status st = check_account(pg, a, c->account_id, false);
  PGresult *res = NULL;
  if (hub_ok(st)) st = hub_pg_exec(pg, a, &key_list_sql, (const char *[]){c->account_id}, &res);
  if (!hub_ok(st)) return st;
  int n = PQntuples(res);
  c->out->n_api_keys = 0;
  c->out->api_keys = hub_arena_calloc(a, (size_t)n + 1, sizeof *c->out->api_keys);
  for (int i = 0; i < n; i++) c->out->api_keys[c->out->n_api_keys++] = tenant_row_api_key(a, res, i);
  PQclear(res);
  return HUB_STATUS_OK;
}

hub_status tenant_pkey_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *account_id,
                            Hub__Tenant__V1__ListApiKeysResponse *out) {
  key_list_ctx c = {account_id, out};
  return hub_pg_tx(pg, a, NULL, timeout_ms, key_list_fn, &c);
}

typedef struct locked_key {
  char *account_id, *prefix, *rate;
  bool revoked, expired;
} locked_key;

static hub_status lock_key(hub_pg *pg, hub_arena *a, const char *key_id, locked_key *out) {
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &key_lock_sql, (const char *[]){key_id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return hub_status_new(a, HUB_NOT_FOUND, "no such API key");
  }
  out->account_id = hub_arena_strdup(a, PQgetvalue(res, 0, 0));
  out->prefix = hub_arena_strdup(a, PQgetvalue(res, 0, 1));
  out->rate = hub_arena_strdup(a, PQgetvalue(res, 0, 2));
  out->revoked = PQgetvalue(res, 0, 3)[0] == 't';
  out->expired = PQgetvalue(res, 0, 4)[0] == 't';
  PQclear(res);
  return HUB_STATUS_OK;
}

static hub_status key_rotate_fn(hub_pg *pg, hub_arena *a, void *ud) {
  key_ctx *c = ud;
  const tenant_key_new *in = c->in;
  locked_key k = {0};
  hub_status st = lock_key(pg, a, c->key_id, &k);
  if (!hub_ok(st)) return st;
  if (k.revoked || k.expired)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "the API key is %s; create a new one instead",
                          k.revoked ? "revoked" : "expired");
  st = check_account(pg, a, k.account_id, true);
  if (hub_ok(st)) st = insert_key(pg, a, in, k.account_id, k.rate, c->key_id, &c->out);
  if (hub_ok(st)) st = hub_pg_exec(pg, a, &key_cut_sql, (const char *[]){c->key_id, c->old_expires}, NULL);
  if (!hub_ok(st)) return st;
  c->old_prefix = k.prefix;
  return audit(pg, a, in->actor_id, in->ip, "platform_api_key.rotated",
               tenant_json_object(a, "key_id", c->key_id, "old_prefix", k.prefix, "new_key_id", c->out->id,
                                  "new_prefix", in->prefix, NULL));
}

hub_status tenant_pkey_rotate(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *key_id,
                              const char *old_expires_micros, const tenant_key_new *in, Hub__Tenant__V1__ApiKey **out,
                              char **old_prefix) {
  key_ctx c = {in, key_id, old_expires_micros, NULL, NULL};
  hub_status st = hub_pg_tx(pg, a, NULL, timeout_ms, key_rotate_fn, &c);
  if (hub_ok(st)) {
    *out = c.out;
    *old_prefix = c.old_prefix;
  }
  return st;
}

typedef struct revoke_ctx {
  const char *actor_id, *ip, *key_id;
  char *prefix;
} revoke_ctx;

static hub_status key_revoke_fn(hub_pg *pg, hub_arena *a, void *ud) {
  revoke_ctx *c = ud;
  locked_key k = {0};
  hub_status st = lock_key(pg, a, c->key_id, &k);
  if (hub_ok(st)) st = hub_pg_exec(pg, a, &key_revoke_sql, (const char *[]){c->key_id}, NULL);
  if (!hub_ok(st)) return st;
  c->prefix = k.prefix;
  if (k.revoked) return HUB_STATUS_OK;
  return audit(pg, a, c->actor_id, c->ip, "platform_api_key.revoked",
               tenant_json_object(a, "key_id", c->key_id, "prefix", k.prefix, NULL));
}

hub_status tenant_pkey_revoke(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *actor_id, const char *ip,
                              const char *key_id, char **prefix) {
  revoke_ctx c = {actor_id, ip, key_id, NULL};
  hub_status st = hub_pg_tx(pg, a, NULL, timeout_ms, key_revoke_fn, &c);
  if (hub_ok(st)) *prefix = c.prefix;
  return st;
}
