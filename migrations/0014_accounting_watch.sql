-- WatchEntries' resume position. Entries take their seq when inserted, but commit in another
-- order, so "seq > last seen" would skip an entry whose transaction began first and committed
-- last. Instead each entry records the transaction that wrote it (xid, and resolved_xid for the
-- one that posted or voided it when pending), and a watcher only reads changes of transactions
-- older than every transaction still running (pg_snapshot_xmin of its snapshot): those are all
-- finished, so nothing can appear behind the position later. Ordered by (xid, seq), the position
-- is exact; a long transaction delays the stream, never loses from it. Per-tenant counters (as
-- tickets use) would serialize every posting of a tenant; this costs one column and one index.
-- Entries written before this migration have no xid and are never streamed (a watch starts at now).
ALTER TABLE accounting_entries ADD COLUMN xid xid8, ADD COLUMN resolved_xid xid8;
ALTER TABLE accounting_entries ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
CREATE INDEX accounting_entries_xid ON accounting_entries (tenant_id, xid, seq);
CREATE INDEX accounting_entries_resolved_xid ON accounting_entries (tenant_id, resolved_xid, seq)
  WHERE resolved_xid IS NOT NULL;

-- As before (pending to posted or voided, nothing else changes), and the resolving transaction
-- is recorded.
CREATE OR REPLACE FUNCTION accounting_entry_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.status <> 'pending' OR NEW.status NOT IN ('posted', 'voided')
     OR (to_jsonb(OLD) - 'status' - 'resolved_at' - 'resolved_xid') <> (to_jsonb(NEW) - 'status' - 'resolved_at' - 'resolved_xid') THEN
    RAISE EXCEPTION 'accounting: an entry only moves from pending to posted or voided'
      USING ERRCODE = 'restrict_violation';
  END IF;
  NEW.resolved_xid := pg_current_xact_id();
  RETURN NEW;
END $$;
