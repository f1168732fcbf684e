/* CreateTicket, GetTicket, UpdateTicket, DeleteTicket, UndeleteTicket, RateTicket: validate,
 * then one transaction in the caller's tenant: a first round trip reads what the change
 * depends on, then the change, its events, the outbox message and the SLA's writes are
 * queued, and the ticket comes back from the last write's RETURNING. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/ticket/v1/ticket.hub-server.h"
#include "services/ticket/ticket.h"

static const hub_pg_stmt by_request_sql = {
    "ticket_by_request",
    "SELECT " TICKET_COLUMNS " FROM tickets t WHERE t.tenant_id = hub_current_tenant() AND t.request_id = $1::uuid",
    1};
static const hub_pg_stmt by_number_sql = {
    "ticket_load_by_number",
    "SELECT " TICKET_COLUMNS " FROM tickets t WHERE t.tenant_id = hub_current_tenant() AND t.number = $1::bigint", 1};
static const hub_pg_stmt insert_sql = {
    "ticket_insert",
    "INSERT INTO tickets AS t (id, tenant_id, number, brand, subject, description, requester_user_id, requester_email, "
    "  priority, tags, custom_fields, channel, team_id, assignee_id, request_id, created_by, sla_policy_id) "
    "VALUES ($1::uuid, hub_current_tenant(), $2::bigint, $3, $4, $5, $6::uuid, $7, $8, $9::text[], $10::jsonb, $11, "
    "  $12::uuid, $13::uuid, $14::uuid, $15::uuid, $16::uuid) RETURNING " TICKET_COLUMNS,
    16};
static const hub_pg_stmt update_sql = {
    "ticket_update",
    "UPDATE tickets t SET subject = $2, description = $3, priority = $4, status = $5, tags = $6::text[], "
    "  custom_fields = $7::jsonb, team_id = $8::uuid, requester_email = $9, "
    "  solved_at = CASE WHEN $5 = 'solved' THEN coalesce(t.solved_at, now()) WHEN $5 = 'closed' THEN t.solved_at END, "
    "  closed_at = CASE WHEN $5 = 'closed' THEN coalesce(t.closed_at, now()) END, "
    "  sla_policy_id = CASE WHEN $10::boolean THEN $11::uuid ELSE t.sla_policy_id END, "
    "  version = t.version + 1, updated_at = now() "
    "WHERE t.tenant_id = hub_current_tenant() AND t.id = $1::uuid RETURNING " TICKET_COLUMNS,
    11};
static const hub_pg_stmt delete_sql = {
    "ticket_delete",
    "UPDATE tickets t SET deleted_at = CASE WHEN $2 THEN now() END, version = t.version + 1, updated_at = now() "
    "WHERE t.tenant_id = hub_current_tenant() AND t.id = $1::uuid RETURNING " TICKET_COLUMNS,
    2};
static const hub_pg_stmt rate_sql = {
    "ticket_rate",
    "UPDATE tickets t SET csat_score = $2::smallint, csat_comment = $3, version = t.version + 1, updated_at = now() "
    "WHERE t.tenant_id = hub_current_tenant() AND t.id = $1::uuid RETURNING " TICKET_COLUMNS,
    3};

/* ---- validation shared by create and update ---- */

static const char *channel_ok(const char *c) {
  static const char *const ok[] = {"api", "email", "web", "phone", "chat"};
  if (!c || !*c) return "api";
  for (size_t i = 0; i < 5; i++)
    if (!strcmp(c, ok[i])) return ok[i];
  return NULL;
}

/* ---- CreateTicket ---- */

typedef struct create_ctx {
  const Hub__Ticket__V1__CreateTicketRequest *req;
  const char *actor, *brand, *priority, *tags, *custom, *channel, *requester_user, *requester_email;
  hub_rows *ticket;
} create_ctx;

/* Round trip 1: a ticket of the same request, the references, the team's pick, the policies
 * and the number (when no earlier ticket of the request can exist: a number taken and not used
 * would leave a gap). Round trip 2 (or 3 with a request_id): the insert with its events, SLA
 * and outbox message, and COMMIT. */
static hub_status create_fn(hub_tx *tx, void *ud) {
  create_ctx *c = ud;
  const Hub__Ticket__V1__CreateTicketRequest *req = c->req;
  hub_arena *a = hub_tx_arena(tx);
  c->ticket = NULL;
  hub_rows *existing = *req->request_id ? hub_tx_exec(tx, &by_request_sql, (const char *[]){req->request_id}) : NULL;
  ticket_ref requester = {0}; /* a member of this tenant, or nobody */
  if (c->requester_user && strcmp(c->requester_user, c->actor) != 0)
    requester = ticket_queue_member(tx, c->requester_user, "requester_user_id");
  ticket_pick pick = {0};
  if (*req->team_id) pick = ticket_queue_pick(tx, req->team_id);
  hub_rows *policies = ticket_sla_queue_policies(tx);
  hub_rows *number = existing ? NULL : ticket_queue_next_number(tx);
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (existing && hub_rows_count(existing) == 1) {
    c->ticket = existing;
    return HUB_STATUS_OK;
  }
  if (!hub_ok(st = ticket_ref_check(a, &requester))) return st;
  const char *assignee = NULL;
  if (*req->team_id && !hub_ok(st = ticket_picked(tx, &pick, req->team_id, "team_id", &assignee))) return st;
  if (!number) {
    number = ticket_queue_next_number(tx);
    if (!hub_ok(st = hub_tx_flush(tx))) return st;
  }
  const char *num = hub_rows_text(number, 0, "_number");
  int64_t n = hub_rows_int(number, 0, "_number");
  char *id = ticket_new_id(a);
  if (!id) return hub_status_fixed(HUB_INTERNAL, "no randomness for a ticket id");
  char **tags;
  size_t n_tags = hub_pg_array_parse(a, c->tags, &tags);
  int match = ticket_sla_pick(a, policies, ticket_priority_from_text(c->priority), c->brand, tags, n_tags);
  const char *p[] = {id, num, c->brand, req->subject, req->description, c->requester_user, c->requester_email,
                     c->priority, c->tags, c->custom, c->channel, hub_sql_opt(req->team_id), assignee,
                     hub_sql_opt(req->request_id), c->actor, ticket_sla_policy_id(policies, match)};
  c->ticket = hub_tx_exec(tx, &insert_sql, p);
  ticket_event(tx, id, c->actor, "created", NULL, NULL, num);
  if (assignee) ticket_event(tx, id, c->actor, "assigned", "assignee_id", "", assignee);
  ticket_sla_start(tx, id, n, policies, match, hub_clock_wall_s(), &c->ticket);
  ticket_outbox(tx, "ticket.created", id, n);
  return HUB_STATUS_OK;
}

hub_status hub_ticket_v1_ticket_create_ticket(hub_call *call, const Hub__Ticket__V1__CreateTicketRequest *request,
                                              Hub__Ticket__V1__TicketInfo *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *pr = hub_principal_of(call);
  create_ctx c = {.req = request, .actor = pr->user_id};
  c.priority = request->priority ? ticket_priority_text(a, request->priority) : "normal";
  if (!(c.channel = channel_ok(request->channel))) return hub_status_invalid(a, "channel", "api, email, web, phone or chat");
  c.tags = ticket_tags_literal(a, request->tags, request->n_tags);
  hub_status st = ticket_custom_fields_check(a, "custom_fields_json", request->custom_fields_json, &c.custom);
  if (!hub_ok(st)) return st;
  c.brand = *request->brand ? request->brand : pr->brand;
  if (!hub_acl_find_brand(&pr->acl, c.brand)) return hub_status_invalid(a, "brand", "not a brand of this tenant");
  c.requester_email = request->requester_email;
  c.requester_user = *request->requester_user_id ? request->requester_user_id
                     : *request->requester_email ? NULL
                                                 : pr->user_id;
  st = hub_call_tx(call, create_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS && *request->request_id) /* a concurrent twin won: answer with its ticket */
    st = hub_call_tx(call, create_fn, &c);
  if (!hub_ok(st)) return st;
  ticket_decode(c.ticket, 0, response);
  return HUB_STATUS_OK;
}

/* ---- GetTicket ---- */

typedef struct get_ctx {
  const Hub__Ticket__V1__GetTicketRequest *req;
  hub_rows *r;
} get_ctx;

static hub_status get_fn(hub_tx *tx, void *ud) {
  get_ctx *g = ud;
  char n[24];
  snprintf(n, sizeof n, "%lld", (long long)g->req->number);
  g->r = *g->req->id ? ticket_queue_load(tx, g->req->id, false) : hub_tx_exec(tx, &by_number_sql, (const char *[]){n});
  return HUB_STATUS_OK;
}

/* One statement, one round trip: by id (deleted tickets included) or by number. */
hub_status hub_ticket_v1_ticket_get_ticket(hub_call *call, const Hub__Ticket__V1__GetTicketRequest *request,
                                           Hub__Ticket__V1__TicketInfo *response) {
  hub_arena *a = hub_call_arena(call);
  if (!*request->id && request->number <= 0) return hub_status_invalid(a, "id", "an id or a number is required");
  get_ctx g = {request, NULL};
  hub_status st = hub_call_tx(call, get_fn, &g);
  if (!hub_ok(st)) return st;
  if (!ticket_decode(g.r, 0, response))
    return hub_status_new(a, HUB_NOT_FOUND, *request->id ? "id: no such ticket" : "number: no such ticket");
  return HUB_STATUS_OK;
}

/* ---- UpdateTicket ---- */

typedef struct update_ctx {
  const Hub__Ticket__V1__UpdateTicketRequest *req;
  const char *actor;
  bool set_subject, set_description, set_priority, set_status, set_tags, set_custom, set_team, set_requester_email;
  const char *tags, *custom;
  hub_rows *ticket;
} update_ctx;

/* Round trip 1: the ticket (locked), the team and, when priority or tags may move the policy,
 * the policies. Round trip 2: the update, events and pause, with the SLA's inputs; then the
 * SLA's writes and the outbox message go out with COMMIT. */
static hub_status update_fn(hub_tx *tx, void *ud) {
  update_ctx *u = ud;
  const Hub__Ticket__V1__TicketInfo *in = u->req->ticket;
  hub_arena *a = hub_tx_arena(tx);
  u->ticket = NULL;
  hub_rows *loaded = ticket_queue_load(tx, in->id, true);
  ticket_ref team = {0};
  if (u->set_team && *in->team_id) team = ticket_queue_team(tx, in->team_id, "ticket.team_id");
  hub_rows *policies = u->set_priority || u->set_tags ? ticket_sla_queue_policies(tx) : NULL;
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  Hub__Ticket__V1__TicketInfo *cur;
  if (!hub_ok(st = ticket_loaded(a, loaded, false, "ticket.id", &cur))) return st;
  if (!hub_ok(st = ticket_ref_check(a, &team))) return st;
  if (strcmp(cur->etag, u->req->etag) != 0)
    return hub_status_new(a, HUB_ABORTED, "the ticket changed since it was read (etag %s, now %s)",
                          hub_status_quote(a, u->req->etag), cur->etag);
  if (cur->status == HUB__TICKET__V1__STATUS__STATUS_CLOSED)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "a closed ticket cannot change");
  const char *subject = u->set_subject ? in->subject : cur->subject;
  const char *description = u->set_description ? in->description : cur->description;
  Hub__Ticket__V1__Priority new_priority = u->set_priority ? in->priority : cur->priority;
  const char *priority = ticket_priority_text(a, new_priority);
  Hub__Ticket__V1__Status new_status = u->set_status ? in->status : cur->status;
  if (new_status != cur->status && !ticket_transition_allowed(cur->status, new_status))
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "a ticket cannot move from %s to %s",
                          ticket_status_text(a, cur->status), ticket_status_text(a, new_status));
  const char *old_tags = ticket_tags_literal(a, cur->tags, cur->n_tags);
  const char *tags = u->set_tags ? u->tags : old_tags;
  const char *custom = u->set_custom ? u->custom : cur->custom_fields_json;
  const char *team_id = u->set_team ? in->team_id : cur->team_id;
  const char *req_email = u->set_requester_email ? in->requester_email : cur->requester_email;
  /* Priority and tags are what policies match on: one re-match when either changed. */
  bool rematch = (u->set_priority && in->priority != cur->priority) || (u->set_tags && strcmp(old_tags, tags) != 0);
  const char *policy = NULL;
  if (rematch) {
    char **t;
    size_t n_t = hub_pg_array_parse(a, tags, &t);
    policy = ticket_sla_policy_id(policies, ticket_sla_pick(a, policies, new_priority, cur->brand, t, n_t));
  }
  const char *p[] = {in->id, subject, description, priority, ticket_status_text(a, new_status), tags, custom,
                     hub_sql_opt(team_id), req_email, rematch ? "true" : "false", policy};
  u->ticket = hub_tx_exec(tx, &update_sql, p);
  /* One event per field that really changed. */
  struct {
    bool set;
    const char *field, *old, *now;
  } changes[] = {
      {u->set_subject, "subject", cur->subject, subject},
      {u->set_description, "description", cur->description, description},
      {u->set_priority, "priority", ticket_priority_text(a, cur->priority), priority},
      {u->set_status, "status", ticket_status_text(a, cur->status), ticket_status_text(a, new_status)},
      {u->set_tags, "tags", old_tags, tags},
      {u->set_custom, "custom_fields_json", cur->custom_fields_json, custom},
      {u->set_team, "team_id", cur->team_id, team_id},
      {u->set_requester_email, "requester_email", cur->requester_email, req_email},
  };
  for (size_t i = 0; i < sizeof changes / sizeof *changes; i++)
    if (changes[i].set && strcmp(changes[i].old, changes[i].now) != 0)
      ticket_event(tx, in->id, u->actor, "updated", changes[i].field, changes[i].old, changes[i].now);
  bool was_paused = ticket_status_pauses(cur->status), paused = ticket_status_pauses(new_status);
  if (was_paused != paused) ticket_sla_set_paused(tx, in->id, paused);
  if (!hub_ok(st = ticket_sla_refresh(tx, in->id, hub_clock_wall_s(), &u->ticket))) return st;
  ticket_outbox(tx, "ticket.updated", in->id, cur->number);
  return HUB_STATUS_OK;
}

hub_status hub_ticket_v1_ticket_update_ticket(hub_call *call, const Hub__Ticket__V1__UpdateTicketRequest *request,
                                              Hub__Ticket__V1__TicketInfo *response) {
  hub_arena *a = hub_call_arena(call);
  const Hub__Ticket__V1__TicketInfo *in = request->ticket;
  if (!request->update_mask || request->update_mask->n_paths == 0)
    return hub_status_invalid(a, "update_mask", "name the fields to change");
  update_ctx u = {.req = request, .actor = ticket_actor(call)};
  hub_status st;
  for (size_t i = 0; i < request->update_mask->n_paths; i++) {
    const char *path = request->update_mask->paths[i];
    if (!strcmp(path, "subject")) { /* the rules bound it; the mask makes it required */
      if (!*in->subject) return hub_status_invalid(a, "ticket.subject", "required");
      u.set_subject = true;
    } else if (!strcmp(path, "description")) {
      u.set_description = true;
    } else if (!strcmp(path, "priority")) {
      if (!in->priority) return hub_status_invalid(a, "ticket.priority", "required");
      u.set_priority = true;
    } else if (!strcmp(path, "status")) {
      if (!in->status) return hub_status_invalid(a, "ticket.status", "required");
      u.set_status = true;
    } else if (!strcmp(path, "tags")) {
      u.tags = ticket_tags_literal(a, in->tags, in->n_tags);
      u.set_tags = true;
    } else if (!strcmp(path, "custom_fields_json")) {
      if (!hub_ok(st = ticket_custom_fields_check(a, "ticket.custom_fields_json", in->custom_fields_json, &u.custom))) return st;
      u.set_custom = true;
    } else if (!strcmp(path, "team_id")) {
      u.set_team = true;
    } else if (!strcmp(path, "requester_email")) {
      u.set_requester_email = true;
    } else {
      return hub_status_invalid(a, "update_mask",
                                "\"%s\" cannot be changed here (assignee: AssignTicket; number, brand, sla, csat, "
                                "timestamps: never)",
                                hub_status_quote(a, path));
    }
  }
  st = hub_call_tx(call, update_fn, &u);
  if (!hub_ok(st)) return st;
  ticket_decode(u.ticket, 0, response);
  return HUB_STATUS_OK;
}

/* ---- DeleteTicket / UndeleteTicket ---- */

typedef struct delete_ctx {
  const char *id, *actor;
  bool del;
  hub_rows *ticket;
} delete_ctx;

/* Round trip 1: the ticket, locked; round trip 2: the change, its event and outbox message,
 * and COMMIT. */
static hub_status delete_fn(hub_tx *tx, void *ud) {
  delete_ctx *d = ud;
  hub_arena *a = hub_tx_arena(tx);
  Hub__Ticket__V1__TicketInfo *cur;
  hub_rows *loaded = ticket_queue_load(tx, d->id, true);
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st) || !hub_ok(st = ticket_loaded(a, loaded, true, "id", &cur))) return st;
  if (d->del == (cur->deleted_at != NULL))
    return hub_status_new(a, HUB_FAILED_PRECONDITION, d->del ? "the ticket is already deleted" : "the ticket is not deleted");
  d->ticket = hub_tx_exec(tx, &delete_sql, (const char *[]){d->id, d->del ? "true" : "false"});
  ticket_event(tx, d->id, d->actor, d->del ? "deleted" : "undeleted", NULL, NULL, NULL);
  ticket_outbox(tx, d->del ? "ticket.deleted" : "ticket.undeleted", d->id, cur->number);
  return HUB_STATUS_OK;
}

static hub_status delete_or_undelete(hub_call *call, const char *id, bool del, Hub__Ticket__V1__TicketInfo *response) {
  delete_ctx d = {id, ticket_actor(call), del, NULL};
  hub_status st = hub_call_tx(call, delete_fn, &d);
  if (hub_ok(st)) ticket_decode(d.ticket, 0, response);
  return st;
}

hub_status hub_ticket_v1_ticket_delete_ticket(hub_call *call, const Hub__Ticket__V1__DeleteTicketRequest *request,
                                              Hub__Ticket__V1__TicketInfo *response) {
  return delete_or_undelete(call, request->id, true, response);
}

hub_status hub_ticket_v1_ticket_undelete_ticket(hub_call *call, const Hub__Ticket__V1__UndeleteTicketRequest *request,
                                                Hub__Ticket__V1__TicketInfo *response) {
  return delete_or_undelete(call, request->id, false, response);
}

/* ---- RateTicket ---- */

typedef struct rate_ctx {
  const Hub__Ticket__V1__RateTicketRequest *req;
  const char *actor;
  hub_rows *ticket;
} rate_ctx;

static hub_status rate_fn(hub_tx *tx, void *ud) {
  rate_ctx *r = ud;
  hub_arena *a = hub_tx_arena(tx);
  Hub__Ticket__V1__TicketInfo *cur;
  hub_rows *loaded = ticket_queue_load(tx, r->req->id, true);
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st) || !hub_ok(st = ticket_loaded(a, loaded, false, "id", &cur))) return st;
  if (strcmp(cur->requester_user_id, r->actor) != 0)
    return hub_status_new(a, HUB_PERMISSION_DENIED, "only the requester rates a ticket");
  if (cur->status != HUB__TICKET__V1__STATUS__STATUS_SOLVED && cur->status != HUB__TICKET__V1__STATUS__STATUS_CLOSED)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "only a solved ticket can be rated");
  if (cur->csat_score) return hub_status_new(a, HUB_FAILED_PRECONDITION, "the ticket was already rated");
  char score[8];
  snprintf(score, sizeof score, "%d", r->req->score);
  r->ticket = hub_tx_exec(tx, &rate_sql, (const char *[]){r->req->id, score, r->req->comment});
  ticket_event(tx, r->req->id, r->actor, "rated", "csat_score", "", score);
  ticket_outbox(tx, "ticket.rated", r->req->id, cur->number);
  return HUB_STATUS_OK;
}

hub_status hub_ticket_v1_ticket_rate_ticket(hub_call *call, const Hub__Ticket__V1__RateTicketRequest *request,
                                            Hub__Ticket__V1__TicketInfo *response) {
  rate_ctx r = {request, ticket_actor(call), NULL};
  hub_status st = hub_call_tx(call, rate_fn, &r);
  if (hub_ok(st)) ticket_decode(r.ticket, 0, response);
  return st;
}
