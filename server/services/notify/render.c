/* The template engine of notifications: {{name}} replaced by a value, escaped for where it
 * lands. Values come from events (a tenant's name, a ticket's subject, someone's display
 * name), so in HTML every one is escaped, and in a URL every one is percent-encoded (libcurl's
 * curl_easy_escape); nothing a value holds can open a tag or leave a link. There are no
 * conditionals or loops: a notification's words are sentences with blanks. */
#include <curl/curl.h>
#include <string.h>

#include "services/notify/notify.h"

typedef struct out_buf {
  hub_arena *a;
  char *p;
  size_t len, cap;
} out_buf;

static void put(out_buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (b->len + n + 1 > cap) cap *= 2;
    char *p = hub_arena_alloc(b->a, cap);
    if (b->len) memcpy(p, b->p, b->len);
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void put_html(out_buf *b, const char *s) {
  for (const char *run = s;; s++) {
    const char *rep = *s == '&'    ? "&amp;"
                      : *s == '<'  ? "&lt;"
                      : *s == '>'  ? "&gt;"
                      : *s == '"'  ? "&quot;"
                      : *s == '\'' ? "&#39;"
                                   : NULL;
    if (!rep && *s) continue;
    put(b, run, (size_t)(s - run));
    if (!*s) return;
    put(b, rep, strlen(rep));
    run = s + 1;
  }
}

static void put_value(out_buf *b, const char *v, notify_escape how) {
  if (!v || !*v) return;
  if (how == NOTIFY_AS_HTML) {
    put_html(b, v);
  } else if (how == NOTIFY_AS_URL_PART) {
    char *e = curl_easy_escape(NULL, v, (int)strlen(v));
    if (e) put(b, e, strlen(e));
    curl_free(e);
  } else {
    put(b, v, strlen(v));
  }
}

static size_t name_len(const char *s) {
  size_t n = 0;
  while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_') n++;
  return n;
}

char *notify_render(hub_arena *a, const char *tmpl, notify_escape how, notify_lookup lookup, void *ud) {
  out_buf b = {.a = a};
  put(&b, "", 0);
  const char *run = tmpl;
  for (const char *s = tmpl; *s;) {
    size_t n;
    if (s[0] == '{' && s[1] == '{' && (n = name_len(s + 2)) > 0 && s[2 + n] == '}' && s[3 + n] == '}') {
      put(&b, run, (size_t)(s - run));
      put_value(&b, lookup(s + 2, n, ud), how);
      s += n + 4;
      run = s;
    } else {
      s++;
    }
  }
  put(&b, run, strlen(run));
  return b.p;
}

char *notify_html_escape(hub_arena *a, const char *s) {
  out_buf b = {.a = a};
  put(&b, "", 0);
  put_html(&b, s ? s : "");
  return b.p;
}
