/* Small helpers of the Ticket service (see ticket.h): the call's actor, the
 * reference checks a change queues before it writes, the ticket counter and tags. */
#include <ctype.h>
#include <string.h>

#include "services/ticket/ticket.h"

const char *ticket_actor(hub_call *call) { return hub_principal_of(call)->user_id; }

static const hub_pg_stmt is_member_sql = {
    "ticket_is_member", "SELECT 1 AS _one FROM members WHERE tenant_id = hub_current_tenant() AND user_id = $1::uuid", 1};
static const hub_pg_stmt team_exists_sql = {
    "ticket_team_exists",
    "SELECT 1 AS _one FROM ticket_teams WHERE tenant_id = hub_current_tenant() AND id = $1::uuid", 1};
/* The first id of the array that is no member of the tenant, with its position (from 0). */
static const hub_pg_stmt first_non_member_sql = {
    "ticket_first_non_member",
    "SELECT u.i - 1 AS _pos FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, i) WHERE NOT EXISTS "
    "(SELECT 1 FROM members m WHERE m.tenant_id = hub_current_tenant() AND m.user_id = u.id) ORDER BY u.i LIMIT 1",
    1};
static const hub_pg_stmt next_number_sql = {
    "ticket_next_number",
    "INSERT INTO ticket_counters AS tc (tenant_id, last_number) VALUES (hub_current_tenant(), 1) "
    "ON CONFLICT (tenant_id) DO UPDATE SET last_number = tc.last_number + 1 RETURNING last_number AS _number",
    0};

ticket_ref ticket_queue_member(hub_tx *tx, const char *user_id, const char *field) {
  return (ticket_ref){hub_tx_exec(tx, &is_member_sql, (const char *[]){user_id}), field, TICKET_REF_MEMBER};
}

ticket_ref ticket_queue_members(hub_tx *tx, const char *ids_literal, const char *field) {
  return (ticket_ref){hub_tx_exec(tx, &first_non_member_sql, (const char *[]){ids_literal}), field,
                          TICKET_REF_MEMBERS};
}

ticket_ref ticket_queue_team(hub_tx *tx, const char *team_id, const char *field) {
  return (ticket_ref){hub_tx_exec(tx, &team_exists_sql, (const char *[]){team_id}), field, TICKET_REF_TEAM};
}

hub_status ticket_ref_check(hub_arena *a, const ticket_ref *ref) {
  if (!ref->rows) return HUB_STATUS_OK;
  int n = hub_rows_count(ref->rows);
  switch (ref->kind) {
    case TICKET_REF_MEMBER:
      return n == 1 ? HUB_STATUS_OK : hub_status_new(a, HUB_NOT_FOUND, "%s: no such member", ref->field);
    case TICKET_REF_MEMBERS:
      return n == 0 ? HUB_STATUS_OK
                    : hub_status_new(a, HUB_NOT_FOUND, "%s[%s]: no such member", ref->field,
                                     hub_rows_text(ref->rows, 0, "_pos"));
    case TICKET_REF_TEAM:
      return n == 1 ? HUB_STATUS_OK : hub_status_new(a, HUB_NOT_FOUND, "%s: no such team", ref->field);
  }
  return HUB_STATUS_OK;
}

hub_rows *ticket_queue_next_number(hub_tx *tx) { return hub_tx_exec(tx, &next_number_sql, NULL); }

char *ticket_new_id(hub_arena *a) {
  char id[37];
  if (!hub_uuid_v7(id)) return NULL;
  return hub_arena_strdup(a, id);
}

char *ticket_tags_literal(hub_arena *a, char **tags, size_t n) {
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
