/* Small JSON documents (tenant.h): brand settings as the brands table stores them, and the
 * objects of audit details and outbox messages, built with jansson so every value is escaped. */
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>

#include "services/tenant/tenant.h"

static void put(json_t *o, const char *k, const char *v) {
  if (v && *v) json_object_set_new(o, k, json_string(v));
}

static char *dump(hub_arena *a, json_t *o) {
  char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  char *out = hub_arena_strdup(a, text ? text : "{}");
  free(text);
  return out;
}

char *tenant_json_object(hub_arena *a, ...) {
  json_t *o = json_object();
  va_list ap;
  va_start(ap, a);
  for (const char *k = va_arg(ap, const char *); k; k = va_arg(ap, const char *)) {
    const char *v = va_arg(ap, const char *);
    if (v) json_object_set_new(o, k, json_string(v));
  }
  va_end(ap);
  return dump(a, o);
}

char *tenant_theme_json(hub_arena *a, const Hub__Tenant__V1__Theme *m) {
  json_t *o = json_object();
  if (m) {
    put(o, "primary_color", m->primary_color);
    put(o, "secondary_color", m->secondary_color);
    put(o, "logo_url", m->logo_url);
    put(o, "favicon_url", m->favicon_url);
    put(o, "custom_css", m->custom_css);
  }
  return dump(a, o);
}

char *tenant_email_json(hub_arena *a, const Hub__Tenant__V1__EmailTemplate *m) {
  json_t *o = json_object();
  if (m) {
    put(o, "header_logo_url", m->header_logo_url);
    put(o, "footer_text", m->footer_text);
    put(o, "support_address", m->support_address);
  }
  return dump(a, o);
}

char *tenant_seo_json(hub_arena *a, const Hub__Tenant__V1__Seo *m) {
  json_t *o = json_object();
  if (m) {
    put(o, "title", m->title);
    put(o, "description", m->description);
    if (m->n_keywords) {
      json_t *k = json_array();
      for (size_t i = 0; i < m->n_keywords; i++) json_array_append_new(k, json_string(m->keywords[i]));
      json_object_set_new(o, "keywords", k);
    }
  }
  return dump(a, o);
}

char *tenant_white_label_json(hub_arena *a, const Hub__Tenant__V1__WhiteLabel *m) {
  json_t *o = json_object();
  if (m) {
    json_object_set_new(o, "hide_powered_by", json_boolean(m->hide_powered_by));
    put(o, "sender_name", m->sender_name);
  }
  return dump(a, o);
}

static json_t *load(const char *text) {
  json_t *o = text ? json_loads(text, 0, NULL) : NULL;
  if (o && !json_is_object(o)) {
    json_decref(o);
    o = NULL;
  }
  return o;
}

static char *get(hub_arena *a, json_t *o, const char *k) {
  const char *v = o ? json_string_value(json_object_get(o, k)) : NULL;
  return hub_arena_strdup(a, v ? v : "");
}

Hub__Tenant__V1__Theme *tenant_theme_from_json(hub_arena *a, const char *json) {
  Hub__Tenant__V1__Theme *m = hub_arena_alloc(a, sizeof *m);
  hub__tenant__v1__theme__init(m);
  json_t *o = load(json);
  m->primary_color = get(a, o, "primary_color");
  m->secondary_color = get(a, o, "secondary_color");
  m->logo_url = get(a, o, "logo_url");
  m->favicon_url = get(a, o, "favicon_url");
  m->custom_css = get(a, o, "custom_css");
  json_decref(o);
  return m;
}

Hub__Tenant__V1__EmailTemplate *tenant_email_from_json(hub_arena *a, const char *json) {
  Hub__Tenant__V1__EmailTemplate *m = hub_arena_alloc(a, sizeof *m);
  hub__tenant__v1__email_template__init(m);
  json_t *o = load(json);
  m->header_logo_url = get(a, o, "header_logo_url");
  m->footer_text = get(a, o, "footer_text");
  m->support_address = get(a, o, "support_address");
  json_decref(o);
  return m;
}

Hub__Tenant__V1__Seo *tenant_seo_from_json(hub_arena *a, const char *json) {
  Hub__Tenant__V1__Seo *m = hub_arena_alloc(a, sizeof *m);
  hub__tenant__v1__seo__init(m);
  json_t *o = load(json);
  m->title = get(a, o, "title");
  m->description = get(a, o, "description");
  json_t *k = o ? json_object_get(o, "keywords") : NULL;
  if (json_is_array(k) && json_array_size(k) > 0) {
    m->keywords = hub_arena_calloc(a, json_array_size(k), sizeof *m->keywords);
    for (size_t i = 0; i < json_array_size(k); i++) {
      const char *v = json_string_value(json_array_get(k, i));
      if (v) m->keywords[m->n_keywords++] = hub_arena_strdup(a, v);
    }
  }
  json_decref(o);
  return m;
}

Hub__Tenant__V1__WhiteLabel *tenant_white_label_from_json(hub_arena *a, const char *json) {
  Hub__Tenant__V1__WhiteLabel *m = hub_arena_alloc(a, sizeof *m);
  hub__tenant__v1__white_label__init(m);
  json_t *o = load(json);
  m->hide_powered_by = o && json_is_true(json_object_get(o, "hide_powered_by"));
  m->sender_name = get(a, o, "sender_name");
  json_decref(o);
  return m;
}
