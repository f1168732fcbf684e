/* The thread: AddComment and ListComments. A public agent reply answers the requester (first
 * response, next response); a requester's reply reopens a solved or pending ticket and starts
 * the next-response clock. Internal notes move no clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/ticket/v1/ticket.hub-server.h"
#include "services/ticket/ticket.h"

/* A comment's columns (alias c), named for Comment's fields. */
#define COMMENT_COLUMNS                                                             \
  "c.id, c.ticket_id, c.author_id, c.author_kind, c.public AS \"public\", c.body, " \
  "c.time_spent_s AS time_spent_seconds, c.created_at, c.moved_from"

static const hub_pg_stmt insert_sql = {
    "ticket_comment_insert",
    "INSERT INTO ticket_comments AS c (id, tenant_id, ticket_id, author_id, author_kind, public, body, time_spent_s) "
    "VALUES ($7::uuid, hub_current_tenant(), $1::uuid, $2::uuid, $3, $4::boolean, $5, $6::int) RETURNING " COMMENT_COLUMNS,
    7};
static const hub_pg_stmt agent_reply_sql = {
    "ticket_agent_reply",
    "UPDATE tickets SET first_response_at = coalesce(first_response_at, now()), last_agent_reply_at = now(), "
    "  version = version + 1, updated_at = now() WHERE tenant_id = hub_current_tenant() AND id = $1::uuid",
    1};
static const hub_pg_stmt requester_reply_sql = {
    "ticket_requester_reply",
    "UPDATE tickets SET last_requester_reply_at = now(), status = $2, solved_at = CASE WHEN $2 = 'solved' THEN solved_at END, "
    "  version = version + 1, updated_at = now() WHERE tenant_id = hub_current_tenant() AND id = $1::uuid",
    2};
static const hub_pg_stmt touch_sql = {
    "ticket_touch", "UPDATE tickets SET version = version + 1, updated_at = now() WHERE tenant_id = hub_current_tenant() "
                    "AND id = $1::uuid",
    1};
static const hub_pg_stmt list_sql = {
    "ticket_comments_list",
    "SELECT " COMMENT_COLUMNS ", c.created_at::text AS _key "
    "FROM ticket_comments c WHERE c.tenant_id = hub_current_tenant() AND c.ticket_id = $1::uuid "
    "  AND (c.created_at, c.id) > ($2::timestamptz, $3::uuid) ORDER BY c.created_at, c.id LIMIT $4",
    4};

typedef struct add_ctx {
  const Hub__Ticket__V1__AddCommentRequest *req;
  const char *actor;
  hub_rows *comment;
} add_ctx;

/* Round trip 1: the ticket, locked. Round trip 2: the comment (its id minted here, so its event
 * goes along), the ticket's clocks, events and pause, with the SLA's inputs; then the SLA's
 * writes and the outbox message go out with COMMIT. */
static hub_status add_fn(hub_tx *tx, void *ud) {
  add_ctx *c = ud;
  const Hub__Ticket__V1__AddCommentRequest *req = c->req;
  hub_arena *a = hub_tx_arena(tx);
  Hub__Ticket__V1__TicketInfo *t;
  hub_rows *loaded = ticket_queue_load(tx, req->ticket_id, true);
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st) || !hub_ok(st = ticket_loaded(a, loaded, false, "ticket_id", &t))) return st;
  if (t->status == HUB__TICKET__V1__STATUS__STATUS_CLOSED)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "a closed ticket takes no comments; open a follow-up");
  bool requester = req->from_requester || (*t->requester_user_id && !strcmp(t->requester_user_id, c->actor));
  const char *kind = requester ? "requester" : "agent";
  char spent[24];
  snprintf(spent, sizeof spent, "%lld", (long long)req->time_spent_seconds);
  char *id = ticket_new_id(a);
  if (!id) return hub_status_fixed(HUB_INTERNAL, "no randomness for a comment id");
  c->comment = hub_tx_exec(
      tx, &insert_sql,
      (const char *[]){req->ticket_id, c->actor, kind, req->public_ ? "true" : "false", req->body, spent, id});

  Hub__Ticket__V1__Status next = t->status;
  if (requester && (t->status == HUB__TICKET__V1__STATUS__STATUS_SOLVED ||
                    t->status == HUB__TICKET__V1__STATUS__STATUS_PENDING))
    next = HUB__TICKET__V1__STATUS__STATUS_OPEN;
  if (requester && req->public_)
    hub_tx_exec(tx, &requester_reply_sql, (const char *[]){req->ticket_id, ticket_status_text(a, next)});
  else if (!requester && req->public_)
    hub_tx_exec(tx, &agent_reply_sql, (const char *[]){req->ticket_id});
  else
    hub_tx_exec(tx, &touch_sql, (const char *[]){req->ticket_id});
  ticket_event(tx, req->ticket_id, c->actor, "commented", req->public_ ? "public" : "internal", NULL, id);
  if (next != t->status) {
    ticket_event(tx, req->ticket_id, c->actor, "updated", "status", ticket_status_text(a, t->status),
                     ticket_status_text(a, next));
    if (ticket_status_pauses(t->status)) ticket_sla_set_paused(tx, req->ticket_id, false);
  }
  if (!hub_ok(st = ticket_sla_refresh(tx, req->ticket_id, hub_clock_wall_s(), NULL))) return st;
  ticket_outbox(tx, "ticket.commented", req->ticket_id, t->number);
  return HUB_STATUS_OK;
}

hub_status hub_ticket_v1_ticket_add_comment(hub_call *call, const Hub__Ticket__V1__AddCommentRequest *request,
                                            Hub__Ticket__V1__Comment *response) {
  add_ctx c = {request, ticket_actor(call), NULL};
  hub_status st = hub_call_tx(call, add_fn, &c);
  if (hub_ok(st)) hub_rows_decode(c.comment, 0, &response->base);
  return st;
}

typedef struct list_ctx {
  const char *ticket_id, *after_ts, *after_id;
  int limit;
  hub_rows *ticket, *comments;
} list_ctx;

/* The ticket's existence and the page go out together: one round trip. */
static hub_status list_fn(hub_tx *tx, void *ud) {
  list_ctx *c = ud;
  char lim[16];
  snprintf(lim, sizeof lim, "%d", c->limit + 1);
  c->ticket = ticket_queue_exists(tx, c->ticket_id);
  c->comments = hub_tx_exec(tx, &list_sql, (const char *[]){c->ticket_id, c->after_ts, c->after_id, lim});
  return HUB_STATUS_OK;
}

hub_status hub_ticket_v1_ticket_list_comments(hub_call *call, const Hub__Ticket__V1__ListCommentsRequest *request,
                                              Hub__Ticket__V1__ListCommentsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  list_ctx c = {request->ticket_id, "-infinity", "00000000-0000-0000-0000-000000000000", 0, NULL, NULL};
  hub_status st = hub_page_size(a, request->page_size, &c.limit);
  if (!hub_ok(st)) return st;
  if (*request->page_token) {
    char *ts, *id;
    if (!hub_page_token_parse(a, request->page_token, &ts, &id) || !hub_uuid_lower(a, id))
      return hub_status_invalid(a, "page_token", "not a token from this list");
    c.after_ts = ts;
    c.after_id = id;
  }
  if (!hub_ok(st = hub_call_tx(call, list_fn, &c))) return st;
  if (!hub_ok(st = ticket_found(a, c.ticket, "ticket_id"))) return st;
  response->n_comments =
      hub_rows_messages(c.comments, &hub__ticket__v1__comment__descriptor, c.limit, (void ***)&response->comments);
  char *next = NULL;
  if (hub_rows_count(c.comments) > c.limit)
    next = hub_page_token(a, hub_rows_text(c.comments, c.limit - 1, "_key"), hub_rows_text(c.comments, c.limit - 1, "id"));
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}
