/* The tenant's deliveries for operators: ListDeliveries (newest first, by state, e.g. the dead
 * letters) and RetryDelivery (a dead delivery back in the queue now, its attempts kept, the
 * replay audited). Row-level security shows a tenant its own deliveries only; account mail
 * (no tenant) is the worker's alone. */
#include <stdio.h>
#include <string.h>

#include "hub/enum_text.h"
#include "identity/audit.h"
#include "identity/principal.h"
#include "services/notify/notify.h"

#define DELIVERY_COLUMNS                                                                          \
  "d.id, d.topic, d.channel, d.recipient AS address, d.state, d.attempts, d.last_error, "         \
  "CASE WHEN d.state IN ('pending', 'sending') THEN d.next_attempt_at END AS next_attempt_time, " \
  "d.created_at AS create_time, d.delivered_at AS deliver_time"

static const hub_pg_stmt list_sql = {"notify_deliveries_list",
                                     "SELECT " DELIVERY_COLUMNS
                                     " FROM notify_deliveries d WHERE d.tenant_id = hub_current_tenant() "
                                     "AND ($1::text IS NULL OR d.state = $1) AND ($2::uuid IS NULL OR d.id < $2::uuid) "
                                     "ORDER BY d.id DESC LIMIT $3::int + 1",
                                     3};

static const hub_pg_stmt retry_sql = {
    "notify_delivery_retry",
    "UPDATE notify_deliveries d SET state = 'pending', next_attempt_at = now() "
    "WHERE d.tenant_id = hub_current_tenant() AND d.id = $1::uuid AND d.state = 'dead' RETURNING " DELIVERY_COLUMNS,
    1};

static const hub_pg_stmt state_sql = {
    "notify_delivery_state",
    "SELECT d.state FROM notify_deliveries d WHERE d.tenant_id = hub_current_tenant() AND d.id = $1::uuid", 1};

hub_status hub_notify_v1_notify_list_deliveries(hub_call *call, const Hub__Notify__V1__ListDeliveriesRequest *request,
                                                Hub__Notify__V1__ListDeliveriesResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  const char *before; /* the last id of the previous page */
  st = hub_page_token_id(a, request->page_token, &before);
  if (!hub_ok(st)) return st;
  const char *state =
      request->state ? hub_enum_to_text(a, &hub__notify__v1__delivery_state__descriptor, (int)request->state) : NULL;
  hub_rows *rows;
  st = hub_call_query(call, &list_sql, (const char *[]){state, before, hub_arena_sprintf(a, "%d", limit)}, &rows);
  if (!hub_ok(st)) return st;
  response->n_deliveries =
      hub_rows_messages(rows, &hub__notify__v1__delivery__descriptor, limit, (void ***)&response->deliveries);
  response->page = hub_page_info(
      a, hub_rows_count(rows) > limit ? hub_page_token(a, response->deliveries[limit - 1]->id, "") : NULL);
  return HUB_STATUS_OK;
}

typedef struct retry_ctx {
  hub_call *call;
  const char *id;
  hub_rows *row, *state;
} retry_ctx;

static hub_status retry_fn(hub_tx *tx, void *ud) {
  retry_ctx *c = ud;
  hub_status st = hub_tx_query(tx, &retry_sql, (const char *[]){c->id}, &c->row);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(c->row) == 0) {
    c->state = hub_tx_exec(tx, &state_sql, (const char *[]){c->id});
    return HUB_STATUS_OK;
  }
  const hub_principal *p = hub_principal_of(c->call);
  hub_audit_tenant_write(tx, p->tenant_id, p->user_id, "notify.delivery_retried", c->id, p->ip, NULL);
  return HUB_STATUS_OK;
}

hub_status hub_notify_v1_notify_retry_delivery(hub_call *call, const Hub__Notify__V1__RetryDeliveryRequest *request,
                                               Hub__Notify__V1__Delivery *response) {
  hub_arena *a = hub_call_arena(call);
  retry_ctx c = {call, request->id, NULL, NULL};
  hub_status st = hub_call_tx(call, retry_fn, &c);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(c.row) == 1) {
    hub_rows_decode(c.row, 0, &response->base);
    return HUB_STATUS_OK;
  }
  if (hub_rows_count(c.state) == 0) return hub_status_new(a, HUB_NOT_FOUND, "id: no such delivery");
  return hub_status_new(a, HUB_FAILED_PRECONDITION, "id: the delivery is %s; only a dead one is retried",
                        hub_rows_text(c.state, 0, "state"));
}
