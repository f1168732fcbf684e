/* See fields.h. */
#include "aip/fields.h"

#include <string.h>

#include "hub/utf8.h"

bool hub_text_ok(const char *s, size_t max, bool multiline) {
  if (!s) return true;
  size_t n = strlen(s);
  if (n > max) return false;
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    if (p[i] >= 0x80) { /* one well-formed character, or refused */
      size_t k = hub_utf8_char_len(p + i, n - i);
      if (!k) return false;
      i += k;
      continue;
    }
    if ((p[i] < 0x20 && !(multiline && (p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))) || p[i] == 0x7f) return false;
    i++;
  }
  return true;
}

bool hub_https_url_ok(const char *s) {
  if (!s || strncmp(s, "https://", 8) != 0 || strlen(s) > 2048) return false;
  const char *host = s + 8;
  size_t hn = strcspn(host, "/?#");
  if (hn == 0) return false;
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\') return false;
  for (size_t i = 0; i < hn; i++) {
    char c = host[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
          c == ':'))
      return false;
  }
  return true;
}

hub_status hub_update_mask(hub_arena *a, const Google__Protobuf__FieldMask *mask, const char *const *allowed,
                           unsigned *bits) {
  *bits = 0;
  if (!mask || mask->n_paths == 0) return hub_status_invalid(a, "update_mask", "name the fields to change");
  for (size_t i = 0; i < mask->n_paths; i++) {
    int found = -1;
    for (int k = 0; allowed[k] && k < 32 && found < 0; k++)
      if (strcmp(mask->paths[i], allowed[k]) == 0) found = k;
    if (found < 0)
      return hub_status_invalid(a, "update_mask", "\"%s\" cannot be changed here", hub_status_quote(a, mask->paths[i]));
    if (*bits & (1u << found)) return hub_status_invalid(a, "update_mask", "\"%s\" is named twice", allowed[found]);
    *bits |= 1u << found;
  }
  return HUB_STATUS_OK;
}
