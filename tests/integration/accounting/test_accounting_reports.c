/* Reports through a real hubd: a trial balance (debits equal credits, balances sum to zero), an
 * income statement (net income, a comparison period, closing entries left out) and a balance
 * sheet (assets equal liabilities and equity, unclosed earnings in equity), per brand, each
 * computed twice, from the maintained daily movements and from the raw postings, and required
 * to agree; CSV with RFC 4180 quoting. The cash-flow statement (indirect) reconciling net income
 * to the change of cash by section, closing entries left out; the general ledger's running
 * balances. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "books.h"

#define TB HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_TRIAL_BALANCE
#define IS HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_INCOME_STATEMENT
#define BS HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_BALANCE_SHEET
#define CF HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_CASH_FLOW
#define GL HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_GENERAL_LEDGER

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

/* Runs after test_reports_agree_and_balance, on its books: 2026 closed, 2027 open. */
static void test_cash_flow_and_ledger(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(&erin);
  /* February 2026: a sale in cash, rent in cash, software on credit. */
  Report *feb = acc_report_both_ways(a, &erin, CF, "2026-02-01", "2026-02-28", NULL, NULL);
  assert_int_equal(feb->rows[0]->amounts[0], 105000); /* net income */
  assert_string_equal(feb->rows[0]->name, "Net income");
  assert_string_equal(row(feb, "2010")->section, "operating");
  assert_int_equal(row(feb, "2010")->amounts[0], 15000); /* the payable grew: cash kept */
  assert_null(row(feb, "1020"));                          /* cash is what is explained */
  assert_int_equal(total(feb, "Net cash from operating activities")->amounts[0], 120000);
  assert_int_equal(total(feb, "Net change in cash")->amounts[0], 120000);
  assert_int_equal(total(feb, "Cash at the beginning")->amounts[0], 1299999);
  assert_int_equal(total(feb, "Cash at the end")->amounts[0], 1419999);

  /* The whole of 2026, its closing entry left out: owners' capital is financing, and retained
   * earnings (where the close put the year's income) shows nothing. */
  Report *y = acc_report_both_ways(a, &erin, CF, "2026-01-01", "2026-12-31", NULL, NULL);
  assert_int_equal(y->rows[0]->amounts[0], 455000);
  assert_string_equal(row(y, "3010")->section, "financing");
  assert_int_equal(row(y, "3010")->amounts[0], 999999);
  assert_null(row(y, "3900"));
  assert_int_equal(total(y, "Net change in cash")->amounts[0], 1469999);

  /* January 2027: equipment bought (investing), a loan taken (financing), a sale on credit
   * (income, less the receivable it is still in), cash moved between two cash accounts. */
  Hub__Accounting__V1__CreateAccountRequest creq = HUB__ACCOUNTING__V1__CREATE_ACCOUNT_REQUEST__INIT;
  creq.code = "1030", creq.name = "Petty cash", creq.type = HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_ASSET;
  creq.cash_flow = HUB__ACCOUNTING__V1__CASH_FLOW_CLASS__CASH_FLOW_CLASS_CASH;
  Account *petty = NULL;
  CHECK(hub_accounting_v1_accounting_create_account_call(w.ch, &o, a, &creq, &petty), "petty cash");
  assert_int_equal(petty->cash_flow, HUB__ACCOUNTING__V1__CASH_FLOW_CLASS__CASH_FLOW_CLASS_CASH);
  post_branded(a, "2027-01-04", "1500", "1020", 250000, "");
  post_branded(a, "2027-01-05", "1020", "2500", 400000, "");
  post_branded(a, "2027-01-06", "1100", "4020", 70000, "");
  post_branded(a, "2027-01-07", "1030", "1020", 5000, "");
  Hub__Accounting__V1__GetReportRequest req = HUB__ACCOUNTING__V1__GET_REPORT_REQUEST__INIT;
  req.kind = CF, req.from_date = "2027-01-01", req.to_date = "2027-01-31", req.compare_from_date = "2026-02-01";
  req.compare_to_date = "2026-02-28", req.csv = true;
  Report *jan = NULL;
  CHECK(hub_accounting_v1_accounting_get_report_call(w.ch, &o, a, &req, &jan), "cash flow, compared");
  assert_int_equal(jan->n_columns, 2);
  assert_int_equal(row(jan, "1100")->amounts[0], -70000);
  assert_int_equal(total(jan, "Net cash from operating activities")->amounts[0], 0);
  assert_int_equal(total(jan, "Net cash from investing activities")->amounts[0], -250000);
  assert_int_equal(total(jan, "Net cash from financing activities")->amounts[0], 400000);
  assert_int_equal(total(jan, "Net change in cash")->amounts[0], 150000);
  assert_int_equal(total(jan, "Net change in cash")->amounts[1], 120000); /* February beside it */
  assert_null(row(jan, "1030"));
  assert_non_null(strstr(jan->csv, ",Net cash from investing activities,-2500.00,0.00\r\n"));
  acc_report_both_ways(a, &erin, CF, "2027-01-01", "2027-01-31", NULL, NULL);
  req.dimension = "brand", req.dimension_value = "exakeep", req.compare_from_date = req.compare_to_date = "";
  assert_true(acc_violation_on(hub_accounting_v1_accounting_get_report_call(w.ch, &o, a, &req, &jan), "dimension"));

  /* The general ledger of the bank for February 2026: opening, each line with its running
   * balance, closing. */
  Hub__Accounting__V1__GetReportRequest lreq = HUB__ACCOUNTING__V1__GET_REPORT_REQUEST__INIT;
  lreq.kind = GL, lreq.from_date = "2026-02-01", lreq.to_date = "2026-02-28", lreq.account_code = "1020", lreq.csv = true;
  Report *gl = NULL;
  CHECK(hub_accounting_v1_accounting_get_report_call(w.ch, &o, a, &lreq, &gl), "general ledger of 1020");
  assert_int_equal(gl->n_rows, 4);
  assert_string_equal(gl->rows[0]->description, "Opening balance");
  assert_int_equal(gl->rows[0]->amounts[2], 1299999);
  assert_string_equal(gl->rows[1]->date, "2026-02-10");
  assert_int_equal(gl->rows[1]->amounts[0], 200000);
  assert_int_equal(gl->rows[1]->amounts[2], 1499999);
  assert_true(*gl->rows[1]->entry_id);
  assert_int_equal(gl->rows[2]->amounts[1], 80000);
  assert_int_equal(gl->rows[2]->amounts[2], 1419999);
  assert_string_equal(gl->rows[3]->description, "Closing balance");
  assert_int_equal(gl->rows[3]->amounts[0], 200000);
  assert_int_equal(gl->rows[3]->amounts[1], 80000);
  assert_int_equal(gl->rows[3]->amounts[2], 1419999);
  assert_non_null(strstr(gl->csv, "code,name,date,entry_id,description,debit,credit,balance\r\n"));
  assert_non_null(strstr(gl->csv, "1020,Bank,2026-02-28,,Closing balance,2000.00,800.00,14199.99\r\n"));
  /* Of every account: debits equal credits, and the closing balances sum to zero. */
  lreq.account_code = "", lreq.csv = false;
  CHECK(hub_accounting_v1_accounting_get_report_call(w.ch, &o, a, &lreq, &gl), "general ledger");
  assert_int_equal(gl->totals[0]->amounts[0], 295000);
  assert_int_equal(gl->totals[0]->amounts[1], 295000);
  assert_int_equal(gl->totals[0]->amounts[2], 0);
  lreq.account_code = "9999";
  assert_int_equal(hub_accounting_v1_accounting_get_report_call(w.ch, &o, a, &lreq, &gl).code, HUB_NOT_FOUND);
  lreq.account_code = "1020", lreq.compare_to_date = "2026-01-31";
  assert_true(acc_violation_on(hub_accounting_v1_accounting_get_report_call(w.ch, &o, a, &lreq, &gl), "compare_to_date"));
  lreq.kind = TB, lreq.compare_to_date = "";
  assert_true(acc_violation_on(hub_accounting_v1_accounting_get_report_call(w.ch, &o, a, &lreq, &gl), "account_code"));
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reports_agree_and_balance),
      cmocka_unit_test(test_cash_flow_and_ledger),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
