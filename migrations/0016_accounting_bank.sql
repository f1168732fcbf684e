-- Bank statements and their reconciliation with the books.
--
-- A statement is imported (CSV with a column map, or OFX) for one bank account of the chart; its
-- lines are the bank's view of the account (amount signed: money in positive). A line is
-- identified by the bank's transaction id (OFX FITID, a CSV id column) or, without one, by a hash
-- of its date, amount, texts and its occurrence in the file, so importing overlapping statements
-- never doubles a line. Reconciling links a bank line to the one journal line (of the same
-- account, currency, amount and side) that explains it: one to one, enforced by unique keys, so
-- a book line can never explain two bank lines however many people reconcile at once.
CREATE TABLE accounting_bank_statements (
  tenant_id       uuid        NOT NULL REFERENCES tenants,
  id              uuid        NOT NULL,
  account_id      uuid        NOT NULL,
  format          text        NOT NULL CHECK (format IN ('csv', 'ofx')),
  file_sha256     text        NOT NULL,
  currency        text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  first_date      date,
  last_date       date,
  lines_imported  int         NOT NULL CHECK (lines_imported >= 0),
  lines_skipped   int         NOT NULL CHECK (lines_skipped >= 0),
  closing_balance bigint,     -- the bank's ledger balance (OFX LEDGERBAL), when given
  closing_date    date,
  request_id      uuid,
  created_by      uuid,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, account_id, file_sha256),
  FOREIGN KEY (tenant_id, account_id) REFERENCES accounting_accounts (tenant_id, id),
  CHECK ((closing_balance IS NULL) = (closing_date IS NULL))
);
CREATE UNIQUE INDEX accounting_bank_statements_request ON accounting_bank_statements (tenant_id, request_id)
  WHERE request_id IS NOT NULL;
CALL hub_tenant_table('accounting_bank_statements');
REVOKE UPDATE, DELETE ON accounting_bank_statements FROM hub_app;

CREATE TABLE accounting_bank_lines (
  tenant_id    uuid        NOT NULL REFERENCES tenants,
  id           uuid        NOT NULL DEFAULT hub_uuid_v7(),
  statement_id uuid        NOT NULL,
  account_id   uuid        NOT NULL,
  line_no      int         NOT NULL CHECK (line_no >= 0),
  txn_date     date        NOT NULL,
  amount       bigint      NOT NULL CHECK (amount <> 0),
  currency     text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  description  text        NOT NULL DEFAULT '',
  reference    text        NOT NULL DEFAULT '',
  external_id  text,        -- the bank's own transaction id, when it gives one
  fingerprint  text        NOT NULL,
  entry_id     uuid,
  entry_line   int,
  matched_by   uuid,
  matched_at   timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, account_id, fingerprint),
  FOREIGN KEY (tenant_id, statement_id) REFERENCES accounting_bank_statements (tenant_id, id),
  FOREIGN KEY (tenant_id, account_id) REFERENCES accounting_accounts (tenant_id, id),
  FOREIGN KEY (tenant_id, entry_id, entry_line) REFERENCES accounting_lines (tenant_id, entry_id, line_no),
  CHECK ((entry_id IS NULL) = (entry_line IS NULL)),
  CHECK ((entry_id IS NULL) = (matched_at IS NULL))
);
CREATE UNIQUE INDEX accounting_bank_lines_book ON accounting_bank_lines (tenant_id, entry_id, entry_line)
  WHERE entry_id IS NOT NULL;
CREATE INDEX accounting_bank_lines_account ON accounting_bank_lines (tenant_id, account_id, txn_date, id);
CREATE INDEX accounting_bank_lines_open ON accounting_bank_lines (tenant_id, account_id, txn_date)
  WHERE entry_id IS NULL;
CALL hub_tenant_table('accounting_bank_lines');
REVOKE DELETE ON accounting_bank_lines FROM hub_app;

-- A bank line's own facts never change; only its match is set and cleared.
CREATE FUNCTION accounting_bank_line_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (to_jsonb(OLD) - 'entry_id' - 'entry_line' - 'matched_by' - 'matched_at')
     <> (to_jsonb(NEW) - 'entry_id' - 'entry_line' - 'matched_by' - 'matched_at') THEN
    RAISE EXCEPTION 'accounting: a bank line is as the bank reported it' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER accounting_bank_lines_frozen BEFORE UPDATE ON accounting_bank_lines
  FOR EACH ROW EXECUTE FUNCTION accounting_bank_line_frozen();
