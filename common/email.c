/* See email.h. */
#include "hub/email.h"

#include <string.h>

bool hub_email_valid(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 3 || n > 254) return false;
  const char *at = strchr(s, '@');
  if (!at || at == s || strchr(at + 1, '@')) return false;
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' || *p == ',' || *p == ';' || *p == '"')
      return false;
  const char *domain = at + 1;
  const char *dot = strrchr(domain, '.');
  return dot && dot > domain && dot[1] && domain[0] != '.' && !strstr(domain, "..");
}
