/* Lookups over the generated tables (hub_all_methods, hub_file_descriptors, hub_symbols). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/descriptors.h"
#include "hub/method.h"

const hub_method_def *hub_method_find(const char *name) {
  /* Accept "/pkg.Svc/M", "pkg.Svc/M" and "pkg.Svc.M". */
  char path[512];
  if (!name || strlen(name) + 2 > sizeof path) return NULL;
  if (name[0] == '/') {
    snprintf(path, sizeof path, "%s", name);
  } else {
    snprintf(path, sizeof path, "/%s", name);
    if (!strchr(path + 1, '/')) {
      char *dot = strrchr(path, '.');
      if (!dot) return NULL;
      *dot = '/';
    }
  }
  size_t lo = 0, hi = hub_all_methods_count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(hub_all_methods[mid]->path, path);
    if (c == 0) return hub_all_methods[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

const hub_file_descriptor *hub_descriptor_by_file(const char *name) {
  for (size_t i = 0; i < hub_file_descriptors_count; i++)
    if (strcmp(hub_file_descriptors[i].name, name) == 0) return &hub_file_descriptors[i];
  return NULL;
}

static int cmp_symbol(const void *key, const void *elem) {
  return strcmp(key, ((const hub_symbol *)elem)->name);
}

const hub_file_descriptor *hub_descriptor_by_symbol(const char *symbol) {
  char name[512];
  if (!symbol) return NULL;
  if (symbol[0] == '.') symbol++;
  if (strlen(symbol) >= sizeof name) return NULL;
  strcpy(name, symbol);
  /* A field or enum value is not in the table: walk up to its parent. */
  for (;;) {
    const hub_symbol *s = bsearch(name, hub_symbols, hub_symbols_count, sizeof *hub_symbols, cmp_symbol);
    if (s) return &hub_file_descriptors[s->file];
    char *dot = strrchr(name, '.');
    if (!dot) return NULL;
    *dot = '\0';
  }
}
