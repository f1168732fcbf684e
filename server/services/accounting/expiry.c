/* The expiry sweeper: a thread of hubd that every HUB_ACCOUNTING_EXPIRY_INTERVAL_MS voids the
 * pending entries whose expiry passed, so their holds stop counting against balance rules
 * (TigerBeetle's pending timeout). It finds them across tenants under the accounting_expiry
 * scope (the one policy that shows them, migration 0010) through the pending index, and voids
 * each in its own tenant's transaction through accounting_resolve, like VoidPendingEntry:
 * balances, the outbox (accounting.entry_voided) and all. Safe with many hubd processes: the
 * entry row is locked and only a pending one is voided; the loser's refusal is ignored.
 * Accounting's lifecycle hooks start and stop it. */
#include <stdio.h>
#include <string.h>

#include "hub/config.h"
#include "hub/log.h"
#include "hub/periodic.h"
#include "services/accounting/accounting.h"

static const hub_pg_stmt scope_sql = {"accounting_expiry_scope", "SELECT set_config('hub.scope', 'accounting_expiry', true)",
                                      0};
static const hub_pg_stmt due_sql = {
    "accounting_expiry_due",
    "SELECT tenant_id, id FROM accounting_entries WHERE status = 'pending' AND expires_at <= now() "
    "ORDER BY expires_at LIMIT 500", 0};
static const hub_pg_stmt void_sql = {
    "accounting_expiry_void", "SELECT outcome, code FROM accounting_resolve_checked($1::uuid, false)", 1};

typedef struct due_ctx {
  hub_rows *due;
} due_ctx;

static hub_status due_fn(hub_tx *tx, void *ud) {
  due_ctx *c = ud;
  hub_tx_exec(tx, &scope_sql, NULL);
  c->due = hub_tx_exec(tx, &due_sql, NULL);
  return HUB_STATUS_OK;
}

typedef struct void_ctx {
  const char *id;
  bool voided;
} void_ctx;

static hub_status void_fn(hub_tx *tx, void *ud) {
  void_ctx *c = ud;
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &void_sql, (const char *[]){c->id}, &r);
  if (!hub_ok(st)) return st;
  c->voided = hub_rows_count(r) == 1 && !strcmp(hub_rows_text(r, 0, "outcome"), "voided");
  return HUB_STATUS_OK;
}

hub_status accounting_expire_once(hub_pg *pg, hub_arena *a, int *voided) {
  *voided = 0;
  due_ctx d = {0};
  hub_status st = hub_tx_run(pg, a, NULL, NULL, 30000, due_fn, &d);
  if (!hub_ok(st)) return st;
  for (int i = 0; i < hub_rows_count(d.due); i++) {
    void_ctx v = {.id = hub_rows_text(d.due, i, "id")};
    hub_status vs = hub_tx_run(pg, a, hub_rows_text(d.due, i, "tenant_id"), NULL, 30000, void_fn, &v);
    if (!hub_ok(vs)) hub_logf(HUB_LOG_WARN, "accounting expiry: an entry could not be voided: %s", vs.message);
    *voided += v.voided;
  }
  return HUB_STATUS_OK;
}

/* ---- the thread, through Accounting's lifecycle (hubd names no service) ---- */

static hub_periodic *sweeper;
static hub_pg *sweeper_pg; /* its own connection, never a worker's */

static void expiry_tick(hub_periodic *p, void *ud) {
  (void)p;
  hub_arena *a = hub_arena_new(0);
  int voided = 0;
  hub_status st = accounting_expire_once(ud, a, &voided);
  if (!hub_ok(st)) hub_logf(HUB_LOG_WARN, "accounting expiry: %s", st.message);
  else if (voided) hub_logf(HUB_LOG_INFO, "accounting expiry: %d pending entries voided", voided);
  hub_arena_free(a);
}

static bool accounting_start(const hub_service_env *env) {
  if (env->config->accounting_expiry_interval_ms <= 0) return true; /* another process sweeps */
  sweeper_pg = hub_pg_new(env->config->database_url, env->config->db_timeout_ms);
  sweeper = hub_periodic_start("accounting expiry", env->config->accounting_expiry_interval_ms, expiry_tick, sweeper_pg);
  return sweeper != NULL;
}

static void accounting_stop(void) {
  hub_periodic_stop(sweeper);
  sweeper = NULL;
  hub_pg_free(sweeper_pg);
  sweeper_pg = NULL;
}

const hub_service_lifecycle hub_accounting_v1_accounting_lifecycle = {.start = accounting_start, .stop = accounting_stop};
