/* hub.system.v1.System: what this hubd is. Thin handler: no request fields to validate,
 * the schema version comes from the store, the process facts from hubd at init. */
#include "hub/clock.h"
#include "hub/system/v1/system.hub-server.h"
#include "services/context.h"
#include "services/system/store.h"

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
  hub_arena *a = hub_call_arena(call);
  int64_t schema = 0;
  hub_status st = system_schema_version(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), &schema);
  if (!hub_ok(st)) return st;
  const int64_t now_ns = hub_clock_wall_ns();
  Google__Protobuf__Timestamp *ts = hub_arena_alloc(a, sizeof *ts);
  google__protobuf__timestamp__init(ts);
  ts->seconds = now_ns / 1000000000;
  ts->nanos = (int32_t)(now_ns % 1000000000);
  response->version = (char *)info.version;
  response->instance_id = (char *)info.instance_id;
  response->schema_version = schema;
  response->server_time = ts;
  response->request_id = (char *)hub_call_request_id(call);
  response->uptime_seconds = (hub_clock_mono_ms() - info.started_ms) / 1000;
  return HUB_STATUS_OK;
}
