/* Audit appends (see audit.h): one statement per trail, queued in the caller's transaction. */
#include "identity/audit.h"

static const hub_pg_stmt tenant_sql = {
    "audit_tenant",
    "INSERT INTO audit_events (tenant_id, actor_id, action, target, ip, detail) "
    "VALUES ($1::uuid, $2::uuid, $3, $4, $5, coalesce($6::jsonb, '{}'::jsonb))",
    6};

static const hub_pg_stmt account_sql = {
    "audit_account",
    "INSERT INTO account_events (user_id, action, ip, detail) VALUES ($1::uuid, $2, $3, coalesce($4::jsonb, '{}'::jsonb))",
    4};

void hub_audit_tenant_write(hub_tx *tx, const char *tenant_id, const char *actor_id, const char *action,
                            const char *target, const char *ip, const char *detail_json) {
  const char *p[] = {tenant_id, hub_sql_opt(actor_id), action, target ? target : "",
                     ip ? ip : "", detail_json};
  hub_tx_exec(tx, &tenant_sql, p);
}

void hub_audit_account_write(hub_tx *tx, const char *user_id, const char *action, const char *ip,
                             const char *detail_json) {
  const char *p[] = {hub_sql_opt(user_id), action, ip ? ip : "", detail_json};
  hub_tx_exec(tx, &account_sql, p);
}
