/* TOTP second factors (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) and the pieces
 * around them: the base32 secret and otpauth:// URI an authenticator app scans, the secret
 * sealed at rest with AES-256-GCM, and single-use recovery codes stored hashed. */
#ifndef HUB_CRYPTO_TOTP_H
#define HUB_CRYPTO_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub/arena.h"
#include "hub/status.h"

#define HUB_TOTP_SECRET_BYTES 20 /* 160 bits, as RFC 4226 recommends */
#define HUB_TOTP_STEP_S 30

/* The code for `unix_time` (digits 6..8). */
uint32_t hub_totp_code(const uint8_t *secret, size_t len, int64_t unix_time, int digits);

/* Accepts the current step and one either side, no more (clock drift of one step), comparing
 * in constant time. On success *step is the matched step number, which callers store to
 * refuse a second use of the same code. */
bool hub_totp_verify(const uint8_t *secret, size_t len, const char *code, int64_t unix_time, int64_t *step);

/* RFC 4648 base32 without padding (what authenticator apps expect). */
char *hub_base32_encode(hub_arena *a, const uint8_t *data, size_t len);

/* otpauth://totp/<issuer>:<account>?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30 */
char *hub_totp_uri(hub_arena *a, const char *issuer, const char *account, const uint8_t *secret, size_t len);

/* AES-256-GCM with a random 96-bit nonce: out = nonce || ciphertext || 16-byte tag.
 * `aad` binds the ciphertext to its owner (e.g. the user id). */
hub_status hub_aead_seal(hub_arena *a, const uint8_t key[32], const uint8_t *plain, size_t len, const char *aad,
                         uint8_t **out, size_t *out_len);
/* Opens what seal made; DATA_LOSS if anything (key, nonce, text, tag, aad) does not match. */
hub_status hub_aead_open(hub_arena *a, const uint8_t key[32], const uint8_t *sealed, size_t len, const char *aad,
                         uint8_t **plain, size_t *plain_len);

/* Ten recovery codes "xxxx-xxxx-xxxx" (an alphabet without look-alike characters, ~59 bits
 * each), shown once; hashes[i] is the SHA-256 hex of codes[i] for storage. */
void hub_recovery_codes(hub_arena *a, char *codes[10], char *hashes[10]);
/* The SHA-256 hex of a code as typed (case and dashes ignored), to look it up. */
char *hub_recovery_code_hash(hub_arena *a, const char *typed);

#endif
