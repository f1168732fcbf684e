/* The server: one shared completion queue polled by every worker thread. The C core binds a
 * connection to the queue that served its first call, so one shared queue (rather than one
 * per worker) is what lets a single busy client connection use every core.
 *
 * A unary call costs one event in and one batch out, like a bare C-core loop:
 *   TAG_NEW_CALL (request + first message) -> decode -> interceptor -> handler -> encode
 *   -> one batch {initial metadata, message, status, recv close} -> TAG_FINISH -> free.
 * Streaming calls are bound to their own pluck queue and handed to a thread of their own
 * (stream.c), so a long-lived stream never blocks a worker. */
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hub/clock.h"
#include "hub/blocking.h"
#include "hub/config.h"
#include "hub/cpu.h"
#include "hub/fs.h"
#include "hub/log.h"
#include "codec.h"
#include "internal.h"

void hub_server_options_from_config(hub_server_options *o, const hub_config *cfg) {
  o->listen = cfg->listen;
  o->workers = cfg->workers > 0 ? (int)cfg->workers : 2 * hub_cpu_count();
  o->running_workers = (int)cfg->running_workers;
  o->max_recv_bytes = cfg->max_recv_bytes;
  o->max_send_bytes = cfg->max_send_bytes;
  o->max_header_bytes = cfg->max_header_bytes;
  o->max_concurrent_streams = (int)cfg->max_concurrent_streams;
  o->max_streaming_calls = (int)cfg->max_streaming_calls;
  o->keepalive_time_ms = cfg->keepalive_time_ms;
  o->keepalive_timeout_ms = cfg->keepalive_timeout_ms;
  o->min_ping_interval_ms = cfg->min_ping_interval_ms;
  o->max_ping_strikes = (int)cfg->max_ping_strikes;
  o->max_connection_idle_ms = cfg->max_connection_idle_ms;
  o->max_connection_age_ms = cfg->max_connection_age_ms;
  o->default_deadline_ms = cfg->default_deadline_ms;
  o->handshake_timeout_ms = cfg->handshake_timeout_ms;
  o->memory_quota_bytes = cfg->memory_quota_bytes;
  o->trim_idle_ms = cfg->malloc_trim_idle_ms;
  o->tls_cert_file = cfg->tls_cert;
  o->tls_key_file = cfg->tls_key;
}

static const char *no_env(const char *name, void *ud) {
  (void)name, (void)ud;
  return NULL;
}

static hub_config default_config;
static void load_default_config(void) {
  char err[256];
  if (!hub_config_load(&default_config, no_env, NULL, err, sizeof err)) abort(); /* the table's own defaults */
}

void hub_server_options_defaults(hub_server_options *o) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, load_default_config);
  memset(o, 0, sizeof *o);
  hub_server_options_from_config(o, &default_config);
  o->log_calls = true;
}

/* ---- per-thread worker context ---- */

static __thread void *tls_ctx;
static __thread bool tls_ctx_made;

void *hub_worker_ctx_get(hub_server *srv) {
  if (!tls_ctx_made) {
    tls_ctx = srv->opts.worker_init ? srv->opts.worker_init(srv->opts.worker_ud) : NULL;
    tls_ctx_made = true;
  }
  return tls_ctx;
}

void hub_worker_ctx_release(hub_server *srv) {
  if (tls_ctx_made && srv->opts.worker_fini) srv->opts.worker_fini(tls_ctx, srv->opts.worker_ud);
  tls_ctx = NULL;
  tls_ctx_made = false;
}

/* ---- setup ---- */

static void add_int_arg(hub_server *s, const char *key, int64_t v) {
  grpc_arg *a = &s->arg_storage[s->args.num_args++];
  a->type = GRPC_ARG_INTEGER;
  a->key = (char *)key;
  a->value.integer = v > INT32_MAX ? INT32_MAX : (int)v;
}

static grpc_server_credentials *make_creds(const hub_server_options *o) {
  if (!o->tls_cert_file || !*o->tls_cert_file) return grpc_insecure_server_credentials_create();
  char *cert = hub_read_file(o->tls_cert_file, NULL), *key = hub_read_file(o->tls_key_file, NULL);
  if (!cert || !key) {
    hub_logf(HUB_LOG_ERROR, "cannot read TLS certificate or key (%s, %s)", o->tls_cert_file, o->tls_key_file);
    free(cert);
    free(key);
    return NULL;
  }
  grpc_ssl_pem_key_cert_pair pair = {.private_key = key, .cert_chain = cert};
  grpc_server_credentials *c = grpc_ssl_server_credentials_create(NULL, &pair, 1, 0, NULL);
  free(cert);
  free(key);
  return c;
}

hub_server *hub_server_new(const hub_server_options *opts) {
  grpc_init();
  hub_server *s = calloc(1, sizeof *s);
  if (!s) abort();
  s->opts = *opts;
  if (s->opts.workers <= 0) s->opts.workers = 4;
  pthread_mutex_init(&s->mu, NULL);
  pthread_mutex_init(&s->trim_mu, NULL);
  pthread_mutex_init(&s->gate_mu, NULL);
  pthread_cond_init(&s->gate_cv, NULL);
  s->max_running = s->opts.running_workers > 0 ? s->opts.running_workers : hub_cpu_count();
  if (s->max_running > s->opts.workers) s->max_running = s->opts.workers;
  pthread_cond_init(&s->cv, NULL);
  s->shutdown_tag = TAG_SHUTDOWN;
  s->args.args = s->arg_storage;
  /* HTTP/2 hardening, set explicitly rather than left to library defaults. */
  add_int_arg(s, GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, opts->max_recv_bytes);
  add_int_arg(s, GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, opts->max_send_bytes);
  add_int_arg(s, GRPC_ARG_MAX_METADATA_SIZE, opts->max_header_bytes);
  add_int_arg(s, GRPC_ARG_MAX_CONCURRENT_STREAMS, opts->max_concurrent_streams);
  add_int_arg(s, GRPC_ARG_KEEPALIVE_TIME_MS, opts->keepalive_time_ms);
  add_int_arg(s, GRPC_ARG_KEEPALIVE_TIMEOUT_MS, opts->keepalive_timeout_ms);
  add_int_arg(s, GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, opts->min_ping_interval_ms);
  add_int_arg(s, GRPC_ARG_HTTP2_MAX_PING_STRIKES, opts->max_ping_strikes);
  add_int_arg(s, GRPC_ARG_MAX_CONNECTION_IDLE_MS, opts->max_connection_idle_ms);
  if (opts->max_connection_age_ms > 0) {
    add_int_arg(s, GRPC_ARG_MAX_CONNECTION_AGE_MS, opts->max_connection_age_ms);
    add_int_arg(s, GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 30000);
  }
  add_int_arg(s, GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, opts->handshake_timeout_ms);
  add_int_arg(s, GRPC_ARG_ENABLE_CHANNELZ, 0);
  if (opts->memory_quota_bytes > 0) {
    /* Every connection's and call's buffers are charged to this quota; under pressure the core
     * shrinks its read buffers and flow-control windows and, past it, drops idle connections
     * and refuses streams, instead of growing without bound. */
    s->quota = grpc_resource_quota_create("hubd");
    grpc_resource_quota_resize(s->quota, (size_t)opts->memory_quota_bytes);
    grpc_arg *a = &s->arg_storage[s->args.num_args++];
    a->type = GRPC_ARG_POINTER;
    a->key = (char *)GRPC_ARG_RESOURCE_QUOTA;
    a->value.pointer.p = s->quota;
    a->value.pointer.vtable = grpc_resource_quota_arg_vtable();
  }
  s->server = grpc_server_create(&s->args, NULL);
  s->cq = grpc_completion_queue_create_for_next(NULL);
  grpc_server_register_completion_queue(s->server, s->cq, NULL);
  grpc_server_credentials *creds = make_creds(opts);
  if (!creds) goto fail;
  s->port = grpc_server_add_http2_port(s->server, opts->listen, creds);
  grpc_server_credentials_release(creds);
  if (s->port == 0) {
    hub_logf(HUB_LOG_ERROR, "cannot listen on %s", opts->listen);
    goto fail;
  }
  return s;
fail:
  grpc_server_destroy(s->server);
  if (s->quota) grpc_resource_quota_unref(s->quota);
  grpc_completion_queue_shutdown(s->cq);
  while (grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(s->cq);
  free(s);
  grpc_shutdown();
  return NULL;
}

void hub_server_add_service(hub_server *s, const hub_service_def *svc) {
  s->services = realloc(s->services, (s->n_services + 1) * sizeof *s->services);
  s->services[s->n_services++] = svc;
  s->regs = realloc(s->regs, (s->n_regs + svc->n_methods) * sizeof *s->regs);
  for (size_t i = 0; i < svc->n_methods; i++) {
    const hub_method_def *d = &svc->methods[i];
    bool has_payload = d->streaming == HUB_UNARY || d->streaming == HUB_SERVER_STREAMING;
    registered *r = &s->regs[s->n_regs++];
    r->def = d;
    r->metrics = hub_method_metrics(d->path);
    r->handle = grpc_server_register_method(
        s->server, d->path, NULL,
        has_payload ? GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER : GRPC_SRM_PAYLOAD_NONE, 0);
  }
}

int hub_server_port(const hub_server *s) { return s->port; }
int hub_server_running_workers(const hub_server *s) { return s->max_running; }
size_t hub_server_service_count(const hub_server *s) { return s->n_services; }
const char *hub_server_service_name(const hub_server *s, size_t i) {
  return i < s->n_services ? s->services[i]->name : NULL;
}

/* ---- requesting calls ---- */

void hub_request_call(hub_server *s, const registered *reg) {
  if (atomic_load(&s->shutting_down)) return;
  hub_call *c = hub_call_new(s, reg);
  grpc_call_error err;
  if (!reg) {
    err = grpc_server_request_call(s->server, &c->call, &c->details, &c->md, s->cq, s->cq, c);
  } else {
    grpc_completion_queue *bound = s->cq;
    if (reg->def->streaming != HUB_UNARY) bound = c->pluck_cq = grpc_completion_queue_create_for_pluck(NULL);
    bool has_payload = reg->def->streaming == HUB_UNARY || reg->def->streaming == HUB_SERVER_STREAMING;
    err = grpc_server_request_registered_call(s->server, reg->handle, &c->call, &c->deadline, &c->md,
                                              has_payload ? &c->payload : NULL, bound, s->cq, c);
  }
  if (err != GRPC_CALL_OK) {
    hub_logf(HUB_LOG_ERROR, "request_call failed: %d", (int)err);
    hub_pluck_queue_destroy(c->pluck_cq);
    hub_call_free(c);
  }
}

/* ---- the unary path ---- */

static void finish_unary(hub_call *c, ProtobufCMessage *response) {
  grpc_op ops[4];
  memset(ops, 0, sizeof ops);
  size_t n = 0;
  grpc_byte_buffer *out = NULL;
  ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[n].data.send_initial_metadata.metadata = c->headers.v;
  ops[n].data.send_initial_metadata.count = c->headers.n;
  n++;
  c->headers_sent = true;
  if (c->status.code == HUB_OK && response) {
    out = hub_codec_encode(response);
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n].data.send_message.send_message = out;
    n++;
  }
  hub_fill_status_op(c, &ops[n++]);
  ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  ops[n].data.recv_close_on_server.cancelled = &c->cancelled;
  n++;
  c->tag = TAG_FINISH;
  grpc_call_error err = grpc_call_start_batch(c->call, ops, n, c, NULL);
  if (out) grpc_byte_buffer_destroy(out); /* the core took its own reference */
  if (err != GRPC_CALL_OK) {
    hub_logf(HUB_LOG_ERROR, "start_batch failed: %d", (int)err);
    hub_call_done(c);
    hub_call_free(c);
  }
}

static void run_unary(hub_call *c) {
  const hub_method_def *d = c->reg->def;
  ProtobufCMessage *req = NULL, *resp = NULL;
  if (c->deadline_us != INT64_MAX && hub_clock_mono_us() >= c->deadline_us) {
    c->status = hub_status_fixed(HUB_DEADLINE_EXCEEDED, "deadline exceeded before the call started");
  } else if (!c->payload) {
    c->status = hub_status_fixed(HUB_INVALID_ARGUMENT, "request: missing message");
  } else if ((req = hub_decode(c->arena, c->arena, c->payload, d->input, &c->status)) != NULL) {
    if (c->deadline_us == INT64_MAX) c->deadline_us = c->start_us + c->srv->opts.default_deadline_ms * 1000;
    uint64_t (*waits)(void) = c->srv->opts.db_round_trips;
    uint64_t waits0 = waits ? waits() : 0;
    c->status = c->srv->opts.interceptor ? c->srv->opts.interceptor(c, c->srv->opts.interceptor_ud) : HUB_STATUS_OK;
    if (hub_ok(c->status)) {
      resp = hub_arena_alloc(c->arena, d->output->sizeof_message);
      d->output->message_init(resp);
      c->status = d->invoke(c, req, resp, NULL);
    }
    if (waits) c->db_round_trips = (int64_t)(waits() - waits0);
  }
  finish_unary(c, resp);
}

static void handle_new_call(hub_call *c, bool ok) {
  hub_server *s = c->srv;
  grpc_completion_queue *c_cq = c->pluck_cq;
  if (!ok) { /* the server is shutting down: this request will never match */
    hub_call_free(c); /* no call was made: nothing is bound to the queue */
    hub_pluck_queue_destroy(c_cq);
    return;
  }
  hub_request_call(s, c->reg); /* keep a request outstanding for this method */
  hub_call_prepare(c);
  if (!c->reg) {
    const char *path = hub_arena_strndup(c->arena, (const char *)GRPC_SLICE_START_PTR(c->details.method),
                                         GRPC_SLICE_LENGTH(c->details.method));
    c->status = hub_status_new(c->arena, HUB_UNIMPLEMENTED, "unknown method %s", hub_status_quote(c->arena, path));
    finish_unary(c, NULL);
  } else if (c->reg->def->streaming == HUB_UNARY) {
    run_unary(c);
  } else {
    hub_stream_spawn(c);
  }
}

/* How long a worker waits on the queue before flushing its batched log lines. */
#define LOG_FLUSH_IDLE_MS 20

/* Hands the heap's free pages back to the kernel. Connections and calls that came and went
 * leave free chunks in glibc's arenas (one per thread that allocated, the core's own threads
 * included) that would otherwise stay resident for the life of the process. Runs when a
 * worker has seen no event for trim_idle_ms, at most once per trim_idle_ms server-wide, and
 * one at a time. */
static void trim_heap(hub_server *s) {
  int64_t now = hub_clock_mono_us();
  if (now - atomic_load(&s->last_trim_us) < s->opts.trim_idle_ms * 1000) return;
  if (pthread_mutex_trylock(&s->trim_mu) != 0) return;
  atomic_store(&s->last_trim_us, now);
  malloc_trim(0);
  pthread_mutex_unlock(&s->trim_mu);
}

/* ---- the worker gate ----
 * Every worker polls the one shared completion queue, and the C core hands each event to a
 * waiting thread with a futex wake. With more pollers than cores, those hand-offs and the
 * preemptions they cause cost more than the calls (measured: 4 workers on 2 cores, +35% CPU
 * per Health/Check). So only max_running workers (the cores) run at once; the others park
 * here. A worker about to block (hub_blocking_begin: a PostgreSQL or Redis round trip,
 * password hashing) lends its place to a parked worker, and parks itself once it is done if
 * that leaves too many running. CPU-bound calls thus pay nothing, and waiting calls still
 * overlap as many as there are workers. */

static void gate_block(void *ud) { /* this worker is about to wait */
  hub_server *s = ud;
  pthread_mutex_lock(&s->gate_mu);
  atomic_fetch_sub(&s->running, 1);
  if (s->parked > 0 && atomic_load(&s->running) < s->max_running) pthread_cond_signal(&s->gate_cv);
  pthread_mutex_unlock(&s->gate_mu);
}

static void gate_unblock(void *ud) { /* back: may run over max_running until the call ends */
  hub_server *s = ud;
  pthread_mutex_lock(&s->gate_mu);
  atomic_fetch_add(&s->running, 1);
  pthread_mutex_unlock(&s->gate_mu);
}

/* Before polling for the next event: parks while more workers run than are allowed. */
static void gate_wait(hub_server *s) {
  if (atomic_load(&s->running) <= s->max_running) return; /* the common case: no lock */
  hub_log_flush(); /* a parked worker may sleep long: its batched lines go out first */
  pthread_mutex_lock(&s->gate_mu);
  if (atomic_load(&s->running) > s->max_running && !s->gate_open) {
    atomic_fetch_sub(&s->running, 1);
    s->parked++;
    while (atomic_load(&s->running) >= s->max_running && !s->gate_open) pthread_cond_wait(&s->gate_cv, &s->gate_mu);
    s->parked--;
    atomic_fetch_add(&s->running, 1);
  }
  pthread_mutex_unlock(&s->gate_mu);
}

static void gate_open(hub_server *s) { /* shutdown: every worker must reach the queue */
  pthread_mutex_lock(&s->gate_mu);
  s->gate_open = true;
  pthread_cond_broadcast(&s->gate_cv);
  pthread_mutex_unlock(&s->gate_mu);
}

static gpr_timespec after_ms(int64_t ms) {
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

static void *worker_main(void *arg) {
  hub_server *s = arg;
  hub_log_batch(true);
  hub_blocking_set_thread_hooks(gate_block, gate_unblock, s);
  /* After work, the log batch is flushed once the queue has been quiet LOG_FLUSH_IDLE_MS; a
   * worker quiet for trim_idle_ms trims the heap (and again every trim_idle_ms while quiet:
   * connections close without any event reaching a worker). A busy worker does neither. */
  bool log_pending = false;
  for (;;) {
    gate_wait(s);
    gpr_timespec until = log_pending                ? after_ms(LOG_FLUSH_IDLE_MS)
                         : s->opts.trim_idle_ms > 0 ? after_ms(s->opts.trim_idle_ms)
                                                    : gpr_inf_future(GPR_CLOCK_MONOTONIC);
    grpc_event ev = grpc_completion_queue_next(s->cq, until, NULL);
    if (ev.type == GRPC_QUEUE_TIMEOUT) {
      if (log_pending) hub_log_flush();
      else trim_heap(s);
      log_pending = false;
      continue;
    }
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
    if (ev.type != GRPC_OP_COMPLETE) continue;
    log_pending = true;
    tag_kind kind = *(tag_kind *)ev.tag;
    switch (kind) {
      case TAG_NEW_CALL:
      case TAG_NEW_UNKNOWN:
        handle_new_call(ev.tag, ev.success);
        break;
      case TAG_FINISH: {
        hub_call *c = ev.tag;
        hub_call_done(c);
        hub_call_free(c);
        break;
      }
      case TAG_SHUTDOWN:
        pthread_mutex_lock(&s->mu);
        s->shutdown_done = true;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        break;
    }
  }
  hub_log_batch(false); /* flushes */
  hub_worker_ctx_release(s);
  hub_blocking_set_thread_hooks(NULL, NULL, NULL);
  return NULL;
}

bool hub_server_start(hub_server *s) {
  /* Workers must not take SIGTERM/SIGINT: the main thread waits for them. */
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  grpc_server_start(s->server);
  int per_method = s->opts.workers < 2 ? 2 : s->opts.workers;
  for (size_t i = 0; i < s->n_regs; i++)
    for (int k = 0; k < per_method; k++) hub_request_call(s, &s->regs[i]);
  for (int k = 0; k < 2; k++) hub_request_call(s, NULL);
  atomic_store(&s->running, s->opts.workers); /* each parks itself past max_running */
  s->threads = calloc((size_t)s->opts.workers, sizeof *s->threads);
  for (int i = 0; i < s->opts.workers; i++) {
    if (pthread_create(&s->threads[i], NULL, worker_main, s) != 0) break;
    s->n_threads++;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return s->n_threads == s->opts.workers;
}

void hub_server_wait_for_signal(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  int sig = 0;
  sigwait(&set, &sig);
  hub_logf(HUB_LOG_INFO, "received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* Waits on the condition until `done` holds or the absolute monotonic deadline passes. */
static bool wait_until(hub_server *s, bool (*done)(hub_server *), int64_t deadline_us) {
  pthread_mutex_lock(&s->mu);
  while (!done(s)) {
    int64_t left = deadline_us - hub_clock_mono_us();
    if (left <= 0) break;
    int64_t step = left < 50000 ? left : 50000; /* the cv uses the realtime clock: wake often */
    struct timespec ts = hub_clock_wall_after((step + 999) / 1000);
    pthread_cond_timedwait(&s->cv, &s->mu, &ts);
  }
  bool ok = done(s);
  pthread_mutex_unlock(&s->mu);
  return ok;
}

static bool shutdown_seen(hub_server *s) { return s->shutdown_done; }
static bool streams_gone(hub_server *s) { return atomic_load(&s->streaming) == 0; }

void hub_server_shutdown(hub_server *s, int64_t grace_ms) {
  atomic_store(&s->shutting_down, true);
  grpc_server_shutdown_and_notify(s->server, s->cq, &s->shutdown_tag);
  int64_t deadline = hub_clock_mono_us() + grace_ms * 1000;
  if (!wait_until(s, shutdown_seen, deadline)) {
    hub_logf(HUB_LOG_WARN, "grace period over; cancelling the remaining calls");
    grpc_server_cancel_all_calls(s->server);
    wait_until(s, shutdown_seen, INT64_MAX);
  }
  /* Stream threads are detached and use the server (its queue, lock, counters) until their
   * last line: it must not be freed under them. Those still running after 5 s are cancelled
   * and given 10 s more; any left after that make hub_server_free leave the server alone. */
  if (!wait_until(s, streams_gone, hub_clock_mono_us() + 5000000)) {
    hub_logf(HUB_LOG_WARN, "streams still running 5 s after shutdown; cancelling them");
    grpc_server_cancel_all_calls(s->server);
    if (!wait_until(s, streams_gone, hub_clock_mono_us() + 10000000))
      hub_logf(HUB_LOG_WARN, "%d streams did not end; the server is not freed",
               (int)atomic_load(&s->streaming));
  }
  gate_open(s);
  grpc_completion_queue_shutdown(s->cq);
  for (int i = 0; i < s->n_threads; i++) pthread_join(s->threads[i], NULL);
  s->n_threads = 0;
}

void hub_server_free(hub_server *s) {
  if (!s) return;
  if (atomic_load(&s->streaming) != 0) return; /* a stream thread still uses it (see shutdown) */
  grpc_server_destroy(s->server);
  grpc_completion_queue_destroy(s->cq);
  if (s->quota) grpc_resource_quota_unref(s->quota);
  free(s->threads);
  pthread_mutex_destroy(&s->trim_mu);
  pthread_mutex_destroy(&s->gate_mu);
  pthread_cond_destroy(&s->gate_cv);
  free(s->regs);
  free(s->services);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s);
  grpc_shutdown();
}
