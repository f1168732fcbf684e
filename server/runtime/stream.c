/* Streaming calls. Each runs on a thread of its own, bound to a pluck completion queue made
 * for it, so the handler can read and write in plain blocking style (hub_stream_read /
 * hub_stream_write) while workers keep serving unary calls. A RECV_CLOSE_ON_SERVER op is
 * started first: its completion before we send status means the client cancelled. The
 * number of such threads is capped (max_streaming_calls). */
#include <grpc/support/time.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub/clock.h"
#include "hub/blocking.h"
#include "hub/log.h"
#include "hub/validate.h"
#include "codec.h"
#include "internal.h"

static gpr_timespec until_us(int64_t mono_us) {
  if (mono_us == INT64_MAX) return gpr_inf_future(GPR_CLOCK_MONOTONIC);
  int64_t left = mono_us - hub_clock_mono_us();
  if (left < 0) left = 0;
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_micros(left, GPR_TIMESPAN));
}

/* Runs one batch on the call's pluck queue and waits for it (or the deadline). */
static hub_status run_batch(hub_call *c, grpc_op *ops, size_t n) {
  int tag;
  /* The core may notice the deadline before we do: a failed batch past it is a deadline. */
  bool expired = c->deadline_us != INT64_MAX && hub_clock_mono_us() >= c->deadline_us;
  if (grpc_call_start_batch(c->call, ops, n, &tag, NULL) != GRPC_CALL_OK)
    return hub_status_fixed(HUB_INTERNAL, "cannot start a batch");
  for (;;) {
    grpc_event ev = grpc_completion_queue_pluck(c->pluck_cq, &tag, until_us(c->deadline_us), NULL);
    if (ev.type == GRPC_OP_COMPLETE) {
      if (ev.success) return HUB_STATUS_OK;
      expired = expired || (c->deadline_us != INT64_MAX && hub_clock_mono_us() >= c->deadline_us);
      if (expired) return hub_status_fixed(HUB_DEADLINE_EXCEEDED, "deadline exceeded");
      return hub_status_fixed(HUB_CANCELLED, "the call was cancelled");
    }
    if (ev.type == GRPC_QUEUE_TIMEOUT) {
      /* Past the deadline the core cancels the call, which completes the batch soon. */
      grpc_call_cancel_with_status(c->call, GRPC_STATUS_DEADLINE_EXCEEDED, "Deadline Exceeded", NULL);
      c->deadline_us = INT64_MAX;
      expired = true;
      continue;
    }
    return hub_status_fixed(HUB_INTERNAL, "completion queue shut down");
  }
}

static bool poll_closed(hub_call *c, gpr_timespec until) {
  if (c->closed) return true;
  grpc_event ev = grpc_completion_queue_pluck(c->pluck_cq, &c->close_tag, until, NULL);
  if (ev.type == GRPC_OP_COMPLETE) c->closed = true;
  return c->closed;
}

bool hub_call_cancelled(hub_call *c) {
  if (c->deadline_us != INT64_MAX && hub_clock_mono_us() >= c->deadline_us) return true;
  if (!c->pluck_cq) return false; /* unary: the handler runs before anything can be observed */
  return poll_closed(c, gpr_inf_past(GPR_CLOCK_MONOTONIC));
}

bool hub_call_sleep_ms(hub_call *c, int64_t ms) {
  int64_t until = hub_clock_mono_us() + ms * 1000;
  if (c->deadline_us < until) until = c->deadline_us;
  if (c->pluck_cq) {
    if (poll_closed(c, until_us(until))) return false;
  } else {
    int64_t left = until - hub_clock_mono_us();
    if (left > 0) {
      struct timespec ts = {left / 1000000, (long)(left % 1000000) * 1000};
      hub_blocking_begin();
      nanosleep(&ts, NULL);
      hub_blocking_end();
    }
  }
  return !hub_call_cancelled(c);
}

hub_status hub_stream_read(hub_stream *st, ProtobufCMessage **msg) {
  hub_call *c = st->call;
  *msg = NULL;
  if (st->read_done) return HUB_STATUS_OK;
  grpc_byte_buffer *bb = NULL;
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_MESSAGE;
  op.data.recv_message.recv_message = &bb;
  hub_status s = run_batch(c, &op, 1);
  if (!hub_ok(s)) return s;
  if (!bb) { /* the client half-closed */
    st->read_done = true;
    return HUB_STATUS_OK;
  }
  hub_arena_reset(st->msg_arena);
  *msg = hub_decode(st->msg_arena, c->arena, bb, c->reg->def->input, &s); /* a status outlives the message */
  grpc_byte_buffer_destroy(bb);
  if (*msg && c->reg->def->rules) { /* a client stream's messages meet the contract's rules one by one */
    s = hub_validate(c->arena, c->reg->def->rules, *msg);
    if (!hub_ok(s)) *msg = NULL;
  }
  return s;
}

static size_t add_headers_op(hub_call *c, grpc_op *op) {
  if (c->headers_sent) return 0;
  memset(op, 0, sizeof *op);
  op->op = GRPC_OP_SEND_INITIAL_METADATA;
  op->data.send_initial_metadata.metadata = c->headers.v;
  op->data.send_initial_metadata.count = c->headers.n;
  c->headers_sent = true;
  return 1;
}

hub_status hub_stream_write(hub_stream *st, const ProtobufCMessage *msg) {
  hub_call *c = st->call;
  grpc_op ops[2];
  size_t n = add_headers_op(c, &ops[0]);
  grpc_byte_buffer *bb = hub_codec_encode(msg);
  memset(&ops[n], 0, sizeof ops[n]);
  ops[n].op = GRPC_OP_SEND_MESSAGE;
  ops[n].data.send_message.send_message = bb;
  hub_status s = run_batch(c, ops, n + 1);
  grpc_byte_buffer_destroy(bb);
  return s;
}

static void finish_stream(hub_call *c, ProtobufCMessage *response) {
  grpc_op ops[3];
  size_t n = add_headers_op(c, &ops[0]);
  grpc_byte_buffer *bb = NULL;
  if (response && hub_ok(c->status)) {
    bb = hub_codec_encode(response);
    memset(&ops[n], 0, sizeof ops[n]);
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n].data.send_message.send_message = bb;
    n++;
  }
  hub_fill_status_op(c, &ops[n++]);
  c->deadline_us = INT64_MAX; /* the status must go out even past the deadline */
  run_batch(c, ops, n);
  if (bb) grpc_byte_buffer_destroy(bb);
  poll_closed(c, gpr_inf_future(GPR_CLOCK_MONOTONIC));
}

/* Frees a streaming call and then its pluck queue (the call must go first). */
static void free_stream_call(hub_call *c) {
  grpc_completion_queue *cq = c->pluck_cq;
  grpc_call_unref(c->call);
  c->call = NULL;
  hub_call_free(c);
  hub_pluck_queue_destroy(cq);
}

static void *stream_main(void *arg) {
  hub_call *c = arg;
  hub_server *s = c->srv;
  const hub_method_def *d = c->reg->def;
  hub_stream st = {.call = c, .msg_arena = hub_arena_new(4096)};
  ProtobufCMessage *req = NULL, *resp = NULL;

  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  op.data.recv_close_on_server.cancelled = &c->cancelled;
  if (grpc_call_start_batch(c->call, &op, 1, &c->close_tag, NULL) != GRPC_CALL_OK) c->closed = true;

  if (d->streaming == HUB_SERVER_STREAMING) {
    if (!c->payload) c->status = hub_status_fixed(HUB_INVALID_ARGUMENT, "request: missing message");
    else req = hub_decode(c->arena, c->arena, c->payload, d->input, &c->status);
  }
  uint64_t (*waits)(void) = s->opts.db_round_trips;
  uint64_t waits0 = waits ? waits() : 0;
  if (hub_ok(c->status)) {
    c->status = s->opts.interceptor ? s->opts.interceptor(c, s->opts.interceptor_ud) : HUB_STATUS_OK;
  }
  if (hub_ok(c->status)) {
    if (d->streaming == HUB_CLIENT_STREAMING) {
      resp = hub_arena_alloc(c->arena, d->output->sizeof_message);
      d->output->message_init(resp);
    }
    c->status = d->invoke(c, req, resp, &st);
    if (hub_ok(c->status) && c->closed && c->cancelled)
      c->status = hub_status_fixed(HUB_CANCELLED, "the call was cancelled");
  }
  if (waits) c->db_round_trips = (int64_t)(waits() - waits0);
  finish_stream(c, resp);
  hub_call_done(c);
  hub_arena_free(st.msg_arena);
  free_stream_call(c);
  hub_worker_ctx_release(s);
  pthread_mutex_lock(&s->mu);
  atomic_fetch_sub(&s->streaming, 1);
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* Answers a streaming call that will not run with c->status, then frees it. */
static void refuse_stream(hub_call *c) {
  c->deadline_us = INT64_MAX;
  grpc_op ops[2];
  size_t n = add_headers_op(c, &ops[0]);
  hub_fill_status_op(c, &ops[n++]);
  run_batch(c, ops, n);
  hub_call_done(c);
  free_stream_call(c);
}

void hub_stream_spawn(hub_call *c) {
  hub_server *s = c->srv;
  if (atomic_fetch_add(&s->streaming, 1) >= s->opts.max_streaming_calls) {
    atomic_fetch_sub(&s->streaming, 1);
    c->status = hub_status_fixed(HUB_RESOURCE_EXHAUSTED, "too many streaming calls in flight; retry later");
    refuse_stream(c);
    return;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 512 * 1024);
  pthread_t t;
  int rc = pthread_create(&t, &attr, stream_main, c);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    atomic_fetch_sub(&s->streaming, 1);
    c->status = hub_status_fixed(HUB_RESOURCE_EXHAUSTED, "cannot start a thread for the call; retry later");
    refuse_stream(c);
  }
}
