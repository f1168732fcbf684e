/* The cash-flow statement, indirect method: net income for the period, then the change of every
 * non-cash balance-sheet account with its sign turned (an asset that grew took cash, a
 * liability that grew gave it), by section, explaining the change of the cash accounts. Which
 * accounts are cash and which section the others go to is each account's cash_flow class
 * (migration 0015; by default assets and liabilities operating, equity financing). Year-end
 * closing entries are left out on every account, as in the income statement, so equity shows
 * only owners' movements. The report checks itself: net income plus the sections must equal the
 * change of cash, because the books balance; a difference would be a bug, and is INTERNAL. */
#include <stdlib.h>
#include <string.h>

#include "hub/enum_text.h"
#include "services/accounting/accounting.h"

typedef Hub__Accounting__V1__ReportRow Row;

enum { MAX_PERIODS = 2, SECTIONS = 3 };
static const char *const section_names[SECTIONS] = {"operating", "investing", "financing"};
static const char *const section_totals[SECTIONS] = {"Net cash from operating activities", "Net cash from investing activities",
                                                     "Net cash from financing activities"};

typedef struct cf_acct {
  const char *id, *code, *name;
  int type, section; /* section: -1 cash, -2 income or expense, else an index of section_names */
  int64_t move[MAX_PERIODS], opening[MAX_PERIODS];
} cf_acct;

static int by_id(const void *key, const void *elem) { return strcmp(key, ((const cf_acct *)elem)->id); }

static int section_of(int type, const char *cash_flow) {
  if (type == HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_INCOME || type == HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_EXPENSE)
    return -2;
  if (cash_flow && !strcmp(cash_flow, "cash")) return -1;
  for (int s = 0; s < SECTIONS; s++)
    if (cash_flow && !strcmp(cash_flow, section_names[s])) return s;
  return type == HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_EQUITY ? 2 : 0;
}

static int by_code(const void *x, const void *y) { return strcmp((*(cf_acct *const *)x)->code, (*(cf_acct *const *)y)->code); }

hub_status accounting_cash_flow_report(hub_call *call, const Hub__Accounting__V1__GetReportRequest *request,
                                       Hub__Accounting__V1__Report *response) {
  hub_arena *a = hub_call_arena(call);
  const char *from = *request->from_date ? request->from_date : "0001-01-01", *to = request->to_date;
  bool compare = *request->compare_to_date;
  const char *cfrom = *request->compare_from_date ? request->compare_from_date : "0001-01-01", *cto = request->compare_to_date;
  size_t np = compare ? 2 : 1;
  /* An entry's lines may carry different dimension values (an invoice's income line a brand, its
   * receivable none), so the cash of one brand is not explained by that brand's lines alone. */
  if (*request->dimension)
    return hub_status_invalid(a, "dimension", "the cash-flow statement is of the whole books; filter the income statement instead");
  /* Columns k: 1 the period's movement, 2 the balance before it; 3 and 4 the same of the comparison. */
  const char *params[] = {compare ? "{movement,opening,movement,opening}" : "{movement,opening}",
                          compare ? hub_arena_sprintf(a, "{%s,%s,%s,%s}", from, from, cfrom, cfrom) : hub_arena_sprintf(a, "{%s,%s}", from, from),
                          compare ? hub_arena_sprintf(a, "{%s,%s,%s,%s}", to, to, cto, cto) : hub_arena_sprintf(a, "{%s,%s}", to, to),
                          request->dimension, request->dimension_value, "true"};
  accounting_report_data d;
  hub_status st = accounting_report_query(call, params, request->from_postings, &d);
  if (!hub_ok(st)) return st;

  int n = hub_rows_count(d.chart);
  cf_acct *accts = hub_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *accts);
  memset(accts, 0, (size_t)(n ? n : 1) * sizeof *accts);
  int exp = n ? (int)hub_rows_int(d.chart, 0, "_exp") : 2;
  for (int i = 0; i < n; i++) {
    cf_acct *x = &accts[i];
    x->id = hub_rows_text(d.chart, i, "id"), x->code = hub_rows_text(d.chart, i, "code"), x->name = hub_rows_text(d.chart, i, "name");
    x->type = accounting_type_of(hub_rows_text(d.chart, i, "type"));
    x->section = section_of(x->type, hub_rows_text(d.chart, i, "cash_flow"));
  }
  for (int r = 0; r < hub_rows_count(d.values); r++) {
    cf_acct *x = bsearch(hub_rows_text(d.values, r, "account_id"), accts, (size_t)n, sizeof *accts, by_id);
    int64_t k = hub_rows_int(d.values, r, "k") - 1;
    if (!x || k < 0 || k >= (int64_t)(2 * np)) continue;
    if (k % 2 == 0) x->move[k / 2] += hub_rows_int(d.values, r, "v");
    else x->opening[k / 2] += hub_rows_int(d.values, r, "v");
  }

  int64_t net_income[MAX_PERIODS] = {0}, sections[SECTIONS][MAX_PERIODS] = {{0}}, cash_open[MAX_PERIODS] = {0},
          cash_move[MAX_PERIODS] = {0};
  cf_acct **sorted = hub_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *sorted);
  for (int i = 0; i < n; i++) sorted[i] = &accts[i];
  qsort(sorted, (size_t)n, sizeof *sorted, by_code);
  for (int i = 0; i < n; i++)
    for (size_t p = 0; p < np; p++) {
      cf_acct *x = sorted[i];
      if (x->section == -2) net_income[p] -= x->move[p];
      else if (x->section == -1) cash_open[p] += x->opening[p], cash_move[p] += x->move[p];
      else sections[x->section][p] -= x->move[p];
    }

  /* Rows: each section's net income (operating) and accounts that moved, by code. */
  response->rows = hub_arena_alloc(a, (size_t)(n + 2) * sizeof *response->rows);
  for (int s = 0; s < SECTIONS; s++) {
    if (s == 0) {
      Row *ni = accounting_report_row(a, "Net income", 0, np);
      ni->section = (char *)section_names[0];
      for (size_t p = 0; p < np; p++) ni->amounts[p] = net_income[p];
      response->rows[response->n_rows++] = ni;
    }
    for (int i = 0; i < n; i++) {
      cf_acct *x = sorted[i];
      bool moved = false;
      for (size_t p = 0; p < np; p++) moved |= x->move[p] != 0;
      if (x->section != s || !moved) continue;
      Row *r = accounting_report_row(a, x->name, x->type, np);
      r->account_id = (char *)x->id, r->account_code = (char *)x->code, r->section = (char *)section_names[s], r->depth = 1;
      for (size_t p = 0; p < np; p++) r->amounts[p] = -x->move[p];
      response->rows[response->n_rows++] = r;
    }
  }

  response->totals = hub_arena_alloc(a, 6 * sizeof *response->totals);
  Row *change = accounting_report_row(a, "Net change in cash", 0, np), *begin = accounting_report_row(a, "Cash at the beginning", 0, np),
      *end = accounting_report_row(a, "Cash at the end", 0, np);
  for (int s = 0; s < SECTIONS; s++) {
    Row *t = accounting_report_row(a, section_totals[s], 0, np);
    t->section = (char *)section_names[s];
    for (size_t p = 0; p < np; p++) t->amounts[p] = sections[s][p] + (s == 0 ? net_income[p] : 0), change->amounts[p] += t->amounts[p];
    response->totals[response->n_totals++] = t;
  }
  for (size_t p = 0; p < np; p++) {
    if (change->amounts[p] != cash_move[p])
      return hub_status_new(a, HUB_INTERNAL, "accounting: the cash-flow statement does not reconcile (%lld against %lld)",
                            (long long)change->amounts[p], (long long)cash_move[p]);
    begin->amounts[p] = cash_open[p], end->amounts[p] = cash_open[p] + cash_move[p];
  }
  response->totals[response->n_totals++] = change, response->totals[response->n_totals++] = begin;
  response->totals[response->n_totals++] = end;

  response->kind = request->kind;
  response->n_columns = np;
  response->columns = hub_arena_alloc(a, np * sizeof *response->columns);
  response->columns[0] = hub_arena_sprintf(a, "%s..%s", *request->from_date ? from : "", to);
  if (compare) response->columns[1] = hub_arena_sprintf(a, "%s..%s", *request->compare_from_date ? cfrom : "", cto);
  response->base_currency_code = (char *)hub_rows_text(d.books, 0, "_base");
  if (request->csv) {
    accounting_text t = {.a = a};
    accounting_csv_field(&t, "code", false);
    accounting_csv_field(&t, "name", false);
    for (size_t p = 0; p < np; p++) accounting_csv_field(&t, response->columns[p], p + 1 == np);
    for (size_t r = 0; r < response->n_rows; r++) accounting_report_csv_row(&t, a, response->rows[r], exp);
    for (size_t r = 0; r < response->n_totals; r++) accounting_report_csv_row(&t, a, response->totals[r], exp);
    response->csv = t.s ? t.s : "";
  }
  return HUB_STATUS_OK;
}
