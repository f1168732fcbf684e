/* A workaround for protobuf-c 1.4.1 (Debian 12): when a singular message field arrives in
 * more than one part (legal on the wire: parsers must merge the parts, and some encoders
 * and proxies split or append messages), protobuf-c's merge drops enum values of the
 * earlier part — UpdateTicket then read `ticket.priority` as 0. Merging two serialized
 * messages is the same as parsing their concatenation, so before unpacking we rewrite such
 * a field as ONE occurrence whose payload is the parts' payloads concatenated (at every
 * depth), which protobuf-c parses correctly. Requests without split parts (all of them in
 * practice) are only scanned, never copied.
 *
 * This reads the wire format only as far as to find field boundaries (tag, wire type,
 * length); decoding stays protobuf-c's. Anything it does not understand (groups, bad
 * varints, truncation) is left to protobuf-c, which refuses it. */
#include <stdint.h>
#include <string.h>

#include "codec_internal.h"

#define MAX_DEPTH 64

typedef struct wire_field {
  uint32_t number;
  unsigned wire_type;
  const uint8_t *start;   /* the tag */
  const uint8_t *payload; /* length-delimited fields: the bytes after the length */
  size_t payload_len;
  const uint8_t *end;     /* one past the field */
} wire_field;

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    v |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

/* The field at *p; advances *p past it. False on anything protobuf-c should judge. */
static bool next_field(const uint8_t **p, const uint8_t *end, wire_field *f) {
  f->start = *p;
  uint64_t tag, v;
  if (!read_varint(p, end, &tag) || tag >> 3 == 0 || tag >> 3 > UINT32_MAX) return false;
  f->number = (uint32_t)(tag >> 3);
  f->wire_type = (unsigned)(tag & 7);
  f->payload = NULL;
  f->payload_len = 0;
  switch (f->wire_type) {
    case 0: if (!read_varint(p, end, &v)) return false; break;
    case 1: if (end - *p < 8) return false; *p += 8; break;
    case 5: if (end - *p < 4) return false; *p += 4; break;
    case 2:
      if (!read_varint(p, end, &v) || v > (uint64_t)(end - *p)) return false;
      f->payload = *p;
      f->payload_len = (size_t)v;
      *p += v;
      break;
    default: return false; /* groups: not ours to handle */
  }
  f->end = *p;
  return true;
}

/* The message descriptor of field `number` when it is a message field, else NULL;
 * *singular tells whether it is non-repeated. */
static const ProtobufCMessageDescriptor *message_field(const ProtobufCMessageDescriptor *d, uint32_t number,
                                                       bool *singular, unsigned *index) {
  const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, number);
  if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE) return NULL;
  *singular = f->label != PROTOBUF_C_LABEL_REPEATED;
  *index = (unsigned)(f - d->fields);
  return f->descriptor;
}

/* True when a singular message field occurs twice anywhere in the message. */
static bool has_split(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len, int depth) {
  if (depth > MAX_DEPTH) return false;
  uint64_t seen[8] = {0}; /* by field index; messages with more fields are checked past 512 too */
  const uint8_t *p = data, *end = data + len;
  wire_field f;
  while (p < end) {
    if (!next_field(&p, end, &f)) return false;
    if (f.wire_type != 2) continue;
    bool singular;
    unsigned idx;
    const ProtobufCMessageDescriptor *sub = message_field(d, f.number, &singular, &idx);
    if (!sub) continue;
    if (singular) {
      if (idx >= 512) return true; /* too many fields to track: take the safe, slow path */
      if (seen[idx / 64] & (1ull << (idx % 64))) return true;
      seen[idx / 64] |= 1ull << (idx % 64);
    }
    if (has_split(sub, f.payload, f.payload_len, depth + 1)) return true;
  }
  return false;
}

typedef struct out_buf {
  hub_arena *arena;
  uint8_t *data;
  size_t len, cap;
} out_buf;

static void put(out_buf *o, const void *bytes, size_t n) {
  if (o->len + n > o->cap) {
    size_t cap = (o->cap ? o->cap * 2 : 256) + n;
    uint8_t *d = hub_arena_alloc(o->arena, cap);
    if (o->len) memcpy(d, o->data, o->len);
    o->data = d;
    o->cap = cap;
  }
  memcpy(o->data + o->len, bytes, n);
  o->len += n;
}

static void put_varint(out_buf *o, uint64_t v) {
  uint8_t b[10];
  size_t n = 0;
  do {
    b[n] = (uint8_t)(v & 0x7F);
    v >>= 7;
    if (v) b[n] |= 0x80;
    n++;
  } while (v);
  put(o, b, n);
}

static bool rewrite(hub_arena *a, const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len, int depth,
                    out_buf *o);

/* Writes field `number` with `payload` rewritten as message `sub`. */
static bool put_message(hub_arena *a, out_buf *o, uint32_t number, const ProtobufCMessageDescriptor *sub,
                        const uint8_t *payload, size_t len, int depth) {
  out_buf inner = {a, NULL, 0, 0};
  if (!rewrite(a, sub, payload, len, depth + 1, &inner)) return false;
  put_varint(o, ((uint64_t)number << 3) | 2);
  put_varint(o, inner.len);
  if (inner.len) put(o, inner.data, inner.len);
  return true;
}

static bool seen_test_set(uint64_t *bits, unsigned idx) {
  bool was = bits[idx / 64] & (1ull << (idx % 64));
  bits[idx / 64] |= 1ull << (idx % 64);
  return was;
}

/* The message with every singular message field written once, at its last occurrence,
 * holding the concatenation of all its parts. The fields are listed first and each split
 * field's last part is found walking back, so n fields cost O(n) plus one gathering pass per
 * split field. (Looking ahead for a later part at every part was O(n^2): a 4 MiB request of
 * empty parts of one field kept a worker busy for hours, before any authentication.) */
static bool rewrite(hub_arena *a, const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len, int depth,
                    out_buf *o) {
  if (depth > MAX_DEPTH) return false;
  if (len == 0) return true; /* nothing to write (and data may be NULL) */
  const uint8_t *end = data + len, *p = data;
  wire_field f;
  size_t n = 0;
  while (p < end) {
    if (!next_field(&p, end, &f)) return false;
    n++;
  }
  const uint8_t **at = hub_arena_alloc(a, n * sizeof *at);
  p = data;
  for (size_t i = 0; i < n; i++) {
    at[i] = p;
    next_field(&p, end, &f); /* it parsed above */
  }
  /* Walking back, the first part met of a singular message field is its last; a field met
   * twice is split. */
  size_t words = (d->n_fields + 63) / 64;
  uint64_t *seen = hub_arena_calloc(a, 2 * words + 1, sizeof *seen), *split = seen + words;
  bool *last = hub_arena_calloc(a, n, sizeof *last);
  for (size_t i = n; i-- > 0;) {
    const uint8_t *q = at[i];
    bool singular = false;
    unsigned idx;
    next_field(&q, end, &f);
    if (f.wire_type != 2 || !message_field(d, f.number, &singular, &idx) || !singular) continue;
    if (seen_test_set(seen, idx)) split[idx / 64] |= 1ull << (idx % 64);
    else last[i] = true;
  }
  for (size_t i = 0; i < n; i++) {
    const uint8_t *q = at[i];
    bool singular = false;
    unsigned idx;
    next_field(&q, end, &f);
    const ProtobufCMessageDescriptor *sub = f.wire_type == 2 ? message_field(d, f.number, &singular, &idx) : NULL;
    if (!sub) {
      put(o, f.start, (size_t)(f.end - f.start));
      continue;
    }
    if (!singular || !(split[idx / 64] & (1ull << (idx % 64)))) { /* a list item, or a field in one part */
      if (!put_message(a, o, f.number, sub, f.payload, f.payload_len, depth)) return false;
      continue;
    }
    if (!last[i]) continue; /* its last part carries it */
    out_buf parts = {a, NULL, 0, 0};
    for (size_t j = 0; j <= i; j++) { /* every part's payload, in order */
      wire_field g;
      const uint8_t *r = at[j];
      next_field(&r, end, &g);
      if (g.number == f.number && g.wire_type == 2 && g.payload_len) put(&parts, g.payload, g.payload_len);
    }
    if (!put_message(a, o, f.number, sub, parts.data, parts.len, depth)) return false;
  }
  return true;
}

bool hub_codec_merge_parts(hub_arena *a, const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len,
                           const uint8_t **out, size_t *out_len) {
  if (!has_split(d, data, len, 0)) return false;
  out_buf o = {a, NULL, 0, 0};
  if (!rewrite(a, d, data, len, 0, &o)) return false;
  *out = o.data ? o.data : data;
  *out_len = o.len;
  return true;
}
