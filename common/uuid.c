/* See hub/uuid.h. */
#include "hub/uuid.h"

#include <string.h>

/* 0 for a UUID already lower case, 1 for one with upper-case digits, -1 for no UUID. */
static int classify(const char *s) {
  if (!s || strlen(s) != 36) return -1;
  int upper = 0;
  for (int i = 0; i < 36; i++) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return -1;
    } else if (c >= 'A' && c <= 'F') {
      upper = 1;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return -1;
    }
  }
  return upper;
}

static void lower(char *s) {
  for (; *s; s++)
    if (*s >= 'A' && *s <= 'F') *s = (char)(*s - 'A' + 'a');
}

bool hub_uuid_normalize(char *s) {
  int k = classify(s);
  if (k == 1) lower(s);
  return k >= 0;
}

const char *hub_uuid_lower(hub_arena *a, const char *s) {
  int k = classify(s);
  if (k <= 0) return k == 0 ? s : NULL;
  char *copy = hub_arena_strdup(a, s);
  lower(copy);
  return copy;
}
