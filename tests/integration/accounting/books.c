/* Shared calls of the Accounting test programs (see books.h). */
#include "books.h"

#include <stdlib.h>
#include <string.h>

hub_world w;

hub_status acc_create_account(hub_arena *a, const hub_test_user *u, const char *code, int type, const int64_t *min,
                                 Account **out) {
  Hub__Accounting__V1__CreateAccountRequest req = HUB__ACCOUNTING__V1__CREATE_ACCOUNT_REQUEST__INIT;
  req.code = (char *)code;
  req.name = (char *)code;
  req.type = type;
  Hub__Accounting__V1__Limit *lim = NULL;
  if (min) {
    lim = hub_arena_alloc(a, sizeof *lim);
    hub__accounting__v1__limit__init(lim);
    lim->amount_minor = *min;
    req.min_balance = lim;
  }
  hub_call_options o = hub_world_opts(u);
  return hub_accounting_v1_accounting_create_account_call(w.ch, &o, a, &req, out);
}

Line *acc_line(hub_arena *a, const char *code, int side, int64_t amount, const char *currency) {
  Line *l = hub_arena_alloc(a, sizeof *l);
  hub__accounting__v1__line__init(l);
  l->account_code = (char *)code;
  l->side = side;
  l->amount_minor = amount;
  l->currency_code = (char *)currency;
  return l;
}

EntryInput *acc_entry2(hub_arena *a, const char *id, const char *date, const char *dr, const char *cr, int64_t amount) {
  EntryInput *e = hub_arena_alloc(a, sizeof *e);
  hub__accounting__v1__entry_input__init(e);
  e->id = (char *)(id ? id : "");
  e->date = (char *)date;
  e->description = "test entry";
  e->n_lines = 2;
  e->lines = hub_arena_alloc(a, 2 * sizeof *e->lines);
  e->lines[0] = acc_line(a, dr, DR, amount, "USD");
  e->lines[1] = acc_line(a, cr, CR, amount, "USD");
  return e;
}

hub_status acc_post(hub_arena *a, const hub_test_user *u, EntryInput *e, Entry **out) {
  Hub__Accounting__V1__PostEntryRequest req = HUB__ACCOUNTING__V1__POST_ENTRY_REQUEST__INIT;
  req.entry = e;
  hub_call_options o = hub_world_opts(u);
  return hub_accounting_v1_accounting_post_entry_call(w.ch, &o, a, &req, out);
}

int64_t acc_balance_of(hub_arena *a, const hub_test_user *u, const char *code, const char *as_of) {
  Hub__Accounting__V1__GetAccountRequest greq = HUB__ACCOUNTING__V1__GET_ACCOUNT_REQUEST__INIT;
  greq.code = (char *)code;
  Account *acc = NULL;
  hub_call_options o = hub_world_opts(u);
  CHECK(hub_accounting_v1_accounting_get_account_call(w.ch, &o, a, &greq, &acc), "GetAccount");
  Hub__Accounting__V1__GetBalancesRequest req = HUB__ACCOUNTING__V1__GET_BALANCES_REQUEST__INIT;
  req.as_of_date = (char *)(as_of ? as_of : "");
  req.n_account_ids = 1;
  req.account_ids = &acc->id;
  Hub__Accounting__V1__GetBalancesResponse *resp = NULL;
  CHECK(hub_accounting_v1_accounting_get_balances_call(w.ch, &o, a, &req, &resp), "GetBalances");
  int64_t sum = 0;
  for (size_t i = 0; i < resp->n_balances; i++) sum += resp->balances[i]->balance_minor;
  return sum;
}

bool acc_violation_on(hub_status st, const char *field) {
  for (const hub_violation *v = st.violations; v; v = v->next)
    if (!strcmp(v->field, field)) return true;
  return false;
}


hub_status acc_report(hub_arena *a, const hub_test_user *u, int kind, const char *from, const char *to, const char *dimension,
                      const char *value, bool from_postings, Report **out) {
  Hub__Accounting__V1__GetReportRequest req = HUB__ACCOUNTING__V1__GET_REPORT_REQUEST__INIT;
  req.kind = kind;
  req.from_date = (char *)from, req.to_date = (char *)to;
  req.dimension = (char *)(dimension ? dimension : ""), req.dimension_value = (char *)(value ? value : "");
  req.from_postings = from_postings;
  hub_call_options o = hub_world_opts(u);
  o.timeout_ms = 60000;
  return hub_accounting_v1_accounting_get_report_call(w.ch, &o, a, &req, out);
}

static void same_rows(Hub__Accounting__V1__ReportRow *const *x, size_t nx, Hub__Accounting__V1__ReportRow *const *y, size_t ny,
                      const char *what) {
  if (nx != ny) fail_msg("%s: %zu rows against %zu", what, nx, ny);
  for (size_t i = 0; i < nx; i++) {
    if (strcmp(x[i]->name, y[i]->name) || x[i]->n_amounts != y[i]->n_amounts)
      fail_msg("%s: row %zu is %s against %s", what, i, x[i]->name, y[i]->name);
    for (size_t k = 0; k < x[i]->n_amounts; k++)
      if (x[i]->amounts[k] != y[i]->amounts[k])
        fail_msg("%s: %s %s column %zu: %lld against %lld", what, x[i]->account_code, x[i]->name, k,
                 (long long)x[i]->amounts[k], (long long)y[i]->amounts[k]);
  }
}

void acc_assert_same_report(const Report *x, const Report *y, const char *what) {
  same_rows(x->rows, x->n_rows, y->rows, y->n_rows, what);
  same_rows(x->totals, x->n_totals, y->totals, y->n_totals, what);
}

Report *acc_report_both_ways(hub_arena *a, const hub_test_user *u, int kind, const char *from, const char *to,
                             const char *dimension, const char *value) {
  Report *daily = NULL, *raw = NULL;
  CHECK(acc_report(a, u, kind, from, to, dimension, value, false, &daily), "GetReport");
  CHECK(acc_report(a, u, kind, from, to, dimension, value, true, &raw), "GetReport from postings");
  acc_assert_same_report(daily, raw, "maintained movements against raw postings");
  return daily;
}

long acc_count(const char *fmt, const char *arg) {
  char *v = hub_world_query(&w, fmt, arg);
  long n = v ? atol(v) : -1;
  free(v);
  return n;
}
