/* See totp.h. HMAC, SHA-256, AES-GCM and randomness all come from OpenSSL. */
#include "totp.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

uint32_t hub_totp_code(const uint8_t *secret, size_t len, int64_t unix_time, int digits) {
  uint64_t counter = (uint64_t)(unix_time / HUB_TOTP_STEP_S);
  uint8_t msg[8];
  for (int i = 7; i >= 0; i--, counter >>= 8) msg[i] = (uint8_t)(counter & 0xff);
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), secret, (int)len, msg, sizeof msg, mac, &mac_len);
  int off = mac[mac_len - 1] & 0x0f; /* RFC 4226 dynamic truncation */
  uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) | ((uint32_t)mac[off + 2] << 8) |
                 mac[off + 3];
  uint32_t mod = 1;
  for (int i = 0; i < digits; i++) mod *= 10;
  return bin % mod;
}

bool hub_totp_verify(const uint8_t *secret, size_t len, const char *code, int64_t unix_time, int64_t *step) {
  size_t n = code ? strlen(code) : 0;
  if (n != 6) return false;
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)code[i])) return false;
  bool ok = false;
  for (int d = -1; d <= 1; d++) { /* check all three, so timing does not reveal which matched */
    int64_t t = unix_time + d * HUB_TOTP_STEP_S;
    char want[8];
    snprintf(want, sizeof want, "%06u", hub_totp_code(secret, len, t, 6));
    if (CRYPTO_memcmp(want, code, 6) == 0 && !ok) {
      ok = true;
      if (step) *step = t / HUB_TOTP_STEP_S;
    }
  }
  return ok;
}

char *hub_base32_encode(hub_arena *a, const uint8_t *data, size_t len) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  char *out = hub_arena_alloc(a, (len * 8 + 4) / 5 + 1);
  size_t o = 0;
  uint32_t buf = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    buf = (buf << 8) | data[i];
    bits += 8;
    while (bits >= 5) {
      out[o++] = alphabet[(buf >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out[o++] = alphabet[(buf << (5 - bits)) & 31];
  out[o] = '\0';
  return out;
}

/* Percent-encodes everything but unreserved characters (RFC 3986). */
static char *pct(hub_arena *a, const char *s) {
  char *out = hub_arena_alloc(a, strlen(s) * 3 + 1), *p = out;
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (isalnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~') *p++ = (char)*c;
    else p += sprintf(p, "%%%02X", *c);
  }
  *p = '\0';
  return out;
}

char *hub_totp_uri(hub_arena *a, const char *issuer, const char *account, const uint8_t *secret, size_t len) {
  const char *i = pct(a, issuer);
  return hub_arena_sprintf(a, "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=6&period=%d", i,
                           pct(a, account), hub_base32_encode(a, secret, len), i, HUB_TOTP_STEP_S);
}

#define NONCE 12
#define TAG 16

hub_status hub_aead_seal(hub_arena *a, const uint8_t key[32], const uint8_t *plain, size_t len, const char *aad,
                         uint8_t **out, size_t *out_len) {
  uint8_t *buf = hub_arena_alloc(a, NONCE + len + TAG);
  if (RAND_bytes(buf, NONCE) != 1) return hub_status_new(a, HUB_INTERNAL, "no randomness for a nonce");
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int n = 0, ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, buf) == 1;
  if (ok && aad) ok = EVP_EncryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) == 1;
  if (ok) ok = EVP_EncryptUpdate(ctx, buf + NONCE, &n, plain, (int)len) == 1;
  if (ok) ok = EVP_EncryptFinal_ex(ctx, buf + NONCE + n, &n) == 1;
  if (ok) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG, buf + NONCE + len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return hub_status_new(a, HUB_INTERNAL, "encryption failed");
  *out = buf;
  *out_len = NONCE + len + TAG;
  return HUB_STATUS_OK;
}

hub_status hub_aead_open(hub_arena *a, const uint8_t key[32], const uint8_t *sealed, size_t len, const char *aad,
                         uint8_t **plain, size_t *plain_len) {
  if (len < NONCE + TAG) return hub_status_new(a, HUB_DATA_LOSS, "sealed data is too short");
  size_t clen = len - NONCE - TAG;
  uint8_t *out = hub_arena_alloc(a, clen + 1);
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int n = 0, ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, sealed) == 1;
  if (ok && aad) ok = EVP_DecryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) == 1;
  if (ok) ok = EVP_DecryptUpdate(ctx, out, &n, sealed + NONCE, (int)clen) == 1;
  if (ok) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG, (void *)(sealed + NONCE + clen)) == 1;
  if (ok) ok = EVP_DecryptFinal_ex(ctx, out + n, &n) == 1; /* checks the tag */
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return hub_status_new(a, HUB_DATA_LOSS, "sealed data does not open: wrong key or tampered");
  out[clen] = 0;
  *plain = out;
  *plain_len = clen;
  return HUB_STATUS_OK;
}

/* No look-alikes (0/O, 1/I/L) and no U: 30 symbols, about 4.9 bits each. */
static const char code_alphabet[] = "23456789ABCDEFGHJKMNPQRSTVWXYZ";

static char *sha256_hex(hub_arena *a, const char *s) {
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL);
  char *hex = hub_arena_alloc(a, 2 * len + 1);
  for (unsigned i = 0; i < len; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return hex;
}

char *hub_recovery_code_hash(hub_arena *a, const char *typed) {
  char norm[64];
  size_t n = 0;
  for (const char *c = typed; *c && n < sizeof norm - 1; c++)
    if (*c != '-' && *c != ' ') norm[n++] = (char)toupper((unsigned char)*c);
  norm[n] = '\0';
  return sha256_hex(a, norm);
}

void hub_recovery_codes(hub_arena *a, char *codes[10], char *hashes[10]) {
  const size_t n_symbols = sizeof code_alphabet - 1; /* 30: rejection sampling keeps it uniform */
  for (int i = 0; i < 10; i++) {
    char *c = hub_arena_alloc(a, 15);
    int k = 0;
    for (int j = 0; j < 12;) {
      uint8_t b;
      RAND_bytes(&b, 1);
      if (b >= 240) continue; /* 240 = 8 * 30 */
      c[k++] = code_alphabet[b % n_symbols];
      if (++j % 4 == 0 && j < 12) c[k++] = '-';
    }
    c[k] = '\0';
    codes[i] = c;
    hashes[i] = hub_recovery_code_hash(a, c);
  }
}
