/* See convert.h. The text[] parser follows PostgreSQL's output rules: elements are bare, or
 * double-quoted with backslash escapes when they hold special characters. */
#include "services/tenant/convert.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

char *tn_pg_array(hub_arena *a, char *const *items, size_t n) {
  size_t cap = 3;
  for (size_t i = 0; i < n; i++) cap += 2 * strlen(items[i]) + 3;
  char *out = hub_arena_alloc(a, cap);
  size_t k = 0;
  out[k++] = '{';
  for (size_t i = 0; i < n; i++) {
    if (i) out[k++] = ',';
    out[k++] = '"';
    for (const char *p = items[i]; *p; p++) {
      if (*p == '"' || *p == '\\') out[k++] = '\\';
      out[k++] = *p;
    }
    out[k++] = '"';
  }
  out[k++] = '}';
  out[k] = '\0';
  return out;
}

size_t tn_pg_array_parse(hub_arena *a, const char *lit, char ***out) {
  *out = NULL;
  if (!lit || lit[0] != '{' || lit[1] == '}' || lit[1] == '\0') return 0;
  size_t cap = 1;
  for (const char *p = lit; *p; p++) cap += *p == ',';
  char **items = hub_arena_calloc(a, cap, sizeof *items);
  size_t n = 0, len = strlen(lit);
  char *buf = hub_arena_alloc(a, len + 1);
  const char *p = lit + 1;
  while (*p && *p != '}' && n < cap) {
    size_t k = 0;
    if (*p == '"') {
      p++;
      while (*p && *p != '"') {
        if (*p == '\\' && p[1]) p++;
        buf[k++] = *p++;
      }
      if (*p == '"') p++;
    } else {
      while (*p && *p != ',' && *p != '}') buf[k++] = *p++;
    }
    items[n++] = hub_arena_strndup(a, buf, k);
    if (*p == ',') p++;
  }
  *out = items;
  return n;
}

Google__Protobuf__Timestamp *tn_timestamp(hub_arena *a, const char *micros) {
  Google__Protobuf__Timestamp *ts = hub_arena_alloc(a, sizeof *ts);
  google__protobuf__timestamp__init(ts);
  long long us = micros ? strtoll(micros, NULL, 10) : 0;
  long long s = us / 1000000, rem = us % 1000000;
  if (rem < 0) {
    rem += 1000000;
    s--;
  }
  ts->seconds = s;
  ts->nanos = (int32_t)(rem * 1000);
  return ts;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *encode(hub_arena *a, const unsigned char *in, size_t n) {
  char *out = hub_arena_alloc(a, 4 * ((n + 2) / 3) + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
    out[k++] = b64url[(v >> 18) & 63];
    out[k++] = b64url[(v >> 12) & 63];
    if (i + 1 < n) out[k++] = b64url[(v >> 6) & 63];
    if (i + 2 < n) out[k++] = b64url[v & 63];
  }
  out[k] = '\0';
  return out;
}

static int value_of(char c) {
  const char *p = c ? strchr(b64url, c) : NULL;
  return p ? (int)(p - b64url) : -1;
}

/* NULL on a character outside the alphabet or an impossible length. */
static char *decode(hub_arena *a, const char *in, size_t *n_out) {
  size_t n = strlen(in);
  if (n % 4 == 1) return NULL;
  char *out = hub_arena_alloc(a, n * 3 / 4 + 2);
  size_t k = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = value_of(in[i]);
    if (v < 0) return NULL;
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[k++] = (char)((acc >> bits) & 0xff);
    }
  }
  out[k] = '\0';
  *n_out = k;
  return out;
}

char *tn_page_token(hub_arena *a, const char *key, const char *rest) {
  char *plain = hub_arena_sprintf(a, "v1:%s:%s", key, rest ? rest : "");
  return encode(a, (const unsigned char *)plain, strlen(plain));
}

bool tn_page_token_parse(hub_arena *a, const char *token, char **key, char **rest) {
  size_t n = 0;
  if (!token || strlen(token) > 2048) return false;
  char *plain = decode(a, token, &n);
  if (!plain || n < 4 || memchr(plain, '\0', n) || strncmp(plain, "v1:", 3) != 0) return false;
  char *colon = strchr(plain + 3, ':');
  if (!colon || colon == plain + 3) return false;
  *colon = '\0';
  *key = plain + 3;
  *rest = colon + 1;
  return true;
}
