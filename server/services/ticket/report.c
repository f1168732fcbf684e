/* ReportSla: the share of SLA targets met, per team, per agent and per priority, for tickets
 * created in a range — computed in one query from the stored timestamps and due times (a
 * target is met when it was reached by its due time; one still running and not yet due is
 * not counted either way). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/ticket/v1/ticket.hub-server.h"
#include "services/ticket/ticket.h"

static const hub_pg_stmt report_sql = {
    "ticket_sla_report",
    "WITH targets AS ("
    "  SELECT t.team_id, t.assignee_id, t.priority, x.met FROM tickets t, LATERAL (VALUES "
    "    (CASE WHEN t.sla_first_response_due IS NULL THEN NULL "
    "          WHEN t.first_response_at IS NOT NULL THEN t.first_response_at <= t.sla_first_response_due "
    "          WHEN now() > t.sla_first_response_due THEN false END), "
    "    (CASE WHEN t.sla_resolution_due IS NULL THEN NULL "
    "          WHEN t.solved_at IS NOT NULL THEN t.solved_at <= t.sla_resolution_due "
    "          WHEN now() > t.sla_resolution_due THEN false END)) AS x(met) "
    "  WHERE t.tenant_id = hub_current_tenant() AND t.deleted_at IS NULL AND t.merged_into IS NULL "
    "    AND t.created_at >= to_timestamp($1::bigint) AND t.created_at < to_timestamp($2::bigint) AND x.met IS NOT NULL) "
    "SELECT 'team', coalesce(team_id::text, ''), count(*), count(*) FILTER (WHERE met) FROM targets GROUP BY team_id "
    "UNION ALL SELECT 'agent', coalesce(assignee_id::text, ''), count(*), count(*) FILTER (WHERE met) FROM targets "
    "  GROUP BY assignee_id "
    "UNION ALL SELECT 'priority', priority, count(*), count(*) FILTER (WHERE met) FROM targets GROUP BY priority "
    "ORDER BY 1, 2",
    2};

typedef struct report_ctx {
  char from[24], to[24];
  Hub__Ticket__V1__ReportSlaResponse *resp;
} report_ctx;

static hub_status report_fn(hub_pg *pg, hub_arena *a, void *ud) {
  report_ctx *c = ud;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &report_sql, (const char *[]){c->from, c->to}, &res);
  if (!hub_ok(st)) return st;
  int n = PQntuples(res);
  c->resp->rows = hub_arena_calloc(a, n ? (size_t)n : 1, sizeof *c->resp->rows);
  for (int i = 0; i < n; i++) {
    Hub__Ticket__V1__SlaReportRow *r = hub_arena_alloc(a, sizeof *r);
    hub__ticket__v1__sla_report_row__init(r);
    r->dimension = hub_arena_strdup(a, PQgetvalue(res, i, 0));
    r->key = hub_arena_strdup(a, PQgetvalue(res, i, 1));
    r->targets = strtoll(PQgetvalue(res, i, 2), NULL, 10);
    r->met = strtoll(PQgetvalue(res, i, 3), NULL, 10);
    r->met_percent = r->targets ? 100.0 * (double)r->met / (double)r->targets : 100.0;
    c->resp->rows[c->resp->n_rows++] = r;
  }
  PQclear(res);
  return HUB_STATUS_OK;
}

hub_status hub_ticket_v1_ticket_report_sla(hub_call *call, const Hub__Ticket__V1__ReportSlaRequest *request,
                                           Hub__Ticket__V1__ReportSlaResponse *response) {
  hub_arena *a = hub_call_arena(call);
  if (request->to->seconds <= request->from->seconds) return hub_status_invalid(a, "to", "must be after from");
  if (request->to->seconds - request->from->seconds > 400LL * 86400)
    return hub_status_invalid(a, "to", "a range covers at most 400 days");
  report_ctx c = {.resp = response};
  snprintf(c.from, sizeof c.from, "%lld", (long long)request->from->seconds);
  snprintf(c.to, sizeof c.to, "%lld", (long long)request->to->seconds);
  return hub_pg_tx(hub_ctx_of(call)->pg, a, hub_ticket_tenant(call), hub_call_remaining_ms(call), report_fn, &c);
}
