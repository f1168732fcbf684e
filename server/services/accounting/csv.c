/* CSV exports of the books (GetReport, GetTaxSummary): RFC 4180 fields built into the call's
 * arena, and minor units written as decimals of their currency. */
#include <string.h>

#include "services/accounting/accounting.h"

static void put(accounting_text *t, const char *s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    size_t cap = (t->len + n + 1) * 2;
    char *grown = hub_arena_alloc(t->a, cap);
    if (t->len) memcpy(grown, t->s, t->len);
    t->s = grown, t->cap = cap;
  }
  memcpy(t->s + t->len, s, n);
  t->len += n;
  t->s[t->len] = '\0';
}

void accounting_csv_field(accounting_text *t, const char *s, bool last) {
  if (strpbrk(s, ",\"\r\n")) {
    put(t, "\"", 1);
    for (const char *q; (q = strchr(s, '"')); s = q + 1) put(t, s, (size_t)(q - s) + 1), put(t, "\"", 1);
    put(t, s, strlen(s));
    put(t, "\"", 1);
  } else {
    put(t, s, strlen(s));
  }
  put(t, last ? "\r\n" : ",", last ? 2 : 1);
}

const char *accounting_decimal_text(hub_arena *a, int64_t v, int exp) {
  if (exp <= 0) return hub_arena_sprintf(a, "%lld", (long long)v);
  uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, p = 1;
  for (int i = 0; i < exp; i++) p *= 10;
  return hub_arena_sprintf(a, "%s%llu.%0*llu", v < 0 ? "-" : "", (unsigned long long)(m / p), exp,
                           (unsigned long long)(m % p));
}
