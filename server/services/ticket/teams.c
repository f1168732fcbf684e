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
    "SELECT assignment, coalesce(last_assigned::text, '') FROM ticket_teams "
    "WHERE tenant_id = hub_current_tenant() AND id = $1::uuid FOR UPDATE",
    1};
/* Available members in the team's order, with their open-ticket load. */
static const hub_pg_stmt candidates_sql = {
    "ticket_team_candidates",
    "SELECT m.user_id::text, (SELECT count(*) FROM tickets t WHERE t.tenant_id = hub_current_tenant() "
    "   AND t.assignee_id = m.user_id AND t.deleted_at IS NULL AND t.status IN ('new', 'open', 'pending', 'on_hold')) "
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
    "UPDATE tickets SET assignee_id = $2::uuid, team_id = coalesce($3::uuid, team_id), version = version + 1, "
    "  updated_at = now() WHERE tenant_id = hub_current_tenant() AND id = $1::uuid",
    3};
static const hub_pg_stmt insert_team_sql = {
    "ticket_team_insert",
    "INSERT INTO ticket_teams (tenant_id, name, assignment, members) VALUES (hub_current_tenant(), $1, $2, $3::uuid[]) "
    "RETURNING id",
    3};
static const hub_pg_stmt update_team_sql = {
    "ticket_team_update",
    "UPDATE ticket_teams SET name = $2, assignment = $3, members = $4::uuid[] "
    "WHERE tenant_id = hub_current_tenant() AND id = $1::uuid RETURNING id",
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

hub_status hub_ticket_pick_assignee(hub_pg *pg, hub_arena *a, const char *team_id, char **assignee) {
  *assignee = NULL;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &team_lock_sql, (const char *[]){team_id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return hub_status_new(a, HUB_NOT_FOUND, "no such team");
  }
  char *mode = hub_arena_strdup(a, PQgetvalue(res, 0, 0)), *last = hub_arena_strdup(a, PQgetvalue(res, 0, 1));
  PQclear(res);
  if (!strcmp(mode, "manual")) return HUB_STATUS_OK;
  st = hub_pg_exec(pg, a, &candidates_sql, (const char *[]){team_id}, &res);
  if (!hub_ok(st)) return st;
  int n = PQntuples(res), pick = -1;
  if (n > 0 && !strcmp(mode, "round_robin")) {
    int after = -1;
    for (int i = 0; i < n; i++)
      if (!strcmp(PQgetvalue(res, i, 0), last)) after = i;
    pick = (after + 1) % n;
  } else if (n > 0) { /* least_loaded: fewest open tickets, the team's order breaking ties */
    long long best = -1;
    for (int i = 0; i < n; i++) {
      long long load = strtoll(PQgetvalue(res, i, 1), NULL, 10);
      if (best < 0 || load < best) best = load, pick = i;
    }
  }
  if (pick >= 0) *assignee = hub_arena_strdup(a, PQgetvalue(res, pick, 0));
  PQclear(res);
  if (*assignee) st = hub_pg_exec(pg, a, &cursor_sql, (const char *[]){team_id, *assignee}, NULL);
  return st;
}

/* ---- AssignTicket ---- */

typedef struct assign_ctx {
  const Hub__Ticket__V1__AssignTicketRequest *req;
  const char *tenant, *actor;
  Hub__Ticket__V1__TicketInfo *out;
} assign_ctx;

static hub_status assign_fn(hub_pg *pg, hub_arena *a, void *ud) {
  assign_ctx *c = ud;
  const Hub__Ticket__V1__AssignTicketRequest *req = c->req;
  Hub__Ticket__V1__TicketInfo *t;
  hub_status st = hub_status_at_field(a, hub_ticket_load(pg, a, req->id, true, false, &t), "id");
  if (!hub_ok(st)) return st;
  if (*req->team_id && !hub_ok(st = hub_ticket_require_team(pg, a, req->team_id, "team_id"))) return st;
  if (t->status == HUB__TICKET__V1__STATUS__STATUS_CLOSED)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "a closed ticket cannot be reassigned");
  char *assignee = NULL;
  if (*req->assignee_id) {
    if (!hub_ok(st = hub_ticket_require_member(pg, a, req->assignee_id, "assignee_id"))) return st;
    assignee = req->assignee_id;
  } else if (*req->team_id) {
    st = hub_ticket_pick_assignee(pg, a, req->team_id, &assignee);
    if (!hub_ok(st)) return st;
    if (!assignee) return hub_status_new(a, HUB_FAILED_PRECONDITION, "nobody in the team is available to assign");
  }
  st = hub_pg_exec(pg, a, &assign_sql, (const char *[]){req->id, assignee, *req->team_id ? req->team_id : NULL}, NULL);
  if (hub_ok(st))
    st = hub_ticket_event(pg, a, c->tenant, req->id, c->actor, "assigned", "assignee_id", t->assignee_id,
                          assignee ? assignee : "");
  if (hub_ok(st)) st = hub_ticket_outbox(pg, a, c->tenant, "ticket.assigned", req->id, t->number);
  if (hub_ok(st)) st = hub_ticket_load(pg, a, req->id, false, false, &c->out);
  return st;
}

hub_status hub_ticket_v1_ticket_assign_ticket(hub_call *call, const Hub__Ticket__V1__AssignTicketRequest *request,
                                              Hub__Ticket__V1__TicketInfo *response) {
  hub_arena *a = hub_call_arena(call);
  assign_ctx c = {request, hub_ticket_tenant(call), hub_ticket_actor(call), NULL};
  hub_status st = hub_pg_tx(hub_ctx_of(call)->pg, a, c.tenant, hub_call_remaining_ms(call), assign_fn, &c);
  if (hub_ok(st)) hub_ticket_copy(response, c.out);
  return st;
}

/* ---- teams ---- */

typedef struct team_ctx {
  const Hub__Ticket__V1__Team *in;
  const char *members;
  char *id;
} team_ctx;

static hub_status upsert_team_fn(hub_pg *pg, hub_arena *a, void *ud) {
  team_ctx *c = ud;
  PGresult *res = NULL;
  hub_status st = hub_ticket_require_members(pg, a, c->members, "team.member_ids");
  if (!hub_ok(st)) return st;
  st = *c->in->id
                      ? hub_pg_exec(pg, a, &update_team_sql,
                                    (const char *[]){c->in->id, c->in->name, c->in->assignment, c->members}, &res)
                      : hub_pg_exec(pg, a, &insert_team_sql, (const char *[]){c->in->name, c->in->assignment, c->members},
                                    &res);
  if (st.code == HUB_ALREADY_EXISTS) return hub_status_fixed(HUB_ALREADY_EXISTS, "team.name: another team has this name");
  if (!hub_ok(st)) return st;
  c->id = PQntuples(res) == 1 ? hub_arena_strdup(a, PQgetvalue(res, 0, 0)) : NULL;
  PQclear(res);
  return c->id ? HUB_STATUS_OK : hub_status_new(a, HUB_NOT_FOUND, "team.id: no such team");
}

hub_status hub_ticket_v1_ticket_upsert_team(hub_call *call, const Hub__Ticket__V1__UpsertTeamRequest *request,
                                            Hub__Ticket__V1__Team *response) {
  hub_arena *a = hub_call_arena(call);
  const Hub__Ticket__V1__Team *in = request->team;
  if (strcmp(in->assignment, "manual") && strcmp(in->assignment, "round_robin") && strcmp(in->assignment, "least_loaded"))
    return hub_status_invalid(a, "team.assignment", "manual, round_robin or least_loaded");
  team_ctx c = {in, hub_pg_array_literal(a, in->member_ids, in->n_member_ids), NULL};
  hub_status st = hub_pg_tx(hub_ctx_of(call)->pg, a, hub_ticket_tenant(call), hub_call_remaining_ms(call), upsert_team_fn, &c);
  if (!hub_ok(st)) return st;
  *response = *in;
  response->id = c.id;
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

typedef struct away_ctx {
  const Hub__Ticket__V1__SetAgentAwayRequest *req;
} away_ctx;

static hub_status away_fn(hub_pg *pg, hub_arena *a, void *ud) {
  away_ctx *c = ud;
  hub_status st = hub_ticket_require_member(pg, a, c->req->user_id, "user_id");
  if (!hub_ok(st)) return st;
  return hub_pg_exec(pg, a, &away_sql, (const char *[]){c->req->user_id, c->req->away ? "true" : "false"}, NULL);
}

hub_status hub_ticket_v1_ticket_set_agent_away(hub_call *call, const Hub__Ticket__V1__SetAgentAwayRequest *request,
                                               Hub__Ticket__V1__SetAgentAwayResponse *response) {
  (void)response;
  hub_arena *a = hub_call_arena(call);
  away_ctx c = {request};
  return hub_pg_tx(hub_ctx_of(call)->pg, a, hub_ticket_tenant(call), hub_call_remaining_ms(call), away_fn, &c);
}
