/* Small helpers of the Ticket service (see ticket.h). */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/ticket/ticket.h"

int64_t hub_ticket_now_s(void) { return (int64_t)time(NULL); }

Google__Protobuf__Timestamp *hub_ticket_ts(hub_arena *a, int64_t unix_s) {
  if (unix_s <= 0) return NULL;
  Google__Protobuf__Timestamp *t = hub_arena_alloc(a, sizeof *t);
  google__protobuf__timestamp__init(t);
  t->seconds = unix_s;
  return t;
}

int64_t hub_ticket_epoch(const char *text) { return text ? strtoll(text, NULL, 10) : 0; }

const char *hub_ticket_tenant(hub_call *call) { return hub_principal_of(call)->tenant_id; }
const char *hub_ticket_actor(hub_call *call) { return hub_principal_of(call)->user_id; }

hub_status hub_ticket_page_size(hub_arena *a, int32_t requested, int *out) {
  if (requested < 0) return hub_status_invalid(a, "page_size", "must not be negative");
  *out = requested == 0 ? 50 : requested > 500 ? 500 : requested;
  return HUB_STATUS_OK;
}

char *hub_ticket_cursor_encode(hub_arena *a, const char *first, const char *second) {
  char *plain = hub_arena_sprintf(a, "%s|%s", first, second);
  size_t len = strlen(plain);
  char *out = hub_arena_alloc(a, 4 * ((len + 2) / 3) + 1);
  int n = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)plain, (int)len);
  while (n > 0 && out[n - 1] == '=') n--;
  out[n] = '\0';
  for (char *p = out; *p; p++) *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  return out;
}

bool hub_ticket_cursor_decode(hub_arena *a, const char *token, char **first, char **second) {
  size_t n = strlen(token);
  if (n == 0 || n > 400) return false;
  char *tmp = hub_arena_alloc(a, n + 4);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    char c = token[i];
    if (!(isalnum((unsigned char)c) || c == '-' || c == '_')) return false;
    tmp[k++] = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  while (k % 4) tmp[k++] = '=';
  tmp[k] = '\0';
  unsigned char *raw = hub_arena_alloc(a, k + 1);
  int len = EVP_DecodeBlock(raw, (unsigned char *)tmp, (int)k);
  if (len < 0) return false;
  while (k && tmp[k - 1] == '=') len--, k--;
  raw[len] = '\0';
  char *bar = strchr((char *)raw, '|');
  if (!bar || strchr(bar + 1, '|')) return false;
  *bar = '\0';
  *first = (char *)raw;
  *second = bar + 1;
  return true;
}

hub_status hub_ticket_tags_literal(hub_arena *a, const char *field, char **tags, size_t n, char **literal) {
  if (n > 50) return hub_status_invalid(a, field, "at most 50 tags");
  size_t cap = 3 + n * 52;
  char *out = hub_arena_alloc(a, cap);
  size_t len = 0;
  out[len++] = '{';
  int kept = 0;
  char **seen = hub_arena_calloc(a, n ? n : 1, sizeof *seen);
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(tags[i]);
    if (l == 0 || l > 50) return hub_status_invalid(a, field, "a tag has 1 to 50 characters");
    char *t = hub_arena_strdup(a, tags[i]);
    for (char *p = t; *p; p++) {
      *p = (char)tolower((unsigned char)*p);
      if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == ':'))
        return hub_status_invalid(a, field, "tags use letters, digits, '_', '-' and ':'");
    }
    bool dup = false;
    for (int k = 0; k < kept && !dup; k++) dup = !strcmp(seen[k], t);
    if (dup) continue;
    seen[kept] = t;
    if (kept++) out[len++] = ',';
    memcpy(out + len, t, l);
    len += l;
  }
  out[len++] = '}';
  out[len] = '\0';
  *literal = out;
  return HUB_STATUS_OK;
}

hub_status hub_ticket_uuid_array(hub_arena *a, const char *field, char **ids, size_t n, char **literal) {
  if (n > 500) return hub_status_invalid(a, field, "at most 500 ids");
  char *out = hub_arena_alloc(a, 3 + n * 37);
  size_t len = 0;
  out[len++] = '{';
  for (size_t i = 0; i < n; i++) {
    if (!hub_uuid_valid(ids[i])) return hub_status_invalid(a, field, "not an id: each must be a UUID");
    if (i) out[len++] = ',';
    memcpy(out + len, ids[i], 36);
    len += 36;
  }
  out[len++] = '}';
  out[len] = '\0';
  *literal = out;
  return HUB_STATUS_OK;
}

size_t hub_ticket_parse_array(hub_arena *a, const char *lit, char ***out) {
  size_t n = 0;
  if (!lit || lit[0] != '{' || lit[1] == '}') {
    *out = NULL;
    return 0;
  }
  for (const char *p = lit; *p; p++) n += *p == ',';
  n++;
  char **arr = hub_arena_calloc(a, n, sizeof *arr);
  char *copy = hub_arena_strdup(a, lit + 1);
  size_t k = 0;
  char *save = NULL;
  copy[strlen(copy) - 1] = '\0'; /* the closing brace */
  for (char *tok = strtok_r(copy, ",", &save); tok && k < n; tok = strtok_r(NULL, ",", &save)) {
    if (*tok == '"') { /* quoted element: our values never contain quotes or commas */
      tok++;
      char *q = strrchr(tok, '"');
      if (q) *q = '\0';
    }
    arr[k++] = tok;
  }
  *out = arr;
  return k;
}
