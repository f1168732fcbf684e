-- The outbox backlog as a metric (hub_outbox_backlog, hub_outbox_oldest_age_seconds): one
-- bounded read across tenants when Prometheus scrapes, never a query per tenant. Like the SLA
-- sweeper's, the read declares itself (hub.scope = 'outbox_metrics') and may only SELECT; and
-- account mail gets the partial index the tenant outbox has, so the oldest undelivered message
-- of either is one index probe.
CREATE POLICY outbox_metrics ON outbox FOR SELECT
  USING (current_setting('hub.scope', true) = 'outbox_metrics');
CREATE INDEX account_outbox_undelivered ON account_outbox (created_at) WHERE delivered_at IS NULL;
