-- Receivables and payables (ExaKeep): tax codes, customers and vendors, documents (sales
-- invoices, purchase bills, credit notes, expense claims) with their lines, gap-free numbers,
-- payments and their allocation to documents. What must hold whoever writes:
--   * a finalized document is numbered from a counter row taken in the finalizing transaction,
--     so numbers of a series have no gaps and no duplicates (a rollback gives the number back);
--   * it posts its entry in that same transaction, through accounting_post like every entry;
--   * a finalized document's amounts and lines never change (a trigger refuses it); only its
--     open amount moves, and never below zero, by allocations;
--   * an allocation never applies more than the credit (payment or credit note) has left.
-- Totals are computed by the service (invoice_math.c, exact integers) and stored per line;
-- accounting_doc_finalize turns them into the entry. Realized exchange differences are entries
-- of their own (kind 'document', source accounting.allocation), linked from the allocation.

-- The control accounts documents and payments post to, by code in the tenant's chart.
ALTER TABLE accounting_books
  ADD COLUMN receivable_code text NOT NULL DEFAULT '1100',
  ADD COLUMN payable_code    text NOT NULL DEFAULT '2010',
  ADD COLUMN bank_code       text NOT NULL DEFAULT '1020',
  ADD COLUMN fx_gain_code    text NOT NULL DEFAULT '4950',
  ADD COLUMN fx_loss_code    text NOT NULL DEFAULT '6950';

CREATE TABLE accounting_tax_codes (
  tenant_id    uuid        NOT NULL REFERENCES tenants,
  id           uuid        NOT NULL DEFAULT hub_uuid_v7(),
  code         text        NOT NULL,
  name         text        NOT NULL,
  rate         numeric(7,4) NOT NULL CHECK (rate >= 0 AND rate <= 100),
  inclusive    boolean     NOT NULL DEFAULT false,
  recoverable  boolean     NOT NULL DEFAULT true,
  output_account_id uuid   NOT NULL,
  input_account_id  uuid   NOT NULL,
  archived     boolean     NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, output_account_id) REFERENCES accounting_accounts (tenant_id, id),
  FOREIGN KEY (tenant_id, input_account_id) REFERENCES accounting_accounts (tenant_id, id)
);
CALL hub_tenant_table('accounting_tax_codes');
REVOKE DELETE ON accounting_tax_codes FROM hub_app;

CREATE TABLE accounting_parties (
  tenant_id    uuid        NOT NULL REFERENCES tenants,
  id           uuid        NOT NULL DEFAULT hub_uuid_v7(),
  role         text        NOT NULL CHECK (role IN ('customer', 'vendor', 'both')),
  name         text        NOT NULL,
  email        text        NOT NULL DEFAULT '',
  tax_number   text        NOT NULL DEFAULT '',
  payment_terms_days int   NOT NULL DEFAULT 30 CHECK (payment_terms_days BETWEEN 0 AND 365),
  request_id   uuid,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX accounting_parties_request ON accounting_parties (tenant_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX accounting_parties_name ON accounting_parties (tenant_id, name, id);
CALL hub_tenant_table('accounting_parties');
REVOKE DELETE ON accounting_parties FROM hub_app;

-- Gap-free numbers: one row per (tenant, series), taken FOR UPDATE by the finalizing transaction.
CREATE TABLE accounting_doc_counters (
  tenant_id   uuid   NOT NULL REFERENCES tenants,
  series      text   NOT NULL,
  last_number bigint NOT NULL CHECK (last_number > 0),
  PRIMARY KEY (tenant_id, series)
);
CALL hub_tenant_table('accounting_doc_counters');
REVOKE DELETE ON accounting_doc_counters FROM hub_app;

CREATE TABLE accounting_documents (
  tenant_id    uuid        NOT NULL REFERENCES tenants,
  id           uuid        NOT NULL DEFAULT hub_uuid_v7(),
  kind         text        NOT NULL CHECK (kind IN ('sales_invoice', 'sales_credit_note', 'purchase_bill',
                                                    'purchase_credit_note', 'expense')),
  status       text        NOT NULL CHECK (status IN ('draft', 'submitted', 'rejected', 'open', 'settled')),
  number       text,
  party_id     uuid        NOT NULL,
  issue_date   date        NOT NULL,
  due_date     date        NOT NULL,
  currency     text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  net          bigint      NOT NULL CHECK (net >= 0),
  tax          bigint      NOT NULL CHECK (tax >= 0),
  gross        bigint      NOT NULL CHECK (gross > 0 AND gross = net + tax),
  -- Finalized: what is still open, in the document's currency and at its carrying base value.
  open_amount  bigint      NOT NULL DEFAULT 0 CHECK (open_amount >= 0 AND open_amount <= gross),
  open_base    bigint      NOT NULL DEFAULT 0 CHECK (open_base >= 0),
  base_gross   bigint,
  reference    text        NOT NULL DEFAULT '',
  notes        text        NOT NULL DEFAULT '',
  paid_from_code text,
  rejection_reason text    NOT NULL DEFAULT '',
  entry_id     uuid,
  request_id   uuid,
  created_by   uuid,
  approved_by  uuid,
  version      bigint      NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, party_id) REFERENCES accounting_parties (tenant_id, id),
  FOREIGN KEY (tenant_id, entry_id) REFERENCES accounting_entries (tenant_id, id),
  CHECK (due_date >= issue_date),
  CHECK ((status IN ('open', 'settled')) = (number IS NOT NULL AND entry_id IS NOT NULL)),
  CHECK (status <> 'settled' OR open_amount = 0),
  CHECK (paid_from_code IS NULL OR kind = 'expense')
);
CREATE UNIQUE INDEX accounting_documents_request ON accounting_documents (tenant_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX accounting_documents_date ON accounting_documents (tenant_id, issue_date, id);
CREATE INDEX accounting_documents_open ON accounting_documents (tenant_id, party_id, currency, due_date)
  WHERE status = 'open';
CALL hub_tenant_table('accounting_documents');
REVOKE DELETE ON accounting_documents FROM hub_app;

CREATE TABLE accounting_document_lines (
  tenant_id    uuid   NOT NULL REFERENCES tenants,
  document_id  uuid   NOT NULL,
  line_no      int    NOT NULL CHECK (line_no >= 0),
  description  text   NOT NULL,
  account_id   uuid   NOT NULL,
  quantity     numeric(20,4) NOT NULL CHECK (quantity > 0),
  unit_price   bigint NOT NULL CHECK (unit_price >= 0),
  discount     bigint NOT NULL CHECK (discount >= 0),
  tax_code_id  uuid,
  net          bigint NOT NULL CHECK (net >= 0),
  tax          bigint NOT NULL CHECK (tax >= 0),
  gross        bigint NOT NULL CHECK (gross = net + tax),
  brand        text   NOT NULL DEFAULT '',
  department   text   NOT NULL DEFAULT '',
  project      text   NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, document_id, line_no),
  FOREIGN KEY (tenant_id, document_id) REFERENCES accounting_documents (tenant_id, id),
  FOREIGN KEY (tenant_id, account_id) REFERENCES accounting_accounts (tenant_id, id),
  FOREIGN KEY (tenant_id, tax_code_id) REFERENCES accounting_tax_codes (tenant_id, id)
);
CALL hub_tenant_table('accounting_document_lines');
REVOKE UPDATE ON accounting_document_lines FROM hub_app;

-- Per tax code totals, in the document's currency and (set when finalized) the base currency.
CREATE TABLE accounting_document_taxes (
  tenant_id    uuid   NOT NULL REFERENCES tenants,
  document_id  uuid   NOT NULL,
  tax_code_id  uuid   NOT NULL,
  base         bigint NOT NULL CHECK (base >= 0),
  tax          bigint NOT NULL CHECK (tax >= 0),
  base_in_base bigint,
  tax_in_base  bigint,
  PRIMARY KEY (tenant_id, document_id, tax_code_id),
  FOREIGN KEY (tenant_id, document_id) REFERENCES accounting_documents (tenant_id, id),
  FOREIGN KEY (tenant_id, tax_code_id) REFERENCES accounting_tax_codes (tenant_id, id)
);
CALL hub_tenant_table('accounting_document_taxes');

-- A draft's lines and taxes may be replaced; a finalized document's never change.
CREATE FUNCTION accounting_document_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  s text;
BEGIN
  IF TG_TABLE_NAME = 'accounting_documents' THEN
    IF OLD.status IN ('open', 'settled') AND (NEW.net, NEW.tax, NEW.gross, NEW.currency, NEW.party_id, NEW.issue_date,
        NEW.number, NEW.entry_id, NEW.kind, NEW.base_gross) IS DISTINCT FROM
        (OLD.net, OLD.tax, OLD.gross, OLD.currency, OLD.party_id, OLD.issue_date, OLD.number, OLD.entry_id, OLD.kind,
         OLD.base_gross) THEN
      RAISE EXCEPTION 'accounting: document % is finalized', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
  END IF;
  SELECT d.status INTO s FROM accounting_documents d WHERE d.tenant_id = OLD.tenant_id AND d.id = OLD.document_id;
  IF s IN ('open', 'settled') THEN
    -- Of a finalized document's taxes only the base-currency figures are written, once.
    IF TG_TABLE_NAME = 'accounting_document_lines' OR TG_OP = 'DELETE' THEN
      RAISE EXCEPTION 'accounting: document % is finalized', OLD.document_id USING ERRCODE = 'integrity_constraint_violation';
    ELSIF (NEW.base, NEW.tax, OLD.base_in_base) IS DISTINCT FROM (OLD.base, OLD.tax, NULL::bigint) THEN
      RAISE EXCEPTION 'accounting: document % is finalized', OLD.document_id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER accounting_documents_frozen BEFORE UPDATE ON accounting_documents
  FOR EACH ROW EXECUTE FUNCTION accounting_document_frozen();
CREATE TRIGGER accounting_document_lines_frozen BEFORE UPDATE OR DELETE ON accounting_document_lines
  FOR EACH ROW EXECUTE FUNCTION accounting_document_frozen();
CREATE TRIGGER accounting_document_taxes_frozen BEFORE UPDATE OR DELETE ON accounting_document_taxes
  FOR EACH ROW EXECUTE FUNCTION accounting_document_frozen();

CREATE TABLE accounting_payments (
  tenant_id    uuid        NOT NULL REFERENCES tenants,
  id           uuid        NOT NULL,
  direction    text        NOT NULL CHECK (direction IN ('received', 'sent')),
  party_id     uuid        NOT NULL,
  account_code text        NOT NULL,
  pay_date     date        NOT NULL,
  amount       bigint      NOT NULL CHECK (amount > 0),
  currency     text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  base_amount  bigint      NOT NULL CHECK (base_amount >= 0),
  unallocated  bigint      NOT NULL CHECK (unallocated >= 0 AND unallocated <= amount),
  unallocated_base bigint  NOT NULL CHECK (unallocated_base >= 0),
  reference    text        NOT NULL DEFAULT '',
  entry_id     uuid        NOT NULL,
  request_id   uuid,
  created_by   uuid,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, party_id) REFERENCES accounting_parties (tenant_id, id),
  FOREIGN KEY (tenant_id, entry_id) REFERENCES accounting_entries (tenant_id, id)
);
CREATE UNIQUE INDEX accounting_payments_request ON accounting_payments (tenant_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX accounting_payments_open ON accounting_payments (tenant_id, party_id, currency) WHERE unallocated > 0;
CALL hub_tenant_table('accounting_payments');
REVOKE DELETE ON accounting_payments FROM hub_app;

-- One application of a credit (a payment or a credit note) to a document. doc_base and
-- credit_base are the carrying base values each side gave up; their difference is the realized
-- exchange difference, posted as fx_entry_id.
CREATE TABLE accounting_allocations (
  tenant_id      uuid        NOT NULL REFERENCES tenants,
  id             uuid        NOT NULL DEFAULT hub_uuid_v7(),
  document_id    uuid        NOT NULL,
  payment_id     uuid,
  credit_note_id uuid,
  amount         bigint      NOT NULL CHECK (amount > 0),
  doc_base       bigint      NOT NULL CHECK (doc_base >= 0),
  credit_base    bigint      NOT NULL CHECK (credit_base >= 0),
  fx_entry_id    uuid,
  alloc_date     date        NOT NULL,
  created_by     uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, document_id) REFERENCES accounting_documents (tenant_id, id),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES accounting_payments (tenant_id, id),
  FOREIGN KEY (tenant_id, credit_note_id) REFERENCES accounting_documents (tenant_id, id),
  FOREIGN KEY (tenant_id, fx_entry_id) REFERENCES accounting_entries (tenant_id, id),
  CHECK ((payment_id IS NULL) <> (credit_note_id IS NULL)),
  CHECK ((fx_entry_id IS NULL) = (doc_base = credit_base))
);
CREATE INDEX accounting_allocations_document ON accounting_allocations (tenant_id, document_id);
CREATE INDEX accounting_allocations_payment ON accounting_allocations (tenant_id, payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX accounting_allocations_credit ON accounting_allocations (tenant_id, credit_note_id) WHERE credit_note_id IS NOT NULL;
CALL hub_tenant_table('accounting_allocations');
REVOKE UPDATE, DELETE ON accounting_allocations FROM hub_app;

-- Finalizes document p_id (a draft; or, with p_approve, a submitted expense; with p_approve
-- false, rejects it with p_reason): numbers it from its series' counter and posts its entry,
-- all or nothing. The entry, by side:
--   sales invoice          Dr receivable gross | Cr each line's account net, Cr output tax per code
--   purchase bill/expense  Dr each line's account net (+ tax not recoverable), Dr input tax per
--                          recoverable code | Cr payable gross (an expense paid at once: the paying account)
--   credit notes           the same, sides swapped
-- Line 0 is always the control (or paying) line: its base amount is the document's carrying value.
-- Answers one row: outcome 'finalized', 'exists' (finalized before), 'rejected' or 'refused'
-- (code, field, message as accounting_post_checked names them).
CREATE FUNCTION accounting_doc_finalize(p_id uuid, p_approve boolean DEFAULT NULL, p_reason text DEFAULT NULL)
  RETURNS TABLE (outcome text, code text, field text, message text)
  LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  t uuid := hub_current_tenant();
  d accounting_documents;
  b accounting_books;
  v_code text; v_field text; v_msg text;
  v_series text; v_n bigint; control text; sales boolean; flip boolean;
  cside text; oside text; lines jsonb; posted record; base0 bigint;
BEGIN
  BEGIN
    SELECT * INTO d FROM accounting_documents x WHERE x.tenant_id = t AND x.id = p_id FOR UPDATE;
    IF NOT FOUND THEN PERFORM accounting_refuse('NOT_FOUND', 'id', 'no such document'); END IF;
    IF d.status IN ('open', 'settled') THEN
      RETURN QUERY SELECT 'exists'::text, NULL::text, NULL::text, NULL::text; RETURN;
    END IF;
    IF p_approve IS NULL AND d.kind = 'expense' THEN
      PERFORM accounting_refuse('FAILED_PRECONDITION', 'id', 'an expense is approved, not finalized');
    ELSIF p_approve IS NULL AND d.status <> 'draft' THEN
      PERFORM accounting_refuse('FAILED_PRECONDITION', 'id', format('a %s document is not finalized', d.status));
    ELSIF p_approve IS NOT NULL AND (d.kind <> 'expense' OR d.status <> 'submitted') THEN
      PERFORM accounting_refuse('FAILED_PRECONDITION', 'id', 'only a submitted expense is approved or rejected');
    END IF;
    IF p_approve AND d.created_by IS NOT DISTINCT FROM hub_current_user() THEN
      PERFORM accounting_refuse('PERMISSION_DENIED', 'id', 'an expense is approved by someone other than its submitter');
    END IF;
    IF p_approve = false THEN
      UPDATE accounting_documents x SET status = 'rejected', rejection_reason = p_reason, approved_by = hub_current_user(),
             version = x.version + 1, updated_at = now()
       WHERE x.tenant_id = t AND x.id = p_id;
      RETURN QUERY SELECT 'rejected'::text, NULL::text, NULL::text, NULL::text; RETURN;
    END IF;

    b := accounting_open_books();
    v_series := CASE d.kind WHEN 'sales_invoice' THEN 'INV' WHEN 'sales_credit_note' THEN 'CN'
                          WHEN 'purchase_bill' THEN 'BILL' WHEN 'purchase_credit_note' THEN 'DN' ELSE 'EXP' END;
    INSERT INTO accounting_doc_counters AS c (tenant_id, series, last_number) VALUES (t, v_series, 1)
      ON CONFLICT (tenant_id, series) DO UPDATE SET last_number = c.last_number + 1
      RETURNING c.last_number INTO v_n;
    sales := d.kind IN ('sales_invoice', 'sales_credit_note');
    flip := d.kind IN ('sales_credit_note', 'purchase_credit_note');
    control := CASE WHEN d.paid_from_code IS NOT NULL THEN d.paid_from_code
                    WHEN sales THEN b.receivable_code ELSE b.payable_code END;
    -- The control side is the debit of a sales invoice and of a purchase credit note.
    cside := CASE WHEN sales <> flip THEN 'debit' ELSE 'credit' END;
    oside := CASE WHEN cside = 'debit' THEN 'credit' ELSE 'debit' END;

    SELECT jsonb_agg(l ORDER BY o) INTO lines FROM (
      SELECT 0 AS o, jsonb_build_object('account_code', control, 'side', cside, 'amount', d.gross, 'currency', d.currency,
                                        'description', v_series || '-' || lpad(v_n::text, 6, '0')) AS l
      UNION ALL
      SELECT 1 + row_number() OVER (ORDER BY min(x.line_no)),
             jsonb_build_object('account_id', x.account_id, 'side', oside, 'currency', d.currency,
                                'amount', sum(x.net + CASE WHEN NOT sales AND tc.id IS NOT NULL AND NOT tc.recoverable
                                                           THEN x.tax ELSE 0 END),
                                'description', min(x.description), 'brand', x.brand, 'department', x.department,
                                'project', x.project)
        FROM accounting_document_lines x LEFT JOIN accounting_tax_codes tc ON tc.tenant_id = t AND tc.id = x.tax_code_id
       WHERE x.tenant_id = t AND x.document_id = p_id
       GROUP BY x.account_id, x.brand, x.department, x.project
      HAVING sum(x.net + CASE WHEN NOT sales AND tc.id IS NOT NULL AND NOT tc.recoverable THEN x.tax ELSE 0 END) > 0
      UNION ALL
      SELECT 100000 + row_number() OVER (ORDER BY tc.code),
             jsonb_build_object('account_id', CASE WHEN sales THEN tc.output_account_id ELSE tc.input_account_id END,
                                'side', oside, 'amount', sum(dt.tax), 'currency', d.currency, 'description', 'Tax ' || tc.code)
        FROM accounting_document_taxes dt JOIN accounting_tax_codes tc ON tc.tenant_id = t AND tc.id = dt.tax_code_id
       WHERE dt.tenant_id = t AND dt.document_id = p_id AND (sales OR tc.recoverable)
       GROUP BY tc.id, tc.code, tc.output_account_id, tc.input_account_id
      HAVING sum(dt.tax) > 0) q;

    SELECT * INTO posted FROM accounting_post(jsonb_build_array(jsonb_build_object(
        'i', 0, 'date', d.issue_date, 'kind', 'document', 'source', 'accounting.document', 'source_id', d.id::text,
        'description', initcap(replace(d.kind, '_', ' ')) || ' ' || v_series || '-' || lpad(v_n::text, 6, '0'),
        'reference', d.reference, 'lines', lines))) r;
    SELECT l.base_amount INTO base0 FROM accounting_lines l
     WHERE l.tenant_id = t AND l.entry_id = posted.id AND l.line_no = 0;

    UPDATE accounting_documents x
       SET status = CASE WHEN d.paid_from_code IS NOT NULL THEN 'settled' ELSE 'open' END,
           number = v_series || '-' || lpad(v_n::text, 6, '0'), entry_id = posted.id, base_gross = base0,
           open_amount = CASE WHEN d.paid_from_code IS NOT NULL THEN 0 ELSE d.gross END,
           open_base = CASE WHEN d.paid_from_code IS NOT NULL THEN 0 ELSE base0 END,
           approved_by = CASE WHEN p_approve THEN hub_current_user() END,
           version = x.version + 1, updated_at = now()
     WHERE x.tenant_id = t AND x.id = p_id;
    -- The tax return's figures in the base currency, at the document's own rate.
    UPDATE accounting_document_taxes dt
       SET base_in_base = round(dt.base::numeric * base0 / d.gross)::bigint,
           tax_in_base = round(dt.tax::numeric * base0 / d.gross)::bigint
     WHERE dt.tenant_id = t AND dt.document_id = p_id;
    RETURN QUERY SELECT 'finalized'::text, NULL::text, NULL::text, NULL::text;
  EXCEPTION WHEN SQLSTATE 'HA001' THEN
    GET STACKED DIAGNOSTICS v_code = PG_EXCEPTION_HINT, v_field = PG_EXCEPTION_DETAIL, v_msg = MESSAGE_TEXT;
    RETURN QUERY SELECT 'refused'::text, v_code, v_field, v_msg;
  END;
END $$;

INSERT INTO role_permissions (role, permission) VALUES
  ('member', 'accounting.parties.view'), ('member', 'accounting.documents.view'),
  ('member', 'accounting.documents.create'), ('member', 'accounting.tax_codes.view')
ON CONFLICT DO NOTHING;
