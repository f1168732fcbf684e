/* ListAuditEvents: the call's tenant's audit trail, newest first. The page token carries
 * the last event id seen. */
#include <string.h>

#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/principal.h"
#include "services/context.h"
#include "services/tenant/audit_store.h"
#include "services/tenant/convert.h"
#include "services/tenant/validate.h"

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
  char *next = NULL;
  st = tenant_audit_list(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), hub_principal_of(call)->tenant_id, limit,
                         before, response, &next);
  if (!hub_ok(st)) return st;
  response->page = hub_arena_alloc(a, sizeof *response->page);
  hub__api__v1__page_info__init(response->page);
  if (next) response->page->next_page_token = hub_page_token(a, next, "");
  return HUB_STATUS_OK;
}
