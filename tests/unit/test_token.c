/* Access tokens: sign and verify, every refusal (tampering, alg=none, HS256 keyed with the
 * public key, unknown kid, expiry, future iat, issuer, audience, lifetime), key rotation,
 * the JWKS checked by rebuilding the key from x/y and verifying with OpenSSL alone (as
 * another backend would), and the per-thread cache. */
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "auth/token.h"

#define ISS "https://auth.smbhub.example"
#define AUD "smbhub"
static const int64_t NOW = 1764000000;

static hub_token_claims claims(void) {
  hub_token_claims c = {0};
  strcpy(c.sub, "018f0000-0000-7000-8000-0000000000a1");
  strcpy(c.tenant, "018f0000-0000-7000-8000-00000000000a");
  strcpy(c.brand, "exakeep");
  strcpy(c.sid, "5f0c1d2e3f40516273849a0b1c2d3e4f");
  strcpy(c.iss, ISS);
  strcpy(c.aud, AUD);
  c.iat = NOW;
  c.exp = NOW + 900;
  return c;
}

static hub_keyring *ring_with(const char *kid, char **pem_out) {
  hub_keyring *r = hub_keyring_new();
  char *pem = hub_keyring_generate_pem();
  assert_true(hub_keyring_add_pem(r, kid, pem));
  if (pem_out) *pem_out = pem;
  else free(pem);
  return r;
}

static hub_code verify(hub_keyring *r, hub_arena *a, const char *tok, int64_t now) {
  hub_token_claims out;
  return hub_token_verify(r, a, tok, ISS, AUD, now, &out).code;
}

static char *b64url(hub_arena *a, const void *data, size_t len) {
  char *out = hub_arena_alloc(a, 4 * ((len + 2) / 3) + 1);
  int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
  while (n > 0 && out[n - 1] == '=') n--;
  out[n] = '\0';
  for (char *p = out; *p; p++) *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  return out;
}

static size_t unb64url(const char *in, size_t n, unsigned char *out) {
  char tmp[2048] = {0};
  size_t k = 0;
  for (size_t i = 0; i < n; i++) tmp[k++] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
  while (k % 4) tmp[k++] = '=';
  int len = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)k);
  while (k && tmp[k - 1] == '=') len--, k--;
  return (size_t)len;
}

static void test_round_trip_and_claims(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_keyring *r = ring_with("k1", NULL);
  hub_token_claims c = claims(), out;
  char *tok;
  assert_true(hub_ok(hub_token_sign(r, a, &c, &tok)));
  assert_true(hub_ok(hub_token_verify(r, a, tok, ISS, AUD, NOW + 10, &out)));
  assert_string_equal(out.sub, c.sub);
  assert_string_equal(out.sid, c.sid);
  assert_string_equal(out.tenant, c.tenant);
  assert_string_equal(out.brand, "exakeep");
  assert_int_equal(out.exp, NOW + 900);
  c.exp = NOW + 901; /* longer than 15 minutes: refused at signing */
  assert_int_equal(hub_token_sign(r, a, &c, &tok).code, HUB_INVALID_ARGUMENT);
  hub_keyring_free(r);
  hub_arena_free(a);
}

static void test_refusals(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_keyring *r = ring_with("k1", NULL);
  hub_token_claims c = claims();
  char *tok;
  assert_true(hub_ok(hub_token_sign(r, a, &c, &tok)));
  assert_int_equal(verify(r, a, tok, NOW + 900 + 31), HUB_UNAUTHENTICATED);      /* expired beyond skew */
  assert_int_equal(verify(r, a, tok, NOW + 900 + 29), HUB_OK);                   /* within skew */
  assert_int_equal(verify(r, a, tok, NOW - 31), HUB_UNAUTHENTICATED);            /* issued in the future */
  hub_token_claims out;
  assert_int_equal(hub_token_verify(r, a, tok, "https://evil.example", AUD, NOW, &out).code, HUB_UNAUTHENTICATED);
  assert_int_equal(hub_token_verify(r, a, tok, ISS, "other-app", NOW, &out).code, HUB_UNAUTHENTICATED);
  assert_int_equal(verify(r, a, "not.a.token", NOW), HUB_UNAUTHENTICATED);
  assert_int_equal(verify(r, a, "", NOW), HUB_UNAUTHENTICATED);

  /* Tampering: flip a byte of the payload, of the signature. */
  char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
  char *t2 = hub_arena_strdup(a, tok);
  t2[dot1 - tok + 5] = t2[dot1 - tok + 5] == 'A' ? 'B' : 'A';
  assert_int_equal(verify(r, a, t2, NOW), HUB_UNAUTHENTICATED);
  t2 = hub_arena_strdup(a, tok);
  t2[dot2 - tok + 5] = t2[dot2 - tok + 5] == 'A' ? 'B' : 'A';
  assert_int_equal(verify(r, a, t2, NOW), HUB_UNAUTHENTICATED);

  /* A payload of our own with alg=none and no signature. */
  const char *payload = dot1 + 1;
  size_t plen = (size_t)(dot2 - payload);
  const char *none_hdr = "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"k1\"}";
  char *none = hub_arena_sprintf(a, "%s.%.*s.", b64url(a, none_hdr, strlen(none_hdr)), (int)plen, payload);
  assert_int_equal(verify(r, a, none, NOW), HUB_UNAUTHENTICATED);

  /* HS256 "signed" with the public key as the HMAC secret (the key-confusion attack). */
  char *jwks = hub_keyring_jwks(r, a);
  (void)jwks;
  const char *hs_hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}";
  char *signing_input = hub_arena_sprintf(a, "%s.%.*s", b64url(a, hs_hdr, strlen(hs_hdr)), (int)plen, payload);
  unsigned char mac[32];
  unsigned int mac_len;
  const char *pubkey_as_secret = "-----BEGIN PUBLIC KEY-----";
  HMAC(EVP_sha256(), pubkey_as_secret, (int)strlen(pubkey_as_secret), (unsigned char *)signing_input,
       strlen(signing_input), mac, &mac_len);
  char *hs = hub_arena_sprintf(a, "%s.%s", signing_input, b64url(a, mac, mac_len));
  assert_int_equal(verify(r, a, hs, NOW), HUB_UNAUTHENTICATED);

  /* A good signature by a key the ring does not know. */
  hub_keyring *stranger = ring_with("k1", NULL); /* same kid, different key */
  char *forged;
  assert_true(hub_ok(hub_token_sign(stranger, a, &c, &forged)));
  assert_int_equal(verify(r, a, forged, NOW), HUB_UNAUTHENTICATED);
  hub_keyring *other_kid = ring_with("k9", NULL);
  assert_true(hub_ok(hub_token_sign(other_kid, a, &c, &forged)));
  assert_int_equal(verify(r, a, forged, NOW), HUB_UNAUTHENTICATED);
  hub_keyring_free(stranger);
  hub_keyring_free(other_kid);
  hub_keyring_free(r);
  hub_arena_free(a);
}

static void test_rotation(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_keyring *r = ring_with("2026-10", NULL);
  hub_token_claims c = claims();
  char *old_tok, *new_tok;
  assert_true(hub_ok(hub_token_sign(r, a, &c, &old_tok)));
  char *pem = hub_keyring_generate_pem();
  assert_true(hub_keyring_add_pem(r, "2026-11", pem));
  free(pem);
  assert_true(hub_ok(hub_token_sign(r, a, &c, &new_tok)));
  assert_string_not_equal(old_tok, new_tok);
  assert_int_equal(verify(r, a, old_tok, NOW), HUB_OK); /* both live during the rotation */
  assert_int_equal(verify(r, a, new_tok, NOW), HUB_OK);
  hub_keyring_remove(r, "2026-10");
  assert_int_equal(verify(r, a, old_tok, NOW), HUB_UNAUTHENTICATED);
  assert_int_equal(verify(r, a, new_tok, NOW), HUB_OK);
  assert_false(hub_keyring_add_pem(r, "bad", "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"));
  hub_keyring_free(r);
  hub_arena_free(a);
}

/* What another backend does with our JWKS: rebuild the P-256 key from x and y, and check the
 * token's raw R||S signature (RFC 7518) with OpenSSL alone. */
static void test_jwks_verifies_offline(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_keyring *r = ring_with("k1", NULL);
  hub_token_claims c = claims();
  char *tok;
  assert_true(hub_ok(hub_token_sign(r, a, &c, &tok)));
  json_error_t err;
  json_t *jwks = json_loads(hub_keyring_jwks(r, a), 0, &err);
  assert_non_null(jwks);
  json_t *k = json_array_get(json_object_get(jwks, "keys"), 0);
  assert_string_equal(json_string_value(json_object_get(k, "kty")), "EC");
  assert_string_equal(json_string_value(json_object_get(k, "crv")), "P-256");
  assert_string_equal(json_string_value(json_object_get(k, "alg")), "ES256");
  assert_string_equal(json_string_value(json_object_get(k, "kid")), "k1");
  unsigned char pt[65] = {0x04}, x[64], y[64];
  const char *xs = json_string_value(json_object_get(k, "x")), *ys = json_string_value(json_object_get(k, "y"));
  assert_int_equal(unb64url(xs, strlen(xs), x), 32);
  assert_int_equal(unb64url(ys, strlen(ys), y), 32);
  memcpy(pt + 1, x, 32);
  memcpy(pt + 33, y, 32);
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt);
  OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
  EVP_PKEY *pub = NULL;
  assert_int_equal(EVP_PKEY_fromdata_init(pctx), 1);
  assert_int_equal(EVP_PKEY_fromdata(pctx, &pub, EVP_PKEY_PUBLIC_KEY, params), 1);
  /* R||S -> DER ECDSA-Sig-Value. */
  char *dot2 = strrchr(tok, '.');
  unsigned char rs[128];
  assert_int_equal(unb64url(dot2 + 1, strlen(dot2 + 1), rs), 64);
  ECDSA_SIG *sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(rs, 32, NULL), BN_bin2bn(rs + 32, 32, NULL));
  unsigned char *der = NULL;
  int der_len = i2d_ECDSA_SIG(sig, &der);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub), 1);
  int ok = EVP_DigestVerify(md, der, (size_t)der_len, (unsigned char *)tok, (size_t)(dot2 - tok));
  assert_int_equal(ok, 1);
  rs[10] ^= 1; /* and a wrong signature does not verify */
  ECDSA_SIG_set0(sig, BN_bin2bn(rs, 32, NULL), BN_bin2bn(rs + 32, 32, NULL));
  OPENSSL_free(der);
  der = NULL;
  der_len = i2d_ECDSA_SIG(sig, &der);
  EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub);
  assert_int_not_equal(EVP_DigestVerify(md, der, (size_t)der_len, (unsigned char *)tok, (size_t)(dot2 - tok)), 1);
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(pub);
  EVP_PKEY_CTX_free(pctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  json_decref(jwks);
  hub_keyring_free(r);
  hub_arena_free(a);
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void test_cache(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_keyring *r = ring_with("k1", NULL);
  hub_token_claims c = claims(), out;
  char *tok;
  assert_true(hub_ok(hub_token_sign(r, a, &c, &tok)));
  enum { N = 200 };
  double t0 = now_us();
  for (int i = 0; i < N; i++) assert_true(hub_ok(hub_token_verify(r, a, tok, ISS, AUD, NOW, &out)));
  double cold = (now_us() - t0) / N;
  assert_true(hub_ok(hub_token_verify_cached(r, a, tok, ISS, AUD, NOW, &out))); /* fills the cache */
  t0 = now_us();
  for (int i = 0; i < N * 10; i++) assert_true(hub_ok(hub_token_verify_cached(r, a, tok, ISS, AUD, NOW, &out)));
  double warm = (now_us() - t0) / (N * 10);
  print_message("token verify: %.1f us cold (ES256), %.2f us from the per-thread cache\n", cold, warm);
  assert_true(warm < cold / 5);
  assert_string_equal(out.sid, c.sid);
  /* A token that differs from a cached one anywhere (here its claims, so it shares the
   * cached one's slot) is checked in full, and refused. */
  char *forged = hub_arena_strdup(a, tok);
  char *dot = strchr(forged, '.');
  dot[5] = dot[5] == 'A' ? 'B' : 'A';
  assert_int_equal(hub_token_verify_cached(r, a, forged, ISS, AUD, NOW, &out).code, HUB_UNAUTHENTICATED);
  assert_true(hub_ok(hub_token_verify_cached(r, a, tok, ISS, AUD, NOW, &out)));
  /* Expired tokens are not served from the cache; other audiences do not match it. */
  assert_int_equal(hub_token_verify_cached(r, a, tok, ISS, AUD, NOW + 2000, &out).code, HUB_UNAUTHENTICATED);
  assert_int_equal(hub_token_verify_cached(r, a, tok, ISS, "other-app", NOW, &out).code, HUB_UNAUTHENTICATED);
  hub_keyring_free(r);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_and_claims),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_rotation),
      cmocka_unit_test(test_jwks_verifies_offline),
      cmocka_unit_test(test_cache),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
