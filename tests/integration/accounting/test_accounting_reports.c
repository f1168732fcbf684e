/* Reports through a real hubd: a trial balance (debits equal credits, balances sum to zero), an
 * income statement (net income, a comparison period, closing entries left out) and a balance
 * sheet (assets equal liabilities and equity, unclosed earnings in equity), per brand, each
 * computed twice, from the maintained daily movements and from the raw postings, and required
 * to agree; CSV with RFC 4180 quoting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "books.h"

#define TB HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_TRIAL_BALANCE
#define IS HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_INCOME_STATEMENT
#define BS HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_BALANCE_SHEET

static hub_test_user erin;

static int setup(void **state) {
  (void)state;
  if (!hub_world_up(&w, "accrep", NULL)) return -1;
  hub_world_signup_login(&w, "erin-reports@example.com", "Erin Reports", "smb_hub", &erin);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

static const Hub__Accounting__V1__ReportRow *total(const Report *r, const char *name) {
  for (size_t i = 0; i < r->n_totals; i++)
    if (!strcmp(r->totals[i]->name, name)) return r->totals[i];
  fail_msg("no total %s", name);
  return NULL;
}

static const Hub__Accounting__V1__ReportRow *row(const Report *r, const char *code) {
  for (size_t i = 0; i < r->n_rows; i++)
    if (r->rows[i]->account_code && !strcmp(r->rows[i]->account_code, code)) return r->rows[i];
  return NULL;
}

static void post_branded(hub_arena *a, const char *date, const char *dr, const char *cr, int64_t amount, const char *brand) {
  EntryInput *e = acc_entry2(a, NULL, date, dr, cr, amount);
  e->lines[0]->brand = e->lines[1]->brand = (char *)brand;
  Entry *out = NULL;
  CHECK(acc_post(a, &erin, e, &out), "post");
}

static void test_reports_agree_and_balance(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Account *acc = NULL;
  CHECK(acc_create_account(a, &erin, "6025", HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_EXPENSE, NULL, &acc), "6025");
  Hub__Accounting__V1__UpdateAccountRequest ureq = HUB__ACCOUNTING__V1__UPDATE_ACCOUNT_REQUEST__INIT;
  Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
  char *paths[] = {"name"};
  mask.n_paths = 1, mask.paths = paths;
  ureq.id = acc->id, ureq.update_mask = &mask, ureq.name = "Rent, \"office\"", ureq.version = acc->version;
  hub_call_options o = hub_world_opts(&erin);
  CHECK(hub_accounting_v1_accounting_update_account_call(w.ch, &o, a, &ureq, &acc), "rename");
  post_branded(a, "2026-01-05", "3010", "1020", 0 + 1, "exakeep"); /* an equity draw */
  post_branded(a, "2026-01-05", "1020", "3010", 1000000, "");      /* capital */
  post_branded(a, "2026-01-20", "1020", "4010", 300000, "exakeep");
  post_branded(a, "2026-02-10", "1020", "4010", 200000, "addvive");
  post_branded(a, "2026-02-11", "6020", "1020", 80000, "exakeep");
  post_branded(a, "2026-02-12", "6025", "2010", 15000, "addvive"); /* on credit: a payable */
  post_branded(a, "2026-03-01", "1020", "4010", 50000, "exakeep");

  /* Trial balance: every account, debits = credits, balances sum to zero. */
  Report *tb = acc_report_both_ways(a, &erin, TB, "2026-02-01", "2026-02-28", NULL, NULL);
  const Hub__Accounting__V1__ReportRow *t = total(tb, "Total");
  assert_int_equal(t->amounts[0], 0);            /* opening */
  assert_int_equal(t->amounts[1], t->amounts[2]); /* debits = credits */
  assert_int_equal(t->amounts[1], 200000 + 80000 + 15000);
  assert_int_equal(t->amounts[3], 0); /* closing */
  assert_int_equal(row(tb, "1020")->amounts[0], 1000000 - 1 + 300000);
  assert_int_equal(row(tb, "1020")->amounts[3], 1000000 - 1 + 300000 + 200000 - 80000);
  assert_true(row(tb, "1000")->group);
  assert_int_equal(row(tb, "1000")->amounts[3], row(tb, "1020")->amounts[3]); /* the group rolls up */

  /* Income statement for February, compared with January. */
  Report *is = NULL;
  Hub__Accounting__V1__GetReportRequest req = HUB__ACCOUNTING__V1__GET_REPORT_REQUEST__INIT;
  req.kind = IS, req.from_date = "2026-02-01", req.to_date = "2026-02-28";
  req.compare_from_date = "2026-01-01", req.compare_to_date = "2026-01-31", req.csv = true;
  CHECK(hub_accounting_v1_accounting_get_report_call(w.ch, &o, a, &req, &is), "income statement");
  assert_int_equal(is->n_columns, 2);
  assert_int_equal(total(is, "Total income")->amounts[0], 200000);
  assert_int_equal(total(is, "Total expense")->amounts[0], 95000);
  assert_int_equal(total(is, "Net income")->amounts[0], 105000);
  assert_int_equal(total(is, "Net income")->amounts[1], 300000);
  assert_null(row(is, "1020")); /* the statement shows income and expense only */
  assert_non_null(strstr(is->csv, "code,name,2026-02-01..2026-02-28,2026-01-01..2026-01-31\r\n"));
  assert_non_null(strstr(is->csv, "6025,\"Rent, \"\"office\"\"\",150.00,0.00\r\n"));
  assert_non_null(strstr(is->csv, ",Net income,1050.00,3000.00\r\n"));

  /* Per brand: addvive's February is its sale less its rent. */
  Report *isb = acc_report_both_ways(a, &erin, IS, "2026-02-01", "2026-02-28", "brand", "addvive");
  assert_int_equal(total(isb, "Net income")->amounts[0], 200000 - 15000);

  /* Balance sheet: assets = liabilities + equity, this year's earnings unclosed in equity. */
  Report *bs = acc_report_both_ways(a, &erin, BS, "", "2026-03-31", NULL, NULL);
  assert_int_equal(total(bs, "Total assets")->amounts[0], total(bs, "Total liabilities and equity")->amounts[0]);
  assert_int_equal(total(bs, "Total liabilities")->amounts[0], 15000);
  Report *is_all = acc_report_both_ways(a, &erin, IS, "", "2026-03-31", NULL, NULL);
  assert_int_equal(bs->rows[bs->n_rows - 1]->amounts[0], total(is_all, "Net income")->amounts[0]);
  assert_string_equal(bs->base_currency_code, "USD");

  /* After a year-end close: the income statement still shows the year (closing left out), the
   * balance sheet has the earnings in retained earnings and none unclosed. */
  Hub__Accounting__V1__OpenFiscalYearRequest yreq = HUB__ACCOUNTING__V1__OPEN_FISCAL_YEAR_REQUEST__INIT;
  yreq.start_date = "2026-01-01";
  Hub__Accounting__V1__ListPeriodsResponse *periods = NULL;
  CHECK(hub_accounting_v1_accounting_open_fiscal_year_call(w.ch, &o, a, &yreq, &periods), "OpenFiscalYear");
  Hub__Accounting__V1__CloseFiscalYearRequest creq = HUB__ACCOUNTING__V1__CLOSE_FISCAL_YEAR_REQUEST__INIT;
  creq.fiscal_year = 2026;
  Hub__Accounting__V1__CloseFiscalYearResponse *closed = NULL;
  CHECK(hub_accounting_v1_accounting_close_fiscal_year_call(w.ch, &o, a, &creq, &closed), "CloseFiscalYear");
  Report *is_closed = acc_report_both_ways(a, &erin, IS, "2026-01-01", "2026-12-31", NULL, NULL);
  assert_int_equal(total(is_closed, "Net income")->amounts[0], total(is_all, "Net income")->amounts[0]);
  Report *bs_closed = acc_report_both_ways(a, &erin, BS, "", "2026-12-31", NULL, NULL);
  assert_int_equal(bs_closed->rows[bs_closed->n_rows - 1]->amounts[0], 0);
  assert_int_equal(row(bs_closed, "3900")->amounts[0], total(is_all, "Net income")->amounts[0]);
  assert_int_equal(total(bs_closed, "Total assets")->amounts[0],
                   total(bs_closed, "Total liabilities and equity")->amounts[0]);
  acc_report_both_ways(a, &erin, TB, "2026-01-01", "2026-12-31", "brand", "exakeep");
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reports_agree_and_balance),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
