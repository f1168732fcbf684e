-- Outbox messages name what changed (the aggregate: a ticket, an invitation), so a relay can
-- deliver one aggregate's messages in order while others go in parallel. Account mail is
-- already keyed by its user (account_outbox.user_id). Written by the one writer, db/outbox.c.
ALTER TABLE outbox ADD COLUMN aggregate_id uuid;
