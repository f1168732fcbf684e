/* UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing past U+10FFFF.
 * Proto3 strings must hold exactly this, and so must everything we write as JSON; the
 * decoder (proto/codec), the logger and the status bounds all check through here. */
#ifndef HUB_UTF8_H
#define HUB_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The length (1..4) of the well-formed character at s[0..left), or 0 when the bytes there
 * are not one (left must be > 0). */
size_t hub_utf8_char_len(const unsigned char *s, size_t left);

/* True when s[0..len) is well-formed UTF-8. */
bool hub_utf8_valid(const char *s, size_t len);

/* A control character that may not reach a caller's or operator's terminal: C0 and DEL,
 * except tab, line feed and carriage return, which messages may hold (gRPC percent-encodes
 * them on the wire). */
static inline bool hub_utf8_is_control(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
}

/* Copies at most `max_chars` characters and `max_bytes` bytes of the NUL-terminated `s`
 * into `out` (which holds max_bytes + 4), replacing ill-formed bytes and control characters
 * (hub_utf8_is_control) with '?', and appending "…" when anything was cut. Returns the length written. */
size_t hub_utf8_clip(char *out, const char *s, size_t max_chars, size_t max_bytes);

#endif
