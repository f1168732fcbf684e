/* The job kinds this process runs (registered at init, read-only once serving, so no lock)
 * and the start of an operation inside another service's transaction (api.h). */
#include <stdio.h>
#include <string.h>

#include "crypto/random.h"
#include "hub/assert.h"
#include "hub/clock.h"
#include "hub/log.h"
#include "services/operations/operations.h"

#define MAX_KINDS 64

static const hub_op_kind *kinds[MAX_KINDS];
static size_t n_kinds;

bool hub_operations_register(const hub_op_kind *kind) {
  HUB_ASSERT(kind && kind->name && kind->step && strlen(kind->name) <= 64);
  if (operations_kind(kind->name) || n_kinds == MAX_KINDS) {
    hub_logf(HUB_LOG_ERROR, "operations: job kind %s is registered twice or the table is full", kind->name);
    return false;
  }
  kinds[n_kinds++] = kind;
  return true;
}

const hub_op_kind *operations_kind(const char *name) {
  for (size_t i = 0; i < n_kinds; i++)
    if (strcmp(kinds[i]->name, name) == 0) return kinds[i];
  return NULL;
}

/* Kind names are "<service>.<job>" of identifier characters, so they need no quoting. */
const char *operations_kinds_literal(hub_arena *a) {
  size_t len = 3;
  for (size_t i = 0; i < n_kinds; i++) len += strlen(kinds[i]->name) + 1;
  char *out = hub_arena_alloc(a, len), *p = out;
  *p++ = '{';
  for (size_t i = 0; i < n_kinds; i++) p += sprintf(p, "%s%s", i ? "," : "", kinds[i]->name);
  *p++ = '}';
  *p = 0;
  return out;
}

static const hub_pg_stmt start_sql = {
    "operations_start",
    "INSERT INTO operations (tenant_id, id, kind, input, created_by) "
    "VALUES (hub_current_tenant(), $1::uuid, $2, coalesce($3::jsonb, '{}'::jsonb), hub_current_user())",
    3};

hub_status hub_operations_start(hub_tx *tx, const char *kind, const char *input_json,
                                Hub__Operations__V1__Operation **out) {
  hub_arena *a = hub_tx_arena(tx);
  if (!operations_kind(kind)) return hub_status_new(a, HUB_INTERNAL, "no job kind %s in this server", kind);
  char id[37];
  if (!hub_uuid_v7(id)) return hub_status_new(a, HUB_INTERNAL, "no randomness for an operation id");
  hub_tx_exec(tx, &start_sql, (const char *[]){id, kind, input_json});
  Hub__Operations__V1__Operation *op = hub_arena_alloc(a, sizeof *op);
  hub__operations__v1__operation__init(op);
  Hub__Operations__V1__OperationMetadata *md = hub_arena_alloc(a, sizeof *md);
  hub__operations__v1__operation_metadata__init(md);
  Google__Protobuf__Timestamp *now = hub_arena_alloc(a, sizeof *now);
  google__protobuf__timestamp__init(now);
  int64_t ns = hub_clock_wall_ns();
  now->seconds = ns / 1000000000;
  now->nanos = (int32_t)(ns % 1000000000);
  md->kind = hub_arena_strdup(a, kind);
  md->state = HUB__OPERATIONS__V1__STATE__STATE_PENDING;
  md->create_time = md->update_time = now;
  op->name = hub_arena_sprintf(a, "operations/%s", id);
  op->metadata = md;
  *out = op;
  return HUB_STATUS_OK;
}
