/* RequestEmailChange and ConfirmEmailChange. The address changes only once its new owner
 * proves the mailbox, and only for the account that asked:
 *   - the request needs the current password (a stolen session alone cannot move the account
 *     to an attacker's address); an address another account holds gets the same answer as a
 *     free one and the same Argon2 work, but no usable token (that account's owner gets a
 *     notice instead), so the RPC cannot be used to find out who has an account;
 *   - the token (256 random bits, only its SHA-256 stored, valid 24 hours, single use; a newer
 *     request supersedes it) travels only through the account outbox, to the NEW address;
 *   - confirming swaps the address inside one transaction with the token row locked, marks it
 *     verified, spends every other token mailed to the old address (a reset link sitting in
 *     the old mailbox must not outlive the change), and queues a notice to the OLD address
 *     saying how to report a change its owner did not make; then every other session ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/outbox.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "hub/auth/v1/auth.hub-server.h"
#include "identity/audit.h"
#include "services/auth/lifecycle.h"

#define CHANGE_TTL "24 hours"

static const hub_pg_stmt holder_sql = {"auth_email_change_holder", "SELECT id FROM users WHERE email_norm = $1", 1};
static const hub_pg_stmt supersede_sql = {
    "auth_email_change_supersede",
    "UPDATE account_tokens SET used_at = now() WHERE user_id = $1::uuid AND purpose = 'email_change' AND used_at IS NULL",
    1};
static const hub_pg_stmt token_sql = {
    "auth_email_change_token",
    "INSERT INTO account_tokens (token_hash, purpose, user_id, expires_at, new_email) "
    "VALUES (decode($1, 'hex'), 'email_change', $2::uuid, now() + interval '" CHANGE_TTL "', $3)",
    3};
static const hub_pg_stmt lock_token_sql = {
    "auth_email_change_lock",
    "SELECT user_id, new_email, used_at IS NOT NULL, expires_at <= now() FROM account_tokens "
    "WHERE token_hash = decode($1, 'hex') AND purpose = 'email_change' FOR UPDATE",
    1};
static const hub_pg_stmt old_email_sql = {
    "auth_email_change_old", "SELECT email FROM users WHERE id = $1::uuid AND deleted_at IS NULL FOR UPDATE", 1};
static const hub_pg_stmt taken_sql = {"auth_email_change_taken",
                                      "SELECT 1 FROM users WHERE email_norm = $1 AND id <> $2::uuid", 2};
/* email_norm is normalised here exactly as SignUp does it (auth_normalize_email), never by
 * PostgreSQL's lower(), so one address cannot end up with two normal forms. */
static const hub_pg_stmt swap_sql = {
    "auth_email_change_swap",
    "UPDATE users SET email = $2, email_norm = $3, email_verified_at = now(), updated_at = now() WHERE id = $1::uuid",
    3};
/* Every token still open was mailed to the old address, this one included. */
static const hub_pg_stmt spend_all_sql = {
    "auth_email_change_spend",
    "UPDATE account_tokens SET used_at = now() WHERE user_id = $1::uuid AND used_at IS NULL", 1};
static const hub_pg_stmt support_sql = {
    "auth_email_change_support", "SELECT coalesce(email->>'support_address', '') FROM brands WHERE id = $1", 1};

/* "jo***@example.com": enough for the old address's owner to recognise their own change. */
static char *masked(hub_arena *a, const char *email) {
  const char *at = strchr(email, '@');
  size_t local = at ? (size_t)(at - email) : 0;
  size_t keep = local > 2 ? 2 : local > 0 ? 1 : 0;
  return hub_arena_sprintf(a, "%.*s***%s", (int)keep, email, at ? at : "");
}

/* ---- RequestEmailChange ---- */

typedef struct request_ctx {
  const char *user_id, *new_email, *new_norm, *token, *brand, *ip;
} request_ctx;

static hub_status request_fn(hub_pg *pg, hub_arena *a, void *ud) {
  request_ctx *c = ud;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &holder_sql, (const char *[]){c->new_norm}, &res);
  if (!hub_ok(st)) return st;
  char *holder = PQntuples(res) == 1 ? hub_arena_strdup(a, PQgetvalue(res, 0, 0)) : NULL;
  PQclear(res);
  st = hub_pg_exec(pg, a, &supersede_sql, (const char *[]){c->user_id}, NULL);
  if (hub_ok(st) && holder) { /* taken: its owner hears of it, the caller learns nothing */
    hub_outbox_write(hub_pg_current_tx(pg), HUB_OUTBOX_ACCOUNT, "account.email_change_attempted", holder,
                     auth_json(a, json_pack("{ss}", "brand", c->brand)));
    st = hub_audit_account(pg, a, holder, "email_change.address_claimed", NULL, NULL);
  } else if (hub_ok(st)) {
    st = hub_pg_exec(pg, a, &token_sql, (const char *[]){hub_sha256_hex(a, c->token), c->user_id, c->new_email}, NULL);
    if (hub_ok(st))
      hub_outbox_write(hub_pg_current_tx(pg), HUB_OUTBOX_ACCOUNT, "account.email_change", c->user_id,
                       auth_json(a, json_pack("{ssssss}", "to", c->new_email, "token", c->token, "brand", c->brand)));
  }
  if (hub_ok(st)) st = hub_audit_account(pg, a, c->user_id, "email_change.requested", c->ip, NULL);
  return st;
}

hub_status hub_auth_v1_auth_request_email_change(hub_call *call, const Hub__Auth__V1__RequestEmailChangeRequest *request,
                                                 Hub__Auth__V1__RequestEmailChangeResponse *response) {
  (void)response;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  if (!*request->current_password) return hub_status_invalid(a, "current_password", "required");
  if (strlen(request->current_password) > HUB_PASSWORD_MAX_BYTES)
    return hub_status_invalid(a, "current_password", "at most %d bytes", HUB_PASSWORD_MAX_BYTES);
  char *norm;
  hub_status st = auth_normalize_email(a, "new_email", request->new_email, &norm);
  if (!hub_ok(st)) return st;
  auth_proof proof;
  st = auth_prove_password(call, p->user_id, request->current_password, "email_change", &proof);
  if (!hub_ok(st)) return st;
  if (strcmp(norm, proof.email_norm) == 0) return hub_status_invalid(a, "new_email", "this is already your address");
  request_ctx c = {p->user_id, request->new_email, norm, hub_random_token(a, 32), p->brand, p->ip};
  if (!c.token) return hub_status_new(a, HUB_INTERNAL, "no randomness");
  return hub_pg_tx(hub_ctx_of(call)->pg, a, NULL, hub_call_remaining_ms(call), request_fn, &c);
}

/* ---- ConfirmEmailChange ---- */

typedef enum { C_DONE, C_UNKNOWN, C_USED, C_EXPIRED, C_TAKEN } confirm_outcome;

typedef struct confirm_ctx {
  const char *user_id, *hash, *brand, *ip;
  confirm_outcome outcome;
  char *new_email;
} confirm_ctx;

static hub_status confirm_fn(hub_pg *pg, hub_arena *a, void *ud) {
  confirm_ctx *c = ud;
  PGresult *res = NULL;
  c->outcome = C_UNKNOWN;
  hub_status st = hub_pg_exec(pg, a, &lock_token_sql, (const char *[]){c->hash}, &res);
  if (!hub_ok(st)) return st;
  bool mine = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), c->user_id) == 0;
  if (mine) {
    c->new_email = hub_arena_strdup(a, PQgetvalue(res, 0, 1));
    c->outcome = PQgetvalue(res, 0, 2)[0] == 't' ? C_USED : PQgetvalue(res, 0, 3)[0] == 't' ? C_EXPIRED : C_DONE;
  }
  PQclear(res);
  if (c->outcome != C_DONE) return HUB_STATUS_OK;

  st = hub_pg_exec(pg, a, &old_email_sql, (const char *[]){c->user_id}, &res);
  if (!hub_ok(st)) return st;
  char *old = PQntuples(res) == 1 ? hub_arena_strdup(a, PQgetvalue(res, 0, 0)) : NULL;
  PQclear(res);
  if (!old) return hub_status_new(a, HUB_UNAUTHENTICATED, "the account no longer exists");
  char *norm;
  st = auth_normalize_email(a, "token", c->new_email, &norm);
  if (!hub_ok(st)) return st;
  st = hub_pg_exec(pg, a, &taken_sql, (const char *[]){norm, c->user_id}, &res);
  if (!hub_ok(st)) return st;
  bool taken = PQntuples(res) > 0;
  PQclear(res);
  if (taken) {
    c->outcome = C_TAKEN;
    return HUB_STATUS_OK;
  }
  /* A sign-up racing us to the address fails one side on users' unique index: ALREADY_EXISTS. */
  st = hub_pg_exec(pg, a, &swap_sql, (const char *[]){c->user_id, c->new_email, norm}, NULL);
  if (hub_ok(st)) st = hub_pg_exec(pg, a, &spend_all_sql, (const char *[]){c->user_id}, NULL);
  if (!hub_ok(st)) return st;
  st = hub_pg_exec(pg, a, &support_sql, (const char *[]){c->brand}, &res);
  if (!hub_ok(st)) return st;
  char *support = PQntuples(res) == 1 ? hub_arena_strdup(a, PQgetvalue(res, 0, 0)) : "";
  PQclear(res);
  const char *notice =
      auth_json(a, json_pack("{ssssssssss}", "to", old, "new_email_hint", masked(a, c->new_email), "report_to",
                             support, "account_id", c->user_id, "brand", c->brand));
  hub_outbox_write(hub_pg_current_tx(pg), HUB_OUTBOX_ACCOUNT, "account.email_changed", c->user_id, notice);
  return hub_audit_account(pg, a, c->user_id, "email.changed", c->ip, NULL);
}

hub_status hub_auth_v1_auth_confirm_email_change(hub_call *call, const Hub__Auth__V1__ConfirmEmailChangeRequest *request,
                                                 Hub__Auth__V1__ConfirmEmailChangeResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  if (!*request->token || strlen(request->token) > 128) return hub_status_invalid(a, "token", "the mailed token is required");
  confirm_ctx c = {.user_id = p->user_id, .hash = hub_sha256_hex(a, request->token), .brand = p->brand, .ip = p->ip};
  hub_status st = hub_pg_tx(hub_ctx_of(call)->pg, a, NULL, hub_call_remaining_ms(call), confirm_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS) c.outcome = C_TAKEN;
  else if (!hub_ok(st)) return st;
  switch (c.outcome) {
  case C_UNKNOWN: return hub_status_invalid(a, "token", "not a change-of-email link of this account");
  case C_USED: return hub_status_new(a, HUB_FAILED_PRECONDITION, "this link was used or replaced by a newer request");
  case C_EXPIRED: return hub_status_new(a, HUB_FAILED_PRECONDITION, "this link has expired; request the change again");
  case C_TAKEN:
    return hub_status_new(a, HUB_ALREADY_EXISTS,
                          "another account took this address after the change was requested; choose another");
  case C_DONE: break;
  }
  int n = 0;
  st = auth_end_other_sessions(call, p->user_id, p->session_id, &n);
  hub_session_clear_acl(hub_ctx_of(call)->redis, a, p->user_id, NULL); /* WhoAmI shows the address */
  response->email = c.new_email;
  response->sessions_revoked = n;
  return st;
}
