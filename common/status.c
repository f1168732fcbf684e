/* hub_status constructors and code names (see hub/status.h). */
#include "hub/status.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hub/assert.h"
#include "hub/utf8.h"

static const char *const names[HUB_CODE_COUNT] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
};

const char *hub_code_name(hub_code code) {
  return (unsigned)code < HUB_CODE_COUNT ? names[code] : "UNKNOWN";
}

bool hub_code_parse(const char *text, hub_code *out) {
  if (!text || !*text) return false;
  for (int i = 0; i < HUB_CODE_COUNT; i++) {
    if (strcmp(text, names[i]) == 0) {
      *out = (hub_code)i;
      return true;
    }
  }
  char *end;
  long v = strtol(text, &end, 10);
  if (*end || v < 0 || v >= HUB_CODE_COUNT) return false;
  *out = (hub_code)v;
  return true;
}

hub_status hub_status_new(hub_arena *arena, hub_code code, const char *fmt, ...) {
  HUB_ASSERT(arena); /* fixed text goes through hub_status_fixed */
  if (!arena) return hub_status_fixed(code, hub_code_name(code)); /* never the format itself */
  va_list ap;
  va_start(ap, fmt);
  hub_status st = {code, hub_arena_vsprintf(arena, fmt, ap), NULL};
  va_end(ap);
  return st;
}

static hub_violation *violation_v(hub_arena *arena, const char *field, const char *fmt, va_list ap) {
  hub_violation *v = hub_arena_calloc(arena, 1, sizeof *v);
  v->field = hub_arena_strdup(arena, field);
  v->description = hub_arena_vsprintf(arena, fmt, ap);
  return v;
}

hub_status hub_status_invalid(hub_arena *arena, const char *field, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hub_violation *v = violation_v(arena, field, fmt, ap);
  va_end(ap);
  return (hub_status){HUB_INVALID_ARGUMENT,
                      hub_arena_sprintf(arena, "%s: %s", v->field, v->description), v};
}

void hub_status_add_violation(hub_arena *arena, hub_status *st, const char *field, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hub_violation *v = violation_v(arena, field, fmt, ap);
  va_end(ap);
  if (st->code != HUB_INVALID_ARGUMENT) {
    *st = (hub_status){HUB_INVALID_ARGUMENT,
                       hub_arena_sprintf(arena, "%s: %s", v->field, v->description), v};
    return;
  }
  hub_violation **tail = &st->violations;
  while (*tail) tail = &(*tail)->next;
  *tail = v;
}

/* `s` within max_bytes (and free of control characters and ill-formed UTF-8): `s` itself
 * when it already is, else a clipped copy in the arena. */
static const char *bound(hub_arena *arena, const char *s, size_t max_chars, size_t max_bytes) {
  if (!s) return s;
  size_t len = strlen(s);
  bool clean = len <= max_bytes && hub_utf8_valid(s, len);
  for (const unsigned char *p = (const unsigned char *)s; clean && *p; p++) clean = !hub_utf8_is_control(*p);
  if (clean && max_chars >= len) return s;
  char *out = hub_arena_alloc(arena, max_bytes + 4);
  hub_utf8_clip(out, s, max_chars, max_bytes);
  return out;
}

hub_status hub_status_bounded(hub_arena *arena, hub_status st) {
  st.message = bound(arena, st.message, HUB_STATUS_MESSAGE_MAX, HUB_STATUS_MESSAGE_MAX);
  hub_violation *out = NULL, **tail = &out;
  size_t n = 0, dropped = 0, bytes = 0;
  for (hub_violation *v = st.violations; v; v = v->next) {
    const char *field = bound(arena, v->field, HUB_STATUS_FIELD_MAX, HUB_STATUS_FIELD_MAX);
    const char *description = bound(arena, v->description, HUB_STATUS_MESSAGE_MAX, HUB_STATUS_MESSAGE_MAX);
    size_t size = (field ? strlen(field) : 0) + (description ? strlen(description) : 0);
    if (n == HUB_STATUS_VIOLATIONS_MAX || bytes + size > HUB_STATUS_VIOLATION_BYTES) {
      dropped++;
      continue;
    }
    bytes += size;
    hub_violation *c = hub_arena_alloc(arena, sizeof *c);
    c->field = field;
    c->description = description;
    c->next = NULL;
    *tail = c;
    tail = &c->next;
    n++;
  }
  st.violations = out;
  if (dropped) {
    char *m = hub_arena_sprintf(arena, "%s (and %zu more violations)", st.message ? st.message : "", dropped);
    st.message = bound(arena, m, HUB_STATUS_MESSAGE_MAX, HUB_STATUS_MESSAGE_MAX);
  }
  return st;
}

const char *hub_status_quote(hub_arena *arena, const char *value) {
  /* 4 bytes a character at most */
  return bound(arena, value ? value : "", HUB_STATUS_QUOTE_MAX, HUB_STATUS_QUOTE_MAX * 4);
}

hub_status hub_status_at_field(hub_arena *arena, hub_status st, const char *field) {
  if (st.code != HUB_NOT_FOUND || !field || !st.message) return st;
  size_t n = strlen(field);
  if (strncmp(st.message, field, n) == 0 && st.message[n] == ':') return st;
  st.message = hub_arena_sprintf(arena, "%s: %s", field, st.message);
  return st;
}
