/* See json_pb.h. Walks the JSON object with jansson and fills the message through the
 * field descriptors' offsets, the way protobuf-c's own unpacker does. */
#include "json_pb.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static hub_status fill_message(hub_arena *a, const ProtobufCMessageDescriptor *d, json_t *obj, const char *path,
                               ProtobufCMessage **out);

/* "response_size" matches "responseSize" and "response_size". */
static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *d, const char *key) {
  for (unsigned i = 0; i < d->n_fields; i++) {
    const char *name = d->fields[i].name;
    if (strcmp(name, key) == 0) return &d->fields[i];
    const char *n = name, *k = key;
    while (*n && *k) {
      if (*n == '_' && n[1]) {
        n++;
        if (toupper((unsigned char)*n) != *k) break;
      } else if (*n != *k) {
        break;
      }
      n++, k++;
    }
    if (!*n && !*k) return &d->fields[i];
  }
  return NULL;
}

static bool json_int(json_t *v, long long *out) {
  if (json_is_integer(v)) {
    *out = json_integer_value(v);
    return true;
  }
  if (json_is_string(v)) {
    char *end;
    errno = 0;
    *out = strtoll(json_string_value(v), &end, 10);
    return !errno && *end == '\0' && end != json_string_value(v);
  }
  return false;
}

static bool json_uint(json_t *v, unsigned long long *out) {
  if (json_is_integer(v)) {
    if (json_integer_value(v) < 0) return false;
    *out = (unsigned long long)json_integer_value(v);
    return true;
  }
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    char *end;
    errno = 0;
    if (*s == '-') return false;
    *out = strtoull(s, &end, 10);
    return !errno && *end == '\0' && end != s;
  }
  return false;
}

static bool decode_base64(hub_arena *a, const char *s, ProtobufCBinaryData *out) {
  size_t n = strlen(s);
  char *std = hub_arena_alloc(a, n + 4);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) std[k++] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i]; /* url-safe too */
  while (k % 4) std[k++] = '=';
  std[k] = '\0';
  out->data = hub_arena_alloc(a, k / 4 * 3 + 1);
  int len = EVP_DecodeBlock(out->data, (const unsigned char *)std, (int)k);
  if (len < 0) return false;
  while (k && std[k - 1] == '=') len--, k--;
  out->len = (size_t)len;
  return true;
}

/* A FieldMask's JSON form: "updateMask": "subject,customFieldsJson" (lowerCamel paths,
 * comma-separated) -> paths {"subject", "custom_fields_json"}. */
static hub_status field_mask(hub_arena *a, const ProtobufCMessageDescriptor *d, const char *text,
                             ProtobufCMessage **out) {
  ProtobufCMessage *m = hub_arena_calloc(a, 1, d->sizeof_message);
  d->message_init(m);
  const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, "paths");
  size_t n = *text ? 1 : 0;
  for (const char *c = text; *c; c++) n += *c == ',';
  char **paths = hub_arena_calloc(a, n ? n : 1, sizeof *paths);
  size_t k = 0;
  for (const char *c = text; *c && k < n; k++) {
    char *p = hub_arena_alloc(a, 2 * strlen(c) + 1), *o = p;
    for (; *c && *c != ','; c++) {
      if (isupper((unsigned char)*c)) *o++ = '_', *o++ = (char)tolower((unsigned char)*c);
      else *o++ = *c;
    }
    *o = '\0';
    paths[k] = p;
    if (*c == ',') c++;
  }
  *(size_t *)((char *)m + f->quantifier_offset) = k;
  *(char ***)((char *)m + f->offset) = paths;
  *out = m;
  return HUB_STATUS_OK;
}

/* Stores one JSON value into the field slot at `slot`. */
static hub_status set_value(hub_arena *a, const ProtobufCFieldDescriptor *f, json_t *v, const char *path, void *slot) {
  long long i;
  unsigned long long u;
  switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
      if (!json_int(v, &i) || i < INT32_MIN || i > INT32_MAX) break;
      *(int32_t *)slot = (int32_t)i;
      return HUB_STATUS_OK;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
      if (!json_int(v, &i)) break;
      *(int64_t *)slot = i;
      return HUB_STATUS_OK;
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
      if (!json_uint(v, &u) || u > UINT32_MAX) break;
      *(uint32_t *)slot = (uint32_t)u;
      return HUB_STATUS_OK;
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
      if (!json_uint(v, &u)) break;
      *(uint64_t *)slot = u;
      return HUB_STATUS_OK;
    case PROTOBUF_C_TYPE_FLOAT:
      if (!json_is_number(v)) break;
      *(float *)slot = (float)json_number_value(v);
      return HUB_STATUS_OK;
    case PROTOBUF_C_TYPE_DOUBLE:
      if (!json_is_number(v)) break;
      *(double *)slot = json_number_value(v);
      return HUB_STATUS_OK;
    case PROTOBUF_C_TYPE_BOOL:
      if (!json_is_boolean(v)) break;
      *(protobuf_c_boolean *)slot = json_is_true(v);
      return HUB_STATUS_OK;
    case PROTOBUF_C_TYPE_STRING:
      if (!json_is_string(v)) break;
      *(char **)slot = hub_arena_strdup(a, json_string_value(v));
      return HUB_STATUS_OK;
    case PROTOBUF_C_TYPE_BYTES:
      if (!json_is_string(v) || !decode_base64(a, json_string_value(v), slot)) break;
      return HUB_STATUS_OK;
    case PROTOBUF_C_TYPE_ENUM: {
      const ProtobufCEnumDescriptor *e = f->descriptor;
      if (json_is_string(v)) {
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(e, json_string_value(v));
        if (!ev) return hub_status_invalid(a, path, "not a value of %s: %s", e->name, json_string_value(v));
        *(int *)slot = ev->value;
        return HUB_STATUS_OK;
      }
      if (!json_int(v, &i) || i < INT32_MIN || i > INT32_MAX) break;
      *(int *)slot = (int)i;
      return HUB_STATUS_OK;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
      if (json_is_string(v) && strcmp(((const ProtobufCMessageDescriptor *)f->descriptor)->name,
                                      "google.protobuf.FieldMask") == 0)
        return field_mask(a, f->descriptor, json_string_value(v), (ProtobufCMessage **)slot);
      if (!json_is_object(v)) break;
      return fill_message(a, f->descriptor, v, path, (ProtobufCMessage **)slot);
  }
  return hub_status_invalid(a, path, "wrong JSON type for this field");
}

static size_t slot_size(const ProtobufCFieldDescriptor *f) {
  switch (f->type) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: return 8;
    case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    default: return 4;
  }
}

static hub_status fill_message(hub_arena *a, const ProtobufCMessageDescriptor *d, json_t *obj, const char *path,
                               ProtobufCMessage **out) {
  ProtobufCMessage *m = hub_arena_calloc(a, 1, d->sizeof_message);
  d->message_init(m);
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    char *fpath = *path ? hub_arena_sprintf(a, "%s.%s", path, key) : hub_arena_strdup(a, key);
    const ProtobufCFieldDescriptor *f = find_field(d, key);
    if (!f) return hub_status_invalid(a, fpath, "%s has no such field", d->name);
    if (json_is_null(v)) continue;
    char *base = (char *)m;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      if (!json_is_array(v)) return hub_status_invalid(a, fpath, "expected a JSON array");
      size_t n = json_array_size(v), sz = slot_size(f);
      char *items = hub_arena_calloc(a, n ? n : 1, sz);
      for (size_t k = 0; k < n; k++) {
        hub_status st = set_value(a, f, json_array_get(v, k), hub_arena_sprintf(a, "%s[%zu]", fpath, k), items + k * sz);
        if (!hub_ok(st)) return st;
      }
      *(size_t *)(base + f->quantifier_offset) = n;
      *(void **)(base + f->offset) = items;
      continue;
    }
    hub_status st = set_value(a, f, v, fpath, base + f->offset);
    if (!hub_ok(st)) return st;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
      *(uint32_t *)(base + f->quantifier_offset) = f->id; /* the oneof's case */
    } else if (f->quantifier_offset && f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING &&
               (f->label == PROTOBUF_C_LABEL_OPTIONAL)) {
      *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1; /* has_ of proto2 / proto3 optional */
    }
  }
  *out = m;
  return HUB_STATUS_OK;
}

hub_status hub_json_to_pb(hub_arena *a, const ProtobufCMessageDescriptor *d, const char *json, ProtobufCMessage **out) {
  json_error_t err;
  json_t *root = json_loads(json ? json : "{}", 0, &err);
  if (!root) return hub_status_invalid(a, "request", "not JSON: %s (line %d)", err.text, err.line);
  hub_status st = json_is_object(root) ? fill_message(a, d, root, "", out)
                                       : hub_status_invalid(a, "request", "expected a JSON object");
  json_decref(root);
  return st;
}
