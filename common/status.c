/* hub_status constructors and code names (see hub/status.h). */
#include "hub/status.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
  hub_status st = {code, fmt, NULL};
  if (arena) {
    va_list ap;
    va_start(ap, fmt);
    st.message = hub_arena_vsprintf(arena, fmt, ap);
    va_end(ap);
  }
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
