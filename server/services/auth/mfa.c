/* TOTP second factors: the secret is sealed with AES-256-GCM (bound to the user id) before
 * it is stored; enrolment is pending until a code proves the authenticator works; each
 * accepted time step is remembered in Redis for 90 s so a code cannot be replayed; ten
 * recovery codes are stored as SHA-256 and spent on use. */
#include <stdio.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"
#include "crypto/totp.h"
#include "hub/auth/v1/auth.hub-server.h"
#include "services/auth/auth.h"

static const hub_pg_stmt secret_sql = {
    "auth_mfa_secret",
    "SELECT coalesce(encode(totp_sealed, 'hex'), '') AS sealed_hex, coalesce(encode(totp_pending, 'hex'), '') AS "
    "pending_hex, email FROM users WHERE id = $1::uuid",
    1};
static const hub_pg_stmt spend_recovery_sql = {
    "auth_mfa_spend_recovery",
    "UPDATE recovery_codes SET used_at = now() WHERE user_id = $1::uuid AND code_hash = $2 AND used_at IS NULL "
    "RETURNING 1 AS spent",
    2};
static const hub_pg_stmt set_pending_sql = {
    "auth_mfa_set_pending", "UPDATE users SET totp_pending = decode($2, 'hex'), updated_at = now() WHERE id = $1::uuid",
    2};
static const hub_pg_stmt confirm_sql = {
    "auth_mfa_confirm",
    "UPDATE users SET totp_sealed = totp_pending, totp_pending = NULL, updated_at = now() WHERE id = $1::uuid", 1};
static const hub_pg_stmt clear_codes_sql = {"auth_mfa_clear_codes", "DELETE FROM recovery_codes WHERE user_id = $1::uuid",
                                            1};
static const hub_pg_stmt add_code_sql = {"auth_mfa_add_code",
                                         "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1::uuid, $2)", 2};
static const hub_pg_stmt disable_sql = {
    "auth_mfa_disable",
    "UPDATE users SET totp_sealed = NULL, totp_pending = NULL, updated_at = now() WHERE id = $1::uuid", 1};

typedef struct secrets {
  const char *sealed_hex, *pending_hex, *email; /* "" when none */
} secrets;

static hub_status load_secrets(hub_call *call, const char *user_id, secrets *s) {
  hub_rows *r;
  hub_status st = hub_call_query(call, &secret_sql, (const char *[]){user_id}, &r);
  if (!hub_ok(st)) return st;
  bool found = hub_rows_count(r) == 1;
  s->sealed_hex = found ? hub_rows_text(r, 0, "sealed_hex") : "";
  s->pending_hex = found ? hub_rows_text(r, 0, "pending_hex") : "";
  s->email = found ? hub_rows_text(r, 0, "email") : "";
  return HUB_STATUS_OK;
}

static hub_status open_secret(hub_arena *a, const char *user_id, const char *sealed_hex, uint8_t **secret,
                              size_t *len) {
  size_t n;
  uint8_t *sealed = hub_hex_decode(a, sealed_hex, &n);
  return hub_aead_open(a, hub_identity_get()->data_key, sealed, n, hub_arena_sprintf(a, "totp:%s", user_id), secret,
                       len);
}

/* OK when `code` matches `sealed_hex`'s secret at a step not used before. A success clears
 * the account's TOTP attempt window (attempts are counted before checking, atomically, so
 * parallel guesses cannot slip past; only failures should add up). */
static hub_status check_totp(hub_call *call, const char *user_id, const char *sealed_hex, const char *code) {
  hub_arena *a = hub_call_arena(call);
  uint8_t *secret;
  size_t len;
  hub_status st = open_secret(a, user_id, sealed_hex, &secret, &len);
  if (!hub_ok(st)) return st;
  int64_t step = 0;
  if (!hub_totp_verify(secret, len, code, hub_clock_wall_ms() / 1000, &step))
    return hub_status_new(a, HUB_UNAUTHENTICATED, "wrong code");
  char *key = hub_arena_sprintf(a, "hub:totp:{%s}:%lld", user_id, (long long)step);
  redisReply *rep;
  st = hub_redis_command(hub_ctx_of(call)->redis, a, 6, (const char *[]){"SET", key, "1", "NX", "EX", "90"}, NULL, &rep);
  if (!hub_ok(st)) return st;
  bool fresh = rep->type == REDIS_REPLY_STATUS;
  freeReplyObject(rep);
  if (!fresh) return hub_status_new(a, HUB_UNAUTHENTICATED, "that code was already used; wait for the next");
  hub_rate_limit_reset(hub_ctx_of(call)->redis, a, &auth_limit_totp, user_id);
  return HUB_STATUS_OK;
}

typedef struct spend_ctx {
  const char *user_id, *hash;
  bool spent;
} spend_ctx;

/* Spends the code if it is the user's and unused; the audit goes out with the COMMIT. */
static hub_status spend_fn(hub_tx *tx, void *ud) {
  spend_ctx *s = ud;
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &spend_recovery_sql, (const char *[]){s->user_id, s->hash}, &r);
  if (!hub_ok(st)) return st;
  s->spent = hub_rows_count(r) == 1;
  if (s->spent) hub_audit_account_write(tx, s->user_id, "mfa.recovery_code_used", NULL, NULL);
  return HUB_STATUS_OK;
}

hub_status auth_check_second_factor(hub_call *call, const char *user_id, const char *totp_code,
                                    const char *recovery_code) {
  hub_arena *a = hub_call_arena(call);
  hub_status st = auth_limit(call, &auth_limit_totp, user_id);
  if (!hub_ok(st)) return st;
  if (recovery_code && *recovery_code) {
    spend_ctx s = {user_id, hub_recovery_code_hash(a, recovery_code), false};
    st = hub_call_tx(call, spend_fn, &s);
    if (!hub_ok(st)) return st;
    if (!s.spent) return hub_status_new(a, HUB_UNAUTHENTICATED, "wrong code");
    hub_rate_limit_reset(hub_ctx_of(call)->redis, a, &auth_limit_totp, user_id);
    return HUB_STATUS_OK;
  }
  secrets s;
  st = load_secrets(call, user_id, &s);
  if (!hub_ok(st)) return st;
  if (!*s.sealed_hex) return hub_status_new(a, HUB_UNAUTHENTICATED, "wrong code");
  return check_totp(call, user_id, s.sealed_hex, totp_code);
}

/* ---- the RPCs ---- */

typedef struct write_ctx {
  const hub_pg_stmt *stmt;
  const char *user_id, *arg;
  char **codes_hashes; /* ConfirmTotp: replace the recovery codes */
  bool drop_codes;     /* DisableTotp: no second factor, no recovery codes */
  const char *audit;
} write_ctx;

/* One transaction, one round trip: the factor, the codes and the audit. */
static hub_status write_fn(hub_tx *tx, void *ud) {
  write_ctx *w = ud;
  hub_tx_exec(tx, w->stmt, (const char *[]){w->user_id, w->arg});
  if (w->codes_hashes || w->drop_codes) hub_tx_exec(tx, &clear_codes_sql, (const char *[]){w->user_id});
  for (int i = 0; w->codes_hashes && i < 10; i++)
    hub_tx_exec(tx, &add_code_sql, (const char *[]){w->user_id, w->codes_hashes[i]});
  if (w->audit) hub_audit_account_write(tx, w->user_id, w->audit, NULL, NULL);
  return HUB_STATUS_OK;
}

static hub_status write_mfa_state(hub_call *call, write_ctx *w) { return hub_call_tx(call, write_fn, w); }

hub_status hub_auth_v1_auth_enroll_totp(hub_call *call, const Hub__Auth__V1__EnrollTotpRequest *request,
                                        Hub__Auth__V1__EnrollTotpResponse *response) {
  (void)request;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  secrets s;
  hub_status st = load_secrets(call, p->user_id, &s);
  if (!hub_ok(st)) return st;
  if (*s.sealed_hex)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "a second factor is already on; disable it first");
  uint8_t secret[HUB_TOTP_SECRET_BYTES];
  if (RAND_bytes(secret, sizeof secret) != 1) return hub_status_new(a, HUB_INTERNAL, "no randomness");
  uint8_t *sealed;
  size_t sealed_len;
  st = hub_aead_seal(a, hub_identity_get()->data_key, secret, sizeof secret, hub_arena_sprintf(a, "totp:%s", p->user_id),
                     &sealed, &sealed_len);
  if (!hub_ok(st)) return st;
  write_ctx w = {&set_pending_sql, p->user_id, hub_hex_encode(a, sealed, sealed_len), NULL, false, NULL};
  st = write_mfa_state(call, &w);
  if (!hub_ok(st)) return st;
  response->secret = hub_base32_encode(a, secret, sizeof secret);
  response->otpauth_uri = hub_totp_uri(a, "SMB Hub", s.email, secret, sizeof secret);
  OPENSSL_cleanse(secret, sizeof secret);
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_confirm_totp(hub_call *call, const Hub__Auth__V1__ConfirmTotpRequest *request,
                                         Hub__Auth__V1__ConfirmTotpResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  hub_status st = auth_limit(call, &auth_limit_totp, p->user_id);
  if (!hub_ok(st)) return st;
  secrets s;
  st = load_secrets(call, p->user_id, &s);
  if (!hub_ok(st)) return st;
  if (!*s.pending_hex) return hub_status_new(a, HUB_FAILED_PRECONDITION, "call EnrollTotp first");
  st = check_totp(call, p->user_id, s.pending_hex, request->code);
  if (!hub_ok(st)) return st;
  char **codes = hub_arena_calloc(a, 10, sizeof *codes), **hashes = hub_arena_calloc(a, 10, sizeof *hashes);
  hub_recovery_codes(a, codes, hashes);
  write_ctx w = {&confirm_sql, p->user_id, NULL, hashes, false, "mfa.enabled"};
  st = write_mfa_state(call, &w);
  if (!hub_ok(st)) return st;
  hub_session_clear_acl(hub_ctx_of(call)->redis, a, p->user_id, NULL); /* WhoAmI shows mfa_enabled */
  response->n_recovery_codes = 10;
  response->recovery_codes = codes;
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_disable_totp(hub_call *call, const Hub__Auth__V1__DisableTotpRequest *request,
                                         Hub__Auth__V1__DisableTotpResponse *response) {
  (void)response;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  hub_status st = auth_limit(call, &auth_limit_totp, p->user_id);
  if (!hub_ok(st)) return st;
  secrets s;
  st = load_secrets(call, p->user_id, &s);
  if (!hub_ok(st)) return st;
  if (!*s.sealed_hex) return hub_status_new(a, HUB_FAILED_PRECONDITION, "no second factor is on");
  st = check_totp(call, p->user_id, s.sealed_hex, request->code);
  if (!hub_ok(st)) return st;
  write_ctx w = {&disable_sql, p->user_id, NULL, NULL, true, "mfa.disabled"};
  st = write_mfa_state(call, &w);
  if (hub_ok(st)) hub_session_clear_acl(hub_ctx_of(call)->redis, a, p->user_id, NULL);
  return st;
}
