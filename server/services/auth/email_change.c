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
#include "services/auth/auth.h"

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
    "SELECT user_id, new_email, used_at IS NOT NULL AS used, expires_at <= now() AS expired FROM account_tokens "
    "WHERE token_hash = decode($1, 'hex') AND purpose = 'email_change' FOR UPDATE",
    1};
static const hub_pg_stmt old_email_sql = {
    "auth_email_change_old", "SELECT email FROM users WHERE id = $1::uuid AND deleted_at IS NULL FOR UPDATE", 1};
static const hub_pg_stmt taken_sql = {"auth_email_change_taken",
                                      "SELECT id FROM users WHERE email_norm = $1 AND id <> $2::uuid", 2};
/* email_norm is normalised here exactly as SignUp does it (auth_email_norm), never by
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
    "auth_email_change_support", "SELECT coalesce(email->>'support_address', '') AS support_address FROM brands WHERE id = $1", 1};

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

/* Who holds the address decides what is queued; the rest goes out with the COMMIT. */
static hub_status request_fn(hub_tx *tx, void *ud) {
  request_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &holder_sql, (const char *[]){c->new_norm}, &r);
  if (!hub_ok(st)) return st;
  const char *holder = hub_rows_count(r) == 1 ? hub_rows_text(r, 0, "id") : NULL;
  hub_tx_exec(tx, &supersede_sql, (const char *[]){c->user_id});
  if (holder) { /* taken: its owner hears of it, the caller learns nothing */
    hub_outbox_write(tx, HUB_OUTBOX_ACCOUNT, "account.email_change_attempted", holder,
                     auth_json(a, json_pack("{ss}", "brand", c->brand)));
    hub_audit_account_write(tx, holder, "email_change.address_claimed", NULL, NULL);
  } else {
    hub_tx_exec(tx, &token_sql, (const char *[]){hub_sha256_hex(a, c->token), c->user_id, c->new_email});
    hub_outbox_write(tx, HUB_OUTBOX_ACCOUNT, "account.email_change", c->user_id,
                     auth_json(a, json_pack("{ssssss}", "to", c->new_email, "token", c->token, "brand", c->brand)));
  }
  hub_audit_account_write(tx, c->user_id, "email_change.requested", c->ip, NULL);
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_request_email_change(hub_call *call, const Hub__Auth__V1__RequestEmailChangeRequest *request,
                                                 Hub__Auth__V1__RequestEmailChangeResponse *response) {
  (void)response;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  if (strlen(request->current_password) > HUB_PASSWORD_MAX_BYTES) /* bytes: the rules bound characters */
    return hub_status_invalid(a, "current_password", "at most %d bytes", HUB_PASSWORD_MAX_BYTES);
  const char *norm = auth_email_norm(a, request->new_email);
  auth_proof proof;
  hub_status st = auth_prove_password(call, p->user_id, request->current_password, "email_change", &proof);
  if (!hub_ok(st)) return st;
  if (strcmp(norm, proof.email_norm) == 0) return hub_status_invalid(a, "new_email", "this is already your address");
  request_ctx c = {p->user_id, request->new_email, norm, hub_random_token(a, 32), p->brand, p->ip};
  if (!c.token) return hub_status_new(a, HUB_INTERNAL, "no randomness");
  return hub_call_tx(call, request_fn, &c);
}

/* ---- ConfirmEmailChange ---- */

typedef enum { C_DONE, C_UNKNOWN, C_USED, C_EXPIRED, C_TAKEN } confirm_outcome;

typedef struct confirm_ctx {
  const char *user_id, *hash, *brand, *ip;
  confirm_outcome outcome;
  const char *new_email;
} confirm_ctx;

/* Three round trips: the token (locked), then the account (locked) with whether the address
 * was taken meanwhile, then the swap with the brand's support address; the notice and the
 * audit go out with the COMMIT. */
static hub_status confirm_fn(hub_tx *tx, void *ud) {
  confirm_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *r;
  c->outcome = C_UNKNOWN;
  hub_status st = hub_tx_query(tx, &lock_token_sql, (const char *[]){c->hash}, &r);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(r) != 1 || strcmp(hub_rows_text(r, 0, "user_id"), c->user_id) != 0) return HUB_STATUS_OK;
  c->new_email = hub_rows_text(r, 0, "new_email");
  c->outcome = hub_rows_bool(r, 0, "used") ? C_USED : hub_rows_bool(r, 0, "expired") ? C_EXPIRED : C_DONE;
  if (c->outcome != C_DONE) return HUB_STATUS_OK;

  const char *norm = auth_email_norm(a, c->new_email); /* checked by the rules when it was requested */
  hub_rows *old = hub_tx_exec(tx, &old_email_sql, (const char *[]){c->user_id});
  hub_rows *taken = hub_tx_exec(tx, &taken_sql, (const char *[]){norm, c->user_id});
  st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(old) != 1) return hub_status_new(a, HUB_UNAUTHENTICATED, "the account no longer exists");
  if (hub_rows_count(taken) > 0) {
    c->outcome = C_TAKEN;
    return HUB_STATUS_OK;
  }
  /* A sign-up racing us to the address fails one side on users' unique index: ALREADY_EXISTS. */
  hub_tx_exec(tx, &swap_sql, (const char *[]){c->user_id, c->new_email, norm});
  hub_tx_exec(tx, &spend_all_sql, (const char *[]){c->user_id});
  hub_rows *brand = hub_tx_exec(tx, &support_sql, (const char *[]){c->brand});
  st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  const char *support = hub_rows_count(brand) == 1 ? hub_rows_text(brand, 0, "support_address") : "";
  const char *notice = auth_json(a, json_pack("{ssssssssss}", "to", hub_rows_text(old, 0, "email"), "new_email_hint",
                                              masked(a, c->new_email), "report_to", support, "account_id", c->user_id,
                                              "brand", c->brand));
  hub_outbox_write(tx, HUB_OUTBOX_ACCOUNT, "account.email_changed", c->user_id, notice);
  hub_audit_account_write(tx, c->user_id, "email.changed", c->ip, NULL);
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_confirm_email_change(hub_call *call, const Hub__Auth__V1__ConfirmEmailChangeRequest *request,
                                                 Hub__Auth__V1__ConfirmEmailChangeResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  confirm_ctx c = {.user_id = p->user_id, .hash = hub_sha256_hex(a, request->token), .brand = p->brand, .ip = p->ip};
  hub_status st = hub_call_tx(call, confirm_fn, &c);
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
  response->email = (char *)c.new_email;
  response->sessions_revoked = n;
  return st;
}
