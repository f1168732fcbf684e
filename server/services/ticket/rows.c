/* A ticket row (TICKET_COLUMNS, whose names are the fields they fill) as the API's
 * TicketInfo, with its SLA targets as of now: the stored due and met times come from the
 * columns, what depends on the moment of the answer (time left, breached, a paused clock's
 * hidden due time) is added here. */
#include "services/ticket/ticket.h"

static bool later(const Google__Protobuf__Timestamp *x, const Google__Protobuf__Timestamp *y) {
  return x->seconds > y->seconds || (x->seconds == y->seconds && x->nanos > y->nanos);
}

static void finish_target(Hub__Ticket__V1__SlaTarget *t, bool paused, int64_t now) {
  if (!t) return;
  if (t->met_at) {
    t->breached = t->due_at && later(t->met_at, t->due_at);
    t->due_at = NULL;
  } else if (t->due_at) {
    t->remaining_seconds = t->due_at->seconds - now;
    t->breached = now > t->due_at->seconds;
    if (paused) t->due_at = NULL;
  }
}

void ticket_finish(Hub__Ticket__V1__TicketInfo *t, int64_t now) {
  Hub__Ticket__V1__SlaState *sla = t->sla;
  if (!sla) return;
  finish_target(sla->first_response, sla->paused, now);
  finish_target(sla->next_response, sla->paused, now);
  finish_target(sla->resolution, sla->paused, now);
}

bool ticket_decode(const hub_rows *r, int row, Hub__Ticket__V1__TicketInfo *out) {
  if (row >= hub_rows_count(r)) return false;
  hub_rows_decode(r, row, &out->base);
  ticket_finish(out, hub_clock_wall_s());
  return true;
}

Hub__Ticket__V1__TicketInfo *ticket_row(const hub_rows *r, int row) {
  Hub__Ticket__V1__TicketInfo *t =
      (Hub__Ticket__V1__TicketInfo *)hub_rows_message(r, row, &hub__ticket__v1__ticket_info__descriptor);
  if (t) ticket_finish(t, hub_clock_wall_s());
  return t;
}

static const hub_pg_stmt load_sql = {
    "ticket_load", "SELECT " TICKET_COLUMNS " FROM tickets t WHERE t.tenant_id = hub_current_tenant() AND t.id = $1::uuid",
    1};
static const hub_pg_stmt load_lock_sql = {
    "ticket_load_lock",
    "SELECT " TICKET_COLUMNS " FROM tickets t WHERE t.tenant_id = hub_current_tenant() AND t.id = $1::uuid FOR UPDATE",
    1};
static const hub_pg_stmt exists_sql = {
    "ticket_exists", "SELECT t.id FROM tickets t WHERE t.tenant_id = hub_current_tenant() AND t.id = $1::uuid", 1};

hub_rows *ticket_queue_load(hub_tx *tx, const char *id, bool for_update) {
  return hub_tx_exec(tx, for_update ? &load_lock_sql : &load_sql, (const char *[]){id});
}

hub_rows *ticket_queue_exists(hub_tx *tx, const char *id) {
  return hub_tx_exec(tx, &exists_sql, (const char *[]){id});
}

hub_status ticket_found(hub_arena *a, const hub_rows *r, const char *field) {
  if (hub_rows_count(r) > 0) return HUB_STATUS_OK;
  return hub_status_at_field(a, hub_status_new(a, HUB_NOT_FOUND, "no such ticket"), field);
}

hub_status ticket_loaded(hub_arena *a, const hub_rows *r, bool include_deleted, const char *field,
                             Hub__Ticket__V1__TicketInfo **out) {
  *out = ticket_row(r, 0);
  if (*out && (include_deleted || !(*out)->deleted_at)) return HUB_STATUS_OK;
  *out = NULL;
  return hub_status_at_field(a, hub_status_new(a, HUB_NOT_FOUND, "no such ticket"), field);
}
