/* WatchTickets: the tenant's ticket events as a stream, for live agent screens. It polls the
 * event log every 250 ms from the last seq sent (events commit in seq order, see events.c, so
 * "seq > last" never skips one); a client that reconnects with the last seq it received gets
 * everything after it, once. The session is re-checked (identity/stream.h), so a revoked
 * session's stream ends with UNAUTHENTICATED. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/ticket/v1/ticket.hub-server.h"
#include "identity/stream.h"
#include "services/ticket/ticket.h"

#define POLL_MS 250
#define BATCH 500

static const hub_pg_stmt head_sql = {
    "ticket_watch_head",
    "SELECT coalesce((SELECT last_seq FROM ticket_counters WHERE tenant_id = hub_current_tenant()), 0) AS _seq", 0};
static const hub_pg_stmt since_sql = {
    "ticket_watch_since",
    "SELECT " TICKET_EVENT_COLUMNS " FROM ticket_events e "
    "WHERE e.tenant_id = hub_current_tenant() AND e.seq > $1::bigint ORDER BY e.seq LIMIT " "500",
    1};

typedef struct poll_ctx {
  char after[24];
  hub_rows *rows;
} poll_ctx;

static hub_status poll_fn(hub_tx *tx, void *ud) {
  poll_ctx *p = ud;
  p->rows = hub_tx_exec(tx, &since_sql, (const char *[]){p->after});
  return HUB_STATUS_OK;
}

hub_status hub_ticket_v1_ticket_watch_tickets(hub_call *call, const Hub__Ticket__V1__WatchTicketsRequest *request,
                                              hub_stream *stream) {
  const hub_principal *pr = hub_principal_of(call);
  hub_ctx *ctx = hub_ctx_of(call);
  int64_t last = request->resume_after_seq;
  if (last == 0) {
    hub_rows *head;
    hub_status st = hub_call_query(call, &head_sql, NULL, &head);
    if (!hub_ok(st)) return st;
    last = hub_rows_int(head, 0, "_seq");
  }
  poll_ctx p;
  int64_t checked = hub_clock_wall_s();
  for (;;) {
    /* Per poll, in an arena of its own (a long stream must not grow the call's), as the caller
     * in the caller's tenant, each poll bounded on its own. */
    hub_arena *round = hub_arena_new(0);
    snprintf(p.after, sizeof p.after, "%lld", (long long)last);
    hub_status st = hub_tx_run(ctx->pg, round, pr->tenant_id, pr->user_id, 5000, poll_fn, &p);
    int n = hub_ok(st) ? hub_rows_count(p.rows) : 0;
    for (int i = 0; i < n && hub_ok(st); i++) {
      Hub__Ticket__V1__TicketEvent *e =
          (Hub__Ticket__V1__TicketEvent *)hub_rows_message(p.rows, i, &hub__ticket__v1__ticket_event__descriptor);
      st = hub_stream_write(stream, &e->base);
      if (hub_ok(st)) last = e->seq;
    }
    hub_arena_free(round);
    if (!hub_ok(st)) return st.code == HUB_CANCELLED ? HUB_STATUS_OK : st;
    st = hub_stream_session_alive(call, ctx->redis, &checked);
    if (!hub_ok(st)) return st;
    if (n < BATCH && !hub_call_sleep_ms(call, POLL_MS)) return HUB_STATUS_OK; /* cancelled or deadline */
  }
}
