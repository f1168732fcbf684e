/* SignUp and VerifyEmail. SignUp answers the same whether or not the email is taken and
 * spends the same Argon2 work either way, so it cannot be used to find accounts; the owner
 * of a taken address gets a notice by mail instead. With tenant_name, the first tenant is
 * created in the same transaction, the new account its owner, entitled to the brand signed
 * up from with all of that brand's modules. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "db/outbox.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "hub/auth/v1/auth.hub-server.h"
#include "identity/brands.h"
#include "services/auth/auth.h"
#include "services/tenant/api.h"

#define VERIFY_TTL "48 hours"

static const hub_pg_stmt insert_user_sql = {
    "auth_signup_user",
    "INSERT INTO users (email, email_norm, display_name, password_hash) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (email_norm) DO NOTHING RETURNING id",
    4};
static const hub_pg_stmt existing_sql = {"auth_signup_existing", "SELECT id FROM users WHERE email_norm = $1", 1};
static const hub_pg_stmt token_sql = {
    "auth_account_token",
    "INSERT INTO account_tokens (token_hash, purpose, user_id, expires_at) "
    "VALUES (decode($1, 'hex'), $2, $3::uuid, now() + $4::interval)",
    4};
static const hub_pg_stmt use_token_sql = {
    "auth_use_token",
    "UPDATE account_tokens SET used_at = now() WHERE token_hash = decode($1, 'hex') AND purpose = $2 "
    "AND used_at IS NULL AND expires_at > now() RETURNING user_id",
    2};
static const hub_pg_stmt verified_sql = {
    "auth_email_verified",
    "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now() WHERE id = $1::uuid", 1};

typedef struct signup_ctx {
  hub_call *call;
  const char *email, *norm, *name, *phc, *tenant_name, *brand, *ip;
  char tenant_id[37];
  char *slug, *verify_token;
} signup_ctx;

/* "Acme Plumbing Ltd" -> "acme-plumbing-ltd-3fa9c2": readable, and unique enough that a
 * sign-up never fails on a slug someone else took (UpdateTenant can change it). */
static char *make_slug(hub_arena *a, const char *name) {
  char base[48];
  size_t n = 0;
  bool dash = false;
  for (const char *p = name; *p && n < 40; p++) {
    unsigned char c = (unsigned char)*p;
    if (isalnum(c) && c < 0x80) {
      base[n++] = (char)tolower(c);
      dash = false;
    } else if (n && !dash) {
      base[n++] = '-';
      dash = true;
    }
  }
  while (n && base[n - 1] == '-') n--;
  base[n] = '\0';
  char *rnd = hub_random_token(a, 6);
  for (char *p = rnd; *p; p++) *p = (char)(isalnum((unsigned char)*p) ? tolower((unsigned char)*p) : 'x');
  return n ? hub_arena_sprintf(a, "%s-%s", base, rnd) : hub_arena_sprintf(a, "t-%s", rnd);
}

/* In the new tenant's id (so its rows pass row-level security): the account, its verification
 * token and mail, and the first tenant. A taken address inserts nothing and tells its owner. */
static hub_status signup_fn(hub_tx *tx, void *ud) {
  signup_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &insert_user_sql, (const char *[]){c->email, c->norm, c->name, c->phc}, &r);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(r) == 0) { /* taken: tell its owner, tell the caller nothing */
    st = hub_tx_query(tx, &existing_sql, (const char *[]){c->norm}, &r);
    if (!hub_ok(st) || hub_rows_count(r) != 1) return st;
    const char *id = hub_rows_text(r, 0, "id");
    hub_outbox_write(tx, HUB_OUTBOX_ACCOUNT, "account.signup_attempted", id, NULL);
    hub_audit_account_write(tx, id, "signup.duplicate", c->ip, NULL);
    return HUB_STATUS_OK;
  }
  const char *user_id = hub_rows_text(r, 0, "id");
  char *payload = hub_arena_sprintf(a, "{\"token\":\"%s\",\"brand\":\"%s\"}", c->verify_token, c->brand);
  hub_tx_exec(tx, &token_sql, (const char *[]){hub_sha256_hex(a, c->verify_token), "verify_email", user_id, VERIFY_TTL});
  hub_outbox_write(tx, HUB_OUTBOX_ACCOUNT, "account.verify_email", user_id, payload);
  hub_audit_account_write(tx, user_id, "signup", c->ip, NULL);
  if (!c->tenant_name || !*c->tenant_name) return HUB_STATUS_OK;
  hub_tenant_new t = {c->tenant_id, c->tenant_name, c->slug, c->brand, user_id, c->ip}; /* Tenant's own creation */
  return hub_tenant_create_in_tx(tx, &t);
}

hub_status hub_auth_v1_auth_sign_up(hub_call *call, const Hub__Auth__V1__SignUpRequest *request,
                                    Hub__Auth__V1__SignUpResponse *response) {
  hub_arena *a = hub_call_arena(call);
  signup_ctx c = {.call = call, .email = request->email, .name = request->display_name, .tenant_name = request->tenant_name,
                  .brand = *request->brand ? request->brand : "smb_hub", .ip = auth_peer_ip(call)};
  c.norm = auth_email_norm(a, request->email);
  hub_status st = hub_password_check_policy(a, request->password, c.norm);
  if (!hub_ok(st)) return st;
  bool exists = false;
  st = hub_brands_exists(hub_ctx_of(call)->pg, a, c.brand, &exists);
  if (!hub_ok(st)) return st;
  if (!exists) return hub_status_invalid(a, "brand", "no such brand");
  st = auth_limit(call, &auth_limit_signup_ip, c.ip);
  if (!hub_ok(st)) return st;
  char *phc;
  st = hub_password_hash(a, request->password, hub_call_remaining_ms(call), &phc);
  if (!hub_ok(st)) return st;
  c.phc = phc;
  c.verify_token = hub_random_token(a, 32);
  if (!c.verify_token || !hub_uuid_v7(c.tenant_id)) return hub_status_new(a, HUB_INTERNAL, "no randomness");
  c.slug = make_slug(a, request->tenant_name);
  st = hub_call_tx_as(call, c.tenant_id, NULL, signup_fn, &c);
  if (!hub_ok(st)) return st;
  response->accepted = true;
  return HUB_STATUS_OK;
}

typedef struct use_ctx {
  const char *hash, *purpose;
  char user_id[40];
} use_ctx;

static hub_status verify_fn(hub_tx *tx, void *ud) {
  use_ctx *u = ud;
  hub_rows *r;
  u->user_id[0] = '\0';
  hub_status st = hub_tx_query(tx, &use_token_sql, (const char *[]){u->hash, u->purpose}, &r);
  if (!hub_ok(st) || hub_rows_count(r) != 1) return st;
  snprintf(u->user_id, sizeof u->user_id, "%s", hub_rows_text(r, 0, "user_id"));
  hub_tx_exec(tx, &verified_sql, (const char *[]){u->user_id});
  hub_audit_account_write(tx, u->user_id, "email.verified", NULL, NULL);
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_verify_email(hub_call *call, const Hub__Auth__V1__VerifyEmailRequest *request,
                                         Hub__Auth__V1__VerifyEmailResponse *response) {
  (void)response;
  hub_arena *a = hub_call_arena(call);
  use_ctx u = {hub_sha256_hex(a, request->token), "verify_email", ""};
  hub_status st = hub_call_tx(call, verify_fn, &u);
  if (!hub_ok(st)) return st;
  if (!u.user_id[0]) return hub_status_invalid(a, "token", "the link is invalid, used or expired");
  hub_session_clear_acl(hub_ctx_of(call)->redis, a, u.user_id, NULL); /* WhoAmI shows email_verified */
  return HUB_STATUS_OK;
}
