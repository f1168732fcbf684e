/* Preferences: ListTopics, GetPreferences, UpdatePreferences and SetTenantDefaults. A user's
 * choice per topic and channel in a tenant wins over the tenant's default, which wins over the
 * topic's own (topics.c); the router reads them the same way. Only topics about a tenant's
 * work can be chosen: account mail and invitations are not a member's to turn off, and a
 * security notice (password reset, address changes, ...) is refused with FAILED_PRECONDITION. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/audit.h"
#include "identity/principal.h"
#include "services/notify/notify.h"

static const hub_pg_stmt read_sql = {"notify_prefs_read",
                                     "SELECT 'user' AS source, topic, channel, enabled, digest FROM notify_preferences "
                                     "WHERE tenant_id = hub_current_tenant() AND user_id = hub_current_user() "
                                     "UNION ALL SELECT 'tenant', topic, channel, enabled, false FROM notify_tenant_defaults "
                                     "WHERE tenant_id = hub_current_tenant()",
                                     0};

static const hub_pg_stmt quiet_sql = {
    "notify_quiet_read",
    "SELECT coalesce(to_char(q.quiet_start, 'HH24:MI'), '') AS quiet_start, coalesce(to_char(q.quiet_end, 'HH24:MI'), "
    "'') "
    "AS quiet_end, coalesce(nullif(u.time_zone, ''), 'UTC') AS time_zone FROM users u "
    "LEFT JOIN notify_quiet_hours q ON q.tenant_id = hub_current_tenant() AND q.user_id = u.id "
    "WHERE u.id = hub_current_user()",
    0};

static const hub_pg_stmt set_sql = {
    "notify_prefs_set",
    "INSERT INTO notify_preferences (tenant_id, user_id, topic, channel, enabled, digest) "
    "SELECT hub_current_tenant(), hub_current_user(), c.topic, c.channel, c.enabled, coalesce(c.digest, false) "
    "FROM jsonb_to_recordset($1::jsonb) AS c(topic text, channel text, enabled boolean, digest boolean) "
    "ON CONFLICT (tenant_id, user_id, topic, channel) DO UPDATE SET enabled = EXCLUDED.enabled, digest = "
    "EXCLUDED.digest",
    1};

static const hub_pg_stmt defaults_sql = {
    "notify_defaults_set",
    "INSERT INTO notify_tenant_defaults (tenant_id, topic, channel, enabled) "
    "SELECT hub_current_tenant(), c.topic, c.channel, c.enabled "
    "FROM jsonb_to_recordset($1::jsonb) AS c(topic text, channel text, enabled boolean) "
    "ON CONFLICT (tenant_id, topic, channel) DO UPDATE SET enabled = EXCLUDED.enabled",
    1};

static const hub_pg_stmt defaults_read_sql = {
    "notify_defaults_read",
    "SELECT topic, channel, enabled, 'tenant' AS source FROM notify_tenant_defaults "
    "WHERE tenant_id = hub_current_tenant() ORDER BY topic, channel",
    0};

static const hub_pg_stmt quiet_set_sql = {
    "notify_quiet_set",
    "INSERT INTO notify_quiet_hours (tenant_id, user_id, quiet_start, quiet_end) "
    "VALUES (hub_current_tenant(), hub_current_user(), $1::time, $2::time) "
    "ON CONFLICT (tenant_id, user_id) DO UPDATE SET quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end",
    2};

static const hub_pg_stmt quiet_clear_sql = {
    "notify_quiet_clear",
    "DELETE FROM notify_quiet_hours WHERE tenant_id = hub_current_tenant() AND user_id = hub_current_user()", 0};

/* A member's to choose: a tenant's work, not account mail, invitations or security notices. */
static bool choosable(const notify_topic *t) { return t->to == NOTIFY_TO_ASSIGNEE; }

/* ---- ListTopics ---- */

hub_status hub_notify_v1_notify_list_topics(hub_call *call, const Hub__Notify__V1__ListTopicsRequest *request,
                                            Hub__Notify__V1__ListTopicsResponse *response) {
  (void)request;
  hub_arena *a = hub_call_arena(call);
  size_t n;
  const notify_topic *ts = notify_topics(&n);
  response->topics = hub_arena_calloc(a, n ? n : 1, sizeof *response->topics);
  for (size_t i = 0; i < n; i++) {
    Hub__Notify__V1__Topic *t = hub_arena_alloc(a, sizeof *t);
    hub__notify__v1__topic__init(t);
    t->topic = (char *)ts[i].topic;
    t->description = (char *)ts[i].description;
    t->security = ts[i].security;
    t->channels = hub_arena_calloc(a, 3, sizeof *t->channels);
    for (unsigned ch = NOTIFY_IN_APP; ch <= NOTIFY_PUSH; ch <<= 1)
      if (ts[i].channels & ch) t->channels[t->n_channels++] = notify_channel_enum(ch);
    response->topics[response->n_topics++] = t;
  }
  return HUB_STATUS_OK;
}

/* ---- the effective preferences ---- */

static Hub__Notify__V1__Choice *choice(hub_arena *a, const char *topic, unsigned channel, bool enabled,
                                       const char *source) {
  Hub__Notify__V1__Choice *c = hub_arena_alloc(a, sizeof *c);
  hub__notify__v1__choice__init(c);
  c->topic = (char *)topic;
  c->channel = notify_channel_enum(channel);
  c->enabled = enabled;
  c->source = (char *)source;
  return c;
}

static void effective(hub_arena *a, const hub_rows *prefs, const hub_rows *quiet, Hub__Notify__V1__Preferences *out) {
  size_t n;
  const notify_topic *ts = notify_topics(&n);
  out->choices = hub_arena_calloc(a, 3 * n + 1, sizeof *out->choices);
  for (size_t i = 0; i < n; i++) {
    if (!choosable(&ts[i])) continue;
    for (unsigned ch = NOTIFY_IN_APP; ch <= NOTIFY_PUSH; ch <<= 1) {
      if (!(ts[i].channels & ch)) continue;
      bool on = (ts[i].defaults & ch) != 0, digest = false;
      const char *source = "default";
      for (int k = 0; k < hub_rows_count(prefs); k++) {
        if (strcmp(hub_rows_text(prefs, k, "topic"), ts[i].topic) ||
            notify_channel_parse(hub_rows_text(prefs, k, "channel")) != ch)
          continue;
        const char *from = hub_rows_text(prefs, k, "source");
        if (!strcmp(from, "user") || !strcmp(source, "default")) {
          on = hub_rows_bool(prefs, k, "enabled");
          source = !strcmp(from, "user") ? "user" : "tenant";
          digest = hub_rows_bool(prefs, k, "digest");
        }
      }
      Hub__Notify__V1__Choice *c = choice(a, ts[i].topic, ch, on, source);
      c->digest = digest;
      out->choices[out->n_choices++] = c;
    }
  }
  if (hub_rows_count(quiet) == 1) {
    out->quiet_start = (char *)hub_rows_text(quiet, 0, "quiet_start");
    out->quiet_end = (char *)hub_rows_text(quiet, 0, "quiet_end");
    out->time_zone = (char *)hub_rows_text(quiet, 0, "time_zone");
  }
}

/* The choices as JSON rows for jsonb_to_recordset, or a refusal naming the offending one. */
static hub_status choices_json(hub_arena *a, Hub__Notify__V1__Choice *const *cs, size_t n, char **out) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    const notify_topic *t = notify_topic_find(cs[i]->topic);
    unsigned ch = notify_channel_of_enum(cs[i]->channel);
    hub_status st = HUB_STATUS_OK;
    if (!t)
      st = hub_status_invalid(a, hub_arena_sprintf(a, "choices[%zu].topic", i), "no such topic (see ListTopics)");
    else if (t->security)
      st = hub_status_new(a, HUB_FAILED_PRECONDITION,
                          "choices[%zu].topic: %s is a security notice; it cannot be turned off", i, t->topic);
    else if (!choosable(t))
      st =
          hub_status_new(a, HUB_FAILED_PRECONDITION, "choices[%zu].topic: %s is not a member's to choose", i, t->topic);
    else if (!(t->channels & ch))
      st = hub_status_invalid(a, hub_arena_sprintf(a, "choices[%zu].channel", i), "%s does not use this channel",
                              t->topic);
    else if (cs[i]->digest && ch != NOTIFY_EMAIL)
      st = hub_status_invalid(a, hub_arena_sprintf(a, "choices[%zu].digest", i), "only mail comes as a digest");
    if (!hub_ok(st)) {
      json_decref(arr);
      return st;
    }
    json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:b}", "topic", t->topic, "channel", notify_channel_text(ch),
                                         "enabled", cs[i]->enabled, "digest", cs[i]->digest));
  }
  char *text = json_dumps(arr, JSON_COMPACT);
  json_decref(arr);
  *out = hub_arena_strdup(a, text ? text : "[]");
  free(text);
  return HUB_STATUS_OK;
}

/* "HH:MM" of a 24-hour clock. */
static bool clock_ok(const char *s) {
  return strlen(s) == 5 && s[2] == ':' && s[0] >= '0' && s[0] <= '2' && s[1] >= '0' && s[1] <= '9' &&
         (s[0] < '2' || s[1] <= '3') && s[3] >= '0' && s[3] <= '5' && s[4] >= '0' && s[4] <= '9';
}

typedef struct prefs_ctx {
  hub_call *call;
  const char *json;                                     /* choices to set, or NULL */
  const Hub__Notify__V1__UpdatePreferencesRequest *req; /* NULL: GetPreferences */
  hub_rows *prefs, *quiet;
} prefs_ctx;

static hub_status prefs_fn(hub_tx *tx, void *ud) {
  prefs_ctx *c = ud;
  if (c->req) {
    if (c->json) hub_tx_exec(tx, &set_sql, (const char *[]){c->json});
    if (c->req->clear_quiet_hours)
      hub_tx_exec(tx, &quiet_clear_sql, NULL);
    else if (*c->req->quiet_start)
      hub_tx_exec(tx, &quiet_set_sql, (const char *[]){c->req->quiet_start, c->req->quiet_end});
  }
  c->prefs = hub_tx_exec(tx, &read_sql, NULL);
  c->quiet = hub_tx_exec(tx, &quiet_sql, NULL);
  return HUB_STATUS_OK;
}

hub_status hub_notify_v1_notify_get_preferences(hub_call *call, const Hub__Notify__V1__GetPreferencesRequest *request,
                                                Hub__Notify__V1__Preferences *response) {
  (void)request;
  prefs_ctx c = {call, NULL, NULL, NULL, NULL};
  hub_status st = hub_call_tx(call, prefs_fn, &c);
  if (hub_ok(st)) effective(hub_call_arena(call), c.prefs, c.quiet, response);
  return st;
}

hub_status hub_notify_v1_notify_update_preferences(hub_call *call,
                                                   const Hub__Notify__V1__UpdatePreferencesRequest *request,
                                                   Hub__Notify__V1__Preferences *response) {
  hub_arena *a = hub_call_arena(call);
  if (!*request->quiet_start != !*request->quiet_end)
    return hub_status_invalid(a, *request->quiet_start ? "quiet_end" : "quiet_start",
                              "set both ends of the quiet hours");
  if (*request->quiet_start && request->clear_quiet_hours)
    return hub_status_invalid(a, "clear_quiet_hours", "either set quiet hours or clear them");
  if (*request->quiet_start && !clock_ok(request->quiet_start))
    return hub_status_invalid(a, "quiet_start", "HH:MM, e.g. 22:00");
  if (*request->quiet_end && !clock_ok(request->quiet_end))
    return hub_status_invalid(a, "quiet_end", "HH:MM, e.g. 07:00");
  if (*request->quiet_start && !strcmp(request->quiet_start, request->quiet_end))
    return hub_status_invalid(a, "quiet_end", "is the same time as quiet_start");
  char *json = NULL;
  if (request->n_choices) {
    hub_status st = choices_json(a, request->choices, request->n_choices, &json);
    if (!hub_ok(st)) return st;
  }
  prefs_ctx c = {call, json, request, NULL, NULL};
  hub_status st = hub_call_tx(call, prefs_fn, &c);
  if (hub_ok(st)) effective(a, c.prefs, c.quiet, response);
  return st;
}

/* ---- SetTenantDefaults ---- */

typedef struct defaults_ctx {
  hub_call *call;
  const char *json;
  hub_rows *rows;
} defaults_ctx;

static hub_status defaults_fn(hub_tx *tx, void *ud) {
  defaults_ctx *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  hub_tx_exec(tx, &defaults_sql, (const char *[]){c->json});
  hub_audit_tenant_write(tx, p->tenant_id, p->user_id, "notify.defaults_set", NULL, p->ip, c->json);
  c->rows = hub_tx_exec(tx, &defaults_read_sql, NULL);
  return HUB_STATUS_OK;
}

hub_status hub_notify_v1_notify_set_tenant_defaults(hub_call *call,
                                                    const Hub__Notify__V1__SetTenantDefaultsRequest *request,
                                                    Hub__Notify__V1__SetTenantDefaultsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  for (size_t i = 0; i < request->n_choices; i++)
    if (request->choices[i]->digest)
      return hub_status_invalid(a, hub_arena_sprintf(a, "choices[%zu].digest", i),
                                "a digest is each member's own choice");
  char *json = NULL;
  hub_status st = choices_json(a, request->choices, request->n_choices, &json);
  if (!hub_ok(st)) return st;
  defaults_ctx c = {call, json, NULL};
  st = hub_call_tx(call, defaults_fn, &c);
  if (!hub_ok(st)) return st;
  response->n_choices =
      hub_rows_messages(c.rows, &hub__notify__v1__choice__descriptor, -1, (void ***)&response->choices);
  return HUB_STATUS_OK;
}
