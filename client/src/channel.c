/* Channels and the pieces every call shares: metadata from call options, deadlines,
 * status decoding. */
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/fs.h"
#include "hub/status_details.h"
#include "internal.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void do_init(void) { grpc_init(); }
void hub_client_init(void) { pthread_once(&init_once, do_init); }

hub_channel *hub_channel_new(const char *target, const hub_channel_options *opts) {
  hub_client_init();
  hub_channel *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  if (opts) c->opts = *opts;
  if (c->opts.max_retries == 0) c->opts.max_retries = 3;
  if (c->opts.max_retries < 0) c->opts.max_retries = 0;
  if (c->opts.retry_initial_ms <= 0) c->opts.retry_initial_ms = 50;
  if (c->opts.retry_max_ms <= 0) c->opts.retry_max_ms = 1000;
  if (c->opts.max_recv_bytes <= 0) c->opts.max_recv_bytes = 4 << 20;
  grpc_arg args[3];
  size_t n = 0;
  args[n].type = GRPC_ARG_INTEGER;
  args[n].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
  args[n++].value.integer = (int)c->opts.max_recv_bytes;
  /* Retries are ours (idempotent methods only), not the core's transparent ones. */
  args[n].type = GRPC_ARG_INTEGER;
  args[n].key = GRPC_ARG_ENABLE_RETRIES;
  args[n++].value.integer = 0;
  if (c->opts.authority) {
    args[n].type = GRPC_ARG_STRING;
    args[n].key = GRPC_ARG_DEFAULT_AUTHORITY;
    args[n++].value.string = (char *)c->opts.authority;
  }
  grpc_channel_args ca = {n, args};
  grpc_channel_credentials *creds;
  if (c->opts.tls) {
    char *roots = c->opts.ca_file ? hub_read_file(c->opts.ca_file, NULL) : NULL;
    if (c->opts.ca_file && !roots) {
      free(c);
      return NULL;
    }
    creds = grpc_ssl_credentials_create(roots, NULL, NULL, NULL);
    free(roots);
  } else {
    creds = grpc_insecure_credentials_create();
  }
  c->ch = grpc_channel_create(target, creds, &ca);
  grpc_channel_credentials_release(creds);
  if (!c->ch) {
    free(c);
    return NULL;
  }
  return c;
}

void hub_channel_free(hub_channel *c) {
  if (!c) return;
  grpc_channel_destroy(c->ch);
  free(c);
}

static void push(grpc_metadata *md, size_t *n, hub_arena *a, const char *key, const char *val, size_t len) {
  memset(&md[*n], 0, sizeof md[*n]);
  md[*n].key = grpc_slice_from_static_string(key);
  md[*n].value = grpc_slice_from_static_buffer(val, len);
  (void)a;
  (*n)++;
}

grpc_metadata *hub_client_metadata(hub_arena *a, const hub_call_options *o, size_t *count) {
  *count = 0;
  if (!o) return NULL;
  grpc_metadata *md = hub_arena_alloc(a, (5 + o->n_extra) * sizeof *md);
  if (o->bearer_token) {
    const char *v = hub_arena_sprintf(a, "Bearer %s", o->bearer_token);
    push(md, count, a, "authorization", v, strlen(v));
  }
  if (o->tenant_id) push(md, count, a, "x-tenant-id", o->tenant_id, strlen(o->tenant_id));
  if (o->brand) push(md, count, a, "x-brand", o->brand, strlen(o->brand));
  if (o->request_id) push(md, count, a, "x-request-id", o->request_id, strlen(o->request_id));
  for (size_t i = 0; i < o->n_extra; i++) {
    const hub_metadata *e = &o->extra[i];
    push(md, count, a, e->key, e->value, e->len ? e->len : strlen(e->value));
  }
  return md;
}

gpr_timespec hub_client_deadline(const hub_call_options *o) {
  if (!o || o->timeout_ms <= 0) return gpr_inf_future(GPR_CLOCK_REALTIME);
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(o->timeout_ms, GPR_TIMESPAN));
}

grpc_call *hub_client_create_call(hub_channel *ch, grpc_completion_queue *cq, const hub_method_def *m,
                                  const hub_call_options *o) {
  grpc_slice path = grpc_slice_from_static_string(m->path);
  return grpc_channel_create_call(ch->ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, path, NULL, hub_client_deadline(o),
                                  NULL);
}

hub_status hub_client_status(hub_arena *a, grpc_status_code code, grpc_slice details,
                             const grpc_metadata_array *trailers) {
  hub_status st = {(hub_code)code, NULL, NULL};
  if (code == GRPC_STATUS_OK) return st;
  st.message = hub_arena_strndup(a, (const char *)GRPC_SLICE_START_PTR(details), GRPC_SLICE_LENGTH(details));
  for (size_t i = 0; trailers && i < trailers->count; i++) {
    const grpc_metadata *m = &trailers->metadata[i];
    if (grpc_slice_str_cmp(m->key, HUB_STATUS_DETAILS_KEY) == 0) {
      hub_status d;
      if (hub_status_details_unpack(a, GRPC_SLICE_START_PTR(m->value), GRPC_SLICE_LENGTH(m->value), &d) &&
          d.code == st.code) {
        st.violations = d.violations;
      }
    }
  }
  return st;
}

void hub_client_copy_md(hub_arena *a, const grpc_metadata_array *md, hub_metadata **out, size_t *n) {
  if (!out || !n) return;
  *n = md->count;
  *out = hub_arena_alloc(a, (md->count ? md->count : 1) * sizeof **out);
  for (size_t i = 0; i < md->count; i++) {
    const grpc_metadata *m = &md->metadata[i];
    (*out)[i].key = hub_arena_strndup(a, (const char *)GRPC_SLICE_START_PTR(m->key), GRPC_SLICE_LENGTH(m->key));
    (*out)[i].value = hub_arena_strndup(a, (const char *)GRPC_SLICE_START_PTR(m->value), GRPC_SLICE_LENGTH(m->value));
    (*out)[i].len = GRPC_SLICE_LENGTH(m->value);
  }
}

void hub_unary_ops(grpc_op ops[6], const grpc_metadata *md, size_t n_md, grpc_byte_buffer *request,
                   hub_unary_recv *r) {
  grpc_metadata_array_init(&r->headers);
  grpc_metadata_array_init(&r->trailers);
  r->response = NULL;
  r->code = GRPC_STATUS_UNKNOWN;
  r->details = grpc_empty_slice();
  memset(ops, 0, 6 * sizeof *ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].data.send_initial_metadata.metadata = (grpc_metadata *)md;
  ops[0].data.send_initial_metadata.count = n_md;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = request;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &r->headers;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &r->response;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.status = &r->code;
  ops[5].data.recv_status_on_client.status_details = &r->details;
  ops[5].data.recv_status_on_client.trailing_metadata = &r->trailers;
}

void hub_unary_recv_destroy(hub_unary_recv *r) {
  if (r->response) grpc_byte_buffer_destroy(r->response);
  grpc_slice_unref(r->details);
  grpc_metadata_array_destroy(&r->headers);
  grpc_metadata_array_destroy(&r->trailers);
}
