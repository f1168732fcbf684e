/* The interop client's cases (one function each, named as in the gRPC interop test
 * descriptions) and the small checks they share (interop_check.c). interop_client.c holds
 * the table that runs them. */
#ifndef HUB_INTEROP_CASES_H
#define HUB_INTEROP_CASES_H

#include <stdbool.h>
#include <stddef.h>

#include "grpc/testing/test.hub-client.h"
#include "hub/client.h"

/* What one case gets: the shared channel, an arena freed after the case, and room for the
 * reason it failed. */
typedef struct interop_ctx {
  hub_channel *ch;
  hub_arena *arena;
  char why[512];
} interop_ctx;

typedef bool (*interop_case_fn)(interop_ctx *ctx);

/* Records why the case failed (printf-style) and returns false, so checks read
 * `if (bad) return interop_fail(ctx, ...)`. */
bool interop_fail(interop_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fails unless `st` has `code` (and, if `message` is non-NULL, exactly that message). */
bool interop_expect_status(interop_ctx *ctx, const char *what, hub_status st, hub_code code, const char *message);

/* Cancels and finishes a stream that a case gives up on, then fails like interop_fail. */
bool interop_stream_fail(interop_ctx *ctx, hub_client_stream *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Options every case starts from: a 20 s deadline so a broken server cannot hang the run,
 * and no client-side retries (the raw behaviour is what is under test). */
hub_call_options interop_options(void);

/* A COMPRESSABLE payload of `size` zero bytes, in the case's arena. */
Grpc__Testing__Payload *interop_zero_payload(interop_ctx *ctx, size_t size);

/* Fails unless `p` is a payload of exactly `size` zero bytes. */
bool interop_expect_payload(interop_ctx *ctx, const char *what, const Grpc__Testing__Payload *p, size_t size);

/* The first entry of `md` named `key`, or NULL. */
const hub_metadata *interop_find_md(const hub_metadata *md, size_t n, const char *key);

/* unary_cases.c */
bool interop_empty_unary(interop_ctx *ctx);
bool interop_large_unary(interop_ctx *ctx);
/* large_unary with the caller's options (custom_metadata reuses it). */
bool interop_large_unary_with(interop_ctx *ctx, const hub_call_options *opts);
bool interop_special_status_message(interop_ctx *ctx);
bool interop_unimplemented_method(interop_ctx *ctx);
bool interop_unimplemented_service(interop_ctx *ctx);

/* stream_cases.c */
bool interop_client_streaming(interop_ctx *ctx);
bool interop_server_streaming(interop_ctx *ctx);
bool interop_ping_pong(interop_ctx *ctx);
bool interop_empty_stream(interop_ctx *ctx);
bool interop_cancel_after_begin(interop_ctx *ctx);
bool interop_cancel_after_first_response(interop_ctx *ctx);
bool interop_timeout_on_sleeping_server(interop_ctx *ctx);

/* echo_cases.c */
bool interop_status_code_and_message(interop_ctx *ctx);
bool interop_custom_metadata(interop_ctx *ctx);

#endif
