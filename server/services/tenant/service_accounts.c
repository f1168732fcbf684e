/* Service-account and API-key RPCs of a tenant, always in the call's tenant (row-level
 * security hides every other tenant's rows, so another tenant's account or key is simply
 * NOT_FOUND), and the key helpers platform_accounts.c shares (tenant.h). Every change locks
 * the account row, reads the actor's role as committed (a member's or, when a service account
 * acts, its own), applies the hierarchy (nobody grants a role above their own or manages an
 * account above them), and audits in the same transaction. Changes that end keys retire their
 * cached grants after the commit (identity/apikey.h).
 *
 * Races: every change locks the account row (FOR UPDATE) before it reads the actor's role, so
 * a concurrent demotion or deletion is seen; keys are locked the same way before rotation or
 * revocation, so a key is rotated at most once. */
#include <string.h>

#include "crypto/random.h"
#include "hub/clock.h"
#include "hub/log.h"
#include "aip/fields.h"
#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/audit.h"
#include "identity/principal.h"
#include "services/context.h"
#include "services/tenant/tenant.h"

#define MAX_ROTATION_OVERLAP_S (30 * 86400)

#define SA_COLS                                                                                                   \
  "s.id, s.name, s.description, s.role, s.brands, s.permissions, s.disabled_at IS NOT NULL AS disabled, "        \
  "s.created_by, s.created_at, s.version AS etag"
#define KEY_COLS                                                                                          \
  "k.id, k.account_id AS service_account_id, k.name, k.prefix, k.scopes, k.expires_at, k.last_used_at, " \
  "k.created_at, k.rate_per_min AS rate_limit_per_minute, k.rotated_from"

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
    "SELECT role, permissions, brands, disabled_at IS NOT NULL AS disabled, version FROM service_accounts "
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
    "SELECT count(*) AS live FROM api_keys WHERE tenant_id = $1::uuid AND account_id = $2::uuid "
    "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())",
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
    "SELECT account_id, prefix, scopes, rate_per_min, revoked_at IS NOT NULL AS revoked, "
    "expires_at IS NOT NULL AND expires_at <= now() AS expired FROM api_keys WHERE tenant_id = $1::uuid "
    "AND id = $2::uuid FOR UPDATE",
    2};
static const hub_pg_stmt key_cut_sql = {
    "tenant_key_cut_over",
    "UPDATE api_keys SET expires_at = least(coalesce(expires_at, 'infinity'), "
    "coalesce(to_timestamp($3::bigint / 1000000.0), now() + interval '24 hours')) "
    "WHERE tenant_id = $1::uuid AND id = $2::uuid "
    "RETURNING (extract(epoch FROM expires_at) * 1000000)::bigint AS until_micros",
    3};
static const hub_pg_stmt key_revoke_sql = {
    "tenant_key_revoke",
    "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1::uuid AND id = $2::uuid", 2};

/* ---- the key helpers (tenant.h) ---- */

hub_status tenant_key_expiry(hub_arena *a, const char *field, const Google__Protobuf__Timestamp *ts,
                             int64_t max_ahead_s, const char **micros) {
  *micros = NULL;
  if (!ts) return HUB_STATUS_OK;
  int64_t now = hub_clock_wall_s();
  if (ts->seconds <= now) return hub_status_invalid(a, field, "must be in the future");
  if (max_ahead_s && ts->seconds > now + max_ahead_s)
    return hub_status_invalid(a, field, "at most %lld days ahead", (long long)(max_ahead_s / 86400));
  if (ts->seconds > 253402300799LL) return hub_status_invalid(a, field, "too far ahead");
  *micros = hub_arena_sprintf(a, "%lld", (long long)ts->seconds * 1000000 + ts->nanos / 1000);
  return HUB_STATUS_OK;
}

hub_status tenant_keys_retire(hub_call *call, const hub_rows *prefixes) {
  hub_ctx *ctx = hub_ctx_of(call);
  hub_arena *a = hub_call_arena(call);
  for (int i = 0; i < hub_rows_count(prefixes); i++) {
    const char *prefix = hub_rows_text(prefixes, i, "prefix");
    hub_status st = hub_apikey_invalidate(ctx->redis, a, prefix);
    if (!hub_ok(st)) st = hub_apikey_invalidate(ctx->redis, a, prefix);
    if (!hub_ok(st)) {
      hub_logf(HUB_LOG_ERROR, "tenant: could not retire the cached grant of API key %s: %s", prefix, st.message);
      return hub_status_fixed(HUB_UNAVAILABLE, "the change is saved but could not reach every server yet; retry");
    }
  }
  return HUB_STATUS_OK;
}

hub_status tenant_key_issue(hub_call *call, bool platform, hub_tx_fn fn, tenant_minting *m, const char *field,
                            Hub__Tenant__V1__CreateApiKeyResponse *response) {
  hub_arena *a = hub_call_arena(call);
  char *key = NULL;
  hub_status st = HUB_STATUS_OK;
  /* A prefix already taken (one chance in 36^8 per key) gets one more draw. */
  for (int attempt = 0; attempt < 2; attempt++) {
    if (!hub_apikey_generate(a, &key, m->prefix)) return hub_status_fixed(HUB_INTERNAL, "no randomness available");
    m->hash_hex = hub_sha256_hex(a, key);
    st = platform ? hub_tx_run(hub_ctx_of(call)->pg, a, NULL, NULL, hub_call_remaining_ms(call), fn, m)
                  : hub_call_tx(call, fn, m);
    if (st.code != HUB_ALREADY_EXISTS) break;
  }
  if (!hub_ok(st)) return hub_status_at_field(a, st, field);
  /* The new secret cannot be shown again, so it is answered even if the old key's cached
   * grant could not be retired now (its entry then ends within five minutes). */
  if (m->old && !hub_ok(tenant_keys_retire(call, m->old)))
    hub_logf(HUB_LOG_ERROR, "tenant: rotated API key %s keeps its old expiry in the cache",
             hub_rows_text(m->old, 0, "prefix"));
  response->api_key =
      (Hub__Tenant__V1__ApiKey *)hub_rows_message(m->row, 0, &hub__tenant__v1__api_key__descriptor);
  response->secret = key;
  /* A fresh prefix may sit in the cache as unknown (someone guessed it): forget that. */
  hub_apikey_invalidate(hub_ctx_of(call)->redis, a, m->prefix);
  return HUB_STATUS_OK;
}

/* ---- shared steps ---- */

static void copy_account(Hub__Tenant__V1__ServiceAccount *dst, const hub_rows *r) {
  hub_rows_decode(r, 0, &dst->base);
}

/* The locked account (role, permissions, brands, disabled, version) and the actor's role. */
typedef struct locked {
  hub_rows *account;
  const char *role, *actor_role;
} locked;

/* Locks the account and reads the actor's committed role (one round trip); NOT_FOUND, or
 * PERMISSION_DENIED when the actor is no longer in the tenant or the account's role is above
 * theirs. */
static hub_status lock_account(hub_tx *tx, const hub_principal *p, const char *id, locked *out) {
  out->account = hub_tx_exec(tx, &lock_sql, (const char *[]){p->tenant_id, id});
  hub_rows *actor = hub_tx_exec(tx, &actor_role_sql, (const char *[]){p->tenant_id, p->user_id});
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(out->account) != 1) return hub_status_fixed(HUB_NOT_FOUND, "no such service account");
  if (hub_rows_count(actor) < 1) return hub_status_fixed(HUB_PERMISSION_DENIED, "not a member of this tenant");
  out->role = hub_rows_text(out->account, 0, "role");
  out->actor_role = hub_rows_text(actor, 0, "role");
  if (tenant_role_rank(out->role) > tenant_role_rank(out->actor_role))
    return hub_status_fixed(HUB_PERMISSION_DENIED, "you cannot manage a service account whose role is above yours");
  return HUB_STATUS_OK;
}

/* Field checks the update mask or the granter decide (the contract's rules cover the rest). */
static hub_status check_grants(hub_call *call, const char *prefix, const char *role, char **brands, size_t n_brands,
                               char **perms, size_t n_perms) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  hub_status st = HUB_STATUS_OK;
  if (role) st = tenant_rule_role(a, p->acl.role, hub_arena_sprintf(a, "%srole", prefix), role);
  if (hub_ok(st) && brands)
    st = tenant_check_brands(call, hub_arena_sprintf(a, "%sbrands", prefix), brands, n_brands);
  if (hub_ok(st) && perms)
    st = tenant_rule_grants(a, &p->acl, hub_arena_sprintf(a, "%spermissions", prefix), perms, n_perms);
  return st;
}

/* ---- accounts ---- */

typedef struct creating {
  hub_call *call;
  const Hub__Tenant__V1__CreateServiceAccountRequest *r;
  const char *brands, *permissions; /* text[] literals */
  hub_rows *out;
} creating;

/* ALREADY_EXISTS when the tenant has an account of that name (case-insensitively). */
static hub_status create_fn(hub_tx *tx, void *ud) {
  creating *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  const Hub__Tenant__V1__CreateServiceAccountRequest *r = c->r;
  hub_rows *actor;
  hub_status st = hub_tx_query(tx, &actor_role_sql, (const char *[]){p->tenant_id, p->user_id}, &actor);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(actor) < 1) return hub_status_fixed(HUB_PERMISSION_DENIED, "not a member of this tenant");
  if (tenant_role_rank(r->role) > tenant_role_rank(hub_rows_text(actor, 0, "role")))
    return hub_status_fixed(HUB_PERMISSION_DENIED, "you cannot grant a role above your own");
  const char *params[] = {p->tenant_id, r->name, r->description, r->role, c->brands, c->permissions, p->user_id};
  st = hub_tx_query(tx, &insert_sql, params, &c->out);
  if (!hub_ok(st)) return st;
  hub_audit_tenant_write(tx, p->tenant_id, p->user_id, "service_account.created", hub_rows_text(c->out, 0, "id"), p->ip,
                         tenant_json_object(hub_tx_arena(tx), "name", r->name, "role", r->role, "brands", c->brands,
                                            "permissions", c->permissions, NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_create_service_account(hub_call *call,
                                                       const Hub__Tenant__V1__CreateServiceAccountRequest *request,
                                                       Hub__Tenant__V1__ServiceAccount *response) {
  hub_arena *a = hub_call_arena(call);
  hub_status st = check_grants(call, "", request->role, request->brands, request->n_brands, request->permissions,
                               request->n_permissions);
  if (!hub_ok(st)) return st;
  creating c = {call, request, hub_pg_array_literal(a, request->brands, request->n_brands),
                hub_pg_array_literal(a, request->permissions, request->n_permissions), NULL};
  st = hub_call_tx(call, create_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS) return hub_status_fixed(HUB_ALREADY_EXISTS, "a service account of that name exists");
  if (hub_ok(st)) copy_account(response, c.out);
  return st;
}

hub_status hub_tenant_v1_tenant_list_service_accounts(hub_call *call,
                                                      const Hub__Tenant__V1__ListServiceAccountsRequest *request,
                                                      Hub__Tenant__V1__ListServiceAccountsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *after = NULL, *rest = NULL;
  if (request->page_token[0] &&
      (!hub_page_token_parse(a, request->page_token, &after, &rest) || !(after = (char *)hub_uuid_lower(a, after))))
    return hub_status_invalid(a, "page_token", "not a page token of this list");
  const char *params[] = {hub_principal_of(call)->tenant_id, after, hub_arena_sprintf(a, "%d", limit + 1)};
  hub_rows *rows;
  st = hub_call_query(call, &list_sql, params, &rows);
  if (!hub_ok(st)) return st;
  response->n_service_accounts = hub_rows_messages(rows, &hub__tenant__v1__service_account__descriptor, limit,
                                                   (void ***)&response->service_accounts);
  char *next = NULL;
  if (hub_rows_count(rows) > limit)
    next = hub_page_token(a, response->service_accounts[limit - 1]->id, "");
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_get_service_account(hub_call *call,
                                                    const Hub__Tenant__V1__GetServiceAccountRequest *request,
                                                    Hub__Tenant__V1__ServiceAccount *response) {
  hub_rows *rows;
  hub_status st = hub_call_query(
      call, &get_sql, (const char *[]){hub_principal_of(call)->tenant_id, request->service_account_id}, &rows);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(rows) != 1)
    return hub_status_at_field(hub_call_arena(call), hub_status_fixed(HUB_NOT_FOUND, "no such service account"),
                               "service_account_id");
  copy_account(response, rows);
  return HUB_STATUS_OK;
}

enum {
  SA_NAME = 1u << 0,
  SA_DESCRIPTION = 1u << 1,
  SA_ROLE = 1u << 2,
  SA_BRANDS = 1u << 3,
  SA_PERMISSIONS = 1u << 4,
  SA_DISABLED = 1u << 5,
};

typedef struct changing {
  hub_call *call;
  const Hub__Tenant__V1__ServiceAccount *s;
  unsigned bits;
  int64_t etag; /* -1: no check */
  const char *brands, *permissions; /* text[] literals */
  hub_rows *out, *retire;
} changing;

/* Audits service_account.updated. Any change but name or description retires the account's
 * cached grants (retire); disabling also revokes its keys. NOT_FOUND, ABORTED (stale etag). */
static hub_status update_fn(hub_tx *tx, void *ud) {
  changing *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  const Hub__Tenant__V1__ServiceAccount *s = c->s;
  hub_arena *a = hub_tx_arena(tx);
  c->retire = NULL;
  locked t;
  hub_status st = lock_account(tx, p, s->id, &t);
  if (!hub_ok(st)) return st;
  if (c->etag >= 0 && c->etag != hub_rows_int(t.account, 0, "version"))
    return hub_status_fixed(HUB_ABORTED, "the service account changed since it was read; read it again");
  if ((c->bits & SA_ROLE) && tenant_role_rank(s->role) > tenant_role_rank(t.actor_role))
    return hub_status_fixed(HUB_PERMISSION_DENIED, "you cannot grant a role above your own");
#define FLAG(bit) ((c->bits & (bit)) ? "true" : "false")
  const char *params[] = {p->tenant_id,        s->id,          FLAG(SA_NAME),        s->name,
                          FLAG(SA_DESCRIPTION), s->description, FLAG(SA_ROLE),        s->role,
                          FLAG(SA_BRANDS),      c->brands,      FLAG(SA_PERMISSIONS), c->permissions,
                          FLAG(SA_DISABLED),    s->disabled ? "true" : "false"};
#undef FLAG
  st = hub_tx_query(tx, &update_sql, params, &c->out);
  if (!hub_ok(st)) return st;
  if ((c->bits & SA_DISABLED) && s->disabled) hub_tx_exec(tx, &revoke_all_sql, (const char *[]){p->tenant_id, s->id});
  if (c->bits & ~(unsigned)(SA_NAME | SA_DESCRIPTION))
    c->retire = hub_tx_exec(tx, &prefixes_sql, (const char *[]){p->tenant_id, s->id});
  const char *changed = hub_arena_sprintf(
      a, "%s%s%s%s%s%s", (c->bits & SA_NAME) ? "name " : "", (c->bits & SA_DESCRIPTION) ? "description " : "",
      (c->bits & SA_ROLE) ? "role " : "", (c->bits & SA_BRANDS) ? "brands " : "",
      (c->bits & SA_PERMISSIONS) ? "permissions " : "", (c->bits & SA_DISABLED) ? "disabled " : "");
  hub_audit_tenant_write(tx, p->tenant_id, p->user_id, "service_account.updated", s->id, p->ip,
                         tenant_json_object(a, "old_role", t.role, "new_role", hub_rows_text(c->out, 0, "role"),
                                            "changed", changed, "disabled",
                                            (c->bits & SA_DISABLED) ? (s->disabled ? "true" : "false") : NULL, NULL));
  return HUB_STATUS_OK;
}

/* Not empty when the mask names it (the rules say how long and which characters). */
static hub_status check_named(hub_arena *a, unsigned bits, const Hub__Tenant__V1__ServiceAccount *s) {
  return (bits & SA_NAME) && !s->name[0] ? hub_status_invalid(a, "service_account.name", "required") : HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_update_service_account(hub_call *call,
                                                       const Hub__Tenant__V1__UpdateServiceAccountRequest *request,
                                                       Hub__Tenant__V1__ServiceAccount *response) {
  static const char *const paths[] = {"name", "description", "role", "brands", "permissions", "disabled", NULL};
  hub_arena *a = hub_call_arena(call);
  const Hub__Tenant__V1__ServiceAccount *s = request->service_account;
  changing c = {.call = call, .s = s};
  hub_status st = hub_update_mask(a, request->update_mask, paths, &c.bits);
  if (hub_ok(st)) st = tenant_etag(a, request->etag, &c.etag);
  if (hub_ok(st)) st = check_named(a, c.bits, s);
  if (hub_ok(st))
    st = check_grants(call, "service_account.", (c.bits & SA_ROLE) ? s->role : NULL,
                      (c.bits & SA_BRANDS) ? s->brands : NULL, s->n_brands,
                      (c.bits & SA_PERMISSIONS) ? s->permissions : NULL, s->n_permissions);
  if (!hub_ok(st)) return st;
  c.brands = hub_pg_array_literal(a, s->brands, s->n_brands);
  c.permissions = hub_pg_array_literal(a, s->permissions, s->n_permissions);
  st = hub_call_tx(call, update_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS) return hub_status_fixed(HUB_ALREADY_EXISTS, "a service account of that name exists");
  st = hub_status_at_field(a, st, "service_account.id");
  if (hub_ok(st) && c.retire) st = tenant_keys_retire(call, c.retire);
  if (!hub_ok(st)) return st;
  copy_account(response, c.out);
  return HUB_STATUS_OK;
}

typedef struct deleting {
  hub_call *call;
  const char *id;
  hub_rows *retire;
} deleting;

/* Deletes the account and its keys; audits service_account.deleted. */
static hub_status delete_fn(hub_tx *tx, void *ud) {
  deleting *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  locked t;
  hub_status st = lock_account(tx, p, c->id, &t);
  if (!hub_ok(st)) return st;
  c->retire = hub_tx_exec(tx, &prefixes_sql, (const char *[]){p->tenant_id, c->id});
  hub_tx_exec(tx, &delete_sql, (const char *[]){p->tenant_id, c->id});
  hub_audit_tenant_write(tx, p->tenant_id, p->user_id, "service_account.deleted", c->id, p->ip,
                         tenant_json_object(hub_tx_arena(tx), "role", t.role, NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_delete_service_account(hub_call *call,
                                                       const Hub__Tenant__V1__DeleteServiceAccountRequest *request,
                                                       Hub__Tenant__V1__DeleteServiceAccountResponse *response) {
  (void)response;
  deleting c = {call, request->service_account_id, NULL};
  hub_status st = hub_status_at_field(hub_call_arena(call), hub_call_tx(call, delete_fn, &c), "service_account_id");
  return hub_ok(st) ? tenant_keys_retire(call, c.retire) : st;
}

/* ---- keys ---- */

static bool covered(const hub_acl *acl, const char *perm) {
  for (int k = 0; k < acl->n_perms; k++)
    if (hub_acl_pattern_matches(acl->perms[k], perm)) return true;
  return false;
}

typedef struct keying {
  tenant_minting m; /* first: tenant_key_issue hands fn this */
  hub_call *call;
  const char *account_id, *key_id; /* create | rotation */
  const char *name, *expires, *old_expires, *rate;
  char **scopes;
  size_t n_scopes;
} keying;

/* The locked account must be usable and may get another key whose scopes it and the actor
 * hold: fewer than TENANT_KEYS_PER_ACCOUNT live keys (FAILED_PRECONDITION), every scope one of
 * its permissions (INVALID_ARGUMENT "scopes[i]") that the actor holds too (PERMISSION_DENIED). */
static hub_status check_new_key(hub_tx *tx, keying *c, const char *account_id, const locked *t) {
  const hub_principal *p = hub_principal_of(c->call);
  hub_arena *a = hub_tx_arena(tx);
  if (hub_rows_bool(t->account, 0, "disabled"))
    return hub_status_fixed(HUB_FAILED_PRECONDITION, "the service account is disabled");
  hub_rows *live = hub_tx_exec(tx, &live_keys_sql, (const char *[]){p->tenant_id, account_id});
  hub_acl *acl = hub_arena_calloc(a, 1, sizeof *acl);
  hub_status st = hub_acl_load_grant_tx(tx, p->tenant_id, t->role, hub_rows_text(t->account, 0, "permissions"),
                                        hub_rows_text(t->account, 0, "brands"), acl); /* with the count: one flush */
  if (!hub_ok(st)) return st;
  if (hub_rows_int(live, 0, "live") >= TENANT_KEYS_PER_ACCOUNT)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "the service account has %d live keys; revoke one first",
                          TENANT_KEYS_PER_ACCOUNT);
  for (size_t i = 0; i < c->n_scopes; i++)
    if (!covered(acl, c->scopes[i]))
      return hub_status_invalid(a, hub_arena_sprintf(a, "scopes[%zu]", i),
                                "not among the service account's permissions");
  /* What the key can do must be something the actor can do: its scopes, or else everything
   * the account holds. */
  if (c->n_scopes == 0) {
    for (int k = 0; k < acl->n_perms; k++)
      if (!covered(&p->acl, acl->perms[k]))
        return hub_status_new(a, HUB_PERMISSION_DENIED,
                              "the service account holds %s, which you do not: give the key scopes you hold",
                              acl->perms[k]);
  } else {
    for (size_t i = 0; i < c->n_scopes; i++)
      if (!covered(&p->acl, c->scopes[i]))
        return hub_status_new(a, HUB_PERMISSION_DENIED, "you cannot give a key %s: you do not hold it", c->scopes[i]);
  }
  return HUB_STATUS_OK;
}

static void insert_key(hub_tx *tx, keying *c, const char *account_id, const char *scopes, const char *rate,
                       const char *rotated_from) {
  const hub_principal *p = hub_principal_of(c->call);
  const char *params[] = {p->tenant_id, account_id, c->m.prefix, c->m.hash_hex, c->name, scopes, rate,
                          c->expires,   rotated_from, p->user_id};
  c->m.row = hub_tx_exec(tx, &key_insert_sql, params);
}

/* Audits api_key.created. */
static hub_status key_create_fn(hub_tx *tx, void *ud) {
  keying *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  locked t;
  hub_status st = lock_account(tx, p, c->account_id, &t);
  if (hub_ok(st)) st = check_new_key(tx, c, c->account_id, &t);
  if (!hub_ok(st)) return st;
  const char *scopes = hub_pg_array_literal(hub_tx_arena(tx), c->scopes, c->n_scopes);
  insert_key(tx, c, c->account_id, scopes, c->rate, NULL);
  if (!hub_ok(st = hub_tx_flush(tx))) return st;
  hub_audit_tenant_write(tx, p->tenant_id, p->user_id, "api_key.created", hub_rows_text(c->m.row, 0, "id"), p->ip,
                         tenant_json_object(hub_tx_arena(tx), "service_account_id", c->account_id, "prefix",
                                            c->m.prefix, "scopes", scopes, NULL));
  return HUB_STATUS_OK;
}

const char *tenant_key_rate(hub_arena *a, int32_t requested) {
  return hub_arena_sprintf(a, "%d", requested ? requested : HUB_APIKEY_DEFAULT_RATE);
}

hub_status hub_tenant_v1_tenant_create_api_key(hub_call *call, const Hub__Tenant__V1__CreateApiKeyRequest *request,
                                               Hub__Tenant__V1__CreateApiKeyResponse *response) {
  hub_arena *a = hub_call_arena(call);
  keying c = {.call = call, .account_id = request->service_account_id, .name = request->name,
              .scopes = request->scopes, .n_scopes = request->n_scopes};
  hub_status st = tenant_check_items(a, "scopes", request->scopes, request->n_scopes, tenant_permission_ok,
                                     "not a permission (domain.resource.verb)");
  for (size_t i = 0; i < request->n_scopes && hub_ok(st); i++)
    if (strncmp(request->scopes[i], "platform.", 9) == 0)
      st = hub_status_invalid(a, hub_arena_sprintf(a, "scopes[%zu]", i), "platform permissions are not for API keys");
  if (hub_ok(st)) st = tenant_key_expiry(a, "expires_at", request->expires_at, 0, &c.expires);
  if (!hub_ok(st)) return st;
  c.rate = tenant_key_rate(a, request->rate_limit_per_minute);
  return tenant_key_issue(call, false, key_create_fn, &c.m, "service_account_id", response);
}

typedef struct key_listing {
  const char *const *params;
  hub_rows *account, *keys;
} key_listing;

static hub_status key_list_fn(hub_tx *tx, void *ud) {
  key_listing *c = ud;
  c->account = hub_tx_exec(tx, &get_sql, c->params);
  c->keys = hub_tx_exec(tx, &key_list_sql, c->params);
  return HUB_STATUS_OK;
}

/* The account's keys that are not revoked, newest first. NOT_FOUND for an unknown account. */
hub_status hub_tenant_v1_tenant_list_api_keys(hub_call *call, const Hub__Tenant__V1__ListApiKeysRequest *request,
                                              Hub__Tenant__V1__ListApiKeysResponse *response) {
  const char *params[] = {hub_principal_of(call)->tenant_id, request->service_account_id};
  key_listing c = {params, NULL, NULL};
  hub_status st = hub_call_tx(call, key_list_fn, &c);
  if (hub_ok(st) && hub_rows_count(c.account) != 1) st = hub_status_fixed(HUB_NOT_FOUND, "no such service account");
  if (!hub_ok(st)) return hub_status_at_field(hub_call_arena(call), st, "service_account_id");
  response->n_api_keys =
      hub_rows_messages(c.keys, &hub__tenant__v1__api_key__descriptor, -1, (void ***)&response->api_keys);
  return HUB_STATUS_OK;
}

/* A new key for the old key's account with its scopes and rate limit; the old one now expires
 * at old_expires (never later than it already did, 24 hours from now when unset). The old key
 * must be live (FAILED_PRECONDITION). Audits api_key.rotated. */
static hub_status key_rotate_fn(hub_tx *tx, void *ud) {
  keying *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *k;
  hub_status st = hub_tx_query(tx, &key_lock_sql, (const char *[]){p->tenant_id, c->key_id}, &k);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(k) != 1) return hub_status_fixed(HUB_NOT_FOUND, "no such API key");
  bool revoked = hub_rows_bool(k, 0, "revoked");
  if (revoked || hub_rows_bool(k, 0, "expired"))
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "the API key is %s; create a new one instead",
                          revoked ? "revoked" : "expired");
  const char *account_id = hub_rows_text(k, 0, "account_id"), *scopes = hub_rows_text(k, 0, "scopes");
  locked t;
  st = lock_account(tx, p, account_id, &t);
  c->n_scopes = hub_pg_array_parse(a, scopes, &c->scopes);
  if (hub_ok(st)) st = check_new_key(tx, c, account_id, &t);
  if (!hub_ok(st)) return st;
  insert_key(tx, c, account_id, scopes, hub_rows_text(k, 0, "rate_per_min"), c->key_id);
  hub_rows *cut = hub_tx_exec(tx, &key_cut_sql, (const char *[]){p->tenant_id, c->key_id, c->old_expires});
  if (!hub_ok(st = hub_tx_flush(tx))) return st;
  c->m.old = k;
  hub_audit_tenant_write(tx, p->tenant_id, p->user_id, "api_key.rotated", c->key_id, p->ip,
                         tenant_json_object(a, "service_account_id", account_id, "old_prefix",
                                            hub_rows_text(k, 0, "prefix"), "new_key_id",
                                            hub_rows_text(c->m.row, 0, "id"), "new_prefix", c->m.prefix,
                                            "old_key_expires_micros", hub_rows_text(cut, 0, "until_micros"), NULL));
  return HUB_STATUS_OK;
}

/* RotateApiKey and RotatePlatformApiKey check the same two times. */
hub_status tenant_key_rotation_times(hub_arena *a, const Google__Protobuf__Timestamp *old_key_expires_at,
                                     const Google__Protobuf__Timestamp *expires_at, const char **old_until,
                                     const char **expires) {
  hub_status st = tenant_key_expiry(a, "old_key_expires_at", old_key_expires_at, MAX_ROTATION_OVERLAP_S, old_until);
  return hub_ok(st) ? tenant_key_expiry(a, "expires_at", expires_at, 0, expires) : st;
}

hub_status hub_tenant_v1_tenant_rotate_api_key(hub_call *call, const Hub__Tenant__V1__RotateApiKeyRequest *request,
                                               Hub__Tenant__V1__CreateApiKeyResponse *response) {
  keying c = {.call = call, .key_id = request->key_id, .name = ""};
  hub_status st = tenant_key_rotation_times(hub_call_arena(call), request->old_key_expires_at, request->expires_at,
                                            &c.old_expires, &c.expires);
  return hub_ok(st) ? tenant_key_issue(call, false, key_rotate_fn, &c.m, "key_id", response) : st;
}

typedef struct revoking {
  hub_call *call;
  const char *key_id;
  hub_rows *key;
} revoking;

/* Revokes a key (again is fine); audits api_key.revoked. */
static hub_status key_revoke_fn(hub_tx *tx, void *ud) {
  revoking *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  hub_status st = hub_tx_query(tx, &key_lock_sql, (const char *[]){p->tenant_id, c->key_id}, &c->key);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(c->key) != 1) return hub_status_fixed(HUB_NOT_FOUND, "no such API key");
  const char *account_id = hub_rows_text(c->key, 0, "account_id");
  locked t;
  if (!hub_ok(st = lock_account(tx, p, account_id, &t))) return st;
  hub_tx_exec(tx, &key_revoke_sql, (const char *[]){p->tenant_id, c->key_id});
  if (hub_rows_bool(c->key, 0, "revoked")) return HUB_STATUS_OK; /* again: nothing new to record */
  hub_audit_tenant_write(tx, p->tenant_id, p->user_id, "api_key.revoked", c->key_id, p->ip,
                         tenant_json_object(hub_tx_arena(tx), "service_account_id", account_id, "prefix",
                                            hub_rows_text(c->key, 0, "prefix"), NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_revoke_api_key(hub_call *call, const Hub__Tenant__V1__RevokeApiKeyRequest *request,
                                               Hub__Tenant__V1__RevokeApiKeyResponse *response) {
  (void)response;
  revoking c = {call, request->key_id, NULL};
  hub_status st = hub_status_at_field(hub_call_arena(call), hub_call_tx(call, key_revoke_fn, &c), "key_id");
  return hub_ok(st) ? tenant_keys_retire(call, c.key) : st;
}
