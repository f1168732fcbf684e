/* See flags.h. */
#include "flags.h"

#include <string.h>

const char *interop_flag_value(int argc, char **argv, int *i, const char *name) {
  size_t n = strlen(name);
  const char *a = argv[*i];
  if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0) return NULL;
  if (a[2 + n] == '=') return a + 3 + n;
  if (a[2 + n] == '\0' && *i + 1 < argc) return argv[++*i];
  return NULL;
}

bool interop_parse_bool(const char *v, bool *out) {
  if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) *out = true;
  else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) *out = false;
  else return false;
  return true;
}
