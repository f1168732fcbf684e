/* The profile's value rules (see profile_rules.h). A BCP 47 tag is checked for
 * well-formedness by RFC 5646's grammar, not against the IANA subtag registry: clients send
 * what their platform produced, and a tag the registry lacks today may be registered
 * tomorrow; the shape is what keeps junk and injection out. */
#include <ctype.h>
#include <string.h>

#include "services/auth/profile_rules.h"
#include "hub/calendar.h"

#define LOCALE_MAX 64

static bool all(const char *s, size_t n, int (*is)(int)) {
  for (size_t i = 0; i < n; i++)
    if (!is((unsigned char)s[i])) return false;
  return true;
}

/* Subtag shapes of RFC 5646's langtag production. */
static bool letters(const char *s, size_t n, size_t lo, size_t hi) { return n >= lo && n <= hi && all(s, n, isalpha); }
static bool alnums(const char *s, size_t n, size_t lo, size_t hi) { return n >= lo && n <= hi && all(s, n, isalnum); }
static bool variant(const char *s, size_t n) {
  return alnums(s, n, 5, 8) || (n == 4 && isdigit((unsigned char)s[0]) && all(s, n, isalnum));
}

char *auth_locale_canonical(hub_arena *a, const char *tag) {
  size_t len = tag ? strlen(tag) : 0;
  if (len < 2 || len > LOCALE_MAX || tag[len - 1] == '-') return NULL;
  char *out = hub_arena_strdup(a, tag);
  for (char *c = out; *c; c++) *c = (char)tolower((unsigned char)*c);
  char *sub[LOCALE_MAX / 2 + 1];
  size_t sn[LOCALE_MAX / 2 + 1], n = 0;
  for (char *p = out;; p++) { /* split at '-' (out keeps its dashes) */
    sub[n] = p;
    sn[n] = strcspn(p, "-");
    if (sn[n] == 0) return NULL;
    p += sn[n++];
    if (!*p) break;
  }
  size_t i = 0;
  if (!letters(sub[0], sn[0], 2, 3)) return NULL; /* the registry assigns no 4-8 letter language */
  i++;
  for (int ext = 0; ext < 3 && i < n && letters(sub[i], sn[i], 3, 3); ext++) i++; /* extlang */
  if (i < n && letters(sub[i], sn[i], 4, 4)) { /* script */
    sub[i][0] = (char)toupper((unsigned char)sub[i][0]);
    i++;
  }
  if (i < n && (letters(sub[i], sn[i], 2, 2) || (sn[i] == 3 && all(sub[i], 3, isdigit)))) { /* region */
    for (size_t k = 0; k < sn[i]; k++) sub[i][k] = (char)toupper((unsigned char)sub[i][k]);
    i++;
  }
  while (i < n && variant(sub[i], sn[i])) i++;
  while (i < n && sn[i] == 1 && sub[i][0] != 'x' && isalnum((unsigned char)sub[i][0])) { /* extensions */
    size_t first = ++i;
    while (i < n && alnums(sub[i], sn[i], 2, 8)) i++;
    if (i == first) return NULL;
  }
  if (i < n && sn[i] == 1 && sub[i][0] == 'x') { /* private use */
    size_t first = ++i;
    while (i < n && alnums(sub[i], sn[i], 1, 8)) i++;
    if (i == first) return NULL;
  }
  return i == n ? out : NULL;
}

bool auth_time_zone_ok(const char *name) {
  if (!name || strlen(name) > 64) return false;
  return hub_tz_get(name) != NULL;
}
