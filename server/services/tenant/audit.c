/* ListAuditEvents: the call's tenant's audit trail (written by identity/audit.c inside each
 * change), newest first. Keyset paging on the identity column, so a page costs an index range
 * scan however long the trail is; the page token carries the last event id seen. */
#include <string.h>

#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/principal.h"
#include "services/tenant/tenant.h"

static const hub_pg_stmt list_sql = {
    "tenant_audit_list",
    "SELECT id, actor_id, action, target, ip, created_at, detail::text AS detail_json "
    "FROM audit_events WHERE tenant_id = $1::uuid AND ($2::bigint IS NULL OR id < $2::bigint) "
    "ORDER BY id DESC LIMIT $3::int",
    3};

static bool decimal(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 18) return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

hub_status hub_tenant_v1_tenant_list_audit_events(hub_call *call, const Hub__Tenant__V1__ListAuditEventsRequest *request,
                                                  Hub__Tenant__V1__ListAuditEventsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *before = NULL, *rest = NULL;
  if (request->page_token[0] &&
      (!hub_page_token_parse(a, request->page_token, &before, &rest) || !decimal(before) || rest[0]))
    return hub_status_invalid(a, "page_token", "not a page token of this list");
  const char *params[] = {hub_principal_of(call)->tenant_id, before, hub_arena_sprintf(a, "%d", limit + 1)};
  hub_rows *rows;
  st = hub_call_query(call, &list_sql, params, &rows);
  if (!hub_ok(st)) return st;
  response->n_events =
      hub_rows_messages(rows, &hub__tenant__v1__audit_event__descriptor, limit, (void ***)&response->events);
  char *next = NULL;
  if (hub_rows_count(rows) > limit)
    next = hub_page_token(a, hub_rows_text(rows, limit - 1, "id"), "");
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}
