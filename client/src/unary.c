/* Blocking unary calls: one batch on a per-call pluck queue (as the C++ sync client does),
 * retried with jittered exponential backoff on UNAVAILABLE when the method is declared
 * idempotent in the contract. */
#include <grpc/support/time.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static hub_status attempt(hub_channel *ch, const hub_method_def *m, const hub_call_options *o, hub_arena *a,
                          grpc_byte_buffer *req, ProtobufCMessage **resp) {
  grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
  grpc_call *call = hub_client_create_call(ch, cq, m, o);
  size_t n_md;
  grpc_metadata *md = hub_client_metadata(a, o, &n_md);
  hub_unary_recv r;
  grpc_op ops[6];
  hub_unary_ops(ops, md, n_md, req, &r);
  hub_status st;
  if (grpc_call_start_batch(call, ops, 6, &ops, NULL) != GRPC_CALL_OK) {
    st = hub_status_new(a, HUB_INTERNAL, "cannot start the call");
  } else {
    grpc_completion_queue_pluck(cq, &ops, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    st = hub_client_status(a, r.code, r.details, &r.trailers);
    if (hub_ok(st)) {
      *resp = r.response ? hub_codec_decode(a, r.response, m->output) : NULL;
      if (!*resp) st = hub_status_new(a, HUB_INTERNAL, "response: not a valid %s message", m->output->name);
    }
    if (o) {
      hub_client_copy_md(a, &r.headers, o->headers_out, o->n_headers_out);
      hub_client_copy_md(a, &r.trailers, o->trailers_out, o->n_trailers_out);
    }
  }
  hub_unary_recv_destroy(&r);
  grpc_call_unref(call);
  grpc_completion_queue_shutdown(cq);
  while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(cq);
  return st;
}

static void sleep_ms(int64_t ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

hub_status hub_unary_call(hub_channel *ch, const hub_method_def *m, const hub_call_options *o, hub_arena *a,
                          const ProtobufCMessage *request, ProtobufCMessage **response) {
  *response = NULL;
  if (m->streaming != HUB_UNARY) return hub_status_new(a, HUB_INVALID_ARGUMENT, "%s is a streaming method", m->path);
  if (request->descriptor != m->input)
    return hub_status_new(a, HUB_INVALID_ARGUMENT, "request is a %s, %s takes %s", request->descriptor->name,
                          m->path, m->input->name);
  grpc_byte_buffer *req = hub_codec_encode(request);
  bool retry = m->idempotent && !(o && o->no_retry);
  int64_t backoff = ch->opts.retry_initial_ms;
  /* Retries stay within the caller's overall timeout. */
  gpr_timespec deadline = hub_client_deadline(o);
  hub_status st;
  for (int i = 0;; i++) {
    hub_call_options left;
    const hub_call_options *use = o;
    if (o && o->timeout_ms > 0) {
      left = *o;
      gpr_timespec rem = gpr_time_sub(deadline, gpr_now(GPR_CLOCK_MONOTONIC));
      left.timeout_ms = rem.tv_sec * 1000 + rem.tv_nsec / 1000000;
      if (left.timeout_ms <= 0) left.timeout_ms = 1;
      use = &left;
    }
    st = attempt(ch, m, use, a, req, response);
    if (!retry || st.code != HUB_UNAVAILABLE || i >= ch->opts.max_retries) break;
    int64_t jitter = backoff / 5;
    int64_t wait = backoff - jitter + (jitter ? (int64_t)(rand() % (int)(2 * jitter + 1)) : 0);
    if (o && o->timeout_ms > 0) {
      gpr_timespec rem = gpr_time_sub(deadline, gpr_now(GPR_CLOCK_MONOTONIC));
      if (rem.tv_sec * 1000 + rem.tv_nsec / 1000000 <= wait) break;
    }
    sleep_ms(wait);
    backoff = backoff * 2 > ch->opts.retry_max_ms ? ch->opts.retry_max_ms : backoff * 2;
  }
  grpc_byte_buffer_destroy(req);
  return st;
}
