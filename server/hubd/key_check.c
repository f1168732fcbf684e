/* See key_check.h. One transaction, under an advisory lock so two hubds starting at once
 * record one answer: read what key_checks holds and the facts that decide whether a key
 * matters (sealed TOTP secrets; access tokens that may still be valid), decide, then record
 * the keys this hubd starts with.
 *
 * The data key: a known text sealed under it (AES-256-GCM, crypto/totp.h) opens only with
 * that key, and the text is compared in constant time. A database sealed before the check
 * existed is checked by opening one sealed TOTP secret instead, and then recorded. Without
 * HUB_DATA_KEY_FILE, hubd refuses a database that holds sealed secrets or a recorded key.
 * (Refresh successors are sealed too, but live 30 s at most; losing them only makes a client
 * whose answer was lost sign in again, so they never stop a start.)
 *
 * The signing keys: every access token is signed together with a refresh token row (sign-in,
 * refresh, tenant switch), so the newest refresh_tokens row tells when the last access token
 * was signed, and the signing key recorded then signed it. A key that signed tokens which may
 * still be valid (HUB_TOKEN_MAX_TTL_S + HUB_TOKEN_SKEW_S after) must be in the ring; one the
 * ring lacks would have them all refused. A throwaway signing key is never recorded (hubd
 * says at start that its tokens end with the process), but it retires the recorded one. */
#include "hubd/key_check.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/encoding.h"
#include "crypto/totp.h"
#include "db/tx.h"
#include "hub/log.h"

#define KNOWN_TEXT "SMB Hub data key check v1"
#define KNOWN_AAD "key_checks:data_key"
#define LOCK_KEY "7527030565623132928" /* "hubkeys\0" as a big-endian integer */
#define MAX_RING 8

static const hub_pg_stmt lock_sql = {"keys_lock", "SELECT pg_advisory_xact_lock(" LOCK_KEY ")", 0};
/* Each recorded key, with whether the tokens it signed may still be valid, and until when. */
static const hub_pg_stmt recorded_sql = {
    "keys_recorded",
    "WITH t AS (SELECT max(created_at) + make_interval(secs => $1::int) AS until FROM refresh_tokens) "
    "SELECT k.purpose, k.kid, encode(k.check_value, 'hex') AS value, "
    "  coalesce(coalesce(k.signed_until, t.until) > now(), false) AS live, "
    "  coalesce(to_char(coalesce(k.signed_until, t.until) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '') AS live_until "
    "FROM key_checks k, t ORDER BY k.purpose, k.created_at",
    1};
static const hub_pg_stmt sealed_sql = {
    "keys_sealed",
    "SELECT count(*) AS n, coalesce(min(id::text), '') AS sample_user FROM users "
    "WHERE totp_sealed IS NOT NULL OR totp_pending IS NOT NULL",
    0};
static const hub_pg_stmt sample_sql = {
    "keys_sample",
    "SELECT encode(coalesce(totp_sealed, totp_pending), 'hex') AS sealed FROM users WHERE id = $1::uuid", 1};
static const hub_pg_stmt record_data_sql = {
    "keys_record_data", "INSERT INTO key_checks (purpose, check_value) VALUES ('data_key', decode($1, 'hex'))", 1};
/* The current signing key (other than $2) hands over: its tokens may live until the last one
 * signed ($1 seconds after the newest refresh token), or are dead already. */
static const hub_pg_stmt retire_sql = {
    "keys_retire",
    "UPDATE key_checks SET signed_until = coalesce((SELECT max(created_at) FROM refresh_tokens), now()) "
    "  + make_interval(secs => $1::int) "
    "WHERE purpose = 'jwt_signing_key' AND signed_until IS NULL AND check_value <> decode($2, 'hex')",
    2};
static const hub_pg_stmt record_signer_sql = {
    "keys_record_signer",
    "INSERT INTO key_checks (purpose, check_value, kid) VALUES ('jwt_signing_key', decode($1, 'hex'), $2) "
    "ON CONFLICT (purpose, check_value) DO UPDATE SET signed_until = NULL, kid = EXCLUDED.kid",
    2};
static const hub_pg_stmt prune_sql = {
    "keys_prune",
    "DELETE FROM key_checks WHERE purpose = 'jwt_signing_key' AND signed_until < now() - interval '1 day'", 0};

typedef struct check_ctx {
  const hub_config *cfg;
  const hub_start_keys *keys;
  char live_s[16];   /* how long a token signed now may be valid, in seconds */
  char refusal[512]; /* set when the keys do not fit */
} check_ctx;

static bool ring_holds(hub_keyring *ring, const char *hex) {
  char kid[64], fp[65];
  for (int i = 0; i < MAX_RING && hub_keyring_fingerprint(ring, i, kid, fp); i++)
    if (strlen(hex) == 64 && CRYPTO_memcmp(fp, hex, 64) == 0) return true;
  return false;
}

/* True when `sealed_hex` opens under the data key (with `aad`) and, when `known` is set,
 * holds exactly it. */
static bool opens(hub_arena *a, const unsigned char *key, const char *sealed_hex, const char *aad, const char *known) {
  size_t n;
  uint8_t *sealed = hub_hex_decode(a, sealed_hex, &n), *plain;
  size_t plain_len;
  if (!sealed || !hub_ok(hub_aead_open(a, key, sealed, n, aad, &plain, &plain_len))) return false;
  return !known || (plain_len == strlen(known) && CRYPTO_memcmp(plain, known, plain_len) == 0);
}

static hub_status check_data_key(hub_tx *tx, check_ctx *c, hub_rows *recorded, hub_rows *sealed) {
  hub_arena *a = hub_tx_arena(tx);
  const char *recorded_value = NULL;
  for (int i = 0; i < hub_rows_count(recorded); i++)
    if (!strcmp(hub_rows_text(recorded, i, "purpose"), "data_key")) recorded_value = hub_rows_text(recorded, i, "value");
  const char *n_sealed = hub_rows_text(sealed, 0, "n");
  bool any_sealed = strcmp(n_sealed, "0") != 0;
  if (c->keys->data_key_throwaway) {
    if (any_sealed)
      snprintf(c->refusal, sizeof c->refusal,
               "HUB_DATA_KEY_FILE is not set, but the database holds %s TOTP secret(s) sealed with a data key: set it "
               "to that key's file (a throwaway key would leave them unreadable)",
               n_sealed);
    else if (recorded_value)
      snprintf(c->refusal, sizeof c->refusal,
               "HUB_DATA_KEY_FILE is not set, but this database seals secrets with a data key (key_checks): set it to "
               "that key's file");
    return HUB_STATUS_OK;
  }
  if (recorded_value) {
    if (!opens(a, c->keys->data_key, recorded_value, KNOWN_AAD, KNOWN_TEXT))
      snprintf(c->refusal, sizeof c->refusal,
               "HUB_DATA_KEY_FILE (%s) is not the data key this database's secrets are sealed with (its key check in "
               "key_checks does not open): start with the key they were sealed with",
               c->cfg->data_key_file);
    return HUB_STATUS_OK;
  }
  if (any_sealed) { /* sealed before the check existed: one secret tells */
    const char *user = hub_rows_text(sealed, 0, "sample_user");
    hub_rows *r;
    hub_status st = hub_tx_query(tx, &sample_sql, (const char *[]){user}, &r);
    if (!hub_ok(st)) return st;
    if (hub_rows_count(r) != 1 ||
        !opens(a, c->keys->data_key, hub_rows_text(r, 0, "sealed"), hub_arena_sprintf(a, "totp:%s", user), NULL)) {
      snprintf(c->refusal, sizeof c->refusal,
               "HUB_DATA_KEY_FILE (%s) is not the data key the database's %s TOTP secret(s) are sealed with (they do "
               "not open with it): start with the key they were sealed with",
               c->cfg->data_key_file, n_sealed);
      return HUB_STATUS_OK;
    }
  }
  uint8_t *check;
  size_t len;
  hub_status st = hub_aead_seal(a, c->keys->data_key, (const uint8_t *)KNOWN_TEXT, strlen(KNOWN_TEXT), KNOWN_AAD,
                                &check, &len);
  if (hub_ok(st)) hub_tx_exec(tx, &record_data_sql, (const char *[]){hub_hex_encode(a, check, len)});
  return st;
}

static void check_signing_keys(check_ctx *c, hub_rows *recorded) {
  for (int i = 0; i < hub_rows_count(recorded) && !c->refusal[0]; i++) {
    if (strcmp(hub_rows_text(recorded, i, "purpose"), "jwt_signing_key") != 0) continue;
    if (strcmp(hub_rows_text(recorded, i, "live"), "t") != 0) continue;
    if (!c->keys->ring_throwaway && ring_holds(c->keys->ring, hub_rows_text(recorded, i, "value"))) continue;
    const char *kid = hub_rows_text(recorded, i, "kid"), *until = hub_rows_text(recorded, i, "live_until");
    if (c->keys->ring_throwaway)
      snprintf(c->refusal, sizeof c->refusal,
               "HUB_JWT_KEY_FILES is not set, but access tokens signed with key \"%.63s\" are valid until %s UTC and a "
               "throwaway key would refuse them all: set it to a list holding that key's file, or start after then",
               kid, until);
    else
      snprintf(c->refusal, sizeof c->refusal,
               "HUB_JWT_KEY_FILES lacks the key \"%.63s\" that signed access tokens valid until %s UTC, which would all "
               "be refused: keep its file in the list until then (the last file signs)",
               kid, until);
  }
}

static hub_status check_fn(hub_tx *tx, void *ud) {
  check_ctx *c = ud;
  c->refusal[0] = '\0';
  const char *live_s = c->live_s;
  hub_tx_exec(tx, &lock_sql, NULL);
  hub_rows *recorded = hub_tx_exec(tx, &recorded_sql, (const char *[]){live_s});
  hub_rows *sealed = hub_tx_exec(tx, &sealed_sql, NULL);
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  st = check_data_key(tx, c, recorded, sealed);
  if (hub_ok(st) && !c->refusal[0]) check_signing_keys(c, recorded);
  if (!hub_ok(st)) return st;
  if (c->refusal[0]) return hub_status_fixed(HUB_FAILED_PRECONDITION, "refused"); /* rolls back: nothing recorded */
  char kid[64] = "", fp[65] = "";
  if (!c->keys->ring_throwaway && !hub_keyring_fingerprint(c->keys->ring, 0, kid, fp))
    return hub_status_fixed(HUB_INTERNAL, "no signing key");
  hub_tx_exec(tx, &retire_sql, (const char *[]){live_s, fp});
  if (!c->keys->ring_throwaway) hub_tx_exec(tx, &record_signer_sql, (const char *[]){fp, kid});
  hub_tx_exec(tx, &prune_sql, NULL);
  return HUB_STATUS_OK;
}

int hub_key_check(const hub_config *cfg, const hub_start_keys *keys) {
  hub_arena *a = hub_arena_new(0);
  hub_pg *pg = hub_pg_new(cfg->database_url, cfg->db_timeout_ms);
  check_ctx c = {.cfg = cfg, .keys = keys};
  snprintf(c.live_s, sizeof c.live_s, "%d", HUB_TOKEN_MAX_TTL_S + HUB_TOKEN_SKEW_S);
  hub_status st = hub_tx_run(pg, a, NULL, NULL, cfg->db_timeout_ms, check_fn, &c);
  int rc = 0;
  if (c.refusal[0]) {
    fprintf(stderr, "hubd: %s\n", c.refusal);
    rc = 2;
  } else if (!hub_ok(st)) {
    hub_logf(HUB_LOG_ERROR, "cannot check the keys against the database: %s", st.message);
    rc = 1;
  }
  hub_pg_free(pg);
  hub_arena_free(a);
  return rc;
}
