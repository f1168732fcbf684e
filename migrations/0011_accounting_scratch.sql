-- Posting speed, without giving up a guarantee (0010 is applied and checksummed, so its
-- functions are replaced here):
--   * accounting_scratch empties its two session tables with DELETE, not TRUNCATE. TRUNCATE
--     gives a table new files, which inside a subtransaction (every PostEntry runs in one, and
--     every entry of a batch posted one by one) costs milliseconds per call. DELETE leaves dead
--     rows that the rest of the transaction must step over, so once the scratch has grown past
--     256 kB (a batch of thousands posted one by one) it is truncated after all, rarely.
--   * The lines' foreign keys (to tenants, entries and accounts) were checked row by row, three
--     queries per line: most of the time of a large batch. The balance trigger, which already
--     reads each INSERT's lines as one set, now checks their entry and account in the same
--     tenant with one query per statement. Nothing can remove what they point to: entries are
--     never deleted (0010), and an account with lines has balance rows whose foreign key keeps
--     it; the server's role also loses DELETE on accounts here.
CREATE OR REPLACE FUNCTION accounting_scratch() RETURNS void LANGUAGE plpgsql AS $$
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
  ELSIF pg_relation_size('pg_temp.acc_l') > 262144 THEN
    TRUNCATE pg_temp.acc_e, pg_temp.acc_l;
  ELSE
    DELETE FROM pg_temp.acc_e;
    DELETE FROM pg_temp.acc_l;
  END IF;
END $$;

ALTER TABLE accounting_lines
  DROP CONSTRAINT accounting_lines_tenant_id_fkey,
  DROP CONSTRAINT accounting_lines_tenant_id_entry_id_fkey,
  DROP CONSTRAINT accounting_lines_tenant_id_account_id_fkey;
REVOKE DELETE ON accounting_accounts FROM hub_app;

-- Every INSERT's lines balance per entry and currency, in amount and in base amount, every
-- entry has two lines or more, and every line's entry and account exist in its tenant.
CREATE OR REPLACE FUNCTION accounting_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
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
  SELECT n.entry_id INTO bad FROM new_lines n
   WHERE NOT EXISTS (SELECT 1 FROM accounting_entries e WHERE e.tenant_id = n.tenant_id AND e.id = n.entry_id)
      OR NOT EXISTS (SELECT 1 FROM accounting_accounts c WHERE c.tenant_id = n.tenant_id AND c.id = n.account_id)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'accounting: a line of entry % names an entry or account its tenant does not have', bad
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

-- Entries posted one by one (p_each) each run in a subtransaction, and each moves the balance
-- rows again; a hot account's row then carries one row version per entry until commit, which
-- every later entry of the batch steps through. When no entry of the batch touches an account
-- with a balance rule or a balance assertion, where the order of entries matters, the batch is
-- first tried as one set (one subtransaction, one move per balance row); only if that refuses
-- an entry does it go one by one. The caller (the service) also sends one-by-one batches in
-- chunks of a few dozen entries, each in its own transaction, so no chain grows long.
CREATE OR REPLACE FUNCTION accounting_post_checked(p_entries jsonb, p_each boolean DEFAULT false)
  RETURNS TABLE (i int, id uuid, seq bigint, outcome text, code text, field text, message text)
  LANGUAGE plpgsql AS $$
DECLARE
  v_code text; v_field text; v_msg text; e jsonb; k int := 0;
  t uuid := hub_current_tenant();
BEGIN
  IF p_each AND NOT EXISTS (
      WITH ordered AS (
        SELECT c.id, c.code FROM accounting_accounts c
         WHERE c.tenant_id = t AND (c.min_balance IS NOT NULL OR c.max_balance IS NOT NULL
               OR EXISTS (SELECT 1 FROM accounting_assertions s WHERE s.tenant_id = t AND s.account_id = c.id)))
      SELECT 1 FROM jsonb_array_elements(p_entries) x, jsonb_array_elements(x->'lines') l
       WHERE (l->>'account_id')::uuid IN (SELECT o.id FROM ordered o) OR l->>'account_code' IN (SELECT o.code FROM ordered o)) THEN
    BEGIN
      RETURN QUERY SELECT r.i, r.id, r.seq, r.outcome, NULL::text, NULL::text, NULL::text FROM accounting_post(p_entries) r;
      RETURN;
    EXCEPTION WHEN SQLSTATE 'HA001' THEN
      NULL; -- some entry is refused: one by one below
    END;
  END IF;
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
