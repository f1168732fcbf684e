/* GetInfo: what this hubd is. No request fields; the schema version is one read of
 * schema_migrations (one round trip), the process facts come from hubd at init. */
#include "services/system/system.h"

static const hub_pg_stmt schema_version_sql = {
    "system_schema_version", "SELECT coalesce(max(version), 0)::bigint AS schema_version FROM schema_migrations", 0};

static struct {
  const char *version;
  const char *instance_id;
  int64_t started_ms; /* monotonic */
} info;

/* System's lifecycle: the process facts it reports, taken before serving. */
static bool system_init(const hub_service_env *env) {
  info.version = env->version;
  info.instance_id = env->instance_id;
  info.started_ms = hub_clock_mono_ms();
  return true;
}

const hub_service_lifecycle hub_system_v1_system_lifecycle = {.init = system_init};

hub_status hub_system_v1_system_get_info(hub_call *call, const Hub__System__V1__GetInfoRequest *request,
                                         Hub__System__V1__GetInfoResponse *response) {
  (void)request;
  hub_rows *rows;
  hub_status st = hub_call_query(call, &schema_version_sql, NULL, &rows);
  if (!hub_ok(st)) return st;
  hub_rows_decode(rows, 0, &response->base);
  hub_arena *a = hub_call_arena(call);
  const int64_t now_ns = hub_clock_wall_ns();
  Google__Protobuf__Timestamp *ts = hub_arena_alloc(a, sizeof *ts);
  google__protobuf__timestamp__init(ts);
  ts->seconds = now_ns / 1000000000;
  ts->nanos = (int32_t)(now_ns % 1000000000);
  response->version = (char *)info.version;
  response->instance_id = (char *)info.instance_id;
  response->server_time = ts;
  response->request_id = (char *)hub_call_request_id(call);
  response->uptime_seconds = (hub_clock_mono_ms() - info.started_ms) / 1000;
  return HUB_STATUS_OK;
}
