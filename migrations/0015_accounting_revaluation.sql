-- Revaluation of open foreign-currency items, and each account's cash-flow class.
--
-- Revaluation (RevalueOpenItems): every open document and every unallocated payment in a currency
-- other than the base carries its open amount at a base value (migration 0013). A revaluation at
-- a day values each at that day's rate, posts the difference as one adjusting entry (control
-- accounts against the exchange gain and loss accounts) and moves the item's carrying value to
-- the new figure in the same transaction. A later settlement's realized difference is measured
-- from that carrying value, so the unrealized part is booked once and never again: revaluing at
-- the same rate finds nothing to move, and settlement books only what happened since. Each run
-- and each item it moved are kept (what it was carried at, at what rate, what it became).
CREATE TABLE accounting_revaluations (
  tenant_id   uuid        NOT NULL REFERENCES tenants,
  id          uuid        NOT NULL,
  reval_date  date        NOT NULL,
  entry_id    uuid,                   -- NULL: nothing had moved
  net_gain    bigint      NOT NULL,   -- base currency minor units; a loss is negative
  request_id  uuid,
  created_by  uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, entry_id) REFERENCES accounting_entries (tenant_id, id)
);
CREATE UNIQUE INDEX accounting_revaluations_request ON accounting_revaluations (tenant_id, request_id)
  WHERE request_id IS NOT NULL;
CREATE INDEX accounting_revaluations_date ON accounting_revaluations (tenant_id, reval_date DESC, id DESC);
CALL hub_tenant_table('accounting_revaluations');
REVOKE UPDATE, DELETE ON accounting_revaluations FROM hub_app;

CREATE TABLE accounting_revaluation_items (
  tenant_id       uuid    NOT NULL REFERENCES tenants,
  revaluation_id  uuid    NOT NULL,
  item_no         int     NOT NULL,
  document_id     uuid,
  payment_id      uuid,
  currency        text    NOT NULL,
  open_amount     bigint  NOT NULL CHECK (open_amount > 0),
  rate            numeric NOT NULL CHECK (rate > 0),
  before_base     bigint  NOT NULL,
  after_base      bigint  NOT NULL,
  gain            bigint  NOT NULL,
  PRIMARY KEY (tenant_id, revaluation_id, item_no),
  FOREIGN KEY (tenant_id, revaluation_id) REFERENCES accounting_revaluations (tenant_id, id),
  FOREIGN KEY (tenant_id, document_id) REFERENCES accounting_documents (tenant_id, id),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES accounting_payments (tenant_id, id),
  CHECK ((document_id IS NULL) <> (payment_id IS NULL)),
  CHECK (before_base <> after_base)
);
CREATE INDEX accounting_revaluation_items_document ON accounting_revaluation_items (tenant_id, document_id)
  WHERE document_id IS NOT NULL;
CALL hub_tenant_table('accounting_revaluation_items');
REVOKE UPDATE, DELETE ON accounting_revaluation_items FROM hub_app;

-- The cash-flow statement (indirect) needs to know which accounts are cash and how the others'
-- movements count: operating, investing or financing. NULL takes the type's default (assets and
-- liabilities operating, equity financing). The generic chart marks its own.
ALTER TABLE accounting_accounts ADD COLUMN cash_flow text
  CHECK (cash_flow IN ('cash', 'operating', 'investing', 'financing'));
ALTER TABLE accounting_default_chart ADD COLUMN cash_flow text;
UPDATE accounting_default_chart SET cash_flow = CASE code WHEN '1010' THEN 'cash' WHEN '1020' THEN 'cash'
  WHEN '1500' THEN 'investing' WHEN '2500' THEN 'financing' END
 WHERE code IN ('1010', '1020', '1500', '2500');
-- Books made before this migration: their generic accounts, where still named as made.
UPDATE accounting_accounts a SET cash_flow = c.cash_flow
  FROM accounting_default_chart c
 WHERE c.cash_flow IS NOT NULL AND a.code = c.code AND a.name = c.name AND a.cash_flow IS NULL;

CREATE OR REPLACE FUNCTION accounting_open_books() RETURNS accounting_books LANGUAGE plpgsql AS $$
DECLARE
  b accounting_books;
  t uuid := hub_current_tenant();
BEGIN
  SELECT * INTO b FROM accounting_books WHERE tenant_id = t;
  IF FOUND THEN RETURN b; END IF;
  INSERT INTO accounting_books (tenant_id) VALUES (t) ON CONFLICT DO NOTHING RETURNING * INTO b;
  IF NOT FOUND THEN -- a concurrent first use made them
    SELECT * INTO b FROM accounting_books WHERE tenant_id = t;
    RETURN b;
  END IF;
  INSERT INTO accounting_accounts (tenant_id, code, name, type, normal_side, cash_flow)
    SELECT t, c.code, c.name, c.type, CASE WHEN c.type IN ('asset', 'expense') THEN 'debit' ELSE 'credit' END, c.cash_flow
      FROM accounting_default_chart c ON CONFLICT (tenant_id, code) DO NOTHING;
  UPDATE accounting_accounts a SET parent_id = p.id
    FROM accounting_default_chart c JOIN accounting_accounts p ON p.tenant_id = t AND p.code = c.parent
   WHERE a.tenant_id = t AND a.code = c.code AND a.parent_id IS NULL;
  RETURN b;
END $$;
