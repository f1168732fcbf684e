/* Sending: due deliveries are taken by a lease (state 'sending' for two minutes, the attempt
 * counted) in a short transaction, sent outside any transaction (mail over SMTP, push to the
 * provider, push.c; a device the provider no longer knows is forgotten), and each
 * outcome recorded at once with its attempt row: delivered (the bodies, which hold links with
 * tokens, are dropped), retried after retry_base x 2^(attempt-1) (capped at six hours), or dead
 * after a permanent refusal or the last attempt. A lease that runs out (the process died
 * mid-send) makes the delivery due again. Also the retention sweep (notify_prune_once). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/clock.h"
#include "hub/log.h"
#include "services/notify/notify.h"

enum { SEND_BATCH = 50 };


static const hub_pg_stmt take_sql = {
    "notify_take",
    "WITH taken AS (UPDATE notify_deliveries d SET state = 'sending', lease_until = now() + interval '2 minutes', "
    "  attempts = d.attempts + 1 "
    "  WHERE d.id IN (SELECT x.id FROM notify_deliveries x WHERE x.state IN ('pending', 'sending') "
    "    AND x.next_attempt_at <= now() AND (x.state = 'pending' OR x.lease_until < now()) AND x.channel = "
    "ANY($2::text[]) "
    "    ORDER BY x.next_attempt_at LIMIT $1::int FOR UPDATE SKIP LOCKED) "
    "  RETURNING d.id, d.channel, d.recipient, d.topic, d.sender_name, d.reply_to, d.subject, d.body_text, "
    "d.body_html, "
    "    d.unsubscribe_url, d.link, d.attempts) "
    "SELECT t.*, v.token FROM taken t LEFT JOIN notify_devices v ON t.channel = 'push' AND v.id::text = t.recipient",
    2};

static const hub_pg_stmt delivered_sql = {
    "notify_delivered",
    "UPDATE notify_deliveries SET state = 'delivered', delivered_at = now(), lease_until = NULL, last_error = '', "
    "body_text = NULL, body_html = NULL WHERE id = $1::uuid AND state = 'sending'",
    1};

static const hub_pg_stmt failed_sql = {
    "notify_failed",
    "UPDATE notify_deliveries SET state = CASE WHEN $2::boolean THEN 'dead' ELSE 'pending' END, lease_until = NULL, "
    "last_error = $3, next_attempt_at = now() + ($4::bigint * interval '1 millisecond') "
    "WHERE id = $1::uuid AND state = 'sending'",
    4};

static const hub_pg_stmt device_used_sql = {"notify_device_used",
                                            "UPDATE notify_devices SET last_used_at = now() WHERE id::text = $1", 1};

static const hub_pg_stmt device_gone_sql = {"notify_device_gone", "DELETE FROM notify_devices WHERE id::text = $1", 1};

static const hub_pg_stmt attempt_sql = {
    "notify_attempt",
    "INSERT INTO notify_attempts (delivery_id, n, outcome, detail, duration_ms) VALUES ($1::uuid, $2::int, $3, $4, "
    "$5::int) "
    "ON CONFLICT (delivery_id, n) DO UPDATE SET outcome = EXCLUDED.outcome, detail = EXCLUDED.detail, at = now()",
    5};

static const hub_pg_stmt prune_deliveries_sql = {
    "notify_prune_deliveries",
    "WITH gone AS (DELETE FROM notify_deliveries WHERE id IN (SELECT id FROM notify_deliveries "
    "  WHERE ((state = 'delivered' AND delivered_at < now() - $1::int * interval '1 day') "
    "      OR (state = 'dead' AND created_at < now() - $1::int * interval '1 day')) LIMIT 5000) RETURNING 1) "
    "SELECT count(*) AS n FROM gone",
    1};

static const hub_pg_stmt prune_outbox_sql = {
    "notify_prune_outbox",
    "WITH gone AS (DELETE FROM outbox WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM outbox "
    "  WHERE delivered_at < now() - $1::int * interval '1 day' LIMIT 5000) RETURNING 1), "
    "agone AS (DELETE FROM account_outbox WHERE id IN (SELECT id FROM account_outbox "
    "  WHERE delivered_at < now() - $1::int * interval '1 day' LIMIT 5000) RETURNING 1) "
    "SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM agone) AS n",
    1};

typedef struct take_ctx {
  const char *limit, *channels;
  hub_rows *taken;
} take_ctx;

static hub_status take_fn(hub_tx *tx, void *ud) {
  take_ctx *c = ud;
  hub_tx_exec(tx, &notify_scope_sql, NULL);
  c->taken = hub_tx_exec(tx, &take_sql, (const char *[]){c->limit, c->channels});
  return HUB_STATUS_OK;
}

typedef struct outcome_ctx {
  const char *id, *n, *outcome, *detail, *duration, *delay;
  bool dead;
  const char *device; /* a push delivery's device */
  bool device_gone;   /* the provider no longer knows it: forget it */
} outcome_ctx;

static hub_status outcome_fn(hub_tx *tx, void *ud) {
  outcome_ctx *c = ud;
  hub_tx_exec(tx, &notify_scope_sql, NULL);
  if (!strcmp(c->outcome, "delivered"))
    hub_tx_exec(tx, &delivered_sql, (const char *[]){c->id});
  else
    hub_tx_exec(tx, &failed_sql, (const char *[]){c->id, c->dead ? "true" : "false", c->detail, c->delay});
  hub_tx_exec(tx, &attempt_sql, (const char *[]){c->id, c->n, c->outcome, c->detail, c->duration});
  if (c->device && c->device_gone)
    hub_tx_exec(tx, &device_gone_sql, (const char *[]){c->device});
  else if (c->device && !strcmp(c->outcome, "delivered"))
    hub_tx_exec(tx, &device_used_sql, (const char *[]){c->device});
  return HUB_STATUS_OK;
}

static int64_t backoff_ms(const notify_settings *s, int attempt) {
  int64_t d = s->retry_base_ms > 0 ? s->retry_base_ms : 1000, cap = 6LL * 3600 * 1000;
  for (int i = 1; i < attempt && d < cap; i++) d *= 2;
  return d < cap ? d : cap;
}

/* One attempt of one taken delivery, by its channel. */
static void attempt(hub_arena *a, const notify_settings *s, notify_smtp *smtp, notify_push *push, const hub_rows *t,
                    int i, bool *ok, bool *permanent, bool *gone, char detail[256]) {
  const char *id = hub_rows_text(t, i, "id"), *to = hub_rows_text(t, i, "recipient");
  *gone = false;
  if (!strcmp(hub_rows_text(t, i, "channel"), "push")) {
    const char *token = hub_rows_text(t, i, "token");
    if (!token) { /* deleted since it was queued */
      *ok = false, *permanent = true;
      snprintf(detail, 256, "the device is no longer registered");
      return;
    }
    notify_push_result r;
    notify_push_send(push, s, token, hub_rows_text(t, i, "subject"), hub_rows_text(t, i, "body_text"),
                     hub_rows_text(t, i, "link"), hub_rows_text(t, i, "topic"), &r);
    *ok = r.ok, *permanent = r.permanent, *gone = r.unregistered;
    snprintf(detail, 256, "%s", r.detail);
    return;
  }
  const char *at = strchr(s->smtp_from, '@');
  const char *message_id = hub_arena_sprintf(a, "%s%s", id, at ? at : "@smbhub");
  const char *message =
      notify_mime_message(a, hub_rows_text(t, i, "sender_name"), s->smtp_from, to, hub_rows_text(t, i, "reply_to"),
                          hub_rows_text(t, i, "subject"), hub_rows_text(t, i, "body_text"),
                          hub_rows_text(t, i, "body_html"), message_id, hub_rows_text(t, i, "unsubscribe_url"));
  notify_smtp_result r;
  notify_smtp_send(smtp, s, s->smtp_from, to, message, &r);
  *ok = r.ok, *permanent = r.permanent;
  snprintf(detail, 256, "%s", r.detail);
}

hub_status notify_send_once(hub_pg *pg, hub_arena *a, const notify_settings *s, notify_smtp *smtp, notify_push *push,
                            notify_pass *out, bool *more) {
  *more = false;
  if (!smtp && !push) return HUB_STATUS_OK;
  char limit[16];
  snprintf(limit, sizeof limit, "%d", SEND_BATCH);
  take_ctx t = {limit, smtp && push ? "{email,push}" : smtp ? "{email}" : "{push}", NULL};
  hub_status st = hub_tx_run(pg, a, NULL, NULL, 30000, take_fn, &t);
  if (!hub_ok(st)) return st;
  int n = hub_rows_count(t.taken);
  *more = n == SEND_BATCH;
  for (int i = 0; i < n; i++) {
    const char *id = hub_rows_text(t.taken, i, "id");
    int n_attempt = (int)hub_rows_int(t.taken, i, "attempts");
    bool push_channel = !strcmp(hub_rows_text(t.taken, i, "channel"), "push");
    int64_t t0 = hub_clock_mono_ms();
    bool ok = false, permanent = false, gone = false;
    char detail[256] = "";
    attempt(a, s, smtp, push, t.taken, i, &ok, &permanent, &gone, detail);
    int64_t took = hub_clock_mono_ms() - t0;
    bool dead = !ok && (permanent || n_attempt >= s->max_attempts);
    outcome_ctx o = {id,
                     hub_arena_sprintf(a, "%d", n_attempt),
                     ok     ? "delivered"
                     : dead ? "dead"
                            : "retry",
                     hub_arena_strdup(a, detail),
                     hub_arena_sprintf(a, "%lld", (long long)took),
                     hub_arena_sprintf(a, "%lld", (long long)backoff_ms(s, n_attempt)),
                     dead,
                     push_channel ? hub_rows_text(t.taken, i, "recipient") : NULL,
                     gone};
    st = hub_tx_run(pg, a, NULL, NULL, 30000, outcome_fn, &o);
    if (!hub_ok(st)) return st; /* the lease runs out and it goes again: at least once */
    if (ok)
      out->sent++;
    else if (dead)
      out->dead++;
    else
      out->retried++;
    if (!ok)
      hub_logf(HUB_LOG_WARN, "notify: delivery %s attempt %d %s: %s", id, n_attempt, dead ? "gave up" : "failed",
               detail);
  }
  return HUB_STATUS_OK;
}

typedef struct prune_ctx {
  const char *days;
  hub_rows *deliveries, *events;
} prune_ctx;

static hub_status prune_fn(hub_tx *tx, void *ud) {
  prune_ctx *c = ud;
  hub_tx_exec(tx, &notify_scope_sql, NULL);
  c->deliveries = hub_tx_exec(tx, &prune_deliveries_sql, (const char *[]){c->days});
  c->events = hub_tx_exec(tx, &prune_outbox_sql, (const char *[]){c->days});
  return HUB_STATUS_OK;
}

hub_status notify_prune_once(hub_pg *pg, hub_arena *a, const notify_settings *s, notify_pass *out) {
  prune_ctx c = {hub_arena_sprintf(a, "%lld", (long long)s->retention_days), NULL, NULL};
  hub_status st = hub_tx_run(pg, a, NULL, NULL, 30000, prune_fn, &c);
  if (hub_ok(st)) out->pruned += (int)(hub_rows_int(c.deliveries, 0, "n") + hub_rows_int(c.events, 0, "n"));
  return st;
}
