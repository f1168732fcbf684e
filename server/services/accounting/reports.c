/* GetReport: trial balance, income statement and balance sheet, in the base currency. The
 * database answers one number per (account, column), summed from the daily movements (or,
 * from_postings, from the raw lines: the audit path, and what tests compare the maintained
 * movements with); this file rolls groups up through the chart, signs amounts by the report's
 * convention, adds the totals and writes the CSV. Closing entries are left out of the income
 * statement (found through their source, which is indexed), kept everywhere else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/accounting/accounting.h"

enum { MAX_COLUMNS = 4, MAX_DEPTH = 64 };

static const hub_pg_stmt chart_sql = {
    "accounting_report_chart",
    "SELECT x.id, x.code, x.name, x.type, x.parent_id, x.cash_flow, (row_number() OVER (ORDER BY x.code))::int - 1 AS _by_code, "
    "  (SELECT accounting_exponent(b.base_currency) FROM accounting_books b WHERE b.tenant_id = x.tenant_id) AS _exp "
    "FROM accounting_accounts x WHERE x.tenant_id = hub_current_tenant() ORDER BY x.id", 0};

/* $1 the columns' kinds (opening: before $2; balance: to $3; movement, debits, credits: $2..$3),
 * $2 and $3 their dates, $4 the dimension ('' none), $5 its value, $6 leave closing entries
 * out. One row per account and column with anything in it: (account_id, k from 1, v). */
#define REPORT_DIM(t)                                                                                          \
  "($4 = '' OR CASE $4 WHEN 'brand' THEN " t ".brand WHEN 'department' THEN " t ".department "             \
  "ELSE " t ".project END = $5)"
#define REPORT_SUM(src)                                                                                        \
  "WITH cols AS (SELECT c.k::int AS k, c.kind, c.f, c.t FROM unnest($1::text[], $2::date[], $3::date[]) "   \
  "  WITH ORDINALITY AS c(kind, f, t, k)), src AS (" src ") "                                                \
  "SELECT s.account_id, c.k, sum(CASE c.kind WHEN 'debits' THEN s.d WHEN 'credits' THEN s.c ELSE s.d - s.c END) AS v " \
  "FROM cols c JOIN src s ON CASE c.kind WHEN 'opening' THEN s.day < c.f WHEN 'balance' THEN s.day <= c.t "  \
  "  ELSE s.day BETWEEN c.f AND c.t END GROUP BY 1, 2"

static const hub_pg_stmt daily_sql = {
    "accounting_report_daily",
    REPORT_SUM("SELECT y.account_id, y.day, y.base_debits AS d, y.base_credits AS c FROM accounting_daily y "
               "WHERE y.tenant_id = hub_current_tenant() AND " REPORT_DIM("y") " "
               "UNION ALL SELECT l.account_id, l.entry_date, -CASE WHEN l.side = 'debit' THEN l.base_amount ELSE 0 END, "
               "  -CASE WHEN l.side = 'credit' THEN l.base_amount ELSE 0 END "
               "FROM accounting_entries e JOIN accounting_lines l ON l.tenant_id = e.tenant_id AND l.entry_id = e.id "
               "WHERE $6::boolean AND e.tenant_id = hub_current_tenant() AND e.source = 'accounting.year_end' "
               "  AND e.status = 'posted' AND " REPORT_DIM("l")),
    6};

static const hub_pg_stmt postings_sql = {
    "accounting_report_postings",
    REPORT_SUM("SELECT l.account_id, l.entry_date AS day, CASE WHEN l.side = 'debit' THEN l.base_amount ELSE 0 END AS d, "
               "  CASE WHEN l.side = 'credit' THEN l.base_amount ELSE 0 END AS c "
               "FROM accounting_lines l JOIN accounting_entries e ON e.tenant_id = l.tenant_id AND e.id = l.entry_id "
               "WHERE l.tenant_id = hub_current_tenant() AND e.status = 'posted' "
               "  AND NOT ($6::boolean AND e.source IS NOT DISTINCT FROM 'accounting.year_end') AND " REPORT_DIM("l")),
    6};

/* The raw-postings path reads every line of the tenant: hash joins, never a nested loop chosen
 * on a stale estimate of a table that just grew (a nested loop over a misjudged side turns this
 * into lines x entries; seen in tests, whose tables grow from nothing within seconds). */
static const hub_pg_stmt full_scan_sql = {"accounting_report_full_scan", "SELECT set_config('enable_nestloop', 'off', true)",
                                          0};

typedef Hub__Accounting__V1__ReportRow Row;

typedef struct acct {
  const char *id, *code, *name, *parent_id;
  int type, parent, depth;
  bool group, any;
  int64_t own[MAX_COLUMNS], total[MAX_COLUMNS];
} acct;

typedef struct report_ctx {
  const char *const *params;
  bool from_postings;
  accounting_report_data *out;
} report_ctx;

static hub_status report_fn(hub_tx *tx, void *ud) {
  report_ctx *c = ud;
  c->out->books = accounting_books_queue(tx);
  c->out->chart = hub_tx_exec(tx, &chart_sql, NULL);
  if (c->from_postings) hub_tx_exec(tx, &full_scan_sql, NULL);
  c->out->values = hub_tx_exec(tx, c->from_postings ? &postings_sql : &daily_sql, c->params);
  return HUB_STATUS_OK;
}

hub_status accounting_report_query(hub_call *call, const char *const params[6], bool from_postings, accounting_report_data *out) {
  report_ctx c = {.params = params, .from_postings = from_postings, .out = out};
  return hub_call_tx(call, report_fn, &c);
}

static int by_id(const void *key, const void *elem) { return strcmp(key, ((const acct *)elem)->id); }

int accounting_type_of(const char *t) {
  static const char *const names[] = {"", "asset", "liability", "equity", "income", "expense"};
  for (int i = 1; i < 6; i++)
    if (!strcmp(t, names[i])) return i;
  return 0;
}

/* Debit-positive amounts shown on the account's side in the statements (income, liabilities,
 * equity credit-positive); the trial balance keeps debit-positive. */
static int64_t shown(int type, int64_t v, bool statement) {
  bool credit_side = type == HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_LIABILITY ||
                     type == HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_EQUITY ||
                     type == HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_INCOME;
  return statement && credit_side ? -v : v;
}

Row *accounting_report_row(hub_arena *a, const char *name, int type, size_t ncols) {
  Row *r = hub_arena_alloc(a, sizeof *r);
  hub__accounting__v1__report_row__init(r);
  r->name = (char *)name;
  r->type = type;
  r->n_amounts = ncols;
  r->amounts = hub_arena_alloc(a, ncols * sizeof *r->amounts);
  memset(r->amounts, 0, ncols * sizeof *r->amounts);
  return r;
}

void accounting_report_csv_row(accounting_text *t, hub_arena *a, const Row *r, int exp) {
  accounting_csv_field(t, r->account_code ? r->account_code : "", false);
  accounting_csv_field(t, r->name, r->n_amounts == 0);
  for (size_t k = 0; k < r->n_amounts; k++) accounting_csv_field(t, accounting_decimal_text(a, r->amounts[k], exp), k + 1 == r->n_amounts);
}

/* ---- the handler ---- */

static bool is_dimension(const char *d) { return !*d || !strcmp(d, "brand") || !strcmp(d, "department") || !strcmp(d, "project"); }

hub_status accounting_report_check(hub_arena *a, const Hub__Accounting__V1__GetReportRequest *request) {
  const char *from = *request->from_date ? request->from_date : "0001-01-01", *to = request->to_date;
  if (strcmp(from, to) > 0) return hub_status_invalid(a, "from_date", "is after to_date");
  bool compare = *request->compare_to_date;
  if (*request->compare_from_date && !compare) return hub_status_invalid(a, "compare_to_date", "required with compare_from_date");
  const char *cfrom = *request->compare_from_date ? request->compare_from_date : "0001-01-01", *cto = request->compare_to_date;
  if (compare && strcmp(cfrom, cto) > 0) return hub_status_invalid(a, "compare_from_date", "is after compare_to_date");
  if (!is_dimension(request->dimension)) return hub_status_invalid(a, "dimension", "brand, department or project");
  if (*request->dimension_value && !*request->dimension) return hub_status_invalid(a, "dimension", "required with dimension_value");
  if (*request->account_code && request->kind != HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_GENERAL_LEDGER)
    return hub_status_invalid(a, "account_code", "only for the general ledger");
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_get_report(hub_call *call, const Hub__Accounting__V1__GetReportRequest *request,
                                                   Hub__Accounting__V1__Report *response) {
  hub_arena *a = hub_call_arena(call);
  hub_status st = accounting_report_check(a, request);
  if (!hub_ok(st)) return st;
  if (request->kind == HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_CASH_FLOW)
    return accounting_cash_flow_report(call, request, response);
  if (request->kind == HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_GENERAL_LEDGER)
    return accounting_general_ledger(call, request, response);
  const char *from = *request->from_date ? request->from_date : "0001-01-01", *to = request->to_date;
  bool compare = *request->compare_to_date;
  const char *cfrom = *request->compare_from_date ? request->compare_from_date : "0001-01-01", *cto = request->compare_to_date;

  Hub__Accounting__V1__ReportKind kind = request->kind;
  bool tb = kind == HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_TRIAL_BALANCE;
  bool is = kind == HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_INCOME_STATEMENT;
  const char *kinds, *froms, *tos;
  const char *cols[MAX_COLUMNS];
  size_t ncols;
  if (tb) {
    kinds = "{opening,debits,credits,balance}";
    froms = hub_arena_sprintf(a, "{%s,%s,%s,%s}", from, from, from, from);
    tos = hub_arena_sprintf(a, "{%s,%s,%s,%s}", to, to, to, to);
    cols[0] = "opening", cols[1] = "debits", cols[2] = "credits", cols[3] = "closing", ncols = 4;
  } else {
    kinds = is ? (compare ? "{movement,movement}" : "{movement}") : (compare ? "{balance,balance}" : "{balance}");
    froms = compare ? hub_arena_sprintf(a, "{%s,%s}", from, cfrom) : hub_arena_sprintf(a, "{%s}", from);
    tos = compare ? hub_arena_sprintf(a, "{%s,%s}", to, cto) : hub_arena_sprintf(a, "{%s}", to);
    ncols = compare ? 2 : 1;
    cols[0] = is ? hub_arena_sprintf(a, "%s..%s", *request->from_date ? from : "", to) : to;
    if (compare) cols[1] = is ? hub_arena_sprintf(a, "%s..%s", *request->compare_from_date ? cfrom : "", cto) : cto;
  }
  const char *params[] = {kinds, froms, tos, request->dimension, request->dimension_value, is ? "true" : "false"};
  accounting_report_data c;
  st = accounting_report_query(call, params, request->from_postings, &c);
  if (!hub_ok(st)) return st;

  /* The chart, by id; each account's parent and depth. */
  int n = hub_rows_count(c.chart);
  acct *accts = hub_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *accts);
  memset(accts, 0, (size_t)(n ? n : 1) * sizeof *accts);
  int exp = n ? (int)hub_rows_int(c.chart, 0, "_exp") : 2;
  for (int i = 0; i < n; i++) {
    acct *x = &accts[i];
    x->id = hub_rows_text(c.chart, i, "id"), x->code = hub_rows_text(c.chart, i, "code");
    x->name = hub_rows_text(c.chart, i, "name"), x->parent_id = hub_rows_text(c.chart, i, "parent_id");
    x->type = accounting_type_of(hub_rows_text(c.chart, i, "type"));
    x->parent = -1;
  }
  for (int i = 0; i < n; i++) {
    acct *p = accts[i].parent_id ? bsearch(accts[i].parent_id, accts, (size_t)n, sizeof *accts, by_id) : NULL;
    if (p) accts[i].parent = (int)(p - accts), p->group = true;
  }
  for (int r = 0; r < hub_rows_count(c.values); r++) {
    acct *x = bsearch(hub_rows_text(c.values, r, "account_id"), accts, (size_t)n, sizeof *accts, by_id);
    int64_t k = hub_rows_int(c.values, r, "k");
    if (x && k >= 1 && k <= (int64_t)ncols) x->own[k - 1] += hub_rows_int(c.values, r, "v");
  }
  for (int i = 0; i < n; i++) {
    bool nonzero = false;
    for (size_t k = 0; k < ncols; k++) nonzero |= accts[i].own[k] != 0;
    int depth = 0;
    for (int j = i; j >= 0 && depth <= MAX_DEPTH; j = accts[j].parent, depth++) {
      for (size_t k = 0; k < ncols; k++) accts[j].total[k] += accts[i].own[k];
      accts[j].any |= nonzero;
    }
    accts[i].depth = depth - 1;
  }

  /* Rows by code (the database ranks them; they arrive by id, for bsearch): the accounts the
   * report shows, with anything in them or under them. */
  int *order = hub_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *order);
  for (int i = 0; i < n; i++) order[hub_rows_int(c.chart, i, "_by_code")] = i; /* rows come by id, ranked by code */
  enum { A = 1, L, E, I, X };
  int64_t sums[6][MAX_COLUMNS] = {{0}}; /* by type, statement-signed */
  response->rows = hub_arena_alloc(a, (size_t)(n + 1) * sizeof *response->rows);
  for (int o = 0; o < n; o++) {
    acct *x = &accts[order[o]];
    for (size_t k = 0; k < ncols; k++) sums[x->type][k] += shown(x->type, x->own[k], !tb);
    bool shows = tb || (is ? x->type == I || x->type == X : x->type == A || x->type == L || x->type == E);
    if (!shows || !x->any) continue;
    Row *r = accounting_report_row(a, x->name, x->type, ncols);
    r->account_id = (char *)x->id, r->account_code = (char *)x->code, r->depth = x->depth, r->group = x->group;
    for (size_t k = 0; k < ncols; k++) r->amounts[k] = shown(x->type, x->total[k], !tb);
    response->rows[response->n_rows++] = r;
  }

  /* Totals. */
  response->totals = hub_arena_alloc(a, 5 * sizeof *response->totals);
  Row *t0, *t1, *t2, *t3;
  if (tb) {
    t0 = accounting_report_row(a, "Total", 0, ncols);
    for (int i = 0; i < n; i++)
      for (size_t k = 0; k < ncols; k++) t0->amounts[k] += accts[i].own[k];
    response->totals[response->n_totals++] = t0;
  } else if (is) {
    t0 = accounting_report_row(a, "Total income", I, ncols), t1 = accounting_report_row(a, "Total expense", X, ncols), t2 = accounting_report_row(a, "Net income", 0, ncols);
    for (size_t k = 0; k < ncols; k++)
      t0->amounts[k] = sums[I][k], t1->amounts[k] = sums[X][k], t2->amounts[k] = sums[I][k] - sums[X][k];
    response->totals[response->n_totals++] = t0, response->totals[response->n_totals++] = t1;
    response->totals[response->n_totals++] = t2;
  } else {
    /* Earnings not closed into retained earnings yet: income less expense over all time. */
    Row *earn = accounting_report_row(a, "Earnings not yet closed", E, ncols);
    for (size_t k = 0; k < ncols; k++) earn->amounts[k] = sums[I][k] - sums[X][k];
    response->rows[response->n_rows++] = earn;
    t0 = accounting_report_row(a, "Total assets", A, ncols), t1 = accounting_report_row(a, "Total liabilities", L, ncols);
    t2 = accounting_report_row(a, "Total equity", E, ncols), t3 = accounting_report_row(a, "Total liabilities and equity", 0, ncols);
    for (size_t k = 0; k < ncols; k++) {
      t0->amounts[k] = sums[A][k], t1->amounts[k] = sums[L][k];
      t2->amounts[k] = sums[E][k] + earn->amounts[k], t3->amounts[k] = t1->amounts[k] + t2->amounts[k];
    }
    response->totals[response->n_totals++] = t0, response->totals[response->n_totals++] = t1;
    response->totals[response->n_totals++] = t2, response->totals[response->n_totals++] = t3;
  }
  response->kind = kind;
  response->n_columns = ncols;
  response->columns = hub_arena_alloc(a, ncols * sizeof *response->columns);
  for (size_t k = 0; k < ncols; k++) response->columns[k] = (char *)cols[k];
  response->base_currency_code = (char *)hub_rows_text(c.books, 0, "_base");

  if (request->csv) {
    accounting_text t = {.a = a};
    accounting_csv_field(&t, "code", false);
    accounting_csv_field(&t, "name", false);
    for (size_t k = 0; k < ncols; k++) accounting_csv_field(&t, cols[k], k + 1 == ncols);
    for (size_t r = 0; r < response->n_rows; r++) accounting_report_csv_row(&t, a, response->rows[r], exp);
    for (size_t r = 0; r < response->n_totals; r++) accounting_report_csv_row(&t, a, response->totals[r], exp);
    response->csv = t.s ? t.s : "";
  }
  return HUB_STATUS_OK;
}
