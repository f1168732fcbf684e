/* See array.h. */
#include "db/array.h"

#include <string.h>

char *hub_pg_array_literal(hub_arena *a, char *const *items, size_t n) {
  size_t cap = 3;
  for (size_t i = 0; i < n; i++) cap += 2 * strlen(items[i]) + 3;
  char *out = hub_arena_alloc(a, cap);
  size_t k = 0;
  out[k++] = '{';
  for (size_t i = 0; i < n; i++) {
    if (i) out[k++] = ',';
    out[k++] = '"';
    for (const char *p = items[i]; *p; p++) {
      if (*p == '"' || *p == '\\') out[k++] = '\\';
      out[k++] = *p;
    }
    out[k++] = '"';
  }
  out[k++] = '}';
  out[k] = '\0';
  return out;
}

size_t hub_pg_array_parse(hub_arena *a, const char *lit, char ***out) {
  *out = NULL;
  if (!lit || lit[0] != '{' || lit[1] == '}' || lit[1] == '\0') return 0;
  size_t cap = 1;
  for (const char *p = lit; *p; p++) cap += *p == ',';
  char **items = hub_arena_calloc(a, cap, sizeof *items);
  size_t n = 0, len = strlen(lit);
  char *buf = hub_arena_alloc(a, len + 1);
  const char *p = lit + 1;
  while (*p && *p != '}' && n < cap) {
    size_t k = 0;
    if (*p == '"') {
      p++;
      while (*p && *p != '"') {
        if (*p == '\\' && p[1]) p++;
        buf[k++] = *p++;
      }
      if (*p == '"') p++;
    } else {
      while (*p && *p != ',' && *p != '}') buf[k++] = *p++;
    }
    items[n++] = hub_arena_strndup(a, buf, k);
    if (*p == ',') p++;
  }
  *out = items;
  return n;
}
