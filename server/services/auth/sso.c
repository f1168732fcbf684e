/* LoginWithIdToken: single sign-on with an external identity provider. The ID token is
 * verified offline (auth/oidc.c). Who it is, is (issuer, subject) — never the email claim,
 * which providers let users change and which another provider may assert for someone else:
 *   - a known (issuer, subject) signs in as its linked account;
 *   - an unknown one whose email matches an account links to it only when the request also
 *     proves the account (its password, and a current code when it has a second factor);
 *     without proof: FAILED_PRECONDITION, and nothing is linked;
 *   - otherwise a new account is made (no password; email verified if the provider says so).
 * Accounts with a second factor still need it on SSO sign-in (mfa_required + VerifyMfa). */
#include <stdio.h>
#include <string.h>

#include "crypto/password.h"
#include "hub/email.h"
#include "hub/auth/v1/auth.hub-server.h"
#include "crypto/random.h"
#include "services/auth/auth.h"

static const hub_pg_stmt find_identity_sql = {
    "auth_sso_find", "SELECT user_id FROM external_identities WHERE issuer = $1 AND subject = $2", 2};
static const hub_pg_stmt find_email_sql = {
    "auth_sso_email", "SELECT id, password_hash, totp_sealed IS NOT NULL AS has_mfa FROM users WHERE email_norm = $1", 1};
static const hub_pg_stmt mfa_sql = {"auth_sso_mfa", "SELECT totp_sealed IS NOT NULL AS has_mfa FROM users WHERE id = $1::uuid", 1};
static const hub_pg_stmt new_user_sql = {
    "auth_sso_new_user",
    "INSERT INTO users (email, email_norm, display_name, email_verified_at) "
    "VALUES ($1, $2, '', CASE WHEN $3 THEN now() END) RETURNING id",
    3};
static const hub_pg_stmt link_sql = {
    "auth_sso_link", "INSERT INTO external_identities (issuer, subject, user_id, email) VALUES ($1, $2, $3::uuid, $4)", 4};

typedef enum { SSO_KNOWN, SSO_NEEDS_PROOF, SSO_CREATED } sso_outcome;

typedef struct sso_ctx {
  const hub_oidc_claims *c;
  const char *email_norm, *ip;
  sso_outcome outcome;
  char user_id[40];
  const char *phc;
  bool has_mfa;
} sso_ctx;

/* Who the token is: its linked account, an account with its email (to be proven), or a new
 * one, created and linked here. */
static hub_status resolve_fn(hub_tx *tx, void *ud) {
  sso_ctx *s = ud;
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &find_identity_sql, (const char *[]){s->c->issuer, s->c->subject}, &r);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(r) == 1) {
    snprintf(s->user_id, sizeof s->user_id, "%s", hub_rows_text(r, 0, "user_id"));
    s->outcome = SSO_KNOWN;
    st = hub_tx_query(tx, &mfa_sql, (const char *[]){s->user_id}, &r);
    if (!hub_ok(st)) return st;
    s->has_mfa = hub_rows_count(r) == 1 && hub_rows_bool(r, 0, "has_mfa");
    return HUB_STATUS_OK;
  }
  st = hub_tx_query(tx, &find_email_sql, (const char *[]){s->email_norm}, &r);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(r) == 1) {
    snprintf(s->user_id, sizeof s->user_id, "%s", hub_rows_text(r, 0, "id"));
    s->phc = hub_rows_text(r, 0, "password_hash");
    s->has_mfa = hub_rows_bool(r, 0, "has_mfa");
    s->outcome = SSO_NEEDS_PROOF;
    return HUB_STATUS_OK;
  }
  st = hub_tx_query(tx, &new_user_sql,
                    (const char *[]){s->c->email, s->email_norm, s->c->email_verified ? "true" : "false"}, &r);
  if (!hub_ok(st)) return st;
  snprintf(s->user_id, sizeof s->user_id, "%s", hub_rows_text(r, 0, "id"));
  hub_tx_exec(tx, &link_sql, (const char *[]){s->c->issuer, s->c->subject, s->user_id, s->c->email});
  hub_audit_account_write(tx, s->user_id, "signup.sso", s->ip, NULL);
  s->outcome = SSO_CREATED;
  return HUB_STATUS_OK;
}

static hub_status link_fn(hub_tx *tx, void *ud) {
  sso_ctx *s = ud;
  hub_tx_exec(tx, &link_sql, (const char *[]){s->c->issuer, s->c->subject, s->user_id, s->c->email});
  hub_audit_account_write(tx, s->user_id, "sso.linked", s->ip, NULL);
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_login_with_id_token(hub_call *call, const Hub__Auth__V1__LoginWithIdTokenRequest *request,
                                                Hub__Auth__V1__LoginResponse *response) {
  hub_arena *a = hub_call_arena(call);
  if (strlen(request->password) > HUB_PASSWORD_MAX_BYTES) /* bytes: the rules bound characters */
    return hub_status_invalid(a, "password", "at most %d bytes", HUB_PASSWORD_MAX_BYTES);
  hub_rate_limit by_ip = auth_limit_login_ip();
  hub_status st = auth_limit(call, &by_ip, auth_peer_ip(call));
  if (!hub_ok(st)) return st;
  hub_oidc_claims c;
  st = hub_oidc_verify(hub_identity_get()->oidc, a, request->provider, request->id_token, request->nonce,
                       hub_clock_wall_ms() / 1000, &c);
  if (!hub_ok(st)) return st;
  if (!*c.email || !hub_email_valid(c.email))
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "the provider did not share a usable email address");
  const char *email_norm = auth_email_norm(a, c.email);

  sso_ctx s = {.c = &c, .email_norm = email_norm, .ip = auth_peer_ip(call)};
  st = hub_call_tx(call, resolve_fn, &s);
  if (!hub_ok(st)) return st;

  if (s.outcome == SSO_NEEDS_PROOF) {
    if (!*request->password || !s.phc)
      return hub_status_new(a, HUB_FAILED_PRECONDITION,
                            "an account with this email exists: sign in with its password to link this provider");
    hub_rate_limit by_account = auth_limit_login_account();
    st = auth_limit(call, &by_account, email_norm);
    if (!hub_ok(st)) return st;
    bool rehash;
    st = hub_password_verify(a, s.phc, request->password, hub_call_remaining_ms(call), &rehash);
    if (st.code == HUB_RESOURCE_EXHAUSTED) return st;
    if (!hub_ok(st)) {
      auth_audit(call, s.user_id, "sso.link_failed", NULL);
      return hub_status_new(a, HUB_UNAUTHENTICATED, "wrong password");
    }
    if (s.has_mfa) {
      if (!*request->totp_code)
        return hub_status_new(a, HUB_FAILED_PRECONDITION, "this account has a second factor: send totp_code to link");
      st = auth_check_second_factor(call, s.user_id, request->totp_code, NULL);
      if (!hub_ok(st)) return st;
    }
    st = hub_call_tx(call, link_fn, &s);
    if (!hub_ok(st)) return st;
    return auth_finish_login(call, s.user_id, request->tenant_id, request->brand, response);
  }
  if (s.outcome == SSO_KNOWN && s.has_mfa) {
    if (*request->totp_code) {
      st = auth_check_second_factor(call, s.user_id, request->totp_code, NULL);
      if (!hub_ok(st)) return st;
    } else {
      st = auth_mfa_challenge(call, s.user_id, request->tenant_id, request->brand, &response->mfa_challenge);
      if (!hub_ok(st)) return st;
      response->mfa_required = true;
      return HUB_STATUS_OK;
    }
  }
  return auth_finish_login(call, s.user_id, request->tenant_id, request->brand, response);
}
