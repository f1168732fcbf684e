/* Exchange rates and balance assertions through a real hubd: entries in a foreign currency take
 * their base amounts at the latest rate on or before their date (rounded half away from zero);
 * a rate is an exact decimal; an assertion is recorded only when it holds, is idempotent, and
 * then refuses a back-dated posting that would break it while later postings go through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "books.h"

static hub_test_user gus;

static int setup(void **state) {
  (void)state;
  if (!hub_world_up(&w, "acccur", NULL)) return -1;
  hub_world_signup_login(&w, "gus-currency@example.com", "Gus Currency", "smb_hub", &gus);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

static hub_status set_rate(hub_arena *a, const char *date, const char *rate) {
  Hub__Accounting__V1__SetRateRequest req = HUB__ACCOUNTING__V1__SET_RATE_REQUEST__INIT;
  req.from_currency_code = "EUR", req.to_currency_code = "USD", req.rate_date = (char *)date, req.rate = (char *)rate;
  Hub__Accounting__V1__Rate *out = NULL;
  hub_call_options o = hub_world_opts(&gus);
  return hub_accounting_v1_accounting_set_rate_call(w.ch, &o, a, &req, &out);
}

static Entry *post_eur(hub_arena *a, const char *date, int64_t amount) {
  EntryInput *e = acc_entry2(a, NULL, date, "1020", "4010", amount);
  e->lines[0]->currency_code = e->lines[1]->currency_code = "EUR";
  Entry *out = NULL;
  CHECK(acc_post(a, &gus, e, &out), "post in EUR");
  return out;
}

static hub_status assert_balance(hub_arena *a, const char *date, int64_t amount, Hub__Accounting__V1__BalanceAssertion **out) {
  Hub__Accounting__V1__AssertBalanceRequest req = HUB__ACCOUNTING__V1__ASSERT_BALANCE_REQUEST__INIT;
  req.account_code = "1020", req.currency_code = "USD", req.as_of_date = (char *)date, req.amount_minor = amount;
  hub_call_options o = hub_world_opts(&gus);
  return hub_accounting_v1_accounting_assert_balance_call(w.ch, &o, a, &req, out);
}

static void test_rates_give_base_amounts(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  EntryInput *early = acc_entry2(a, NULL, "2026-01-10", "1020", "4010", 100);
  early->lines[0]->currency_code = early->lines[1]->currency_code = "EUR";
  Entry *e = NULL;
  hub_status st = acc_post(a, &gus, early, &e); /* no rate yet */
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "rate"));
  assert_true(acc_violation_on(set_rate(a, "2026-01-01", "1,1"), "rate"));
  assert_true(acc_violation_on(set_rate(a, "2026-01-01", "0.000"), "rate"));
  CHECK(set_rate(a, "2026-01-01", "1.1"), "SetRate");
  assert_int_equal(acc_count("SELECT count(*) FROM audit_events WHERE tenant_id = '%s' AND action = 'accounting.rate_set'"
                             " AND detail->>'rate' = '1.1' AND detail->>'date' = '2026-01-01'",
                             gus.tenant_id),
                   1);
  CHECK(set_rate(a, "2026-03-01", "1.23456"), "SetRate March");
  e = post_eur(a, "2026-02-01", 10000);
  assert_int_equal(e->lines[0]->base_amount_minor, 11000);
  e = post_eur(a, "2026-03-05", 333); /* 411.108 */
  assert_int_equal(e->lines[0]->base_amount_minor, 411);
  assert_int_equal(e->lines[1]->base_amount_minor, 411);
  Hub__Accounting__V1__ListRatesRequest lreq = HUB__ACCOUNTING__V1__LIST_RATES_REQUEST__INIT;
  lreq.from_currency_code = "EUR", lreq.to_currency_code = "USD";
  Hub__Accounting__V1__ListRatesResponse *rates = NULL;
  hub_call_options o = hub_world_opts(&gus);
  CHECK(hub_accounting_v1_accounting_list_rates_call(w.ch, &o, a, &lreq, &rates), "ListRates");
  assert_int_equal(rates->n_rates, 2);
  assert_string_equal(rates->rates[0]->rate, "1.23456");
  assert_string_equal(rates->rates[0]->rate_date, "2026-03-01");
  hub_arena_free(a);
}

static void test_assertions_hold(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Entry *e = NULL;
  CHECK(acc_post(a, &gus, acc_entry2(a, NULL, "2026-02-10", "1020", "3010", 50000), &e), "capital");
  Hub__Accounting__V1__BalanceAssertion *as = NULL, *again = NULL;
  hub_status st = assert_balance(a, "2026-02-28", 49999, &as);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "holds 50000 USD"));
  CHECK(assert_balance(a, "2026-02-28", 50000, &as), "AssertBalance");
  assert_string_equal(as->account_code, "1020");
  CHECK(assert_balance(a, "2026-02-28", 50000, &again), "AssertBalance again");
  assert_string_equal(again->id, as->id);
  assert_int_equal(acc_count("SELECT count(*) FROM audit_events WHERE tenant_id = '%s' AND action = 'accounting.balance_asserted'"
                             " AND detail->>'amount_minor' = '50000'",
                             gus.tenant_id),
                   1); /* recorded once: the second call found it */
  assert_int_equal(assert_balance(a, "2026-02-28", 1, &again).code, HUB_ALREADY_EXISTS);
  /* A back-dated posting that breaks it is refused, naming it; a later one goes through. */
  st = acc_post(a, &gus, acc_entry2(a, NULL, "2026-02-15", "6020", "1020", 700), &e);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, as->id));
  CHECK(acc_post(a, &gus, acc_entry2(a, NULL, "2026-03-02", "6020", "1020", 700), &e), "after the assertion's day");
  /* A back-dated posting that keeps it true (in and out the same day) is fine. */
  EntryInput *wash = acc_entry2(a, NULL, "2026-02-20", "1020", "1020", 5);
  CHECK(acc_post(a, &gus, wash, &e), "a wash");
  Hub__Accounting__V1__ListBalanceAssertionsRequest lreq = HUB__ACCOUNTING__V1__LIST_BALANCE_ASSERTIONS_REQUEST__INIT;
  Hub__Accounting__V1__ListBalanceAssertionsResponse *list = NULL;
  hub_call_options o = hub_world_opts(&gus);
  CHECK(hub_accounting_v1_accounting_list_balance_assertions_call(w.ch, &o, a, &lreq, &list), "ListBalanceAssertions");
  assert_int_equal(list->n_assertions, 1);
  assert_int_equal(list->assertions[0]->amount_minor, 50000);
  hub_arena_free(a);
}

/* A tenant keeping its books in pounds: the base currency is chosen before anything is posted,
 * entries in it take their amounts as base amounts, and once one is posted it cannot change. */
static void test_base_currency(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_test_user ivy;
  hub_world_signup_login(&w, "ivy-pounds@example.com", "Ivy Pounds", "smb_hub", &ivy);
  hub_call_options o = hub_world_opts(&ivy);
  Hub__Accounting__V1__GetBooksRequest greq = HUB__ACCOUNTING__V1__GET_BOOKS_REQUEST__INIT;
  Hub__Accounting__V1__Books *books = NULL, *refused = NULL;
  CHECK(hub_accounting_v1_accounting_get_books_call(w.ch, &o, a, &greq, &books), "GetBooks");
  assert_string_equal(books->base_currency_code, "USD");
  Hub__Accounting__V1__SetBaseCurrencyRequest req = HUB__ACCOUNTING__V1__SET_BASE_CURRENCY_REQUEST__INIT;
  req.base_currency_code = "gbp", req.version = books->version;
  assert_true(acc_violation_on(hub_accounting_v1_accounting_set_base_currency_call(w.ch, &o, a, &req, &refused),
                               "base_currency_code"));
  req.base_currency_code = "GBP", req.version = books->version + 7;
  assert_int_equal(hub_accounting_v1_accounting_set_base_currency_call(w.ch, &o, a, &req, &refused).code, HUB_ABORTED);
  req.version = books->version;
  CHECK(hub_accounting_v1_accounting_set_base_currency_call(w.ch, &o, a, &req, &books), "SetBaseCurrency GBP");
  assert_string_equal(books->base_currency_code, "GBP");
  /* Only the caller's tenant changed. */
  assert_int_equal(acc_count("SELECT count(*) FROM accounting_books WHERE tenant_id = '%s' AND base_currency = 'GBP'",
                             gus.tenant_id),
                   0);
  EntryInput *e = acc_entry2(a, NULL, "2026-03-02", "1020", "4010", 2500);
  e->lines[0]->currency_code = e->lines[1]->currency_code = "GBP";
  Entry *posted = NULL;
  CHECK(acc_post(a, &ivy, e, &posted), "post in GBP, no rate needed");
  assert_int_equal(posted->lines[0]->base_amount_minor, 2500);
  hub_status st = acc_post(a, &ivy, acc_entry2(a, NULL, "2026-03-03", "1020", "4010", 100), &posted);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION); /* dollars now need a USD to GBP rate */
  assert_non_null(strstr(st.message, "USD to GBP rate"));
  req.base_currency_code = "EUR", req.version = books->version;
  st = hub_accounting_v1_accounting_set_base_currency_call(w.ch, &o, a, &req, &refused);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "base_currency_code"));
  assert_int_equal(acc_count("SELECT count(*) FROM audit_events WHERE tenant_id = '%s' AND action = 'accounting.base_currency_set'"
                             " AND detail->>'to' = 'GBP'",
                             ivy.tenant_id),
                   1);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rates_give_base_amounts),
      cmocka_unit_test(test_assertions_hold),
      cmocka_unit_test(test_base_currency),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
