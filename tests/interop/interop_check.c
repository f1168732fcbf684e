/* The checks the interop cases share: status and payload assertions with a readable reason,
 * default call options, and giving up on a stream cleanly. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "interop_cases.h"

/* Formats through a copy, so a reason may quote the previous one (ctx->why) safely. */
static void vset_why(interop_ctx *ctx, const char *fmt, va_list ap) {
  char tmp[sizeof ctx->why];
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  memcpy(ctx->why, tmp, sizeof tmp);
}

bool interop_fail(interop_ctx *ctx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vset_why(ctx, fmt, ap);
  va_end(ap);
  return false;
}

bool interop_stream_fail(interop_ctx *ctx, hub_client_stream *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vset_why(ctx, fmt, ap);
  va_end(ap);
  if (s) {
    hub_client_stream_cancel(s);
    hub_client_stream_finish(s);
  }
  return false;
}

bool interop_expect_status(interop_ctx *ctx, const char *what, hub_status st, hub_code code, const char *message) {
  const char *got = st.message ? st.message : "";
  if (st.code != code)
    return interop_fail(ctx, "%s: expected %s, got %s (\"%s\")", what, hub_code_name(code), hub_code_name(st.code),
                        got);
  if (message && strcmp(got, message) != 0)
    return interop_fail(ctx, "%s: expected message \"%s\", got \"%s\"", what, message, got);
  return true;
}

hub_call_options interop_options(void) {
  return (hub_call_options){.timeout_ms = 20000, .no_retry = true};
}

Grpc__Testing__Payload *interop_zero_payload(interop_ctx *ctx, size_t size) {
  Grpc__Testing__Payload *p = hub_arena_alloc(ctx->arena, sizeof *p);
  grpc__testing__payload__init(p);
  p->type = GRPC__TESTING__PAYLOAD_TYPE__COMPRESSABLE;
  p->body.len = size;
  p->body.data = hub_arena_calloc(ctx->arena, size ? size : 1, 1);
  return p;
}

bool interop_expect_payload(interop_ctx *ctx, const char *what, const Grpc__Testing__Payload *p, size_t size) {
  size_t got = p ? p->body.len : 0;
  if (got != size) return interop_fail(ctx, "%s: expected a payload of %zu bytes, got %zu", what, size, got);
  for (size_t i = 0; i < got; i++)
    if (p->body.data[i] != 0) return interop_fail(ctx, "%s: payload byte %zu is %#x, not 0", what, i, p->body.data[i]);
  if (p && p->type != GRPC__TESTING__PAYLOAD_TYPE__COMPRESSABLE)
    return interop_fail(ctx, "%s: payload type %d, not COMPRESSABLE", what, (int)p->type);
  return true;
}

const hub_metadata *interop_find_md(const hub_metadata *md, size_t n, const char *key) {
  for (size_t i = 0; md && i < n; i++)
    if (strcmp(md[i].key, key) == 0) return &md[i];
  return NULL;
}
