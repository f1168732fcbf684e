/* The words of one notification in the brand's dress: the subject, a plain-text part, and an
 * HTML part with the brand's header logo, colour, footer and support address (the brand's
 * email template and white-label settings), every value escaped for HTML by render.c. The
 * in-app notification uses the same subject, text and link. Pure: the caller looks the brand
 * and the event up. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "services/notify/notify.h"

typedef struct ctx {
  hub_arena *a;
  const notify_brand *b;
  json_t *payload;
  const char *const *extra;
} ctx;

static const char *lookup(const char *name, size_t len, void *ud) {
  ctx *c = ud;
  for (const char *const *kv = c->extra; kv && kv[0]; kv += 2)
    if (strlen(kv[0]) == len && !strncmp(kv[0], name, len)) return kv[1];
  char key[64];
  if (len >= sizeof key) return NULL;
  memcpy(key, name, len);
  key[len] = '\0';
  if (!strcmp(key, "brand_name")) return c->b->name;
  if (!strcmp(key, "app_url")) return c->b->app_url;
  if (!strcmp(key, "support_address")) return c->b->support_address;
  json_t *v = c->payload ? json_object_get(c->payload, key) : NULL;
  if (json_is_string(v)) return json_string_value(v);
  if (json_is_integer(v)) return hub_arena_sprintf(c->a, "%lld", (long long)json_integer_value(v));
  return NULL;
}

void notify_compose(hub_arena *a, const notify_topic *t, const notify_brand *b, const char *payload_json,
                    const char *const *extra, const char *unsubscribe_url, notify_mail *out) {
  ctx c = {a, b, payload_json ? json_loads(payload_json, 0, NULL) : NULL, extra};
  out->subject = notify_render(a, t->subject, NOTIFY_AS_TEXT, lookup, &c);
  const char *text = notify_render(a, t->text, NOTIFY_AS_TEXT, lookup, &c);
  out->summary = text;
  out->path = *t->link ? notify_render(a, t->link, NOTIFY_AS_URL_PART, lookup, &c) : "";
  out->link = *out->path ? hub_arena_sprintf(a, "%s%s", b->app_url, out->path) : "";
  const char *footer = *b->footer ? b->footer : b->name;
  out->text = hub_arena_sprintf(a, "%s\n\n%s%s%s%s\n-- \n%s%s%s%s%s\n", text, *out->link ? t->action : "",
                                *out->link ? ": " : "", out->link, *out->link ? "\n" : "", footer,
                                *b->support_address ? "\nQuestions: " : "", b->support_address,
                                *unsubscribe_url ? "\nStop these mails: " : "", unsubscribe_url);
  const char *color = *b->primary_color ? b->primary_color : "#111827";
  const char *logo = *b->logo_url
                         ? hub_arena_sprintf(a, "<img src=\"%s\" alt=\"%s\" height=\"32\"><br><br>",
                                             notify_html_escape(a, b->logo_url), notify_html_escape(a, b->name))
                         : "";
  const char *button =
      *out->link ? hub_arena_sprintf(a,
                                     "<p><a href=\"%s\" style=\"display:inline-block;padding:10px 18px;background:%s;"
                                     "color:#ffffff;text-decoration:none;border-radius:4px\">%s</a></p>"
                                     "<p style=\"font-size:12px;color:#6b7280\">%s</p>",
                                     notify_html_escape(a, out->link), notify_html_escape(a, color),
                                     notify_html_escape(a, t->action), notify_html_escape(a, out->link))
                 : "";
  const char *unsubscribe = *unsubscribe_url ? hub_arena_sprintf(a, " &middot; <a href=\"%s\">Stop these mails</a>",
                                                                 notify_html_escape(a, unsubscribe_url))
                                             : "";
  const char *support =
      *b->support_address ? hub_arena_sprintf(a, "<br>Questions: %s", notify_html_escape(a, b->support_address)) : "";
  out->html = hub_arena_sprintf(
      a,
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title></head>"
      "<body style=\"font-family:Helvetica,Arial,sans-serif;color:#111827\">%s<h2 style=\"color:%s\">%s</h2>"
      "<p>%s</p>%s<hr style=\"border:none;border-top:1px solid #e5e7eb\">"
      "<p style=\"font-size:12px;color:#6b7280\">%s%s%s%s</p></body></html>",
      notify_html_escape(a, out->subject), logo, notify_html_escape(a, color), notify_html_escape(a, out->subject),
      notify_render(a, t->text, NOTIFY_AS_HTML, lookup, &c), button, notify_html_escape(a, footer), support,
      unsubscribe, b->hide_powered_by ? "" : "<br>Powered by SMB Hub");
  json_decref(c.payload);
}

void notify_compose_digest(hub_arena *a, const notify_brand *b, int n, const notify_digest_line *lines,
                           notify_mail *out) {
  out->subject = hub_arena_sprintf(a, "%d notification%s from %s", n, n == 1 ? "" : "s", b->name);
  out->summary = out->subject;
  out->path = "/settings/notifications";
  out->link = hub_arena_sprintf(a, "%s%s", b->app_url, out->path);
  const char *footer = *b->footer ? b->footer : b->name;
  const char *text = "", *items = "";
  for (int i = 0; i < n; i++) {
    text = hub_arena_sprintf(a, "%s- %s\n  %s%s%s\n", text, lines[i].subject, lines[i].summary,
                             *lines[i].link ? "\n  " : "", lines[i].link);
    items = hub_arena_sprintf(
        a, "%s<li><p><strong>%s</strong><br>%s%s%s%s</p></li>", items, notify_html_escape(a, lines[i].subject),
        notify_html_escape(a, lines[i].summary), *lines[i].link ? "<br><a href=\"" : "",
        *lines[i].link ? notify_html_escape(a, lines[i].link) : "", *lines[i].link ? "\">Open</a>" : "");
  }
  out->text = hub_arena_sprintf(a, "%s\n\n%s\nChoose what comes as a digest: %s\n-- \n%s\n", out->subject, text,
                                out->link, footer);
  const char *color = *b->primary_color ? b->primary_color : "#111827";
  out->html = hub_arena_sprintf(
      a,
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title></head>"
      "<body style=\"font-family:Helvetica,Arial,sans-serif;color:#111827\"><h2 style=\"color:%s\">%s</h2><ul>%s</ul>"
      "<p style=\"font-size:12px;color:#6b7280\"><a href=\"%s\">Choose what comes as a "
      "digest</a><br>%s%s</p></body></html>",
      notify_html_escape(a, out->subject), notify_html_escape(a, color), notify_html_escape(a, out->subject), items,
      notify_html_escape(a, out->link), notify_html_escape(a, footer),
      b->hide_powered_by ? "" : "<br>Powered by SMB Hub");
}
