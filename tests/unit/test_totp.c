/* TOTP against RFC 6238's test vectors, the ±1 step window and nothing beyond, base32 per
 * RFC 4648, the otpauth URI, AES-256-GCM sealing with every kind of tampering refused, and
 * recovery codes. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/totp.h"

static const uint8_t rfc_secret[] = "12345678901234567890"; /* RFC 6238 appendix B, SHA1 */

static void test_rfc6238_vectors(void **state) {
  (void)state;
  struct { int64_t t; uint32_t code; } v[] = {{59, 94287082},         {1111111109, 7081804}, {1111111111, 14050471},
                                              {1234567890, 89005924}, {2000000000, 69279037}, {20000000000, 65353130}};
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) assert_int_equal(hub_totp_code(rfc_secret, 20, v[i].t, 8), v[i].code);
  assert_int_equal(hub_totp_code(rfc_secret, 20, 59, 6), 287082);
}

static void test_window(void **state) {
  (void)state;
  const int64_t t = 1111111111;
  char code[8];
  snprintf(code, sizeof code, "%06u", hub_totp_code(rfc_secret, 20, t, 6));
  int64_t step = 0;
  assert_true(hub_totp_verify(rfc_secret, 20, code, t, &step));
  assert_int_equal(step, t / 30);
  assert_true(hub_totp_verify(rfc_secret, 20, code, t + 30, &step)); /* the code of the previous step */
  assert_int_equal(step, t / 30);
  assert_true(hub_totp_verify(rfc_secret, 20, code, t - 30, NULL));  /* of the next step */
  assert_false(hub_totp_verify(rfc_secret, 20, code, t + 60, NULL)); /* two steps: no */
  assert_false(hub_totp_verify(rfc_secret, 20, code, t - 60, NULL));
  assert_false(hub_totp_verify(rfc_secret, 20, "12345", t, NULL));
  assert_false(hub_totp_verify(rfc_secret, 20, "12a456", t, NULL));
  assert_false(hub_totp_verify(rfc_secret, 20, NULL, t, NULL));
  code[5] = code[5] == '9' ? '0' : (char)(code[5] + 1);
  assert_false(hub_totp_verify(rfc_secret, 20, code, t, NULL));
}

static void test_base32_and_uri(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  assert_string_equal(hub_base32_encode(a, (const uint8_t *)"foobar", 6), "MZXW6YTBOI");
  assert_string_equal(hub_base32_encode(a, (const uint8_t *)"f", 1), "MY");
  assert_string_equal(hub_base32_encode(a, rfc_secret, 20), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  assert_string_equal(hub_totp_uri(a, "SMB Hub", "ann@example.com", rfc_secret, 20),
                      "otpauth://totp/SMB%20Hub:ann%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                      "&issuer=SMB%20Hub&algorithm=SHA1&digits=6&period=30");
  hub_arena_free(a);
}

static void test_aead(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  uint8_t key[32], other[32];
  memset(key, 7, sizeof key);
  memset(other, 8, sizeof other);
  uint8_t *sealed, *plain;
  size_t slen, plen;
  assert_true(hub_ok(hub_aead_seal(a, key, rfc_secret, 20, "user-1", &sealed, &slen)));
  assert_int_equal(slen, 12 + 20 + 16);
  assert_null(memmem(sealed, slen, rfc_secret, 20)); /* not in clear */
  assert_true(hub_ok(hub_aead_open(a, key, sealed, slen, "user-1", &plain, &plen)));
  assert_int_equal(plen, 20);
  assert_memory_equal(plain, rfc_secret, 20);
  uint8_t *again;
  size_t alen;
  assert_true(hub_ok(hub_aead_seal(a, key, rfc_secret, 20, "user-1", &again, &alen)));
  assert_memory_not_equal(again, sealed, slen); /* fresh nonce every time */
  assert_int_equal(hub_aead_open(a, other, sealed, slen, "user-1", &plain, &plen).code, HUB_DATA_LOSS);
  assert_int_equal(hub_aead_open(a, key, sealed, slen, "user-2", &plain, &plen).code, HUB_DATA_LOSS);
  size_t where[] = {0, 11, 12, 31, 32, slen - 1}; /* nonce, ciphertext, tag */
  for (size_t i = 0; i < sizeof where / sizeof *where; i++) {
    sealed[where[i]] ^= 1;
    assert_int_equal(hub_aead_open(a, key, sealed, slen, "user-1", &plain, &plen).code, HUB_DATA_LOSS);
    sealed[where[i]] ^= 1;
  }
  assert_int_equal(hub_aead_open(a, key, sealed, 27, "user-1", &plain, &plen).code, HUB_DATA_LOSS);
  assert_true(hub_ok(hub_aead_open(a, key, sealed, slen, "user-1", &plain, &plen))); /* restored */
  hub_arena_free(a);
}

static void test_recovery_codes(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *codes[10], *hashes[10];
  hub_recovery_codes(a, codes, hashes);
  for (int i = 0; i < 10; i++) {
    assert_int_equal(strlen(codes[i]), 14);
    assert_int_equal(codes[i][4], '-');
    assert_int_equal(codes[i][9], '-');
    for (int k = 0; k < 14; k++)
      if (k != 4 && k != 9) assert_non_null(strchr("23456789ABCDEFGHJKMNPQRSTVWXYZ", codes[i][k]));
    assert_int_equal(strlen(hashes[i]), 64);
    for (int j = 0; j < i; j++) assert_string_not_equal(codes[i], codes[j]);
    /* Typed in lower case without dashes, it still finds its hash. */
    char typed[16];
    size_t n = 0;
    for (const char *c = codes[i]; *c; c++)
      if (*c != '-') typed[n++] = (char)tolower((unsigned char)*c);
    typed[n] = '\0';
    assert_string_equal(hub_recovery_code_hash(a, typed), hashes[i]);
  }
  assert_string_not_equal(hub_recovery_code_hash(a, "AAAA-BBBB-CCCC"), hashes[0]);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc6238_vectors),
      cmocka_unit_test(test_window),
      cmocka_unit_test(test_base32_and_uri),
      cmocka_unit_test(test_aead),
      cmocka_unit_test(test_recovery_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
