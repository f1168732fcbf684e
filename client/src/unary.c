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
  grpc_metadata_array hdrs, trailers;
  grpc_metadata_array_init(&hdrs);
  grpc_metadata_array_init(&trailers);
  grpc_byte_buffer *out = NULL;
  grpc_status_code code = GRPC_STATUS_UNKNOWN;
  grpc_slice details = grpc_empty_slice();
  grpc_op ops[6];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].data.send_initial_metadata.metadata = md;
  ops[0].data.send_initial_metadata.count = n_md;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = req;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &hdrs;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &out;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.status = &code;
  ops[5].data.recv_status_on_client.status_details = &details;
  ops[5].data.recv_status_on_client.trailing_metadata = &trailers;
  hub_status st;
  if (grpc_call_start_batch(call, ops, 6, &ops, NULL) != GRPC_CALL_OK) {
    st = hub_status_new(a, HUB_INTERNAL, "cannot start the call");
  } else {
    grpc_completion_queue_pluck(cq, &ops, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    st = hub_client_status(a, code, details, &trailers);
    if (hub_ok(st)) {
      *resp = out ? hub_codec_decode(a, out, m->output) : NULL;
      if (!*resp) st = hub_status_new(a, HUB_INTERNAL, "response: not a valid %s message", m->output->name);
    }
    if (o) {
      hub_client_copy_md(a, &hdrs, o->headers_out, o->n_headers_out);
      hub_client_copy_md(a, &trailers, o->trailers_out, o->n_trailers_out);
    }
  }
  if (out) grpc_byte_buffer_destroy(out);
  grpc_slice_unref(details);
  grpc_metadata_array_destroy(&hdrs);
  grpc_metadata_array_destroy(&trailers);
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
