/* MergeTickets and SplitTicket. A merge moves the source's comments (and the time logged on
 * them), tags and followers to the target and closes the source with a pointer to it; a split
 * moves chosen comments to a new ticket. Comments keep a pointer to where they came from, and
 * events stay in the log of the ticket they happened to, so nothing of either history is lost.
 * Both tickets are locked in id order, so two merges of the same pair cannot deadlock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/ticket/v1/ticket.hub-server.h"
#include "services/ticket/ticket.h"

static const hub_pg_stmt move_all_sql = {
    "ticket_merge_move_comments",
    "UPDATE ticket_comments SET ticket_id = $2::uuid, moved_from = coalesce(moved_from, $1::uuid) "
    "WHERE tenant_id = hub_current_tenant() AND ticket_id = $1::uuid",
    2};
static const hub_pg_stmt merge_target_sql = {
    "ticket_merge_target",
    "UPDATE tickets t SET tags = ARRAY(SELECT DISTINCT x FROM unnest(t.tags || s.tags) x ORDER BY x), "
    "  followers = ARRAY(SELECT DISTINCT f FROM unnest(t.followers || s.followers || "
    "                    CASE WHEN s.requester_user_id IS NULL THEN '{}'::uuid[] ELSE ARRAY[s.requester_user_id] END) f "
    "                    WHERE f IS DISTINCT FROM t.requester_user_id ORDER BY f), "
    "  version = t.version + 1, updated_at = now() "
    "FROM tickets s WHERE t.tenant_id = hub_current_tenant() AND t.id = $2::uuid "
    "  AND s.tenant_id = hub_current_tenant() AND s.id = $1::uuid RETURNING " TICKET_COLUMNS,
    2};
static const hub_pg_stmt close_source_sql = {
    "ticket_merge_close_source",
    "UPDATE tickets SET status = 'closed', closed_at = now(), merged_into = $2::uuid, version = version + 1, "
    "  updated_at = now() WHERE tenant_id = hub_current_tenant() AND id = $1::uuid",
    2};
static const hub_pg_stmt pause_close_sql = {
    "ticket_merge_end_pause",
    "UPDATE ticket_sla_pauses SET ended_at = now() WHERE tenant_id = hub_current_tenant() AND ticket_id = $1::uuid "
    "AND ended_at IS NULL",
    1};
static const hub_pg_stmt split_insert_sql = {
    "ticket_split_insert",
    "INSERT INTO tickets AS t (id, tenant_id, number, brand, subject, description, requester_user_id, requester_email, "
    "  priority, tags, channel, team_id, assignee_id, created_by, sla_policy_id) "
    "SELECT $5::uuid, tenant_id, $2::bigint, brand, $3, '', requester_user_id, requester_email, priority, tags, channel, "
    "  team_id, assignee_id, $4::uuid, $6::uuid FROM tickets WHERE tenant_id = hub_current_tenant() AND id = $1::uuid "
    "RETURNING " TICKET_COLUMNS,
    6};
static const hub_pg_stmt move_some_sql = {
    "ticket_split_move_comments",
    "UPDATE ticket_comments SET ticket_id = $2::uuid, moved_from = coalesce(moved_from, $1::uuid) "
    "WHERE tenant_id = hub_current_tenant() AND ticket_id = $1::uuid AND id = ANY($3::uuid[]) RETURNING id AS _id",
    3};

typedef struct merge_ctx {
  const char *source, *target, *actor;
  hub_rows *ticket;
} merge_ctx;

/* Round trip 1: both tickets, locked in id order. Round trip 2: the moves, the source's close
 * and the events, with the source's SLA inputs; 3: the target's SLA inputs; then the SLA's
 * writes and the outbox message go out with COMMIT. */
static hub_status merge_fn(hub_tx *tx, void *ud) {
  merge_ctx *m = ud;
  hub_arena *a = hub_tx_arena(tx);
  Hub__Ticket__V1__TicketInfo *src, *dst;
  bool source_first = strcmp(m->source, m->target) < 0;
  hub_rows *first = ticket_queue_load(tx, source_first ? m->source : m->target, true);
  hub_rows *second = ticket_queue_load(tx, source_first ? m->target : m->source, true);
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  st = ticket_loaded(a, source_first ? first : second, false, "source_id", &src);
  hub_status st2 = ticket_loaded(a, source_first ? second : first, false, "target_id", &dst);
  if (!hub_ok(source_first ? st : st2)) return source_first ? st : st2; /* the first in lock order is told first */
  if (!hub_ok(source_first ? st2 : st)) return source_first ? st2 : st;
  if (src->status == HUB__TICKET__V1__STATUS__STATUS_CLOSED || dst->status == HUB__TICKET__V1__STATUS__STATUS_CLOSED)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "closed tickets cannot be merged");
  hub_tx_exec(tx, &move_all_sql, (const char *[]){m->source, m->target});
  m->ticket = hub_tx_exec(tx, &merge_target_sql, (const char *[]){m->source, m->target});
  hub_tx_exec(tx, &close_source_sql, (const char *[]){m->source, m->target});
  hub_tx_exec(tx, &pause_close_sql, (const char *[]){m->source});
  ticket_event(tx, m->source, m->actor, "merged", "merged_into", "", m->target);
  ticket_event(tx, m->source, m->actor, "updated", "status", ticket_status_text(a, src->status), "closed");
  ticket_event(tx, m->target, m->actor, "merged", "merged_from", "", m->source);
  if (!hub_ok(st = ticket_sla_refresh(tx, m->source, hub_clock_wall_s(), NULL))) return st;
  if (!hub_ok(st = ticket_sla_refresh(tx, m->target, hub_clock_wall_s(), &m->ticket))) return st;
  ticket_outbox(tx, "ticket.merged", m->source, src->number);
  return HUB_STATUS_OK;
}

hub_status hub_ticket_v1_ticket_merge_tickets(hub_call *call, const Hub__Ticket__V1__MergeTicketsRequest *request,
                                              Hub__Ticket__V1__TicketInfo *response) {
  hub_arena *a = hub_call_arena(call);
  if (!strcmp(request->source_id, request->target_id))
    return hub_status_invalid(a, "target_id", "a ticket cannot be merged into itself");
  merge_ctx m = {request->source_id, request->target_id, ticket_actor(call), NULL};
  hub_status st = hub_call_tx(call, merge_fn, &m);
  if (hub_ok(st)) ticket_decode(m.ticket, 0, response);
  return st;
}

typedef struct split_ctx {
  const Hub__Ticket__V1__SplitTicketRequest *req;
  const char *ids, *actor;
  hub_rows *ticket;
} split_ctx;

/* Round trip 1: the source (locked), the policies and the number. Round trip 2: the new ticket,
 * the moves and the events, with the SLA's inputs; then the SLA's writes and the outbox
 * message go out with COMMIT (or everything rolls back when a comment was not the source's). */
static hub_status split_fn(hub_tx *tx, void *ud) {
  split_ctx *s = ud;
  hub_arena *a = hub_tx_arena(tx);
  Hub__Ticket__V1__TicketInfo *src;
  hub_rows *loaded = ticket_queue_load(tx, s->req->id, true);
  hub_rows *policies = ticket_sla_queue_policies(tx);
  hub_rows *number = ticket_queue_next_number(tx);
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st) || !hub_ok(st = ticket_loaded(a, loaded, false, "id", &src))) return st;
  if (src->status == HUB__TICKET__V1__STATUS__STATUS_CLOSED)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "a closed ticket cannot be split");
  const char *num = hub_rows_text(number, 0, "_number");
  char *new_id = ticket_new_id(a);
  if (!new_id) return hub_status_fixed(HUB_INTERNAL, "no randomness for a ticket id");
  /* The new ticket has the source's priority, brand and tags: the policy follows from them. */
  int match = ticket_sla_pick(a, policies, src->priority, src->brand, src->tags, src->n_tags);
  s->ticket = hub_tx_exec(tx, &split_insert_sql,
                          (const char *[]){s->req->id, num, s->req->subject, s->actor, new_id,
                                           ticket_sla_policy_id(policies, match)});
  hub_rows *moved = hub_tx_exec(tx, &move_some_sql, (const char *[]){s->req->id, new_id, s->ids});
  ticket_event(tx, new_id, s->actor, "created", "split_from", "", s->req->id);
  ticket_event(tx, s->req->id, s->actor, "split", "split_into", "", new_id);
  if (!hub_ok(st = ticket_sla_refresh(tx, new_id, hub_clock_wall_s(), &s->ticket))) return st;
  if ((size_t)hub_rows_count(moved) != s->req->n_comment_ids) /* the transaction rolls back: nothing moved */
    return hub_status_fixed(HUB_NOT_FOUND, "comment_ids: no such comment on the ticket being split");
  ticket_outbox(tx, "ticket.created", new_id, hub_rows_int(number, 0, "_number"));
  return HUB_STATUS_OK;
}

hub_status hub_ticket_v1_ticket_split_ticket(hub_call *call, const Hub__Ticket__V1__SplitTicketRequest *request,
                                             Hub__Ticket__V1__TicketInfo *response) {
  hub_arena *a = hub_call_arena(call);
  char *ids = hub_pg_array_literal(a, request->comment_ids, request->n_comment_ids);
  split_ctx s = {request, ids, ticket_actor(call), NULL};
  hub_status st = hub_call_tx(call, split_fn, &s);
  if (hub_ok(st)) ticket_decode(s.ticket, 0, response);
  return st;
}
