/* See hub/utf8.h. A table-free decoder: the ranges are Table 3-7 of the Unicode standard
 * (well-formed byte sequences), which also rules out overlongs and surrogates. */
#include "hub/utf8.h"

#include <string.h>

#include "hub/assert.h"

size_t hub_utf8_char_len(const unsigned char *s, size_t left) {
  HUB_ASSERT(left > 0);
  unsigned c = s[0];
  if (c < 0x80) return 1;
  size_t n;
  unsigned lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;      /* no overlong 3-byte forms */
    if (c == 0xED) hi = 0x9F;      /* no surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;      /* no overlong 4-byte forms */
    if (c == 0xF4) hi = 0x8F;      /* nothing past U+10FFFF */
  } else {
    return 0;                      /* continuation byte, C0/C1, F5..FF */
  }
  if (left < n || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return n;
}

bool hub_utf8_valid(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  while (p < end) {
    if (*p < 0x80) { /* ASCII runs are the common case */
      p++;
      continue;
    }
    size_t n = hub_utf8_char_len(p, (size_t)(end - p));
    if (!n) return false;
    p += n;
  }
  return true;
}

size_t hub_utf8_clip(char *out, const char *s, size_t max_chars, size_t max_bytes) {
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  size_t len = 0, chars = 0;
  while (*p) {
    size_t n = hub_utf8_char_len(p, strnlen((const char *)p, 4));
    if (chars == max_chars || len + (n ? n : 1) > max_bytes) {
      memcpy(out + len, "\xE2\x80\xA6", 3); /* … */
      len += 3;
      break;
    }
    if (!n || hub_utf8_is_control(*p)) { /* ill-formed, or a control character */
      out[len++] = '?';
      p += n ? n : 1;
    } else {
      memcpy(out + len, p, n);
      len += n;
      p += n;
    }
    chars++;
  }
  out[len] = '\0';
  return len;
}
