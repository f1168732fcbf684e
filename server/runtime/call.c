/* The per-call state handlers see (see call.h): metadata, deadline, request id, response
 * metadata, message coding, the status batch and the call's log line. */
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub/clock.h"
#include "codec.h"
#include "hub/log.h"
#include "hub/status_details.h"
#include "internal.h"

hub_call *hub_call_new(hub_server *srv, const registered *reg) {
  hub_call *c = calloc(1, sizeof *c);
  if (!c) abort();
  c->tag = reg ? TAG_NEW_CALL : TAG_NEW_UNKNOWN;
  c->srv = srv;
  c->reg = reg;
  grpc_metadata_array_init(&c->md);
  grpc_call_details_init(&c->details);
  c->arena = hub_arena_new(8192);
  c->headers.v = c->headers.inline_v;
  c->trailers.v = c->trailers.inline_v;
  c->headers.cap = c->trailers.cap = MD_INLINE;
  c->status_slice = grpc_empty_slice();
  return c;
}

void hub_call_free(hub_call *c) {
  if (!c) return;
  if (c->call) grpc_call_unref(c->call);
  if (c->payload) grpc_byte_buffer_destroy(c->payload);
  grpc_metadata_array_destroy(&c->md);
  grpc_call_details_destroy(&c->details);
  md_list *lists[] = {&c->headers, &c->trailers};
  for (size_t k = 0; k < 2; k++) {
    md_list *l = lists[k];
    for (size_t i = 0; i < l->n; i++) grpc_slice_unref(l->v[i].value), grpc_slice_unref(l->v[i].key);
    if (l->v != l->inline_v) free(l->v);
  }
  gpr_free(c->peer);
  grpc_slice_unref(c->status_slice);
  hub_arena_free(c->arena);
  free(c);
}

/* A request id when the caller sent none: 16 random hex digits from a per-thread
 * generator (ids need to be unique, not secret). */
static const char *make_request_id(hub_arena *a) {
  static __thread uint64_t state;
  if (!state) {
    const uint64_t ns = (uint64_t)hub_clock_wall_ns();
    state = ((ns % 1000000000) << 20) ^ (ns / 1000000000) ^ (uint64_t)(uintptr_t)&state;
  }
  state += 0x9E3779B97F4A7C15ull; /* splitmix64 */
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  static const char hex[] = "0123456789abcdef";
  char *id = hub_arena_alloc(a, 17);
  for (int i = 15; i >= 0; i--, z >>= 4) id[i] = hex[z & 15];
  id[16] = '\0';
  return id;
}

static bool request_id_ok(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n > 128) return false;
  for (const char *p = id; *p; p++)
    if (*p < 0x21 || *p > 0x7e) return false;
  return true;
}

void hub_call_prepare(hub_call *c) {
  c->start_us = hub_clock_mono_us();
  hub_call_metrics_begin(c);
  hub_call_peer(c); /* the core forgets the peer once the call ends; the log line needs it */
  const char *rid = hub_call_metadata(c, "x-request-id");
  c->request_id = rid && request_id_ok(rid) ? rid : make_request_id(c->arena);
  md_add_static(&c->headers, "x-request-id", c->request_id, strlen(c->request_id));
  gpr_timespec now = gpr_now(GPR_CLOCK_MONOTONIC);
  gpr_timespec dl = gpr_convert_clock_type(c->deadline, GPR_CLOCK_MONOTONIC);
  if (gpr_time_cmp(dl, gpr_inf_future(GPR_CLOCK_MONOTONIC)) == 0) {
    c->deadline_us = INT64_MAX;
  } else {
    gpr_timespec left = gpr_time_sub(dl, now);
    c->deadline_us = c->start_us + (int64_t)left.tv_sec * 1000000 + left.tv_nsec / 1000;
  }
}

void hub_pluck_queue_destroy(grpc_completion_queue *cq) {
  if (!cq) return;
  grpc_completion_queue_shutdown(cq);
  while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type != GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(cq);
}

hub_arena *hub_call_arena(hub_call *c) { return c->arena; }
const hub_method_def *hub_call_method(hub_call *c) { return c->reg ? c->reg->def : NULL; }
const char *hub_call_request_id(hub_call *c) { return c->request_id; }
hub_server *hub_call_server(hub_call *c) { return c->srv; }
void *hub_call_worker_ctx(hub_call *c) { return hub_worker_ctx_get(c->srv); }

const char *hub_call_peer(hub_call *c) {
  if (!c->peer) c->peer = grpc_call_get_peer(c->call);
  return c->peer ? c->peer : "unknown";
}

const char *hub_call_peer_address(hub_call *c) {
  /* "ipv4:10.0.0.7:5123" -> "10.0.0.7"; "ipv6:[::1]:5123" -> "::1"; anything else as is. */
  const char *peer = hub_call_peer(c);
  const char *colon = strchr(peer, ':');
  char *ip = hub_arena_strdup(c->arena, colon ? colon + 1 : peer);
  if (strncmp(peer, "ipv6:", 5) == 0 && ip[0] == '[') {
    char *close = strchr(ip, ']');
    if (close) *close = '\0';
    return ip + 1;
  }
  if (strncmp(peer, "ipv4:", 5) == 0) {
    char *port = strrchr(ip, ':');
    if (port) *port = '\0';
  }
  return ip;
}

bool hub_call_metadata_at(hub_call *c, size_t i, const char **key, const char **value, size_t *len) {
  if (i >= c->md.count) return false;
  const grpc_metadata *m = &c->md.metadata[i];
  *key = hub_arena_strndup(c->arena, (const char *)GRPC_SLICE_START_PTR(m->key), GRPC_SLICE_LENGTH(m->key));
  *value = hub_arena_strndup(c->arena, (const char *)GRPC_SLICE_START_PTR(m->value), GRPC_SLICE_LENGTH(m->value));
  *len = GRPC_SLICE_LENGTH(m->value);
  return true;
}

const char *hub_call_metadata_bin(hub_call *c, const char *key, size_t *len) {
  for (size_t i = 0; i < c->md.count; i++) {
    const grpc_metadata *m = &c->md.metadata[i];
    if (grpc_slice_str_cmp(m->key, key) == 0) {
      if (len) *len = GRPC_SLICE_LENGTH(m->value);
      return hub_arena_strndup(c->arena, (const char *)GRPC_SLICE_START_PTR(m->value), GRPC_SLICE_LENGTH(m->value));
    }
  }
  return NULL;
}

const char *hub_call_metadata(hub_call *c, const char *key) { return hub_call_metadata_bin(c, key, NULL); }

int64_t hub_call_remaining_ms(hub_call *c) {
  if (c->deadline_us == INT64_MAX) return INT64_MAX;
  int64_t left = c->deadline_us - hub_clock_mono_us();
  return left > 0 ? left / 1000 : 0;
}

static grpc_metadata *md_next(md_list *l) {
  if (l->n == l->cap) {
    size_t cap = l->cap * 2;
    grpc_metadata *v = l->v == l->inline_v ? malloc(cap * sizeof *v) : realloc(l->v, cap * sizeof *v);
    if (!v) abort();
    if (l->v == l->inline_v) memcpy(v, l->inline_v, l->n * sizeof *v);
    l->v = v;
    l->cap = cap;
  }
  grpc_metadata *m = &l->v[l->n++];
  memset(m, 0, sizeof *m);
  return m;
}

void md_add(hub_call *c, md_list *l, const char *key, const char *value, size_t len) {
  (void)c;
  grpc_metadata *m = md_next(l);
  m->key = grpc_slice_from_copied_string(key);
  m->value = grpc_slice_from_copied_buffer(value, len);
}

void md_add_static(md_list *l, const char *key, const char *value, size_t len) {
  grpc_metadata *m = md_next(l);
  m->key = grpc_slice_from_static_string(key);
  m->value = grpc_slice_from_copied_buffer(value, len);
}

void hub_call_add_header(hub_call *c, const char *key, const char *value, size_t len) {
  if (!c->headers_sent) md_add(c, &c->headers, key, value, len);
}

void hub_call_add_trailer(hub_call *c, const char *key, const char *value, size_t len) {
  md_add(c, &c->trailers, key, value, len);
}

void hub_call_set_tenant(hub_call *c, const char *t) { c->tenant = hub_arena_strdup(c->arena, t); }
void hub_call_set_user(hub_call *c, const char *u) { c->user = hub_arena_strdup(c->arena, u); }
void hub_call_set_api_key(hub_call *c, const char *prefix) { c->api_key = hub_arena_strdup(c->arena, prefix); }
void hub_call_set_principal(hub_call *c, const void *p) { c->principal = p; }
const void *hub_call_principal(hub_call *c) { return c->principal; }

ProtobufCMessage *hub_decode(hub_arena *a, hub_arena *status_arena, grpc_byte_buffer *bb,
                             const ProtobufCMessageDescriptor *d, hub_status *st) {
  ProtobufCMessage *m = hub_codec_decode(a, bb, d);
  if (!m) {
    *st = hub_status_new(status_arena, HUB_INVALID_ARGUMENT, "request: not a valid %s message", d->name);
    return NULL;
  }
  hub_status bad = HUB_STATUS_OK;
  if (!hub_codec_check_utf8(status_arena, m, &bad)) {
    *st = bad;
    return NULL;
  }
  return m;
}

void hub_fill_status_op(hub_call *c, grpc_op *op) {
  if (c->status.code != HUB_OK) c->status = hub_status_bounded(c->arena, c->status); /* the log line too */
  hub_status st = c->status;
  if (st.code != HUB_OK) {
    if (!st.message) st.message = hub_code_name(st.code);
    size_t len;
    uint8_t *details = hub_status_details_pack(c->arena, st, &len);
    md_add_static(&c->trailers, HUB_STATUS_DETAILS_KEY, (const char *)details, len);
    grpc_slice_unref(c->status_slice);
    c->status_slice = grpc_slice_from_copied_string(st.message);
  }
  memset(op, 0, sizeof *op);
  op->op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  op->data.send_status_from_server.status = (grpc_status_code)st.code;
  op->data.send_status_from_server.status_details = st.code != HUB_OK ? &c->status_slice : NULL;
  op->data.send_status_from_server.trailing_metadata = c->trailers.v;
  op->data.send_status_from_server.trailing_metadata_count = c->trailers.n;
}

void hub_call_done(hub_call *c) {
  hub_call_metrics_end(c);
  hub_call_log(c);
}

void hub_call_log(hub_call *c) {
  if (!c->srv->opts.log_calls) return;
  hub_log_level level = c->status.code == HUB_INTERNAL || c->status.code == HUB_UNKNOWN ||
                                c->status.code == HUB_DATA_LOSS
                            ? HUB_LOG_ERROR
                            : HUB_LOG_INFO;
  if (!hub_log_enabled(level)) return;
  hub_log_line l;
  hub_log_begin(&l, level, "rpc");
  char buf[256];
  const char *path = buf;
  if (c->reg) {
    path = c->reg->def->path;
  } else {
    size_t n = GRPC_SLICE_LENGTH(c->details.method);
    if (n >= sizeof buf) n = sizeof buf - 1;
    memcpy(buf, GRPC_SLICE_START_PTR(c->details.method), n);
    buf[n] = '\0';
  }
  hub_log_str(&l, "method", path);
  hub_log_str(&l, "request_id", c->request_id);
  hub_log_str(&l, "peer", hub_call_peer(c));
  hub_log_str(&l, "tenant", c->tenant);
  hub_log_str(&l, "user", c->user);
  if (c->api_key) hub_log_str(&l, "api_key", c->api_key);
  hub_log_str(&l, "code", hub_code_name(hub_call_final_code(c)));
  hub_log_int(&l, "latency_us", hub_clock_mono_us() - c->start_us);
  if (c->srv->opts.db_round_trips) hub_log_int(&l, "db_round_trips", c->db_round_trips);
  if (c->status.code != HUB_OK && c->status.message) hub_log_str(&l, "error", c->status.message);
  hub_log_end(&l, level);
}
