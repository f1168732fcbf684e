/* See audit_store.h. Keyset paging on the identity column, so a page costs an index range
 * scan however long the trail is. */
#include "services/tenant/audit_store.h"

#include <stdio.h>
#include <stdlib.h>

#include "services/tenant/convert.h"
#include "services/tenant/rows.h"

static const hub_pg_stmt list_sql = {
    "tenant_audit_list",
    "SELECT id, coalesce(actor_id::text, ''), action, target, ip, " TENANT_MICROS("created_at") ", detail::text "
    "FROM audit_events WHERE tenant_id = $1::uuid AND ($2::bigint IS NULL OR id < $2::bigint) "
    "ORDER BY id DESC LIMIT $3::int",
    3};

typedef struct list_ctx {
  const char *tenant_id, *before;
  int limit;
  Hub__Tenant__V1__ListAuditEventsResponse *out;
  char *next;
} list_ctx;

static hub_status list_fn(hub_pg *pg, hub_arena *a, void *ud) {
  list_ctx *c = ud;
  char limit[16];
  snprintf(limit, sizeof limit, "%d", c->limit + 1);
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &list_sql, (const char *[]){c->tenant_id, c->before, limit}, &res);
  if (!hub_ok(st)) return st;
  int n = PQntuples(res);
  bool more = n > c->limit;
  if (more) n = c->limit;
  c->out->n_events = 0;
  c->out->events = n ? hub_arena_calloc(a, (size_t)n, sizeof *c->out->events) : NULL;
  for (int i = 0; i < n; i++) {
    Hub__Tenant__V1__AuditEvent *e = hub_arena_alloc(a, sizeof *e);
    hub__tenant__v1__audit_event__init(e);
    e->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
    e->actor_id = hub_arena_strdup(a, PQgetvalue(res, i, 1));
    e->action = hub_arena_strdup(a, PQgetvalue(res, i, 2));
    e->target = hub_arena_strdup(a, PQgetvalue(res, i, 3));
    e->ip = hub_arena_strdup(a, PQgetvalue(res, i, 4));
    e->created_at = tenant_timestamp(a, PQgetvalue(res, i, 5));
    e->detail_json = hub_arena_strdup(a, PQgetvalue(res, i, 6));
    c->out->events[c->out->n_events++] = e;
  }
  c->next = more ? hub_arena_strdup(a, PQgetvalue(res, n - 1, 0)) : NULL;
  PQclear(res);
  return HUB_STATUS_OK;
}

hub_status tenant_audit_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, int limit,
                             const char *before, Hub__Tenant__V1__ListAuditEventsResponse *out, char **next_before) {
  list_ctx c = {tenant_id, before, limit, out, NULL};
  hub_status st = hub_pg_tx(pg, a, tenant_id, timeout_ms, list_fn, &c);
  *next_before = hub_ok(st) ? c.next : NULL;
  return st;
}
