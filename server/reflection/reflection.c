/* Server reflection (grpc.reflection.v1 and v1alpha), answered from the descriptors
 * generated at build time (hub/descriptors.h). The two versions are the same messages
 * under two package names, so v1alpha requests are re-read as v1 and the answers re-read as
 * v1alpha: one implementation, no copy. A file is sent with all its transitive dependencies
 * (dependencies first, each once per answer), as grpcurl and buf curl expect. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "grpc/reflection/v1/reflection.hub-server.h"
#include "grpc/reflection/v1alpha/reflection.hub-server.h"
#include "hub/descriptors.h"
#include "runtime/server.h"

typedef Grpc__Reflection__V1__ServerReflectionRequest v1_request;
typedef Grpc__Reflection__V1__ServerReflectionResponse v1_response;

/* ---- extension index: (extendee, number) -> file, built once from the descriptors ---- */

typedef struct ext {
  char *extendee; /* without the leading '.' */
  int32_t number;
  size_t file;
} ext;

static ext *exts;
static size_t n_exts;
static pthread_once_t exts_once = PTHREAD_ONCE_INIT;

static void index_fields(Google__Protobuf__FieldDescriptorProto **f, size_t n, size_t file) {
  for (size_t i = 0; i < n; i++) {
    if (!f[i]->extendee) continue;
    exts = realloc(exts, (n_exts + 1) * sizeof *exts);
    const char *e = f[i]->extendee[0] == '.' ? f[i]->extendee + 1 : f[i]->extendee;
    exts[n_exts++] = (ext){strdup(e), f[i]->number, file};
  }
}

static void index_message(const Google__Protobuf__DescriptorProto *m, size_t file) {
  index_fields(m->extension, m->n_extension, file);
  for (size_t i = 0; i < m->n_nested_type; i++) index_message(m->nested_type[i], file);
}

static void build_exts(void) {
  for (size_t i = 0; i < hub_file_descriptors_count; i++) {
    const hub_file_descriptor *f = &hub_file_descriptors[i];
    Google__Protobuf__FileDescriptorProto *fd = google__protobuf__file_descriptor_proto__unpack(NULL, f->len, f->bytes);
    if (!fd) continue;
    index_fields(fd->extension, fd->n_extension, i);
    for (size_t k = 0; k < fd->n_message_type; k++) index_message(fd->message_type[k], i);
    google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
  }
}

/* ---- answers ---- */

typedef struct answer {
  hub_arena *a;
  bool *sent;           /* per file: already in this answer */
  ProtobufCBinaryData *files;
  size_t n_files;
} answer;

static void add_file(answer *ans, const hub_file_descriptor *f) {
  size_t idx = (size_t)(f - hub_file_descriptors);
  if (ans->sent[idx]) return;
  ans->sent[idx] = true;
  for (size_t i = 0; i < f->n_deps; i++) {
    const hub_file_descriptor *d = hub_descriptor_by_file(f->deps[i]);
    if (d) add_file(ans, d);
  }
  ans->files[ans->n_files++] = (ProtobufCBinaryData){f->len, (uint8_t *)f->bytes};
}

static void set_error(hub_arena *a, v1_response *r, int code, const char *msg) {
  Grpc__Reflection__V1__ErrorResponse *e = hub_arena_alloc(a, sizeof *e);
  grpc__reflection__v1__error_response__init(e);
  e->error_code = code;
  e->error_message = hub_arena_strdup(a, msg);
  r->message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
  r->error_response = e;
}

static void set_files(answer *ans, v1_response *r, const hub_file_descriptor *f, const char *what) {
  if (!f) {
    set_error(ans->a, r, HUB_NOT_FOUND, hub_arena_sprintf(ans->a, "%s not found", what));
    return;
  }
  ans->files = hub_arena_alloc(ans->a, (hub_file_descriptors_count + 1) * sizeof *ans->files);
  ans->n_files = 0;
  memset(ans->sent, 0, hub_file_descriptors_count * sizeof *ans->sent);
  add_file(ans, f);
  Grpc__Reflection__V1__FileDescriptorResponse *fr = hub_arena_alloc(ans->a, sizeof *fr);
  grpc__reflection__v1__file_descriptor_response__init(fr);
  fr->n_file_descriptor_proto = ans->n_files;
  fr->file_descriptor_proto = ans->files;
  r->message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
  r->file_descriptor_response = fr;
}

static void list_services(hub_call *call, hub_arena *a, v1_response *r) {
  hub_server *srv = hub_call_server(call);
  size_t n = hub_server_service_count(srv);
  Grpc__Reflection__V1__ListServiceResponse *l = hub_arena_alloc(a, sizeof *l);
  grpc__reflection__v1__list_service_response__init(l);
  l->service = hub_arena_alloc(a, (n ? n : 1) * sizeof *l->service);
  for (size_t i = 0; i < n; i++) {
    Grpc__Reflection__V1__ServiceResponse *s = hub_arena_alloc(a, sizeof *s);
    grpc__reflection__v1__service_response__init(s);
    s->name = (char *)hub_server_service_name(srv, i);
    l->service[l->n_service++] = s;
  }
  r->message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
  r->list_services_response = l;
}

static void extension_numbers(hub_arena *a, v1_response *r, const char *type) {
  pthread_once(&exts_once, build_exts);
  const char *t = type[0] == '.' ? type + 1 : type;
  if (!hub_descriptor_by_symbol(t)) {
    set_error(a, r, HUB_NOT_FOUND, hub_arena_sprintf(a, "type %s not found", t));
    return;
  }
  Grpc__Reflection__V1__ExtensionNumberResponse *e = hub_arena_alloc(a, sizeof *e);
  grpc__reflection__v1__extension_number_response__init(e);
  e->base_type_name = hub_arena_strdup(a, t);
  e->extension_number = hub_arena_alloc(a, (n_exts ? n_exts : 1) * sizeof *e->extension_number);
  for (size_t i = 0; i < n_exts; i++)
    if (strcmp(exts[i].extendee, t) == 0) e->extension_number[e->n_extension_number++] = exts[i].number;
  r->message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
  r->all_extension_numbers_response = e;
}

static const hub_file_descriptor *file_of_extension(const char *type, int32_t number) {
  pthread_once(&exts_once, build_exts);
  const char *t = type && type[0] == '.' ? type + 1 : type;
  for (size_t i = 0; t && i < n_exts; i++)
    if (exts[i].number == number && strcmp(exts[i].extendee, t) == 0) return &hub_file_descriptors[exts[i].file];
  return NULL;
}

static void answer_one(hub_call *call, answer *ans, const v1_request *q, v1_response *r) {
  hub_arena *a = ans->a;
  grpc__reflection__v1__server_reflection_response__init(r);
  r->valid_host = q->host;
  r->original_request = (v1_request *)q;
  switch (q->message_request_case) {
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
      set_files(ans, r, hub_descriptor_by_file(q->file_by_filename), hub_arena_sprintf(a, "file %s", q->file_by_filename));
      break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
      set_files(ans, r, hub_descriptor_by_symbol(q->file_containing_symbol),
                hub_arena_sprintf(a, "symbol %s", q->file_containing_symbol));
      break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION: {
      const Grpc__Reflection__V1__ExtensionRequest *e = q->file_containing_extension;
      set_files(ans, r, e ? file_of_extension(e->containing_type, e->extension_number) : NULL, "extension");
      break;
    }
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
      extension_numbers(a, r, q->all_extension_numbers_of_type);
      break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
      list_services(call, a, r);
      break;
    default:
      set_error(a, r, HUB_INVALID_ARGUMENT, "message_request: none of the known requests is set");
  }
}

/* Re-reads `msg` as a message of `as` (the v1 and v1alpha messages share one wire format). */
static ProtobufCMessage *convert(hub_arena *a, const ProtobufCMessage *msg, const ProtobufCMessageDescriptor *as) {
  if (msg->descriptor == as) return (ProtobufCMessage *)msg;
  size_t len = protobuf_c_message_get_packed_size(msg);
  uint8_t *buf = hub_arena_alloc(a, len + 1);
  protobuf_c_message_pack(msg, buf);
  ProtobufCAllocator alloc = hub_arena_allocator(a);
  return protobuf_c_message_unpack(as, &alloc, len, buf);
}

static hub_status serve(hub_call *call, hub_stream *stream, const ProtobufCMessageDescriptor *response_type) {
  hub_arena *a = hub_arena_new(16384);
  answer ans = {.a = a, .sent = hub_arena_calloc(hub_call_arena(call), hub_file_descriptors_count, sizeof(bool))};
  hub_status st = HUB_STATUS_OK;
  for (;;) {
    ProtobufCMessage *in;
    st = hub_stream_read(stream, &in);
    if (!hub_ok(st) || !in) break;
    hub_arena_reset(a);
    v1_request *q = (v1_request *)convert(a, in, &grpc__reflection__v1__server_reflection_request__descriptor);
    v1_response r;
    answer_one(call, &ans, q, &r);
    st = hub_stream_write(stream, convert(a, &r.base, response_type));
    if (!hub_ok(st)) break;
  }
  hub_arena_free(a);
  return st;
}

hub_status hub_grpc_reflection_v1_server_reflection_server_reflection_info(hub_call *call, hub_stream *stream) {
  return serve(call, stream, &grpc__reflection__v1__server_reflection_response__descriptor);
}

hub_status hub_grpc_reflection_v1alpha_server_reflection_server_reflection_info(hub_call *call, hub_stream *stream) {
  return serve(call, stream, &grpc__reflection__v1alpha__server_reflection_response__descriptor);
}
