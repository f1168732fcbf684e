/* A ticket row (HUB_TICKET_COLUMNS) as the API's TicketInfo, with its SLA state as of now. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/ticket/ticket.h"

static char *col(hub_arena *a, PGresult *res, int row, int c) { return hub_arena_strdup(a, PQgetvalue(res, row, c)); }
static int64_t num(PGresult *res, int row, int c) { return strtoll(PQgetvalue(res, row, c), NULL, 10); }

static Hub__Ticket__V1__SlaTarget *target(hub_arena *a, int64_t due, int64_t met, bool paused, int64_t now) {
  if (!due && !met) return NULL;
  Hub__Ticket__V1__SlaTarget *t = hub_arena_alloc(a, sizeof *t);
  hub__ticket__v1__sla_target__init(t);
  if (met) {
    t->met_at = hub_ticket_ts(a, met);
    t->breached = due && met > due;
  } else if (due) {
    if (!paused) t->due_at = hub_ticket_ts(a, due);
    t->remaining_seconds = due - now;
    t->breached = now > due;
  }
  return t;
}

Hub__Ticket__V1__TicketInfo *hub_ticket_from_row(hub_arena *a, PGresult *res, int r, int64_t now) {
  Hub__Ticket__V1__TicketInfo *t = hub_arena_alloc(a, sizeof *t);
  hub__ticket__v1__ticket_info__init(t);
  t->id = col(a, res, r, 0);
  t->number = num(res, r, 1);
  t->brand = col(a, res, r, 2);
  t->subject = col(a, res, r, 3);
  t->description = col(a, res, r, 4);
  t->requester_user_id = col(a, res, r, 5);
  t->requester_email = col(a, res, r, 6);
  t->assignee_id = col(a, res, r, 7);
  t->team_id = col(a, res, r, 8);
  t->priority = ticket_priority_from_text(PQgetvalue(res, r, 9));
  t->status = ticket_status_from_text(PQgetvalue(res, r, 10));
  t->n_tags = hub_pg_array_parse(a, PQgetvalue(res, r, 11), &t->tags);
  t->custom_fields_json = col(a, res, r, 12);
  t->channel = col(a, res, r, 13);
  t->n_followers = hub_pg_array_parse(a, PQgetvalue(res, r, 14), &t->followers);
  t->merged_into = col(a, res, r, 15);
  Hub__Ticket__V1__SlaState *sla = hub_arena_alloc(a, sizeof *sla);
  hub__ticket__v1__sla_state__init(sla);
  sla->policy_id = col(a, res, r, 16);
  sla->paused = PQgetvalue(res, r, 17)[0] == 't';
  sla->breached = PQgetvalue(res, r, 18)[0] == 't';
  int64_t fr_due = num(res, r, 19), nr_due = num(res, r, 20), res_due = num(res, r, 21);
  int64_t fr_at = num(res, r, 22), solved_at = num(res, r, 23);
  sla->first_response = target(a, fr_due, fr_at, sla->paused, now);
  sla->next_response = target(a, nr_due, 0, sla->paused, now);
  sla->resolution = target(a, res_due, solved_at, sla->paused, now);
  t->sla = sla;
  t->csat_score = (int32_t)num(res, r, 24);
  t->time_spent_seconds = num(res, r, 25);
  t->created_at = hub_ticket_ts(a, num(res, r, 26));
  t->updated_at = hub_ticket_ts(a, num(res, r, 27));
  t->deleted_at = hub_ticket_ts(a, num(res, r, 28));
  t->etag = col(a, res, r, 29);
  return t;
}

void hub_ticket_copy(Hub__Ticket__V1__TicketInfo *dst, const Hub__Ticket__V1__TicketInfo *src) { *dst = *src; }

static const hub_pg_stmt load_sql = {
    "ticket_load", "SELECT " HUB_TICKET_COLUMNS " FROM tickets t WHERE t.tenant_id = hub_current_tenant() AND t.id = $1::uuid",
    1};
static const hub_pg_stmt load_lock_sql = {
    "ticket_load_lock",
    "SELECT " HUB_TICKET_COLUMNS " FROM tickets t WHERE t.tenant_id = hub_current_tenant() AND t.id = $1::uuid FOR UPDATE",
    1};

hub_status hub_ticket_load(hub_pg *pg, hub_arena *a, const char *id, bool for_update, bool include_deleted,
                           Hub__Ticket__V1__TicketInfo **out) {
  *out = NULL;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, for_update ? &load_lock_sql : &load_sql, (const char *[]){id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) == 1) *out = hub_ticket_from_row(a, res, 0, hub_clock_wall_s());
  PQclear(res);
  if (!*out || (!include_deleted && (*out)->deleted_at)) {
    *out = NULL;
    return hub_status_new(a, HUB_NOT_FOUND, "no such ticket");
  }
  return HUB_STATUS_OK;
}
