/* grpc.health.v1.Health: Check answers from the prober's state; Watch sends the current
 * state, then every change, until the caller goes away. Service names: "" is the whole
 * server; any registered service answers with the same state, since every service needs
 * both PostgreSQL and Redis; other names are unknown. */
#include <string.h>

#include "grpc/health/v1/health.hub-server.h"
#include "health.h"
#include "runtime/server.h"

static bool known_service(hub_call *call, const char *name) {
  if (!name || !*name) return true;
  hub_server *srv = hub_call_server(call);
  for (size_t i = 0; i < hub_server_service_count(srv); i++)
    if (strcmp(hub_server_service_name(srv, i), name) == 0) return true;
  return false;
}

static Grpc__Health__V1__HealthCheckResponse__ServingStatus current(void) {
  return hub_health_serving() ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                              : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
}

hub_status hub_grpc_health_v1_health_check(hub_call *call, const Grpc__Health__V1__HealthCheckRequest *request,
                                           Grpc__Health__V1__HealthCheckResponse *response) {
  if (!known_service(call, request->service))
    return hub_status_new(hub_call_arena(call), HUB_NOT_FOUND, "unknown service %s", hub_status_quote(hub_call_arena(call), request->service));
  response->status = current();
  return HUB_STATUS_OK;
}

hub_status hub_grpc_health_v1_health_watch(hub_call *call, const Grpc__Health__V1__HealthCheckRequest *request,
                                           hub_stream *stream) {
  Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
  if (!known_service(call, request->service)) {
    /* The protocol says: answer SERVICE_UNKNOWN and keep the stream open (it may appear). */
    resp.status = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN;
    hub_status st = hub_stream_write(stream, &resp.base);
    while (hub_ok(st) && hub_call_sleep_ms(call, 1000)) {
    }
    return st;
  }
  uint64_t seen = hub_health_generation();
  resp.status = current();
  hub_status st = hub_stream_write(stream, &resp.base);
  while (hub_ok(st) && hub_call_sleep_ms(call, 100)) {
    uint64_t gen = hub_health_generation();
    if (gen == seen) continue;
    seen = gen;
    resp.status = current();
    st = hub_stream_write(stream, &resp.base);
  }
  return st;
}
