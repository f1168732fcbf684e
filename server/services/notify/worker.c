/* The delivery worker: a router thread of hubd that every HUB_NOTIFY_INTERVAL_MS routes the
 * outboxes' new events (and once a minute removes what the retention no longer keeps), and
 * HUB_NOTIFY_SENDERS sender threads that send the mail that is due, each on a connection and
 * SMTP client of its own, woken by the router when it queues mail. Any number of hubd processes may run it
 * (the claims skip what another holds). Notify's lifecycle hooks (the end of this file) start
 * and stop it; with HUB_SMTP_URL empty events are still routed (the inbox works) and mail
 * waits, pending, until a process with a mail server sends it. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/clock.h"
#include "hub/config.h"
#include "hub/fs.h"
#include "hub/log.h"
#include "hub/periodic.h"
#include "metrics/metrics.h"
#include "services/notify/notify.h"

enum { MAX_ROUNDS = 20 }; /* per tick: a backlog drains over ticks, stopping stays prompt */

enum { MAX_SENDERS = 64 };

/* A sender thread: its own connection and SMTP client, so senders overlap their mail
 * servers' round trips (the claims skip what another holds). */
typedef struct sender {
  hub_periodic *thread;
  hub_pg *pg;
  notify_smtp *smtp; /* NULL: no mail server configured */
  notify_push *push; /* NULL: no push provider configured */
} sender;

typedef struct worker {
  hub_periodic *router;
  hub_pg *pg;
  sender senders[MAX_SENDERS];
  int n_senders;
  notify_settings s;
  char *password, *push_token;
  int64_t last_prune_ms;
  char cursor[40]; /* the last tenant routed */
} worker;

static worker w;

static const hub_metric_def routed_def = {"hub_notify_events_routed_total",
                                          "Outbox events the delivery worker routed (to recipients, or to nobody).",
                                          HUB_METRIC_COUNTER,
                                          NULL,
                                          NULL,
                                          0};
static const hub_metric_def inbox_def = {
    "hub_notify_inbox_written_total", "In-app notifications written to inboxes.", HUB_METRIC_COUNTER, NULL, NULL, 0};
static const hub_metric_def mail_def = {"hub_notify_mail_attempts_total",
                                        "Mail and push delivery attempts, by result: delivered, retry or dead.",
                                        HUB_METRIC_COUNTER,
                                        (const char *const[]){"result", NULL},
                                        NULL,
                                        0};
static const hub_metric_def passes_def = {"hub_notify_passes_total",
                                          "Delivery worker passes, by result: ok, or error.",
                                          HUB_METRIC_COUNTER,
                                          (const char *const[]){"result", NULL},
                                          NULL,
                                          0};
static struct { hub_counter *routed, *inbox, *delivered, *retry, *dead, *ok, *error; } metrics;

static void count(const notify_pass *pass, hub_status st) {
  hub_counter_inc(hub_ok(st) ? metrics.ok : metrics.error);
  hub_counter_add(metrics.routed, (uint64_t)pass->routed);
  hub_counter_add(metrics.inbox, (uint64_t)pass->inbox);
  hub_counter_add(metrics.delivered, (uint64_t)pass->sent);
  hub_counter_add(metrics.retry, (uint64_t)pass->retried);
  hub_counter_add(metrics.dead, (uint64_t)pass->dead);
  if (!hub_ok(st)) hub_logf(HUB_LOG_WARN, "notify worker: %s", st.message);
}

/* The router: new events to inboxes and queued mail, then the senders are woken. */
static void route_tick(hub_periodic *p, void *ud) {
  worker *k = ud;
  hub_arena *a = hub_arena_new(0);
  notify_pass pass = {0};
  hub_status st = HUB_STATUS_OK;
  bool more = true;
  for (int r = 0; more && r < MAX_ROUNDS && hub_ok(st) && !hub_periodic_stopping(p); r++) {
    st = notify_route_once(k->pg, a, &k->s, k->cursor, &pass, &more);
    hub_arena_reset(a);
    if (pass.queued)
      for (int i = 0; i < k->n_senders; i++) hub_periodic_kick(k->senders[i].thread);
  }
  if (hub_ok(st)) st = notify_digest_once(k->pg, a, &k->s, &pass);
  if (pass.digests)
    for (int i = 0; i < k->n_senders; i++) hub_periodic_kick(k->senders[i].thread);
  if (hub_ok(st) && hub_clock_mono_ms() - k->last_prune_ms > 60000) {
    st = notify_prune_once(k->pg, a, &k->s, &pass);
    k->last_prune_ms = hub_clock_mono_ms();
  }
  count(&pass, st);
  if (hub_ok(st) && (pass.routed || pass.pruned || pass.digests))
    hub_logf(HUB_LOG_INFO, "notify worker: %d events routed (%d in-app, %d mail queued), %d old rows pruned",
             pass.routed, pass.inbox, pass.queued, pass.pruned);
  hub_arena_free(a);
}

/* A sender: due mail, a batch at a time, until none is due. */
static void send_tick(hub_periodic *p, void *ud) {
  sender *me = ud;
  hub_arena *a = hub_arena_new(0);
  notify_pass pass = {0};
  hub_status st = HUB_STATUS_OK;
  bool more = true;
  for (int r = 0; more && r < MAX_ROUNDS && hub_ok(st) && !hub_periodic_stopping(p); r++) {
    st = notify_send_once(me->pg, a, &w.s, me->smtp, me->push, &pass, &more);
    hub_arena_reset(a);
  }
  count(&pass, st);
  if (hub_ok(st) && (pass.sent || pass.dead || pass.retried))
    hub_logf(HUB_LOG_INFO, "notify sender: %d sent, %d retrying, %d dead", pass.sent, pass.retried, pass.dead);
  hub_arena_free(a);
}

static int starttls_of(const char *s) { return !strcmp(s, "off") ? 0 : !strcmp(s, "optional") ? 1 : 2; }

static bool notify_start(const hub_service_env *env) {
  const hub_config *cfg = env->config;
  if (cfg->notify_interval_ms <= 0) return true; /* another process delivers */
  hub_metric_family *attempts = hub_metric_family_get(&mail_def), *passes = hub_metric_family_get(&passes_def);
  metrics.routed = hub_counter_simple(&routed_def);
  metrics.inbox = hub_counter_simple(&inbox_def);
  metrics.delivered = hub_counter_get(attempts, (const char *[]){"delivered"});
  metrics.retry = hub_counter_get(attempts, (const char *[]){"retry"});
  metrics.dead = hub_counter_get(attempts, (const char *[]){"dead"});
  metrics.ok = hub_counter_get(passes, (const char *[]){"ok"});
  metrics.error = hub_counter_get(passes, (const char *[]){"error"});
  w.s = (notify_settings){.smtp_url = cfg->smtp_url,
                          .smtp_user = cfg->smtp_username,
                          .smtp_ca_file = cfg->smtp_ca_file,
                          .smtp_from = cfg->smtp_from,
                          .smtp_starttls = starttls_of(cfg->smtp_starttls),
                          .public_url = cfg->public_url,
                          .push_url = cfg->push_url,
                          .push_project = cfg->push_project,
                          .push_ca_file = cfg->push_ca_file,
                          .max_attempts = cfg->notify_max_attempts,
                          .digest_window_s = cfg->notify_digest_window_s,
                          .retry_base_ms = cfg->notify_retry_base_ms,
                          .retention_days = cfg->notify_retention_days};
  if (*cfg->smtp_password_file) {
    w.password = hub_read_file(cfg->smtp_password_file, NULL);
    if (!w.password) {
      hub_logf(HUB_LOG_ERROR, "HUB_SMTP_PASSWORD_FILE: cannot read %s", cfg->smtp_password_file);
      return false;
    }
    w.password[strcspn(w.password, "\r\n")] = '\0';
    w.s.smtp_password = w.password;
  }
  if (*cfg->push_token_file) {
    w.push_token = hub_read_file(cfg->push_token_file, NULL);
    if (!w.push_token) {
      hub_logf(HUB_LOG_ERROR, "HUB_PUSH_TOKEN_FILE: cannot read %s", cfg->push_token_file);
      return false;
    }
    w.push_token[strcspn(w.push_token, "\r\n")] = '\0';
    w.s.push_token = w.push_token;
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return false;
  bool mail = *cfg->smtp_url, push = *cfg->push_url;
  if (mail || push) {
    w.n_senders = cfg->notify_senders < MAX_SENDERS ? cfg->notify_senders : MAX_SENDERS;
    for (int i = 0; i < w.n_senders; i++) {
      sender *me = &w.senders[i];
      char name[32];
      snprintf(name, sizeof name, "notify sender %d", i + 1);
      me->pg = hub_pg_new(cfg->database_url, cfg->db_timeout_ms);
      me->smtp = mail ? notify_smtp_new() : NULL;
      me->push = push ? notify_push_new() : NULL;
      if ((mail && !me->smtp) || (push && !me->push)) return false;
      if (!(me->thread = hub_periodic_start(name, cfg->notify_interval_ms, send_tick, me))) return false;
    }
  }
  if (!mail)
    hub_logf(
        HUB_LOG_WARN,
        "HUB_SMTP_URL is empty: notifications reach inboxes; mail waits until a process with a mail server sends it");
  w.pg = hub_pg_new(cfg->database_url, cfg->db_timeout_ms);
  w.last_prune_ms = hub_clock_mono_ms();
  w.router = hub_periodic_start("notify router", cfg->notify_interval_ms, route_tick, &w);
  return w.router != NULL;
}

static void notify_stop(void) {
  hub_periodic_stop(w.router);
  w.router = NULL;
  hub_pg_free(w.pg);
  w.pg = NULL;
  for (int i = 0; i < w.n_senders; i++) {
    hub_periodic_stop(w.senders[i].thread);
    hub_pg_free(w.senders[i].pg);
    notify_smtp_free(w.senders[i].smtp);
    notify_push_free(w.senders[i].push);
    w.senders[i] = (sender){0};
  }
  w.n_senders = 0;
  if (w.push_token) {
    memset(w.push_token, 0, strlen(w.push_token));
    free(w.push_token);
    w.push_token = NULL;
  }
  if (w.password) {
    memset(w.password, 0, strlen(w.password));
    free(w.password);
    w.password = NULL;
  }
}

const hub_service_lifecycle hub_notify_v1_notify_lifecycle = {
    .start = notify_start, .stop = notify_stop, .commands = notify_commands};
