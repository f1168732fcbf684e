/* Teams and assignment: UpsertTeam, ListTeams, SetAgentAway, AssignTicket, and the automatic
 * pick (round-robin from the team's cursor, or least-loaded by open tickets), skipping
 * agents marked away and anyone no longer a member of the tenant. The team row is locked
 * while picking, so two tickets created at once do not both go to the same "next" agent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/ticket/v1/ticket.hub-server.h"
#include "services/ticket/ticket.h"

static const hub_pg_stmt team_lock_sql = {
    "ticket_team_lock",
    "SELECT assignment AS _mode, coalesce(last_assigned::text, '') AS _last FROM ticket_teams "
    "WHERE tenant_id = hub_current_tenant() AND id = $1::uuid FOR UPDATE",
    1};
/* Available members in the team's order, with their open-ticket load. */
static const hub_pg_stmt candidates_sql = {
    "ticket_team_candidates",
    "SELECT m.user_id::text AS _user, (SELECT count(*) FROM tickets t WHERE t.tenant_id = hub_current_tenant() "
    "   AND t.assignee_id = m.user_id AND t.deleted_at IS NULL AND t.status IN ('new', 'open', 'pending', 'on_hold')) AS _load "
    "FROM ticket_teams tm, unnest(tm.members) WITH ORDINALITY AS m(user_id, pos) "
    "WHERE tm.tenant_id = hub_current_tenant() AND tm.id = $1::uuid "
    "  AND EXISTS (SELECT 1 FROM members mb WHERE mb.tenant_id = hub_current_tenant() AND mb.user_id = m.user_id) "
    "  AND NOT EXISTS (SELECT 1 FROM ticket_agent_status s WHERE s.tenant_id = hub_current_tenant() "
    "                  AND s.user_id = m.user_id AND s.away) "
    "ORDER BY m.pos",
    1};
static const hub_pg_stmt cursor_sql = {
    "ticket_team_cursor",
    "UPDATE ticket_teams SET last_assigned = $2::uuid WHERE tenant_id = hub_current_tenant() AND id = $1::uuid", 2};
static const hub_pg_stmt assign_sql = {
    "ticket_assign",
    "UPDATE tickets t SET assignee_id = $2::uuid, team_id = coalesce($3::uuid, t.team_id), version = t.version + 1, "
    "  updated_at = now() WHERE t.tenant_id = hub_current_tenant() AND t.id = $1::uuid RETURNING " TICKET_COLUMNS,
    3};
static const hub_pg_stmt insert_team_sql = {
    "ticket_team_insert",
    "INSERT INTO ticket_teams (tenant_id, name, assignment, members) VALUES (hub_current_tenant(), $1, $2, $3::uuid[]) "
    "RETURNING id AS _id",
    3};
static const hub_pg_stmt update_team_sql = {
    "ticket_team_update",
    "UPDATE ticket_teams SET name = $2, assignment = $3, members = $4::uuid[] "
    "WHERE tenant_id = hub_current_tenant() AND id = $1::uuid RETURNING id AS _id",
    4};
static const hub_pg_stmt list_teams_sql = {
    "ticket_teams_list",
    "SELECT id, name, assignment, members AS member_ids FROM ticket_teams WHERE tenant_id = hub_current_tenant() "
    "ORDER BY name",
    0};
static const hub_pg_stmt away_sql = {
    "ticket_agent_away",
    "INSERT INTO ticket_agent_status (tenant_id, user_id, away) VALUES (hub_current_tenant(), $1::uuid, $2::boolean) "
    "ON CONFLICT (tenant_id, user_id) DO UPDATE SET away = EXCLUDED.away",
    2};

ticket_pick ticket_queue_pick(hub_tx *tx, const char *team_id) {
  return (ticket_pick){hub_tx_exec(tx, &team_lock_sql, (const char *[]){team_id}),
                           hub_tx_exec(tx, &candidates_sql, (const char *[]){team_id})};
}

hub_status ticket_picked(hub_tx *tx, const ticket_pick *p, const char *team_id, const char *field,
                             const char **assignee) {
  *assignee = NULL;
  if (hub_rows_count(p->team) != 1) return hub_status_new(hub_tx_arena(tx), HUB_NOT_FOUND, "%s: no such team", field);
  const char *mode = hub_rows_text(p->team, 0, "_mode"), *last = hub_rows_text(p->team, 0, "_last");
  if (!strcmp(mode, "manual")) return HUB_STATUS_OK;
  int n = hub_rows_count(p->candidates), pick = -1;
  if (n > 0 && !strcmp(mode, "round_robin")) {
    int after = -1;
    for (int i = 0; i < n; i++)
      if (!strcmp(hub_rows_text(p->candidates, i, "_user"), last)) after = i;
    pick = (after + 1) % n;
  } else if (n > 0) { /* least_loaded: fewest open tickets, the team's order breaking ties */
    int64_t best = -1;
    for (int i = 0; i < n; i++) {
      int64_t load = hub_rows_int(p->candidates, i, "_load");
      if (best < 0 || load < best) best = load, pick = i;
    }
  }
  if (pick < 0) return HUB_STATUS_OK;
  *assignee = hub_rows_text(p->candidates, pick, "_user");
  hub_tx_exec(tx, &cursor_sql, (const char *[]){team_id, *assignee});
  return HUB_STATUS_OK;
}

/* ---- AssignTicket ---- */

typedef struct assign_ctx {
  const Hub__Ticket__V1__AssignTicketRequest *req;
  const char *actor;
  hub_rows *ticket;
} assign_ctx;

/* One round trip for the ticket and the references, one for the change and COMMIT. */
static hub_status assign_fn(hub_tx *tx, void *ud) {
  assign_ctx *c = ud;
  const Hub__Ticket__V1__AssignTicketRequest *req = c->req;
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *cur = ticket_queue_load(tx, req->id, true);
  ticket_ref team = {0}, member = {0};
  ticket_pick pick = {0};
  bool picking = !*req->assignee_id && *req->team_id;
  if (*req->team_id && !picking) team = ticket_queue_team(tx, req->team_id, "team_id");
  if (picking) pick = ticket_queue_pick(tx, req->team_id);
  if (*req->assignee_id) member = ticket_queue_member(tx, req->assignee_id, "assignee_id");
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  Hub__Ticket__V1__TicketInfo *t;
  if (!hub_ok(st = ticket_loaded(a, cur, false, "id", &t))) return st;
  if (!hub_ok(st = ticket_ref_check(a, &team))) return st;
  if (picking && hub_rows_count(pick.team) != 1) return hub_status_new(a, HUB_NOT_FOUND, "team_id: no such team");
  if (t->status == HUB__TICKET__V1__STATUS__STATUS_CLOSED)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "a closed ticket cannot be reassigned");
  const char *assignee = NULL;
  if (*req->assignee_id) {
    if (!hub_ok(st = ticket_ref_check(a, &member))) return st;
    assignee = req->assignee_id;
  } else if (picking) {
    if (!hub_ok(st = ticket_picked(tx, &pick, req->team_id, "team_id", &assignee))) return st;
    if (!assignee) return hub_status_new(a, HUB_FAILED_PRECONDITION, "nobody in the team is available to assign");
  }
  c->ticket = hub_tx_exec(tx, &assign_sql, (const char *[]){req->id, assignee, hub_sql_opt(req->team_id)});
  ticket_event(tx, req->id, c->actor, "assigned", "assignee_id", t->assignee_id, assignee ? assignee : "");
  ticket_outbox(tx, "ticket.assigned", req->id, t->number);
  return HUB_STATUS_OK;
}

hub_status hub_ticket_v1_ticket_assign_ticket(hub_call *call, const Hub__Ticket__V1__AssignTicketRequest *request,
                                              Hub__Ticket__V1__TicketInfo *response) {
  assign_ctx c = {request, ticket_actor(call), NULL};
  hub_status st = hub_call_tx(call, assign_fn, &c);
  if (hub_ok(st)) ticket_decode(c.ticket, 0, response);
  return st;
}

/* ---- teams ---- */

typedef struct team_ctx {
  const Hub__Ticket__V1__Team *in;
  const char *members;
  const char *id;
} team_ctx;

/* The members' check and the write go out together; a missing member is told before a
 * conflicting name. */
static hub_status upsert_team_fn(hub_tx *tx, void *ud) {
  team_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  ticket_ref members = ticket_queue_members(tx, c->members, "team.member_ids");
  hub_rows *r = *c->in->id ? hub_tx_exec(tx, &update_team_sql,
                                         (const char *[]){c->in->id, c->in->name, c->in->assignment, c->members})
                           : hub_tx_exec(tx, &insert_team_sql, (const char *[]){c->in->name, c->in->assignment, c->members});
  hub_status st = hub_tx_flush(tx), ref = ticket_ref_check(a, &members);
  if (!hub_ok(ref)) return ref;
  if (st.code == HUB_ALREADY_EXISTS) return hub_status_fixed(HUB_ALREADY_EXISTS, "team.name: another team has this name");
  if (!hub_ok(st)) return st;
  c->id = hub_rows_count(r) == 1 ? hub_rows_text(r, 0, "_id") : NULL;
  return c->id ? HUB_STATUS_OK : hub_status_new(a, HUB_NOT_FOUND, "team.id: no such team");
}

hub_status hub_ticket_v1_ticket_upsert_team(hub_call *call, const Hub__Ticket__V1__UpsertTeamRequest *request,
                                            Hub__Ticket__V1__Team *response) {
  hub_arena *a = hub_call_arena(call);
  const Hub__Ticket__V1__Team *in = request->team;
  if (strcmp(in->assignment, "manual") && strcmp(in->assignment, "round_robin") && strcmp(in->assignment, "least_loaded"))
    return hub_status_invalid(a, "team.assignment", "manual, round_robin or least_loaded");
  team_ctx c = {in, hub_pg_array_literal(a, in->member_ids, in->n_member_ids), NULL};
  hub_status st = hub_call_tx(call, upsert_team_fn, &c);
  if (!hub_ok(st)) return st;
  *response = *in;
  response->id = (char *)c.id;
  return HUB_STATUS_OK;
}

hub_status hub_ticket_v1_ticket_list_teams(hub_call *call, const Hub__Ticket__V1__ListTeamsRequest *request,
                                           Hub__Ticket__V1__ListTeamsResponse *response) {
  (void)request;
  hub_rows *r;
  hub_status st = hub_call_query(call, &list_teams_sql, NULL, &r);
  if (hub_ok(st))
    response->n_teams = hub_rows_messages(r, &hub__ticket__v1__team__descriptor, -1, (void ***)&response->teams);
  return st;
}

static hub_status away_fn(hub_tx *tx, void *ud) {
  const Hub__Ticket__V1__SetAgentAwayRequest *req = ud;
  ticket_ref member = ticket_queue_member(tx, req->user_id, "user_id");
  hub_tx_exec(tx, &away_sql, (const char *[]){req->user_id, req->away ? "true" : "false"});
  hub_status st = hub_tx_flush(tx), ref = ticket_ref_check(hub_tx_arena(tx), &member);
  return hub_ok(ref) ? st : ref;
}

hub_status hub_ticket_v1_ticket_set_agent_away(hub_call *call, const Hub__Ticket__V1__SetAgentAwayRequest *request,
                                               Hub__Ticket__V1__SetAgentAwayResponse *response) {
  (void)response;
  return hub_call_tx(call, away_fn, (void *)request);
}
