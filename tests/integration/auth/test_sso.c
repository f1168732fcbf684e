/* LoginWithIdToken against a real hubd configured with two providers whose keys only this
 * test holds: "google" (RS256, RSA 2048) and "apple" (ES256, P-256), their JWKS written to
 * files as an operator would. ID tokens are minted here with libjwt. Covers: a new account
 * from SSO, sign-in again by (issuer, subject), every refusal (issuer, audience, expiry,
 * nonce, unknown key, algorithm switched to HS256, unknown provider), and the email rule: a
 * token whose email matches an existing account links only with that account's password,
 * and a second identity with the same email is not let in by the email alone. */
#include <jwt.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hub/auth/v1/auth.hub-client.h"
#include "support/world.h"

#define GOOGLE_ISS "https://accounts.google.com"
#define GOOGLE_AUD "smbhub-web.apps.example"
#define APPLE_ISS "https://appleid.apple.com"

static hub_world w;
static char *rsa_pem, *ec_pem;
static char providers_path[256], google_jwks[256], apple_jwks[256];

static char *pem_of(EVP_PKEY *k) {
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
  char *data;
  long n = BIO_get_mem_data(b, &data);
  char *out = strndup(data, (size_t)n);
  BIO_free(b);
  return out;
}

static void b64url_bn(EVP_PKEY *k, const char *param, size_t pad, char *out) {
  BIGNUM *bn = NULL;
  EVP_PKEY_get_bn_param(k, param, &bn);
  unsigned char buf[512];
  int n = pad ? BN_bn2binpad(bn, buf, (int)pad) : BN_bn2bin(bn, buf);
  BN_free(bn);
  int m = EVP_EncodeBlock((unsigned char *)out, buf, n);
  while (m > 0 && out[m - 1] == '=') m--;
  out[m] = '\0';
  for (char *p = out; *p; p++) *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

static int setup(void **state) {
  (void)state;
  EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
  EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  rsa_pem = pem_of(rsa);
  ec_pem = pem_of(ec);
  char n[700], e[16], x[64], y[64], json[2048];
  b64url_bn(rsa, OSSL_PKEY_PARAM_RSA_N, 0, n);
  b64url_bn(rsa, OSSL_PKEY_PARAM_RSA_E, 0, e);
  b64url_bn(ec, OSSL_PKEY_PARAM_EC_PUB_X, 32, x);
  b64url_bn(ec, OSSL_PKEY_PARAM_EC_PUB_Y, 32, y);
  EVP_PKEY_free(rsa);
  EVP_PKEY_free(ec);
  snprintf(google_jwks, sizeof google_jwks, "/tmp/hubtest-sso-%d-google.json", (int)getpid());
  snprintf(apple_jwks, sizeof apple_jwks, "/tmp/hubtest-sso-%d-apple.json", (int)getpid());
  snprintf(providers_path, sizeof providers_path, "/tmp/hubtest-sso-%d-providers.json", (int)getpid());
  snprintf(json, sizeof json, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"g1\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\"%s\",\"e\":\"%s\"}]}",
           n, e);
  write_file(google_jwks, json);
  snprintf(json, sizeof json, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"a1\",\"x\":\"%s\",\"y\":\"%s\"}]}", x, y);
  write_file(apple_jwks, json);
  snprintf(json, sizeof json,
           "{\"providers\":[{\"name\":\"google\",\"issuer\":\"" GOOGLE_ISS "\",\"audiences\":[\"" GOOGLE_AUD
           "\"],\"jwks_file\":\"%s\"},{\"name\":\"apple\",\"issuer\":\"" APPLE_ISS
           "\",\"audiences\":[\"com.smbhub.app\"],\"jwks_file\":\"%s\"}]}",
           google_jwks, apple_jwks);
  write_file(providers_path, json);
  static char env[300];
  snprintf(env, sizeof env, "HUB_OIDC_PROVIDERS_FILE=%s", providers_path);
  const char *extra[] = {env, NULL};
  return hub_world_up(&w, "sso", extra) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  unlink(google_jwks);
  unlink(apple_jwks);
  unlink(providers_path);
  free(rsa_pem);
  free(ec_pem);
  return 0;
}

typedef struct idt {
  const char *iss, *aud, *sub, *email, *nonce, *kid;
  jwt_alg_t alg;
  const char *key;
  long exp_in;
} idt;

static char *mint(idt t) {
  jwt_t *j;
  jwt_new(&j);
  long now = (long)time(NULL);
  jwt_add_header(j, "kid", t.kid ? t.kid : (t.alg == JWT_ALG_ES256 ? "a1" : "g1"));
  jwt_add_grant(j, "iss", t.iss ? t.iss : GOOGLE_ISS);
  jwt_add_grant(j, "aud", t.aud ? t.aud : GOOGLE_AUD);
  jwt_add_grant(j, "sub", t.sub);
  if (t.email) jwt_add_grant(j, "email", t.email);
  jwt_add_grant_bool(j, "email_verified", 1);
  jwt_add_grant(j, "nonce", t.nonce ? t.nonce : "n-123");
  jwt_add_grant_int(j, "iat", now);
  jwt_add_grant_int(j, "exp", now + (t.exp_in ? t.exp_in : 300));
  jwt_alg_t alg = t.alg ? t.alg : JWT_ALG_RS256;
  const char *key = t.key ? t.key : (alg == JWT_ALG_ES256 ? ec_pem : rsa_pem);
  jwt_set_alg(j, alg, (const unsigned char *)key, (int)strlen(key));
  char *s = jwt_encode_str(j);
  jwt_free(j);
  return s;
}

static hub_status sso(hub_arena *a, const char *provider, char *token, const char *nonce, const char *password,
                      Hub__Auth__V1__LoginResponse **out) {
  Hub__Auth__V1__LoginWithIdTokenRequest req = HUB__AUTH__V1__LOGIN_WITH_ID_TOKEN_REQUEST__INIT;
  req.provider = (char *)provider;
  req.id_token = token;
  req.nonce = (char *)(nonce ? nonce : "n-123");
  req.password = (char *)(password ? password : "");
  hub_call_options o = {.timeout_ms = 10000, .no_retry = true};
  hub_status st = hub_auth_v1_auth_login_with_id_token_call(w.ch, &o, a, &req, out);
  free(token);
  return st;
}

static void test_new_account_then_sign_in_again(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__LoginResponse *r;
  assert_int_equal(sso(a, "google", mint((idt){.sub = "g-1001", .email = "Sam@Example.com"}), NULL, NULL, &r).code,
                   HUB_OK);
  assert_non_null(r->tokens);
  char *n = hub_world_query(&w, "SELECT count(*) FROM external_identities WHERE issuer = '" GOOGLE_ISS
                                "' AND subject = 'g-1001'");
  assert_string_equal(n, "1");
  free(n);
  n = hub_world_query(&w, "SELECT (password_hash IS NULL AND email_verified_at IS NOT NULL)::text FROM users "
                          "WHERE email_norm = 'sam@example.com'");
  assert_string_equal(n, "true");
  free(n);
  /* Again, with a changed email claim: still the same account (keyed on issuer + subject). */
  assert_int_equal(sso(a, "google", mint((idt){.sub = "g-1001", .email = "sam.new@example.com"}), NULL, NULL, &r).code,
                   HUB_OK);
  n = hub_world_query(&w, "SELECT count(*) FROM users WHERE email_norm LIKE 'sam%%'");
  assert_string_equal(n, "1");
  free(n);
  /* The other provider, ES256. */
  assert_int_equal(sso(a, "apple",
                       mint((idt){.iss = APPLE_ISS, .aud = "com.smbhub.app", .sub = "a-77", .email = "tia@example.com",
                                  .alg = JWT_ALG_ES256}),
                       NULL, NULL, &r)
                       .code,
                   HUB_OK);
  hub_arena_free(a);
}

static void test_refusals(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__LoginResponse *r;
  idt ok = {.sub = "g-2002", .email = "uma@example.com"};
  idt t = ok;
  t.iss = "https://evil.example";
  assert_int_equal(sso(a, "google", mint(t), NULL, NULL, &r).code, HUB_UNAUTHENTICATED);
  t = ok;
  t.aud = "someone-elses-client";
  assert_int_equal(sso(a, "google", mint(t), NULL, NULL, &r).code, HUB_UNAUTHENTICATED);
  t = ok;
  t.exp_in = -120;
  assert_int_equal(sso(a, "google", mint(t), NULL, NULL, &r).code, HUB_UNAUTHENTICATED);
  assert_int_equal(sso(a, "google", mint(ok), "another-nonce", NULL, &r).code, HUB_UNAUTHENTICATED);
  assert_int_equal(sso(a, "google", mint(ok), "", NULL, &r).code, HUB_INVALID_ARGUMENT);
  t = ok;
  t.kid = "unknown";
  assert_int_equal(sso(a, "google", mint(t), NULL, NULL, &r).code, HUB_UNAUTHENTICATED);
  /* Signed by a key the provider does not have, under its kid. */
  EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
  char *other_pem = pem_of(other);
  EVP_PKEY_free(other);
  t = ok;
  t.key = other_pem;
  assert_int_equal(sso(a, "google", mint(t), NULL, NULL, &r).code, HUB_UNAUTHENTICATED);
  free(other_pem);
  /* HS256 "signed" with the public JWKS material is refused before any check. */
  t = ok;
  t.alg = JWT_ALG_HS256;
  t.key = "public-material-anyone-has";
  assert_int_equal(sso(a, "google", mint(t), NULL, NULL, &r).code, HUB_UNAUTHENTICATED);
  /* An ES256 token under the RSA provider's kid. */
  t = ok;
  t.alg = JWT_ALG_ES256;
  t.kid = "g1";
  assert_int_equal(sso(a, "google", mint(t), NULL, NULL, &r).code, HUB_UNAUTHENTICATED);
  assert_int_equal(sso(a, "facebook", mint(ok), NULL, NULL, &r).code, HUB_INVALID_ARGUMENT);
  char *n = hub_world_query(&w, "SELECT count(*) FROM users WHERE email_norm = 'uma@example.com'");
  assert_string_equal(n, "0");
  free(n);
  hub_arena_free(a);
}

static void test_existing_email_links_only_with_proof(void **state) {
  (void)state;
  hub_test_user victim;
  hub_world_signup_login(&w, "victor@example.com", "Victor Ltd", NULL, &victim);
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__LoginResponse *r;
  /* An ID token that merely claims victor's email gets nothing. */
  hub_status st = sso(a, "google", mint((idt){.sub = "g-attacker", .email = "victor@example.com"}), NULL, NULL, &r);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_int_equal(sso(a, "google", mint((idt){.sub = "g-attacker", .email = "VICTOR@example.com"}), NULL,
                       "not-his-password", &r)
                       .code,
                   HUB_UNAUTHENTICATED);
  char *n = hub_world_query(&w, "SELECT count(*) FROM external_identities WHERE email ILIKE 'victor@example.com'");
  assert_string_equal(n, "0");
  free(n);
  /* Victor proves it with his password: linked, and signed in to his tenant. */
  assert_int_equal(sso(a, "google", mint((idt){.sub = "g-victor", .email = "victor@example.com"}), NULL,
                       victim.password, &r)
                       .code,
                   HUB_OK);
  assert_string_equal(r->tokens->tenant_id, victim.tenant_id);
  /* From now on his Google identity signs in without the password... */
  assert_int_equal(sso(a, "google", mint((idt){.sub = "g-victor", .email = "victor@example.com"}), NULL, NULL, &r).code,
                   HUB_OK);
  /* ...but another Google subject with the same email still does not. */
  assert_int_equal(sso(a, "google", mint((idt){.sub = "g-attacker", .email = "victor@example.com"}), NULL, NULL, &r).code,
                   HUB_FAILED_PRECONDITION);
  n = hub_world_query(&w, "SELECT count(*) FROM account_events WHERE action = 'sso.linked'");
  assert_string_equal(n, "1");
  free(n);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_account_then_sign_in_again),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_existing_email_links_only_with_proof),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
