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
    "  AND s.tenant_id = hub_current_tenant() AND s.id = $1::uuid",
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
    "INSERT INTO tickets (tenant_id, number, brand, subject, description, requester_user_id, requester_email, "
    "  priority, tags, channel, team_id, assignee_id, created_by) "
    "SELECT tenant_id, $2::bigint, brand, $3, '', requester_user_id, requester_email, priority, tags, channel, team_id, "
    "  assignee_id, $4::uuid FROM tickets WHERE tenant_id = hub_current_tenant() AND id = $1::uuid RETURNING id",
    4};
static const hub_pg_stmt move_some_sql = {
    "ticket_split_move_comments",
    "UPDATE ticket_comments SET ticket_id = $2::uuid, moved_from = coalesce(moved_from, $1::uuid) "
    "WHERE tenant_id = hub_current_tenant() AND ticket_id = $1::uuid AND id = ANY($3::uuid[])",
    3};

typedef struct merge_ctx {
  const char *source, *target, *tenant, *actor;
  Hub__Ticket__V1__TicketInfo *out;
} merge_ctx;

static hub_status merge_fn(hub_pg *pg, hub_arena *a, void *ud) {
  merge_ctx *m = ud;
  Hub__Ticket__V1__TicketInfo *src, *dst;
  bool source_first = strcmp(m->source, m->target) < 0;
  const char *first = source_first ? "source_id" : "target_id", *second = source_first ? "target_id" : "source_id";
  hub_status st = hub_status_at_field(
      a, hub_ticket_load(pg, a, source_first ? m->source : m->target, true, false, source_first ? &src : &dst), first);
  if (hub_ok(st))
    st = hub_status_at_field(
        a, hub_ticket_load(pg, a, source_first ? m->target : m->source, true, false, source_first ? &dst : &src), second);
  if (!hub_ok(st)) return st;
  if (src->status == HUB__TICKET__V1__STATUS__STATUS_CLOSED || dst->status == HUB__TICKET__V1__STATUS__STATUS_CLOSED)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "closed tickets cannot be merged");
  st = hub_pg_exec(pg, a, &move_all_sql, (const char *[]){m->source, m->target}, NULL);
  if (hub_ok(st)) st = hub_pg_exec(pg, a, &merge_target_sql, (const char *[]){m->source, m->target}, NULL);
  if (hub_ok(st)) st = hub_pg_exec(pg, a, &close_source_sql, (const char *[]){m->source, m->target}, NULL);
  if (hub_ok(st)) st = hub_pg_exec(pg, a, &pause_close_sql, (const char *[]){m->source}, NULL);
  if (hub_ok(st)) st = hub_ticket_event(pg, a, m->tenant, m->source, m->actor, "merged", "merged_into", "", m->target);
  if (hub_ok(st))
    st = hub_ticket_event(pg, a, m->tenant, m->source, m->actor, "updated", "status", ticket_status_text(a, src->status),
                          "closed");
  if (hub_ok(st)) st = hub_ticket_event(pg, a, m->tenant, m->target, m->actor, "merged", "merged_from", "", m->source);
  if (hub_ok(st)) st = hub_ticket_sla_refresh(pg, a, m->tenant, m->source, hub_clock_wall_s());
  if (hub_ok(st)) st = hub_ticket_sla_refresh(pg, a, m->tenant, m->target, hub_clock_wall_s());
  if (hub_ok(st)) st = hub_ticket_outbox(pg, a, m->tenant, "ticket.merged", m->source, src->number);
  if (hub_ok(st)) st = hub_ticket_load(pg, a, m->target, false, false, &m->out);
  return st;
}

hub_status hub_ticket_v1_ticket_merge_tickets(hub_call *call, const Hub__Ticket__V1__MergeTicketsRequest *request,
                                              Hub__Ticket__V1__TicketInfo *response) {
  hub_arena *a = hub_call_arena(call);
  if (!strcmp(request->source_id, request->target_id))
    return hub_status_invalid(a, "target_id", "a ticket cannot be merged into itself");
  merge_ctx m = {request->source_id, request->target_id, hub_ticket_tenant(call), hub_ticket_actor(call), NULL};
  hub_status st = hub_pg_tx(hub_ctx_of(call)->pg, a, m.tenant, hub_call_remaining_ms(call), merge_fn, &m);
  if (hub_ok(st)) hub_ticket_copy(response, m.out);
  return st;
}

typedef struct split_ctx {
  const Hub__Ticket__V1__SplitTicketRequest *req;
  const char *ids, *tenant, *actor;
  Hub__Ticket__V1__TicketInfo *out;
} split_ctx;

static hub_status split_fn(hub_pg *pg, hub_arena *a, void *ud) {
  split_ctx *s = ud;
  Hub__Ticket__V1__TicketInfo *src;
  hub_status st = hub_status_at_field(a, hub_ticket_load(pg, a, s->req->id, true, false, &src), "id");
  if (!hub_ok(st)) return st;
  if (src->status == HUB__TICKET__V1__STATUS__STATUS_CLOSED)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "a closed ticket cannot be split");
  PGresult *res = NULL;
  char *number;
  st = hub_ticket_next_number(pg, a, &number);
  if (!hub_ok(st)) return st;
  st = hub_pg_exec(pg, a, &split_insert_sql, (const char *[]){s->req->id, number, s->req->subject, s->actor}, &res);
  if (!hub_ok(st)) return st;
  char *new_id = hub_arena_strdup(a, PQgetvalue(res, 0, 0));
  PQclear(res);
  st = hub_pg_exec(pg, a, &move_some_sql, (const char *[]){s->req->id, new_id, s->ids}, &res);
  if (!hub_ok(st)) return st;
  long moved = strtol(PQcmdTuples(res), NULL, 10);
  PQclear(res);
  if ((size_t)moved != s->req->n_comment_ids) /* the transaction rolls back: nothing moved */
    return hub_status_fixed(HUB_NOT_FOUND, "comment_ids: no such comment on the ticket being split");
  st = hub_ticket_event(pg, a, s->tenant, new_id, s->actor, "created", "split_from", "", s->req->id);
  if (hub_ok(st)) st = hub_ticket_event(pg, a, s->tenant, s->req->id, s->actor, "split", "split_into", "", new_id);
  if (hub_ok(st)) st = hub_ticket_sla_assign_policy(pg, a, s->tenant, new_id, NULL);
  if (hub_ok(st)) st = hub_ticket_sla_refresh(pg, a, s->tenant, new_id, hub_clock_wall_s());
  if (hub_ok(st)) st = hub_ticket_outbox(pg, a, s->tenant, "ticket.created", new_id, strtoll(number, NULL, 10));
  if (hub_ok(st)) st = hub_ticket_load(pg, a, new_id, false, false, &s->out);
  return st;
}

hub_status hub_ticket_v1_ticket_split_ticket(hub_call *call, const Hub__Ticket__V1__SplitTicketRequest *request,
                                             Hub__Ticket__V1__TicketInfo *response) {
  hub_arena *a = hub_call_arena(call);
  char *ids = hub_pg_array_literal(a, request->comment_ids, request->n_comment_ids);
  split_ctx s = {request, ids, hub_ticket_tenant(call), hub_ticket_actor(call), NULL};
  hub_status st = hub_pg_tx(hub_ctx_of(call)->pg, a, s.tenant, hub_call_remaining_ms(call), split_fn, &s);
  if (hub_ok(st)) hub_ticket_copy(response, s.out);
  return st;
}
