/* Interop cases where the server echoes what the client asked for, on a unary call and then
 * on a FullDuplexCall: status_code_and_message (the status) and custom_metadata (an initial
 * and a binary trailing metadata value). */
#include <string.h>

#include "interop_cases.h"

#define ECHO_INITIAL "x-grpc-test-echo-initial"
#define ECHO_TRAILING "x-grpc-test-echo-trailing-bin"

static const char status_message[] = "test status message";
static const char initial_value[] = "test_initial_metadata_value";
static const char trailing_value[] = "\xab\xab\xab";

bool interop_status_code_and_message(interop_ctx *ctx) {
  Grpc__Testing__EchoStatus echo = GRPC__TESTING__ECHO_STATUS__INIT;
  echo.code = HUB_UNKNOWN;
  echo.message = (char *)status_message;

  hub_call_options o = interop_options();
  Grpc__Testing__SimpleRequest req = GRPC__TESTING__SIMPLE_REQUEST__INIT;
  Grpc__Testing__SimpleResponse *resp = NULL;
  req.response_status = &echo;
  hub_status st = hub_grpc_testing_test_service_unary_call_call(ctx->ch, &o, ctx->arena, &req, &resp);
  if (!interop_expect_status(ctx, "UnaryCall", st, HUB_UNKNOWN, status_message)) return false;

  hub_client_stream *s = NULL;
  st = hub_grpc_testing_test_service_full_duplex_call_start(ctx->ch, &o, ctx->arena, &s);
  if (!hub_ok(st)) return interop_stream_fail(ctx, s, "FullDuplexCall start: %s", st.message);
  Grpc__Testing__StreamingOutputCallRequest sreq = GRPC__TESTING__STREAMING_OUTPUT_CALL_REQUEST__INIT;
  sreq.response_status = &echo;
  hub_client_stream_send(s, &sreq.base); /* failures are explained by the final status */
  hub_client_stream_close_send(s);
  ProtobufCMessage *m = NULL;
  st = hub_client_stream_recv(s, &m);
  if (hub_ok(st) && m) return interop_stream_fail(ctx, s, "FullDuplexCall: unexpected response message");
  return interop_expect_status(ctx, "FullDuplexCall", hub_client_stream_finish(s), HUB_UNKNOWN, status_message);
}

/* Fails unless the response headers carry the initial value and the trailers the binary one. */
static bool expect_echo(interop_ctx *ctx, const char *what, const hub_metadata *hdrs, size_t n_hdrs,
                        const hub_metadata *trls, size_t n_trls) {
  const hub_metadata *h = interop_find_md(hdrs, n_hdrs, ECHO_INITIAL);
  if (!h) return interop_fail(ctx, "%s: no %s in the response headers", what, ECHO_INITIAL);
  if (h->len != strlen(initial_value) || memcmp(h->value, initial_value, h->len) != 0)
    return interop_fail(ctx, "%s: %s is \"%s\", not \"%s\"", what, ECHO_INITIAL, h->value, initial_value);
  const hub_metadata *t = interop_find_md(trls, n_trls, ECHO_TRAILING);
  if (!t) return interop_fail(ctx, "%s: no %s in the trailers", what, ECHO_TRAILING);
  if (t->len != 3 || memcmp(t->value, trailing_value, 3) != 0)
    return interop_fail(ctx, "%s: %s has %zu bytes, not 0xababab", what, ECHO_TRAILING, t->len);
  return true;
}

bool interop_custom_metadata(interop_ctx *ctx) {
  hub_metadata extra[2] = {
      {ECHO_INITIAL, initial_value, sizeof initial_value - 1},
      {ECHO_TRAILING, trailing_value, sizeof trailing_value - 1},
  };
  hub_metadata *hdrs = NULL, *trls = NULL;
  size_t n_hdrs = 0, n_trls = 0;
  hub_call_options o = interop_options();
  o.extra = extra;
  o.n_extra = 2;
  o.headers_out = &hdrs;
  o.n_headers_out = &n_hdrs;
  o.trailers_out = &trls;
  o.n_trailers_out = &n_trls;

  if (!interop_large_unary_with(ctx, &o)) return false;
  if (!expect_echo(ctx, "UnaryCall", hdrs, n_hdrs, trls, n_trls)) return false;

  hdrs = trls = NULL;
  n_hdrs = n_trls = 0;
  hub_client_stream *s = NULL;
  hub_status st = hub_grpc_testing_test_service_full_duplex_call_start(ctx->ch, &o, ctx->arena, &s);
  if (!hub_ok(st)) return interop_stream_fail(ctx, s, "FullDuplexCall start: %s", st.message);
  Grpc__Testing__StreamingOutputCallRequest sreq = GRPC__TESTING__STREAMING_OUTPUT_CALL_REQUEST__INIT;
  Grpc__Testing__ResponseParameters p = GRPC__TESTING__RESPONSE_PARAMETERS__INIT, *pp = &p;
  p.size = 314159;
  sreq.response_type = GRPC__TESTING__PAYLOAD_TYPE__COMPRESSABLE;
  sreq.n_response_parameters = 1;
  sreq.response_parameters = &pp;
  sreq.payload = interop_zero_payload(ctx, 271828);
  st = hub_client_stream_send(s, &sreq.base);
  if (!hub_ok(st)) return interop_stream_fail(ctx, s, "FullDuplexCall send: %s", st.message);
  ProtobufCMessage *m = NULL;
  st = hub_client_stream_recv(s, &m);
  if (!hub_ok(st) || !m) return interop_stream_fail(ctx, s, "FullDuplexCall: no response");
  if (!interop_expect_payload(ctx, "FullDuplexCall", ((Grpc__Testing__StreamingOutputCallResponse *)m)->payload,
                              314159))
    return interop_stream_fail(ctx, s, "%s", ctx->why);
  hub_client_stream_close_send(s);
  st = hub_client_stream_recv(s, &m);
  if (hub_ok(st) && m) return interop_stream_fail(ctx, s, "FullDuplexCall: a second response arrived");
  st = hub_client_stream_finish(s);
  if (!interop_expect_status(ctx, "FullDuplexCall", st, HUB_OK, NULL)) return false;
  return expect_echo(ctx, "FullDuplexCall", hdrs, n_hdrs, trls, n_trls);
}
