/* Platform service accounts and their keys: global tables, no tenant, managed by platform
 * administrators only (the RPCs' platform permission), so there is no role hierarchy to apply
 * and every transaction runs through hub_tx_run with no tenant and no user. Changes are
 * audited as account events of the acting administrator. Rows come back in the shapes of
 * tenant accounts and keys (no role, brands, permissions or scopes). Keys are locked before
 * rotation or revocation, so a key is rotated at most once. */
#include <string.h>

#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/audit.h"
#include "identity/principal.h"
#include "services/context.h"
#include "services/tenant/tenant.h"

#define PSA_COLS "s.id, s.name, s.description, s.created_by, s.created_at, s.version AS etag"
#define PKEY_COLS                                                                                              \
  "k.id, k.account_id AS service_account_id, k.name, k.prefix, k.expires_at, k.last_used_at, k.created_at, " \
  "k.rate_per_min AS rate_limit_per_minute, k.rotated_from"

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
    "SELECT count(*) AS live FROM platform_api_keys WHERE account_id = $1::uuid AND revoked_at IS NULL "
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
    "SELECT account_id, prefix, rate_per_min, revoked_at IS NOT NULL AS revoked, "
    "expires_at IS NOT NULL AND expires_at <= now() AS expired FROM platform_api_keys WHERE id = $1::uuid FOR UPDATE",
    1};
static const hub_pg_stmt key_cut_sql = {
    "platform_key_cut_over",
    "UPDATE platform_api_keys SET expires_at = least(coalesce(expires_at, 'infinity'), "
    "coalesce(to_timestamp($2::bigint / 1000000.0), now() + interval '24 hours')) WHERE id = $1::uuid",
    2};
static const hub_pg_stmt key_revoke_sql = {
    "platform_key_revoke", "UPDATE platform_api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1::uuid",
    1};

/* A platform transaction: no tenant, no user. */
static hub_status platform_tx(hub_call *call, hub_tx_fn fn, void *ud) {
  return hub_tx_run(hub_ctx_of(call)->pg, hub_call_arena(call), NULL, NULL, hub_call_remaining_ms(call), fn, ud);
}

/* Queues the account's lock (and its live key count when it is to get a key); after the next
 * flush, check_account tells NOT_FOUND or FAILED_PRECONDITION. */
typedef struct account_check {
  hub_rows *exists, *live;
} account_check;

static account_check queue_account(hub_tx *tx, const char *account_id, bool new_key) {
  account_check k = {hub_tx_exec(tx, &exists_sql, (const char *[]){account_id}), NULL};
  if (new_key) k.live = hub_tx_exec(tx, &live_keys_sql, (const char *[]){account_id});
  return k;
}

static hub_status check_account(hub_tx *tx, account_check k) {
  if (hub_rows_count(k.exists) != 1) return hub_status_fixed(HUB_NOT_FOUND, "no such platform service account");
  if (k.live && hub_rows_int(k.live, 0, "live") >= TENANT_KEYS_PER_ACCOUNT)
    return hub_status_new(hub_tx_arena(tx), HUB_FAILED_PRECONDITION,
                          "the service account has %d live keys; revoke one first", TENANT_KEYS_PER_ACCOUNT);
  return HUB_STATUS_OK;
}

/* ---- accounts ---- */

typedef struct creating {
  hub_call *call;
  const Hub__Tenant__V1__CreatePlatformServiceAccountRequest *r;
  hub_rows *out;
} creating;

static hub_status create_fn(hub_tx *tx, void *ud) {
  creating *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  hub_status st = hub_tx_query(tx, &insert_sql, (const char *[]){c->r->name, c->r->description, p->user_id}, &c->out);
  if (!hub_ok(st)) return st;
  hub_audit_account_write(tx, p->user_id, "platform_service_account.created", p->ip,
                          tenant_json_object(hub_tx_arena(tx), "service_account_id", hub_rows_text(c->out, 0, "id"),
                                             "name", c->r->name, NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_create_platform_service_account(
    hub_call *call, const Hub__Tenant__V1__CreatePlatformServiceAccountRequest *request,
    Hub__Tenant__V1__ServiceAccount *response) {
  creating c = {call, request, NULL};
  hub_status st = platform_tx(call, create_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS)
    return hub_status_fixed(HUB_ALREADY_EXISTS, "a platform service account of that name exists");
  if (hub_ok(st)) hub_rows_decode(c.out, 0, &response->base);
  return st;
}

typedef struct listing {
  const char *const *params;
  hub_rows *rows;
} listing;

static hub_status list_fn(hub_tx *tx, void *ud) {
  listing *c = ud;
  c->rows = hub_tx_exec(tx, &list_sql, c->params);
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_list_platform_service_accounts(
    hub_call *call, const Hub__Tenant__V1__ListPlatformServiceAccountsRequest *request,
    Hub__Tenant__V1__ListServiceAccountsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *after = NULL, *rest = NULL;
  if (request->page_token[0] &&
      (!hub_page_token_parse(a, request->page_token, &after, &rest) || !(after = (char *)hub_uuid_lower(a, after))))
    return hub_status_invalid(a, "page_token", "not a page token of this list");
  listing c = {(const char *[]){after, hub_arena_sprintf(a, "%d", limit + 1)}, NULL};
  if (!hub_ok(st = platform_tx(call, list_fn, &c))) return st;
  response->n_service_accounts = hub_rows_messages(c.rows, &hub__tenant__v1__service_account__descriptor, limit,
                                                   (void ***)&response->service_accounts);
  char *next = NULL;
  if (hub_rows_count(c.rows) > limit)
    next = hub_page_token(a, response->service_accounts[limit - 1]->id, "");
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}

typedef struct deleting {
  hub_call *call;
  const char *id;
  hub_rows *retire;
} deleting;

static hub_status delete_fn(hub_tx *tx, void *ud) {
  deleting *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  account_check k = queue_account(tx, c->id, false);
  c->retire = hub_tx_exec(tx, &prefixes_sql, (const char *[]){c->id});
  hub_status st = hub_tx_flush(tx);
  if (hub_ok(st)) st = check_account(tx, k);
  if (!hub_ok(st)) return st;
  hub_tx_exec(tx, &delete_sql, (const char *[]){c->id});
  hub_audit_account_write(tx, p->user_id, "platform_service_account.deleted", p->ip,
                          tenant_json_object(hub_tx_arena(tx), "service_account_id", c->id, NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_delete_platform_service_account(
    hub_call *call, const Hub__Tenant__V1__DeletePlatformServiceAccountRequest *request,
    Hub__Tenant__V1__DeleteServiceAccountResponse *response) {
  (void)response;
  deleting c = {call, request->service_account_id, NULL};
  hub_status st = hub_status_at_field(hub_call_arena(call), platform_tx(call, delete_fn, &c), "service_account_id");
  return hub_ok(st) ? tenant_keys_retire(call, c.retire) : st;
}

/* ---- keys ---- */

typedef struct keying {
  tenant_minting m; /* first: tenant_key_issue hands fn this */
  hub_call *call;
  const char *account_id, *key_id; /* create | rotation */
  const char *name, *expires, *old_expires, *rate;
} keying;

static void insert_key(hub_tx *tx, keying *c, const char *account_id, const char *rate, const char *rotated_from) {
  const hub_principal *p = hub_principal_of(c->call);
  const char *params[] = {account_id, c->m.prefix, c->m.hash_hex, c->name, rate, c->expires, rotated_from, p->user_id};
  c->m.row = hub_tx_exec(tx, &key_insert_sql, params);
}

static hub_status key_create_fn(hub_tx *tx, void *ud) {
  keying *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  account_check k = queue_account(tx, c->account_id, true);
  hub_status st = hub_tx_flush(tx);
  if (hub_ok(st)) st = check_account(tx, k);
  if (!hub_ok(st)) return st;
  insert_key(tx, c, c->account_id, c->rate, NULL);
  if (!hub_ok(st = hub_tx_flush(tx))) return st;
  hub_audit_account_write(tx, p->user_id, "platform_api_key.created", p->ip,
                          tenant_json_object(hub_tx_arena(tx), "service_account_id", c->account_id, "key_id",
                                             hub_rows_text(c->m.row, 0, "id"), "prefix", c->m.prefix, NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_create_platform_api_key(hub_call *call,
                                                        const Hub__Tenant__V1__CreatePlatformApiKeyRequest *request,
                                                        Hub__Tenant__V1__CreateApiKeyResponse *response) {
  hub_arena *a = hub_call_arena(call);
  keying c = {.call = call, .account_id = request->service_account_id, .name = request->name,
              .rate = tenant_key_rate(a, request->rate_limit_per_minute)};
  hub_status st = tenant_key_expiry(a, "expires_at", request->expires_at, 0, &c.expires);
  return hub_ok(st) ? tenant_key_issue(call, true, key_create_fn, &c.m, "service_account_id", response) : st;
}

typedef struct key_listing {
  const char *account_id;
  account_check k;
  hub_rows *keys;
} key_listing;

static hub_status key_list_fn(hub_tx *tx, void *ud) {
  key_listing *c = ud;
  c->k = queue_account(tx, c->account_id, false);
  c->keys = hub_tx_exec(tx, &key_list_sql, (const char *[]){c->account_id});
  hub_status st = hub_tx_flush(tx);
  return hub_ok(st) ? check_account(tx, c->k) : st;
}

hub_status hub_tenant_v1_tenant_list_platform_api_keys(hub_call *call,
                                                       const Hub__Tenant__V1__ListPlatformApiKeysRequest *request,
                                                       Hub__Tenant__V1__ListApiKeysResponse *response) {
  key_listing c = {request->service_account_id, {NULL, NULL}, NULL};
  hub_status st = platform_tx(call, key_list_fn, &c);
  if (!hub_ok(st)) return hub_status_at_field(hub_call_arena(call), st, "service_account_id");
  response->n_api_keys =
      hub_rows_messages(c.keys, &hub__tenant__v1__api_key__descriptor, -1, (void ***)&response->api_keys);
  return HUB_STATUS_OK;
}

/* Locks the key: NOT_FOUND when there is none. */
static hub_status lock_key(hub_tx *tx, const char *key_id, hub_rows **out) {
  hub_status st = hub_tx_query(tx, &key_lock_sql, (const char *[]){key_id}, out);
  if (hub_ok(st) && hub_rows_count(*out) != 1) st = hub_status_fixed(HUB_NOT_FOUND, "no such API key");
  return st;
}

static hub_status key_rotate_fn(hub_tx *tx, void *ud) {
  keying *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  hub_rows *k;
  hub_status st = lock_key(tx, c->key_id, &k);
  if (!hub_ok(st)) return st;
  bool revoked = hub_rows_bool(k, 0, "revoked");
  if (revoked || hub_rows_bool(k, 0, "expired"))
    return hub_status_new(hub_tx_arena(tx), HUB_FAILED_PRECONDITION, "the API key is %s; create a new one instead",
                          revoked ? "revoked" : "expired");
  const char *account_id = hub_rows_text(k, 0, "account_id");
  account_check ac = queue_account(tx, account_id, true);
  if (hub_ok(st = hub_tx_flush(tx))) st = check_account(tx, ac);
  if (!hub_ok(st)) return st;
  insert_key(tx, c, account_id, hub_rows_text(k, 0, "rate_per_min"), c->key_id);
  hub_tx_exec(tx, &key_cut_sql, (const char *[]){c->key_id, c->old_expires});
  if (!hub_ok(st = hub_tx_flush(tx))) return st;
  c->m.old = k;
  hub_audit_account_write(tx, p->user_id, "platform_api_key.rotated", p->ip,
                          tenant_json_object(hub_tx_arena(tx), "key_id", c->key_id, "old_prefix",
                                             hub_rows_text(k, 0, "prefix"), "new_key_id",
                                             hub_rows_text(c->m.row, 0, "id"), "new_prefix", c->m.prefix, NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_rotate_platform_api_key(hub_call *call,
                                                        const Hub__Tenant__V1__RotatePlatformApiKeyRequest *request,
                                                        Hub__Tenant__V1__CreateApiKeyResponse *response) {
  keying c = {.call = call, .key_id = request->key_id, .name = ""};
  hub_status st = tenant_key_rotation_times(hub_call_arena(call), request->old_key_expires_at, request->expires_at,
                                            &c.old_expires, &c.expires);
  return hub_ok(st) ? tenant_key_issue(call, true, key_rotate_fn, &c.m, "key_id", response) : st;
}

typedef struct revoking {
  hub_call *call;
  const char *key_id;
  hub_rows *key;
} revoking;

static hub_status key_revoke_fn(hub_tx *tx, void *ud) {
  revoking *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  hub_status st = lock_key(tx, c->key_id, &c->key);
  if (!hub_ok(st)) return st;
  hub_tx_exec(tx, &key_revoke_sql, (const char *[]){c->key_id});
  if (hub_rows_bool(c->key, 0, "revoked")) return HUB_STATUS_OK; /* again: nothing new to record */
  hub_audit_account_write(tx, p->user_id, "platform_api_key.revoked", p->ip,
                          tenant_json_object(hub_tx_arena(tx), "key_id", c->key_id, "prefix",
                                             hub_rows_text(c->key, 0, "prefix"), NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_revoke_platform_api_key(hub_call *call,
                                                        const Hub__Tenant__V1__RevokePlatformApiKeyRequest *request,
                                                        Hub__Tenant__V1__RevokeApiKeyResponse *response) {
  (void)response;
  revoking c = {call, request->key_id, NULL};
  hub_status st = hub_status_at_field(hub_call_arena(call), platform_tx(call, key_revoke_fn, &c), "key_id");
  return hub_ok(st) ? tenant_keys_retire(call, c.key) : st;
}
