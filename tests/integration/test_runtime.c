/* The runtime against a real hubd (real PostgreSQL, real Redis, real gRPC), called through
 * libhubclient: health and its flip when Redis goes away and comes back, reflection in both
 * versions, request ids, and the refusals (unknown method/service, garbage and oversized
 * payloads). Graceful shutdown is tested last, since it stops the server. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "grpc/health/v1/health.hub-client.h"
#include "grpc/reflection/v1/reflection.hub-client.h"
#include "grpc/reflection/v1alpha/reflection.hub-client.h"
#include "hub/client.h"
#include "hub/system/v1/system.hub-client.h"
#include "support/stack.h"

static struct {
  hub_stack stack;
  int hubd_port;
  hub_proc *hubd;
  hub_channel *ch;
  char target[64];
} env;

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

static int setup(void **state) {
  (void)state;
  if (!hub_stack_up(&env.stack, "runtime")) return -1;
  const char *kv[] = {env.stack.env[0], env.stack.env[1], env.stack.env[2], "HUB_HEALTH_INTERVAL_MS=100",
                      "HUB_SHUTDOWN_GRACE_MS=1500", "HUB_WORKERS=3", "HUB_REDIS_TIMEOUT_MS=300",
                      "HUB_MAX_STREAMING_CALLS=3", NULL};
  env.hubd = hub_hubd_start(kv, &env.hubd_port);
  if (!env.hubd) return -1;
  snprintf(env.target, sizeof env.target, "127.0.0.1:%d", env.hubd_port);
  env.ch = hub_channel_new(env.target, NULL);
  return env.ch ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  hub_channel_free(env.ch);
  if (env.hubd) hub_proc_stop(env.hubd, SIGKILL);
  hub_stack_down(&env.stack);
  return 0;
}

static hub_code check_health(const char *service, Grpc__Health__V1__HealthCheckResponse__ServingStatus *out) {
  hub_arena *a = hub_arena_new(0);
  Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  req.service = (char *)service;
  Grpc__Health__V1__HealthCheckResponse *resp;
  hub_call_options o = {.timeout_ms = 2000, .no_retry = true};
  hub_status st = hub_grpc_health_v1_health_check_call(env.ch, &o, a, &req, &resp);
  if (hub_ok(st)) *out = resp->status;
  hub_arena_free(a);
  return st.code;
}

#define SERVING GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
#define NOT_SERVING GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING

static void test_health_check(void **state) {
  (void)state;
  Grpc__Health__V1__HealthCheckResponse__ServingStatus s = 0;
  assert_int_equal(check_health("", &s), HUB_OK);
  assert_int_equal(s, SERVING);
  assert_int_equal(check_health("hub.system.v1.System", &s), HUB_OK);
  assert_int_equal(s, SERVING);
  assert_int_equal(check_health("grpc.health.v1.Health", &s), HUB_OK);
  assert_int_equal(check_health("no.such.Service", &s), HUB_NOT_FOUND);
}

static void test_get_info_and_request_id(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__System__V1__GetInfoRequest req = HUB__SYSTEM__V1__GET_INFO_REQUEST__INIT;
  Hub__System__V1__GetInfoResponse *resp;
  hub_metadata *hdrs = NULL;
  size_t n_hdrs = 0;
  hub_call_options o = {.timeout_ms = 5000, .request_id = "it-req-42", .headers_out = &hdrs, .n_headers_out = &n_hdrs};
  hub_status st = hub_system_v1_system_get_info_call(env.ch, &o, a, &req, &resp);
  if (!hub_ok(st)) fail_msg("GetInfo: %s %s", hub_code_name(st.code), st.message);
  assert_string_equal(resp->request_id, "it-req-42");
  assert_true(resp->schema_version >= 1);
  assert_non_null(resp->server_time);
  assert_true(strlen(resp->version) > 0);
  bool echoed = false;
  for (size_t i = 0; i < n_hdrs; i++)
    echoed |= !strcmp(hdrs[i].key, "x-request-id") && !strcmp(hdrs[i].value, "it-req-42");
  assert_true(echoed);
  /* Without one, the server makes one up and still echoes it. */
  hub_call_options o2 = {.timeout_ms = 5000, .headers_out = &hdrs, .n_headers_out = &n_hdrs};
  st = hub_system_v1_system_get_info_call(env.ch, &o2, a, &req, &resp);
  assert_true(hub_ok(st));
  assert_int_equal(strlen(resp->request_id), 16);
  hub_arena_free(a);
}

/* A method the client knows but the server does not serve. */
static hub_code call_path(const char *path) {
  hub_method_def fake = hub_system_v1_system_get_info_method;
  fake.path = path;
  hub_arena *a = hub_arena_new(0);
  Hub__System__V1__GetInfoRequest req = HUB__SYSTEM__V1__GET_INFO_REQUEST__INIT;
  ProtobufCMessage *resp;
  hub_call_options o = {.timeout_ms = 2000, .no_retry = true};
  hub_status st = hub_unary_call(env.ch, &fake, &o, a, &req.base, &resp);
  hub_arena_free(a);
  return st.code;
}

/* One JSON line per call with the promised fields, and never the caller's token. */
static void test_log_line_per_call_without_secrets(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__System__V1__GetInfoRequest req = HUB__SYSTEM__V1__GET_INFO_REQUEST__INIT;
  Hub__System__V1__GetInfoResponse *resp;
  hub_call_options o = {.timeout_ms = 5000, .request_id = "log-check-7", .bearer_token = "sekrit-token-0451"};
  assert_true(hub_ok(hub_system_v1_system_get_info_call(env.ch, &o, a, &req, &resp)));
  hub_arena_free(a);
  FILE *f = fopen(hub_proc_log_path(env.hubd), "r");
  assert_non_null(f);
  char line[4096];
  bool found = false;
  for (int tries = 0; tries < 50 && !found; tries++) {
    while (fgets(line, sizeof line, f)) {
      if (strstr(line, "sekrit")) fail_msg("the log carries the bearer token: %s", line);
      if (strstr(line, "\"request_id\":\"log-check-7\"")) {
        found = true;
        assert_non_null(strstr(line, "\"method\":\"/hub.system.v1.System/GetInfo\""));
        assert_non_null(strstr(line, "\"code\":\"OK\""));
        assert_non_null(strstr(line, "\"latency_us\":"));
        assert_non_null(strstr(line, "\"peer\":\"ipv4:127.0.0.1:"));
        assert_non_null(strstr(line, "\"time\":\""));
        assert_non_null(strstr(line, "\"tenant\":"));
      }
    }
    if (!found) sleep_ms(20); /* the line is written when the call's final batch completes */
    clearerr(f);
  }
  fclose(f);
  assert_true(found);
}

static void test_unknown_method_and_service(void **state) {
  (void)state;
  assert_int_equal(call_path("/hub.system.v1.System/NoSuchMethod"), HUB_UNIMPLEMENTED);
  assert_int_equal(call_path("/hub.nothing.v1.Nothing/Get"), HUB_UNIMPLEMENTED);
}

/* Sends raw bytes as the request of GetInfo and returns the status code. */
static hub_code raw_call(const uint8_t *bytes, size_t len) {
  hub_async_queue *q = hub_async_queue_new();
  hub_call_options o = {.timeout_ms = 5000};
  assert_true(hub_async_unary_start(q, env.ch, &hub_system_v1_system_get_info_method, &o, bytes, len, q));
  void *tag;
  hub_code code = HUB_UNKNOWN;
  size_t rlen;
  assert_true(hub_async_next(q, 10000, &tag, &code, &rlen));
  assert_ptr_equal(tag, q);
  hub_async_queue_free(q);
  return code;
}

static void test_garbage_and_oversized_payloads(void **state) {
  (void)state;
  const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99};
  assert_int_equal(raw_call(garbage, sizeof garbage), HUB_INVALID_ARGUMENT);
  size_t big = 5u << 20; /* over the 4 MiB default */
  uint8_t *huge = calloc(1, big);
  assert_int_equal(raw_call(huge, big), HUB_RESOURCE_EXHAUSTED);
  free(huge);
  /* The server is fine afterwards. */
  assert_int_equal(raw_call(NULL, 0), HUB_OK);
}

/* One reflection exchange on an open stream; returns the response as v1 (both versions share
 * the wire format, so a v1alpha answer is re-read as v1). */
static Grpc__Reflection__V1__ServerReflectionResponse *reflect(hub_client_stream *s, hub_arena *a,
                                                               ProtobufCMessage *req) {
  assert_true(hub_ok(hub_client_stream_send(s, req)));
  ProtobufCMessage *resp;
  assert_true(hub_ok(hub_client_stream_recv(s, &resp)));
  assert_non_null(resp);
  size_t len = protobuf_c_message_get_packed_size(resp);
  uint8_t *buf = hub_arena_alloc(a, len + 1);
  protobuf_c_message_pack(resp, buf);
  ProtobufCAllocator alloc = hub_arena_allocator(a);
  return grpc__reflection__v1__server_reflection_response__unpack(&alloc, len, buf);
}

static void reflection_round(bool alpha) {
  hub_arena *a = hub_arena_new(0);
  hub_client_stream *s;
  hub_call_options o = {.timeout_ms = 10000};
  hub_status st = alpha ? hub_grpc_reflection_v1alpha_server_reflection_server_reflection_info_start(env.ch, &o, a, &s)
                        : hub_grpc_reflection_v1_server_reflection_server_reflection_info_start(env.ch, &o, a, &s);
  assert_true(hub_ok(st));
  /* The same request bytes serve both versions. */
  Grpc__Reflection__V1__ServerReflectionRequest q = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
  ProtobufCMessage *req = &q.base;
  Grpc__Reflection__V1alpha__ServerReflectionRequest qa = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
  if (alpha) req = &qa.base;
#define SET(field, value, which)                                                           \
  do {                                                                                     \
    q.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_##which; \
    q.field = value;                                                                       \
    qa.message_request_case = (Grpc__Reflection__V1alpha__ServerReflectionRequest__MessageRequestCase)q.message_request_case; \
    qa.field = value;                                                                      \
  } while (0)

  SET(list_services, "*", LIST_SERVICES);
  Grpc__Reflection__V1__ServerReflectionResponse *r = reflect(s, a, req);
  assert_non_null(r->list_services_response);
  const char *want[] = {"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                        "grpc.reflection.v1alpha.ServerReflection", "hub.system.v1.System"};
  for (size_t w = 0; w < 4; w++) {
    bool found = false;
    for (size_t i = 0; i < r->list_services_response->n_service; i++)
      found |= !strcmp(r->list_services_response->service[i]->name, want[w]);
    if (!found) fail_msg("list_services lacks %s", want[w]);
  }

  SET(file_containing_symbol, "hub.system.v1.System", FILE_CONTAINING_SYMBOL);
  r = reflect(s, a, req);
  assert_non_null(r->file_descriptor_response);
  /* system.proto with its transitive imports: timestamp, access, descriptor. */
  bool have[4] = {0};
  const char *files[] = {"hub/system/v1/system.proto", "google/protobuf/timestamp.proto", "hub/api/v1/access.proto",
                         "google/protobuf/descriptor.proto"};
  for (size_t i = 0; i < r->file_descriptor_response->n_file_descriptor_proto; i++) {
    ProtobufCBinaryData *b = &r->file_descriptor_response->file_descriptor_proto[i];
    ProtobufCAllocator alloc = hub_arena_allocator(a);
    Google__Protobuf__FileDescriptorProto *fd = google__protobuf__file_descriptor_proto__unpack(&alloc, b->len, b->data);
    assert_non_null(fd);
    for (int k = 0; k < 4; k++) have[k] |= !strcmp(fd->name, files[k]);
  }
  for (int k = 0; k < 4; k++)
    if (!have[k]) fail_msg("file_containing_symbol lacks %s", files[k]);

  SET(file_by_filename, "grpc/health/v1/health.proto", FILE_BY_FILENAME);
  r = reflect(s, a, req);
  assert_non_null(r->file_descriptor_response);
  assert_int_equal(r->file_descriptor_response->n_file_descriptor_proto, 1);

  SET(file_containing_symbol, "no.such.Symbol", FILE_CONTAINING_SYMBOL);
  r = reflect(s, a, req);
  assert_non_null(r->error_response);
  assert_int_equal(r->error_response->error_code, HUB_NOT_FOUND);

  SET(all_extension_numbers_of_type, "google.protobuf.MethodOptions", ALL_EXTENSION_NUMBERS_OF_TYPE);
  r = reflect(s, a, req);
  assert_non_null(r->all_extension_numbers_response);
  bool access = false;
  for (size_t i = 0; i < r->all_extension_numbers_response->n_extension_number; i++)
    access |= r->all_extension_numbers_response->extension_number[i] == 51000;
  assert_true(access);
#undef SET
  assert_true(hub_ok(hub_client_stream_close_send(s)));
  ProtobufCMessage *end;
  assert_true(hub_ok(hub_client_stream_recv(s, &end)));
  assert_null(end);
  assert_true(hub_ok(hub_client_stream_finish(s)));
  hub_arena_free(a);
}

static void test_reflection_v1(void **state) {
  (void)state;
  reflection_round(false);
}

static void test_reflection_v1alpha(void **state) {
  (void)state;
  reflection_round(true);
}

static Grpc__Health__V1__HealthCheckResponse__ServingStatus wait_health(Grpc__Health__V1__HealthCheckResponse__ServingStatus want,
                                                                       int max_ms) {
  Grpc__Health__V1__HealthCheckResponse__ServingStatus s = 0;
  for (int waited = 0; waited < max_ms; waited += 100) {
    if (check_health("", &s) == HUB_OK && s == want) return s;
    sleep_ms(100);
  }
  return s;
}

/* Opens Health/Watch for the whole server and checks its first answer is SERVING. */
/* A Health/Watch that has sent its first SERVING. The streams of the tests before (reflection
 * is a stream too) may still hold their slots for a moment after they end, so a watch refused
 * for the cap (it ends with no message) is tried again, for up to a second. */
static hub_client_stream *start_watch(hub_arena *a) {
  static Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  req.service = "";
  hub_call_options o = {.timeout_ms = 30000};
  for (int tries = 0; tries < 50; tries++) {
    hub_client_stream *watch;
    assert_true(hub_ok(hub_grpc_health_v1_health_watch_start(env.ch, &o, a, &req, &watch)));
    ProtobufCMessage *m = NULL;
    if (hub_ok(hub_client_stream_recv(watch, &m)) && m) {
      assert_int_equal(((Grpc__Health__V1__HealthCheckResponse *)m)->status, SERVING);
      return watch;
    }
    hub_client_stream_finish(watch);
    sleep_ms(20);
  }
  fail_msg("no Health/Watch slot came free within a second");
  return NULL;
}

/* Streams hold a thread each, so their number is capped (HUB_MAX_STREAMING_CALLS=3 here):
 * the fourth is refused with RESOURCE_EXHAUSTED, and a slot frees when a stream ends. */
static void test_streaming_cap(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_client_stream *open[3];
  for (int i = 0; i < 3; i++) open[i] = start_watch(a);
  Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  hub_client_stream *extra;
  hub_call_options o = {.timeout_ms = 5000};
  assert_true(hub_ok(hub_grpc_health_v1_health_watch_start(env.ch, &o, a, &req, &extra)));
  ProtobufCMessage *m = NULL;
  hub_client_stream_recv(extra, &m);
  assert_null(m);
  assert_int_equal(hub_client_stream_finish(extra).code, HUB_RESOURCE_EXHAUSTED);
  hub_client_stream_cancel(open[0]);
  hub_client_stream_finish(open[0]);
  /* The slot is free once the server has finished the cancelled stream. */
  hub_client_stream *again = NULL;
  for (int tries = 0; tries < 50 && !again; tries++) {
    hub_client_stream *s;
    assert_true(hub_ok(hub_grpc_health_v1_health_watch_start(env.ch, &o, a, &req, &s)));
    if (hub_ok(hub_client_stream_recv(s, &m)) && m) {
      again = s;
    } else {
      hub_client_stream_finish(s);
      sleep_ms(20);
    }
  }
  assert_non_null(again);
  hub_client_stream_cancel(again);
  hub_client_stream_finish(again);
  for (int i = 1; i < 3; i++) {
    hub_client_stream_cancel(open[i]);
    hub_client_stream_finish(open[i]);
  }
  sleep_ms(300); /* let the server retire the cancelled streams before the next test */
  hub_arena_free(a);
}

static void test_health_follows_redis(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_client_stream *watch = start_watch(a);
  ProtobufCMessage *m;

  hub_proc_stop(env.stack.redis, SIGKILL);
  env.stack.redis = NULL;
  assert_int_equal(wait_health(NOT_SERVING, 5000), NOT_SERVING);
  assert_true(hub_ok(hub_client_stream_recv(watch, &m)));
  assert_int_equal(((Grpc__Health__V1__HealthCheckResponse *)m)->status, NOT_SERVING);

  env.stack.redis = hub_redis_start(env.stack.redis_port, NULL);
  assert_non_null(env.stack.redis);
  assert_int_equal(wait_health(SERVING, 10000), SERVING);
  assert_true(hub_ok(hub_client_stream_recv(watch, &m)));
  assert_int_equal(((Grpc__Health__V1__HealthCheckResponse *)m)->status, SERVING);
  hub_client_stream_cancel(watch);
  assert_int_equal(hub_client_stream_finish(watch).code, HUB_CANCELLED);
  hub_arena_free(a);
}

/* SIGTERM: the in-flight Watch keeps being served (and reports NOT_SERVING), new calls are
 * refused, and after the grace period the stream ends and hubd exits 0. */
static void test_sigterm_drains(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_client_stream *watch = start_watch(a);
  ProtobufCMessage *m;
  Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;

  kill(hub_proc_pid(env.hubd), SIGTERM);
  assert_true(hub_ok(hub_client_stream_recv(watch, &m)));
  assert_non_null(m);
  assert_int_equal(((Grpc__Health__V1__HealthCheckResponse *)m)->status, NOT_SERVING);

  /* A new connection is refused while draining. */
  hub_channel *fresh = hub_channel_new(env.target, NULL);
  Grpc__Health__V1__HealthCheckResponse *resp;
  hub_call_options quick = {.timeout_ms = 500, .no_retry = true};
  hub_status st = hub_grpc_health_v1_health_check_call(fresh, &quick, a, &req, &resp);
  assert_int_not_equal(st.code, HUB_OK);
  hub_channel_free(fresh);

  /* The grace period (1.5 s) ends the stream; hubd exits cleanly. */
  while (hub_ok(hub_client_stream_recv(watch, &m)) && m) {
  }
  hub_status end = hub_client_stream_finish(watch);
  assert_int_not_equal(end.code, HUB_OK);
  char log_path[512];
  snprintf(log_path, sizeof log_path, "%s", hub_proc_log_path(env.hubd));
  int status = -1;
  int waited = hub_proc_wait(env.hubd, 10000, &status); /* frees env.hubd */
  env.hubd = NULL;                                       /* so teardown does not stop it again */
  assert_int_equal(waited, 0);
  assert_int_equal(status, 0);
  /* The services' background threads came and went through their lifecycle hooks, stopped
   * (joined) before hubd said it stopped. */
  FILE *f = fopen(log_path, "r");
  assert_non_null(f);
  char line[4096];
  int started = 0, stopped = 0, last_stop = -1, done_at = -1;
  for (int n = 0; fgets(line, sizeof line, f); n++) {
    if (strstr(line, "sla sweeper started") || strstr(line, "account purge started")) started++;
    if (strstr(line, "sla sweeper stopped") || strstr(line, "account purge stopped")) stopped++, last_stop = n;
    if (strstr(line, "\"msg\":\"stopped\"")) done_at = n;
  }
  fclose(f);
  assert_int_equal(started, 2);
  assert_int_equal(stopped, 2);
  assert_true(done_at > last_stop);
  env.hubd = NULL;
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_health_check),
      cmocka_unit_test(test_get_info_and_request_id),
      cmocka_unit_test(test_log_line_per_call_without_secrets),
      cmocka_unit_test(test_unknown_method_and_service),
      cmocka_unit_test(test_garbage_and_oversized_payloads),
      cmocka_unit_test(test_reflection_v1),
      cmocka_unit_test(test_reflection_v1alpha),
      cmocka_unit_test(test_streaming_cap),
      cmocka_unit_test(test_health_follows_redis),
      cmocka_unit_test(test_sigterm_drains),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
