/* Text encodings of bytes used across the project: base64url without padding (tokens, JOSE,
 * JWK coordinates, page tokens) and lower-case hex (bytea round trips). One implementation
 * each, strict on input: anything outside the alphabet is refused, not skipped. */
#ifndef HUB_CRYPTO_ENCODING_H
#define HUB_CRYPTO_ENCODING_H

#include <stddef.h>

#include "hub/arena.h"

/* base64url (RFC 4648 §5) without padding, NUL-terminated, in the arena. */
char *hub_base64url_encode(hub_arena *a, const void *data, size_t n);
/* Decodes `n` characters of `in` into out (cap bytes); the decoded length, or (size_t)-1 on a
 * character outside the alphabet, an impossible length, or too small a buffer. */
size_t hub_base64url_decode_into(const char *in, size_t n, unsigned char *out, size_t cap);
/* The same into the arena (NUL-terminated for convenience); NULL when invalid. */
unsigned char *hub_base64url_decode(hub_arena *a, const char *in, size_t *n);

/* Lower-case hex of `n` bytes, and back (decode: NULL on odd length or a non-hex digit). */
char *hub_hex_encode(hub_arena *a, const unsigned char *data, size_t n);
unsigned char *hub_hex_decode(hub_arena *a, const char *hex, size_t *n);

#endif
