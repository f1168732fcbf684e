/* Login and VerifyMfa. Order matters for abuse resistance:
 *   1. per-IP and per-account rate limits, before any hashing (the account key is the
 *      normalised email, so unknown emails are limited the same way);
 *   2. the password verified in constant time, or a dummy verification of the same cost when
 *      the email is unknown: same answer, same time;
 *   3. with a second factor and no code: a single-use challenge in Redis (5 minutes) that only
 *      VerifyMfa accepts — no token any other RPC would take;
 *   4. the session, refresh family and access token.
 * The hash is upgraded when the Argon2 parameters changed since it was made. */
#include <stdio.h>
#include <string.h>

#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/totp.h"
#include "hub/auth/v1/auth.hub-server.h"
#include "hub/log.h"
#include "services/auth/auth.h"

#define MFA_CHALLENGE_TTL_S 300

static const hub_pg_stmt user_by_email_sql = {
    "auth_user_by_email",
    "SELECT id, password_hash, totp_sealed IS NOT NULL AS has_mfa FROM users WHERE email_norm = $1", 1};
static const hub_pg_stmt rehash_sql = {"auth_rehash",
                                       "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1::uuid", 2};

typedef struct user_row {
  bool found, has_mfa;
  const char *id, *phc; /* phc NULL: the account signs in without a password */
} user_row;

/* The account signing in, by its normalised email (a public RPC: no tenant, no user yet). */
static hub_status load_user(hub_call *call, const char *email_norm, user_row *u) {
  hub_rows *r;
  hub_status st = hub_call_query(call, &user_by_email_sql, (const char *[]){email_norm}, &r);
  if (!hub_ok(st)) return st;
  u->found = hub_rows_count(r) == 1;
  if (u->found) {
    u->id = hub_rows_text(r, 0, "id");
    u->phc = hub_rows_text(r, 0, "password_hash");
    u->has_mfa = hub_rows_bool(r, 0, "has_mfa");
  }
  return HUB_STATUS_OK;
}

static hub_status wrong_credentials(hub_arena *a) {
  return hub_status_new(a, HUB_UNAUTHENTICATED, "wrong email or password");
}

/* Challenge value in Redis: "user\ttenant\tbrand", under the SHA-256 of the challenge. */
hub_status auth_mfa_challenge(hub_call *call, const char *user_id, const char *tenant, const char *brand,
                              char **challenge) {
  hub_arena *a = hub_call_arena(call);
  *challenge = hub_random_token(a, 32);
  if (!*challenge) return hub_status_new(a, HUB_INTERNAL, "no randomness");
  char *key = hub_arena_sprintf(a, "hub:mfa:%s", hub_sha256_hex(a, *challenge));
  char *val = hub_arena_sprintf(a, "%s\t%s\t%s", user_id, tenant ? tenant : "", brand ? brand : "");
  char ttl[16];
  snprintf(ttl, sizeof ttl, "%d", MFA_CHALLENGE_TTL_S);
  return hub_redis_command(hub_ctx_of(call)->redis, a, 5, (const char *[]){"SET", key, val, "EX", ttl}, NULL, NULL);
}

/* Takes the challenge (GETDEL: single use, even under concurrent VerifyMfa calls). */
static hub_status take_challenge(hub_call *call, const char *challenge, char **user, char **tenant, char **brand) {
  hub_arena *a = hub_call_arena(call);
  char *key = hub_arena_sprintf(a, "hub:mfa:%s", hub_sha256_hex(a, challenge));
  redisReply *rep;
  hub_status st = hub_redis_command(hub_ctx_of(call)->redis, a, 2, (const char *[]){"GETDEL", key}, NULL, &rep);
  if (!hub_ok(st)) return st;
  char *val = rep->type == REDIS_REPLY_STRING ? hub_arena_strdup(a, rep->str) : NULL;
  freeReplyObject(rep);
  if (!val) return hub_status_new(a, HUB_UNAUTHENTICATED, "the second-factor challenge is unknown or expired; log in again");
  char *fields[3];
  if (auth_split(val, '\t', fields, 3) != 3) return hub_status_new(a, HUB_INTERNAL, "challenge unreadable");
  *user = fields[0];
  *tenant = fields[1];
  *brand = fields[2];
  return HUB_STATUS_OK;
}

typedef struct signed_in {
  const auth_grant *g;
  const char *ip;
  hub_rows *due;
} signed_in;

/* With the session's first refresh token: the audit, and whether a deletion is scheduled. */
static hub_status signed_in_fn(hub_tx *tx, void *ud) {
  signed_in *s = ud;
  hub_audit_account_write(tx, s->g->user_id, "login.succeeded", s->ip,
                          hub_arena_sprintf(hub_tx_arena(tx), "{\"session_id\":\"%s\"}", s->g->session_id));
  s->due = auth_queue_deletion_due(tx, s->g->user_id);
  return HUB_STATUS_OK;
}

hub_status auth_finish_login(hub_call *call, const char *user_id, const char *tenant, const char *brand,
                               Hub__Auth__V1__LoginResponse *response) {
  auth_grant g = {0};
  hub_status st = auth_choose_context(call, user_id, tenant, brand, &g);
  if (!hub_ok(st)) return st;
  signed_in s = {&g, auth_peer_ip(call), NULL};
  st = auth_start_session(call, &g, signed_in_fn, &s, &response->tokens);
  if (!hub_ok(st)) return st;
  hub_call_set_user(call, user_id);
  /* Signing in during a deletion's grace period works, and says so. */
  int64_t due_s = hub_rows_count(s.due) == 1 ? hub_rows_int(s.due, 0, "due_s") : 0;
  if (due_s) response->account_deletion_due_at = auth_timestamp(hub_call_arena(call), due_s);
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_login(hub_call *call, const Hub__Auth__V1__LoginRequest *request,
                                  Hub__Auth__V1__LoginResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const char *email = auth_email_norm(a, request->email);
  /* The contract's rules bound characters; hashing is bounded in bytes. */
  if (strlen(request->password) > HUB_PASSWORD_MAX_BYTES)
    return hub_status_invalid(a, "password", "at most %d bytes", HUB_PASSWORD_MAX_BYTES);

  hub_rate_limit by_ip = auth_limit_login_ip(), by_account = auth_limit_login_account();
  hub_status st = auth_limit(call, &by_ip, auth_peer_ip(call));
  if (hub_ok(st)) st = auth_limit(call, &by_account, email);
  if (!hub_ok(st)) return st;

  user_row u = {0};
  st = load_user(call, email, &u);
  if (!hub_ok(st)) return st;
  int64_t wait = hub_call_remaining_ms(call);
  if (!u.found || !u.phc) {
    st = hub_password_dummy_verify(a, request->password, wait);
    if (st.code == HUB_RESOURCE_EXHAUSTED) return st;
    auth_audit(call, u.found ? u.id : NULL, "login.failed", NULL);
    return wrong_credentials(a);
  }
  bool needs_rehash = false;
  st = hub_password_verify(a, u.phc, request->password, wait, &needs_rehash);
  if (st.code == HUB_RESOURCE_EXHAUSTED || st.code == HUB_INTERNAL) return st;
  if (!hub_ok(st)) {
    auth_audit(call, u.id, "login.failed", NULL);
    return wrong_credentials(a);
  }
  if (needs_rehash) {
    char *phc;
    if (hub_ok(hub_password_hash(a, request->password, hub_call_remaining_ms(call), &phc))) {
      hub_rows *r;
      hub_status rs = hub_call_query(call, &rehash_sql, (const char *[]){u.id, phc}, &r);
      if (!hub_ok(rs)) hub_logf(HUB_LOG_WARN, "login: could not upgrade a password hash: %s", rs.message);
    }
  }
  if (u.has_mfa) {
    if (!*request->totp_code && !*request->recovery_code) {
      st = auth_mfa_challenge(call, u.id, request->tenant_id, request->brand, &response->mfa_challenge);
      if (!hub_ok(st)) return st;
      response->mfa_required = true;
      return HUB_STATUS_OK;
    }
    st = auth_check_second_factor(call, u.id, request->totp_code, request->recovery_code);
    if (!hub_ok(st)) return st;
  }
  hub_rate_limit_reset(hub_ctx_of(call)->redis, a, &by_account, email);
  return auth_finish_login(call, u.id, request->tenant_id, request->brand, response);
}

hub_status hub_auth_v1_auth_verify_mfa(hub_call *call, const Hub__Auth__V1__VerifyMfaRequest *request,
                                       Hub__Auth__V1__LoginResponse *response) {
  hub_arena *a = hub_call_arena(call);
  if (!*request->totp_code && !*request->recovery_code)
    return hub_status_invalid(a, "totp_code", "a TOTP code or a recovery code is required");
  char *user = NULL, *tenant = NULL, *brand = NULL;
  hub_status st = take_challenge(call, request->mfa_challenge, &user, &tenant, &brand);
  if (!hub_ok(st)) return st;
  st = auth_check_second_factor(call, user, request->totp_code, request->recovery_code);
  if (!hub_ok(st)) {
    /* A wrong code puts the challenge back (the TOTP limit bounds the guesses). */
    if (st.code == HUB_UNAUTHENTICATED) {
      char *key = hub_arena_sprintf(a, "hub:mfa:%s", hub_sha256_hex(a, request->mfa_challenge));
      char *val = hub_arena_sprintf(a, "%s\t%s\t%s", user, tenant, brand);
      hub_redis_command(hub_ctx_of(call)->redis, a, 5, (const char *[]){"SET", key, val, "EX", "300"}, NULL, NULL);
    }
    return st;
  }
  return auth_finish_login(call, user, tenant, brand, response);
}
