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
    "SELECT 'team' AS dimension, coalesce(team_id::text, '') AS key, count(*) AS targets, "
    "  count(*) FILTER (WHERE met) AS met FROM targets GROUP BY team_id "
    "UNION ALL SELECT 'agent', coalesce(assignee_id::text, ''), count(*), count(*) FILTER (WHERE met) FROM targets "
    "  GROUP BY assignee_id "
    "UNION ALL SELECT 'priority', priority, count(*), count(*) FILTER (WHERE met) FROM targets GROUP BY priority "
    "ORDER BY 1, 2",
    2};

hub_status hub_ticket_v1_ticket_report_sla(hub_call *call, const Hub__Ticket__V1__ReportSlaRequest *request,
                                           Hub__Ticket__V1__ReportSlaResponse *response) {
  hub_arena *a = hub_call_arena(call);
  if (request->to->seconds <= request->from->seconds) return hub_status_invalid(a, "to", "must be after from");
  if (request->to->seconds - request->from->seconds > 400LL * 86400)
    return hub_status_invalid(a, "to", "a range covers at most 400 days");
  char from[24], to[24];
  snprintf(from, sizeof from, "%lld", (long long)request->from->seconds);
  snprintf(to, sizeof to, "%lld", (long long)request->to->seconds);
  hub_rows *r;
  hub_status st = hub_call_query(call, &report_sql, (const char *[]){from, to}, &r);
  if (!hub_ok(st)) return st;
  response->n_rows = hub_rows_messages(r, &hub__ticket__v1__sla_report_row__descriptor, -1, (void ***)&response->rows);
  for (size_t i = 0; i < response->n_rows; i++) {
    Hub__Ticket__V1__SlaReportRow *row = response->rows[i];
    row->met_percent = row->targets ? 100.0 * (double)row->met / (double)row->targets : 100.0;
  }
  return HUB_STATUS_OK;
}
