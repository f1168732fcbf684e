/* Name mangling mirroring protobuf-c 1.4's c_helpers.cc (CamelToLower, ToCamel,
 * FullNameToC, FullNameToLower). Any drift shows up as a compile error of generated code. */
#include "names.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *name_camel_to_lower(const char *name) {
  size_t n = strlen(name);
  char *out = malloc(2 * n + 1), *p = out;
  if (!out) abort();
  bool was_upper = true; /* suppresses a leading '_' */
  for (size_t i = 0; i < n; i++) {
    bool is_upper = isupper((unsigned char)name[i]);
    if (is_upper) {
      if (!was_upper) *p++ = '_';
      *p++ = (char)tolower((unsigned char)name[i]);
    } else {
      *p++ = name[i];
    }
    was_upper = is_upper;
  }
  *p = '\0';
  return out;
}

static void append(char **out, size_t *len, const char *s) {
  size_t n = strlen(s);
  *out = realloc(*out, *len + n + 1);
  if (!*out) abort();
  memcpy(*out + *len, s, n + 1);
  *len += n;
}

/* Splits a dotted name and joins the converted pieces with "__". */
static char *convert_full(const char *full, bool lower) {
  char *copy = strdup(full[0] == '.' ? full + 1 : full), *save = NULL;
  char *out = calloc(1, 1);
  size_t len = 0;
  for (char *piece = strtok_r(copy, ".", &save); piece; piece = strtok_r(NULL, ".", &save)) {
    if (len) append(&out, &len, "__");
    if (lower) {
      char *l = name_camel_to_lower(piece);
      append(&out, &len, l);
      free(l);
    } else { /* ToCamel: drop '_', upper-case the first letter and each one after a '_' */
      char buf[256];
      size_t k = 0;
      for (size_t i = 0; piece[i] && k < sizeof buf - 1; i++) {
        if (piece[i] == '_') continue;
        buf[k++] = (i == 0 || piece[i - 1] == '_') ? (char)toupper((unsigned char)piece[i]) : piece[i];
      }
      buf[k] = '\0';
      append(&out, &len, buf);
    }
  }
  free(copy);
  return out;
}

char *name_full_to_c_type(const char *full) { return convert_full(full, false); }
char *name_full_to_c_lower(const char *full) { return convert_full(full, true); }

char *name_file_stem(const char *path) {
  size_t n = strlen(path);
  if (n > 6 && strcmp(path + n - 6, ".proto") == 0) n -= 6;
  char *out = malloc(n + 1);
  if (!out) abort();
  memcpy(out, path, n);
  out[n] = '\0';
  return out;
}

char *name_service_base(const char *package, const char *service) {
  const char *pkg = package ? package : "";
  if (strncmp(pkg, "hub.", 4) == 0) pkg += 4;
  char *svc = name_camel_to_lower(service);
  size_t n = strlen(pkg) + strlen(svc) + 2;
  char *out = malloc(n);
  if (!out) abort();
  snprintf(out, n, "%s%s%s", pkg, *pkg ? "_" : "", svc);
  for (char *p = out; *p; p++)
    if (*p == '.') *p = '_';
  free(svc);
  return out;
}
