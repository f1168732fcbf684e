/* Operator commands of Notify, run as `hubd <command>` with the server's settings and exiting
 * with 0 (done) or 1 (the database could not answer):
 *   notify-status     the undelivered events of both outboxes (and the oldest's age), the
 *                     deliveries by state, the newest dead letters with their last error, and
 *                     the events set aside because their routing failed by itself;
 *   notify-redeliver  every dead delivery back in the queue, now (RetryDelivery for all tenants
 *                     and for account mail, which no tenant's admin can replay).
 * They read and write across tenants as the delivery worker does (scope notify_worker). */
#include <stdio.h>
#include <stdlib.h>

#include "hub/config.h"
#include "hub/log.h"
#include "services/notify/notify.h"


static const hub_pg_stmt backlog_sql = {
    "notify_cmd_backlog",
    "SELECT (SELECT count(*) FROM outbox WHERE delivered_at IS NULL) AS events, "
    "coalesce((SELECT extract(epoch FROM now() - min(created_at))::bigint FROM outbox WHERE delivered_at IS NULL), 0) "
    "AS events_age, (SELECT count(*) FROM account_outbox WHERE delivered_at IS NULL) AS account_events, "
    "coalesce((SELECT extract(epoch FROM now() - min(created_at))::bigint FROM account_outbox "
    "WHERE delivered_at IS NULL), 0) AS account_age",
    0};

static const hub_pg_stmt states_sql = {
    "notify_cmd_states",
    "SELECT count(*) FILTER (WHERE state = 'pending') AS pending, count(*) FILTER (WHERE state = 'sending') AS "
    "sending, "
    "count(*) FILTER (WHERE state = 'delivered') AS delivered, count(*) FILTER (WHERE state = 'dead') AS dead "
    "FROM notify_deliveries",
    0};

static const hub_pg_stmt dead_sql = {
    "notify_cmd_dead",
    "SELECT id, topic, recipient, attempts, last_error, coalesce(tenant_id::text, 'account mail') AS owner "
    "FROM notify_deliveries WHERE state = 'dead' ORDER BY id DESC LIMIT 20",
    0};

static const hub_pg_stmt aside_sql = {
    "notify_cmd_aside",
    "SELECT * FROM (SELECT created_at, topic, tenant_id::text AS owner, id, route_error FROM outbox "
    "WHERE route_error IS NOT NULL UNION ALL SELECT created_at, topic, 'account mail', id, route_error "
    "FROM account_outbox WHERE route_error IS NOT NULL) x ORDER BY created_at DESC LIMIT 20",
    0};

static const hub_pg_stmt redeliver_sql = {"notify_cmd_redeliver",
                                          "WITH r AS (UPDATE notify_deliveries SET state = 'pending', next_attempt_at "
                                          "= now() WHERE state = 'dead' RETURNING 1) "
                                          "SELECT count(*) AS n FROM r",
                                          0};

typedef struct status_ctx {
  hub_rows *backlog, *states, *dead, *aside, *redelivered;
  bool redeliver;
} status_ctx;

static hub_status status_fn(hub_tx *tx, void *ud) {
  status_ctx *c = ud;
  hub_tx_exec(tx, &notify_scope_sql, NULL);
  if (c->redeliver) {
    c->redelivered = hub_tx_exec(tx, &redeliver_sql, NULL);
    return HUB_STATUS_OK;
  }
  c->backlog = hub_tx_exec(tx, &backlog_sql, NULL);
  c->states = hub_tx_exec(tx, &states_sql, NULL);
  c->dead = hub_tx_exec(tx, &dead_sql, NULL);
  c->aside = hub_tx_exec(tx, &aside_sql, NULL);
  return HUB_STATUS_OK;
}

static int run(const hub_service_env *env, bool redeliver) {
  hub_pg *pg = hub_pg_new(env->config->database_url, env->config->db_timeout_ms);
  hub_arena *a = hub_arena_new(0);
  status_ctx c = {.redeliver = redeliver};
  hub_status st = hub_tx_run(pg, a, NULL, NULL, 30000, status_fn, &c);
  int rc = 0;
  if (!hub_ok(st)) {
    fprintf(stderr, "hubd: %s\n", st.message);
    rc = 1;
  } else if (redeliver) {
    long long n = (long long)hub_rows_int(c.redelivered, 0, "n");
    printf("%lld dead deliveries queued again\n", n);
    hub_logf(HUB_LOG_INFO, "notify-redeliver: %lld dead deliveries queued again", n);
  } else {
    printf("outbox: %lld undelivered events (oldest %lld s); account outbox: %lld (oldest %lld s)\n",
           (long long)hub_rows_int(c.backlog, 0, "events"), (long long)hub_rows_int(c.backlog, 0, "events_age"),
           (long long)hub_rows_int(c.backlog, 0, "account_events"),
           (long long)hub_rows_int(c.backlog, 0, "account_age"));
    printf("deliveries: %lld pending, %lld sending, %lld delivered, %lld dead\n",
           (long long)hub_rows_int(c.states, 0, "pending"), (long long)hub_rows_int(c.states, 0, "sending"),
           (long long)hub_rows_int(c.states, 0, "delivered"), (long long)hub_rows_int(c.states, 0, "dead"));
    for (int i = 0; i < hub_rows_count(c.dead); i++)
      printf("dead %s %s %s (%s), %lld attempts: %s\n", hub_rows_text(c.dead, i, "id"),
             hub_rows_text(c.dead, i, "topic"), hub_rows_text(c.dead, i, "recipient"),
             hub_rows_text(c.dead, i, "owner"), (long long)hub_rows_int(c.dead, i, "attempts"),
             hub_rows_text(c.dead, i, "last_error"));
    for (int i = 0; i < hub_rows_count(c.aside); i++)
      printf("set aside: event %s %s (%s): %s\n", hub_rows_text(c.aside, i, "id"), hub_rows_text(c.aside, i, "topic"),
             hub_rows_text(c.aside, i, "owner"), hub_rows_text(c.aside, i, "route_error"));
  }
  hub_arena_free(a);
  hub_pg_free(pg);
  return rc;
}

static int status_cmd(const hub_service_env *env) { return run(env, false); }
static int redeliver_cmd(const hub_service_env *env) { return run(env, true); }

const hub_service_command notify_commands[] = {
    {"notify-status", "print the outbox backlog, deliveries by state and the newest dead letters, and exit",
     status_cmd},
    {"notify-redeliver", "queue every dead delivery again (all tenants and account mail), and exit", redeliver_cmd},
    {NULL, NULL, NULL},
};
