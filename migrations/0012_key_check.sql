-- Key checks: what hubd checks its keys against when it starts (server/hubd/key_check.c), so a
-- missing or wrong key stops it with one line and exit code 2 instead of silently leaving every
-- sealed TOTP secret unreadable or every live access token refused.
--   data_key         one row: a known text sealed (AES-256-GCM) under HUB_DATA_KEY_FILE's key;
--                    it opens only with that key.
--   jwt_signing_key  a row per key that has signed access tokens: the SHA-256 of its public key
--                    (DER) and its kid. signed_until is NULL while it is the signing key, then
--                    the time until which the tokens it signed may still be valid.
-- Global (no tenant): the server's role reads and writes it at start, before serving.

CREATE TABLE key_checks (
  purpose      text        NOT NULL CHECK (purpose IN ('data_key', 'jwt_signing_key')),
  check_value  bytea       NOT NULL,
  kid          text        NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  signed_until timestamptz,
  PRIMARY KEY (purpose, check_value)
);
-- One data key, and one signing key at a time.
CREATE UNIQUE INDEX key_checks_current ON key_checks (purpose) WHERE signed_until IS NULL;
