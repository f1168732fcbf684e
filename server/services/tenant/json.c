/* See json.h. */
#include "services/tenant/json.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>

char *tenant_json_object(hub_arena *a, ...) {
  json_t *o = json_object();
  va_list ap;
  va_start(ap, a);
  for (const char *k = va_arg(ap, const char *); k; k = va_arg(ap, const char *)) {
    const char *v = va_arg(ap, const char *);
    if (v) json_object_set_new(o, k, json_string(v));
  }
  va_end(ap);
  char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  char *out = hub_arena_strdup(a, text ? text : "{}");
  free(text);
  return out;
}
