/* Interop cases on streaming calls: client_streaming, server_streaming, ping_pong,
 * empty_stream, and the cancellation and deadline cases, asserting what the gRPC interop test
 * descriptions assert. */
#include "interop_cases.h"

/* Sizes fixed by the interop test descriptions. */
static const size_t input_sizes[4] = {27182, 8, 1828, 45904}; /* sum 74922 */
static const int32_t output_sizes[4] = {31415, 9, 2653, 58979};

/* A FullDuplexCall request asking for one response of `response_size` bytes and carrying
 * `payload_size` bytes itself, in the case's arena. */
static Grpc__Testing__StreamingOutputCallRequest *duplex_request(interop_ctx *ctx, int32_t response_size,
                                                                 size_t payload_size) {
  Grpc__Testing__StreamingOutputCallRequest *req = hub_arena_alloc(ctx->arena, sizeof *req);
  grpc__testing__streaming_output_call_request__init(req);
  Grpc__Testing__ResponseParameters *p = hub_arena_alloc(ctx->arena, sizeof *p);
  grpc__testing__response_parameters__init(p);
  p->size = response_size;
  req->response_type = GRPC__TESTING__PAYLOAD_TYPE__COMPRESSABLE;
  req->n_response_parameters = 1;
  req->response_parameters = hub_arena_alloc(ctx->arena, sizeof *req->response_parameters);
  req->response_parameters[0] = p;
  req->payload = interop_zero_payload(ctx, payload_size);
  return req;
}

/* Reads the end of a stream: fails (giving the stream up) if another message comes instead. */
static bool expect_end(interop_ctx *ctx, hub_client_stream *s, const char *what) {
  ProtobufCMessage *m = NULL;
  hub_status st = hub_client_stream_recv(s, &m);
  if (hub_ok(st) && m) return interop_stream_fail(ctx, s, "%s: a message arrived where the stream should end", what);
  return true; /* a failed recv is explained by the status finish returns */
}

bool interop_client_streaming(interop_ctx *ctx) {
  hub_call_options o = interop_options();
  hub_client_stream *s = NULL;
  hub_status st = hub_grpc_testing_test_service_streaming_input_call_start(ctx->ch, &o, ctx->arena, &s);
  if (!hub_ok(st)) return interop_stream_fail(ctx, s, "StreamingInputCall start: %s", st.message);
  for (int i = 0; i < 4; i++) {
    Grpc__Testing__StreamingInputCallRequest req = GRPC__TESTING__STREAMING_INPUT_CALL_REQUEST__INIT;
    req.payload = interop_zero_payload(ctx, input_sizes[i]);
    st = hub_client_stream_send(s, &req.base);
    if (!hub_ok(st)) return interop_stream_fail(ctx, s, "StreamingInputCall send %d: %s", i, st.message);
  }
  st = hub_client_stream_close_send(s);
  if (!hub_ok(st)) return interop_stream_fail(ctx, s, "StreamingInputCall close: %s", st.message);
  ProtobufCMessage *m = NULL;
  st = hub_client_stream_recv(s, &m);
  if (m && !expect_end(ctx, s, "StreamingInputCall")) return false;
  st = hub_client_stream_finish(s);
  if (!interop_expect_status(ctx, "StreamingInputCall", st, HUB_OK, NULL)) return false;
  if (!m) return interop_fail(ctx, "StreamingInputCall: no response message");
  int32_t sum = ((Grpc__Testing__StreamingInputCallResponse *)m)->aggregated_payload_size;
  if (sum != 74922) return interop_fail(ctx, "StreamingInputCall: aggregated_payload_size %d, not 74922", (int)sum);
  return true;
}

bool interop_server_streaming(interop_ctx *ctx) {
  hub_call_options o = interop_options();
  Grpc__Testing__StreamingOutputCallRequest req = GRPC__TESTING__STREAMING_OUTPUT_CALL_REQUEST__INIT;
  Grpc__Testing__ResponseParameters params[4], *pp[4];
  for (int i = 0; i < 4; i++) {
    grpc__testing__response_parameters__init(&params[i]);
    params[i].size = output_sizes[i];
    pp[i] = &params[i];
  }
  req.response_type = GRPC__TESTING__PAYLOAD_TYPE__COMPRESSABLE;
  req.n_response_parameters = 4;
  req.response_parameters = pp;
  hub_client_stream *s = NULL;
  hub_status st = hub_grpc_testing_test_service_streaming_output_call_start(ctx->ch, &o, ctx->arena, &req, &s);
  if (!hub_ok(st)) return interop_stream_fail(ctx, s, "StreamingOutputCall start: %s", st.message);
  int n = 0;
  for (;;) {
    ProtobufCMessage *m = NULL;
    st = hub_client_stream_recv(s, &m);
    if (!hub_ok(st) || !m) break;
    if (n >= 4) return interop_stream_fail(ctx, s, "StreamingOutputCall: more than 4 responses");
    const Grpc__Testing__StreamingOutputCallResponse *r = (const Grpc__Testing__StreamingOutputCallResponse *)m;
    if (!interop_expect_payload(ctx, "StreamingOutputCall", r->payload, (size_t)output_sizes[n]))
      return interop_stream_fail(ctx, s, "response %d: %s", n, ctx->why);
    n++;
  }
  st = hub_client_stream_finish(s);
  if (!interop_expect_status(ctx, "StreamingOutputCall", st, HUB_OK, NULL)) return false;
  if (n != 4) return interop_fail(ctx, "StreamingOutputCall: %d responses, not 4", n);
  return true;
}

bool interop_ping_pong(interop_ctx *ctx) {
  static const size_t payload_sizes[4] = {27182, 8, 1828, 45904};
  hub_call_options o = interop_options();
  hub_client_stream *s = NULL;
  hub_status st = hub_grpc_testing_test_service_full_duplex_call_start(ctx->ch, &o, ctx->arena, &s);
  if (!hub_ok(st)) return interop_stream_fail(ctx, s, "FullDuplexCall start: %s", st.message);
  for (int i = 0; i < 4; i++) {
    st = hub_client_stream_send(s, &duplex_request(ctx, output_sizes[i], payload_sizes[i])->base);
    if (!hub_ok(st)) return interop_stream_fail(ctx, s, "FullDuplexCall send %d: %s", i, st.message);
    ProtobufCMessage *m = NULL;
    st = hub_client_stream_recv(s, &m);
    if (!hub_ok(st) || !m) return interop_stream_fail(ctx, s, "FullDuplexCall: no response to request %d", i);
    const Grpc__Testing__StreamingOutputCallResponse *r = (const Grpc__Testing__StreamingOutputCallResponse *)m;
    if (!interop_expect_payload(ctx, "FullDuplexCall", r->payload, (size_t)output_sizes[i]))
      return interop_stream_fail(ctx, s, "response %d: %s", i, ctx->why);
  }
  st = hub_client_stream_close_send(s);
  if (!hub_ok(st)) return interop_stream_fail(ctx, s, "FullDuplexCall close: %s", st.message);
  if (!expect_end(ctx, s, "FullDuplexCall")) return false;
  return interop_expect_status(ctx, "FullDuplexCall", hub_client_stream_finish(s), HUB_OK, NULL);
}

bool interop_empty_stream(interop_ctx *ctx) {
  hub_call_options o = interop_options();
  hub_client_stream *s = NULL;
  hub_status st = hub_grpc_testing_test_service_full_duplex_call_start(ctx->ch, &o, ctx->arena, &s);
  if (!hub_ok(st)) return interop_stream_fail(ctx, s, "FullDuplexCall start: %s", st.message);
  st = hub_client_stream_close_send(s);
  if (!hub_ok(st)) return interop_stream_fail(ctx, s, "FullDuplexCall close: %s", st.message);
  if (!expect_end(ctx, s, "FullDuplexCall")) return false;
  return interop_expect_status(ctx, "FullDuplexCall", hub_client_stream_finish(s), HUB_OK, NULL);
}

bool interop_cancel_after_begin(interop_ctx *ctx) {
  hub_call_options o = interop_options();
  hub_client_stream *s = NULL;
  hub_status st = hub_grpc_testing_test_service_streaming_input_call_start(ctx->ch, &o, ctx->arena, &s);
  if (!hub_ok(st)) return interop_stream_fail(ctx, s, "StreamingInputCall start: %s", st.message);
  hub_client_stream_cancel(s);
  return interop_expect_status(ctx, "StreamingInputCall", hub_client_stream_finish(s), HUB_CANCELLED, NULL);
}

bool interop_cancel_after_first_response(interop_ctx *ctx) {
  hub_call_options o = interop_options();
  hub_client_stream *s = NULL;
  hub_status st = hub_grpc_testing_test_service_full_duplex_call_start(ctx->ch, &o, ctx->arena, &s);
  if (!hub_ok(st)) return interop_stream_fail(ctx, s, "FullDuplexCall start: %s", st.message);
  st = hub_client_stream_send(s, &duplex_request(ctx, 31415, 27182)->base);
  if (!hub_ok(st)) return interop_stream_fail(ctx, s, "FullDuplexCall send: %s", st.message);
  ProtobufCMessage *m = NULL;
  st = hub_client_stream_recv(s, &m);
  if (!hub_ok(st) || !m) return interop_stream_fail(ctx, s, "FullDuplexCall: no first response");
  const Grpc__Testing__StreamingOutputCallResponse *r = (const Grpc__Testing__StreamingOutputCallResponse *)m;
  if (!interop_expect_payload(ctx, "FullDuplexCall", r->payload, 31415))
    return interop_stream_fail(ctx, s, "%s", ctx->why);
  hub_client_stream_cancel(s);
  return interop_expect_status(ctx, "FullDuplexCall", hub_client_stream_finish(s), HUB_CANCELLED, NULL);
}

/* The server never answers (the request asks for no response and the client never
 * half-closes), so only the 1 ms deadline can end the call. */
bool interop_timeout_on_sleeping_server(interop_ctx *ctx) {
  hub_call_options o = interop_options();
  o.timeout_ms = 1;
  hub_client_stream *s = NULL;
  hub_grpc_testing_test_service_full_duplex_call_start(ctx->ch, &o, ctx->arena, &s);
  if (!s) return interop_fail(ctx, "FullDuplexCall: no stream");
  Grpc__Testing__StreamingOutputCallRequest req = GRPC__TESTING__STREAMING_OUTPUT_CALL_REQUEST__INIT;
  req.payload = interop_zero_payload(ctx, 27182);
  hub_client_stream_send(s, &req.base); /* may fail: the deadline can pass before it */
  return interop_expect_status(ctx, "FullDuplexCall", hub_client_stream_finish(s), HUB_DEADLINE_EXCEEDED, NULL);
}
