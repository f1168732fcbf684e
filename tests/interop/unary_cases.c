/* Interop cases made of single unary calls: empty_unary, large_unary, special_status_message,
 * unimplemented_method and unimplemented_service, asserting what the gRPC interop test
 * descriptions assert. */
#include "interop_cases.h"

/* The status message special_status_message sends and expects back byte for byte:
 * whitespace and control characters, a BMP and a non-BMP code point. */
static const char special_message[] = "\t\ntest with whitespace\r\nand Unicode BMP \xe2\x98\xba and non-BMP \xf0\x9f\x98\x88\t\n";

bool interop_empty_unary(interop_ctx *ctx) {
  hub_call_options o = interop_options();
  Grpc__Testing__Empty req = GRPC__TESTING__EMPTY__INIT, *resp = NULL;
  hub_status st = hub_grpc_testing_test_service_empty_call_call(ctx->ch, &o, ctx->arena, &req, &resp);
  if (!interop_expect_status(ctx, "EmptyCall", st, HUB_OK, NULL)) return false;
  if (!resp) return interop_fail(ctx, "EmptyCall: no response message");
  if (protobuf_c_message_get_packed_size(&resp->base) != 0) return interop_fail(ctx, "EmptyCall: response not empty");
  return true;
}

bool interop_large_unary(interop_ctx *ctx) {
  hub_call_options o = interop_options();
  return interop_large_unary_with(ctx, &o);
}

bool interop_large_unary_with(interop_ctx *ctx, const hub_call_options *opts) {
  const hub_call_options *o = opts;
  Grpc__Testing__SimpleRequest req = GRPC__TESTING__SIMPLE_REQUEST__INIT;
  Grpc__Testing__SimpleResponse *resp = NULL;
  req.response_type = GRPC__TESTING__PAYLOAD_TYPE__COMPRESSABLE;
  req.response_size = 314159;
  req.payload = interop_zero_payload(ctx, 271828);
  hub_status st = hub_grpc_testing_test_service_unary_call_call(ctx->ch, o, ctx->arena, &req, &resp);
  if (!interop_expect_status(ctx, "UnaryCall", st, HUB_OK, NULL)) return false;
  return interop_expect_payload(ctx, "UnaryCall", resp->payload, 314159);
}

bool interop_special_status_message(interop_ctx *ctx) {
  hub_call_options o = interop_options();
  Grpc__Testing__SimpleRequest req = GRPC__TESTING__SIMPLE_REQUEST__INIT;
  Grpc__Testing__EchoStatus echo = GRPC__TESTING__ECHO_STATUS__INIT;
  Grpc__Testing__SimpleResponse *resp = NULL;
  echo.code = HUB_UNKNOWN;
  echo.message = (char *)special_message;
  req.response_status = &echo;
  hub_status st = hub_grpc_testing_test_service_unary_call_call(ctx->ch, &o, ctx->arena, &req, &resp);
  return interop_expect_status(ctx, "UnaryCall", st, HUB_UNKNOWN, special_message);
}

bool interop_unimplemented_method(interop_ctx *ctx) {
  hub_call_options o = interop_options();
  Grpc__Testing__Empty req = GRPC__TESTING__EMPTY__INIT, *resp = NULL;
  hub_status st = hub_grpc_testing_test_service_unimplemented_call_call(ctx->ch, &o, ctx->arena, &req, &resp);
  return interop_expect_status(ctx, "TestService/UnimplementedCall", st, HUB_UNIMPLEMENTED, NULL);
}

bool interop_unimplemented_service(interop_ctx *ctx) {
  hub_call_options o = interop_options();
  Grpc__Testing__Empty req = GRPC__TESTING__EMPTY__INIT, *resp = NULL;
  hub_status st = hub_grpc_testing_unimplemented_service_unimplemented_call_call(ctx->ch, &o, ctx->arena, &req, &resp);
  return interop_expect_status(ctx, "UnimplementedService/UnimplementedCall", st, HUB_UNIMPLEMENTED, NULL);
}
