/* See random.h. */
#include "hub/clock.h"
#include "crypto/random.h"

#include "crypto/encoding.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

char *hub_random_token(hub_arena *a, size_t bytes) {
  unsigned char raw[64];
  if (bytes == 0 || bytes > sizeof raw || RAND_bytes(raw, (int)bytes) != 1) return NULL;
  char *out = hub_base64url_encode(a, raw, bytes);
  OPENSSL_cleanse(raw, sizeof raw);
  return out;
}

char *hub_sha256_hex(hub_arena *a, const char *text) {
  unsigned char d[32];
  unsigned int n = 0;
  EVP_Digest(text, strlen(text), d, &n, EVP_sha256(), NULL);
  return hub_hex_encode(a, d, sizeof d);
}

bool hub_uuid_v7(char out[37]) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return false;
  const unsigned long long ms = (unsigned long long)hub_clock_wall_ms();
  for (int i = 0; i < 6; i++) b[i] = (unsigned char)(ms >> (8 * (5 - i)));
  b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
  b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
           b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return true;
}

bool hub_secret_equal(const char *x, const char *y) {
  size_t n = strlen(x);
  if (n != strlen(y)) return false;
  return CRYPTO_memcmp(x, y, n) == 0;
}
