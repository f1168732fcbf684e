/* GetOperation, ListOperations (newest first, keyset pages by id, which is time-ordered) and
 * CancelOperation. Each is one statement in the caller's tenant (hub_call_query), so row-level
 * security scopes it and it costs one round trip. */
#include "aip/paging.h"
#include "hub/uuid.h"
#include "services/operations/operations.h"

static const hub_pg_stmt get_sql = {
    "operations_get",
    "SELECT " OPERATIONS_COLUMNS " FROM operations x WHERE x.tenant_id = hub_current_tenant() AND x.id = $1::uuid", 1};

/* One row more than the page, to know whether another follows. $3: 0 any, 1 done, 2 not done. */
static const hub_pg_stmt list_sql = {
    "operations_list",
    "SELECT " OPERATIONS_COLUMNS " FROM operations x WHERE x.tenant_id = hub_current_tenant() "
    "AND ($1::uuid IS NULL OR x.id < $1::uuid) AND ($2::text IS NULL OR x.kind = $2) "
    "AND ($3::int = 0 OR ($3::int = 1) = (x.done_at IS NOT NULL)) ORDER BY x.id DESC LIMIT $4::int + 1",
    4};

/* Cancels an unfinished operation; the row lock orders it after a step that is running. A
 * finished one comes back as it is. */
static const hub_pg_stmt cancel_sql = {
    "operations_cancel",
    "WITH c AS (UPDATE operations x SET state = 'cancelled', error_code = 1, error_message = 'cancelled', "
    "  done_at = now(), updated_at = now() "
    "  WHERE x.tenant_id = hub_current_tenant() AND x.id = $1::uuid AND x.done_at IS NULL RETURNING x.*) "
    "SELECT " OPERATIONS_COLUMNS " FROM c x UNION ALL "
    "SELECT " OPERATIONS_COLUMNS " FROM operations x WHERE x.tenant_id = hub_current_tenant() AND x.id = $1::uuid "
    "AND NOT EXISTS (SELECT 1 FROM c)",
    1};

/* The one-row answer of Get and Cancel. */
static hub_status one_operation(hub_call *call, const hub_pg_stmt *stmt, const char *name,
                                Hub__Operations__V1__Operation *response) {
  hub_arena *a = hub_call_arena(call);
  const char *id = operations_id_of(a, name);
  if (!id) return operations_bad_name(a, "name");
  hub_rows *rows;
  hub_status st = hub_call_query(call, stmt, (const char *[]){id}, &rows);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(rows) == 0) return hub_status_new(a, HUB_NOT_FOUND, "name: no such operation");
  hub_rows_decode(rows, 0, &response->base);
  return HUB_STATUS_OK;
}

hub_status hub_operations_v1_operations_get_operation(hub_call *call,
                                                      const Hub__Operations__V1__GetOperationRequest *request,
                                                      Hub__Operations__V1__Operation *response) {
  return one_operation(call, &get_sql, request->name, response);
}

hub_status hub_operations_v1_operations_cancel_operation(hub_call *call,
                                                         const Hub__Operations__V1__CancelOperationRequest *request,
                                                         Hub__Operations__V1__Operation *response) {
  return one_operation(call, &cancel_sql, request->name, response);
}

hub_status hub_operations_v1_operations_list_operations(hub_call *call,
                                                        const Hub__Operations__V1__ListOperationsRequest *request,
                                                        Hub__Operations__V1__ListOperationsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  const char *before; /* the last id of the previous page */
  st = hub_page_token_id(a, request->page_token, &before);
  if (!hub_ok(st)) return st;
  int done = request->done == HUB__OPERATIONS__V1__DONE_FILTER__DONE_FILTER_DONE       ? 1
             : request->done == HUB__OPERATIONS__V1__DONE_FILTER__DONE_FILTER_NOT_DONE ? 2
                                                                                       : 0;
  const char *p[] = {before, hub_sql_opt(request->kind), hub_arena_sprintf(a, "%d", done),
                     hub_arena_sprintf(a, "%d", limit)};
  hub_rows *rows;
  st = hub_call_query(call, &list_sql, p, &rows);
  if (!hub_ok(st)) return st;
  response->n_operations =
      hub_rows_messages(rows, &hub__operations__v1__operation__descriptor, limit, (void ***)&response->operations);
  char *next = NULL;
  if (hub_rows_count(rows) > limit) {
    const char *last = operations_id_of(a, response->operations[limit - 1]->name);
    next = hub_page_token(a, last, "");
  }
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}
