/* SQL of the System service: one read of schema_migrations. */
#include "store.h"

#include <stdlib.h>

static const hub_pg_stmt schema_version_sql = {
    "system_schema_version", "SELECT coalesce(max(version), 0)::bigint FROM schema_migrations", 0};

typedef struct read_ctx {
  int64_t version;
} read_ctx;

static hub_status read_version(hub_pg *pg, hub_arena *a, void *ud) {
  read_ctx *rc = ud;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &schema_version_sql, NULL, &res);
  if (hub_ok(st)) rc->version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  PQclear(res);
  return st;
}

hub_status system_schema_version(hub_pg *pg, hub_arena *a, int64_t timeout_ms, int64_t *version) {
  read_ctx rc = {0};
  hub_status st = hub_pg_tx(pg, a, NULL, timeout_ms, read_version, &rc);
  *version = rc.version;
  return st;
}
