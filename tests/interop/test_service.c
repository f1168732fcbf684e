/* grpc.testing.TestService on our runtime, as the gRPC interop test descriptions require of
 * a server: sized zero-filled payloads, echoed status and metadata, paced streams that stop
 * when the client cancels. interop_server.c serves it; interop_client.c checks it. */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "grpc/testing/test.hub-server.h"

/* Payloads stay under the runtime's default 4 MiB message limit with room for framing. */
#define MAX_PAYLOAD ((4 << 20) - 1024)

#define ECHO_INITIAL "x-grpc-test-echo-initial"
#define ECHO_TRAILING "x-grpc-test-echo-trailing-bin"

/* Echoes the two interop metadata keys, if sent: the first into the response headers, the
 * second (binary) into the trailers. Called first by every handler, so headers are queued
 * before anything is written. */
static void echo_metadata(hub_call *call) {
  const char *v = hub_call_metadata(call, ECHO_INITIAL);
  if (v) hub_call_add_header(call, ECHO_INITIAL, v, strlen(v));
  size_t len = 0;
  const char *bin = hub_call_metadata_bin(call, ECHO_TRAILING, &len);
  if (bin) hub_call_add_trailer(call, ECHO_TRAILING, bin, len);
}

/* A COMPRESSABLE payload of `size` zero bytes, allocated in the call's arena. */
static Grpc__Testing__Payload *zero_payload(hub_call *call, int32_t size) {
  hub_arena *a = hub_call_arena(call);
  Grpc__Testing__Payload *p = hub_arena_alloc(a, sizeof *p);
  grpc__testing__payload__init(p);
  p->type = GRPC__TESTING__PAYLOAD_TYPE__COMPRESSABLE;
  p->body.len = (size_t)size;
  p->body.data = hub_arena_calloc(a, size > 0 ? (size_t)size : 1, 1);
  return p;
}

/* ---- validation: each check adds a violation naming the field, so one reply lists all ---- */

static void check_type(hub_call *call, hub_status *st, const char *field, Grpc__Testing__PayloadType t) {
  if (t != GRPC__TESTING__PAYLOAD_TYPE__COMPRESSABLE)
    hub_status_add_violation(hub_call_arena(call), st, field, "unknown payload type %d", (int)t);
}

static void check_size(hub_call *call, hub_status *st, const char *field, int32_t size) {
  if (size < 0 || size > MAX_PAYLOAD)
    hub_status_add_violation(hub_call_arena(call), st, field, "must be between 0 and %d, not %" PRId32,
                             MAX_PAYLOAD, size);
}

static void check_echo_status(hub_call *call, hub_status *st, const char *field, const Grpc__Testing__EchoStatus *e) {
  if (e && (e->code < 0 || e->code >= HUB_CODE_COUNT))
    hub_status_add_violation(hub_call_arena(call), st, field, "code %" PRId32 " is not a gRPC status code", e->code);
}

/* This runtime neither reports whether a request arrived compressed nor compresses single
 * responses, so the compression cases are refused plainly rather than passed by accident. */
static hub_status refuse_compression(hub_call *call, const Grpc__Testing__BoolValue *expect,
                                     const Grpc__Testing__BoolValue *respond) {
  if ((expect && expect->value) || (respond && respond->value))
    return hub_status_new(hub_call_arena(call), HUB_UNIMPLEMENTED,
                          "per-message compression is not supported by this server");
  return HUB_STATUS_OK;
}

static void check_parameters(hub_call *call, hub_status *st, const Grpc__Testing__StreamingOutputCallRequest *req) {
  hub_arena *a = hub_call_arena(call);
  check_type(call, st, "response_type", req->response_type);
  check_echo_status(call, st, "response_status", req->response_status);
  for (size_t i = 0; i < req->n_response_parameters; i++) {
    const Grpc__Testing__ResponseParameters *p = req->response_parameters[i];
    check_size(call, st, hub_arena_sprintf(a, "response_parameters[%zu].size", i), p->size);
    if (p->interval_us < 0)
      hub_status_add_violation(a, st, hub_arena_sprintf(a, "response_parameters[%zu].interval_us", i),
                               "must not be negative");
  }
}

/* The status a request asked for (response_status with a non-zero code), else OK. */
static hub_status requested_status(hub_call *call, const Grpc__Testing__EchoStatus *e) {
  if (!e || e->code == 0) return HUB_STATUS_OK;
  const char *msg = e->message ? e->message : "";
  return (hub_status){(hub_code)e->code, hub_arena_strdup(hub_call_arena(call), msg), NULL};
}

/* Writes one response of `size` zero bytes after waiting `interval_us`; the wait ends early
 * (CANCELLED) if the client goes away or the deadline passes. */
static hub_status paced_write(hub_call *call, hub_stream *stream, int32_t size, int32_t interval_us) {
  if (interval_us > 0 && !hub_call_sleep_ms(call, ((int64_t)interval_us + 999) / 1000))
    return hub_status_fixed(HUB_CANCELLED, "the call was cancelled while waiting to respond");
  Grpc__Testing__StreamingOutputCallResponse resp;
  grpc__testing__streaming_output_call_response__init(&resp);
  resp.payload = zero_payload(call, size);
  return hub_stream_write(stream, &resp.base);
}

/* ---- the RPCs ---- */

hub_status hub_grpc_testing_test_service_empty_call(hub_call *call, const Grpc__Testing__Empty *request,
                                                    Grpc__Testing__Empty *response) {
  echo_metadata(call);
  return HUB_STATUS_OK;
}

hub_status hub_grpc_testing_test_service_unary_call(hub_call *call, const Grpc__Testing__SimpleRequest *request,
                                                    Grpc__Testing__SimpleResponse *response) {
  echo_metadata(call);
  hub_status st = HUB_STATUS_OK;
  check_type(call, &st, "response_type", request->response_type);
  check_size(call, &st, "response_size", request->response_size);
  check_echo_status(call, &st, "response_status", request->response_status);
  if (!hub_ok(st)) return st;
  st = refuse_compression(call, request->expect_compressed, request->response_compressed);
  if (!hub_ok(st)) return st;
  st = requested_status(call, request->response_status);
  if (!hub_ok(st)) return st;
  response->payload = zero_payload(call, request->response_size);
  return HUB_STATUS_OK;
}

/* Answers with the current time, marked cacheable, as the interop cacheable_unary case
 * expects (a caching proxy would return the same body twice). */
hub_status hub_grpc_testing_test_service_cacheable_unary_call(hub_call *call,
                                                              const Grpc__Testing__SimpleRequest *request,
                                                              Grpc__Testing__SimpleResponse *response) {
  echo_metadata(call);
  hub_status st = HUB_STATUS_OK;
  check_type(call, &st, "response_type", request->response_type);
  if (!hub_ok(st)) return st;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char *now = hub_arena_sprintf(hub_call_arena(call), "%lld%09ld", (long long)ts.tv_sec, ts.tv_nsec);
  Grpc__Testing__Payload *p = zero_payload(call, 0);
  p->body.data = (uint8_t *)now;
  p->body.len = strlen(now);
  response->payload = p;
  static const char cache_control[] = "max-age=60, public";
  hub_call_add_header(call, "cache-control", cache_control, sizeof cache_control - 1);
  return HUB_STATUS_OK;
}

hub_status hub_grpc_testing_test_service_streaming_output_call(
    hub_call *call, const Grpc__Testing__StreamingOutputCallRequest *request, hub_stream *stream) {
  echo_metadata(call);
  hub_status st = HUB_STATUS_OK;
  check_parameters(call, &st, request);
  if (!hub_ok(st)) return st;
  for (size_t i = 0; i < request->n_response_parameters; i++) {
    const Grpc__Testing__ResponseParameters *p = request->response_parameters[i];
    st = paced_write(call, stream, p->size, p->interval_us);
    if (!hub_ok(st)) return st;
  }
  return requested_status(call, request->response_status);
}

hub_status hub_grpc_testing_test_service_streaming_input_call(hub_call *call, hub_stream *stream,
                                                              Grpc__Testing__StreamingInputCallResponse *response) {
  echo_metadata(call);
  int64_t total = 0;
  for (;;) {
    ProtobufCMessage *m = NULL;
    hub_status st = hub_stream_read(stream, &m);
    if (!hub_ok(st)) return st;
    if (!m) break;
    const Grpc__Testing__StreamingInputCallRequest *req = (const Grpc__Testing__StreamingInputCallRequest *)m;
    st = refuse_compression(call, req->expect_compressed, NULL);
    if (!hub_ok(st)) return st;
    if (req->payload) total += (int64_t)req->payload->body.len;
    if (total > INT32_MAX)
      return hub_status_fixed(HUB_OUT_OF_RANGE, "aggregated payload size exceeds an int32");
  }
  response->aggregated_payload_size = (int32_t)total;
  return HUB_STATUS_OK;
}

/* Answers each request as it arrives with the responses it asks for; a request carrying a
 * response_status ends the call with that status. */
hub_status hub_grpc_testing_test_service_full_duplex_call(hub_call *call, hub_stream *stream) {
  echo_metadata(call);
  for (;;) {
    ProtobufCMessage *m = NULL;
    hub_status st = hub_stream_read(stream, &m);
    if (!hub_ok(st)) return st;
    if (!m) return HUB_STATUS_OK;
    const Grpc__Testing__StreamingOutputCallRequest *req = (const Grpc__Testing__StreamingOutputCallRequest *)m;
    check_parameters(call, &st, req);
    if (!hub_ok(st)) return st;
    st = requested_status(call, req->response_status);
    if (!hub_ok(st)) return st;
    for (size_t i = 0; i < req->n_response_parameters; i++) {
      st = paced_write(call, stream, req->response_parameters[i]->size, req->response_parameters[i]->interval_us);
      if (!hub_ok(st)) return st;
    }
  }
}

/* One response a half-duplex request asked for, kept until the client half-closes (a read
 * message lives only until the next read). */
typedef struct pending {
  int32_t size, interval_us;
  struct pending *next;
} pending;

/* Buffers every request's responses until the client half-closes, then sends them in order;
 * a requested non-OK status is returned after them. */
hub_status hub_grpc_testing_test_service_half_duplex_call(hub_call *call, hub_stream *stream) {
  echo_metadata(call);
  hub_arena *a = hub_call_arena(call);
  pending *head = NULL, **tail = &head;
  hub_status requested = HUB_STATUS_OK;
  for (;;) {
    ProtobufCMessage *m = NULL;
    hub_status st = hub_stream_read(stream, &m);
    if (!hub_ok(st)) return st;
    if (!m) break;
    const Grpc__Testing__StreamingOutputCallRequest *req = (const Grpc__Testing__StreamingOutputCallRequest *)m;
    check_parameters(call, &st, req);
    if (!hub_ok(st)) return st;
    if (hub_ok(requested)) requested = requested_status(call, req->response_status);
    for (size_t i = 0; i < req->n_response_parameters; i++) {
      pending *p = hub_arena_alloc(a, sizeof *p);
      *p = (pending){req->response_parameters[i]->size, req->response_parameters[i]->interval_us, NULL};
      *tail = p;
      tail = &p->next;
    }
  }
  for (pending *p = head; p; p = p->next) {
    hub_status st = paced_write(call, stream, p->size, p->interval_us);
    if (!hub_ok(st)) return st;
  }
  return requested;
}

hub_status hub_grpc_testing_test_service_unimplemented_call(hub_call *call, const Grpc__Testing__Empty *request,
                                                            Grpc__Testing__Empty *response) {
  return hub_status_fixed(HUB_UNIMPLEMENTED, "UnimplementedCall is never implemented");
}
