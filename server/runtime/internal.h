/* Runtime internals shared by server.c (queue, workers, unary path), stream.c (streaming
 * calls on their own threads) and call.c (what handlers see). Never included outside
 * server/runtime. */
#ifndef HUB_RUNTIME_INTERNAL_H
#define HUB_RUNTIME_INTERNAL_H

#include <grpc/grpc.h>
#include <pthread.h>
#include <stdatomic.h>

#include "metrics/metrics.h"
#include "runtime/server.h"

/* A method's metrics (call_metrics.c): one counter per status code and the latency histogram,
 * each made the first time a call of the method ends that way, then bumped lock-free. */
#define HUB_CODE_COUNT 17
typedef struct method_metrics {
  _Atomic(hub_counter *) codes[HUB_CODE_COUNT];
  _Atomic(hub_histogram *) latency;
} method_metrics;

/* What a completion-queue tag points at. */
typedef enum tag_kind {
  TAG_NEW_CALL,    /* a registered method matched a requested call */
  TAG_NEW_UNKNOWN, /* an unregistered path arrived */
  TAG_FINISH,      /* the final batch of a call completed */
  TAG_SHUTDOWN,    /* grpc_server_shutdown_and_notify completed */
} tag_kind;

typedef struct registered {
  const hub_method_def *def;
  void *handle; /* from grpc_server_register_method */
  method_metrics *metrics; /* shared by every server that registers the same path */
} registered;

/* Response metadata. The first few entries live inside the list (no allocation for the
 * x-request-id header every call carries); more spill to the heap. */
#define MD_INLINE 4
typedef struct md_list {
  grpc_metadata *v; /* inline, or heap once more than MD_INLINE */
  size_t n, cap;
  grpc_metadata inline_v[MD_INLINE];
} md_list;

struct hub_call {
  tag_kind tag; /* first member: the tag pointer is the call pointer */
  hub_server *srv;
  const registered *reg; /* NULL for unknown methods */
  grpc_call *call;
  gpr_timespec deadline;
  grpc_metadata_array md;
  grpc_byte_buffer *payload;   /* first request message (unary, server streaming) */
  grpc_call_details details;   /* unknown methods only */
  grpc_completion_queue *pluck_cq; /* streaming calls only: the queue the call is bound to */
  hub_arena *arena;
  md_list headers, trailers;
  const char *request_id, *tenant, *user;
  char *peer; /* from grpc_call_get_peer (gpr_free'd with the call) */
  const char *api_key; /* the public prefix of the API key that authenticated the call, or NULL */
  const void *principal; /* set by the interceptor (middleware), read by handlers */
  int64_t start_us;
  bool in_flight; /* counted in hub_rpc_in_flight (hub_call_prepare) until hub_call_done */
  int64_t db_round_trips; /* see hub_server_options.db_round_trips */
  int64_t deadline_us; /* monotonic µs; INT64_MAX = none */
  hub_status status;
  int cancelled;       /* from RECV_CLOSE_ON_SERVER */
  bool headers_sent;
  bool closed;         /* RECV_CLOSE_ON_SERVER completed (streaming) */
  int close_tag;       /* address used as the RECV_CLOSE tag on the pluck queue */
  grpc_slice status_slice;
};

struct hub_stream {
  hub_call *call;
  hub_arena *msg_arena; /* holds the last message read */
  bool read_done;
};

struct hub_server {
  grpc_server *server;
  grpc_completion_queue *cq; /* shared by every worker */
  hub_server_options opts;
  int port;
  registered *regs;
  size_t n_regs;
  const hub_service_def **services;
  size_t n_services;
  pthread_t *threads;
  int n_threads;
  atomic_bool shutting_down;
  atomic_int streaming; /* streaming calls in flight */
  pthread_mutex_t mu;
  pthread_cond_t cv;    /* signalled when the shutdown tag fires or a stream ends */
  bool shutdown_done;
  int shutdown_tag;     /* tag kind holder for TAG_SHUTDOWN */
  grpc_channel_args args;
  grpc_arg arg_storage[24];
  grpc_resource_quota *quota; /* NULL when unbounded */
  /* Worker gate (server.c): at most max_running workers run at once; one that blocks lends
   * its place to a parked one. running and parked change under gate_mu only. */
  pthread_mutex_t gate_mu;
  pthread_cond_t gate_cv;
  int max_running;
  atomic_int running;
  int parked;
  bool gate_open; /* shutting down: nobody parks any more */
  pthread_mutex_t trim_mu;    /* one malloc_trim at a time */
  atomic_int_least64_t last_trim_us;
};

void *hub_worker_ctx_get(hub_server *srv);   /* this thread's context, made on first use */
void hub_worker_ctx_release(hub_server *srv); /* frees this thread's context */

/* The code a finished call reports (log line, metrics): a call the client cancelled after the
 * handler succeeded is CANCELLED. */
static inline hub_code hub_call_final_code(const hub_call *c) {
  return c->cancelled && c->status.code == HUB_OK ? HUB_CANCELLED : c->status.code;
}

/* call.c */
hub_call *hub_call_new(hub_server *srv, const registered *reg);
void hub_call_free(hub_call *c);
/* Shuts a pluck queue down, drains and destroys it (the core requires all three). */
void hub_pluck_queue_destroy(grpc_completion_queue *cq);
void hub_call_prepare(hub_call *c); /* request id, deadline, start time */
/* Appends key: value (both copied). md_add_static takes a key that outlives the call (a
 * literal) without copying it. */
void md_add(hub_call *c, md_list *l, const char *key, const char *value, size_t len);
void md_add_static(md_list *l, const char *key, const char *value, size_t len);
void hub_call_log(hub_call *c);
/* The end of every call the runtime prepared, whatever way it ended: its metrics (code,
 * latency, in flight) and its log line. */
void hub_call_done(hub_call *c);

/* call_metrics.c */
method_metrics *hub_method_metrics(const char *path); /* the one per path, made on first use */
void hub_call_metrics_begin(hub_call *c);
void hub_call_metrics_end(hub_call *c);
/* Decodes a byte buffer into a message of `d` in `arena` and checks that its strings are
 * UTF-8; NULL with *st (allocated in `status_arena`) set on failure. */
ProtobufCMessage *hub_decode(hub_arena *arena, hub_arena *status_arena, grpc_byte_buffer *bb,
                             const ProtobufCMessageDescriptor *d, hub_status *st);
/* Fills the SEND_STATUS op (and trailers with details) for c->status. */
void hub_fill_status_op(hub_call *c, grpc_op *op);

/* server.c: posts a new request for a registered method (or for unknown ones). */
void hub_request_call(hub_server *srv, const registered *reg);

/* stream.c: runs a streaming call on its own thread (or refuses it when none can be had). */
void hub_stream_spawn(hub_call *c);

#endif
