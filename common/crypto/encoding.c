/* See encoding.h. */
#include "crypto/encoding.h"

#include <stdint.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *hub_base64url_encode(hub_arena *a, const void *data, size_t n) {
  const unsigned char *in = data;
  char *out = hub_arena_alloc(a, 4 * ((n + 2) / 3) + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
    out[k++] = alphabet[(v >> 18) & 63];
    out[k++] = alphabet[(v >> 12) & 63];
    if (i + 1 < n) out[k++] = alphabet[(v >> 6) & 63];
    if (i + 2 < n) out[k++] = alphabet[v & 63];
  }
  out[k] = '\0';
  return out;
}

static int value_of(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  return c == '-' ? 62 : c == '_' ? 63 : -1;
}

size_t hub_base64url_decode_into(const char *in, size_t n, unsigned char *out, size_t cap) {
  if (n % 4 == 1) return (size_t)-1;
  size_t k = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = value_of(in[i]);
    if (v < 0) return (size_t)-1;
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (k == cap) return (size_t)-1;
      out[k++] = (unsigned char)((acc >> bits) & 0xff);
    }
  }
  return k;
}

unsigned char *hub_base64url_decode(hub_arena *a, const char *in, size_t *n) {
  size_t len = strlen(in), cap = len * 3 / 4 + 1;
  unsigned char *out = hub_arena_alloc(a, cap + 1);
  size_t k = hub_base64url_decode_into(in, len, out, cap);
  *n = 0;
  if (k == (size_t)-1) return NULL;
  out[k] = '\0';
  *n = k;
  return out;
}

char *hub_hex_encode(hub_arena *a, const unsigned char *data, size_t n) {
  static const char digits[] = "0123456789abcdef";
  char *out = hub_arena_alloc(a, 2 * n + 1);
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  out[2 * n] = '\0';
  return out;
}

static int nibble(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

unsigned char *hub_hex_decode(hub_arena *a, const char *hex, size_t *n) {
  size_t len = strlen(hex);
  *n = 0;
  if (len % 2) return NULL;
  unsigned char *out = hub_arena_alloc(a, len / 2 + 1);
  for (size_t i = 0; i < len / 2; i++) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return NULL;
    out[i] = (unsigned char)(hi << 4 | lo);
  }
  *n = len / 2;
  return out;
}
