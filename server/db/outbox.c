/* The outbox writer (db/outbox.h): one statement per destination, queued in the caller's
 * transaction. */
#include "db/outbox.h"

#include "hub/assert.h"

static const hub_pg_stmt tenant_sql = {
    "hub_outbox_tenant",
    "INSERT INTO outbox (tenant_id, topic, aggregate_id, payload) "
    "VALUES (hub_current_tenant(), $1, $2::uuid, coalesce($3::jsonb, '{}'::jsonb))",
    3};
static const hub_pg_stmt account_sql = {
    "hub_outbox_account",
    "INSERT INTO account_outbox (user_id, topic, payload) VALUES ($2::uuid, $1, coalesce($3::jsonb, '{}'::jsonb))", 3};

void hub_outbox_write(hub_tx *tx, hub_outbox_scope scope, const char *topic, const char *aggregate_id,
                      const char *payload_json) {
  HUB_ASSERT(topic && *topic);
  HUB_ASSERT(scope == HUB_OUTBOX_TENANT || aggregate_id); /* an account message names its user */
  const char *p[] = {topic, aggregate_id, payload_json};
  hub_tx_exec(tx, scope == HUB_OUTBOX_ACCOUNT ? &account_sql : &tenant_sql, p);
}
