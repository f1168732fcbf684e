/* The Auth service end to end (real PostgreSQL, Redis and hubd over gRPC, through the
 * generated C client): sign-up and its enumeration resistance, login and every refusal,
 * tokens that must be refused (tampered, alg=none, HS256, foreign key, expired, revoked
 * session, superseded by SwitchTenant, an MFA challenge used as a token), refresh rotation
 * with the grace window, replay detection that ends the family, and concurrent refreshes,
 * sessions, password change and reset, email verification, TOTP (±1 step and no more, no
 * replay, recovery codes single-use), rate limits, and JWKS. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth/token.h"
#include "crypto/totp.h"
#include "hub/auth/v1/auth.hub-client.h"
#include "support/world.h"

#define PASSWORD "purple-otter-galaxy-42"

static hub_world w;

static int setup(void **state) {
  (void)state;
  return hub_world_up(&w, "auth", NULL) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

static int64_t now_s(void) { return (int64_t)time(NULL); }

static hub_code whoami(const char *token, Hub__Auth__V1__WhoAmIResponse **out, hub_arena *a) {
  hub_call_options o = {.timeout_ms = 5000, .bearer_token = token, .no_retry = true};
  Hub__Auth__V1__WhoAmIRequest req = HUB__AUTH__V1__WHO_AM_IREQUEST__INIT;
  Hub__Auth__V1__WhoAmIResponse *resp = NULL;
  hub_status st = hub_auth_v1_auth_who_am_i_call(w.ch, &o, a, &req, &resp);
  if (out) *out = resp;
  return st.code;
}

static hub_code whoami_code(const char *token) {
  hub_arena *a = hub_arena_new(0);
  hub_code c = whoami(token, NULL, a);
  hub_arena_free(a);
  return c;
}

static hub_status signup(hub_arena *a, const char *email, const char *password, const char *tenant) {
  Hub__Auth__V1__SignUpRequest req = HUB__AUTH__V1__SIGN_UP_REQUEST__INIT;
  req.email = (char *)email;
  req.password = (char *)password;
  req.tenant_name = (char *)(tenant ? tenant : "");
  Hub__Auth__V1__SignUpResponse *resp = NULL;
  hub_call_options o = {.timeout_ms = 10000};
  return hub_auth_v1_auth_sign_up_call(w.ch, &o, a, &req, &resp);
}

static hub_status refresh(hub_arena *a, const char *token, Hub__Auth__V1__TokenPair **out) {
  Hub__Auth__V1__RefreshRequest req = HUB__AUTH__V1__REFRESH_REQUEST__INIT;
  req.refresh_token = (char *)token;
  hub_call_options o = {.timeout_ms = 10000, .no_retry = true};
  return hub_auth_v1_auth_refresh_call(w.ch, &o, a, &req, out);
}

static const char *first_violation(hub_status st) { return st.violations ? st.violations->field : ""; }

/* ---------------------------------------------------------------- sign-up and login */

static void test_signup_login_whoami(void **state) {
  (void)state;
  hub_test_user u;
  hub_world_signup_login(&w, "Alice@Example.com", "Alice Bakery", "exakeep", &u);
  assert_string_not_equal(u.tenant_id, "");
  assert_string_equal(u.brand, "exakeep");
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__WhoAmIResponse *me = NULL;
  assert_int_equal(whoami(u.access, &me, a), HUB_OK);
  assert_string_equal(me->email, "Alice@Example.com");
  assert_string_equal(me->role, "owner");
  assert_string_equal(me->tenant_id, u.tenant_id);
  assert_string_equal(me->brand, "exakeep");
  assert_false(me->email_verified);

  /* The same address in another case: accepted (nothing learned), no second account, and
   * the owner is told by mail. */
  assert_int_equal(signup(a, "ALICE@example.COM", "another-long-passphrase-9", NULL).code, HUB_OK);
  char *n = hub_world_query(&w, "SELECT count(*) FROM users WHERE email_norm = 'alice@example.com'");
  assert_string_equal(n, "1");
  free(n);
  n = hub_world_query(&w, "SELECT count(*) FROM account_outbox WHERE topic = 'account.signup_attempted'");
  assert_string_equal(n, "1");
  free(n);
  hub_test_user x;
  assert_int_equal(hub_world_login(&w, "alice@example.com", "another-long-passphrase-9", NULL, &x).code,
                   HUB_UNAUTHENTICATED);
  /* Login is case-insensitive on the email. */
  assert_int_equal(hub_world_login(&w, "ALICE@EXAMPLE.COM", PASSWORD, NULL, &x).code, HUB_OK);

  /* The audit trail has the sign-up and the logins; no secret appears in it. */
  n = hub_world_query(&w, "SELECT count(*) FROM account_events WHERE action IN ('signup', 'login.succeeded', "
                          "'login.failed', 'signup.duplicate')");
  assert_true(atoi(n) >= 5);
  free(n);
  n = hub_world_query(&w, "SELECT count(*) FROM account_events WHERE detail::text LIKE '%%purple%%'");
  assert_string_equal(n, "0");
  free(n);
  hub_arena_free(a);
}

static void test_signup_refusals(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_status st = signup(a, "not-an-email", PASSWORD, NULL);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(first_violation(st), "email");
  st = signup(a, "bob@example.com", "short", NULL);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(first_violation(st), "password");
  st = signup(a, "bob@example.com", "password1234", NULL); /* on the denylist */
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  char big[200];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  st = signup(a, "bob@example.com", big, NULL); /* over 128 bytes: refused before hashing */
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(first_violation(st), "password");
  Hub__Auth__V1__SignUpRequest req = HUB__AUTH__V1__SIGN_UP_REQUEST__INIT;
  req.email = "bob@example.com";
  req.password = PASSWORD;
  req.brand = "nosuchbrand";
  Hub__Auth__V1__SignUpResponse *resp;
  hub_call_options o = {.timeout_ms = 5000};
  st = hub_auth_v1_auth_sign_up_call(w.ch, &o, a, &req, &resp);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(first_violation(st), "brand");
  char *n = hub_world_query(&w, "SELECT count(*) FROM users WHERE email_norm = 'bob@example.com'");
  assert_string_equal(n, "0");
  free(n);
  hub_arena_free(a);
}

/* An account without a tenant signs in on a brand that exists, or not at all: the brand goes
 * into the token and back in WhoAmI, so it is never an unchecked string. */
static void test_login_brand_must_exist(void **state) {
  (void)state;
  hub_test_user u;
  hub_world_signup_login(&w, "dora@example.com", NULL, NULL, &u);
  assert_string_equal(u.tenant_id, "");
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__LoginRequest req = HUB__AUTH__V1__LOGIN_REQUEST__INIT;
  Hub__Auth__V1__LoginResponse *resp;
  hub_call_options o = {.timeout_ms = 5000};
  req.email = "dora@example.com";
  req.password = u.password;
  const char *bad[] = {"<script>alert(1)</script>", "nosuchbrand", "exakeep\xFF"};
  for (int i = 0; i < 3; i++) {
    req.brand = (char *)bad[i];
    hub_status st = hub_auth_v1_auth_login_call(w.ch, &o, a, &req, &resp);
    assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
    assert_string_equal(first_violation(st), "brand");
  }
  req.brand = "exakeep";
  assert_int_equal(hub_auth_v1_auth_login_call(w.ch, &o, a, &req, &resp).code, HUB_OK);
  hub_arena_free(a);
}

static void test_login_refusals_look_alike(void **state) {
  (void)state;
  hub_test_user u, x;
  hub_world_signup_login(&w, "carol@example.com", NULL, NULL, &u);
  assert_string_equal(u.tenant_id, ""); /* no tenant yet */
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__LoginRequest req = HUB__AUTH__V1__LOGIN_REQUEST__INIT;
  Hub__Auth__V1__LoginResponse *resp;
  hub_call_options o = {.timeout_ms = 5000};
  req.email = "carol@example.com";
  req.password = "wrong-password-entirely";
  struct timespec t0, t1, t2;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  hub_status wrong = hub_auth_v1_auth_login_call(w.ch, &o, a, &req, &resp);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  req.email = "nobody@example.com";
  hub_status unknown = hub_auth_v1_auth_login_call(w.ch, &o, a, &req, &resp);
  clock_gettime(CLOCK_MONOTONIC, &t2);
  assert_int_equal(wrong.code, HUB_UNAUTHENTICATED);
  assert_int_equal(unknown.code, HUB_UNAUTHENTICATED);
  assert_string_equal(wrong.message, unknown.message);
  /* Both spent an Argon2 verification (tens of ms), not a fast "no such user". */
  double ms_wrong = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  double ms_unknown = (double)(t2.tv_sec - t1.tv_sec) * 1e3 + (double)(t2.tv_nsec - t1.tv_nsec) / 1e6;
  print_message("login refusal: wrong password %.1f ms, unknown email %.1f ms\n", ms_wrong, ms_unknown);
  assert_true(ms_unknown > 10.0 && ms_wrong > 10.0);
  /* A tenant the user does not belong to. */
  assert_int_equal(hub_world_login(&w, "carol@example.com", PASSWORD, "0190a000-0000-7000-8000-0000000000ff", &x).code,
                   HUB_NOT_FOUND);
  hub_arena_free(a);
}

/* ---------------------------------------------------------------- tokens */

static char *b64url(const void *data, size_t len) {
  char *out = calloc(1, 4 * ((len + 2) / 3) + 1);
  int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
  while (n > 0 && out[n - 1] == '=') n--;
  out[n] = '\0';
  for (char *p = out; *p; p++) *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  return out;
}

static char *forge(const char *header_json, const char *payload_json, const char *sig) {
  char *h = b64url(header_json, strlen(header_json)), *p = b64url(payload_json, strlen(payload_json));
  char *out = NULL;
  if (asprintf(&out, "%s.%s.%s", h, p, sig) < 0) out = NULL;
  free(h);
  free(p);
  return out;
}

static void test_bad_tokens_refused(void **state) {
  (void)state;
  hub_test_user u;
  hub_world_signup_login(&w, "dave@example.com", "Dave Ltd", NULL, &u);
  assert_int_equal(whoami_code(u.access), HUB_OK);
  assert_int_equal(whoami_code(NULL), HUB_UNAUTHENTICATED);
  assert_int_equal(whoami_code("garbage"), HUB_UNAUTHENTICATED);

  char payload[512];
  snprintf(payload, sizeof payload,
           "{\"sub\":\"%s\",\"sid\":\"%s\",\"tenant\":\"%s\",\"iss\":\"smbhub\",\"aud\":\"smbhub-api\",\"iat\":%lld,"
           "\"exp\":%lld}",
           u.user_id, u.session_id, u.tenant_id, (long long)now_s(), (long long)now_s() + 600);
  /* alg=none */
  char *t = forge("{\"alg\":\"none\",\"kid\":\"test-k1\"}", payload, "");
  assert_int_equal(whoami_code(t), HUB_UNAUTHENTICATED);
  free(t);
  /* HS256 keyed with the public key (the classic confusion attack) */
  const char *hs_header = "{\"alg\":\"HS256\",\"kid\":\"test-k1\"}";
  char *h = b64url(hs_header, strlen(hs_header)), *p = b64url(payload, strlen(payload));
  char signing[1024];
  snprintf(signing, sizeof signing, "%s.%s", h, p);
  unsigned char mac[32];
  unsigned int maclen = 0;
  HMAC(EVP_sha256(), w.key_pem, (int)strlen(w.key_pem), (unsigned char *)signing, strlen(signing), mac, &maclen);
  char *sig = b64url(mac, maclen);
  char hs[1200];
  snprintf(hs, sizeof hs, "%s.%s", signing, sig);
  assert_int_equal(whoami_code(hs), HUB_UNAUTHENTICATED);
  free(h);
  free(p);
  free(sig);

  /* Signed by a key hubd does not hold, under its kid. */
  hub_arena *a = hub_arena_new(0);
  hub_keyring *other = hub_keyring_new();
  char *pem = hub_keyring_generate_pem();
  hub_keyring_add_pem(other, "test-k1", pem);
  free(pem);
  hub_token_claims c = {0};
  snprintf(c.sub, sizeof c.sub, "%s", u.user_id);
  snprintf(c.sid, sizeof c.sid, "%s", u.session_id);
  snprintf(c.tenant, sizeof c.tenant, "%s", u.tenant_id);
  strcpy(c.iss, "smbhub");
  strcpy(c.aud, "smbhub-api");
  c.iat = now_s();
  c.exp = c.iat + 600;
  char *tok;
  assert_true(hub_ok(hub_token_sign(other, a, &c, &tok)));
  assert_int_equal(whoami_code(tok), HUB_UNAUTHENTICATED);
  hub_keyring_free(other);

  /* Signed by hubd's own key: accepted while valid; expired, wrong audience, tampered: not. */
  hub_keyring *mine = hub_keyring_new();
  hub_keyring_add_pem(mine, "test-k1", w.key_pem);
  assert_true(hub_ok(hub_token_sign(mine, a, &c, &tok)));
  assert_int_equal(whoami_code(tok), HUB_OK);
  char *tampered = hub_arena_strdup(a, tok);
  char *dot = strchr(tampered, '.');
  dot[3] = dot[3] == 'A' ? 'B' : 'A';
  assert_int_equal(whoami_code(tampered), HUB_UNAUTHENTICATED);
  hub_token_claims old = c;
  old.iat = now_s() - 1000;
  old.exp = now_s() - 100;
  assert_true(hub_ok(hub_token_sign(mine, a, &old, &tok)));
  assert_int_equal(whoami_code(tok), HUB_UNAUTHENTICATED);
  hub_token_claims aud = c;
  strcpy(aud.aud, "someone-else");
  assert_true(hub_ok(hub_token_sign(mine, a, &aud, &tok)));
  assert_int_equal(whoami_code(tok), HUB_UNAUTHENTICATED);
  /* A valid signature over a session that does not exist. */
  hub_token_claims ghost = c;
  strcpy(ghost.sid, "0123456789abcdef0123456789abcdef");
  assert_true(hub_ok(hub_token_sign(mine, a, &ghost, &tok)));
  assert_int_equal(whoami_code(tok), HUB_UNAUTHENTICATED);
  hub_keyring_free(mine);

  /* Logout: the (unexpired, cached) access token is refused at once. */
  hub_call_options o = hub_world_opts(&u);
  Hub__Auth__V1__LogoutRequest lreq = HUB__AUTH__V1__LOGOUT_REQUEST__INIT;
  Hub__Auth__V1__LogoutResponse *lresp;
  assert_int_equal(hub_auth_v1_auth_logout_call(w.ch, &o, a, &lreq, &lresp).code, HUB_OK);
  assert_int_equal(whoami_code(u.access), HUB_UNAUTHENTICATED);
  Hub__Auth__V1__TokenPair *pair;
  assert_int_equal(refresh(a, u.refresh, &pair).code, HUB_UNAUTHENTICATED);
  hub_arena_free(a);
}

/* ---------------------------------------------------------------- refresh */

static void test_refresh_rotation_grace_and_replay(void **state) {
  (void)state;
  hub_test_user u;
  hub_world_signup_login(&w, "erin@example.com", "Erin Co", NULL, &u);
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__TokenPair *p1, *p1again, *p2;
  assert_int_equal(refresh(a, u.refresh, &p1).code, HUB_OK);
  assert_string_not_equal(p1->refresh_token, u.refresh);
  assert_string_equal(p1->session_id, u.session_id);
  assert_int_equal(whoami_code(p1->access_token), HUB_OK);
  /* A retry of the same refresh (lost response) inside the grace window: the same pair. */
  assert_int_equal(refresh(a, u.refresh, &p1again).code, HUB_OK);
  assert_string_equal(p1again->refresh_token, p1->refresh_token);
  assert_string_equal(p1again->access_token, p1->access_token);
  /* Once the successor is used, presenting the first token again is a replay: the whole
   * family ends, including the newest pair. */
  assert_int_equal(refresh(a, p1->refresh_token, &p2).code, HUB_OK);
  assert_int_equal(whoami_code(p2->access_token), HUB_OK);
  Hub__Auth__V1__TokenPair *bad;
  hub_status st = refresh(a, u.refresh, &bad);
  assert_int_equal(st.code, HUB_UNAUTHENTICATED);
  assert_int_equal(whoami_code(p2->access_token), HUB_UNAUTHENTICATED);
  assert_int_equal(refresh(a, p2->refresh_token, &bad).code, HUB_UNAUTHENTICATED);
  char *n = hub_world_query(&w, "SELECT count(*) FROM account_events WHERE action = 'refresh.reuse_detected'");
  assert_string_equal(n, "1");
  free(n);
  assert_int_equal(refresh(a, "not-a-token", &bad).code, HUB_UNAUTHENTICATED);
  assert_int_equal(refresh(a, "", &bad).code, HUB_INVALID_ARGUMENT);
  hub_arena_free(a);
}

typedef struct race_arg {
  const char *token;
  char got[128];
  hub_code code;
} race_arg;

static void *race(void *p) {
  race_arg *r = p;
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__TokenPair *pair = NULL;
  hub_status st = refresh(a, r->token, &pair);
  r->code = st.code;
  if (hub_ok(st)) snprintf(r->got, sizeof r->got, "%s", pair->refresh_token);
  hub_arena_free(a);
  return NULL;
}

static void test_concurrent_refreshes_mint_one_pair(void **state) {
  (void)state;
  hub_test_user u;
  hub_world_signup_login(&w, "frank@example.com", NULL, NULL, &u);
  enum { N = 6 };
  race_arg args[N];
  pthread_t th[N];
  for (int i = 0; i < N; i++) {
    memset(&args[i], 0, sizeof args[i]);
    args[i].token = u.refresh;
    pthread_create(&th[i], NULL, race, &args[i]);
  }
  for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < N; i++) {
    assert_int_equal(args[i].code, HUB_OK);
    assert_string_equal(args[i].got, args[0].got);
  }
  char *n = hub_world_query(&w, "SELECT count(*) FROM refresh_tokens WHERE session_id = '%s' AND spent_at IS NULL",
                            u.session_id);
  assert_string_equal(n, "1"); /* one live successor */
  free(n);
}

/* ---------------------------------------------------------------- sessions and passwords */

static void test_sessions_list_and_revoke(void **state) {
  (void)state;
  hub_test_user u1, u2, u3;
  hub_world_signup_login(&w, "grace@example.com", NULL, NULL, &u1);
  assert_int_equal(hub_world_login(&w, "grace@example.com", PASSWORD, NULL, &u2).code, HUB_OK);
  assert_int_equal(hub_world_login(&w, "grace@example.com", PASSWORD, NULL, &u3).code, HUB_OK);
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(&u1);
  Hub__Auth__V1__ListSessionsRequest lreq = HUB__AUTH__V1__LIST_SESSIONS_REQUEST__INIT;
  Hub__Auth__V1__ListSessionsResponse *list;
  assert_int_equal(hub_auth_v1_auth_list_sessions_call(w.ch, &o, a, &lreq, &list).code, HUB_OK);
  assert_int_equal(list->n_sessions, 3);
  int current = 0;
  for (size_t i = 0; i < list->n_sessions; i++) current += list->sessions[i]->current;
  assert_int_equal(current, 1);

  Hub__Auth__V1__RevokeSessionRequest rreq = HUB__AUTH__V1__REVOKE_SESSION_REQUEST__INIT;
  Hub__Auth__V1__RevokeSessionResponse *rresp;
  rreq.session_id = u2.session_id;
  assert_int_equal(hub_auth_v1_auth_revoke_session_call(w.ch, &o, a, &rreq, &rresp).code, HUB_OK);
  assert_int_equal(whoami_code(u2.access), HUB_UNAUTHENTICATED);
  assert_int_equal(whoami_code(u1.access), HUB_OK);
  /* Someone else's session id is not found, and a malformed one is invalid. */
  hub_test_user other;
  hub_world_signup_login(&w, "heidi@example.com", NULL, NULL, &other);
  rreq.session_id = other.session_id;
  assert_int_equal(hub_auth_v1_auth_revoke_session_call(w.ch, &o, a, &rreq, &rresp).code, HUB_NOT_FOUND);
  assert_int_equal(whoami_code(other.access), HUB_OK);
  rreq.session_id = "../../etc";
  assert_int_equal(hub_auth_v1_auth_revoke_session_call(w.ch, &o, a, &rreq, &rresp).code, HUB_INVALID_ARGUMENT);

  Hub__Auth__V1__RevokeAllSessionsRequest areq = HUB__AUTH__V1__REVOKE_ALL_SESSIONS_REQUEST__INIT;
  Hub__Auth__V1__RevokeAllSessionsResponse *aresp;
  assert_int_equal(hub_auth_v1_auth_revoke_all_sessions_call(w.ch, &o, a, &areq, &aresp).code, HUB_OK);
  assert_int_equal(aresp->sessions_revoked, 1);
  assert_int_equal(whoami_code(u3.access), HUB_UNAUTHENTICATED);
  assert_int_equal(whoami_code(u1.access), HUB_OK);
  hub_arena_free(a);
}

static void test_change_password_ends_other_sessions(void **state) {
  (void)state;
  hub_test_user u1, u2, x;
  hub_world_signup_login(&w, "ivan@example.com", NULL, NULL, &u1);
  assert_int_equal(hub_world_login(&w, "ivan@example.com", PASSWORD, NULL, &u2).code, HUB_OK);
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(&u1);
  Hub__Auth__V1__ChangePasswordRequest req = HUB__AUTH__V1__CHANGE_PASSWORD_REQUEST__INIT;
  Hub__Auth__V1__ChangePasswordResponse *resp;
  req.current_password = "not-the-password";
  req.new_password = "brand-new-passphrase-77";
  hub_status st = hub_auth_v1_auth_change_password_call(w.ch, &o, a, &req, &resp);
  assert_int_equal(st.code, HUB_UNAUTHENTICATED); /* wrong credentials, as everywhere */
  assert_non_null(strstr(st.message, "current_password"));
  assert_int_equal(whoami_code(u1.access), HUB_OK); /* ... and the session lives on */
  req.current_password = PASSWORD;
  req.new_password = "short";
  st = hub_auth_v1_auth_change_password_call(w.ch, &o, a, &req, &resp);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(first_violation(st), "new_password");
  req.new_password = "brand-new-passphrase-77";
  assert_int_equal(hub_auth_v1_auth_change_password_call(w.ch, &o, a, &req, &resp).code, HUB_OK);
  assert_int_equal(resp->sessions_revoked, 1);
  assert_int_equal(whoami_code(u2.access), HUB_UNAUTHENTICATED);
  assert_int_equal(whoami_code(u1.access), HUB_OK);
  assert_int_equal(hub_world_login(&w, "ivan@example.com", PASSWORD, NULL, &x).code, HUB_UNAUTHENTICATED);
  assert_int_equal(hub_world_login(&w, "ivan@example.com", "brand-new-passphrase-77", NULL, &x).code, HUB_OK);
  hub_arena_free(a);
}

static void test_password_reset(void **state) {
  (void)state;
  hub_test_user u, x;
  hub_world_signup_login(&w, "judy@example.com", NULL, NULL, &u);
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = {.timeout_ms = 5000, .no_retry = true};
  Hub__Auth__V1__RequestPasswordResetRequest req = HUB__AUTH__V1__REQUEST_PASSWORD_RESET_REQUEST__INIT;
  Hub__Auth__V1__RequestPasswordResetResponse *resp;
  req.email = "nobody-here@example.com";
  assert_int_equal(hub_auth_v1_auth_request_password_reset_call(w.ch, &o, a, &req, &resp).code, HUB_OK);
  req.email = "JUDY@example.com";
  assert_int_equal(hub_auth_v1_auth_request_password_reset_call(w.ch, &o, a, &req, &resp).code, HUB_OK);
  char *token = hub_world_query(&w, "SELECT payload->>'token' FROM account_outbox o JOIN users u ON u.id = o.user_id "
                                    "WHERE u.email_norm = 'judy@example.com' AND topic = 'account.password_reset'");
  assert_non_null(token);
  /* Only the hash is stored: no row holds the token itself. */
  char *n = hub_world_query(&w, "SELECT count(*) FROM account_tokens WHERE position('%s'::bytea IN token_hash) > 0",
                            token);
  assert_string_equal(n, "0");
  free(n);
  n = hub_world_query(&w, "SELECT count(*) FROM account_tokens WHERE token_hash = sha256('%s'::bytea)", token);
  assert_string_equal(n, "1");
  free(n);
  Hub__Auth__V1__ResetPasswordRequest rreq = HUB__AUTH__V1__RESET_PASSWORD_REQUEST__INIT;
  Hub__Auth__V1__ResetPasswordResponse *rresp;
  rreq.token = token;
  rreq.new_password = "tiny";
  hub_status st = hub_auth_v1_auth_reset_password_call(w.ch, &o, a, &rreq, &rresp);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(first_violation(st), "new_password");
  rreq.new_password = "reset-passphrase-that-works";
  assert_int_equal(hub_auth_v1_auth_reset_password_call(w.ch, &o, a, &rreq, &rresp).code, HUB_OK);
  assert_int_equal(whoami_code(u.access), HUB_UNAUTHENTICATED); /* every session ended */
  st = hub_auth_v1_auth_reset_password_call(w.ch, &o, a, &rreq, &rresp); /* single use */
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(first_violation(st), "token");
  assert_int_equal(hub_world_login(&w, "judy@example.com", "reset-passphrase-that-works", NULL, &x).code, HUB_OK);
  free(token);
  hub_arena_free(a);
}

static void test_verify_email(void **state) {
  (void)state;
  hub_test_user u;
  hub_world_signup_login(&w, "ken@example.com", NULL, NULL, &u);
  char *token = hub_world_query(&w, "SELECT payload->>'token' FROM account_outbox o JOIN users u ON u.id = o.user_id "
                                    "WHERE u.email_norm = 'ken@example.com' AND topic = 'account.verify_email'");
  assert_non_null(token);
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = {.timeout_ms = 5000, .no_retry = true};
  Hub__Auth__V1__VerifyEmailRequest req = HUB__AUTH__V1__VERIFY_EMAIL_REQUEST__INIT;
  Hub__Auth__V1__VerifyEmailResponse *resp;
  req.token = "wrong";
  assert_int_equal(hub_auth_v1_auth_verify_email_call(w.ch, &o, a, &req, &resp).code, HUB_INVALID_ARGUMENT);
  req.token = token;
  assert_int_equal(hub_auth_v1_auth_verify_email_call(w.ch, &o, a, &req, &resp).code, HUB_OK);
  Hub__Auth__V1__WhoAmIResponse *me;
  assert_int_equal(whoami(u.access, &me, a), HUB_OK);
  assert_true(me->email_verified);
  free(token);
  hub_arena_free(a);
}

/* ---------------------------------------------------------------- TOTP */

static size_t base32_decode(const char *in, uint8_t *out) {
  size_t n = 0;
  unsigned buf = 0;
  int bits = 0;
  for (const char *p = in; *p; p++) {
    const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const char *f = strchr(alpha, *p);
    if (!f) continue;
    buf = (buf << 5) | (unsigned)(f - alpha);
    bits += 5;
    if (bits >= 8) {
      out[n++] = (uint8_t)(buf >> (bits - 8));
      bits -= 8;
    }
  }
  return n;
}

static char *code_at(const uint8_t *secret, size_t len, int64_t t, char *buf) {
  snprintf(buf, 8, "%06u", hub_totp_code(secret, len, t, 6));
  return buf;
}

/* A code "one step back" is accepted only while the server checks it in the same 30 s step
 * it was computed in: near a step's end, wait for the next step to begin first. */
static void wait_step_margin(void) {
  int64_t left = 30 - now_s() % 30;
  if (left <= 5) sleep((unsigned)left + 1);
}

static void test_totp_enrol_login_recovery_disable(void **state) {
  (void)state;
  hub_test_user u, x;
  hub_world_signup_login(&w, "leo@example.com", "Leo Inc", NULL, &u);
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(&u);
  Hub__Auth__V1__EnrollTotpRequest ereq = HUB__AUTH__V1__ENROLL_TOTP_REQUEST__INIT;
  Hub__Auth__V1__EnrollTotpResponse *enr;
  assert_int_equal(hub_auth_v1_auth_enroll_totp_call(w.ch, &o, a, &ereq, &enr).code, HUB_OK);
  assert_non_null(strstr(enr->otpauth_uri, "otpauth://totp/"));
  uint8_t secret[64];
  size_t slen = base32_decode(enr->secret, secret);
  assert_int_equal(slen, 20);
  /* The secret is sealed at rest: its bytes do not appear in the row. */
  char *hexsecret = hub_arena_alloc(a, 41);
  for (size_t i = 0; i < slen; i++) snprintf(hexsecret + 2 * i, 3, "%02x", secret[i]);
  char *n = hub_world_query(&w, "SELECT count(*) FROM users WHERE position(decode('%s','hex') IN totp_pending) > 0",
                            hexsecret);
  assert_string_equal(n, "0");
  free(n);

  char code[8];
  Hub__Auth__V1__ConfirmTotpRequest creq = HUB__AUTH__V1__CONFIRM_TOTP_REQUEST__INIT;
  Hub__Auth__V1__ConfirmTotpResponse *conf;
  creq.code = code_at(secret, slen, now_s() - 120, code); /* four steps back: refused */
  assert_int_equal(hub_auth_v1_auth_confirm_totp_call(w.ch, &o, a, &creq, &conf).code, HUB_UNAUTHENTICATED);
  wait_step_margin();
  creq.code = code_at(secret, slen, now_s() - 30, code); /* one step back: accepted */
  assert_int_equal(hub_auth_v1_auth_confirm_totp_call(w.ch, &o, a, &creq, &conf).code, HUB_OK);
  assert_int_equal(conf->n_recovery_codes, 10);
  char recovery[32];
  snprintf(recovery, sizeof recovery, "%s", conf->recovery_codes[0]);

  /* Login now stops at the second factor with a challenge that no other RPC accepts. */
  Hub__Auth__V1__LoginRequest lreq = HUB__AUTH__V1__LOGIN_REQUEST__INIT;
  Hub__Auth__V1__LoginResponse *lresp;
  hub_call_options plain = {.timeout_ms = 5000, .no_retry = true};
  lreq.email = "leo@example.com";
  lreq.password = PASSWORD;
  assert_int_equal(hub_auth_v1_auth_login_call(w.ch, &plain, a, &lreq, &lresp).code, HUB_OK);
  assert_true(lresp->mfa_required);
  assert_null(lresp->tokens);
  char *challenge = hub_arena_strdup(a, lresp->mfa_challenge);
  assert_int_equal(whoami_code(challenge), HUB_UNAUTHENTICATED);
  Hub__Auth__V1__VerifyMfaRequest vreq = HUB__AUTH__V1__VERIFY_MFA_REQUEST__INIT;
  Hub__Auth__V1__LoginResponse *vresp;
  vreq.mfa_challenge = challenge;
  vreq.totp_code = code_at(secret, slen, now_s() + 90, code); /* three steps ahead: refused */
  assert_int_equal(hub_auth_v1_auth_verify_mfa_call(w.ch, &plain, a, &vreq, &vresp).code, HUB_UNAUTHENTICATED);
  vreq.totp_code = code_at(secret, slen, now_s() + 30, code); /* one step ahead: accepted */
  assert_int_equal(hub_auth_v1_auth_verify_mfa_call(w.ch, &plain, a, &vreq, &vresp).code, HUB_OK);
  assert_non_null(vresp->tokens);
  assert_int_equal(whoami_code(vresp->tokens->access_token), HUB_OK);
  /* The challenge is single-use, and the same code cannot be replayed. */
  assert_int_equal(hub_auth_v1_auth_verify_mfa_call(w.ch, &plain, a, &vreq, &vresp).code, HUB_UNAUTHENTICATED);
  lreq.totp_code = vreq.totp_code;
  assert_int_equal(hub_auth_v1_auth_login_call(w.ch, &plain, a, &lreq, &lresp).code, HUB_UNAUTHENTICATED);

  /* A recovery code signs in once. */
  lreq.totp_code = "";
  lreq.recovery_code = recovery;
  assert_int_equal(hub_auth_v1_auth_login_call(w.ch, &plain, a, &lreq, &lresp).code, HUB_OK);
  assert_non_null(lresp->tokens);
  assert_int_equal(hub_auth_v1_auth_login_call(w.ch, &plain, a, &lreq, &lresp).code, HUB_UNAUTHENTICATED);

  /* Disabling needs a current code. */
  Hub__Auth__V1__DisableTotpRequest dreq = HUB__AUTH__V1__DISABLE_TOTP_REQUEST__INIT;
  Hub__Auth__V1__DisableTotpResponse *dresp;
  dreq.code = "000000";
  hub_code c = hub_auth_v1_auth_disable_totp_call(w.ch, &o, a, &dreq, &dresp).code;
  assert_int_equal(c, HUB_UNAUTHENTICATED);
  dreq.code = code_at(secret, slen, now_s(), code);
  assert_int_equal(hub_auth_v1_auth_disable_totp_call(w.ch, &o, a, &dreq, &dresp).code, HUB_OK);
  assert_int_equal(hub_world_login(&w, "leo@example.com", PASSWORD, NULL, &x).code, HUB_OK);
  n = hub_world_query(&w, "SELECT string_agg(action, ',' ORDER BY e.id) FROM account_events e JOIN users u ON "
                          "u.id = e.user_id WHERE u.email_norm = 'leo@example.com' AND action LIKE 'mfa.%%'");
  assert_string_equal(n, "mfa.enabled,mfa.recovery_code_used,mfa.disabled");
  free(n);
  hub_arena_free(a);
}

static void test_second_factor_refusals(void **state) {
  (void)state;
  hub_test_user u;
  hub_world_signup_login(&w, "mfa-refusals@example.com", NULL, NULL, &u);
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(&u), plain = {.timeout_ms = 5000, .no_retry = true};
  Hub__Auth__V1__ConfirmTotpRequest creq = HUB__AUTH__V1__CONFIRM_TOTP_REQUEST__INIT;
  Hub__Auth__V1__ConfirmTotpResponse *cresp;
  creq.code = "123456";
  assert_int_equal(hub_auth_v1_auth_confirm_totp_call(w.ch, &o, a, &creq, &cresp).code, HUB_FAILED_PRECONDITION);
  creq.code = "12";
  hub_status st = hub_auth_v1_auth_confirm_totp_call(w.ch, &o, a, &creq, &cresp);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(first_violation(st), "code");
  Hub__Auth__V1__DisableTotpRequest dreq = HUB__AUTH__V1__DISABLE_TOTP_REQUEST__INIT;
  Hub__Auth__V1__DisableTotpResponse *dresp;
  dreq.code = "123456";
  assert_int_equal(hub_auth_v1_auth_disable_totp_call(w.ch, &o, a, &dreq, &dresp).code, HUB_FAILED_PRECONDITION);
  Hub__Auth__V1__VerifyMfaRequest vreq = HUB__AUTH__V1__VERIFY_MFA_REQUEST__INIT;
  Hub__Auth__V1__LoginResponse *vresp;
  vreq.mfa_challenge = "made-up-challenge";
  st = hub_auth_v1_auth_verify_mfa_call(w.ch, &plain, a, &vreq, &vresp);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(first_violation(st), "totp_code");
  vreq.totp_code = "123456";
  assert_int_equal(hub_auth_v1_auth_verify_mfa_call(w.ch, &plain, a, &vreq, &vresp).code, HUB_UNAUTHENTICATED);
  /* Enrolling twice: the second enrolment replaces a pending secret, but not a confirmed one. */
  Hub__Auth__V1__EnrollTotpRequest ereq = HUB__AUTH__V1__ENROLL_TOTP_REQUEST__INIT;
  Hub__Auth__V1__EnrollTotpResponse *eresp;
  assert_int_equal(hub_auth_v1_auth_enroll_totp_call(w.ch, &o, a, &ereq, &eresp).code, HUB_OK);
  assert_int_equal(hub_auth_v1_auth_enroll_totp_call(w.ch, &o, a, &ereq, &eresp).code, HUB_OK);
  assert_int_equal(hub_world_sql(&w, "UPDATE users SET totp_sealed = totp_pending WHERE id = '%s'", u.user_id), 0);
  assert_int_equal(hub_auth_v1_auth_enroll_totp_call(w.ch, &o, a, &ereq, &eresp).code, HUB_FAILED_PRECONDITION);
  /* No token at all: the authenticated RPCs refuse before anything else. */
  assert_int_equal(hub_auth_v1_auth_enroll_totp_call(w.ch, &plain, a, &ereq, &eresp).code, HUB_UNAUTHENTICATED);
  Hub__Auth__V1__ChangePasswordRequest pw = HUB__AUTH__V1__CHANGE_PASSWORD_REQUEST__INIT;
  Hub__Auth__V1__ChangePasswordResponse *pwr;
  assert_int_equal(hub_auth_v1_auth_change_password_call(w.ch, &plain, a, &pw, &pwr).code, HUB_UNAUTHENTICATED);
  hub_arena_free(a);
}

/* ---------------------------------------------------------------- tenants, limits, keys */

static void test_switch_tenant(void **state) {
  (void)state;
  hub_test_user u, v;
  hub_world_signup_login(&w, "mallory@example.com", "First Tenant", "addvive", &u);
  hub_world_signup_login(&w, "niaj@example.com", "Second Tenant", "exateks", &v);
  /* Make mallory a viewer of niaj's tenant (as an accepted invitation would). */
  assert_int_equal(hub_world_sql(&w, "INSERT INTO members (tenant_id, user_id, role) VALUES ('%s', '%s', 'viewer')",
                                 v.tenant_id, u.user_id),
                   0);
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(&u);
  Hub__Auth__V1__SwitchTenantRequest req = HUB__AUTH__V1__SWITCH_TENANT_REQUEST__INIT;
  Hub__Auth__V1__TokenPair *pair;
  req.tenant_id = "0190a000-0000-7000-8000-0000000000ee";
  assert_int_equal(hub_auth_v1_auth_switch_tenant_call(w.ch, &o, a, &req, &pair).code, HUB_NOT_FOUND);
  req.tenant_id = "nope";
  assert_int_equal(hub_auth_v1_auth_switch_tenant_call(w.ch, &o, a, &req, &pair).code, HUB_INVALID_ARGUMENT);
  req.tenant_id = v.tenant_id;
  req.brand = "exakeep"; /* not entitled there */
  assert_int_equal(hub_auth_v1_auth_switch_tenant_call(w.ch, &o, a, &req, &pair).code, HUB_PERMISSION_DENIED);
  req.brand = "";
  assert_int_equal(hub_auth_v1_auth_switch_tenant_call(w.ch, &o, a, &req, &pair).code, HUB_OK);
  assert_string_equal(pair->tenant_id, v.tenant_id);
  assert_string_equal(pair->brand, "exateks");
  Hub__Auth__V1__WhoAmIResponse *me;
  assert_int_equal(whoami(pair->access_token, &me, a), HUB_OK);
  assert_string_equal(me->role, "viewer");
  assert_string_equal(me->tenant_id, v.tenant_id);
  /* The pre-switch token is superseded, and the pre-switch refresh token retired. */
  assert_int_equal(whoami_code(u.access), HUB_UNAUTHENTICATED);
  Hub__Auth__V1__TokenPair *bad;
  assert_int_equal(refresh(a, u.refresh, &bad).code, HUB_UNAUTHENTICATED);
  assert_int_equal(whoami_code(pair->access_token), HUB_OK); /* ...without ending the session */
  hub_arena_free(a);
}

static void test_login_rate_limit(void **state) {
  (void)state;
  hub_test_user u, x;
  hub_world_signup_login(&w, "olivia@example.com", NULL, NULL, &u);
  int refused_at = -1;
  for (int i = 0; i < 12 && refused_at < 0; i++) {
    hub_status st = hub_world_login(&w, "olivia@example.com", "definitely-wrong-pw", NULL, &x);
    if (st.code == HUB_RESOURCE_EXHAUSTED) refused_at = i;
    else assert_int_equal(st.code, HUB_UNAUTHENTICATED);
  }
  /* Ten attempts in the window (one was the successful sign-in, reset on success). */
  assert_int_equal(refused_at, 10);
  /* Even the right password waits now, with a retry hint; another account is unaffected. */
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__LoginRequest req = HUB__AUTH__V1__LOGIN_REQUEST__INIT;
  Hub__Auth__V1__LoginResponse *resp;
  hub_metadata *trailers = NULL;
  size_t n_trailers = 0;
  hub_call_options o = {.timeout_ms = 5000, .no_retry = true, .trailers_out = &trailers, .n_trailers_out = &n_trailers};
  req.email = "olivia@example.com";
  req.password = PASSWORD;
  assert_int_equal(hub_auth_v1_auth_login_call(w.ch, &o, a, &req, &resp).code, HUB_RESOURCE_EXHAUSTED);
  bool hint = false;
  for (size_t i = 0; i < n_trailers; i++) hint = hint || strcmp(trailers[i].key, "retry-after-ms") == 0;
  assert_true(hint);
  assert_int_equal(hub_world_login(&w, "carol@example.com", PASSWORD, NULL, &x).code, HUB_OK);
  hub_arena_free(a);
}

static void test_jwks(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = {.timeout_ms = 5000};
  Hub__Auth__V1__GetJwksRequest req = HUB__AUTH__V1__GET_JWKS_REQUEST__INIT;
  Hub__Auth__V1__GetJwksResponse *resp;
  assert_int_equal(hub_auth_v1_auth_get_jwks_call(w.ch, &o, a, &req, &resp).code, HUB_OK);
  assert_non_null(strstr(resp->jwks_json, "\"kid\":\"test-k1\""));
  assert_non_null(strstr(resp->jwks_json, "\"crv\":\"P-256\""));
  assert_null(strstr(resp->jwks_json, "\"d\"")); /* never the private part */
  assert_string_equal(resp->issuer, "smbhub");
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_signup_login_whoami),
      cmocka_unit_test(test_signup_refusals),
      cmocka_unit_test(test_login_refusals_look_alike),
      cmocka_unit_test(test_bad_tokens_refused),
      cmocka_unit_test(test_refresh_rotation_grace_and_replay),
      cmocka_unit_test(test_concurrent_refreshes_mint_one_pair),
      cmocka_unit_test(test_sessions_list_and_revoke),
      cmocka_unit_test(test_change_password_ends_other_sessions),
      cmocka_unit_test(test_login_brand_must_exist),
      cmocka_unit_test(test_password_reset),
      cmocka_unit_test(test_verify_email),
      cmocka_unit_test(test_totp_enrol_login_recovery_disable),
      cmocka_unit_test(test_second_factor_refusals),
      cmocka_unit_test(test_switch_tenant),
      cmocka_unit_test(test_login_rate_limit),
      cmocka_unit_test(test_jwks),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
