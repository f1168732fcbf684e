/* Blocking streaming calls on a per-call pluck queue: start sends the headers (and, for
 * server streaming, the one request and the half-close), then send/recv one batch each,
 * and finish collects the status. Streams are never retried. */
#include <grpc/support/time.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct hub_client_stream {
  grpc_completion_queue *cq;
  grpc_call *call;
  const hub_method_def *m;
  /* Where the caller wants the metadata; copied at start, since the options themselves
   * need not outlive hub_client_stream_start. */
  hub_metadata **headers_out, **trailers_out;
  size_t *n_headers_out, *n_trailers_out;
  hub_arena *arena;
  grpc_metadata_array hdrs, trailers;
  grpc_status_code code;
  grpc_slice details;
  bool got_headers, status_started, send_closed;
  int status_tag;
};

static bool batch(hub_client_stream *s, grpc_op *ops, size_t n) {
  int tag;
  if (grpc_call_start_batch(s->call, ops, n, &tag, NULL) != GRPC_CALL_OK) return false;
  grpc_event ev = grpc_completion_queue_pluck(s->cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  return ev.type == GRPC_OP_COMPLETE && ev.success;
}

/* The final status is received by an op started at the beginning, so a failed send or recv
 * can always be explained by finish(). */
static hub_status broken(hub_client_stream *s) {
  return hub_status_new(s->arena, HUB_UNAVAILABLE, "the stream ended; call hub_client_stream_finish for its status");
}

hub_status hub_client_stream_start(hub_channel *ch, const hub_method_def *m, const hub_call_options *o,
                                   hub_arena *a, const ProtobufCMessage *request, hub_client_stream **out) {
  *out = NULL;
  if (m->streaming == HUB_UNARY) return hub_status_new(a, HUB_INVALID_ARGUMENT, "%s is unary", m->path);
  if ((m->streaming == HUB_SERVER_STREAMING) != (request != NULL))
    return hub_status_new(a, HUB_INVALID_ARGUMENT, "%s: a request is passed to start for server streaming only",
                          m->path);
  hub_client_stream *s = calloc(1, sizeof *s);
  if (!s) abort();
  s->cq = grpc_completion_queue_create_for_pluck(NULL);
  s->call = hub_client_create_call(ch, s->cq, m, o);
  s->m = m;
  if (o) {
    s->headers_out = o->headers_out;
    s->n_headers_out = o->n_headers_out;
    s->trailers_out = o->trailers_out;
    s->n_trailers_out = o->n_trailers_out;
  }
  s->arena = a;
  s->details = grpc_empty_slice();
  grpc_metadata_array_init(&s->hdrs);
  grpc_metadata_array_init(&s->trailers);

  grpc_op st;
  memset(&st, 0, sizeof st);
  st.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  st.data.recv_status_on_client.status = &s->code;
  st.data.recv_status_on_client.status_details = &s->details;
  st.data.recv_status_on_client.trailing_metadata = &s->trailers;
  s->status_started = grpc_call_start_batch(s->call, &st, 1, &s->status_tag, NULL) == GRPC_CALL_OK;

  size_t n_md;
  grpc_metadata *md = hub_client_metadata(a, o, &n_md);
  grpc_op ops[3];
  memset(ops, 0, sizeof ops);
  size_t n = 0;
  ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[n].data.send_initial_metadata.metadata = md;
  ops[n++].data.send_initial_metadata.count = n_md;
  grpc_byte_buffer *bb = NULL;
  if (request) {
    bb = hub_codec_encode(request);
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = bb;
    ops[n++].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    s->send_closed = true;
  }
  bool ok = batch(s, ops, n);
  if (bb) grpc_byte_buffer_destroy(bb);
  *out = s;
  return ok ? HUB_STATUS_OK : broken(s);
}

hub_status hub_client_stream_send(hub_client_stream *s, const ProtobufCMessage *msg) {
  if (s->send_closed) return hub_status_new(s->arena, HUB_FAILED_PRECONDITION, "the stream is closed for sending");
  grpc_byte_buffer *bb = hub_codec_encode(msg);
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_SEND_MESSAGE;
  op.data.send_message.send_message = bb;
  bool ok = batch(s, &op, 1);
  grpc_byte_buffer_destroy(bb);
  return ok ? HUB_STATUS_OK : broken(s);
}

hub_status hub_client_stream_close_send(hub_client_stream *s) {
  if (s->send_closed) return HUB_STATUS_OK;
  s->send_closed = true;
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  return batch(s, &op, 1) ? HUB_STATUS_OK : broken(s);
}

hub_status hub_client_stream_recv(hub_client_stream *s, ProtobufCMessage **msg) {
  *msg = NULL;
  grpc_op ops[2];
  memset(ops, 0, sizeof ops);
  size_t n = 0;
  if (!s->got_headers) {
    ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[n++].data.recv_initial_metadata.recv_initial_metadata = &s->hdrs;
    s->got_headers = true;
  }
  grpc_byte_buffer *bb = NULL;
  ops[n].op = GRPC_OP_RECV_MESSAGE;
  ops[n++].data.recv_message.recv_message = &bb;
  if (!batch(s, ops, n)) return broken(s);
  if (!bb) return HUB_STATUS_OK; /* end of stream */
  *msg = hub_codec_decode(s->arena, bb, s->m->output);
  grpc_byte_buffer_destroy(bb);
  if (!*msg) return hub_status_new(s->arena, HUB_INTERNAL, "response: not a valid %s message", s->m->output->name);
  return HUB_STATUS_OK;
}

void hub_client_stream_cancel(hub_client_stream *s) { grpc_call_cancel(s->call, NULL); }

hub_status hub_client_stream_finish(hub_client_stream *s) {
  hub_status st = hub_status_new(s->arena, HUB_INTERNAL, "cannot receive the status");
  if (!s->got_headers && s->headers_out) { /* the caller wants headers it never read */
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_INITIAL_METADATA;
    op.data.recv_initial_metadata.recv_initial_metadata = &s->hdrs;
    s->got_headers = true;
    batch(s, &op, 1);
  }
  if (s->status_started) {
    grpc_completion_queue_pluck(s->cq, &s->status_tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    st = hub_client_status(s->arena, s->code, s->details, &s->trailers);
  }
  hub_client_copy_md(s->arena, &s->hdrs, s->headers_out, s->n_headers_out);
  hub_client_copy_md(s->arena, &s->trailers, s->trailers_out, s->n_trailers_out);
  grpc_slice_unref(s->details);
  grpc_metadata_array_destroy(&s->hdrs);
  grpc_metadata_array_destroy(&s->trailers);
  grpc_call_unref(s->call);
  grpc_completion_queue_shutdown(s->cq);
  while (grpc_completion_queue_pluck(s->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
         GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(s->cq);
  free(s);
  return st;
}
