/* Routing: outbox events become inbox rows and mail deliveries. A pass finds the tenants with
 * undelivered events (the one read across tenants, scope notify_worker), then in each tenant's
 * own transaction claims up to a batch of its events (FOR UPDATE SKIP LOCKED: another hubd
 * takes others), looks up what the rules need in one pipeline (the tickets named, the
 * tenant, the recipients' preferences), writes the inbox rows and the deliveries, and marks
 * the events delivered with their tokens scrubbed, all in one commit. Account mail (no tenant)
 * is routed the same way from account_outbox. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"
#include "db/array.h"
#include "hub/clock.h"
#include "hub/log.h"
#include "services/notify/notify.h"

enum { BATCH = 200, TENANTS_PER_PASS = 20, UNSUBSCRIBE_DAYS = 90 };


/* The worker's declaration of itself: row-level security lets hub.scope = 'notify_worker'
 * read and write the delivery queue, devices and digests across tenants (migration 0020). */
const hub_pg_stmt notify_scope_sql = {"notify_scope", "SELECT set_config('hub.scope', 'notify_worker', true)", 0};

/* The tenants with undelivered events, from the one after `$2` (the last a pass served) on,
 * wrapping round to the first: an index probe per tenant (a loose scan of the partial index
 * outbox_tenant_undelivered), never a read of the whole backlog, and every tenant's turn
 * comes however many there are. */
static const hub_pg_stmt tenants_sql = {
    "notify_pending_tenants",
    "WITH RECURSIVE t AS ("
    "  (SELECT o.tenant_id FROM outbox o WHERE o.delivered_at IS NULL AND o.tenant_id > $2::uuid "
    "   ORDER BY o.tenant_id LIMIT 1) "
    "  UNION ALL "
    "  SELECT (SELECT o.tenant_id FROM outbox o WHERE o.delivered_at IS NULL AND o.tenant_id > t.tenant_id "
    "          ORDER BY o.tenant_id LIMIT 1) FROM t WHERE t.tenant_id IS NOT NULL), "
    "w AS ("
    "  (SELECT o.tenant_id FROM outbox o WHERE o.delivered_at IS NULL ORDER BY o.tenant_id LIMIT 1) "
    "  UNION ALL "
    "  SELECT (SELECT o.tenant_id FROM outbox o WHERE o.delivered_at IS NULL AND o.tenant_id > w.tenant_id "
    "          AND o.tenant_id <= $2::uuid ORDER BY o.tenant_id LIMIT 1) FROM w WHERE w.tenant_id IS NOT NULL) "
    "SELECT tenant_id FROM (SELECT tenant_id, 0 AS k FROM t UNION ALL SELECT tenant_id, 1 FROM w) x "
    "WHERE tenant_id IS NOT NULL GROUP BY tenant_id ORDER BY min(k), tenant_id LIMIT $1::int",
    2};

static const hub_pg_stmt claim_sql = {
    "notify_claim",
    "SELECT o.id, o.topic, o.aggregate_id, o.payload::text AS payload FROM outbox o "
    "WHERE o.tenant_id = hub_current_tenant() AND o.delivered_at IS NULL ORDER BY o.id LIMIT $1::int "
    "FOR UPDATE SKIP LOCKED",
    1};

static const hub_pg_stmt tenant_sql = {"notify_tenant", "SELECT name FROM tenants WHERE id = hub_current_tenant()", 0};

static const hub_pg_stmt tickets_sql = {
    "notify_tickets",
    "SELECT t.id::text AS id, t.number, t.subject, t.brand, t.assignee_id::text AS user_id, u.email "
    "FROM tickets t JOIN users u ON u.id = t.assignee_id AND u.deleted_at IS NULL "
    "JOIN members m ON m.tenant_id = t.tenant_id AND m.user_id = u.id "
    "WHERE t.tenant_id = hub_current_tenant() AND t.id = ANY($1::uuid[])",
    1};

static const hub_pg_stmt invitees_sql = {
    "notify_invitees", "SELECT id::text AS id, email_norm FROM users WHERE email_norm = ANY($1::text[])", 1};

static const hub_pg_stmt prefs_sql = {
    "notify_prefs",
    "SELECT user_id::text AS user_id, topic, channel, enabled, digest FROM notify_preferences "
    "WHERE tenant_id = hub_current_tenant() AND user_id = ANY($1::uuid[]) "
    "UNION ALL SELECT NULL, topic, channel, enabled, false FROM notify_tenant_defaults WHERE tenant_id = "
    "hub_current_tenant()",
    1};

static const hub_pg_stmt devices_sql = {
    "notify_route_devices",
    "SELECT id::text AS id, user_id::text AS user_id FROM notify_devices WHERE user_id = ANY($1::uuid[]) ORDER BY id",
    1};

static const hub_pg_stmt digest_add_sql = {
    "notify_digest_add",
    "INSERT INTO notify_digest_items (tenant_id, user_id, source_id, topic, brand, subject, summary, link) "
    "SELECT hub_current_tenant(), d.user_id, d.source_id, d.topic, d.brand, d.subject, d.summary, d.link "
    "FROM jsonb_to_recordset($1::jsonb) AS d(user_id uuid, source_id bigint, topic text, brand text, subject text, "
    "summary text, link text) ON CONFLICT (tenant_id, source_id, user_id) DO NOTHING",
    1};

static const hub_pg_stmt inbox_sql = {
    "notify_inbox_add",
    "INSERT INTO notify_inbox (tenant_id, id, user_id, source_id, topic, brand, title, body, link) "
    "SELECT hub_current_tenant(), d.id, d.user_id, d.source_id, d.topic, d.brand, d.title, d.body, d.link "
    "FROM jsonb_to_recordset($1::jsonb) AS d(id uuid, user_id uuid, source_id bigint, topic text, brand text, "
    "title text, body text, link text) ON CONFLICT (tenant_id, source_id, user_id) DO NOTHING",
    1};

/* Quiet hours hold mail that is not a security notice until they end (notify_quiet_until). */
static const hub_pg_stmt deliveries_sql = {
    "notify_deliveries_add",
    "INSERT INTO notify_deliveries (tenant_id, source, source_id, channel, recipient, user_id, topic, brand, security, "
    "  next_attempt_at, sender_name, reply_to, subject, body_text, body_html, unsubscribe_url, link) "
    "SELECT $2::uuid, $3, d.source_id, d.channel, d.recipient, d.user_id, d.topic, d.brand, d.security, "
    "  CASE WHEN d.security OR q.user_id IS NULL THEN now() "
    "       ELSE notify_quiet_until(now(), u.time_zone, q.quiet_start, q.quiet_end) END, "
    "  coalesce(d.sender_name, ''), coalesce(d.reply_to, ''), d.subject, d.body_text, d.body_html, "
    "  coalesce(d.unsubscribe_url, ''), "
    "  coalesce(d.link, '') "
    "FROM jsonb_to_recordset($1::jsonb) AS d(source_id bigint, channel text, recipient text, user_id uuid, topic text, "
    "  brand text, security boolean, sender_name text, reply_to text, subject text, body_text text, body_html text, "
    "  unsubscribe_url text, link text) "
    "LEFT JOIN notify_quiet_hours q ON q.tenant_id = $2::uuid AND q.user_id = d.user_id "
    "LEFT JOIN users u ON u.id = d.user_id "
    "ON CONFLICT (source, source_id, channel, recipient) DO NOTHING",
    3};

static const hub_pg_stmt done_sql = {"notify_routed",
                                     "UPDATE outbox SET delivered_at = now(), payload = payload - 'token' "
                                     "WHERE tenant_id = hub_current_tenant() AND id = ANY($1::bigint[])",
                                     1};

/* An event that cannot be routed (its routing fails by itself) is set aside, not retried
 * for ever ahead of the tenant's other events: marked routed with the reason, which
 * `hubd notify-status` shows, its token scrubbed like any other's. */
static const hub_pg_stmt unroutable_sql = {
    "notify_unroutable",
    "UPDATE outbox SET delivered_at = now(), route_error = $2, payload = payload - 'token' "
    "WHERE tenant_id = hub_current_tenant() AND id = $1::bigint AND delivered_at IS NULL",
    2};

static const hub_pg_stmt account_claim_sql = {
    "notify_account_claim",
    "SELECT o.id, o.topic, o.user_id::text AS aggregate_id, o.payload::text AS payload, u.email "
    "FROM account_outbox o JOIN users u ON u.id = o.user_id "
    "WHERE o.delivered_at IS NULL ORDER BY o.id LIMIT $1::int FOR UPDATE OF o SKIP LOCKED",
    1};

static const hub_pg_stmt account_done_sql = {
    "notify_account_routed",
    "UPDATE account_outbox SET delivered_at = now(), payload = payload - 'token' WHERE id = ANY($1::bigint[])", 1};

/* ---- what a pass knows ---- */

static const char *json_text(json_t *o, const char *key) {
  json_t *v = o ? json_object_get(o, key) : NULL;
  return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The effective choice of `channel` for `user` on `t`: theirs, else the tenant's, else the topic's. */
static bool wants(const hub_rows *prefs, const char *user, const notify_topic *t, unsigned channel) {
  if (!(t->channels & channel)) return false;
  if (t->security) return true;
  int tenant_choice = -1;
  for (int i = 0; prefs && i < hub_rows_count(prefs); i++) {
    if (strcmp(hub_rows_text(prefs, i, "topic"), t->topic) != 0 ||
        notify_channel_parse(hub_rows_text(prefs, i, "channel")) != channel)
      continue;
    const char *who = hub_rows_text(prefs, i, "user_id");
    if (who && user && !strcmp(who, user)) return hub_rows_bool(prefs, i, "enabled");
    if (!who) tenant_choice = hub_rows_bool(prefs, i, "enabled");
  }
  return tenant_choice >= 0 ? tenant_choice : (t->defaults & channel) != 0;
}

/* Inbox ids for one batch, in the events' order: one UUID v7 drawn for the batch, then its low
 * 48 random bits counted up (RFC 9562's monotonic counter), since ids minted in the same
 * millisecond would otherwise order at random and the inbox and its watchers order by id. */
typedef struct id_seq {
  char prefix[25]; /* "xxxxxxxx-xxxx-7xxx-vxxx-" */
  unsigned long long low;
} id_seq;

static bool id_seq_start(id_seq *q) {
  char first[37];
  if (!hub_uuid_v7(first)) return false;
  memcpy(q->prefix, first, 24);
  q->prefix[24] = '\0';
  q->low = strtoull(first + 24, NULL, 16);
  return true;
}

static const char *id_next(hub_arena *a, id_seq *q) {
  return hub_arena_sprintf(a, "%s%012llx", q->prefix, q->low++ & 0xffffffffffffULL);
}

typedef struct route_out {
  json_t *inbox, *mail, *digest;
  int n_inbox, n_mail, n_digest;
  id_seq ids;
} route_out;

/* True when `user` asked for `t`'s mail as a digest (their own choice only). */
static bool digested(const hub_rows *prefs, const char *user, const notify_topic *t) {
  for (int i = 0; prefs && user && !t->security && i < hub_rows_count(prefs); i++) {
    const char *who = hub_rows_text(prefs, i, "user_id");
    if (who && !strcmp(who, user) && !strcmp(hub_rows_text(prefs, i, "topic"), t->topic) &&
        notify_channel_parse(hub_rows_text(prefs, i, "channel")) == NOTIFY_EMAIL)
      return hub_rows_bool(prefs, i, "digest");
  }
  return false;
}

typedef struct recipient {
  const char *user_id; /* NULL: an address only */
  const char *address;
} recipient;

/* The inbox row and the delivery of one event for one recipient. */
static void route_one(hub_arena *a, const notify_settings *s, const notify_topic *t, const notify_brand *b,
                      const char *tenant_id, const char *source_id, const char *payload, const char *const *extra,
                      recipient to, const hub_rows *prefs, const hub_rows *devices, route_out *out) {
  bool in_app = to.user_id && tenant_id && wants(prefs, to.user_id, t, NOTIFY_IN_APP);
  bool email = to.address && *to.address &&
               (to.user_id ? wants(prefs, to.user_id, t, NOTIFY_EMAIL) : (t->channels & NOTIFY_EMAIL) != 0);
  bool push = to.user_id && tenant_id && devices && wants(prefs, to.user_id, t, NOTIFY_PUSH);
  if (!in_app && !email && !push) return;
  const char *unsubscribe = "";
  if (email && !t->security && to.user_id && tenant_id) {
    int64_t exp = hub_clock_wall_s() + (int64_t)UNSUBSCRIBE_DAYS * 86400;
    const char *token = notify_unsubscribe_token(a, to.user_id, tenant_id, t->topic, NOTIFY_EMAIL, exp);
    if (token) unsubscribe = hub_arena_sprintf(a, "%s/unsubscribe?token=%s", b->app_url, token);
  }
  notify_mail m;
  notify_compose(a, t, b, payload, extra, unsubscribe, &m);
  long long src = strtoll(source_id, NULL, 10);
  if (in_app) {
    json_array_append_new(out->inbox, json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "id", id_next(a, &out->ids),
                                                "user_id", to.user_id, "source_id", (json_int_t)src, "topic", t->topic,
                                                "brand", b->id, "title", m.subject, "body", m.summary, "link", m.path));
    out->n_inbox++;
  }
  if (email && tenant_id && digested(prefs, to.user_id, t)) { /* one line of a later digest mail */
    json_array_append_new(out->digest, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "user_id", to.user_id,
                                                 "source_id", (json_int_t)src, "topic", t->topic, "brand", b->id,
                                                 "subject", m.subject, "summary", m.summary, "link", m.link));
    out->n_digest++;
    email = false;
  }
  if (email) {
    json_t *d = json_pack("{s:I, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s}", "source_id", (json_int_t)src,
                          "recipient", to.address, "topic", t->topic, "brand", b->id, "security", t->security,
                          "sender_name", b->sender_name, "reply_to", b->support_address, "subject", m.subject,
                          "body_text", m.text, "body_html", m.html, "unsubscribe_url", unsubscribe);
    if (d && to.user_id) json_object_set_new(d, "user_id", json_string(to.user_id));
    if (d) {
      json_object_set_new(d, "channel", json_string("email"));
      json_object_set_new(d, "link", json_string(m.link));
      json_array_append_new(out->mail, d);
      out->n_mail++;
    }
  }
  for (int i = 0; push && i < hub_rows_count(devices); i++) { /* one push per device of the user */
    if (strcmp(hub_rows_text(devices, i, "user_id"), to.user_id) != 0) continue;
    json_t *d = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s}", "source_id", (json_int_t)src,
                          "channel", "push", "recipient", hub_rows_text(devices, i, "id"), "user_id", to.user_id,
                          "topic", t->topic, "security", t->security, "brand", b->id, "sender_name", b->sender_name,
                          "subject", m.subject, "body_text", m.summary, "link", m.link);
    if (d) {
      json_array_append_new(out->mail, d);
      out->n_mail++;
    }
  }
}

static char *dump(hub_arena *a, json_t *v) {
  char *s = json_dumps(v, JSON_COMPACT);
  char *out = hub_arena_strdup(a, s ? s : "[]");
  free(s);
  return out;
}

static const char *lower_dup(hub_arena *a, const char *s) {
  char *out = hub_arena_strdup(a, s ? s : "");
  for (char *p = out; *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  return out;
}

/* ---- a tenant's events ---- */

typedef struct tenant_ctx {
  const notify_settings *s;
  const char *tenant_id;
  const notify_brands *brands;
  notify_pass *pass;
  int batch;      /* events claimed at once: BATCH, or 1 to find the one that cannot be routed */
  bool full;      /* a whole batch was claimed: more may wait */
  char first[24]; /* the first event claimed (with batch 1: the one that failed) */
} tenant_ctx;

static const hub_rows *row_by(const hub_rows *r, const char *column, const char *value, int *at) {
  for (int i = 0; r && value && i < hub_rows_count(r); i++)
    if (!strcmp(hub_rows_text(r, i, column), value)) {
      *at = i;
      return r;
    }
  return NULL;
}

static hub_status tenant_fn(hub_tx *tx, void *ud) {
  tenant_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  char batch[16];
  snprintf(batch, sizeof batch, "%d", c->batch);
  hub_rows *events;
  hub_status st = hub_tx_query(tx, &claim_sql, (const char *[]){batch}, &events);
  if (!hub_ok(st)) return st;
  int n = hub_rows_count(events);
  c->full = n == c->batch;
  c->first[0] = '\0';
  if (n == 0) return HUB_STATUS_OK;
  snprintf(c->first, sizeof c->first, "%s", hub_rows_text(events, 0, "id"));
  /* What the rules need, in one pipeline: the tickets named, the invitees who have accounts. */
  const char **ids = hub_arena_calloc(a, (size_t)n, sizeof *ids),
             **emails = hub_arena_calloc(a, (size_t)n, sizeof *emails);
  const char **done = hub_arena_calloc(a, (size_t)n, sizeof *done);
  json_t **payloads = hub_arena_calloc(a, (size_t)n, sizeof *payloads);
  int n_ids = 0, n_emails = 0;
  for (int i = 0; i < n; i++) {
    done[i] = hub_rows_text(events, i, "id");
    const notify_topic *t = notify_topic_find(hub_rows_text(events, i, "topic"));
    if (!t) continue;
    payloads[i] = json_loads(hub_rows_text(events, i, "payload"), 0, NULL);
    const char *v = NULL;
    if (t->to == NOTIFY_TO_ASSIGNEE && (v = hub_uuid_lower(a, json_text(payloads[i], "ticket_id")))) ids[n_ids++] = v;
    if (t->to == NOTIFY_TO_INVITEE && (v = json_text(payloads[i], "email"))) emails[n_emails++] = lower_dup(a, v);
  }
  hub_rows *tickets =
      hub_tx_exec(tx, &tickets_sql, (const char *[]){hub_pg_array_literal(a, (char *const *)ids, (size_t)n_ids)});
  hub_rows *invitees = hub_tx_exec(tx, &invitees_sql,
                                   (const char *[]){hub_pg_array_literal(a, (char *const *)emails, (size_t)n_emails)});
  hub_rows *tenant = hub_tx_exec(tx, &tenant_sql, NULL);
  st = hub_tx_flush(tx);
  if (hub_ok(st)) {
    const char **users =
        hub_arena_calloc(a, (size_t)(hub_rows_count(tickets) + hub_rows_count(invitees) + 1), sizeof *users);
    int n_users = 0;
    for (int i = 0; i < hub_rows_count(tickets); i++) users[n_users++] = hub_rows_text(tickets, i, "user_id");
    for (int i = 0; i < hub_rows_count(invitees); i++) users[n_users++] = hub_rows_text(invitees, i, "id");
    const char *user_list = hub_pg_array_literal(a, (char *const *)users, (size_t)n_users);
    hub_rows *prefs = hub_tx_exec(tx, &prefs_sql, (const char *[]){user_list});
    hub_tx_exec(tx, &notify_scope_sql, NULL); /* a user's devices are no tenant's: the worker reads them */
    hub_rows *devices = hub_tx_exec(tx, &devices_sql, (const char *[]){user_list});
    st = hub_tx_flush(tx);
    const char *tenant_name = hub_rows_count(tenant) ? hub_rows_text(tenant, 0, "name") : "";
    route_out out = {json_array(), json_array(), json_array(), 0, 0, 0, {{0}, 0}};
    if (!id_seq_start(&out.ids)) st = hub_status_new(a, HUB_UNAVAILABLE, "no randomness for inbox ids");
    for (int i = 0; hub_ok(st) && i < n; i++) {
      const notify_topic *t = notify_topic_find(hub_rows_text(events, i, "topic"));
      if (!t) continue;
      json_t *p = payloads[i];
      const char *payload = hub_rows_text(events, i, "payload");
      int at = -1;
      if (t->to == NOTIFY_TO_ASSIGNEE) {
        if (!row_by(tickets, "id", hub_uuid_lower(a, json_text(p, "ticket_id")), &at)) continue;
        const char *extra[] = {"tenant_name", tenant_name,
                               "number",      hub_rows_text(tickets, at, "number"),
                               "subject",     hub_rows_text(tickets, at, "subject"),
                               NULL};
        recipient to = {hub_rows_text(tickets, at, "user_id"), hub_rows_text(tickets, at, "email")};
        route_one(a, c->s, t, notify_brand_find(c->brands, hub_rows_text(tickets, at, "brand")), c->tenant_id, done[i],
                  payload, extra, to, prefs, devices, &out);
      } else if (t->to == NOTIFY_TO_INVITEE) {
        const char *email = json_text(p, "email");
        if (!email) continue;
        /* Someone invited has no say yet: the invitation goes by mail, to the address given. */
        recipient to = {NULL, lower_dup(a, email)};
        const char *extra[] = {"tenant_name", tenant_name, NULL};
        route_one(a, c->s, t, notify_brand_find(c->brands, json_text(p, "brand")), c->tenant_id, done[i], payload,
                  extra, to, prefs, NULL, &out);
      }
    }
    if (out.n_inbox) hub_tx_exec(tx, &inbox_sql, (const char *[]){dump(a, out.inbox)});
    if (out.n_digest) hub_tx_exec(tx, &digest_add_sql, (const char *[]){dump(a, out.digest)});
    if (out.n_mail) hub_tx_exec(tx, &deliveries_sql, (const char *[]){dump(a, out.mail), c->tenant_id, "outbox"});
    hub_tx_exec(tx, &done_sql, (const char *[]){hub_pg_array_literal(a, (char *const *)done, (size_t)n)});
    c->pass->inbox += out.n_inbox;
    c->pass->queued += out.n_mail;
    c->pass->routed += n;
    json_decref(out.inbox);
    json_decref(out.mail);
    json_decref(out.digest);
  }
  for (int i = 0; i < n; i++) json_decref(payloads[i]);
  return st;
}

/* ---- account mail ---- */

typedef struct account_ctx {
  const notify_settings *s;
  const notify_brands *brands;
  notify_pass *pass;
  int batch;
  bool full;
  char first[24];
} account_ctx;

static const hub_pg_stmt account_unroutable_sql = {
    "notify_account_unroutable",
    "UPDATE account_outbox SET delivered_at = now(), route_error = $2, payload = payload - 'token' "
    "WHERE id = $1::bigint AND delivered_at IS NULL",
    2};

static hub_status account_fn(hub_tx *tx, void *ud) {
  account_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  char batch[16];
  snprintf(batch, sizeof batch, "%d", c->batch);
  hub_tx_exec(tx, &notify_scope_sql, NULL);
  hub_rows *events;
  hub_status st = hub_tx_query(tx, &account_claim_sql, (const char *[]){batch}, &events);
  if (!hub_ok(st)) return st;
  int n = hub_rows_count(events);
  c->full = n == c->batch;
  c->first[0] = '\0';
  if (n == 0) return HUB_STATUS_OK;
  snprintf(c->first, sizeof c->first, "%s", hub_rows_text(events, 0, "id"));
  const char **done = hub_arena_calloc(a, (size_t)n, sizeof *done);
  route_out out = {json_array(), json_array(), json_array(), 0, 0, 0, {{0}, 0}};
  for (int i = 0; i < n; i++) {
    done[i] = hub_rows_text(events, i, "id");
    const notify_topic *t = notify_topic_find(hub_rows_text(events, i, "topic"));
    if (!t) continue;
    const char *payload = hub_rows_text(events, i, "payload");
    json_t *p = json_loads(payload, 0, NULL);
    const char *to_address = json_text(p, "to"); /* a change of address: the new one, or the old one told */
    recipient to = {hub_rows_text(events, i, "aggregate_id"),
                    lower_dup(a, to_address ? to_address : hub_rows_text(events, i, "email"))};
    route_one(a, c->s, t, notify_brand_find(c->brands, json_text(p, "brand")), NULL, done[i], payload, NULL, to, NULL,
              NULL, &out);
    json_decref(p);
  }
  if (out.n_mail) hub_tx_exec(tx, &deliveries_sql, (const char *[]){dump(a, out.mail), NULL, "account_outbox"});
  hub_tx_exec(tx, &account_done_sql, (const char *[]){hub_pg_array_literal(a, (char *const *)done, (size_t)n)});
  c->pass->queued += out.n_mail;
  c->pass->routed += n;
  json_decref(out.inbox);
  json_decref(out.mail);
  json_decref(out.digest);
  return HUB_STATUS_OK;
}

/* ---- the pass ---- */

typedef struct find_ctx {
  const char *after; /* the last tenant the previous pass served */
  hub_rows *tenants, *brands;
} find_ctx;

static hub_status find_fn(hub_tx *tx, void *ud) {
  find_ctx *c = ud;
  char limit[16];
  snprintf(limit, sizeof limit, "%d", TENANTS_PER_PASS);
  hub_tx_exec(tx, &notify_scope_sql, NULL);
  c->tenants = hub_tx_exec(tx, &tenants_sql, (const char *[]){limit, c->after});
  c->brands = hub_tx_exec(tx, &notify_brands_sql, NULL);
  return HUB_STATUS_OK;
}

static bool transient(hub_status st) {
  return st.code == HUB_UNAVAILABLE || st.code == HUB_ABORTED || st.code == HUB_DEADLINE_EXCEEDED;
}

typedef struct unroutable_ctx {
  const char *id, *why;
} unroutable_ctx;

static hub_status unroutable_fn(hub_tx *tx, void *ud) {
  unroutable_ctx *u = ud;
  hub_tx_exec(tx, &unroutable_sql, (const char *[]){u->id, u->why});
  return HUB_STATUS_OK;
}

static hub_status account_unroutable_fn(hub_tx *tx, void *ud) {
  unroutable_ctx *u = ud;
  hub_tx_exec(tx, &account_unroutable_sql, (const char *[]){u->id, u->why});
  return HUB_STATUS_OK;
}

/* The same for account mail. */
static hub_status account_one_by_one(hub_pg *pg, hub_arena *a, account_ctx *ac) {
  ac->batch = 1;
  for (int k = 0; k < BATCH; k++) {
    hub_status st = hub_tx_run(pg, a, NULL, NULL, 30000, account_fn, ac);
    if (hub_ok(st) && !ac->full) break;
    if (hub_ok(st)) continue;
    if (transient(st) || !ac->first[0]) return st;
    hub_logf(HUB_LOG_ERROR, "notify: account event %s cannot be routed (%s); set aside", ac->first, st.message);
    unroutable_ctx u = {hub_arena_strdup(a, ac->first), st.message ? st.message : "routing failed"};
    st = hub_tx_run(pg, a, NULL, NULL, 30000, account_unroutable_fn, &u);
    if (!hub_ok(st)) return st;
    ac->pass->unroutable++;
  }
  ac->batch = BATCH;
  ac->full = true;
  return HUB_STATUS_OK;
}

/* A batch failed for a reason a retry will not cure: route its events one at a time, and set
 * aside each one that fails alone, so one bad event never holds up a tenant's others. */
static hub_status route_one_by_one(hub_pg *pg, hub_arena *a, tenant_ctx *tc, hub_status failed) {
  tc->batch = 1;
  for (int k = 0; k < BATCH; k++) {
    hub_status st = hub_tx_run(pg, a, tc->tenant_id, NULL, 30000, tenant_fn, tc);
    if (hub_ok(st) && !tc->full) break; /* nothing left */
    if (hub_ok(st)) continue;
    if (transient(st) || !tc->first[0]) return st;
    hub_logf(HUB_LOG_ERROR, "notify: event %s of tenant %s cannot be routed (%s); set aside", tc->first, tc->tenant_id,
             st.message);
    unroutable_ctx u = {hub_arena_strdup(a, tc->first), st.message ? st.message : hub_code_name(failed.code)};
    st = hub_tx_run(pg, a, tc->tenant_id, NULL, 30000, unroutable_fn, &u);
    if (!hub_ok(st)) return st;
    tc->pass->unroutable++;
  }
  tc->batch = BATCH;
  tc->full = true; /* more may wait: the next pass takes them in batches again */
  return HUB_STATUS_OK;
}

hub_status notify_route_once(hub_pg *pg, hub_arena *a, const notify_settings *s, char cursor[40], notify_pass *out,
                             bool *more) {
  *more = false;
  if (!*cursor) snprintf(cursor, 40, "%s", "00000000-0000-0000-0000-000000000000");
  find_ctx f = {.after = cursor};
  hub_status st = hub_tx_run(pg, a, NULL, NULL, 30000, find_fn, &f);
  if (!hub_ok(st)) return st;
  notify_brands bs;
  notify_brands_load(f.brands, a, s, &bs);
  account_ctx ac = {.s = s, .brands = &bs, .pass = out, .batch = BATCH};
  st = hub_tx_run(pg, a, NULL, NULL, 30000, account_fn, &ac);
  if (!hub_ok(st) && !transient(st)) st = account_one_by_one(pg, a, &ac);
  if (!hub_ok(st)) return st;
  *more = ac.full;
  for (int i = 0; i < hub_rows_count(f.tenants); i++) {
    tenant_ctx tc = {
        .s = s, .tenant_id = hub_rows_text(f.tenants, i, "tenant_id"), .brands = &bs, .pass = out, .batch = BATCH};
    hub_status ts = hub_tx_run(pg, a, tc.tenant_id, NULL, 30000, tenant_fn, &tc);
    if (!hub_ok(ts) && !transient(ts)) ts = route_one_by_one(pg, a, &tc, ts);
    if (!hub_ok(ts)) return ts;
    snprintf(cursor, 40, "%s", tc.tenant_id);
    *more = *more || tc.full;
  }
  *more = *more || hub_rows_count(f.tenants) == TENANTS_PER_PASS;
  return HUB_STATUS_OK;
}
