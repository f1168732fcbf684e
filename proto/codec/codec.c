/* See codec.h. Reads the whole buffer into one slice: messages are bounded by the
 * channel's max receive size, so one copy is cheaper than a streaming decoder. */
#include "codec.h"

#include <grpc/byte_buffer_reader.h>
#include <string.h>

#include "codec_internal.h"
#include "hub/utf8.h"

grpc_byte_buffer *hub_codec_encode(const ProtobufCMessage *msg) {
  size_t len = protobuf_c_message_get_packed_size(msg);
  grpc_slice s = grpc_slice_malloc(len);
  protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  return bb;
}

ProtobufCMessage *hub_codec_decode(hub_arena *a, grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *d) {
  grpc_byte_buffer_reader r;
  if (!grpc_byte_buffer_reader_init(&r, bb)) return NULL;
  grpc_slice s = grpc_byte_buffer_reader_readall(&r);
  grpc_byte_buffer_reader_destroy(&r);
  ProtobufCAllocator alloc = hub_arena_allocator(a);
  const uint8_t *data = GRPC_SLICE_START_PTR(s);
  size_t len = GRPC_SLICE_LENGTH(s);
  hub_codec_merge_parts(a, d, data, len, &data, &len); /* see merge.c */
  ProtobufCMessage *m = protobuf_c_message_unpack(d, &alloc, len, data);
  grpc_slice_unref(s);
  return m;
}

/* ---- what every request must hold: UTF-8 strings, valid timestamps ---- */

#define MAX_DEPTH 64 /* deeper requests are refused here rather than walked */

static const char *field_path(hub_arena *a, const char *prefix, const char *name, long index) {
  if (index < 0) return *prefix ? hub_arena_sprintf(a, "%s.%s", prefix, name) : name;
  return *prefix ? hub_arena_sprintf(a, "%s.%s[%ld]", prefix, name, index) : hub_arena_sprintf(a, "%s[%ld]", name, index);
}

static bool check_message(hub_arena *a, const ProtobufCMessage *m, const char *prefix, int depth, hub_status *st);

/* One value of field `f` at `member` (element `index` of a repeated field, else -1). The
 * path is only built when it is needed: a violation, or a nested message to walk. */
static bool check_value(hub_arena *a, const ProtobufCFieldDescriptor *f, const void *member, const char *prefix,
                        long index, int depth, hub_status *st) {
  if (f->type == PROTOBUF_C_TYPE_STRING) {
    const char *s = *(char *const *)member;
    if (s && !hub_utf8_valid(s, strlen(s))) {
      hub_status_add_violation(a, st, field_path(a, prefix, f->name, index), "not valid UTF-8");
      return false;
    }
    return true;
  }
  const ProtobufCMessage *sub = *(ProtobufCMessage *const *)member;
  return !sub || check_message(a, sub, field_path(a, prefix, f->name, index), depth + 1, st);
}

/* google.protobuf.Timestamp and Duration carry their valid ranges in their own docs
 * (years 0001..9999; ±10,000 years; nanos within a second, of the seconds' sign). A value
 * outside them would only fail later, deep in PostgreSQL, as an opaque range error. */
static bool well_known_ok(const ProtobufCMessage *m) {
  const char *name = m->descriptor->name;
  bool timestamp = strcmp(name, "google.protobuf.Timestamp") == 0;
  if (!timestamp && strcmp(name, "google.protobuf.Duration") != 0) return true;
  /* Both are {int64 seconds = 1; int32 nanos = 2;}: read them through the descriptor. */
  const ProtobufCFieldDescriptor *fs = protobuf_c_message_descriptor_get_field(m->descriptor, 1);
  const ProtobufCFieldDescriptor *fn = protobuf_c_message_descriptor_get_field(m->descriptor, 2);
  if (!fs || !fn) return true;
  int64_t seconds = *(const int64_t *)((const char *)m + fs->offset);
  int32_t nanos = *(const int32_t *)((const char *)m + fn->offset);
  if (timestamp) return seconds >= -62135596800LL && seconds <= 253402300799LL && nanos >= 0 && nanos <= 999999999;
  return seconds >= -315576000000LL && seconds <= 315576000000LL && nanos >= -999999999 && nanos <= 999999999 &&
         !((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0));
}

static bool check_message(hub_arena *a, const ProtobufCMessage *m, const char *prefix, int depth, hub_status *st) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  if (depth > MAX_DEPTH) {
    hub_status_add_violation(a, st, *prefix ? prefix : "request", "nested more than %d levels deep", MAX_DEPTH);
    return false;
  }
  if (!well_known_ok(m)) {
    hub_status_add_violation(a, st, *prefix ? prefix : "request", "out of the range of a %s", d->name);
    return false;
  }
  bool ok = true;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
    const char *base = (const char *)m;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      size_t n = *(const size_t *)(base + f->quantifier_offset);
      char *const *items = *(char *const *const *)(base + f->offset);
      for (size_t k = 0; k < n; k++)
        ok &= check_value(a, f, &items[k], prefix, (long)k, depth, st);
      continue;
    }
    if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(const uint32_t *)(base + f->quantifier_offset) != f->id)
      continue; /* another member of the oneof is set: this one's storage is not ours */
    ok &= check_value(a, f, base + f->offset, prefix, -1, depth, st);
  }
  return ok;
}

bool hub_codec_check_utf8(hub_arena *arena, const ProtobufCMessage *msg, hub_status *st) {
  return check_message(arena, msg, "", 0, st);
}
