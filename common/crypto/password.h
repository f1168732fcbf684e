/* Passwords: Argon2id (libargon2) at OWASP's parameters, a policy checked before any hashing,
 * and a cap on concurrent hashing so that login traffic cannot exhaust the CPU. Hashes are
 * PHC strings ($argon2id$v=19$m=..,t=..,p=..$salt$hash) that carry their parameters, so a
 * hash made under older parameters is recognised and can be replaced on the next login. */
#ifndef HUB_CRYPTO_PASSWORD_H
#define HUB_CRYPTO_PASSWORD_H

#include <stdbool.h>
#include <stdint.h>

#include "hub/arena.h"
#include "hub/status.h"

#define HUB_PASSWORD_MIN_CHARS 12  /* Unicode code points */
#define HUB_PASSWORD_MAX_BYTES 128 /* refused before hashing: hashing cost must not be the caller's to choose */

typedef struct hub_password_params {
  uint32_t m_kib; /* memory, KiB */
  uint32_t t;     /* iterations */
  uint32_t p;     /* lanes */
} hub_password_params;

/* OWASP's Argon2id recommendation: m = 19 MiB, t = 2, p = 1. */
extern const hub_password_params HUB_PASSWORD_OWASP;

/* Process-wide settings: the parameters new hashes use (tests lower them) and how many
 * hashes may run at once (default: CPU cores). Call before serving. */
void hub_password_configure(const hub_password_params *params, int max_concurrent);

/* INVALID_ARGUMENT on field "password" when the password is too short (in characters), too
 * long (in bytes), not valid UTF-8, on the common-password list, or the email's local part. */
hub_status hub_password_check_policy(hub_arena *a, const char *password, const char *email);

/* Hashes with the configured parameters. RESOURCE_EXHAUSTED when no hashing slot frees up
 * within wait_ms. The PHC string is allocated in the arena. */
hub_status hub_password_hash(hub_arena *a, const char *password, int64_t wait_ms, char **phc);

/* Verifies in constant time. OK when it matches (and *needs_rehash tells whether the hash used
 * other parameters than the configured ones); UNAUTHENTICATED when it does not; also
 * RESOURCE_EXHAUSTED like hub_password_hash. An over-long password is UNAUTHENTICATED
 * without hashing. */
hub_status hub_password_verify(hub_arena *a, const char *phc, const char *password, int64_t wait_ms,
                               bool *needs_rehash);

/* Spends the time of a real verification against a fixed hash, for unknown accounts, so
 * that "no such email" and "wrong password" take the same time. Always UNAUTHENTICATED. */
hub_status hub_password_dummy_verify(hub_arena *a, const char *password, int64_t wait_ms);

#endif
