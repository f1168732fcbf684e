/* WatchEntries through a real hubd: an entry whose transaction began first but committed last is
 * neither skipped nor sent out of order (a "seq > last seen" stream would skip it), pending
 * entries come twice (recorded, then resolved), and a reconnect with a token resumes exactly
 * after it; "from now" sends nothing committed before the watch began, even while another
 * transaction (of anyone) holds the horizon back. The slow transactions are held open on
 * connections of the test's own, as hubd's role. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "books.h"

typedef Hub__Accounting__V1__EntryEvent EntryEvent;

static hub_test_user nina;

static void sleep_ms(int ms) { nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL); }

static int setup(void **state) {
  (void)state;
  if (!hub_world_up(&w, "accwatch", NULL)) return -1;
  hub_world_signup_login(&w, "nina-watch@example.com", "Nina Watch", "smb_hub", &nina);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

static hub_client_stream *watch(hub_arena *a, const char *token, hub_status *st) {
  Hub__Accounting__V1__WatchEntriesRequest req = HUB__ACCOUNTING__V1__WATCH_ENTRIES_REQUEST__INIT;
  req.resume_token = (char *)(token ? token : "");
  hub_call_options o = hub_world_opts(&nina);
  o.timeout_ms = 20000;
  hub_client_stream *s = NULL;
  *st = hub_accounting_v1_accounting_watch_entries_start(w.ch, &o, a, &req, &s);
  return s;
}

static EntryEvent *next(hub_client_stream *s) {
  ProtobufCMessage *m = NULL;
  hub_status st = hub_client_stream_recv(s, &m);
  if (!hub_ok(st) || !m) fail_msg("WatchEntries ended early: %s %s", hub_code_name(st.code), st.message ? st.message : "");
  return (EntryEvent *)m;
}

static void done(hub_client_stream *s) {
  hub_client_stream_cancel(s);
  hub_client_stream_finish(s);
}

static void test_commit_order_pending_and_resume(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Entry *e0 = NULL, *e2 = NULL, *pend = NULL, *voided = NULL;
  /* A transaction with an id, open across the start of the watch: the horizon stays behind it. */
  PGconn *idle = PQconnectdb(w.stack.app_url);
  assert_int_equal(PQstatus(idle), CONNECTION_OK);
  PQclear(PQexec(idle, "BEGIN"));
  PQclear(PQexec(idle, "SELECT pg_current_xact_id()"));
  CHECK(acc_post(a, &nina, acc_entry2(a, NULL, "2026-11-04", "1020", "3010", 100), &e0), "opening entry (before the watch)");
  hub_status st;
  hub_client_stream *s = watch(a, NULL, &st);
  CHECK(st, "WatchEntries");
  sleep_ms(400); /* the stream has taken its starting point */
  PQclear(PQexec(idle, "COMMIT")); /* the horizon passes e0, committed before the watch: not sent */
  PQfinish(idle);

  /* A transaction that records an entry and stays open... */
  PGconn *slow = PQconnectdb(w.stack.app_url);
  assert_int_equal(PQstatus(slow), CONNECTION_OK);
  PQclear(PQexec(slow, "BEGIN"));
  const char *params[] = {nina.tenant_id};
  PQclear(PQexecParams(slow, "SELECT set_config('hub.tenant_id', $1, true)", 1, NULL, params, NULL, NULL, 0));
  PGresult *r = PQexec(slow, "SELECT id FROM accounting_post_checked('[{\"date\": \"2026-11-05\", \"description\": \"slow\", "
                             "\"lines\": [{\"account_code\": \"1020\", \"side\": \"debit\", \"amount\": 7, \"currency\": \"USD\"}, "
                             "{\"account_code\": \"4010\", \"side\": \"credit\", \"amount\": 7, \"currency\": \"USD\"}]}]')");
  assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
  char slow_id[40];
  snprintf(slow_id, sizeof slow_id, "%s", PQgetvalue(r, 0, 0));
  PQclear(r);
  /* ... while a later one commits first. */
  CHECK(acc_post(a, &nina, acc_entry2(a, NULL, "2026-11-06", "1010", "4020", 9) /* other rows than the open one locks */, &e2), "fast entry");
  sleep_ms(700); /* several polls pass: the fast entry must wait behind the open transaction */
  r = PQexec(slow, "COMMIT");
  assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
  PQclear(r);
  PQfinish(slow);

  EntryEvent *first = next(s), *second = next(s);
  assert_int_equal(first->kind, HUB__ACCOUNTING__V1__ENTRY_EVENT_KIND__ENTRY_EVENT_KIND_RECORDED);
  assert_string_equal(first->entry->id, slow_id); /* began first: first, though it committed last */
  assert_int_equal(first->entry->n_lines, 2);
  assert_string_equal(second->entry->id, e2->id);
  assert_true(first->entry->seq < second->entry->seq);
  char after_first[80];
  snprintf(after_first, sizeof after_first, "%s", first->resume_token);

  /* A pending entry: recorded, then resolved when voided. */
  EntryInput *p = acc_entry2(a, NULL, "2026-11-07", "1020", "4010", 11);
  p->pending = true;
  Google__Protobuf__Timestamp exp = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  exp.seconds = time(NULL) + 3600;
  p->expire_time = &exp;
  CHECK(acc_post(a, &nina, p, &pend), "pending");
  Hub__Accounting__V1__VoidPendingEntryRequest vreq = HUB__ACCOUNTING__V1__VOID_PENDING_ENTRY_REQUEST__INIT;
  vreq.id = pend->id;
  hub_call_options o = hub_world_opts(&nina);
  CHECK(hub_accounting_v1_accounting_void_pending_entry_call(w.ch, &o, a, &vreq, &voided), "void");
  EntryEvent *rec = next(s), *res = next(s);
  assert_string_equal(rec->entry->id, pend->id);
  assert_int_equal(rec->kind, HUB__ACCOUNTING__V1__ENTRY_EVENT_KIND__ENTRY_EVENT_KIND_RECORDED);
  assert_string_equal(res->entry->id, pend->id);
  assert_int_equal(res->kind, HUB__ACCOUNTING__V1__ENTRY_EVENT_KIND__ENTRY_EVENT_KIND_RESOLVED);
  assert_int_equal(res->entry->status, HUB__ACCOUNTING__V1__ENTRY_STATUS__ENTRY_STATUS_VOIDED);
  done(s);

  /* Resuming after the first: exactly what followed it, in the same order. */
  s = watch(a, after_first, &st);
  CHECK(st, "WatchEntries resumed");
  assert_string_equal(next(s)->entry->id, e2->id);
  assert_string_equal(next(s)->entry->id, pend->id);
  EntryEvent *again = next(s);
  assert_string_equal(again->entry->id, pend->id);
  assert_int_equal(again->kind, HUB__ACCOUNTING__V1__ENTRY_EVENT_KIND__ENTRY_EVENT_KIND_RESOLVED);
  done(s);

  /* A token of nothing we made is refused; another tenant sees none of this. */
  s = watch(a, "12x-3", &st);
  ProtobufCMessage *m = NULL;
  st = hub_client_stream_recv(s, &m);
  assert_null(m);
  st = hub_client_stream_finish(s);
  assert_true(acc_violation_on(st, "resume_token"));
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_commit_order_pending_and_resume)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
