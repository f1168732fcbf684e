-- Accounting (ExaKeep): a tenant's double-entry books. What makes them impossible to unbalance
-- is here, in the database, so no caller (the service, Billing posting through api.h, an
-- operator with psql as the application role) can get around it:
--   * every entry's lines balance per currency: a statement-level trigger checks each INSERT's
--     lines together (one query per statement, not per row);
--   * posted lines are never changed: the application role has no UPDATE or DELETE on them, and
--     a trigger refuses the owner too; an entry row changes only from pending to posted/voided;
--   * balances move in the posting transaction, by one function (accounting_post) that locks
--     the balance rows in one order (account, currency), so concurrent posters queue on a hot
--     account instead of deadlocking, and checks every balance rule after the move.
-- Tenant-owned through hub_tenant_table (0008). Amounts are int64 minor units; rates exact
-- numerics. Value shapes (code characters, name length) are the contract's field rules.

-- ISO-4217 minor units where they are not 2 (everything else has 2).
CREATE TABLE accounting_currency_exponents (
  code     text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
  exponent int  NOT NULL CHECK (exponent BETWEEN 0 AND 4)
);
INSERT INTO accounting_currency_exponents (code, exponent) VALUES
  ('BIF', 0), ('CLP', 0), ('DJF', 0), ('GNF', 0), ('ISK', 0), ('JPY', 0), ('KMF', 0), ('KRW', 0),
  ('PYG', 0), ('RWF', 0), ('UGX', 0), ('UYI', 0), ('VND', 0), ('VUV', 0), ('XAF', 0), ('XOF', 0),
  ('XPF', 0), ('BHD', 3), ('IQD', 3), ('JOD', 3), ('KWD', 3), ('LYD', 3), ('OMR', 3), ('TND', 3),
  ('CLF', 4), ('UYW', 4);
GRANT SELECT ON accounting_currency_exponents TO hub_app;
CREATE FUNCTION accounting_exponent(c text) RETURNS int LANGUAGE sql STABLE AS
$$ SELECT coalesce((SELECT exponent FROM accounting_currency_exponents WHERE code = c), 2) $$;

-- The books of a tenant: made (with the generic chart) the first time anything posts or reads.
CREATE TABLE accounting_books (
  tenant_id     uuid        PRIMARY KEY REFERENCES tenants,
  base_currency text        NOT NULL DEFAULT 'USD' CHECK (base_currency ~ '^[A-Z]{3}$'),
  lock_date     date,                      -- nothing dated on or before it may be posted
  retained_earnings_code text NOT NULL DEFAULT '3900',
  created_at    timestamptz NOT NULL DEFAULT now(),
  version       bigint      NOT NULL DEFAULT 1
);
CALL hub_tenant_table('accounting_books');

CREATE TABLE accounting_accounts (
  tenant_id   uuid        NOT NULL REFERENCES tenants,
  id          uuid        NOT NULL DEFAULT hub_uuid_v7(),
  code        text        NOT NULL,
  name        text        NOT NULL,
  type        text        NOT NULL CHECK (type IN ('asset', 'liability', 'equity', 'income', 'expense')),
  normal_side text        NOT NULL CHECK (normal_side IN ('debit', 'credit')),
  parent_id   uuid,
  currency    text        CHECK (currency ~ '^[A-Z]{3}$'), -- NULL: any currency
  description text        NOT NULL DEFAULT '',
  archived    boolean     NOT NULL DEFAULT false,
  -- Balance rules on the normal-side balance of each currency (NULL: none), held in the
  -- posting transaction with pending amounts counted against them.
  min_balance bigint,
  max_balance bigint,
  request_id  uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  version     bigint      NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES accounting_accounts (tenant_id, id),
  CHECK (parent_id IS DISTINCT FROM id),
  CHECK (min_balance IS NULL OR max_balance IS NULL OR min_balance <= max_balance)
);
CREATE UNIQUE INDEX accounting_accounts_request ON accounting_accounts (tenant_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX accounting_accounts_parent ON accounting_accounts (tenant_id, parent_id);
CALL hub_tenant_table('accounting_accounts');

-- Fiscal periods: posting into a closed one is refused; a soft-closed one takes only
-- adjusting entries.
CREATE TABLE accounting_periods (
  tenant_id   uuid        NOT NULL REFERENCES tenants,
  id          uuid        NOT NULL DEFAULT hub_uuid_v7(),
  fiscal_year int         NOT NULL,
  name        text        NOT NULL,
  start_date  date        NOT NULL,
  end_date    date        NOT NULL,
  state       text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'soft_closed', 'closed')),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  version     bigint      NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  CHECK (start_date <= end_date)
);
CREATE INDEX accounting_periods_dates ON accounting_periods (tenant_id, start_date);
CALL hub_tenant_table('accounting_periods');

-- Exchange rates: 1 unit of from_currency = rate units of to_currency on and after rate_date.
CREATE TABLE accounting_rates (
  tenant_id     uuid    NOT NULL REFERENCES tenants,
  from_currency text    NOT NULL CHECK (from_currency ~ '^[A-Z]{3}$'),
  to_currency   text    NOT NULL CHECK (to_currency ~ '^[A-Z]{3}$'),
  rate_date     date    NOT NULL,
  rate          numeric NOT NULL CHECK (rate > 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, from_currency, to_currency, rate_date)
);
CALL hub_tenant_table('accounting_rates');

-- The journal. seq orders postings for WatchEntries (a resume position); status moves only
-- pending -> posted | voided (trigger below); everything else about an entry is immutable.
CREATE TABLE accounting_entries (
  tenant_id   uuid        NOT NULL REFERENCES tenants,
  id          uuid        NOT NULL,
  seq         bigint      GENERATED ALWAYS AS IDENTITY,
  entry_date  date        NOT NULL,
  description text        NOT NULL DEFAULT '',
  reference   text        NOT NULL DEFAULT '',
  kind        text        NOT NULL DEFAULT 'manual'
                CHECK (kind IN ('manual', 'reversal', 'closing', 'revaluation', 'document')),
  source      text,                      -- who posted it through api.h ("billing.invoice")
  source_id   text,
  status      text        NOT NULL DEFAULT 'posted' CHECK (status IN ('posted', 'pending', 'voided')),
  expires_at  timestamptz,               -- a pending entry's expiry
  adjusting   boolean     NOT NULL DEFAULT false,
  reverses    uuid,                      -- the entry this one reverses
  body_hash   bytea       NOT NULL,      -- sha256 of the request's entry: same id, other body = refused
  posted_by   uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,               -- when a pending entry was posted or voided
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, seq),
  FOREIGN KEY (tenant_id, reverses) REFERENCES accounting_entries (tenant_id, id),
  CHECK ((source IS NULL) = (source_id IS NULL)),
  CHECK (status = 'posted' OR expires_at IS NOT NULL OR status = 'voided')
);
CREATE UNIQUE INDEX accounting_entries_source ON accounting_entries (tenant_id, source, source_id) WHERE source IS NOT NULL;
CREATE UNIQUE INDEX accounting_entries_reversal ON accounting_entries (tenant_id, reverses) WHERE reverses IS NOT NULL;
CREATE INDEX accounting_entries_date ON accounting_entries (tenant_id, entry_date, id);
CREATE INDEX accounting_entries_pending ON accounting_entries (expires_at) WHERE status = 'pending';
CALL hub_tenant_table('accounting_entries');
REVOKE DELETE ON accounting_entries FROM hub_app;

CREATE TABLE accounting_lines (
  tenant_id   uuid    NOT NULL REFERENCES tenants,
  entry_id    uuid    NOT NULL,
  line_no     int     NOT NULL,
  account_id  uuid    NOT NULL,
  side        text    NOT NULL CHECK (side IN ('debit', 'credit')),
  -- amount 0 with a base amount: an exchange difference (realized, or a revaluation), which
  -- moves only the value in the base currency of a foreign-currency balance.
  amount      bigint  NOT NULL CHECK (amount >= 0),
  currency    text    NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  base_amount bigint  NOT NULL CHECK (base_amount >= 0),
  entry_date  date    NOT NULL,          -- the entry's, kept here so ledgers read one index
  description text    NOT NULL DEFAULT '',
  brand       text    NOT NULL DEFAULT '',
  department  text    NOT NULL DEFAULT '',
  project     text    NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, entry_id, line_no),
  CHECK (amount > 0 OR base_amount > 0),
  FOREIGN KEY (tenant_id, entry_id) REFERENCES accounting_entries (tenant_id, id),
  FOREIGN KEY (tenant_id, account_id) REFERENCES accounting_accounts (tenant_id, id)
);
CREATE INDEX accounting_lines_account ON accounting_lines (tenant_id, account_id, entry_date, entry_id);
CALL hub_tenant_table('accounting_lines');
REVOKE UPDATE, DELETE ON accounting_lines FROM hub_app;

-- The current balance of each account in each currency, moved by accounting_post.
CREATE TABLE accounting_balances (
  tenant_id       uuid   NOT NULL REFERENCES tenants,
  account_id      uuid   NOT NULL,
  currency        text   NOT NULL,
  debits_posted   bigint NOT NULL DEFAULT 0,
  credits_posted  bigint NOT NULL DEFAULT 0,
  debits_pending  bigint NOT NULL DEFAULT 0,
  credits_pending bigint NOT NULL DEFAULT 0,
  base_debits     bigint NOT NULL DEFAULT 0,
  base_credits    bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, account_id, currency),
  FOREIGN KEY (tenant_id, account_id) REFERENCES accounting_accounts (tenant_id, id)
);
CALL hub_tenant_table('accounting_balances');
REVOKE DELETE ON accounting_balances FROM hub_app;

-- Posted movements per account, currency, day and dimensions: balances at any past date and
-- reports read these (a few rows per account and day) instead of millions of lines.
CREATE TABLE accounting_daily (
  tenant_id    uuid   NOT NULL REFERENCES tenants,
  account_id   uuid   NOT NULL,
  currency     text   NOT NULL,
  day          date   NOT NULL,
  brand        text   NOT NULL DEFAULT '',
  department   text   NOT NULL DEFAULT '',
  project      text   NOT NULL DEFAULT '',
  debits       bigint NOT NULL DEFAULT 0,
  credits      bigint NOT NULL DEFAULT 0,
  base_debits  bigint NOT NULL DEFAULT 0,
  base_credits bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, account_id, currency, day, brand, department, project)
);
CREATE INDEX accounting_daily_day ON accounting_daily (tenant_id, day);
CALL hub_tenant_table('accounting_daily');
REVOKE DELETE ON accounting_daily FROM hub_app;

-- Beancount's balance assertions: "account X holds Y at the end of day D". A posting that would
-- make one false is refused, naming it.
CREATE TABLE accounting_assertions (
  tenant_id   uuid        NOT NULL REFERENCES tenants,
  id          uuid        NOT NULL DEFAULT hub_uuid_v7(),
  account_id  uuid        NOT NULL,
  currency    text        NOT NULL,
  as_of       date        NOT NULL,
  amount      bigint      NOT NULL,      -- the normal-side balance at the end of as_of
  created_by  uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, account_id, currency, as_of),
  FOREIGN KEY (tenant_id, account_id) REFERENCES accounting_accounts (tenant_id, id)
);
CALL hub_tenant_table('accounting_assertions');

-- ---------------------------------------------------------------- what no one may do

CREATE FUNCTION accounting_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'accounting: posted lines are never changed; post a reversing entry'
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER accounting_lines_immutable BEFORE UPDATE OR DELETE ON accounting_lines
  FOR EACH ROW EXECUTE FUNCTION accounting_refuse_change();
CREATE TRIGGER accounting_lines_no_truncate BEFORE TRUNCATE ON accounting_lines
  FOR EACH STATEMENT EXECUTE FUNCTION accounting_refuse_change();

CREATE FUNCTION accounting_entry_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.status <> 'pending' OR NEW.status NOT IN ('posted', 'voided')
     OR (to_jsonb(OLD) - 'status' - 'resolved_at') <> (to_jsonb(NEW) - 'status' - 'resolved_at') THEN
    RAISE EXCEPTION 'accounting: an entry only moves from pending to posted or voided'
      USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER accounting_entries_immutable BEFORE UPDATE OR DELETE ON accounting_entries
  FOR EACH ROW EXECUTE FUNCTION accounting_entry_transition();

-- Every INSERT's lines balance per entry and currency, in amount and in base amount, and every
-- entry has two lines or more. All lines of an entry go in with one INSERT (accounting_post).
CREATE FUNCTION accounting_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad uuid;
BEGIN
  SELECT g.entry_id INTO bad FROM (
    SELECT entry_id, count(*) AS n,
           sum(CASE side WHEN 'debit' THEN amount ELSE -amount END) AS diff,
           sum(CASE side WHEN 'debit' THEN base_amount ELSE -base_amount END) AS base_diff
      FROM new_lines GROUP BY entry_id, currency) g
   GROUP BY g.entry_id HAVING sum(g.n) < 2 OR bool_or(g.diff <> 0 OR g.base_diff <> 0) LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'accounting: entry % does not balance', bad USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER accounting_lines_balanced AFTER INSERT ON accounting_lines
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION accounting_check_balanced();

-- ---------------------------------------------------------------- the books on first use

-- The generic SMB chart (code, name, type, parent code). Groups (x000) roll their children up.
CREATE TABLE accounting_default_chart (
  code text PRIMARY KEY, name text NOT NULL, type text NOT NULL, parent text
);
INSERT INTO accounting_default_chart (code, name, type, parent) VALUES
  ('1000', 'Assets', 'asset', NULL), ('1010', 'Cash', 'asset', '1000'), ('1020', 'Bank', 'asset', '1000'),
  ('1100', 'Accounts receivable', 'asset', '1000'), ('1150', 'Tax recoverable', 'asset', '1000'),
  ('1200', 'Inventory', 'asset', '1000'), ('1300', 'Prepaid expenses', 'asset', '1000'),
  ('1500', 'Fixed assets', 'asset', '1000'),
  ('2000', 'Liabilities', 'liability', NULL), ('2010', 'Accounts payable', 'liability', '2000'),
  ('2100', 'Sales tax payable', 'liability', '2000'), ('2200', 'Accrued liabilities', 'liability', '2000'),
  ('2300', 'Payroll liabilities', 'liability', '2000'), ('2500', 'Loans', 'liability', '2000'),
  ('3000', 'Equity', 'equity', NULL), ('3010', 'Owner''s equity', 'equity', '3000'),
  ('3900', 'Retained earnings', 'equity', '3000'),
  ('4000', 'Income', 'income', NULL), ('4010', 'Sales', 'income', '4000'),
  ('4020', 'Services revenue', 'income', '4000'), ('4900', 'Other income', 'income', '4000'),
  ('4950', 'Exchange gains', 'income', '4000'),
  ('5000', 'Cost of goods sold', 'expense', NULL), ('5010', 'Purchases', 'expense', '5000'),
  ('6000', 'Operating expenses', 'expense', NULL), ('6010', 'Salaries', 'expense', '6000'),
  ('6020', 'Rent', 'expense', '6000'), ('6030', 'Utilities', 'expense', '6000'),
  ('6040', 'Software', 'expense', '6000'), ('6050', 'Marketing', 'expense', '6000'),
  ('6060', 'Bank fees', 'expense', '6000'), ('6070', 'Travel', 'expense', '6000'),
  ('6950', 'Exchange losses', 'expense', '6000');
GRANT SELECT ON accounting_default_chart TO hub_app;

-- The tenant's books, made with the generic chart the first time they are needed.
CREATE FUNCTION accounting_open_books() RETURNS accounting_books LANGUAGE plpgsql AS $$
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
  INSERT INTO accounting_accounts (tenant_id, code, name, type, normal_side)
    SELECT t, c.code, c.name, c.type, CASE WHEN c.type IN ('asset', 'expense') THEN 'debit' ELSE 'credit' END
      FROM accounting_default_chart c ON CONFLICT (tenant_id, code) DO NOTHING;
  UPDATE accounting_accounts a SET parent_id = p.id
    FROM accounting_default_chart c JOIN accounting_accounts p ON p.tenant_id = t AND p.code = c.parent
   WHERE a.tenant_id = t AND a.code = c.code AND a.parent_id IS NULL;
  RETURN b;
END $$;

INSERT INTO role_permissions (role, permission) VALUES
  ('admin', 'accounting.*.*'), ('member', 'accounting.accounts.view'), ('member', 'accounting.entries.view'),
  ('member', 'accounting.entries.create'), ('member', 'accounting.balances.view')
ON CONFLICT DO NOTHING;

REVOKE INSERT, UPDATE, DELETE ON accounting_currency_exponents, accounting_default_chart FROM hub_app;

-- ---------------------------------------------------------------- posting

-- Posts entries, all or none: the one way anything reaches the journal (the RPCs, api.h for
-- Billing and HRMS, the benchmark's pgbench script). p_entries is
--   [{"i": 0, "id": uuid|null, "source": "...", "source_id": "...", "date": "YYYY-MM-DD",
--     "description": "", "reference": "", "kind": "manual", "pending": false,
--     "expires_at": timestamptz or "expires_epoch": seconds, "adjusting": false, "reverses": null,
--     "lines": [{"account_id": uuid|null, "account_code": "1010", "side": "debit",
--                "amount": 100, "currency": "EUR", "base_amount": null, "description": "",
--                "brand": "", "department": "", "project": ""}, ...]}, ...]
-- Returns one row per entry: (i, id, seq, outcome) with outcome 'posted', 'pending' or
-- 'exists' (the same id, or source and source_id, with the same body: nothing was applied
-- again). A refusal raises SQLSTATE HA001 with MESSAGE the reason, HINT the canonical code and
-- DETAIL the request field ("entries[3].lines[1].account_code"); accounting_post_checked
-- turns it into a result row. SECURITY INVOKER: row-level security holds it to the tenant.
CREATE FUNCTION accounting_refuse(code text, field text, msg text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'HA001', MESSAGE = msg, HINT = code, DETAIL = field;
END $$;

-- Scratch rows of one posting (the entries and lines being posted, the balance moves they make),
-- private to the session and emptied at commit. Made once per connection.
CREATE FUNCTION accounting_scratch() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF to_regclass('pg_temp.acc_e') IS NULL THEN
    CREATE TEMP TABLE acc_e (
      i int, id uuid, hash bytea, entry_date date, description text, reference text, kind text,
      source text, source_id text, pending boolean, expires_at timestamptz, adjusting boolean,
      reverses uuid, old_hash bytea, lines jsonb) ON COMMIT DELETE ROWS;
    -- posted/pending: how the line moves the posted and pending balances (+1, 0, -1).
    CREATE TEMP TABLE acc_l (
      i int, n int, entry_id uuid, account_id uuid, account_code text, side text, amount bigint,
      currency text, base_amount bigint, given_base boolean, description text, brand text,
      department text, project text, entry_date date, posted int, pending int) ON COMMIT DELETE ROWS;
  ELSE
    TRUNCATE pg_temp.acc_e, pg_temp.acc_l;
  END IF;
END $$;

-- Moves balances by the lines in pg_temp.acc_l: the current balances (locked in one order,
-- account then currency, so concurrent posters queue rather than deadlock), the daily
-- movements of posted lines, then every balance rule and balance assertion the move touches.
CREATE FUNCTION accounting_apply() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t   uuid := hub_current_tenant();
  bad record;
BEGIN
  WITH d AS (
    SELECT l.account_id, l.currency,
           sum(CASE WHEN l.side = 'debit' THEN l.amount * l.posted ELSE 0 END) AS dp,
           sum(CASE WHEN l.side = 'credit' THEN l.amount * l.posted ELSE 0 END) AS cp,
           sum(CASE WHEN l.side = 'debit' THEN l.amount * l.pending ELSE 0 END) AS dq,
           sum(CASE WHEN l.side = 'credit' THEN l.amount * l.pending ELSE 0 END) AS cq,
           sum(CASE WHEN l.side = 'debit' THEN l.base_amount * l.posted ELSE 0 END) AS bd,
           sum(CASE WHEN l.side = 'credit' THEN l.base_amount * l.posted ELSE 0 END) AS bc,
           min(l.i) AS i
      FROM pg_temp.acc_l l GROUP BY l.account_id, l.currency),
  up AS (
    INSERT INTO accounting_balances AS b (tenant_id, account_id, currency, debits_posted, credits_posted,
                                          debits_pending, credits_pending, base_debits, base_credits)
    SELECT t, d.account_id, d.currency, d.dp, d.cp, d.dq, d.cq, d.bd, d.bc FROM d ORDER BY d.account_id, d.currency
    ON CONFLICT (tenant_id, account_id, currency) DO UPDATE SET
      debits_posted = b.debits_posted + EXCLUDED.debits_posted, credits_posted = b.credits_posted + EXCLUDED.credits_posted,
      debits_pending = b.debits_pending + EXCLUDED.debits_pending, credits_pending = b.credits_pending + EXCLUDED.credits_pending,
      base_debits = b.base_debits + EXCLUDED.base_debits, base_credits = b.base_credits + EXCLUDED.base_credits
    RETURNING b.account_id, b.currency, b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending)
  SELECT d.i, c.code, up.currency, c.min_balance, c.max_balance,
         CASE WHEN c.normal_side = 'debit' THEN up.debits_posted - up.credits_posted - up.credits_pending
              ELSE up.credits_posted - up.debits_posted - up.debits_pending END AS worst_low,
         CASE WHEN c.normal_side = 'debit' THEN up.debits_posted - up.credits_posted + up.debits_pending
              ELSE up.credits_posted - up.debits_posted + up.credits_pending END AS worst_high
    INTO bad
    FROM up JOIN d ON d.account_id = up.account_id AND d.currency = up.currency
    JOIN accounting_accounts c ON c.tenant_id = t AND c.id = up.account_id
   WHERE (c.min_balance IS NOT NULL AND
          CASE WHEN c.normal_side = 'debit' THEN up.debits_posted - up.credits_posted - up.credits_pending
               ELSE up.credits_posted - up.debits_posted - up.debits_pending END < c.min_balance
          AND (CASE WHEN c.normal_side = 'debit' THEN d.dp - d.cp - d.cq ELSE d.cp - d.dp - d.dq END) < 0)
      OR (c.max_balance IS NOT NULL AND
          CASE WHEN c.normal_side = 'debit' THEN up.debits_posted - up.credits_posted + up.debits_pending
               ELSE up.credits_posted - up.debits_posted + up.credits_pending END > c.max_balance
          AND (CASE WHEN c.normal_side = 'debit' THEN d.dp - d.cp + d.dq ELSE d.cp - d.dp + d.cq END) > 0)
   ORDER BY d.i LIMIT 1;
  IF FOUND THEN
    PERFORM accounting_refuse('FAILED_PRECONDITION', format('entries[%s].lines', bad.i),
      CASE WHEN bad.min_balance IS NOT NULL AND bad.worst_low < bad.min_balance
           THEN format('account %s would go below its minimum balance of %s %s', bad.code, bad.min_balance, bad.currency)
           ELSE format('account %s would go above its maximum balance of %s %s', bad.code, bad.max_balance, bad.currency) END);
  END IF;

  INSERT INTO accounting_daily AS y (tenant_id, account_id, currency, day, brand, department, project,
                                     debits, credits, base_debits, base_credits)
  SELECT t, l.account_id, l.currency, l.entry_date, l.brand, l.department, l.project,
         sum(CASE WHEN l.side = 'debit' THEN l.amount * l.posted ELSE 0 END),
         sum(CASE WHEN l.side = 'credit' THEN l.amount * l.posted ELSE 0 END),
         sum(CASE WHEN l.side = 'debit' THEN l.base_amount * l.posted ELSE 0 END),
         sum(CASE WHEN l.side = 'credit' THEN l.base_amount * l.posted ELSE 0 END)
    FROM pg_temp.acc_l l WHERE l.posted <> 0
   GROUP BY l.account_id, l.currency, l.entry_date, l.brand, l.department, l.project
   ORDER BY l.account_id, l.currency, l.entry_date, l.brand, l.department, l.project
  ON CONFLICT (tenant_id, account_id, currency, day, brand, department, project) DO UPDATE SET
    debits = y.debits + EXCLUDED.debits, credits = y.credits + EXCLUDED.credits,
    base_debits = y.base_debits + EXCLUDED.base_debits, base_credits = y.base_credits + EXCLUDED.base_credits;

  -- Assertions on or after the earliest day moved (usually none: one index probe).
  SELECT s.id, c.code, s.currency, s.as_of, s.amount, m.i,
         (SELECT coalesce(sum(CASE WHEN c.normal_side = 'debit' THEN y.debits - y.credits ELSE y.credits - y.debits END), 0)
            FROM accounting_daily y WHERE y.tenant_id = t AND y.account_id = s.account_id
             AND y.currency = s.currency AND y.day <= s.as_of) AS actual
    INTO bad
    FROM (SELECT l.account_id, l.currency, min(l.entry_date) AS first_day, min(l.i) AS i
            FROM pg_temp.acc_l l WHERE l.posted <> 0 GROUP BY l.account_id, l.currency) m
    JOIN accounting_assertions s ON s.tenant_id = t AND s.account_id = m.account_id
         AND s.currency = m.currency AND s.as_of >= m.first_day
    JOIN accounting_accounts c ON c.tenant_id = t AND c.id = s.account_id
   WHERE s.amount <> (SELECT coalesce(sum(CASE WHEN c.normal_side = 'debit' THEN y.debits - y.credits ELSE y.credits - y.debits END), 0)
                        FROM accounting_daily y WHERE y.tenant_id = t AND y.account_id = s.account_id
                         AND y.currency = s.currency AND y.day <= s.as_of)
   ORDER BY s.as_of LIMIT 1;
  IF FOUND THEN
    PERFORM accounting_refuse('FAILED_PRECONDITION', format('entries[%s].date', bad.i),
      format('breaks the balance assertion %s: account %s holds %s %s at the end of %s, the posting would make it %s',
             bad.id, bad.code, bad.amount, bad.currency, bad.as_of, bad.actual));
  END IF;
END $$;

CREATE FUNCTION accounting_post(p_entries jsonb)
  RETURNS TABLE (i int, id uuid, seq bigint, outcome text) LANGUAGE plpgsql AS $$
DECLARE
  t       uuid := hub_current_tenant();
  books   accounting_books;
  bad     record;
BEGIN
  books := accounting_open_books();
  PERFORM accounting_scratch();

  -- The entries, their ids (the caller's, the one posted before for the same source, or new)
  -- and the body posted before under that id (then nothing is applied again).
  INSERT INTO pg_temp.acc_e
  SELECT coalesce((e->>'i')::int, (o - 1)::int), coalesce((e->>'id')::uuid, s.id, hub_uuid_v7()),
         sha256(convert_to((e - 'i')::text, 'UTF8')), (e->>'date')::date,
         coalesce(e->>'description', ''), coalesce(e->>'reference', ''), coalesce(e->>'kind', 'manual'),
         nullif(e->>'source', ''), nullif(e->>'source_id', ''), coalesce((e->>'pending')::boolean, false),
         coalesce((e->>'expires_at')::timestamptz, to_timestamp((e->>'expires_epoch')::double precision)),
         coalesce((e->>'adjusting')::boolean, false),
         (e->>'reverses')::uuid, NULL, e->'lines'
    FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS x(e, o)
    LEFT JOIN accounting_entries s ON e->>'id' IS NULL AND s.tenant_id = t
          AND s.source = nullif(e->>'source', '') AND s.source_id = nullif(e->>'source_id', '');
  UPDATE pg_temp.acc_e a SET old_hash = x.body_hash
    FROM accounting_entries x WHERE x.tenant_id = t AND x.id = a.id;

  SELECT a.i, a.source IS NOT NULL AS by_source INTO bad FROM pg_temp.acc_e a
   WHERE a.old_hash IS NOT NULL AND a.old_hash <> a.hash ORDER BY a.i LIMIT 1;
  IF FOUND THEN
    PERFORM accounting_refuse('ALREADY_EXISTS',
      format('entries[%s].%s', bad.i, CASE WHEN bad.by_source THEN 'source_id' ELSE 'id' END),
      'an entry with this id was posted with a different body; post it under a new id');
  END IF;
  SELECT a.i INTO bad FROM pg_temp.acc_e a
   WHERE EXISTS (SELECT 1 FROM pg_temp.acc_e b WHERE b.id = a.id AND b.i < a.i) ORDER BY a.i LIMIT 1;
  IF FOUND THEN
    PERFORM accounting_refuse('INVALID_ARGUMENT', format('entries[%s].id', bad.i), 'the same entry twice in one batch');
  END IF;

  -- Dates: the lock date, closed periods (soft-closed ones take adjusting entries only).
  SELECT a.i INTO bad FROM pg_temp.acc_e a WHERE a.old_hash IS NULL AND a.entry_date <= books.lock_date ORDER BY a.i LIMIT 1;
  IF FOUND THEN
    PERFORM accounting_refuse('FAILED_PRECONDITION', format('entries[%s].date', bad.i),
      format('the books are locked up to %s', books.lock_date));
  END IF;
  SELECT a.i, p.name, p.state INTO bad FROM pg_temp.acc_e a JOIN accounting_periods p
      ON p.tenant_id = t AND a.entry_date BETWEEN p.start_date AND p.end_date
   WHERE a.old_hash IS NULL AND (p.state = 'closed' OR (p.state = 'soft_closed' AND NOT a.adjusting))
   ORDER BY a.i LIMIT 1;
  IF FOUND THEN
    PERFORM accounting_refuse('FAILED_PRECONDITION', format('entries[%s].date', bad.i),
      format('period %s is %s', bad.name, replace(bad.state, '_', '-')));
  END IF;

  -- The lines, with their accounts resolved by id or by code.
  INSERT INTO pg_temp.acc_l
  SELECT a.i, (o - 1)::int, a.id, acc.id, l->>'account_code', l->>'side', coalesce((l->>'amount')::bigint, 0),
         l->>'currency', (l->>'base_amount')::bigint, l->>'base_amount' IS NOT NULL,
         coalesce(l->>'description', ''), coalesce(l->>'brand', ''), coalesce(l->>'department', ''),
         coalesce(l->>'project', ''), a.entry_date,
         CASE WHEN a.pending THEN 0 ELSE 1 END, CASE WHEN a.pending THEN 1 ELSE 0 END
    FROM pg_temp.acc_e a, jsonb_array_elements(a.lines) WITH ORDINALITY AS y(l, o)
    LEFT JOIN accounting_accounts acc ON acc.tenant_id = t
          AND acc.id = coalesce((l->>'account_id')::uuid,
                                (SELECT c.id FROM accounting_accounts c WHERE c.tenant_id = t AND c.code = l->>'account_code'))
   WHERE a.old_hash IS NULL;
  SELECT l.i, l.n, coalesce(l.account_code, '') <> '' AS by_code INTO bad FROM pg_temp.acc_l l
   WHERE l.account_id IS NULL ORDER BY l.i, l.n LIMIT 1;
  IF FOUND THEN
    PERFORM accounting_refuse('NOT_FOUND',
      format('entries[%s].lines[%s].%s', bad.i, bad.n, CASE WHEN bad.by_code THEN 'account_code' ELSE 'account_id' END),
      'no such account');
  END IF;
  SELECT l.i, l.n, c.code, c.archived, c.currency INTO bad FROM pg_temp.acc_l l
    JOIN accounting_accounts c ON c.tenant_id = t AND c.id = l.account_id
   WHERE c.archived OR (c.currency IS NOT NULL AND c.currency <> l.currency)
   ORDER BY l.i, l.n LIMIT 1;
  IF FOUND THEN
    PERFORM accounting_refuse('FAILED_PRECONDITION',
      format('entries[%s].lines[%s].%s', bad.i, bad.n, CASE WHEN bad.archived THEN 'account_id' ELSE 'currency_code' END),
      CASE WHEN bad.archived THEN format('account %s is archived', bad.code)
           ELSE format('account %s keeps %s only', bad.code, bad.currency) END);
  END IF;

  -- Base amounts: the base currency's own; others at the latest rate on or before the entry's
  -- date, rounded half away from zero, and the rounding difference of a currency's side given
  -- to its largest line, so that base amounts balance as amounts do.
  UPDATE pg_temp.acc_l l SET base_amount = CASE WHEN l.currency = books.base_currency THEN l.amount ELSE
      round(l.amount * (SELECT x.rate FROM accounting_rates x WHERE x.tenant_id = t AND x.from_currency = l.currency
                           AND x.to_currency = books.base_currency AND x.rate_date <= l.entry_date
                         ORDER BY x.rate_date DESC LIMIT 1)
            * power(10::numeric, accounting_exponent(books.base_currency) - accounting_exponent(l.currency)))::bigint END
   WHERE NOT l.given_base;
  SELECT l.i, l.n, l.currency INTO bad FROM pg_temp.acc_l l WHERE l.base_amount IS NULL ORDER BY l.i, l.n LIMIT 1;
  IF FOUND THEN
    PERFORM accounting_refuse('FAILED_PRECONDITION', format('entries[%s].lines[%s].currency_code', bad.i, bad.n),
      format('no %s to %s rate on or before the entry''s date', bad.currency, books.base_currency));
  END IF;
  UPDATE pg_temp.acc_l l SET base_amount = l.base_amount + abs(g.diff)
    FROM (SELECT l2.i, l2.currency, sum(CASE l2.side WHEN 'debit' THEN l2.base_amount ELSE -l2.base_amount END) AS diff
            FROM pg_temp.acc_l l2 WHERE l2.currency <> books.base_currency GROUP BY l2.i, l2.currency
          HAVING sum(CASE l2.side WHEN 'debit' THEN l2.amount ELSE -l2.amount END) = 0
             AND sum(CASE l2.side WHEN 'debit' THEN l2.base_amount ELSE -l2.base_amount END) <> 0
             AND bool_and(NOT l2.given_base)) g
   WHERE l.i = g.i AND l.currency = g.currency
     AND l.n = (SELECT l3.n FROM pg_temp.acc_l l3 WHERE l3.i = g.i AND l3.currency = g.currency
                   AND l3.side = CASE WHEN g.diff > 0 THEN 'credit' ELSE 'debit' END
                 ORDER BY l3.amount DESC, l3.n LIMIT 1);
  SELECT g.i, g.currency, g.diff = 0 AS base_only INTO bad FROM (
      SELECT l.i, l.currency,
             sum(CASE l.side WHEN 'debit' THEN l.amount ELSE -l.amount END) AS diff,
             sum(CASE l.side WHEN 'debit' THEN l.base_amount ELSE -l.base_amount END) AS base_diff,
             count(*) AS n
        FROM pg_temp.acc_l l GROUP BY l.i, l.currency) g
   WHERE g.diff <> 0 OR g.base_diff <> 0 ORDER BY g.i LIMIT 1;
  IF FOUND THEN
    PERFORM accounting_refuse('INVALID_ARGUMENT', format('entries[%s].lines', bad.i),
      format('the %s%s lines do not balance: debits must equal credits',
             CASE WHEN bad.base_only THEN 'base amounts of the ' ELSE '' END, bad.currency));
  END IF;

  -- Reversals: of a posted entry, and only once (a unique index stops a second).
  SELECT a.i, x.status INTO bad FROM pg_temp.acc_e a
    LEFT JOIN accounting_entries x ON x.tenant_id = t AND x.id = a.reverses
   WHERE a.old_hash IS NULL AND a.reverses IS NOT NULL AND (x.id IS NULL OR x.status <> 'posted'
         OR EXISTS (SELECT 1 FROM accounting_entries r WHERE r.tenant_id = t AND r.reverses = a.reverses))
   ORDER BY a.i LIMIT 1;
  IF FOUND THEN
    PERFORM accounting_refuse(CASE WHEN bad.status IS NULL THEN 'NOT_FOUND' ELSE 'FAILED_PRECONDITION' END,
      format('entries[%s].reverses', bad.i),
      CASE WHEN bad.status IS NULL THEN 'no such entry'
           WHEN bad.status = 'posted' THEN 'the entry is reversed already'
           ELSE format('a %s entry is not reversed; void it', bad.status) END);
  END IF;

  INSERT INTO accounting_entries (tenant_id, id, entry_date, description, reference, kind, source, source_id,
                                  status, expires_at, adjusting, reverses, body_hash, posted_by)
  SELECT t, a.id, a.entry_date, a.description, a.reference, a.kind, a.source, a.source_id,
         CASE WHEN a.pending THEN 'pending' ELSE 'posted' END, a.expires_at, a.adjusting, a.reverses,
         a.hash, hub_current_user()
    FROM pg_temp.acc_e a WHERE a.old_hash IS NULL ORDER BY a.i;
  INSERT INTO accounting_lines (tenant_id, entry_id, line_no, account_id, side, amount, currency, base_amount,
                                entry_date, description, brand, department, project)
  SELECT t, l.entry_id, l.n, l.account_id, l.side, l.amount, l.currency, l.base_amount, l.entry_date,
         l.description, l.brand, l.department, l.project FROM pg_temp.acc_l l;

  PERFORM accounting_apply();

  INSERT INTO outbox (tenant_id, topic, aggregate_id, payload)
  SELECT t, CASE WHEN a.pending THEN 'accounting.entry_pending' ELSE 'accounting.entry_posted' END, a.id,
         jsonb_build_object('entry_id', a.id, 'date', a.entry_date, 'kind', a.kind, 'source', a.source,
                            'source_id', a.source_id)
    FROM pg_temp.acc_e a WHERE a.old_hash IS NULL ORDER BY a.i;

  RETURN QUERY
  SELECT a.i, a.id, e.seq,
         CASE WHEN a.old_hash IS NOT NULL THEN 'exists' WHEN a.pending THEN 'pending' ELSE 'posted' END
    FROM pg_temp.acc_e a JOIN accounting_entries e ON e.tenant_id = t AND e.id = a.id ORDER BY a.i;
END $$;

-- accounting_post, with a refusal as a result row instead of an error: (i, field, code,
-- message) of the first refused entry and nothing applied (the exception block is a
-- subtransaction). p_each: every entry on its own (per-entry results), else all or none.
CREATE FUNCTION accounting_post_checked(p_entries jsonb, p_each boolean DEFAULT false)
  RETURNS TABLE (i int, id uuid, seq bigint, outcome text, code text, field text, message text)
  LANGUAGE plpgsql AS $$
DECLARE
  v_code text; v_field text; v_msg text; e jsonb; k int := 0;
BEGIN
  IF NOT p_each THEN
    BEGIN
      RETURN QUERY SELECT r.i, r.id, r.seq, r.outcome, NULL::text, NULL::text, NULL::text FROM accounting_post(p_entries) r;
    EXCEPTION WHEN SQLSTATE 'HA001' THEN
      GET STACKED DIAGNOSTICS v_code = PG_EXCEPTION_HINT, v_field = PG_EXCEPTION_DETAIL, v_msg = MESSAGE_TEXT;
      RETURN QUERY SELECT substring(v_field FROM '^entries\[(\d+)\]')::int, NULL::uuid, NULL::bigint, 'refused',
                          v_code, v_field, v_msg;
    END;
    RETURN;
  END IF;
  FOR e IN SELECT x FROM jsonb_array_elements(p_entries) x LOOP
    BEGIN
      RETURN QUERY SELECT r.i, r.id, r.seq, r.outcome, NULL::text, NULL::text, NULL::text
        FROM accounting_post(jsonb_build_array(e || jsonb_build_object('i', coalesce((e->>'i')::int, k)))) r;
    EXCEPTION WHEN SQLSTATE 'HA001' THEN
      GET STACKED DIAGNOSTICS v_code = PG_EXCEPTION_HINT, v_field = PG_EXCEPTION_DETAIL, v_msg = MESSAGE_TEXT;
      RETURN QUERY SELECT coalesce((e->>'i')::int, k), NULL::uuid, NULL::bigint, 'refused', v_code, v_field, v_msg;
    END;
    k := k + 1;
  END LOOP;
END $$;

-- Posts (p_post) or voids a pending entry: its pending amounts leave the balances, and posted
-- ones arrive (rules and assertions checked again). An expired entry is only voided.
CREATE FUNCTION accounting_resolve(p_id uuid, p_post boolean)
  RETURNS TABLE (i int, id uuid, seq bigint, outcome text) LANGUAGE plpgsql AS $$
DECLARE
  t uuid := hub_current_tenant();
  e accounting_entries;
  books accounting_books;
BEGIN
  books := accounting_open_books();
  SELECT * INTO e FROM accounting_entries x WHERE x.tenant_id = t AND x.id = p_id FOR UPDATE;
  IF NOT FOUND THEN PERFORM accounting_refuse('NOT_FOUND', 'id', 'no such entry'); END IF;
  IF e.status <> 'pending' THEN
    PERFORM accounting_refuse('FAILED_PRECONDITION', 'id', format('the entry is %s, not pending', e.status));
  END IF;
  IF p_post AND e.expires_at <= now() THEN
    PERFORM accounting_refuse('FAILED_PRECONDITION', 'id', 'the pending entry expired; it can only be voided');
  END IF;
  IF p_post AND e.entry_date <= books.lock_date THEN
    PERFORM accounting_refuse('FAILED_PRECONDITION', 'id', format('the books are locked up to %s', books.lock_date));
  END IF;
  IF p_post AND EXISTS (SELECT 1 FROM accounting_periods p WHERE p.tenant_id = t AND e.entry_date BETWEEN p.start_date
                         AND p.end_date AND (p.state = 'closed' OR (p.state = 'soft_closed' AND NOT e.adjusting))) THEN
    PERFORM accounting_refuse('FAILED_PRECONDITION', 'id', 'the entry''s period is closed');
  END IF;
  PERFORM accounting_scratch();
  INSERT INTO pg_temp.acc_l
  SELECT 0, l.line_no, l.entry_id, l.account_id, NULL, l.side, l.amount, l.currency, l.base_amount, true,
         l.description, l.brand, l.department, l.project, l.entry_date, CASE WHEN p_post THEN 1 ELSE 0 END, -1
    FROM accounting_lines l WHERE l.tenant_id = t AND l.entry_id = p_id;
  PERFORM accounting_apply();
  UPDATE accounting_entries x SET status = CASE WHEN p_post THEN 'posted' ELSE 'voided' END, resolved_at = now()
   WHERE x.tenant_id = t AND x.id = p_id;
  INSERT INTO outbox (tenant_id, topic, aggregate_id, payload)
  VALUES (t, CASE WHEN p_post THEN 'accounting.entry_posted' ELSE 'accounting.entry_voided' END, p_id,
          jsonb_build_object('entry_id', p_id, 'date', e.entry_date, 'kind', e.kind));
  RETURN QUERY SELECT 0, p_id, e.seq, CASE WHEN p_post THEN 'posted' ELSE 'voided' END;
END $$;

-- Pending entries past their expiry, across tenants, for the expiry sweeper (which then voids
-- each in its own tenant). Only this scope sees other tenants' entries.
CREATE POLICY accounting_entries_expiry ON accounting_entries
  USING (current_setting('hub.scope', true) = 'accounting_expiry');

-- accounting_resolve with a refusal as a row (code, field, message) instead of an error.
CREATE FUNCTION accounting_resolve_checked(p_id uuid, p_post boolean)
  RETURNS TABLE (i int, id uuid, seq bigint, outcome text, code text, field text, message text)
  LANGUAGE plpgsql AS $$
DECLARE
  v_code text; v_field text; v_msg text;
BEGIN
  RETURN QUERY SELECT r.i, r.id, r.seq, r.outcome, NULL::text, NULL::text, NULL::text FROM accounting_resolve(p_id, p_post) r;
EXCEPTION WHEN SQLSTATE 'HA001' THEN
  GET STACKED DIAGNOSTICS v_code = PG_EXCEPTION_HINT, v_field = PG_EXCEPTION_DETAIL, v_msg = MESSAGE_TEXT;
  RETURN QUERY SELECT 0, p_id, NULL::bigint, 'refused', v_code, v_field, v_msg;
END $$;
