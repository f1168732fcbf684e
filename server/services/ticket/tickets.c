/* CreateTicket, GetTicket, UpdateTicket, DeleteTicket, UndeleteTicket, RateTicket: validate,
 * then one transaction in the caller's tenant that changes the row, appends the events and
 * the outbox message, and refreshes the SLA. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/ticket/v1/ticket.hub-server.h"
#include "services/ticket/ticket.h"

static const hub_pg_stmt by_request_sql = {
    "ticket_by_request", "SELECT id FROM tickets WHERE tenant_id = hub_current_tenant() AND request_id = $1::uuid", 1};
static const hub_pg_stmt by_number_sql = {
    "ticket_load_by_number",
    "SELECT " HUB_TICKET_COLUMNS " FROM tickets t WHERE t.tenant_id = hub_current_tenant() AND t.number = $1::bigint", 1};
static const hub_pg_stmt insert_sql = {
    "ticket_insert",
    "INSERT INTO tickets (tenant_id, number, brand, subject, description, requester_user_id, requester_email, "
    "  priority, tags, custom_fields, channel, team_id, assignee_id, request_id, created_by) "
    "VALUES ($1::uuid, $2::bigint, $3, $4, $5, $6::uuid, $7, $8, $9::text[], $10::jsonb, $11, $12::uuid, $13::uuid, "
    "  $14::uuid, $15::uuid) RETURNING id",
    15};
static const hub_pg_stmt update_sql = {
    "ticket_update",
    "UPDATE tickets SET subject = $2, description = $3, priority = $4, status = $5, tags = $6::text[], "
    "  custom_fields = $7::jsonb, team_id = $8::uuid, requester_email = $9, "
    "  solved_at = CASE WHEN $5 = 'solved' THEN coalesce(solved_at, now()) WHEN $5 = 'closed' THEN solved_at END, "
    "  closed_at = CASE WHEN $5 = 'closed' THEN coalesce(closed_at, now()) END, "
    "  version = version + 1, updated_at = now() "
    "WHERE tenant_id = hub_current_tenant() AND id = $1::uuid",
    9};
static const hub_pg_stmt delete_sql = {
    "ticket_delete",
    "UPDATE tickets SET deleted_at = CASE WHEN $2 THEN now() END, version = version + 1, updated_at = now() "
    "WHERE tenant_id = hub_current_tenant() AND id = $1::uuid",
    2};
static const hub_pg_stmt rate_sql = {
    "ticket_rate",
    "UPDATE tickets SET csat_score = $2::smallint, csat_comment = $3, version = version + 1, updated_at = now() "
    "WHERE tenant_id = hub_current_tenant() AND id = $1::uuid",
    3};

/* ---- validation shared by create and update ---- */

static hub_status check_custom_fields(hub_arena *a, const char *field, const char *json, const char **out) {
  if (!json || !*json) {
    *out = "{}";
    return HUB_STATUS_OK;
  }
  if (strlen(json) > 16384) return hub_status_invalid(a, field, "at most 16 KiB");
  json_error_t err;
  json_t *doc = json_loads(json, JSON_REJECT_DUPLICATES, &err);
  if (!json_is_object(doc)) {
    json_decref(doc);
    return hub_status_invalid(a, field, "must be a JSON object");
  }
  const char *key;
  json_t *v;
  json_object_foreach(doc, key, v) {
    if (!(json_is_string(v) || json_is_number(v) || json_is_boolean(v) || json_is_null(v)) || strlen(key) > 64) {
      json_decref(doc);
      return hub_status_invalid(a, field, "values must be strings, numbers, booleans or null; keys at most 64 characters");
    }
  }
  json_decref(doc);
  *out = json;
  return HUB_STATUS_OK;
}

static const char *channel_ok(const char *c) {
  static const char *const ok[] = {"api", "email", "web", "phone", "chat"};
  if (!c || !*c) return "api";
  for (size_t i = 0; i < 5; i++)
    if (!strcmp(c, ok[i])) return ok[i];
  return NULL;
}

/* ---- CreateTicket ---- */

typedef struct create_ctx {
  hub_call *call;
  const Hub__Ticket__V1__CreateTicketRequest *req;
  const char *tenant, *actor, *brand, *priority, *tags, *custom, *channel, *requester_user, *requester_email;
  Hub__Ticket__V1__TicketInfo *out;
} create_ctx;

static hub_status create_fn(hub_pg *pg, hub_arena *a, void *ud) {
  create_ctx *c = ud;
  const Hub__Ticket__V1__CreateTicketRequest *req = c->req;
  PGresult *res = NULL;
  hub_status st;
  if (*req->request_id) {
    st = hub_pg_exec(pg, a, &by_request_sql, (const char *[]){req->request_id}, &res);
    if (!hub_ok(st)) return st;
    char *existing = PQntuples(res) == 1 ? hub_arena_strdup(a, PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    if (existing) return hub_ticket_load(pg, a, existing, false, true, &c->out);
  }
  if (c->requester_user && strcmp(c->requester_user, c->actor) != 0 && /* a member of this tenant, or nobody */
      !hub_ok(st = hub_ticket_require_member(pg, a, c->requester_user, "requester_user_id")))
    return st;
  char *assignee = NULL;
  if (*req->team_id) {
    if (!hub_ok(st = hub_ticket_require_team(pg, a, req->team_id, "team_id"))) return st;
    st = hub_ticket_pick_assignee(pg, a, req->team_id, &assignee);
    if (!hub_ok(st)) return st;
  }
  char *number;
  st = hub_ticket_next_number(pg, a, &number);
  if (!hub_ok(st)) return st;
  const char *p[] = {c->tenant, number, c->brand, req->subject, req->description, c->requester_user,
                     c->requester_email, c->priority, c->tags, c->custom, c->channel,
                     *req->team_id ? req->team_id : NULL, assignee, *req->request_id ? req->request_id : NULL, c->actor};
  st = hub_pg_exec(pg, a, &insert_sql, p, &res);
  if (!hub_ok(st)) return st;
  char *id = hub_arena_strdup(a, PQgetvalue(res, 0, 0));
  PQclear(res);
  st = hub_ticket_event(pg, a, c->tenant, id, c->actor, "created", NULL, NULL, number);
  if (hub_ok(st) && assignee) st = hub_ticket_event(pg, a, c->tenant, id, c->actor, "assigned", "assignee_id", "", assignee);
  bool sla = false; /* a new ticket has nothing stored: without a policy there is nothing to refresh */
  if (hub_ok(st)) st = hub_ticket_sla_assign_policy(pg, a, c->tenant, id, &sla);
  if (hub_ok(st) && sla) st = hub_ticket_sla_refresh(pg, a, c->tenant, id, hub_clock_wall_s());
  if (hub_ok(st)) st = hub_ticket_outbox(pg, a, c->tenant, "ticket.created", id, strtoll(number, NULL, 10));
  if (hub_ok(st)) st = hub_ticket_load(pg, a, id, false, true, &c->out);
  return st;
}

hub_status hub_ticket_v1_ticket_create_ticket(hub_call *call, const Hub__Ticket__V1__CreateTicketRequest *request,
                                              Hub__Ticket__V1__TicketInfo *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *pr = hub_principal_of(call);
  create_ctx c = {.call = call, .req = request, .tenant = pr->tenant_id, .actor = pr->user_id};
  c.priority = request->priority ? ticket_priority_text(a, request->priority) : "normal";
  if (!(c.channel = channel_ok(request->channel))) return hub_status_invalid(a, "channel", "api, email, web, phone or chat");
  c.tags = hub_ticket_tags_literal(a, request->tags, request->n_tags);
  hub_status st = check_custom_fields(a, "custom_fields_json", request->custom_fields_json, &c.custom);
  if (!hub_ok(st)) return st;
  c.brand = *request->brand ? request->brand : pr->brand;
  if (!hub_acl_find_brand(&pr->acl, c.brand)) return hub_status_invalid(a, "brand", "not a brand of this tenant");
  c.requester_email = request->requester_email;
  c.requester_user = *request->requester_user_id ? request->requester_user_id
                     : *request->requester_email ? NULL
                                                 : pr->user_id;
  st = hub_pg_tx(hub_ctx_of(call)->pg, a, c.tenant, hub_call_remaining_ms(call), create_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS && *request->request_id) /* a concurrent twin won: answer with its ticket */
    st = hub_pg_tx(hub_ctx_of(call)->pg, a, c.tenant, hub_call_remaining_ms(call), create_fn, &c);
  if (!hub_ok(st)) return st;
  hub_ticket_copy(response, c.out);
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
  g->r = *g->req->id ? hub_ticket_queue_load(tx, g->req->id, false) : hub_tx_exec(tx, &by_number_sql, (const char *[]){n});
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
  if (!hub_ticket_decode(g.r, 0, response))
    return hub_status_new(a, HUB_NOT_FOUND, *request->id ? "id: no such ticket" : "number: no such ticket");
  return HUB_STATUS_OK;
}

/* ---- UpdateTicket ---- */

typedef struct update_ctx {
  const Hub__Ticket__V1__UpdateTicketRequest *req;
  const char *tenant, *actor;
  bool set_subject, set_description, set_priority, set_status, set_tags, set_custom, set_team, set_requester_email;
  const char *tags, *custom;
  Hub__Ticket__V1__TicketInfo *out;
} update_ctx;

static char *tags_text(hub_arena *a, char **tags, size_t n) { return hub_ticket_tags_literal(a, tags, n); }

static hub_status update_fn(hub_pg *pg, hub_arena *a, void *ud) {
  update_ctx *u = ud;
  const Hub__Ticket__V1__TicketInfo *in = u->req->ticket;
  Hub__Ticket__V1__TicketInfo *cur;
  hub_status st = hub_status_at_field(a, hub_ticket_load(pg, a, in->id, true, false, &cur), "ticket.id");
  if (!hub_ok(st)) return st;
  if (u->set_team && *in->team_id && !hub_ok(st = hub_ticket_require_team(pg, a, in->team_id, "ticket.team_id")))
    return st;
  if (strcmp(cur->etag, u->req->etag) != 0)
    return hub_status_new(a, HUB_ABORTED, "the ticket changed since it was read (etag %s, now %s)",
                          hub_status_quote(a, u->req->etag), cur->etag);
  if (cur->status == HUB__TICKET__V1__STATUS__STATUS_CLOSED)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "a closed ticket cannot change");
  const char *subject = u->set_subject ? in->subject : cur->subject;
  const char *description = u->set_description ? in->description : cur->description;
  const char *priority = ticket_priority_text(a, u->set_priority ? in->priority : cur->priority);
  Hub__Ticket__V1__Status new_status = u->set_status ? in->status : cur->status;
  if (new_status != cur->status && !hub_ticket_transition_allowed(cur->status, new_status))
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "a ticket cannot move from %s to %s",
                          ticket_status_text(a, cur->status), ticket_status_text(a, new_status));
  const char *old_tags = tags_text(a, cur->tags, cur->n_tags);
  const char *tags = u->set_tags ? u->tags : old_tags;
  const char *custom = u->set_custom ? u->custom : cur->custom_fields_json;
  const char *team = u->set_team ? in->team_id : cur->team_id;
  const char *req_email = u->set_requester_email ? in->requester_email : cur->requester_email;
  const char *p[] = {in->id, subject, description, priority, ticket_status_text(a, new_status), tags, custom,
                     *team ? team : NULL, req_email};
  st = hub_pg_exec(pg, a, &update_sql, p, NULL);
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
      {u->set_team, "team_id", cur->team_id, team},
      {u->set_requester_email, "requester_email", cur->requester_email, req_email},
  };
  for (size_t i = 0; i < sizeof changes / sizeof *changes && hub_ok(st); i++)
    if (changes[i].set && strcmp(changes[i].old, changes[i].now) != 0)
      st = hub_ticket_event(pg, a, u->tenant, in->id, u->actor, "updated", changes[i].field, changes[i].old,
                            changes[i].now);
  bool was_paused = hub_ticket_status_pauses(cur->status), paused = hub_ticket_status_pauses(new_status);
  if (hub_ok(st) && was_paused != paused) st = hub_ticket_sla_pause(pg, a, in->id, paused);
  /* Priority and tags are what policies match on: one re-match when either changed. */
  bool rematch = (u->set_priority && in->priority != cur->priority) || (u->set_tags && strcmp(old_tags, tags) != 0);
  if (hub_ok(st) && rematch) st = hub_ticket_sla_assign_policy(pg, a, u->tenant, in->id, NULL);
  if (hub_ok(st)) st = hub_ticket_sla_refresh(pg, a, u->tenant, in->id, hub_clock_wall_s());
  if (hub_ok(st)) st = hub_ticket_outbox(pg, a, u->tenant, "ticket.updated", in->id, cur->number);
  if (hub_ok(st)) st = hub_ticket_load(pg, a, in->id, false, false, &u->out);
  return st;
}

hub_status hub_ticket_v1_ticket_update_ticket(hub_call *call, const Hub__Ticket__V1__UpdateTicketRequest *request,
                                              Hub__Ticket__V1__TicketInfo *response) {
  hub_arena *a = hub_call_arena(call);
  const Hub__Ticket__V1__TicketInfo *in = request->ticket;
  if (!request->update_mask || request->update_mask->n_paths == 0)
    return hub_status_invalid(a, "update_mask", "name the fields to change");
  update_ctx u = {.req = request, .tenant = hub_ticket_tenant(call), .actor = hub_ticket_actor(call)};
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
      u.tags = hub_ticket_tags_literal(a, in->tags, in->n_tags);
      u.set_tags = true;
    } else if (!strcmp(path, "custom_fields_json")) {
      if (!hub_ok(st = check_custom_fields(a, "ticket.custom_fields_json", in->custom_fields_json, &u.custom))) return st;
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
  st = hub_pg_tx(hub_ctx_of(call)->pg, a, u.tenant, hub_call_remaining_ms(call), update_fn, &u);
  if (!hub_ok(st)) return st;
  hub_ticket_copy(response, u.out);
  return HUB_STATUS_OK;
}

/* ---- DeleteTicket / UndeleteTicket ---- */

typedef struct delete_ctx {
  const char *id, *tenant, *actor;
  bool del;
  Hub__Ticket__V1__TicketInfo *out;
} delete_ctx;

static hub_status delete_fn(hub_pg *pg, hub_arena *a, void *ud) {
  delete_ctx *d = ud;
  Hub__Ticket__V1__TicketInfo *cur;
  hub_status st = hub_status_at_field(a, hub_ticket_load(pg, a, d->id, true, true, &cur), "id");
  if (!hub_ok(st)) return st;
  if (d->del == (cur->deleted_at != NULL))
    return hub_status_new(a, HUB_FAILED_PRECONDITION, d->del ? "the ticket is already deleted" : "the ticket is not deleted");
  st = hub_pg_exec(pg, a, &delete_sql, (const char *[]){d->id, d->del ? "true" : "false"}, NULL);
  if (hub_ok(st)) st = hub_ticket_event(pg, a, d->tenant, d->id, d->actor, d->del ? "deleted" : "undeleted", NULL, NULL, NULL);
  if (hub_ok(st))
    st = hub_ticket_outbox(pg, a, d->tenant, d->del ? "ticket.deleted" : "ticket.undeleted", d->id, cur->number);
  if (hub_ok(st)) st = hub_ticket_load(pg, a, d->id, false, true, &d->out);
  return st;
}

static hub_status delete_or_undelete(hub_call *call, const char *id, bool del, Hub__Ticket__V1__TicketInfo *response) {
  hub_arena *a = hub_call_arena(call);
  delete_ctx d = {id, hub_ticket_tenant(call), hub_ticket_actor(call), del, NULL};
  hub_status st = hub_pg_tx(hub_ctx_of(call)->pg, a, d.tenant, hub_call_remaining_ms(call), delete_fn, &d);
  if (hub_ok(st)) hub_ticket_copy(response, d.out);
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
  const char *tenant, *actor;
  Hub__Ticket__V1__TicketInfo *out;
} rate_ctx;

static hub_status rate_fn(hub_pg *pg, hub_arena *a, void *ud) {
  rate_ctx *r = ud;
  Hub__Ticket__V1__TicketInfo *cur;
  hub_status st = hub_status_at_field(a, hub_ticket_load(pg, a, r->req->id, true, false, &cur), "id");
  if (!hub_ok(st)) return st;
  if (strcmp(cur->requester_user_id, r->actor) != 0)
    return hub_status_new(a, HUB_PERMISSION_DENIED, "only the requester rates a ticket");
  if (cur->status != HUB__TICKET__V1__STATUS__STATUS_SOLVED && cur->status != HUB__TICKET__V1__STATUS__STATUS_CLOSED)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "only a solved ticket can be rated");
  if (cur->csat_score) return hub_status_new(a, HUB_FAILED_PRECONDITION, "the ticket was already rated");
  char score[8];
  snprintf(score, sizeof score, "%d", r->req->score);
  st = hub_pg_exec(pg, a, &rate_sql, (const char *[]){r->req->id, score, r->req->comment}, NULL);
  if (hub_ok(st)) st = hub_ticket_event(pg, a, r->tenant, r->req->id, r->actor, "rated", "csat_score", "", score);
  if (hub_ok(st)) st = hub_ticket_outbox(pg, a, r->tenant, "ticket.rated", r->req->id, cur->number);
  if (hub_ok(st)) st = hub_ticket_load(pg, a, r->req->id, false, false, &r->out);
  return st;
}

hub_status hub_ticket_v1_ticket_rate_ticket(hub_call *call, const Hub__Ticket__V1__RateTicketRequest *request,
                                            Hub__Ticket__V1__TicketInfo *response) {
  hub_arena *a = hub_call_arena(call);
  rate_ctx r = {request, hub_ticket_tenant(call), hub_ticket_actor(call), NULL};
  hub_status st = hub_pg_tx(hub_ctx_of(call)->pg, a, r.tenant, hub_call_remaining_ms(call), rate_fn, &r);
  if (hub_ok(st)) hub_ticket_copy(response, r.out);
  return st;
}
