/* String builder for generated sources (see sb.h). */
#include "sb.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void grow(sb *s, size_t need) {
  if (s->len + need + 1 <= s->cap) return;
  size_t cap = s->cap ? s->cap : 4096;
  while (cap < s->len + need + 1) cap *= 2;
  s->buf = realloc(s->buf, cap);
  if (!s->buf) abort();
  s->cap = cap;
}

void sb_printf(sb *s, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) abort();
  grow(s, (size_t)n);
  vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
  s->len += (size_t)n;
  va_end(ap);
}

void sb_bytes_literal(sb *s, const unsigned char *data, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (i % 20 == 0) sb_printf(s, "%s    \"", i ? "\"\n" : "");
    sb_printf(s, "\\x%02x", data[i]);
  }
  sb_printf(s, len ? "\"" : "    \"\"");
}

char *sb_take(sb *s) {
  grow(s, 0);
  s->buf[s->len] = '\0';
  char *out = s->buf;
  *s = (sb){0};
  return out;
}

char *xsprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *out = NULL;
  if (vasprintf(&out, fmt, ap) < 0) abort();
  va_end(ap);
  return out;
}
