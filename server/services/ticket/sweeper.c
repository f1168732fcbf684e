/* The SLA sweeper: a thread of hubd that every HUB_SLA_SWEEP_INTERVAL_MS fires the timers that
 * came due (warnings and breaches), so the outbox hears of them within a minute even when
 * nobody touches the ticket. Safe with many hubd processes: a timer is fired by whoever
 * deletes its row, in the ticket's own tenant transaction. Ticket's lifecycle hooks (the end
 * of this file) start and stop it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/config.h"
#include "hub/log.h"
#include "hub/periodic.h"
#include "hub/ticket/v1/ticket.hub-server.h"
#include "metrics/metrics.h"
#include "services/ticket/ticket.h"

static const hub_pg_stmt scope_sql = {"ticket_sweep_scope", "SELECT set_config('hub.scope', 'sla_sweeper', true)", 0};
static const hub_pg_stmt due_sql = {
    "ticket_sweep_due",
    "SELECT tenant_id, ticket_id, kind FROM ticket_sla_timers WHERE fire_at <= to_timestamp($1::bigint) "
    "ORDER BY fire_at LIMIT 500",
    1};
static const hub_pg_stmt take_sql = {
    "ticket_sweep_take",
    "DELETE FROM ticket_sla_timers WHERE tenant_id = hub_current_tenant() AND ticket_id = $1::uuid AND kind = $2 "
    "AND fire_at <= to_timestamp($3::bigint) RETURNING 1 AS _taken",
    3};

typedef struct due_ctx {
  const char *now;
  hub_rows *due;
} due_ctx;

static hub_status due_fn(hub_tx *tx, void *ud) {
  due_ctx *c = ud;
  hub_tx_exec(tx, &scope_sql, NULL);
  c->due = hub_tx_exec(tx, &due_sql, (const char *[]){c->now});
  return HUB_STATUS_OK;
}

typedef struct fire_ctx {
  const char *ticket, *kind, *now_text;
  int64_t now;
  bool fired;
} fire_ctx;

static hub_status fire_fn(hub_tx *tx, void *ud) {
  fire_ctx *c = ud;
  hub_rows *taken;
  c->fired = false;
  hub_status st = hub_tx_query(tx, &take_sql, (const char *[]){c->ticket, c->kind, c->now_text}, &taken);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(taken) != 1) return HUB_STATUS_OK; /* another sweeper fired it */
  c->fired = true;
  return ticket_sla_refresh(tx, c->ticket, c->now, NULL);
}

hub_status ticket_sweep_once(hub_pg *pg, hub_arena *a, int64_t now, int *fired) {
  *fired = 0;
  char now_text[24];
  snprintf(now_text, sizeof now_text, "%lld", (long long)now);
  due_ctx d = {now_text, NULL};
  hub_status st = hub_tx_run(pg, a, NULL, NULL, 30000, due_fn, &d);
  if (!hub_ok(st)) return st;
  for (int i = 0; i < hub_rows_count(d.due); i++) {
    fire_ctx f = {hub_rows_text(d.due, i, "ticket_id"), hub_rows_text(d.due, i, "kind"), now_text, now, false};
    hub_status fs = hub_tx_run(pg, a, hub_rows_text(d.due, i, "tenant_id"), NULL, 30000, fire_fn, &f);
    if (!hub_ok(fs)) hub_logf(HUB_LOG_WARN, "sla sweeper: a timer could not fire: %s", fs.message);
    *fired += f.fired;
  }
  return HUB_STATUS_OK;
}

/* ---- the thread, started and stopped through Ticket's lifecycle (hubd names no service) ---- */

static hub_periodic *sweeper;
static hub_pg *sweeper_pg; /* the sweeper's own connection, never a worker's */

static const hub_metric_def runs_def = {
    "hub_sla_sweeper_runs_total",
    "SLA sweeper passes in this process, by result: ok, or error (the due timers could not be read).",
    HUB_METRIC_COUNTER, (const char *const[]){"result", NULL}, NULL, 0};
static const hub_metric_def fired_def = {"hub_sla_timers_fired_total",
                                         "SLA warnings and breaches the sweeper fired into the outbox.",
                                         HUB_METRIC_COUNTER, NULL, NULL, 0};
static struct {
  hub_counter *ok, *error, *fired;
} metrics;

static void sweep_tick(hub_periodic *p, void *ud) {
  (void)p;
  hub_arena *a = hub_arena_new(0);
  int fired = 0;
  hub_status st = ticket_sweep_once(ud, a, hub_clock_wall_s(), &fired);
  hub_counter_inc(hub_ok(st) ? metrics.ok : metrics.error);
  hub_counter_add(metrics.fired, (uint64_t)fired);
  if (!hub_ok(st)) hub_logf(HUB_LOG_WARN, "sla sweeper: %s", st.message);
  else if (fired) hub_logf(HUB_LOG_INFO, "sla sweeper: %d timers fired", fired);
  hub_arena_free(a);
}

static bool ticket_start(const hub_service_env *env) {
  if (env->config->sla_sweep_interval_ms <= 0) return true; /* another process sweeps */
  hub_metric_family *runs = hub_metric_family_get(&runs_def);
  metrics.ok = hub_counter_get(runs, (const char *[]){"ok"});
  metrics.error = hub_counter_get(runs, (const char *[]){"error"});
  metrics.fired = hub_counter_simple(&fired_def);
  sweeper_pg = hub_pg_new(env->config->database_url, env->config->db_timeout_ms);
  sweeper = hub_periodic_start("sla sweeper", env->config->sla_sweep_interval_ms, sweep_tick, sweeper_pg);
  return sweeper != NULL;
}

static void ticket_stop(void) {
  hub_periodic_stop(sweeper);
  sweeper = NULL;
  hub_pg_free(sweeper_pg);
  sweeper_pg = NULL;
}

const hub_service_lifecycle hub_ticket_v1_ticket_lifecycle = {
    .init = ticket_jobs_init, .start = ticket_start, .stop = ticket_stop};
