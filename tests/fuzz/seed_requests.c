/* Writes fuzz_request's seeds into a directory: for every method of the generated table, its
 * empty request and one made to meet the contract's field rules (a UUID, a day, an email, text
 * of the allowed characters and length, the first defined enum value, required messages and one
 * item per list), each behind the method's selector (request_pick.h). The seeds come from the
 * contract as the method table does, so a new RPC gets its seeds with nothing committed.
 * Usage: seed_requests DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/api/v1/rules.pb-c.h"
#include "hub/validate.h"
#include "request_pick.h"

static void fill(hub_arena *a, const hub_message_rules *rules, ProtobufCMessage *m, int depth);

static char *text(hub_arena *a, const hub_field_rules *r) {
  if (r->date) return "2026-11-30";
  if (r->uuid) return "01936b2e-0000-7000-8000-000000000001";
  if (r->email) return "owner@demo.smbhub.test";
  if (r->chars == HUB__API__V1__CHAR_CLASS__CHAR_CLASS_CURRENCY) return "EUR";
  size_t n = r->min_len ? r->min_len : 1;
  if (r->max_len && n > r->max_len) n = r->max_len;
  char *s = hub_arena_alloc(a, n + 1);
  memset(s, 'a', n); /* a letter of every character class */
  s[n] = '\0';
  return s;
}

static int64_t number(const hub_field_rules *r) {
  int64_t v = r->has_min ? r->min : 1;
  if (r->has_max && v > r->max) v = r->max;
  return v;
}

static size_t item_size(const ProtobufCFieldDescriptor *fd) {
  switch (fd->type) {
    case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE: return 8;
    default: return 4;
  }
}

static void value(hub_arena *a, const hub_field_rules *r, const ProtobufCFieldDescriptor *fd, void *slot, int depth) {
  switch (fd->type) {
    case PROTOBUF_C_TYPE_STRING: *(char **)slot = text(a, r); break;
    case PROTOBUF_C_TYPE_BYTES: *(ProtobufCBinaryData *)slot = (ProtobufCBinaryData){1, (uint8_t *)"x"}; break;
    case PROTOBUF_C_TYPE_MESSAGE: {
      const ProtobufCMessageDescriptor *d = fd->descriptor;
      ProtobufCMessage *sub = hub_arena_calloc(a, 1, d->sizeof_message);
      d->message_init(sub);
      if (r->message && depth < 8) fill(a, r->message, sub, depth + 1);
      *(ProtobufCMessage **)slot = sub;
      break;
    }
    case PROTOBUF_C_TYPE_ENUM: {
      const ProtobufCEnumDescriptor *e = fd->descriptor;
      int v = (int)number(r);
      for (unsigned i = 0; !r->has_min && i < e->n_values; i++)
        if (e->values[i].value != 0) {
          v = e->values[i].value;
          break;
        }
      *(int *)slot = v;
      break;
    }
    case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *)slot = 1; break;
    case PROTOBUF_C_TYPE_FLOAT: case PROTOBUF_C_TYPE_DOUBLE: break;
    default:
      if (item_size(fd) == 8) *(int64_t *)slot = number(r);
      else *(int32_t *)slot = (int32_t)number(r);
  }
}

static void fill(hub_arena *a, const hub_message_rules *rules, ProtobufCMessage *m, int depth) {
  char *base = (char *)m;
  for (uint32_t i = 0; i < rules->n_fields; i++) {
    const hub_field_rules *r = &rules->fields[i];
    const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field(rules->descriptor, r->number);
    if (!fd) continue;
    if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
      void *items = hub_arena_calloc(a, 1, item_size(fd));
      value(a, r, fd, items, depth);
      *(void **)(base + fd->offset) = items;
      *(size_t *)(base + fd->quantifier_offset) = 1;
      continue;
    }
    if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
      uint32_t *which = (uint32_t *)(base + fd->quantifier_offset);
      if (*which) continue; /* one member of a oneof */
      *which = fd->id;
    } else if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->type != PROTOBUF_C_TYPE_MESSAGE &&
               fd->type != PROTOBUF_C_TYPE_STRING) {
      *(protobuf_c_boolean *)(base + fd->quantifier_offset) = 1;
    }
    value(a, r, fd, base + fd->offset, depth);
  }
}

static int write_seed(const char *dir, const hub_method_def *m, uint16_t selector, const char *kind,
                      const ProtobufCMessage *req) {
  char name[1024];
  snprintf(name, sizeof name, "%s/%s.%s", dir, m->path + 1, kind);
  for (char *p = name + strlen(dir) + 1; *p; p++)
    if (*p == '/') *p = '.';
  size_t len = protobuf_c_message_get_packed_size(req);
  uint8_t *buf = malloc(len + 2);
  buf[0] = (uint8_t)(selector >> 8), buf[1] = (uint8_t)selector;
  protobuf_c_message_pack(req, buf + 2);
  FILE *f = fopen(name, "wb");
  int ok = f && fwrite(buf, 1, len + 2, f) == len + 2;
  if (f && fclose(f) != 0) ok = 0;
  free(buf);
  if (!ok) fprintf(stderr, "seed_requests: cannot write %s\n", name);
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: seed_requests DIR\n");
    return 2;
  }
  int failed = 0;
  size_t with_rules = 0, passing = 0;
  for (size_t i = 0; i < hub_all_methods_count; i++) {
    const hub_method_def *m = hub_all_methods[i];
    if (fuzz_request_method((uint16_t)i) != m) abort(); /* the mapping the target reads */
    hub_arena *a = hub_arena_new(0);
    ProtobufCMessage *req = hub_arena_calloc(a, 1, m->input->sizeof_message);
    m->input->message_init(req);
    failed |= write_seed(argv[1], m, (uint16_t)i, "empty", req);
    if (m->rules) {
      fill(a, m->rules, req, 0);
      failed |= write_seed(argv[1], m, (uint16_t)i, "valid", req);
      with_rules++;
      passing += hub_ok(hub_validate(a, m->rules, req));
    }
    hub_arena_free(a);
  }
  /* Rules the filler cannot meet (cross-field ones live in handlers) only make a seed less deep. */
  printf("seed_requests: %zu methods, %zu of %zu rule-made requests pass their rules\n", hub_all_methods_count, passing,
         with_rules);
  return failed;
}
