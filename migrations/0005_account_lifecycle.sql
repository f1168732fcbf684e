-- Account lifecycle: the profile (locale, time zone, avatar), a change of email address that
-- is verified at the new address, and deletion: scheduled after a grace period, then purged
-- to a tombstone row (no personal data, email freed) so audit events still name an account.
--
-- Everything here is global (users, account tokens): no tenant-owned table is added, so no
-- new row-level security policy is needed. The purge removes memberships tenant by tenant,
-- under each tenant's own policies.

ALTER TABLE users
  ADD COLUMN locale                text,        -- a BCP 47 tag ("de-CH"); NULL: the brand's default
  ADD COLUMN time_zone             text,        -- an IANA zone ("Europe/Zurich"); NULL: UTC
  ADD COLUMN avatar_url            text,        -- an https URL; NULL: none
  ADD COLUMN deletion_requested_at timestamptz, -- DeleteMyAccount was called (NULL again on cancel)
  ADD COLUMN deletion_due_at       timestamptz, -- the purge may run from then on
  ADD COLUMN deleted_at            timestamptz; -- purged: the row is a tombstone

-- The purge looks for accounts that came due.
CREATE INDEX users_deletion_due ON users (deletion_due_at) WHERE deletion_due_at IS NOT NULL AND deleted_at IS NULL;

-- A change of email is one more single-use account token; it carries the address it proves.
ALTER TABLE account_tokens DROP CONSTRAINT account_tokens_purpose_check;
ALTER TABLE account_tokens ADD CONSTRAINT account_tokens_purpose_check
  CHECK (purpose IN ('password_reset', 'verify_email', 'email_change'));
ALTER TABLE account_tokens
  ADD COLUMN new_email text,
  ADD CONSTRAINT account_tokens_new_email CHECK ((purpose = 'email_change') = (new_email IS NOT NULL));
