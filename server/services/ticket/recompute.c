/* RecomputeSla: recomputes the SLA of every open ticket of the tenant (after a policy or
 * calendar changed) as a long-running operation, "ticket.recompute_sla" (services/operations/
 * api.h). The RPC only starts it, in its own transaction; each step then takes the next 50
 * open tickets by id after the checkpoint, gives each the policy that matches it now, and
 * recomputes its due times and timers (ticket_sla_refresh). Registered at Ticket's init. */
#include <stdio.h>
#include <string.h>

#include "db/array.h"
#include "services/operations/api.h"
#include "services/ticket/ticket.h"

#define BATCH 50

static const hub_pg_stmt open_count_sql = {
    "ticket_recompute_count",
    "SELECT count(*) AS _n FROM tickets t WHERE t.tenant_id = hub_current_tenant() AND t.deleted_at IS NULL "
    "AND t.status NOT IN ('solved', 'closed')",
    0};
static const hub_pg_stmt batch_sql = {
    "ticket_recompute_batch",
    "SELECT t.id AS _id, t.priority AS _priority, t.brand AS _brand, t.tags AS _tags, "
    "coalesce(t.sla_policy_id::text, '') AS _policy FROM tickets t WHERE t.tenant_id = hub_current_tenant() "
    "AND t.deleted_at IS NULL AND t.status NOT IN ('solved', 'closed') AND ($1::uuid IS NULL OR t.id > $1::uuid) "
    "ORDER BY t.id LIMIT " "50",
    1};
static const hub_pg_stmt set_policy_sql = {
    "ticket_recompute_policy",
    "UPDATE tickets SET sla_policy_id = $2::uuid WHERE tenant_id = hub_current_tenant() AND id = $1::uuid", 2};

static hub_status recompute_step(hub_tx *tx, hub_op_job *job) {
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *count = job->total ? NULL : hub_tx_exec(tx, &open_count_sql, NULL);
  hub_rows *policies = ticket_sla_queue_policies(tx);
  hub_rows *batch = hub_tx_exec(tx, &batch_sql, (const char *[]){hub_sql_opt(job->checkpoint)});
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (count) job->total = hub_rows_int(count, 0, "_n");
  int64_t now = hub_rows_int(policies, 0, "_now");
  int n = hub_rows_count(batch);
  for (int i = 0; i < n && hub_ok(st); i++) {
    const char *id = hub_rows_text(batch, i, "_id");
    char **tags = NULL;
    size_t n_tags = hub_pg_array_parse(a, hub_rows_text(batch, i, "_tags"), &tags);
    int match = ticket_sla_pick(a, policies, ticket_priority_from_text(hub_rows_text(batch, i, "_priority")),
                                hub_rows_text(batch, i, "_brand"), tags, n_tags);
    const char *policy = ticket_sla_policy_id(policies, match);
    if (strcmp(policy ? policy : "", hub_rows_text(batch, i, "_policy")) != 0)
      hub_tx_exec(tx, &set_policy_sql, (const char *[]){id, policy});
    st = ticket_sla_refresh(tx, id, now, NULL);
  }
  if (!hub_ok(st)) return st;
  job->done += n;
  if (job->done > job->total) job->total = job->done; /* tickets opened since the count */
  if (n) job->next_checkpoint = hub_rows_text(batch, n - 1, "_id");
  job->finished = n < BATCH;
  if (job->finished) job->response_json = hub_arena_sprintf(a, "{\"tickets\": %lld}", (long long)job->done);
  return HUB_STATUS_OK;
}

static const hub_op_kind recompute_kind = {"ticket.recompute_sla", recompute_step};

bool ticket_jobs_init(const hub_service_env *env) {
  (void)env;
  return hub_operations_register(&recompute_kind);
}

static hub_status start_fn(hub_tx *tx, void *ud) {
  return hub_operations_start(tx, recompute_kind.name, NULL, ud);
}

hub_status hub_ticket_v1_ticket_recompute_sla(hub_call *call, const Hub__Ticket__V1__RecomputeSlaRequest *request,
                                              Hub__Operations__V1__Operation *response) {
  (void)request;
  Hub__Operations__V1__Operation *op = NULL;
  hub_status st = hub_call_tx(call, start_fn, &op);
  if (hub_ok(st)) *response = *op;
  return st;
}
