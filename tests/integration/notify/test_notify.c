/* Notify through a real hubd running its delivery worker (no mail server here: mail is routed,
 * rendered and waits, pending; the mail itself is tests/e2e/test_mail.py's): a ticket assigned
 * to an agent reaches their inbox and queues their mail; MarkRead; preferences (theirs over
 * the tenant's over the topic's, security notices refused) decide what the next event makes;
 * quiet hours hold mail; an invitation's mail is rendered in the brand's dress with every
 * value escaped, and its token leaves the outbox once routed; one-click unsubscribe works
 * without a sign-in and refuses a forged token; another tenant sees none of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>

#include "hub/notify/v1/notify.hub-client.h"
#include "hub/tenant/v1/tenant.hub-client.h"
#include "hub/ticket/v1/ticket.hub-client.h"
#include "support/procs.h"
#include "support/world.h"

#define CHECK(st, what)                                                               \
  do {                                                                                \
    hub_status _s = (st);                                                             \
    if (!hub_ok(_s)) fail_msg("%s: %s %s", what, hub_code_name(_s.code), _s.message); \
  } while (0)

static hub_world w;
static hub_test_user alice, bob, carol; /* alice owns "Alice <Notify> & Co", bob is her agent; carol owns another */

static int setup(void **state) {
  (void)state;
  const char *extra[] = {"HUB_NOTIFY_INTERVAL_MS=100", "HUB_PUBLIC_URL=https://app.test",
                         "HUB_NOTIFY_DIGEST_WINDOW_S=2", NULL};
  if (!hub_world_up(&w, "notify", extra)) return -1;
  hub_world_signup_login(&w, "alice-notify@example.com", "Alice <Notify> & Co", "exakeep", &alice);
  hub_world_signup_login(&w, "carol-notify@example.com", "Carol Co", "exakeep", &carol);
  hub_world_signup_login(&w, "bob-notify@example.com", NULL, NULL, &bob);
  if (hub_world_sql(&w, "INSERT INTO members (tenant_id, user_id, role) VALUES ('%s', '%s', 'admin')", alice.tenant_id,
                    bob.user_id))
    return -1;
  return hub_ok(hub_world_login(&w, bob.email, bob.password, alice.tenant_id, &bob)) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

static void sleep_ms(int ms) { usleep((useconds_t)ms * 1000); }

static long count(const char *fmt, const char *arg) {
  char *v = hub_world_query(&w, fmt, arg);
  long n = v ? strtol(v, NULL, 10) : -1;
  free(v);
  return n;
}

/* Waits (up to 10 s) until the worker has routed every event of the tenant. */
static void routed(const char *tenant) {
  for (int i = 0; i < 200; i++) {
    if (count("SELECT count(*) FROM outbox WHERE tenant_id = '%s' AND delivered_at IS NULL", tenant) == 0) return;
    sleep_ms(50);
  }
  fail_msg("the outbox of %s was not routed within 10 s", tenant);
}

static Hub__Ticket__V1__TicketInfo *assigned_ticket(hub_arena *a, const char *subject) {
  Hub__Ticket__V1__CreateTicketRequest creq = HUB__TICKET__V1__CREATE_TICKET_REQUEST__INIT;
  creq.subject = (char *)subject;
  Hub__Ticket__V1__TicketInfo *t = NULL, *out = NULL;
  hub_call_options o = hub_world_opts(&alice);
  CHECK(hub_ticket_v1_ticket_create_ticket_call(w.ch, &o, a, &creq, &t), "CreateTicket");
  Hub__Ticket__V1__AssignTicketRequest req = HUB__TICKET__V1__ASSIGN_TICKET_REQUEST__INIT;
  req.id = t->id;
  req.assignee_id = bob.user_id;
  CHECK(hub_ticket_v1_ticket_assign_ticket_call(w.ch, &o, a, &req, &out), "AssignTicket");
  return out;
}

static Hub__Notify__V1__ListNotificationsResponse *inbox(hub_arena *a, const hub_test_user *u, bool unread_only) {
  Hub__Notify__V1__ListNotificationsRequest req = HUB__NOTIFY__V1__LIST_NOTIFICATIONS_REQUEST__INIT;
  req.unread_only = unread_only;
  Hub__Notify__V1__ListNotificationsResponse *r = NULL;
  hub_call_options o = hub_world_opts(u);
  CHECK(hub_notify_v1_notify_list_notifications_call(w.ch, &o, a, &req, &r), "ListNotifications");
  return r;
}

static hub_status update_prefs(hub_arena *a, const char *topic, int channel, bool enabled, const char *quiet_start,
                               const char *quiet_end, Hub__Notify__V1__Preferences **out) {
  Hub__Notify__V1__Choice c = HUB__NOTIFY__V1__CHOICE__INIT;
  c.topic = (char *)topic, c.channel = channel, c.enabled = enabled;
  Hub__Notify__V1__Choice *cs[] = {&c};
  Hub__Notify__V1__UpdatePreferencesRequest req = HUB__NOTIFY__V1__UPDATE_PREFERENCES_REQUEST__INIT;
  if (topic) req.n_choices = 1, req.choices = cs;
  req.quiet_start = (char *)(quiet_start ? quiet_start : "");
  req.quiet_end = (char *)(quiet_end ? quiet_end : "");
  hub_call_options o = hub_world_opts(&bob);
  return hub_notify_v1_notify_update_preferences_call(w.ch, &o, a, &req, out);
}

static const Hub__Notify__V1__Choice *choice_of(const Hub__Notify__V1__Preferences *p, const char *topic, int channel) {
  for (size_t i = 0; i < p->n_choices; i++)
    if (!strcmp(p->choices[i]->topic, topic) && p->choices[i]->channel == (Hub__Notify__V1__Channel)channel)
      return p->choices[i];
  fail_msg("no choice for %s", topic);
  return NULL;
}

#define IN_APP HUB__NOTIFY__V1__CHANNEL__CHANNEL_IN_APP
#define EMAIL HUB__NOTIFY__V1__CHANNEL__CHANNEL_EMAIL

static void test_assignment_reaches_inbox(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Ticket__V1__TicketInfo *t = assigned_ticket(a, "Printer <on fire>");
  routed(alice.tenant_id);
  Hub__Notify__V1__ListNotificationsResponse *r = inbox(a, &bob, false);
  assert_int_equal(r->n_notifications, 1);
  Hub__Notify__V1__Notification *n = r->notifications[0];
  char *title = hub_arena_sprintf(a, "Ticket #%lld was assigned to you", (long long)t->number);
  assert_string_equal(n->topic, "ticket.assigned");
  assert_string_equal(n->title, title);
  assert_string_equal(n->link, hub_arena_sprintf(a, "/tickets/%lld", (long long)t->number));
  assert_non_null(strstr(n->body, "Printer <on fire>")); /* in-app text is text: the UI escapes it */
  assert_string_equal(n->brand, "exakeep");
  assert_int_equal(r->unread_count, 1);
  /* Its mail waits for a mail server, rendered, with the subject as the title. */
  Hub__Notify__V1__ListDeliveriesRequest dreq = HUB__NOTIFY__V1__LIST_DELIVERIES_REQUEST__INIT;
  Hub__Notify__V1__ListDeliveriesResponse *d = NULL;
  hub_call_options ao = hub_world_opts(&alice);
  CHECK(hub_notify_v1_notify_list_deliveries_call(w.ch, &ao, a, &dreq, &d), "ListDeliveries");
  assert_int_equal(d->n_deliveries, 1);
  assert_string_equal(d->deliveries[0]->topic, "ticket.assigned");
  assert_string_equal(d->deliveries[0]->address, "bob-notify@example.com");
  assert_int_equal(d->deliveries[0]->state, HUB__NOTIFY__V1__DELIVERY_STATE__DELIVERY_STATE_PENDING);
  assert_int_equal(d->deliveries[0]->attempts, 0);
  char *html = hub_world_query(&w, "SELECT body_html FROM notify_deliveries WHERE id = '%s'", d->deliveries[0]->id);
  assert_non_null(strstr(html, "Printer &lt;on fire&gt;"));
  assert_null(strstr(html, "<on fire>"));
  assert_non_null(strstr(html, "https://app.test/tickets/"));
  free(html);
  /* Read: once. */
  Hub__Notify__V1__MarkReadRequest mreq = HUB__NOTIFY__V1__MARK_READ_REQUEST__INIT;
  char *ids[] = {n->id};
  mreq.n_ids = 1, mreq.ids = ids;
  Hub__Notify__V1__MarkReadResponse *m = NULL;
  hub_call_options bo = hub_world_opts(&bob);
  CHECK(hub_notify_v1_notify_mark_read_call(w.ch, &bo, a, &mreq, &m), "MarkRead");
  assert_int_equal(m->marked, 1);
  assert_int_equal(m->unread_count, 0);
  CHECK(hub_notify_v1_notify_mark_read_call(w.ch, &bo, a, &mreq, &m), "MarkRead again");
  assert_int_equal(m->marked, 0);
  assert_int_equal(inbox(a, &bob, true)->n_notifications, 0);
  /* Another tenant sees none of it, cannot mark it, and cannot replay it. */
  assert_int_equal(inbox(a, &carol, false)->n_notifications, 0);
  hub_call_options co = hub_world_opts(&carol);
  CHECK(hub_notify_v1_notify_mark_read_call(w.ch, &co, a, &mreq, &m), "MarkRead of bob's as carol");
  assert_int_equal(m->marked, 0);
  assert_int_equal(count("SELECT count(*) FROM notify_inbox WHERE id = '%s' AND read_at IS NOT NULL", n->id), 1);
  CHECK(hub_notify_v1_notify_list_deliveries_call(w.ch, &co, a, &dreq, &d), "ListDeliveries as carol");
  assert_int_equal(d->n_deliveries, 0);
  Hub__Notify__V1__RetryDeliveryRequest rreq = HUB__NOTIFY__V1__RETRY_DELIVERY_REQUEST__INIT;
  rreq.id = (char *)hub_world_query(&w, "SELECT id FROM notify_deliveries WHERE tenant_id = '%s'", alice.tenant_id);
  Hub__Notify__V1__Delivery *out = NULL;
  hub_status st = hub_notify_v1_notify_retry_delivery_call(w.ch, &co, a, &rreq, &out);
  assert_int_equal(st.code, HUB_NOT_FOUND);
  st = hub_notify_v1_notify_retry_delivery_call(w.ch, &ao, a, &rreq, &out); /* alice's own, but not dead */
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  free(rreq.id);
  hub_arena_free(a);
}

static void test_preferences_decide(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Notify__V1__Preferences *p = NULL;
  /* What cannot be chosen is refused, naming the choice. */
  hub_status st = update_prefs(a, "account.password_reset", EMAIL, false, NULL, NULL, &p);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "security notice"));
  assert_int_equal(update_prefs(a, "tenant.invitation", EMAIL, false, NULL, NULL, &p).code, HUB_FAILED_PRECONDITION);
  st = update_prefs(a, "ticket.nonesuch", EMAIL, false, NULL, NULL, &p);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_non_null(strstr(st.message, "choices[0].topic"));
  assert_int_equal(update_prefs(a, "ticket.assigned", 0, false, NULL, NULL, &p).code, HUB_INVALID_ARGUMENT);
  assert_int_equal(update_prefs(a, NULL, 0, false, "25:00", "07:00", &p).code, HUB_INVALID_ARGUMENT);
  assert_int_equal(update_prefs(a, NULL, 0, false, "22:00", NULL, &p).code, HUB_INVALID_ARGUMENT);
  /* The tenant's default, then bob's own choice over it. */
  Hub__Notify__V1__Choice dc = HUB__NOTIFY__V1__CHOICE__INIT;
  dc.topic = "ticket.assigned", dc.channel = IN_APP, dc.enabled = false;
  Hub__Notify__V1__Choice *dcs[] = {&dc};
  Hub__Notify__V1__SetTenantDefaultsRequest dreq = HUB__NOTIFY__V1__SET_TENANT_DEFAULTS_REQUEST__INIT;
  dreq.n_choices = 1, dreq.choices = dcs;
  Hub__Notify__V1__SetTenantDefaultsResponse *dr = NULL;
  hub_call_options ao = hub_world_opts(&alice);
  CHECK(hub_notify_v1_notify_set_tenant_defaults_call(w.ch, &ao, a, &dreq, &dr), "SetTenantDefaults");
  assert_int_equal(dr->n_choices, 1);
  Hub__Notify__V1__GetPreferencesRequest greq = HUB__NOTIFY__V1__GET_PREFERENCES_REQUEST__INIT;
  hub_call_options bo = hub_world_opts(&bob);
  CHECK(hub_notify_v1_notify_get_preferences_call(w.ch, &bo, a, &greq, &p), "GetPreferences");
  assert_false(choice_of(p, "ticket.assigned", IN_APP)->enabled);
  assert_string_equal(choice_of(p, "ticket.assigned", IN_APP)->source, "tenant");
  assert_true(choice_of(p, "ticket.assigned", EMAIL)->enabled);
  assert_string_equal(choice_of(p, "ticket.assigned", EMAIL)->source, "default");
  CHECK(update_prefs(a, "ticket.assigned", EMAIL, false, NULL, NULL, &p), "email off");
  assert_string_equal(choice_of(p, "ticket.assigned", EMAIL)->source, "user");
  /* Both off: the next assignment makes neither an inbox row nor a mail. */
  long before_inbox = count("SELECT count(*) FROM notify_inbox WHERE user_id = '%s'", bob.user_id);
  long before_mail = count("SELECT count(*) FROM notify_deliveries WHERE recipient = '%s'", bob.email);
  assigned_ticket(a, "Quietly");
  routed(alice.tenant_id);
  assert_int_equal(count("SELECT count(*) FROM notify_inbox WHERE user_id = '%s'", bob.user_id), before_inbox);
  assert_int_equal(count("SELECT count(*) FROM notify_deliveries WHERE recipient = '%s'", bob.email), before_mail);
  /* Bob's own choice wins over the tenant's default: in-app on again. */
  CHECK(update_prefs(a, "ticket.assigned", IN_APP, true, NULL, NULL, &p), "in-app on");
  assigned_ticket(a, "Loudly");
  routed(alice.tenant_id);
  assert_int_equal(count("SELECT count(*) FROM notify_inbox WHERE user_id = '%s'", bob.user_id), before_inbox + 1);
  assert_int_equal(count("SELECT count(*) FROM notify_deliveries WHERE recipient = '%s'", bob.email), before_mail);
  hub_arena_free(a);
}

/* Quiet hours around now (UTC: bob's profile has no zone): his mail waits until they end. */
static void test_quiet_hours_hold_mail(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  time_t now = time(NULL);
  struct tm start, end;
  time_t s = now - 3600, e = now + 2 * 3600;
  gmtime_r(&s, &start);
  gmtime_r(&e, &end);
  char qs[8], qe[8];
  snprintf(qs, sizeof qs, "%02d:%02d", start.tm_hour, start.tm_min);
  snprintf(qe, sizeof qe, "%02d:%02d", end.tm_hour, end.tm_min);
  Hub__Notify__V1__Preferences *p = NULL;
  CHECK(update_prefs(a, "ticket.assigned", EMAIL, true, qs, qe, &p), "quiet hours");
  assert_string_equal(p->quiet_start, qs);
  assert_string_equal(p->time_zone, "UTC");
  Hub__Ticket__V1__TicketInfo *t = assigned_ticket(a, "At night");
  routed(alice.tenant_id);
  char *wait_s = hub_world_query(&w,
                                 "SELECT extract(epoch FROM d.next_attempt_at - now())::int FROM notify_deliveries d "
                                 "JOIN outbox o ON o.tenant_id = d.tenant_id AND o.id = d.source_id "
                                 "WHERE o.aggregate_id = '%s' AND o.topic = 'ticket.assigned'",
                                 t->id);
  assert_non_null(wait_s);
  long held = strtol(wait_s, NULL, 10);
  free(wait_s);
  assert_true(held > 3600 && held <= 2 * 3600 + 60);
  Hub__Notify__V1__UpdatePreferencesRequest clear = HUB__NOTIFY__V1__UPDATE_PREFERENCES_REQUEST__INIT;
  clear.clear_quiet_hours = true;
  hub_call_options bo = hub_world_opts(&bob);
  CHECK(hub_notify_v1_notify_update_preferences_call(w.ch, &bo, a, &clear, &p), "clear quiet hours");
  assert_string_equal(p->quiet_start, "");
  hub_arena_free(a);
}

/* The invitation's mail: the brand's words and dress, the tenant's name escaped, the link's
 * token usable; the outbox row no longer holds the token. */
static void test_invitation_mail(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__InviteMemberRequest req = HUB__TENANT__V1__INVITE_MEMBER_REQUEST__INIT;
  req.email = "dora-invited@example.com";
  req.role = "member";
  Hub__Tenant__V1__InviteMemberResponse *inv = NULL;
  hub_call_options ao = hub_world_opts(&alice);
  CHECK(hub_tenant_v1_tenant_invite_member_call(w.ch, &ao, a, &req, &inv), "InviteMember");
  routed(alice.tenant_id);
  assert_int_equal(
      count("SELECT count(*) FROM outbox WHERE aggregate_id = '%s' AND payload ? 'token'", inv->invitation_id), 0);
  char *subject =
      hub_world_query(&w, "SELECT subject FROM notify_deliveries WHERE recipient = 'dora-invited@example.com'");
  assert_string_equal(subject, "Alice <Notify> & Co invited you to ExaKeep");
  free(subject);
  char *html =
      hub_world_query(&w, "SELECT body_html FROM notify_deliveries WHERE recipient = 'dora-invited@example.com'");
  assert_non_null(strstr(html, "Alice &lt;Notify&gt; &amp; Co"));
  assert_null(strstr(html, "<Notify>"));
  assert_non_null(strstr(html, "support@exakeep.com"));
  free(html);
  char *text =
      hub_world_query(&w, "SELECT body_text FROM notify_deliveries WHERE recipient = 'dora-invited@example.com'");
  const char *at = strstr(text, "https://app.test/invitations/accept?token=");
  assert_non_null(at);
  char token[128];
  assert_int_equal(sscanf(at, "https://app.test/invitations/accept?token=%127[A-Za-z0-9_.-]", token), 1);
  free(text);
  hub_test_user dora;
  hub_world_signup_login(&w, "dora-invited@example.com", NULL, NULL, &dora);
  Hub__Tenant__V1__AcceptInvitationRequest acc = HUB__TENANT__V1__ACCEPT_INVITATION_REQUEST__INIT;
  acc.token = token;
  Hub__Tenant__V1__Member *m = NULL;
  hub_call_options dopt = hub_world_opts(&dora);
  CHECK(hub_tenant_v1_tenant_accept_invitation_call(w.ch, &dopt, a, &acc, &m),
        "AcceptInvitation with the mailed token");
  assert_string_equal(m->user_id, dora.user_id);
  hub_arena_free(a);
}

static void test_unsubscribe_link(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *url = hub_world_query(&w,
                              "SELECT unsubscribe_url FROM notify_deliveries WHERE recipient = '%s' AND topic = "
                              "'ticket.assigned' AND unsubscribe_url <> '' ORDER BY id LIMIT 1",
                              bob.email);
  assert_non_null(url);
  const char *t = strstr(url, "token=");
  assert_non_null(t);
  Hub__Notify__V1__UnsubscribeRequest req = HUB__NOTIFY__V1__UNSUBSCRIBE_REQUEST__INIT;
  Hub__Notify__V1__UnsubscribeResponse *r = NULL;
  hub_call_options anon = {0};
  /* A forged token: one character of the signature changed. */
  char *forged = hub_arena_strdup(a, t + 6);
  size_t n = strlen(forged);
  forged[n - 2] = forged[n - 2] == 'A' ? 'B' : 'A';
  req.token = forged;
  hub_status st = hub_notify_v1_notify_unsubscribe_call(w.ch, &anon, a, &req, &r);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  req.token = (char *)t + 6;
  CHECK(hub_notify_v1_notify_unsubscribe_call(w.ch, &anon, a, &req, &r), "Unsubscribe");
  assert_string_equal(r->topic, "ticket.assigned");
  assert_int_equal(r->channel, EMAIL);
  CHECK(hub_notify_v1_notify_unsubscribe_call(w.ch, &anon, a, &req, &r), "Unsubscribe twice");
  assert_int_equal(count("SELECT count(*) FROM notify_preferences WHERE user_id = '%s' AND topic = 'ticket.assigned' "
                         "AND channel = 'email' AND NOT enabled",
                         bob.user_id),
                   1);
  /* Account mail (a security notice) never carries a link. */
  assert_int_equal(
      count("SELECT count(*) FROM notify_deliveries WHERE security AND unsubscribe_url <> '' AND '%s' <> ''", "x"), 0);
  free(url);
  hub_arena_free(a);
}

static void invite(hub_arena *a, const char *email) {
  Hub__Tenant__V1__InviteMemberRequest req = HUB__TENANT__V1__INVITE_MEMBER_REQUEST__INIT;
  req.email = (char *)email;
  req.role = "member";
  Hub__Tenant__V1__InviteMemberResponse *inv = NULL;
  hub_call_options ao = hub_world_opts(&alice);
  CHECK(hub_tenant_v1_tenant_invite_member_call(w.ch, &ao, a, &req, &inv), "InviteMember");
}

/* An event whose routing fails by itself (here a trigger refuses its mail) is set aside with
 * the reason; the tenant's other events, before and after it, still go out. */
static void test_a_poison_event_is_set_aside(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  assert_int_equal(hub_world_sql(&w,
                                 "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                                 "IF NEW.recipient = 'poison@example.com' THEN RAISE EXCEPTION 'poisoned'; END IF; "
                                 "RETURN NEW; END $$; CREATE TRIGGER poison BEFORE INSERT ON notify_deliveries "
                                 "FOR EACH ROW EXECUTE FUNCTION poison()"),
                   0);
  invite(a, "before-poison@example.com");
  invite(a, "poison@example.com");
  invite(a, "after-poison@example.com");
  routed(alice.tenant_id);
  assert_int_equal(count("SELECT count(*) FROM notify_deliveries WHERE recipient IN ('before-poison@example.com', "
                         "'after-poison@example.com') AND '%s' <> ''",
                         "x"),
                   2);
  assert_int_equal(count("SELECT count(*) FROM outbox WHERE tenant_id = '%s' AND route_error IS NOT NULL "
                         "AND NOT payload ? 'token'",
                         alice.tenant_id),
                   1);
  char out[8192];
  assert_int_equal(hub_world_command(&w, "notify-status", NULL, out, sizeof out), 0);
  if (!strstr(out, "set aside: event")) fail_msg("notify-status said:\n%s", out);
  assert_int_equal(hub_world_sql(&w, "DROP TRIGGER poison ON notify_deliveries; DROP FUNCTION poison()"), 0);
  hub_arena_free(a);
}

/* The operator's view and replay of dead letters, across tenants and account mail. */
static void test_operator_commands(void **state) {
  (void)state;
  assert_int_equal(
      hub_world_sql(&w,
                    "UPDATE notify_deliveries SET state = 'dead', attempts = 8, last_error = "
                    "'550 5.1.1 test' WHERE recipient = 'dora-invited@example.com' AND topic = 'tenant.invitation'"),
      0);
  char out[8192];
  assert_int_equal(hub_world_command(&w, "notify-status", NULL, out, sizeof out), 0);
  assert_non_null(strstr(out, "outbox: "));
  assert_non_null(strstr(out, ", 1 dead"));
  assert_non_null(strstr(out, "tenant.invitation dora-invited@example.com"));
  assert_non_null(strstr(out, "8 attempts: 550 5.1.1 test"));
  assert_int_equal(hub_world_command(&w, "notify-redeliver", NULL, out, sizeof out), 0);
  assert_non_null(strstr(out, "1 dead deliveries queued again"));
  assert_int_equal(count("SELECT count(*) FROM notify_deliveries WHERE recipient = '%s' AND state = 'pending' "
                         "AND topic = 'tenant.invitation'",
                         "dora-invited@example.com"),
                   1);
}

/* Mail as a digest: two assignments collected, then one mail naming both once the first has
 * waited HUB_NOTIFY_DIGEST_WINDOW_S (2 s here); a digest is mail only. */
static void test_digest_collects_mail(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Notify__V1__Choice c = HUB__NOTIFY__V1__CHOICE__INIT;
  c.topic = "ticket.assigned", c.channel = IN_APP, c.enabled = true, c.digest = true;
  Hub__Notify__V1__Choice *cs[] = {&c};
  Hub__Notify__V1__UpdatePreferencesRequest req = HUB__NOTIFY__V1__UPDATE_PREFERENCES_REQUEST__INIT;
  req.n_choices = 1, req.choices = cs;
  Hub__Notify__V1__Preferences *p = NULL;
  hub_call_options bo = hub_world_opts(&bob);
  hub_status st = hub_notify_v1_notify_update_preferences_call(w.ch, &bo, a, &req, &p);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT); /* in-app never waits for a digest */
  assert_non_null(strstr(st.message, "choices[0].digest"));
  c.channel = EMAIL;
  CHECK(hub_notify_v1_notify_update_preferences_call(w.ch, &bo, a, &req, &p), "digest on");
  assert_true(choice_of(p, "ticket.assigned", EMAIL)->digest);
  long mails = count("SELECT count(*) FROM notify_deliveries WHERE recipient = '%s' AND source = 'outbox'", bob.email);
  Hub__Ticket__V1__TicketInfo *t1 = assigned_ticket(a, "Digest one"), *t2 = assigned_ticket(a, "Digest two");
  routed(alice.tenant_id);
  assert_int_equal(
      count("SELECT count(*) FROM notify_deliveries WHERE recipient = '%s' AND source = 'outbox'", bob.email), mails);
  char *text = NULL;
  for (int i = 0; i < 200 && !text; i++) {
    text = hub_world_query(&w,
                           "SELECT subject || E'\n' || body_text FROM notify_deliveries WHERE source = 'digest' "
                           "AND recipient = '%s'",
                           bob.email);
    if (!text) sleep_ms(50);
  }
  if (!text) fail_msg("no digest within 10 s");
  assert_non_null(strstr(text, "2 notifications from ExaKeep"));
  assert_non_null(strstr(text, hub_arena_sprintf(a, "Ticket #%lld was assigned to you", (long long)t1->number)));
  assert_non_null(strstr(text, hub_arena_sprintf(a, "Ticket #%lld was assigned to you", (long long)t2->number)));
  free(text);
  assert_int_equal(count("SELECT count(*) FROM notify_digest_items WHERE user_id = '%s'", bob.user_id), 0);
  hub_arena_free(a);
}

/* WatchNotifications from now: what arrives after the stream opens, in order, and only the
 * caller's; resuming after the first one sends the second again, never the first. */
static void test_watch_notifications(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Notify__V1__WatchNotificationsRequest req = HUB__NOTIFY__V1__WATCH_NOTIFICATIONS_REQUEST__INIT;
  hub_call_options o = hub_world_opts(&bob);
  o.timeout_ms = 15000;
  hub_client_stream *s = NULL;
  CHECK(hub_notify_v1_notify_watch_notifications_start(w.ch, &o, a, &req, &s), "WatchNotifications");
  sleep_ms(300);
  Hub__Ticket__V1__TicketInfo *t1 = assigned_ticket(a, "Watched one"), *t2 = assigned_ticket(a, "Watched two");
  char *ids[2];
  for (int i = 0; i < 2; i++) {
    ProtobufCMessage *m = NULL;
    CHECK(hub_client_stream_recv(s, &m), "recv");
    assert_non_null(m);
    Hub__Notify__V1__Notification *n = (Hub__Notify__V1__Notification *)m;
    const Hub__Ticket__V1__TicketInfo *t = i == 0 ? t1 : t2;
    assert_string_equal(n->title, hub_arena_sprintf(a, "Ticket #%lld was assigned to you", (long long)t->number));
    ids[i] = hub_arena_strdup(a, n->id);
  }
  hub_client_stream_cancel(s);
  hub_client_stream_finish(s);
  req.after_id = ids[0];
  CHECK(hub_notify_v1_notify_watch_notifications_start(w.ch, &o, a, &req, &s), "WatchNotifications resumed");
  ProtobufCMessage *m = NULL;
  CHECK(hub_client_stream_recv(s, &m), "recv resumed");
  assert_string_equal(((Hub__Notify__V1__Notification *)m)->id, ids[1]);
  hub_client_stream_cancel(s);
  hub_client_stream_finish(s);
  /* Carol's watch sees none of Bob's. */
  hub_call_options co = hub_world_opts(&carol);
  co.timeout_ms = 1500;
  req.after_id = "";
  CHECK(hub_notify_v1_notify_watch_notifications_start(w.ch, &co, a, &req, &s), "WatchNotifications as carol");
  assigned_ticket(a, "Not for carol");
  m = NULL;
  hub_status st = hub_client_stream_recv(s, &m);
  assert_true(!hub_ok(st) || m == NULL); /* her deadline passes with nothing */
  hub_client_stream_finish(s);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_assignment_reaches_inbox),
      cmocka_unit_test(test_preferences_decide),
      cmocka_unit_test(test_quiet_hours_hold_mail),
      cmocka_unit_test(test_invitation_mail),
      cmocka_unit_test(test_unsubscribe_link),
      cmocka_unit_test(test_operator_commands),
      cmocka_unit_test(test_a_poison_event_is_set_aside),
      cmocka_unit_test(test_digest_collects_mail),
      cmocka_unit_test(test_watch_notifications),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
