/* Starting, extending and ending sessions: the context a session acts in (tenant, brand,
 * access snapshot), the Redis session, the refresh-token family in PostgreSQL, and access
 * tokens. Every sign-in path (Login, VerifyMfa, SwitchTenant, Refresh) goes through here. */
#include <stdio.h>
#include <string.h>

#include "crypto/random.h"
#include "hub/log.h"
#include "identity/brands.h"
#include "services/auth/auth.h"

static const hub_pg_stmt first_tenant_sql = {
    "auth_first_tenant",
    "SELECT m.tenant_id::text AS tenant_id, t.home_brand FROM members m JOIN tenants t ON t.id = m.tenant_id "
    "WHERE m.user_id = $1::uuid AND t.deleted_at IS NULL ORDER BY m.created_at, m.tenant_id LIMIT 1",
    1};
static const hub_pg_stmt home_brand_sql = {"auth_home_brand", "SELECT home_brand FROM tenants WHERE id = $1::uuid", 1};
static const hub_pg_stmt insert_refresh_sql = {
    "auth_insert_refresh",
    "INSERT INTO refresh_tokens (token_hash, session_id, user_id, expires_at) "
    "VALUES (decode($1, 'hex'), $2, $3::uuid, now() + make_interval(secs => $4::bigint / 1000.0))",
    4};
static const hub_pg_stmt revoke_family_sql = {
    "auth_revoke_family", "UPDATE refresh_tokens SET revoked_at = now() WHERE session_id = $1 AND revoked_at IS NULL",
    1};
static const hub_pg_stmt revoke_others_sql = {
    "auth_revoke_others",
    "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1::uuid AND session_id <> $2 AND revoked_at IS NULL",
    2};

typedef struct choose_ctx {
  const char *user_id, *want_tenant, *want_brand;
  auth_grant *g;
  bool not_member;
} choose_ctx;

/* In the requested tenant (or none) as the user: the tenant, the access snapshot there (read
 * in the same transaction) and the brand, in three round trips at most (the first membership
 * with its home brand, then the snapshot's two; a requested tenant's home brand rides along). */
static hub_status choose_fn(hub_tx *tx, void *ud) {
  choose_ctx *c = ud;
  auth_grant *g = c->g;
  bool want_brand = c->want_brand && *c->want_brand;
  hub_rows *home = NULL; /* the tenant's home brand, when the brand is not requested */
  g->tenant_id[0] = '\0';
  c->not_member = false;
  if (c->want_tenant && *c->want_tenant) {
    snprintf(g->tenant_id, sizeof g->tenant_id, "%s", c->want_tenant);
    if (!want_brand) home = hub_tx_exec(tx, &home_brand_sql, (const char *[]){g->tenant_id});
  } else {
    hub_status st = hub_tx_query(tx, &first_tenant_sql, (const char *[]){c->user_id}, &home);
    if (!hub_ok(st)) return st;
    if (hub_rows_count(home) == 1) snprintf(g->tenant_id, sizeof g->tenant_id, "%s", hub_rows_text(home, 0, "tenant_id"));
  }
  hub_status st = hub_acl_load_tx(tx, c->user_id, g->tenant_id, &g->acl); /* flushes `home` too */
  if (!hub_ok(st)) return st;
  if (g->tenant_id[0] && !g->acl.role[0]) {
    c->not_member = true;
    return HUB_STATUS_OK;
  }
  const char *brand = want_brand                                             ? c->want_brand
                      : g->tenant_id[0] && home && hub_rows_count(home) == 1 ? hub_rows_text(home, 0, "home_brand")
                                                                             : "smb_hub";
  snprintf(g->brand, sizeof g->brand, "%s", brand);
  return HUB_STATUS_OK;
}

hub_status auth_choose_context(hub_call *call, const char *user_id, const char *want_tenant, const char *want_brand,
                               auth_grant *g) {
  hub_arena *a = hub_call_arena(call);
  if (want_brand && *want_brand) { /* a brand that exists, with or without a tenant: it goes into the token */
    bool exists = strlen(want_brand) < sizeof g->brand;
    if (exists) {
      hub_status st = hub_brands_exists(hub_ctx_of(call)->pg, a, want_brand, &exists);
      if (!hub_ok(st)) return st;
    }
    if (!exists) return hub_status_invalid(a, "brand", "no such brand");
  }
  choose_ctx c = {user_id, want_tenant, want_brand, g, false};
  g->user_id = user_id;
  /* Before the session exists, so in the tenant and as the user named here, not the caller's. */
  hub_status st = hub_call_tx_as(call, want_tenant, user_id, choose_fn, &c);
  if (!hub_ok(st)) return st;
  if (c.not_member) return hub_status_fixed(HUB_NOT_FOUND, "tenant_id: no such tenant");
  /* With a tenant, the brand must be one the member may use there; without one, any brand. */
  if (g->tenant_id[0] && !hub_acl_find_brand(&g->acl, g->brand)) {
    if (want_brand && *want_brand)
      return hub_status_new(a, HUB_PERMISSION_DENIED, "brand \"%s\" is not available to you in this tenant",
                            hub_status_quote(a, g->brand));
    if (g->acl.n_brands > 0) snprintf(g->brand, sizeof g->brand, "%s", g->acl.brands[0].id);
  }
  return HUB_STATUS_OK;
}

hub_status auth_sign_access(hub_call *call, const char *user_id, const char *session_id, const char *tenant_id,
                            const char *brand, char **token, int64_t *exp_s) {
  const hub_identity *id = hub_identity_get();
  hub_token_claims c = {0};
  snprintf(c.sub, sizeof c.sub, "%s", user_id);
  snprintf(c.sid, sizeof c.sid, "%s", session_id);
  snprintf(c.tenant, sizeof c.tenant, "%s", tenant_id ? tenant_id : "");
  snprintf(c.brand, sizeof c.brand, "%s", brand ? brand : "");
  snprintf(c.iss, sizeof c.iss, "%s", id->issuer);
  snprintf(c.aud, sizeof c.aud, "%s", id->audience);
  c.iat = hub_clock_wall_ms() / 1000;
  c.exp = c.iat + id->access_ttl_s;
  *exp_s = c.exp;
  return hub_token_sign(id->keys, hub_call_arena(call), &c, token);
}

static Hub__Auth__V1__TokenPair *pair_message(hub_arena *a, const char *access, int64_t exp_s, const char *refresh,
                                              const char *sid, const char *tenant, const char *brand) {
  Hub__Auth__V1__TokenPair *p = hub_arena_alloc(a, sizeof *p);
  hub__auth__v1__token_pair__init(p);
  Google__Protobuf__Timestamp *ts = hub_arena_alloc(a, sizeof *ts);
  google__protobuf__timestamp__init(ts);
  ts->seconds = exp_s;
  p->access_token = (char *)access;
  p->access_token_expires_at = ts;
  p->refresh_token = (char *)refresh;
  p->session_id = hub_arena_strdup(a, sid);
  p->tenant_id = hub_arena_strdup(a, tenant ? tenant : "");
  p->brand = hub_arena_strdup(a, brand ? brand : "");
  return p;
}

typedef struct mint_ctx {
  const char *hash_hex, *session_id, *user_id;
  hub_tx_fn also;
  void *also_ud;
} mint_ctx;

static hub_status mint_fn(hub_tx *tx, void *ud) {
  mint_ctx *c = ud;
  char ttl[24];
  snprintf(ttl, sizeof ttl, "%lld", (long long)hub_identity_get()->refresh_ttl_ms);
  hub_status st = c->also ? c->also(tx, c->also_ud) : HUB_STATUS_OK; /* first: it may retire older tokens */
  if (hub_ok(st)) hub_tx_exec(tx, &insert_refresh_sql, (const char *[]){c->hash_hex, c->session_id, c->user_id, ttl});
  return st;
}

hub_status auth_mint_pair(hub_call *call, const char *user_id, const char *session_id, const char *tenant_id,
                          const char *brand, hub_tx_fn also, void *also_ud, Hub__Auth__V1__TokenPair **out) {
  hub_arena *a = hub_call_arena(call);
  char *refresh = hub_random_token(a, 32);
  if (!refresh) return hub_status_new(a, HUB_INTERNAL, "no randomness");
  mint_ctx c = {hub_sha256_hex(a, refresh), session_id, user_id, also, also_ud};
  hub_status st = hub_call_tx(call, mint_fn, &c);
  if (!hub_ok(st)) return st;
  char *access;
  int64_t exp_s;
  st = auth_sign_access(call, user_id, session_id, tenant_id, brand, &access, &exp_s);
  if (!hub_ok(st)) return st;
  *out = pair_message(a, access, exp_s, refresh, session_id, tenant_id, brand);
  return HUB_STATUS_OK;
}

hub_status auth_start_session(hub_call *call, auth_grant *g, hub_tx_fn also, void *also_ud,
                              Hub__Auth__V1__TokenPair **out) {
  hub_arena *a = hub_call_arena(call);
  const hub_identity *id = hub_identity_get();
  hub_session s = {0};
  snprintf(s.user_id, sizeof s.user_id, "%s", g->user_id);
  snprintf(s.tenant_id, sizeof s.tenant_id, "%s", g->tenant_id);
  snprintf(s.brand, sizeof s.brand, "%s", g->brand);
  snprintf(s.ip, sizeof s.ip, "%s", auth_peer_ip(call));
  const char *ua = hub_call_metadata(call, "user-agent");
  snprintf(s.user_agent, sizeof s.user_agent, "%s", ua ? ua : "");
  s.acl = hub_acl_format(&g->acl, a);
  hub_status st = hub_session_create(hub_ctx_of(call)->redis, a, &id->session, &s, hub_clock_wall_ms());
  if (!hub_ok(st)) return st;
  g->session_id = hub_arena_strdup(a, s.id);
  st = auth_mint_pair(call, g->user_id, s.id, g->tenant_id, g->brand, also, also_ud, out);
  if (!hub_ok(st)) hub_session_revoke(hub_ctx_of(call)->redis, a, g->user_id, s.id);
  return st;
}

hub_status auth_end_session(hub_call *call, const char *user_id, const char *session_id) {
  hub_arena *a = hub_call_arena(call);
  hub_status st = hub_session_revoke(hub_ctx_of(call)->redis, a, user_id, session_id);
  if (!hub_ok(st) && st.code != HUB_NOT_FOUND) return st;
  bool was_live = hub_ok(st);
  hub_rows *r;
  hub_status st2 = hub_call_query(call, &revoke_family_sql, (const char *[]){session_id}, &r);
  if (!hub_ok(st2)) return st2;
  return was_live ? HUB_STATUS_OK : st;
}

hub_status auth_end_other_sessions(hub_call *call, const char *user_id, const char *keep_sid, int *n) {
  hub_arena *a = hub_call_arena(call);
  hub_status st = hub_session_revoke_all(hub_ctx_of(call)->redis, a, user_id, keep_sid, n);
  if (!hub_ok(st)) return st;
  hub_rows *r;
  return hub_call_query(call, &revoke_others_sql, (const char *[]){user_id, keep_sid ? keep_sid : ""}, &r);
}
