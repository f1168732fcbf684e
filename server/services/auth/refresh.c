/* Refresh: refresh tokens are single-use and rotate on every use, in families (one per
 * session). The token row is locked, so concurrent refreshes of one token serialise:
 *   - unspent: spent now; its successor pair is minted and kept sealed on the spent row;
 *   - spent within the grace window (a retry after a lost response, or the loser of a race)
 *     and the successor still unused: the same successor pair again, never a second live pair;
 *   - spent otherwise: a replay. The whole family is revoked, in PostgreSQL and Redis.
 * Revocation must commit, so the transaction reports the replay as data, not as a failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"
#include "crypto/totp.h"
#include "hub/auth/v1/auth.hub-server.h"
#include "hub/log.h"
#include "services/auth/auth.h"

/* Locks the row. Under READ COMMITTED, a refresh that waited for the lock sees the row as the
 * winner committed it, but a subquery in the same statement would still see the older
 * snapshot; the successor's state is therefore read by a second statement. */
static const hub_pg_stmt lock_sql = {
    "auth_refresh_lock",
    "SELECT session_id, user_id, revoked_at IS NOT NULL AS revoked, expires_at <= now() AS expired, "
    "  spent_at IS NOT NULL AS spent, coalesce(extract(epoch FROM now() - spent_at) * 1000, 0)::bigint AS spent_ago_ms, "
    "  coalesce(encode(successor, 'hex'), '') AS sealed, coalesce(encode(successor_hash, 'hex'), '') AS successor_hash "
    "FROM refresh_tokens WHERE token_hash = decode($1, 'hex') FOR UPDATE",
    1};
static const hub_pg_stmt successor_sql = {
    "auth_refresh_successor",
    "SELECT spent_at IS NOT NULL OR revoked_at IS NOT NULL AS used FROM refresh_tokens WHERE token_hash = decode($1, 'hex')", 1};
static const hub_pg_stmt spend_sql = {
    "auth_refresh_spend",
    "UPDATE refresh_tokens SET spent_at = now(), successor = decode($2, 'hex'), successor_hash = decode($3, 'hex') "
    "WHERE token_hash = decode($1, 'hex')",
    3};
static const hub_pg_stmt insert_sql = {
    "auth_refresh_insert",
    "INSERT INTO refresh_tokens (token_hash, session_id, user_id, expires_at) "
    "VALUES (decode($1, 'hex'), $2, $3::uuid, now() + make_interval(secs => $4::bigint / 1000.0))",
    4};
static const hub_pg_stmt revoke_sql = {
    "auth_refresh_revoke_family",
    "UPDATE refresh_tokens SET revoked_at = now() WHERE session_id = $1 AND revoked_at IS NULL", 1};

typedef enum { R_ROTATED, R_REPLAYED_IN_GRACE, R_REUSE, R_INVALID } refresh_outcome;

typedef struct refresh_ctx {
  hub_call *call;
  const char *hash_hex;
  refresh_outcome outcome;
  char session_id[40], user_id[40];
  /* the pair handed out */
  char *access, *refresh, *tenant, *brand;
  int64_t exp_s;
} refresh_ctx;

/* The successor is sealed as "refresh\taccess\texp\ttenant\tbrand", bound to the parent. Its
 * row and the parent's spending go out with the COMMIT. */
static hub_status rotate(hub_tx *tx, refresh_ctx *c) {
  hub_arena *a = hub_tx_arena(tx);
  const hub_identity *id = hub_identity_get();
  hub_session s;
  hub_status st = hub_session_touch(hub_ctx_of(c->call)->redis, a, &id->session, c->user_id, c->session_id,
                                    hub_clock_wall_ms(), &s);
  if (st.code == HUB_NOT_FOUND) {
    c->outcome = R_INVALID; /* the session ended (logout, revocation, timeout) */
    return HUB_STATUS_OK;
  }
  if (!hub_ok(st)) return st;
  c->refresh = hub_random_token(a, 32);
  if (!c->refresh) return hub_status_new(a, HUB_INTERNAL, "no randomness");
  st = auth_sign_access(c->call, c->user_id, c->session_id, s.tenant_id, s.brand, &c->access, &c->exp_s);
  if (!hub_ok(st)) return st;
  c->tenant = hub_arena_strdup(a, s.tenant_id);
  c->brand = hub_arena_strdup(a, s.brand);
  char *plain = hub_arena_sprintf(a, "%s\t%s\t%lld\t%s\t%s", c->refresh, c->access, (long long)c->exp_s, c->tenant,
                                  c->brand);
  uint8_t *sealed;
  size_t sealed_len;
  st = hub_aead_seal(a, id->data_key, (const uint8_t *)plain, strlen(plain), c->hash_hex, &sealed, &sealed_len);
  if (!hub_ok(st)) return st;
  char *child_hash = hub_sha256_hex(a, c->refresh);
  char ttl[24];
  snprintf(ttl, sizeof ttl, "%lld", (long long)id->refresh_ttl_ms);
  hub_tx_exec(tx, &insert_sql, (const char *[]){child_hash, c->session_id, c->user_id, ttl});
  hub_tx_exec(tx, &spend_sql, (const char *[]){c->hash_hex, hub_hex_encode(a, sealed, sealed_len), child_hash});
  c->outcome = R_ROTATED;
  return HUB_STATUS_OK;
}

static hub_status replay_in_grace(hub_arena *a, refresh_ctx *c, const char *sealed_hex) {
  size_t n;
  uint8_t *sealed = hub_hex_decode(a, sealed_hex, &n);
  uint8_t *plain;
  size_t plain_len;
  hub_status st = hub_aead_open(a, hub_identity_get()->data_key, sealed, n, c->hash_hex, &plain, &plain_len);
  if (!hub_ok(st)) return st;
  char *fields[5];
  char *text = hub_arena_strndup(a, (const char *)plain, plain_len);
  if (auth_split(text, '\t', fields, 5) != 5) return hub_status_new(a, HUB_INTERNAL, "refresh successor unreadable");
  c->refresh = fields[0];
  c->access = fields[1];
  c->exp_s = atoll(fields[2]);
  c->tenant = fields[3];
  c->brand = fields[4];
  c->outcome = R_REPLAYED_IN_GRACE;
  return HUB_STATUS_OK;
}

static hub_status refresh_fn(hub_tx *tx, void *ud) {
  refresh_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  c->outcome = R_INVALID;
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &lock_sql, (const char *[]){c->hash_hex}, &r);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(r) != 1) return HUB_STATUS_OK;
  snprintf(c->session_id, sizeof c->session_id, "%s", hub_rows_text(r, 0, "session_id"));
  snprintf(c->user_id, sizeof c->user_id, "%s", hub_rows_text(r, 0, "user_id"));
  if (hub_rows_bool(r, 0, "revoked") || hub_rows_bool(r, 0, "expired")) return HUB_STATUS_OK;
  if (!hub_rows_bool(r, 0, "spent")) return rotate(tx, c);
  const char *sealed = hub_rows_text(r, 0, "sealed"), *successor_hash = hub_rows_text(r, 0, "successor_hash");
  bool successor_used = true;
  if (*successor_hash) {
    hub_rows *s;
    st = hub_tx_query(tx, &successor_sql, (const char *[]){successor_hash}, &s);
    if (!hub_ok(st)) return st;
    successor_used = hub_rows_count(s) != 1 || hub_rows_bool(s, 0, "used");
  }
  if (hub_rows_int(r, 0, "spent_ago_ms") <= hub_identity_get()->refresh_grace_ms && *sealed && !successor_used)
    return replay_in_grace(a, c, sealed);
  c->outcome = R_REUSE;
  hub_tx_exec(tx, &revoke_sql, (const char *[]){c->session_id});
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_refresh(hub_call *call, const Hub__Auth__V1__RefreshRequest *request,
                                    Hub__Auth__V1__TokenPair *response) {
  hub_arena *a = hub_call_arena(call);
  const char *tok = request->refresh_token;
  if (strlen(tok) > 128) /* no token of ours is longer: not a malformed request, a wrong token */ return hub_status_new(a, HUB_UNAUTHENTICATED, "the refresh token is not valid");
  refresh_ctx c = {.call = call, .hash_hex = hub_sha256_hex(a, tok)};
  hub_status st = hub_call_tx(call, refresh_fn, &c);
  if (!hub_ok(st)) return st;
  if (c.outcome == R_REUSE) {
    hub_session_revoke(hub_ctx_of(call)->redis, a, c.user_id, c.session_id);
    auth_audit(call, c.user_id, "refresh.reuse_detected",
               hub_arena_sprintf(a, "{\"session_id\":\"%s\"}", c.session_id));
    return hub_status_new(a, HUB_UNAUTHENTICATED, "the refresh token was already used; the session has been ended");
  }
  if (c.outcome == R_INVALID) return hub_status_new(a, HUB_UNAUTHENTICATED, "the refresh token is not valid");
  Google__Protobuf__Timestamp *ts = hub_arena_alloc(a, sizeof *ts);
  google__protobuf__timestamp__init(ts);
  ts->seconds = c.exp_s;
  response->access_token = c.access;
  response->access_token_expires_at = ts;
  response->refresh_token = c.refresh;
  response->session_id = hub_arena_strdup(a, c.session_id);
  response->tenant_id = c.tenant;
  response->brand = c.brand;
  return HUB_STATUS_OK;
}
