/* Secrets and identifiers made from OpenSSL's CSPRNG: opaque tokens (refresh, reset,
 * verification, invitation), their SHA-256 for storage (only hashes are stored), and
 * time-ordered UUIDs (version 7) for ids minted outside SQL. */
#ifndef HUB_CRYPTO_RANDOM_H
#define HUB_CRYPTO_RANDOM_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/encoding.h" /* hex and base64url: one place */
#include "hub/arena.h"

/* `bytes` random bytes as unpadded base64url (43 characters for 32 bytes); NULL if the
 * CSPRNG fails. */
char *hub_random_token(hub_arena *a, size_t bytes);
/* Lower-case hex SHA-256 of the text. */
char *hub_sha256_hex(hub_arena *a, const char *text);
/* A UUID v7 (48-bit Unix milliseconds, then randomness), 36 characters + NUL. */
bool hub_uuid_v7(char out[37]);
/* Constant-time equality of two NUL-terminated strings of equal length (else false). */
bool hub_secret_equal(const char *x, const char *y);

#endif
