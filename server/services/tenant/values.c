/* Values the contract's field rules cannot express (tenant.h): plain loops over bytes, no
 * regex library. */
#include <stdlib.h>
#include <string.h>

#include "services/tenant/tenant.h"

static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static bool slug_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 2 || n > 63 || !(is_lower(s[0]) || is_digit(s[0]))) return false;
  for (size_t i = 1; i < n; i++)
    if (!(is_lower(s[i]) || is_digit(s[i]) || s[i] == '-')) return false;
  return true;
}

char *tenant_slug_from_name(hub_arena *a, const char *name) {
  size_t n = strlen(name);
  char *out = hub_arena_alloc(a, n + 1);
  size_t k = 0;
  bool dash = false;
  for (size_t i = 0; i < n && k < 63; i++) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (is_lower(c) || is_digit(c)) {
      if (dash && k > 0) {
        if (k >= 62) break; /* no room for "-" and another character */
        out[k++] = '-';
      }
      dash = false;
      out[k++] = c;
    } else {
      dash = true;
    }
  }
  while (k > 0 && out[k - 1] == '-') k--;
  out[k] = '\0';
  return slug_ok(out) ? out : NULL;
}

char *tenant_lower(hub_arena *a, const char *s) {
  char *out = hub_arena_strdup(a, s);
  for (char *p = out; *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  return out;
}

bool tenant_host_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 3 || n > 253 || !strchr(s, '.')) return false;
  size_t label = 0;
  for (size_t i = 0; i <= n; i++) {
    char c = s[i];
    if (c == '.' || c == '\0') {
      if (label == 0 || label > 63 || s[i - 1] == '-') return false;
      label = 0;
    } else if (is_lower(c) || is_digit(c) || (c == '-' && label > 0)) {
      label++;
    } else {
      return false;
    }
  }
  return true;
}

bool tenant_colour_ok(const char *s) {
  if (!s || strlen(s) != 7 || s[0] != '#') return false;
  for (int i = 1; i < 7; i++)
    if (!is_hex(s[i])) return false;
  return true;
}

bool tenant_brand_id_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 2 || n > 32 || !is_lower(s[0])) return false;
  for (size_t i = 1; i < n; i++)
    if (!(is_lower(s[i]) || s[i] == '_')) return false;
  return true;
}

int tenant_role_rank(const char *role) {
  if (!role) return 0;
  if (strcmp(role, "owner") == 0) return 4;
  if (strcmp(role, "admin") == 0) return 3;
  if (strcmp(role, "member") == 0) return 2;
  if (strcmp(role, "viewer") == 0) return 1;
  return 0;
}

bool tenant_permission_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 5 || n > 63) return false;
  int parts = 0;
  const char *p = s;
  while (parts < 3) {
    size_t len = strcspn(p, ".");
    if (len == 0) return false;
    if (!(len == 1 && p[0] == '*'))
      for (size_t i = 0; i < len; i++)
        if (!(is_lower(p[i]) || p[i] == '_')) return false;
    parts++;
    p += len;
    if (*p == '\0') break;
    p++;
  }
  return parts == 3 && *p == '\0';
}

bool tenant_flag_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 2 || n > 64 || !is_lower(s[0])) return false;
  for (size_t i = 1; i < n; i++)
    if (!(is_lower(s[i]) || is_digit(s[i]) || s[i] == '_' || s[i] == '.')) return false;
  return true;
}

hub_status tenant_etag(hub_arena *a, const char *etag, int64_t *out) {
  *out = -1;
  if (!etag || !*etag) return HUB_STATUS_OK;
  bool digits = strlen(etag) <= 18;
  for (const char *p = etag; *p && digits; p++) digits = is_digit(*p);
  if (digits) *out = strtoll(etag, NULL, 10);
  return digits && *out > 0 ? HUB_STATUS_OK : hub_status_invalid(a, "etag", "not an etag from this service");
}

hub_status tenant_check_list(hub_arena *a, const char *field, char **items, size_t n, size_t max,
                             bool (*ok)(const char *)) {
  if (n > max) return hub_status_invalid(a, field, "at most %zu items", max);
  for (size_t i = 0; i < n; i++) {
    const char *why = !ok(items[i]) ? "not a valid value" : NULL;
    for (size_t k = 0; k < i && !why; k++)
      if (strcmp(items[i], items[k]) == 0) why = "repeated";
    if (why) return hub_status_invalid(a, hub_arena_sprintf(a, "%s[%zu]", field, i), "%s", why);
  }
  return HUB_STATUS_OK;
}

hub_status tenant_check_items(hub_arena *a, const char *field, char **items, size_t n, bool (*ok)(const char *),
                              const char *what) {
  for (size_t i = 0; i < n; i++)
    if (!ok(items[i])) return hub_status_invalid(a, hub_arena_sprintf(a, "%s[%zu]", field, i), "%s", what);
  return HUB_STATUS_OK;
}
