/* Asynchronous unary calls on one completion queue, for load generators and fan-out: the
 * caller keeps many calls in flight and takes completions from one thread. */
#include <grpc/support/time.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>

#include "internal.h"

struct hub_async_queue {
  grpc_completion_queue *cq;
};

typedef struct async_call {
  void *tag;
  grpc_call *call;
  hub_arena *arena;
  hub_unary_recv r;
} async_call;

hub_async_queue *hub_async_queue_new(void) {
  hub_client_init();
  hub_async_queue *q = calloc(1, sizeof *q);
  if (q) q->cq = grpc_completion_queue_create_for_next(NULL);
  return q;
}

void hub_async_queue_free(hub_async_queue *q) {
  if (!q) return;
  grpc_completion_queue_shutdown(q->cq);
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(q->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
  }
  grpc_completion_queue_destroy(q->cq);
  free(q);
}

bool hub_async_unary_start(hub_async_queue *q, hub_channel *ch, const hub_method_def *m,
                           const hub_call_options *o, const uint8_t *request, size_t len, void *tag) {
  async_call *c = calloc(1, sizeof *c);
  if (!c) return false;
  c->tag = tag;
  c->arena = hub_arena_new(1024);
  c->call = hub_client_create_call(ch, q->cq, m, o);
  size_t n_md;
  grpc_metadata *md = hub_client_metadata(c->arena, o, &n_md);
  grpc_slice s = grpc_slice_from_copied_buffer((const char *)request, len);
  grpc_byte_buffer *req = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  grpc_op ops[6];
  hub_unary_ops(ops, md, n_md, req, &c->r);
  grpc_call_error err = grpc_call_start_batch(c->call, ops, 6, c, NULL);
  grpc_byte_buffer_destroy(req);
  if (err != GRPC_CALL_OK) {
    hub_unary_recv_destroy(&c->r);
    grpc_call_unref(c->call);
    hub_arena_free(c->arena);
    free(c);
    return false;
  }
  return true;
}

bool hub_async_next(hub_async_queue *q, int64_t timeout_ms, void **tag, hub_code *code, size_t *response_len) {
  gpr_timespec until = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
  grpc_event ev = grpc_completion_queue_next(q->cq, until, NULL);
  if (ev.type != GRPC_OP_COMPLETE) return false;
  async_call *c = ev.tag;
  *tag = c->tag;
  *code = (hub_code)c->r.code;
  *response_len = c->r.response ? grpc_byte_buffer_length(c->r.response) : 0;
  hub_unary_recv_destroy(&c->r);
  grpc_call_unref(c->call);
  hub_arena_free(c->arena);
  free(c);
  return true;
}
