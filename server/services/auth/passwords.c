/* ChangePassword, RequestPasswordReset and ResetPassword. A changed or reset password ends
 * other sessions (all of them, for a reset: whoever knew the old password is out). Reset
 * tokens are 256-bit, single-use, stored as SHA-256 and valid for an hour; the request
 * answers the same whether or not the account exists. */
#include <stdio.h>
#include <string.h>

#include "db/outbox.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "hub/auth/v1/auth.hub-server.h"
#include "services/auth/auth.h"

static const hub_pg_stmt hash_by_id_sql = {"auth_pw_hash_by_id",
                                           "SELECT password_hash, email_norm FROM users WHERE id = $1::uuid", 1};
static const hub_pg_stmt set_hash_sql = {"auth_pw_set", "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1::uuid",
                                         2};
static const hub_pg_stmt id_by_email_sql = {"auth_pw_id_by_email", "SELECT id FROM users WHERE email_norm = $1", 1};
static const hub_pg_stmt reset_token_sql = {
    "auth_pw_reset_token",
    "INSERT INTO account_tokens (token_hash, purpose, user_id, expires_at) "
    "VALUES (decode($1, 'hex'), 'password_reset', $2::uuid, now() + interval '1 hour')",
    2};
static const hub_pg_stmt use_reset_sql = {
    "auth_pw_use_reset",
    "UPDATE account_tokens SET used_at = now() WHERE token_hash = decode($1, 'hex') AND purpose = 'password_reset' "
    "AND used_at IS NULL AND expires_at > now() "
    "RETURNING user_id, (SELECT email_norm FROM users u WHERE u.id = user_id) AS email_norm",
    1};
static const hub_pg_stmt kill_refresh_sql = {
    "auth_pw_kill_refresh", "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1::uuid AND revoked_at IS NULL",
    1};

typedef struct pw_ctx {
  const char *user_id, *email, *phc, *hash, *token, *ip;
  const char *current_phc, *email_norm;
  char found_user[40];
} pw_ctx;

static hub_status read_hash(hub_call *call, pw_ctx *c) {
  hub_rows *r;
  hub_status st = hub_call_query(call, &hash_by_id_sql, (const char *[]){c->user_id}, &r);
  if (!hub_ok(st)) return st;
  bool found = hub_rows_count(r) == 1;
  c->current_phc = found ? hub_rows_text(r, 0, "password_hash") : NULL;
  c->email_norm = found ? hub_rows_text(r, 0, "email_norm") : "";
  return HUB_STATUS_OK;
}

static hub_status set_hash_fn(hub_tx *tx, void *ud) {
  pw_ctx *c = ud;
  hub_tx_exec(tx, &set_hash_sql, (const char *[]){c->user_id, c->phc});
  hub_audit_account_write(tx, c->user_id, "password.changed", c->ip, NULL);
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_change_password(hub_call *call, const Hub__Auth__V1__ChangePasswordRequest *request,
                                            Hub__Auth__V1__ChangePasswordResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  if (strlen(request->current_password) > HUB_PASSWORD_MAX_BYTES) /* bytes: the rules bound characters */
    return hub_status_invalid(a, "current_password", "at most %d bytes", HUB_PASSWORD_MAX_BYTES);
  pw_ctx c = {.user_id = p->user_id, .ip = p->ip};
  hub_status st = read_hash(call, &c);
  if (!hub_ok(st)) return st;
  st = hub_password_check_policy(a, request->new_password, c.email_norm);
  if (!hub_ok(st)) {
    if (st.violations) st.violations->field = "new_password";
    return st;
  }
  hub_rate_limit by_account = auth_limit_login_account();
  st = auth_limit(call, &by_account, c.email_norm);
  if (!hub_ok(st)) return st;
  if (!c.current_phc) return hub_status_new(a, HUB_FAILED_PRECONDITION, "this account signs in without a password");
  bool rehash;
  st = hub_password_verify(a, c.current_phc, request->current_password, hub_call_remaining_ms(call), &rehash);
  if (st.code == HUB_RESOURCE_EXHAUSTED) return st;
  /* Wrong credentials are UNAUTHENTICATED everywhere (docs/auth.md); the session stays valid. */
  if (st.code == HUB_UNAUTHENTICATED)
    return hub_status_fixed(HUB_UNAUTHENTICATED, "current_password: wrong password (the session is still valid)");
  if (!hub_ok(st)) return st;
  char *phc;
  st = hub_password_hash(a, request->new_password, hub_call_remaining_ms(call), &phc);
  if (!hub_ok(st)) return st;
  c.phc = phc;
  st = hub_call_tx(call, set_hash_fn, &c);
  if (!hub_ok(st)) return st;
  int n = 0;
  st = auth_end_other_sessions(call, p->user_id, p->session_id, &n);
  response->sessions_revoked = n;
  return st;
}

static hub_status request_reset_fn(hub_tx *tx, void *ud) {
  pw_ctx *c = ud;
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &id_by_email_sql, (const char *[]){c->email}, &r);
  if (!hub_ok(st) || hub_rows_count(r) != 1) return st;
  const char *id = hub_rows_text(r, 0, "id");
  hub_tx_exec(tx, &reset_token_sql, (const char *[]){c->hash, id});
  hub_outbox_write(tx, HUB_OUTBOX_ACCOUNT, "account.password_reset", id,
                   hub_arena_sprintf(hub_tx_arena(tx), "{\"token\":\"%s\"}", c->token));
  hub_audit_account_write(tx, id, "password.reset_requested", c->ip, NULL);
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_request_password_reset(hub_call *call,
                                                   const Hub__Auth__V1__RequestPasswordResetRequest *request,
                                                   Hub__Auth__V1__RequestPasswordResetResponse *response) {
  (void)response;
  hub_arena *a = hub_call_arena(call);
  const char *email = auth_email_norm(a, request->email);
  hub_status st = auth_limit(call, &auth_limit_reset_ip, auth_peer_ip(call));
  if (hub_ok(st)) st = auth_limit(call, &auth_limit_reset_account, email);
  if (!hub_ok(st)) return st;
  pw_ctx c = {.email = email, .ip = auth_peer_ip(call), .token = hub_random_token(a, 32)};
  if (!c.token) return hub_status_new(a, HUB_INTERNAL, "no randomness");
  c.hash = hub_sha256_hex(a, c.token);
  return hub_call_tx(call, request_reset_fn, &c);
}

static hub_status reset_fn(hub_tx *tx, void *ud) {
  pw_ctx *c = ud;
  hub_rows *r;
  c->found_user[0] = '\0';
  hub_status st = hub_tx_query(tx, &use_reset_sql, (const char *[]){c->hash}, &r);
  if (!hub_ok(st) || hub_rows_count(r) != 1) return st;
  snprintf(c->found_user, sizeof c->found_user, "%s", hub_rows_text(r, 0, "user_id"));
  c->email_norm = hub_rows_text(r, 0, "email_norm");
  /* The policy needs the email (a password may not contain it): checked here, and a refusal
   * rolls the token's use back so the link still works. */
  st = hub_password_check_policy(hub_tx_arena(tx), c->token, c->email_norm);
  if (!hub_ok(st)) return st;
  const char *id = c->found_user;
  hub_tx_exec(tx, &set_hash_sql, (const char *[]){id, c->phc});
  hub_tx_exec(tx, &kill_refresh_sql, (const char *[]){id});
  hub_audit_account_write(tx, id, "password.reset", c->ip, NULL);
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_reset_password(hub_call *call, const Hub__Auth__V1__ResetPasswordRequest *request,
                                           Hub__Auth__V1__ResetPasswordResponse *response) {
  (void)response;
  hub_arena *a = hub_call_arena(call);
  hub_status st = hub_password_check_policy(a, request->new_password, NULL);
  if (!hub_ok(st)) {
    if (st.violations) st.violations->field = "new_password";
    return st;
  }
  char *phc;
  st = hub_password_hash(a, request->new_password, hub_call_remaining_ms(call), &phc);
  if (!hub_ok(st)) return st;
  /* .token carries the new password into reset_fn for the email-aware policy check. */
  pw_ctx c = {.hash = hub_sha256_hex(a, request->token), .phc = phc, .token = request->new_password,
              .ip = auth_peer_ip(call)};
  st = hub_call_tx(call, reset_fn, &c);
  if (st.code == HUB_INVALID_ARGUMENT && st.violations) st.violations->field = "new_password";
  if (!hub_ok(st)) return st;
  if (!c.found_user[0]) return hub_status_invalid(a, "token", "the link is invalid, used or expired");
  int n = 0;
  return auth_end_other_sessions(call, c.found_user, NULL, &n);
}
