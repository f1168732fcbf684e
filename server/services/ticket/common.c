/* Small helpers of the Ticket service (see ticket.h). */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub/clock.h"
#include "services/ticket/ticket.h"


Google__Protobuf__Timestamp *hub_ticket_ts(hub_arena *a, int64_t unix_s) {
  if (unix_s <= 0) return NULL;
  Google__Protobuf__Timestamp *t = hub_arena_alloc(a, sizeof *t);
  google__protobuf__timestamp__init(t);
  t->seconds = unix_s;
  return t;
}

int64_t hub_ticket_epoch(const char *text) { return text ? strtoll(text, NULL, 10) : 0; }

const char *hub_ticket_tenant(hub_call *call) { return hub_principal_of(call)->tenant_id; }
const char *hub_ticket_actor(hub_call *call) { return hub_principal_of(call)->user_id; }

static const hub_pg_stmt is_member_sql = {
    "ticket_is_member", "SELECT 1 FROM members WHERE tenant_id = hub_current_tenant() AND user_id = $1::uuid", 1};
static const hub_pg_stmt next_number_sql = {
    "ticket_next_number",
    "INSERT INTO ticket_counters AS tc (tenant_id, last_number) VALUES (hub_current_tenant(), 1) "
    "ON CONFLICT (tenant_id) DO UPDATE SET last_number = tc.last_number + 1 RETURNING last_number",
    0};

hub_status hub_ticket_is_member(hub_pg *pg, hub_arena *a, const char *user_id, bool *member) {
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &is_member_sql, (const char *[]){user_id}, &res);
  *member = hub_ok(st) && PQntuples(res) == 1;
  PQclear(res);
  return st;
}

static const hub_pg_stmt team_exists_sql = {
    "ticket_team_exists", "SELECT 1 FROM ticket_teams WHERE tenant_id = hub_current_tenant() AND id = $1::uuid", 1};
/* The first id of the array that is no member of the tenant, with its position (from 0). */
static const hub_pg_stmt first_non_member_sql = {
    "ticket_first_non_member",
    "SELECT u.i - 1 FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, i) WHERE NOT EXISTS "
    "(SELECT 1 FROM members m WHERE m.tenant_id = hub_current_tenant() AND m.user_id = u.id) ORDER BY u.i LIMIT 1",
    1};

hub_status hub_ticket_require_member(hub_pg *pg, hub_arena *a, const char *user_id, const char *field) {
  bool member;
  hub_status st = hub_ticket_is_member(pg, a, user_id, &member);
  if (hub_ok(st) && !member) st = hub_status_new(a, HUB_NOT_FOUND, "%s: no such member", field);
  return st;
}

hub_status hub_ticket_require_members(hub_pg *pg, hub_arena *a, const char *ids_literal, const char *field) {
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &first_non_member_sql, (const char *[]){ids_literal}, &res);
  if (hub_ok(st) && PQntuples(res) == 1)
    st = hub_status_new(a, HUB_NOT_FOUND, "%s[%s]: no such member", field, PQgetvalue(res, 0, 0));
  PQclear(res);
  return st;
}

hub_status hub_ticket_require_team(hub_pg *pg, hub_arena *a, const char *team_id, const char *field) {
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &team_exists_sql, (const char *[]){team_id}, &res);
  if (hub_ok(st) && PQntuples(res) != 1) st = hub_status_new(a, HUB_NOT_FOUND, "%s: no such team", field);
  PQclear(res);
  return st;
}

hub_status hub_ticket_next_number(hub_pg *pg, hub_arena *a, char **number) {
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &next_number_sql, NULL, &res);
  *number = hub_ok(st) ? hub_arena_strdup(a, PQgetvalue(res, 0, 0)) : NULL;
  PQclear(res);
  return st;
}

char *hub_ticket_tags_literal(hub_arena *a, char **tags, size_t n) {
  char **kept = hub_arena_calloc(a, n ? n : 1, sizeof *kept);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    char *t = hub_arena_strdup(a, tags[i]);
    for (char *p = t; *p; p++) *p = (char)tolower((unsigned char)*p);
    bool dup = false;
    for (size_t j = 0; j < k && !dup; j++) dup = !strcmp(kept[j], t);
    if (!dup) kept[k++] = t;
  }
  return hub_pg_array_literal(a, kept, k);
}

