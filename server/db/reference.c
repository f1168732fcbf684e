/* See reference.h. */
#include "db/reference.h"

#include "db/array.h"
#include "hub/api/v1/module.pb-c.h"
#include "hub/enum_text.h"

static const char *const sync_sql =
    "WITH want AS (SELECT unnest($1::text[]) AS name), "
    "added AS (INSERT INTO modules (name) SELECT name FROM want ON CONFLICT DO NOTHING) "
    "DELETE FROM modules WHERE name NOT IN (SELECT name FROM want)";

static hub_status failed(hub_arena *a, PGresult *r) {
  const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  return hub_status_new(a, HUB_FAILED_PRECONDITION, "writing the modules table from hub.api.v1.Module: %s",
                        msg ? msg : "unknown error");
}

hub_status hub_reference_sync(PGconn *c, hub_arena *a) {
  PGresult *r = PQexec(c, "SELECT to_regclass('public.modules') IS NOT NULL");
  bool exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQgetvalue(r, 0, 0)[0] == 't';
  hub_status st = PQresultStatus(r) == PGRES_TUPLES_OK ? HUB_STATUS_OK : failed(a, r);
  PQclear(r);
  if (!hub_ok(st) || !exists) return st;
  const ProtobufCEnumDescriptor *d = &hub__api__v1__module__descriptor;
  char **names = hub_arena_calloc(a, d->n_values, sizeof *names);
  size_t n = 0;
  for (unsigned i = 0; i < d->n_values; i++)
    if (d->values[i].value != 0) names[n++] = (char *)hub_enum_to_text(a, d, d->values[i].value);
  const char *params[1] = {hub_pg_array_literal(a, names, n)};
  r = PQexecParams(c, sync_sql, 1, NULL, params, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) st = failed(a, r);
  PQclear(r);
  return st;
}
