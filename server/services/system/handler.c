/* hub.system.v1.System: what this hubd is. Thin handler: no request fields to validate,
 * the schema version comes from the store. */
#include <time.h>

#include "hub/system/v1/system.hub-server.h"
#include "services/context.h"
#include "services/system/store.h"
#include "services/system/system.h"

static struct {
  const char *version;
  const char *instance_id;
  time_t started;
} info;

void hub_system_init(const char *version, const char *instance_id) {
  info.version = version;
  info.instance_id = instance_id;
  info.started = time(NULL);
}

hub_status hub_system_v1_system_get_info(hub_call *call, const Hub__System__V1__GetInfoRequest *request,
                                         Hub__System__V1__GetInfoResponse *response) {
  (void)request;
  hub_arena *a = hub_call_arena(call);
  int64_t schema = 0;
  hub_status st = hub_system_schema_version(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), &schema);
  if (!hub_ok(st)) return st;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  Google__Protobuf__Timestamp *ts = hub_arena_alloc(a, sizeof *ts);
  google__protobuf__timestamp__init(ts);
  ts->seconds = now.tv_sec;
  ts->nanos = (int32_t)now.tv_nsec;
  response->version = (char *)info.version;
  response->instance_id = (char *)info.instance_id;
  response->schema_version = schema;
  response->server_time = ts;
  response->request_id = (char *)hub_call_request_id(call);
  response->uptime_seconds = (int64_t)(time(NULL) - info.started);
  return HUB_STATUS_OK;
}
