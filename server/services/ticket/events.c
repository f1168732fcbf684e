/* The ticket event log: every change appended with the tenant's next sequence number, queued
 * in the transaction of the change, and ListTicketEvents. The counter row's lock serialises a
 * tenant's writers, so events commit in seq order and a reader asking for seq > n never
 * skips one that commits later (what WatchTickets relies on). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/outbox.h"
#include "hub/assert.h"
#include "hub/uuid.h"
#include "hub/ticket/v1/ticket.hub-server.h"
#include "services/ticket/ticket.h"

static const hub_pg_stmt event_sql = {
    "ticket_event",
    "WITH c AS (INSERT INTO ticket_counters AS tc (tenant_id, last_seq) VALUES (hub_current_tenant(), 1) "
    "           ON CONFLICT (tenant_id) DO UPDATE SET last_seq = tc.last_seq + 1 RETURNING last_seq) "
    "INSERT INTO ticket_events (tenant_id, seq, ticket_id, actor_id, kind, field, old_value, new_value) "
    "SELECT hub_current_tenant(), c.last_seq, $1::uuid, $2::uuid, $3, coalesce($4, ''), $5, $6 FROM c",
    6};

void ticket_event(hub_tx *tx, const char *ticket_id, const char *actor, const char *kind, const char *field,
                      const char *old_value, const char *new_value) {
  const char *p[] = {ticket_id, hub_sql_opt(actor), kind, field, old_value, new_value};
  hub_tx_exec(tx, &event_sql, p);
}

void ticket_outbox(hub_tx *tx, const char *topic, const char *ticket_id, int64_t number) {
  hub_arena *a = hub_tx_arena(tx);
  HUB_ASSERT(hub_uuid_lower(a, ticket_id)); /* so it needs no JSON escaping */
  const char *payload = hub_arena_sprintf(a, "{\"ticket_id\":\"%s\",\"number\":%lld}", ticket_id, (long long)number);
  hub_outbox_write(tx, HUB_OUTBOX_TENANT, topic, ticket_id, payload);
}

static const hub_pg_stmt list_sql = {
    "ticket_events_list",
    "SELECT " TICKET_EVENT_COLUMNS " FROM ticket_events e "
    "WHERE e.tenant_id = hub_current_tenant() AND e.ticket_id = $1::uuid AND e.seq > $2::bigint ORDER BY e.seq LIMIT $3",
    3};

typedef struct list_ctx {
  const char *ticket_id, *after;
  int limit;
  hub_rows *ticket, *events;
} list_ctx;

/* The ticket's existence and its events go out together: one round trip. */
static hub_status list_fn(hub_tx *tx, void *ud) {
  list_ctx *c = ud;
  char lim[16];
  snprintf(lim, sizeof lim, "%d", c->limit + 1);
  c->ticket = ticket_queue_exists(tx, c->ticket_id);
  c->events = hub_tx_exec(tx, &list_sql, (const char *[]){c->ticket_id, c->after, lim});
  return HUB_STATUS_OK;
}

hub_status hub_ticket_v1_ticket_list_ticket_events(hub_call *call, const Hub__Ticket__V1__ListTicketEventsRequest *request,
                                                   Hub__Ticket__V1__ListTicketEventsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  list_ctx c = {request->ticket_id, "0", 0, NULL, NULL};
  hub_status st = hub_page_size(a, request->page_size, &c.limit);
  if (!hub_ok(st)) return st;
  if (*request->page_token) {
    char *seq, *tag;
    if (!hub_page_token_parse(a, request->page_token, &seq, &tag) || strcmp(tag, "e") != 0)
      return hub_status_invalid(a, "page_token", "not a token from this list");
    c.after = seq;
  }
  if (!hub_ok(st = hub_call_tx(call, list_fn, &c))) return st;
  if (!hub_ok(st = ticket_found(a, c.ticket, "ticket_id"))) return st;
  response->n_events = hub_rows_messages(c.events, &hub__ticket__v1__ticket_event__descriptor, c.limit,
                                         (void ***)&response->events);
  char *next = NULL;
  if (hub_rows_count(c.events) > c.limit)
    next = hub_page_token(a, hub_rows_text(c.events, c.limit - 1, "seq"), "e");
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}
