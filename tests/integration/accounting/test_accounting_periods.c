/* Periods, the lock date and the year-end close through a real hubd: a fiscal year of twelve
 * months (no overlap), soft close (adjusting entries only), close (nothing), reopen with a
 * reason (audited, in the outbox), stale versions ABORTED, the lock date (moving it back needs
 * a reason), and CloseFiscalYear: income and expense to retained earnings on the last day, the
 * year's periods closed, nothing posts into it after, and a second close after a reopened
 * period moves only what came since. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "books.h"

typedef Hub__Accounting__V1__Period Period;
typedef Hub__Accounting__V1__ListPeriodsResponse Periods;

static hub_test_user dora;

static int setup(void **state) {
  (void)state;
  if (!hub_world_up(&w, "accper", NULL)) return -1;
  hub_world_signup_login(&w, "dora-periods@example.com", "Dora Periods", "smb_hub", &dora);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

static hub_status open_year(hub_arena *a, const char *start, Periods **out) {
  Hub__Accounting__V1__OpenFiscalYearRequest req = HUB__ACCOUNTING__V1__OPEN_FISCAL_YEAR_REQUEST__INIT;
  req.start_date = (char *)start;
  hub_call_options o = hub_world_opts(&dora);
  return hub_accounting_v1_accounting_open_fiscal_year_call(w.ch, &o, a, &req, out);
}

static hub_status close_period(hub_arena *a, const Period *p, bool soft, Period **out) {
  Hub__Accounting__V1__ClosePeriodRequest req = HUB__ACCOUNTING__V1__CLOSE_PERIOD_REQUEST__INIT;
  req.id = p->id, req.soft = soft, req.version = p->version;
  hub_call_options o = hub_world_opts(&dora);
  return hub_accounting_v1_accounting_close_period_call(w.ch, &o, a, &req, out);
}

static hub_status reopen_period(hub_arena *a, const Period *p, const char *reason, Period **out) {
  Hub__Accounting__V1__ReopenPeriodRequest req = HUB__ACCOUNTING__V1__REOPEN_PERIOD_REQUEST__INIT;
  req.id = p->id, req.reason = (char *)reason, req.version = p->version;
  hub_call_options o = hub_world_opts(&dora);
  return hub_accounting_v1_accounting_reopen_period_call(w.ch, &o, a, &req, out);
}

static hub_status close_year(hub_arena *a, int year, Hub__Accounting__V1__CloseFiscalYearResponse **out) {
  Hub__Accounting__V1__CloseFiscalYearRequest req = HUB__ACCOUNTING__V1__CLOSE_FISCAL_YEAR_REQUEST__INIT;
  req.fiscal_year = year;
  hub_call_options o = hub_world_opts(&dora);
  return hub_accounting_v1_accounting_close_fiscal_year_call(w.ch, &o, a, &req, out);
}

static Periods *periods_of(hub_arena *a, int year) {
  Hub__Accounting__V1__ListPeriodsRequest req = HUB__ACCOUNTING__V1__LIST_PERIODS_REQUEST__INIT;
  req.fiscal_year = year;
  Periods *out = NULL;
  hub_call_options o = hub_world_opts(&dora);
  CHECK(hub_accounting_v1_accounting_list_periods_call(w.ch, &o, a, &req, &out), "ListPeriods");
  return out;
}

static EntryInput *adjusting(EntryInput *e) {
  e->adjusting = true;
  return e;
}


static void test_periods_close_and_reopen(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Periods *year = NULL, *again = NULL;
  assert_true(acc_violation_on(open_year(a, "2025-01-15", &year), "start_date"));
  CHECK(open_year(a, "2025-01-01", &year), "OpenFiscalYear");
  assert_int_equal(year->n_periods, 12);
  assert_int_equal(year->periods[0]->fiscal_year, 2025);
  assert_string_equal(year->periods[1]->name, "2025-02");
  assert_string_equal(year->periods[1]->start_date, "2025-02-01");
  assert_string_equal(year->periods[1]->end_date, "2025-02-28");
  assert_string_equal(year->periods[11]->end_date, "2025-12-31");
  hub_status st = open_year(a, "2025-07-01", &again);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "start_date"));

  Period *march = year->periods[2], *now = NULL, *stale = march;
  Entry *e = NULL;
  CHECK(acc_post(a, &dora, acc_entry2(a, NULL, "2025-03-10", "1020", "4010", 1000), &e), "post in an open March");
  CHECK(close_period(a, march, true, &now), "soft close");
  assert_int_equal(now->state, HUB__ACCOUNTING__V1__PERIOD_STATE__PERIOD_STATE_SOFT_CLOSED);
  march = now;
  Period *refused = NULL;
  assert_int_equal(close_period(a, stale, false, &refused).code, HUB_ABORTED); /* the version moved */
  st = acc_post(a, &dora, acc_entry2(a, NULL, "2025-03-15", "1020", "4010", 5), &e);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "soft-closed"));
  CHECK(acc_post(a, &dora, adjusting(acc_entry2(a, NULL, "2025-03-15", "1020", "4010", 5)), &e), "adjusting into soft-closed");
  CHECK(close_period(a, march, false, &now), "close");
  assert_int_equal(now->state, HUB__ACCOUNTING__V1__PERIOD_STATE__PERIOD_STATE_CLOSED);
  assert_int_equal(acc_post(a, &dora, adjusting(acc_entry2(a, NULL, "2025-03-16", "1020", "4010", 5)), &e).code,
                   HUB_FAILED_PRECONDITION);
  march = now;
  assert_int_equal(close_period(a, march, true, &refused).code, HUB_FAILED_PRECONDITION); /* closed already */
  assert_true(acc_violation_on(reopen_period(a, march, "", &refused), "reason"));
  CHECK(reopen_period(a, march, "late supplier invoice", &now), "reopen");
  assert_int_equal(now->state, HUB__ACCOUNTING__V1__PERIOD_STATE__PERIOD_STATE_OPEN);
  CHECK(acc_post(a, &dora, acc_entry2(a, NULL, "2025-03-16", "1020", "4010", 5), &e), "post after reopening");
  assert_int_equal(acc_count("SELECT count(*) FROM audit_events WHERE tenant_id = '%s' AND action = 'accounting.period_reopened'"
                             " AND detail->>'reason' = 'late supplier invoice' AND detail->>'from' = 'closed'",
                             dora.tenant_id),
                   1);
  assert_int_equal(acc_count("SELECT count(*) FROM outbox WHERE tenant_id = '%s' AND topic = 'accounting.period_closed'",
                             dora.tenant_id),
                   2);

  /* The lock date: nothing on or before it; moving it back needs a reason. */
  hub_call_options o = hub_world_opts(&dora);
  Hub__Accounting__V1__GetBooksRequest greq = HUB__ACCOUNTING__V1__GET_BOOKS_REQUEST__INIT;
  Hub__Accounting__V1__Books *books = NULL;
  CHECK(hub_accounting_v1_accounting_get_books_call(w.ch, &o, a, &greq, &books), "GetBooks");
  assert_string_equal(books->lock_date, "");
  assert_string_equal(books->base_currency_code, "USD");
  Hub__Accounting__V1__SetLockDateRequest lreq = HUB__ACCOUNTING__V1__SET_LOCK_DATE_REQUEST__INIT;
  lreq.lock_date = "2025-02-28", lreq.version = books->version;
  CHECK(hub_accounting_v1_accounting_set_lock_date_call(w.ch, &o, a, &lreq, &books), "SetLockDate");
  assert_string_equal(books->lock_date, "2025-02-28");
  st = acc_post(a, &dora, acc_entry2(a, NULL, "2025-02-10", "1020", "4010", 5), &e);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "locked"));
  /* A locked period is not reopened (nor closed again needlessly) around the lock. */
  Period *feb = year->periods[1];
  CHECK(close_period(a, feb, false, &now), "close February");
  assert_int_equal(reopen_period(a, now, "typo", &refused).code, HUB_FAILED_PRECONDITION);
  lreq.lock_date = "", lreq.version = books->version;
  assert_true(acc_violation_on(hub_accounting_v1_accounting_set_lock_date_call(w.ch, &o, a, &lreq, &books), "reason"));
  lreq.reason = "audit adjustments";
  CHECK(hub_accounting_v1_accounting_set_lock_date_call(w.ch, &o, a, &lreq, &books), "unlock");
  assert_string_equal(books->lock_date, "");
  assert_int_equal(acc_count("SELECT count(*) FROM audit_events WHERE tenant_id = '%s'"
                             " AND action = 'accounting.lock_date_moved_back' AND detail->>'from' = '2025-02-28'",
                             dora.tenant_id),
                   1);
  hub_arena_free(a);
}

static void test_year_end_close(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Periods *year = NULL;
  CHECK(open_year(a, "2024-01-01", &year), "OpenFiscalYear 2024");
  Entry *e = NULL;
  CHECK(acc_post(a, &dora, acc_entry2(a, NULL, "2024-05-10", "1020", "4010", 50000), &e), "sales");
  CHECK(acc_post(a, &dora, acc_entry2(a, NULL, "2024-06-10", "6020", "1020", 20000), &e), "rent");
  int64_t re_before = acc_balance_of(a, &dora, "3900", "2024-12-31");
  Hub__Accounting__V1__CloseFiscalYearResponse *closed = NULL;
  assert_int_equal(close_year(a, 2023, &closed).code, HUB_NOT_FOUND);
  CHECK(close_year(a, 2024, &closed), "CloseFiscalYear");
  assert_non_null(closed->closing_entry);
  assert_int_equal(closed->closing_entry->kind, HUB__ACCOUNTING__V1__ENTRY_KIND__ENTRY_KIND_CLOSING);
  assert_string_equal(closed->closing_entry->date, "2024-12-31");
  assert_int_equal(closed->n_periods, 12);
  for (size_t i = 0; i < closed->n_periods; i++)
    assert_int_equal(closed->periods[i]->state, HUB__ACCOUNTING__V1__PERIOD_STATE__PERIOD_STATE_CLOSED);
  assert_int_equal(acc_balance_of(a, &dora, "4010", "2024-12-31"), 0);
  assert_int_equal(acc_balance_of(a, &dora, "6020", "2024-12-31"), 0);
  assert_int_equal(acc_balance_of(a, &dora, "3900", "2024-12-31"), re_before + 30000);
  assert_int_equal(acc_post(a, &dora, acc_entry2(a, NULL, "2024-07-01", "1020", "4010", 1), &e).code,
                   HUB_FAILED_PRECONDITION);
  /* Again: nothing left to close, no second entry. */
  CHECK(close_year(a, 2024, &closed), "CloseFiscalYear again");
  assert_null(closed->closing_entry);
  /* December reopened, a late sale: the next close moves only that. */
  Periods *now = periods_of(a, 2024);
  Period *dec = NULL;
  CHECK(reopen_period(a, now->periods[11], "late sale", &dec), "reopen December");
  CHECK(acc_post(a, &dora, acc_entry2(a, NULL, "2024-12-20", "1020", "4010", 700), &e), "late sale");
  CHECK(close_year(a, 2024, &closed), "CloseFiscalYear after the late sale");
  assert_non_null(closed->closing_entry);
  assert_int_equal(closed->closing_entry->n_lines, 2);
  assert_int_equal(closed->closing_entry->lines[0]->amount_minor, 700);
  assert_string_equal(closed->closing_entry->source_id, "2024/2");
  assert_int_equal(acc_balance_of(a, &dora, "4010", "2024-12-31"), 0);
  assert_int_equal(acc_balance_of(a, &dora, "3900", "2024-12-31"), re_before + 30700);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_periods_close_and_reopen),
      cmocka_unit_test(test_year_end_close),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
