/* The outbox's backlog as metrics (db/outbox_metrics.h): read when Prometheus scrapes, on a
 * connection of its own (never a worker's), in one transaction of one round trip that declares
 * the outbox_metrics scope (migration 0017) to see every tenant's rows. Both reads are bounded:
 * the count stops at BACKLOG_CAP rows, and the oldest undelivered message is the first entry
 * of each outbox's partial index on created_at. Scrapes closer together than MIN_AGE_US reuse
 * the last sample, so any number of scrapers cost the database at most one read a second. */
#include "db/outbox_metrics.h"

#include <stdlib.h>

#include "db/tx.h"
#include "hub/clock.h"
#include "hub/log.h"
#include "metrics/metrics.h"

#define BACKLOG_CAP "1000000"
#define MIN_AGE_US 1000000
#define READ_TIMEOUT_MS 1000

static const hub_pg_stmt scope_sql = {"outbox_metrics_scope",
                                      "SELECT set_config('hub.scope', 'outbox_metrics', true)", 0};
static const hub_pg_stmt sample_sql = {
    "outbox_metrics_sample",
    "SELECT (SELECT count(*) FROM (SELECT 1 FROM outbox WHERE delivered_at IS NULL LIMIT $1::int) t) AS tenant_n, "
    "coalesce((SELECT extract(epoch FROM now() - created_at)::float8 FROM outbox WHERE delivered_at IS NULL "
    "ORDER BY created_at LIMIT 1), 0) AS tenant_age, "
    "(SELECT count(*) FROM (SELECT 1 FROM account_outbox WHERE delivered_at IS NULL LIMIT $1::int) t) AS account_n, "
    "coalesce((SELECT extract(epoch FROM now() - created_at)::float8 FROM account_outbox WHERE delivered_at IS NULL "
    "ORDER BY created_at LIMIT 1), 0) AS account_age",
    1};

static const hub_metric_def backlog_def = {
    "hub_outbox_backlog",
    "Outbox messages not yet delivered (counted up to 1000000), by outbox: tenant (outbox) or account "
    "(account_outbox).",
    HUB_METRIC_GAUGE, (const char *const[]){"outbox", NULL}, NULL, 0};
static const hub_metric_def age_def = {
    "hub_outbox_oldest_age_seconds",
    "Age of the oldest undelivered outbox message, i.e. the delivery lag (0 when none is waiting), by outbox.",
    HUB_METRIC_GAUGE, (const char *const[]){"outbox", NULL}, NULL, 0};
static const hub_metric_def errors_def = {"hub_outbox_sample_errors_total",
                                          "Scrapes whose read of the outbox backlog failed (the last values stay).",
                                          HUB_METRIC_COUNTER, NULL, NULL, 0};

static struct {
  hub_pg *pg;
  int64_t sampled_us;
  double n[2], age[2]; /* [0] tenant, [1] account */
  hub_counter *errors;
} s;

static double value(void *ud) { return *(double *)ud; }

static hub_status sample_fn(hub_tx *tx, void *ud) {
  hub_tx_exec(tx, &scope_sql, NULL);
  *(hub_rows **)ud = hub_tx_exec(tx, &sample_sql, (const char *[]){BACKLOG_CAP});
  return HUB_STATUS_OK;
}

/* Runs before each write of the metrics, one at a time (metrics.h). */
static void collect(void *ud) {
  (void)ud;
  if (!s.pg) return; /* stopped */
  int64_t now = hub_clock_mono_us();
  if (s.sampled_us && now - s.sampled_us < MIN_AGE_US) return;
  s.sampled_us = now;
  hub_arena *a = hub_arena_new(0);
  hub_rows *rows = NULL;
  hub_status st = hub_tx_run(s.pg, a, NULL, NULL, READ_TIMEOUT_MS, sample_fn, &rows);
  if (hub_ok(st) && hub_rows_count(rows) == 1) {
    s.n[0] = (double)hub_rows_int(rows, 0, "tenant_n");
    s.n[1] = (double)hub_rows_int(rows, 0, "account_n");
    s.age[0] = strtod(hub_rows_text(rows, 0, "tenant_age"), NULL);
    s.age[1] = strtod(hub_rows_text(rows, 0, "account_age"), NULL);
  } else {
    hub_counter_inc(s.errors);
    hub_logf(HUB_LOG_WARN, "outbox metrics: cannot read the backlog: %s", st.message ? st.message : "no row");
  }
  hub_arena_free(a);
}

void hub_outbox_metrics_start(const char *database_url, int64_t connect_timeout_ms) {
  if (s.pg) return;
  s.pg = hub_pg_new(database_url, connect_timeout_ms);
  s.errors = hub_counter_simple(&errors_def);
  static const char *const names[2] = {"tenant", "account"};
  for (int i = 0; i < 2; i++) {
    hub_metric_fn(hub_metric_family_get(&backlog_def), (const char *[]){names[i]}, value, &s.n[i]);
    hub_metric_fn(hub_metric_family_get(&age_def), (const char *[]){names[i]}, value, &s.age[i]);
  }
  hub_metrics_on_collect(collect, NULL);
}

void hub_outbox_metrics_stop(void) {
  hub_pg_free(s.pg);
  s.pg = NULL;
}
