/* ListTickets: filters combined into one statement composed from fixed fragments (values are
 * parameters), ordered by one of six keys with the id as tie-break, and paged by keyset: the
 * page token carries the last row's (key, id), so page 1000 costs what page 1 does. The
 * statement is not prepared: each filter combination gets a plan of its own. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/ticket/v1/ticket.hub-server.h"
#include "services/ticket/ticket.h"

typedef struct order {
  const char *name;   /* as in the request */
  const char *column; /* t.<column> */
  const char *type;   /* its SQL type, for the cursor parameter */
  bool desc;
} order;

static const order orders[] = {
    {"updated_at desc", "updated_at", "timestamptz", true}, {"updated_at asc", "updated_at", "timestamptz", false},
    {"created_at desc", "created_at", "timestamptz", true}, {"created_at asc", "created_at", "timestamptz", false},
    {"number desc", "number", "bigint", true},              {"number asc", "number", "bigint", false},
};

typedef struct query {
  char sql[4096];
  size_t len;
  const char *params[24];
  int n;
} query;

static void add(query *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(query *q, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(q->sql + q->len, sizeof q->sql - q->len, fmt, ap);
  va_end(ap);
  if (w > 0) q->len += (size_t)w;
}

/* Adds a parameter and returns its number ($n). */
static int param(query *q, const char *value) {
  q->params[q->n] = value;
  return ++q->n;
}

typedef struct list_ctx {
  query q;
  int limit;
  const order *ord;
} list_ctx;

hub_status hub_ticket_v1_ticket_list_tickets(hub_call *call, const Hub__Ticket__V1__ListTicketsRequest *r,
                                             Hub__Ticket__V1__ListTicketsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  list_ctx *c = hub_arena_calloc(a, 1, sizeof *c);
  hub_status st = hub_page_size(a, r->page_size, &c->limit);
  if (!hub_ok(st)) return st;
  c->ord = &orders[0];
  if (*r->order_by) {
    c->ord = NULL;
    for (size_t i = 0; i < sizeof orders / sizeof *orders && !c->ord; i++)
      if (!strcmp(r->order_by, orders[i].name)) c->ord = &orders[i];
    if (!c->ord)
      return hub_status_invalid(a, "order_by", "one of: updated_at desc|asc, created_at desc|asc, number desc|asc");
  }
  query *q = &c->q;
  add(q, "SELECT " TICKET_COLUMNS ", t.%s::text AS _key FROM tickets t WHERE t.tenant_id = hub_current_tenant() AND ",
      c->ord->column);
  add(q, r->deleted ? "t.deleted_at IS NOT NULL" : "t.deleted_at IS NULL");
  if (r->n_statuses) {
    char **names = hub_arena_calloc(a, r->n_statuses, sizeof *names);
    for (size_t i = 0; i < r->n_statuses; i++)
      if (!(names[i] = (char *)ticket_status_text(a, r->statuses[i])))
        return hub_status_invalid(a, "statuses", "unknown status");
    char *lit = hub_pg_array_literal(a, names, r->n_statuses);
    /* One status is an equality, so the (tenant, status, updated_at, id) index also gives the
     * order and a page stops after page_size rows; a list of them is a ScalarArrayOp, which
     * PostgreSQL 15 cannot read in index order. */
    if (r->n_statuses == 1) add(q, " AND t.status = $%d", param(q, ticket_status_text(a, r->statuses[0])));
    else add(q, " AND t.status = ANY($%d::text[])", param(q, lit));
  }
  if (!strcmp(r->assignee_id, "none")) {
    add(q, " AND t.assignee_id IS NULL");
  } else if (*r->assignee_id) {
    const char *assignee = hub_uuid_lower(a, r->assignee_id);
    if (!assignee) return hub_status_invalid(a, "assignee_id", "a user id or \"none\"");
    add(q, " AND t.assignee_id = $%d::uuid", param(q, assignee));
  }
  if (*r->team_id) {
    add(q, " AND t.team_id = $%d::uuid", param(q, r->team_id));
  }
  if (r->priority) {
    const char *p = ticket_priority_text(a, r->priority);
    if (!p) return hub_status_invalid(a, "priority", "unknown priority");
    add(q, " AND t.priority = $%d", param(q, p));
  }
  if (*r->tag) {
    char *one[] = {r->tag};
    add(q, " AND t.tags @> $%d::text[]", param(q, ticket_tags_literal(a, one, 1)));
  }
  if (*r->brand) {
    if (strlen(r->brand) > 31) return hub_status_invalid(a, "brand", "no such brand");
    add(q, " AND t.brand = $%d", param(q, r->brand));
  }
  if (r->breached) add(q, " AND t.sla_breached");
  if (r->updated_since) {
    char *since = hub_arena_sprintf(a, "%lld", (long long)r->updated_since->seconds);
    add(q, " AND t.updated_at >= to_timestamp($%d::bigint)", param(q, since));
  }
  if (*r->page_token) {
    char *key, *id;
    if (!hub_page_token_parse(a, r->page_token, &key, &id) || !hub_uuid_lower(a, id))
      return hub_status_invalid(a, "page_token", "not a token from this list");
    int k = param(q, key), i = param(q, id);
    add(q, " AND (t.%s, t.id) %s ($%d::%s, $%d::uuid)", c->ord->column, c->ord->desc ? "<" : ">", k, c->ord->type, i);
  }
  const char *dir = c->ord->desc ? "DESC" : "ASC";
  char *lim = hub_arena_sprintf(a, "%d", c->limit + 1);
  add(q, " ORDER BY t.%s %s, t.id %s LIMIT $%d", c->ord->column, dir, dir, param(q, lim));
  hub_pg_stmt stmt = {NULL, q->sql, q->n};
  hub_rows *rows;
  st = hub_call_query(call, &stmt, q->params, &rows);
  if (!hub_ok(st)) return st;
  int n = hub_rows_count(rows), take = n > c->limit ? c->limit : n;
  response->tickets = hub_arena_calloc(a, take ? (size_t)take : 1, sizeof *response->tickets);
  for (int i = 0; i < take; i++) response->tickets[response->n_tickets++] = ticket_row(rows, i);
  char *next = NULL;
  if (n > c->limit)
    next = hub_page_token(a, hub_rows_text(rows, take - 1, "_key"), hub_rows_text(rows, take - 1, "id"));
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}
