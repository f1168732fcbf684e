/* The checker of the generated field-rule tables (see hub/validate.h and rules.proto). It
 * walks a decoded request through protobuf-c's own descriptors (offsets, presence, enum
 * values), so the generated part is only data; every violation is collected, with its path
 * built in a buffer as the walk descends, and copied into the arena only when one is found. */
#include "hub/validate.h"

#include <stdio.h>
#include <string.h>

#include "hub/api/v1/rules.pb-c.h"
#include "hub/calendar.h"
#include "hub/email.h"
#include "hub/utf8.h"
#include "hub/uuid.h"

typedef struct walk {
  hub_arena *a;
  hub_status st;
  size_t count;
  char path[HUB_STATUS_FIELD_MAX + 1];
  size_t len;
} walk;

/* Appends ".name" (or "name" at the top) or "[index]" to the path; returns the length to
 * pop back to. A path cut at HUB_STATUS_FIELD_MAX stays cut (the status bounds would clip it). */
static size_t push(walk *w, const char *name, size_t index) {
  size_t saved = w->len;
  char digits[24], *d = digits + sizeof digits;
  const char *add = name;
  size_t n;
  if (name) {
    if (w->len && w->len < sizeof w->path - 1) w->path[w->len++] = '.';
    n = strlen(name);
  } else { /* "[index]", written by hand: this runs for every item of every list, and snprintf was most of it */
    *--d = ']';
    do *--d = (char)('0' + index % 10); while ((index /= 10) != 0);
    *--d = '[';
    add = d;
    n = (size_t)(digits + sizeof digits - d);
  }
  size_t room = sizeof w->path - 1 - w->len;
  if (n > room) n = room;
  memcpy(w->path + w->len, add, n);
  w->len += n;
  w->path[w->len] = '\0';
  return saved;
}

static void pop(walk *w, size_t saved) {
  w->len = saved;
  w->path[saved] = '\0';
}

static void violation(walk *w, const char *what) {
  hub_status_add_violation(w->a, &w->st, w->path, "%s", what);
  w->count++;
}

static bool char_ok(int chars, unsigned char c, size_t i) {
  bool lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9', upper = c >= 'A' && c <= 'Z';
  switch (chars) {
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_LINE: return c >= 0x20 && c != 0x7f;
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_TEXT: return !hub_utf8_is_control(c);
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_SLUG: return lower || digit || (c == '-' && i > 0);
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_IDENT: return lower || (i > 0 && (digit || c == '_'));
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_TAG: return lower || upper || digit || c == '_' || c == '-' || c == ':';
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_CURRENCY: return upper && i < 3;
    default: return true;
  }
}

static const char *chars_text(int chars) {
  switch (chars) {
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_LINE: return "one line without control characters";
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_TEXT: return "no control characters but tab and line breaks";
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_SLUG: return "lower-case letters, digits and '-', not first";
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_IDENT: return "a lower-case letter, then letters, digits and '_'";
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_TAG: return "letters, digits, '_', '-' and ':'";
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_CURRENCY: return "an ISO-4217 code: three upper-case letters";
    default: return "well-formed UTF-8";
  }
}

/* A string value: `item` says it is one item of a list (never skipped when empty). */
static void check_string(walk *w, const hub_field_rules *r, char *s, bool item) {
  if (!s || !*s) {
    if (r->required && !item) violation(w, "required");
    else if (item && (r->min_len || r->uuid || r->email || r->date || r->chars)) violation(w, "must not be empty");
    return;
  }
  if (r->date) {
    int64_t days;
    if (!hub_date_parse(s, &days)) violation(w, "not a date (YYYY-MM-DD, a day that exists)");
    return;
  }
  if (r->uuid) {
    if (!hub_uuid_normalize(s)) violation(w, "not a UUID");
    return;
  }
  if (r->email && !hub_email_valid(s)) {
    violation(w, "not an email address");
    return;
  }
  size_t n = 0, bytes = strlen(s);
  bool chars_ok = true;
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < bytes; n++) {
    size_t k = p[i] < 0x80 ? 1 : hub_utf8_char_len(p + i, bytes - i);
    if (!k) {
      violation(w, "not well-formed UTF-8");
      return;
    }
    if (chars_ok && r->chars && !(k == 1 ? char_ok(r->chars, p[i], n)
                                         : r->chars == HUB__API__V1__CHAR_CLASS__CHAR_CLASS_LINE ||
                                               r->chars == HUB__API__V1__CHAR_CLASS__CHAR_CLASS_TEXT))
      chars_ok = false;
    i += k;
  }
  if (r->chars == HUB__API__V1__CHAR_CLASS__CHAR_CLASS_CURRENCY && n != 3) chars_ok = false;
  char text[64];
  if (r->min_len && n < r->min_len) {
    snprintf(text, sizeof text, "at least %u characters", (unsigned)r->min_len);
    violation(w, text);
  } else if (r->max_len && n > r->max_len) {
    snprintf(text, sizeof text, "at most %u characters", (unsigned)r->max_len);
    violation(w, text);
  }
  if (!chars_ok) violation(w, chars_text(r->chars));
}

static void check_range(walk *w, const hub_field_rules *r, bool below, bool above, bool zero) {
  char text[96];
  if (r->required && zero) {
    violation(w, "required");
  } else if (below || above) {
    if (r->has_min && r->has_max)
      snprintf(text, sizeof text, "must be %lld to %lld", (long long)r->min, (long long)r->max);
    else if (below)
      snprintf(text, sizeof text, "must be at least %lld", (long long)r->min);
    else
      snprintf(text, sizeof text, "must be at most %lld", (long long)r->max);
    violation(w, text);
  }
}

static void check_int(walk *w, const hub_field_rules *r, int64_t v) {
  check_range(w, r, r->has_min && v < r->min, r->has_max && v > r->max, v == 0);
}

static void check_uint(walk *w, const hub_field_rules *r, uint64_t v) {
  bool below = r->has_min && r->min > 0 && v < (uint64_t)r->min;
  bool above = r->has_max && (r->max < 0 || v > (uint64_t)r->max);
  check_range(w, r, below, above, v == 0);
}

static void check_message(walk *w, const hub_message_rules *rules, ProtobufCMessage *msg);

static void check_value(walk *w, const hub_field_rules *r, const ProtobufCFieldDescriptor *fd, void *p, bool item) {
  switch (fd->type) {
    case PROTOBUF_C_TYPE_STRING: check_string(w, r, *(char **)p, item); break;
    case PROTOBUF_C_TYPE_BYTES:
      if (r->required && !item && ((ProtobufCBinaryData *)p)->len == 0) violation(w, "required");
      break;
    case PROTOBUF_C_TYPE_MESSAGE: {
      ProtobufCMessage *m = *(ProtobufCMessage **)p;
      if (!m) {
        if (r->required || item) violation(w, "required");
      } else if (r->message) {
        check_message(w, r->message, m);
      }
      break;
    }
    case PROTOBUF_C_TYPE_ENUM: {
      int v = *(int *)p;
      if (r->required && v == 0) violation(w, "required");
      else if (r->defined && !protobuf_c_enum_descriptor_get_value(fd->descriptor, v)) violation(w, "not a value of the enum");
      else check_int(w, r, v);
      break;
    }
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
      check_int(w, r, *(int32_t *)p);
      break;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
      check_int(w, r, *(int64_t *)p);
      break;
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32: check_uint(w, r, *(uint32_t *)p); break;
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: check_uint(w, r, *(uint64_t *)p); break;
    case PROTOBUF_C_TYPE_BOOL:
      if (r->required && !*(protobuf_c_boolean *)p) violation(w, "required");
      break;
    default: /* float and double: the generator allows no rules on them */
      break;
  }
}

/* Whether a singular field is present: the active member of its oneof, the has_ flag of a
 * proto3 `optional`, else always (proto3 reads an unset scalar as its zero). */
static bool present(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd) {
  const char *base = (const char *)msg;
  if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) return *(const uint32_t *)(base + fd->quantifier_offset) == fd->id;
  if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->type != PROTOBUF_C_TYPE_MESSAGE &&
      fd->type != PROTOBUF_C_TYPE_STRING)
    return *(const protobuf_c_boolean *)(base + fd->quantifier_offset);
  return true;
}

static void check_list(walk *w, const hub_field_rules *r, const ProtobufCFieldDescriptor *fd, ProtobufCMessage *msg) {
  char *base = (char *)msg;
  size_t n = *(size_t *)(base + fd->quantifier_offset);
  char *items = *(char **)(base + fd->offset);
  char text[64];
  if (r->required && n == 0) violation(w, "at least one item is required");
  if (r->max_items && n > r->max_items) {
    snprintf(text, sizeof text, "at most %u items", (unsigned)r->max_items);
    violation(w, text);
    return; /* a list past its bound is not walked item by item */
  }
  size_t size = fd->type == PROTOBUF_C_TYPE_STRING || fd->type == PROTOBUF_C_TYPE_MESSAGE ? sizeof(void *)
                : fd->type == PROTOBUF_C_TYPE_BYTES                                        ? sizeof(ProtobufCBinaryData)
                : fd->type == PROTOBUF_C_TYPE_INT64 || fd->type == PROTOBUF_C_TYPE_SINT64 ||
                        fd->type == PROTOBUF_C_TYPE_SFIXED64 || fd->type == PROTOBUF_C_TYPE_UINT64 ||
                        fd->type == PROTOBUF_C_TYPE_FIXED64 || fd->type == PROTOBUF_C_TYPE_DOUBLE
                    ? 8
                    : 4;
  for (size_t i = 0; i < n; i++) {
    size_t saved = push(w, NULL, i);
    check_value(w, r, fd, items + i * size, true);
    if (r->unique && fd->type == PROTOBUF_C_TYPE_STRING) {
      char **v = (char **)items;
      for (size_t j = 0; j < i; j++)
        if (v[i] && v[j] && strcmp(v[i], v[j]) == 0) {
          violation(w, "repeats an earlier item");
          break;
        }
    }
    pop(w, saved);
  }
}

static void check_message(walk *w, const hub_message_rules *rules, ProtobufCMessage *msg) {
  for (uint32_t i = 0; i < rules->n_fields; i++) {
    const hub_field_rules *r = &rules->fields[i];
    const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field(rules->descriptor, r->number);
    if (!fd) continue; /* cannot happen: the generator took the number from this message */
    size_t saved = push(w, fd->name, 0);
    if (fd->label == PROTOBUF_C_LABEL_REPEATED) check_list(w, r, fd, msg);
    else if (present(msg, fd)) check_value(w, r, fd, (char *)msg + fd->offset, false);
    else if (r->required) violation(w, "required");
    pop(w, saved);
  }
}

hub_status hub_validate(hub_arena *a, const hub_message_rules *rules, ProtobufCMessage *msg) {
  walk w = {.a = a, .st = HUB_STATUS_OK};
  if (!rules || !msg) return w.st;
  check_message(&w, rules, msg);
  if (w.count > 1)
    w.st.message = hub_arena_sprintf(a, "%s (and %zu more violation%s)", w.st.message, w.count - 1,
                                     w.count > 2 ? "s" : "");
  return w.st;
}
