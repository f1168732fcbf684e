/* The general ledger: per account (by code), its balance before the period (from the daily
 * movements), every posted line of the period in posting order with a running balance, and its
 * balance at the end; in the base currency, debit positive. Every line is read from the journal
 * (one index range per account), so a ledger is bounded: beyond MAX_LINES the caller narrows the
 * dates or names one account. Closing entries are lines like any other here. */
#include <stdlib.h>
#include <string.h>

#include "services/accounting/accounting.h"

enum { MAX_LINES = 20000 };

typedef Hub__Accounting__V1__ReportRow Row;

#define LEDGER_DIM(t, d, v)                                                                                   \
  "(" d " = '' OR CASE " d " WHEN 'brand' THEN " t ".brand WHEN 'department' THEN " t ".department "         \
  "ELSE " t ".project END = " v ")"

static const hub_pg_stmt accounts_sql = {
    "accounting_ledger_accounts",
    "SELECT x.id, x.code, x.name, x.type, (SELECT accounting_exponent(b.base_currency) FROM accounting_books b "
    "  WHERE b.tenant_id = x.tenant_id) AS _exp FROM accounting_accounts x "
    "WHERE x.tenant_id = hub_current_tenant() AND ($1::text IS NULL OR x.code = $1) ORDER BY x.code",
    1};

static const hub_pg_stmt opening_sql = {
    "accounting_ledger_opening",
    "SELECT y.account_id::text AS _acct, sum(y.base_debits - y.base_credits) AS _v FROM accounting_daily y "
    "JOIN accounting_accounts x ON x.tenant_id = y.tenant_id AND x.id = y.account_id "
    "WHERE y.tenant_id = hub_current_tenant() AND y.day < $1::date AND ($2::text IS NULL OR x.code = $2) "
    "AND " LEDGER_DIM("y", "$3", "$4") " GROUP BY y.account_id ORDER BY y.account_id",
    4};

static const hub_pg_stmt lines_sql = {
    "accounting_ledger_lines",
    "SELECT l.account_id::text AS _acct, e.id::text AS _entry, l.entry_date::text AS _date, "
    "coalesce(nullif(l.description, ''), e.description) AS _desc, "
    "CASE WHEN l.side = 'debit' THEN l.base_amount ELSE 0 END AS _d, CASE WHEN l.side = 'credit' THEN l.base_amount ELSE 0 END AS _c "
    "FROM accounting_lines l JOIN accounting_entries e ON e.tenant_id = l.tenant_id AND e.id = l.entry_id "
    "JOIN accounting_accounts x ON x.tenant_id = l.tenant_id AND x.id = l.account_id "
    "WHERE l.tenant_id = hub_current_tenant() AND e.status = 'posted' AND l.entry_date BETWEEN $1::date AND $2::date "
    "AND ($3::text IS NULL OR x.code = $3) AND " LEDGER_DIM("l", "$4", "$5") " "
    "ORDER BY x.code, l.entry_date, e.seq, l.line_no LIMIT $6::int",
    6};

typedef struct ledger_ctx {
  const char *from, *to, *code, *dim, *value;
  hub_rows *books, *accounts, *opening, *lines;
} ledger_ctx;

static hub_status ledger_fn(hub_tx *tx, void *ud) {
  ledger_ctx *c = ud;
  c->books = accounting_books_queue(tx);
  c->accounts = hub_tx_exec(tx, &accounts_sql, (const char *[]){c->code});
  c->opening = hub_tx_exec(tx, &opening_sql, (const char *[]){c->from, c->code, c->dim, c->value});
  c->lines = hub_tx_exec(tx, &lines_sql,
                         (const char *[]){c->from, c->to, c->code, c->dim, c->value, hub_arena_sprintf(hub_tx_arena(tx), "%d", MAX_LINES + 1)});
  return HUB_STATUS_OK;
}

static int by_acct(const void *key, const void *elem) { return strcmp(key, *(const char *const *)elem); }

hub_status accounting_general_ledger(hub_call *call, const Hub__Accounting__V1__GetReportRequest *request,
                                     Hub__Accounting__V1__Report *response) {
  hub_arena *a = hub_call_arena(call);
  if (*request->compare_to_date) return hub_status_invalid(a, "compare_to_date", "the general ledger has no comparison period");
  ledger_ctx c = {.from = *request->from_date ? request->from_date : "0001-01-01", .to = request->to_date,
                  .code = hub_sql_opt(request->account_code), .dim = request->dimension, .value = request->dimension_value};
  hub_status st = hub_call_tx(call, ledger_fn, &c);
  if (!hub_ok(st)) return st;
  int na = hub_rows_count(c.accounts), nl = hub_rows_count(c.lines), no = hub_rows_count(c.opening);
  if (c.code && na == 0) return hub_status_new(a, HUB_NOT_FOUND, "account_code: no such account");
  if (nl > MAX_LINES)
    return hub_status_new(a, HUB_FAILED_PRECONDITION,
                          "to_date: the ledger holds more than %d lines; narrow the dates or name one account_code", MAX_LINES);
  /* The openings arrive ordered by account id: bsearch them through an index of their ids. */
  const char **open_ids = hub_arena_alloc(a, (size_t)(no ? no : 1) * sizeof *open_ids);
  for (int i = 0; i < no; i++) open_ids[i] = hub_rows_text(c.opening, i, "_acct");

  response->rows = hub_arena_alloc(a, (size_t)(nl + 2 * na + 1) * sizeof *response->rows);
  Row *total = accounting_report_row(a, "Total", 0, 3);
  int l = 0;
  for (int i = 0; i < na; i++) {
    const char *id = hub_rows_text(c.accounts, i, "id"), *code = hub_rows_text(c.accounts, i, "code");
    const char *name = hub_rows_text(c.accounts, i, "name");
    int type = accounting_type_of(hub_rows_text(c.accounts, i, "type"));
    const char **o = no ? bsearch(id, open_ids, (size_t)no, sizeof *open_ids, by_acct) : NULL;
    int64_t balance = o ? hub_rows_int(c.opening, (int)(o - open_ids), "_v") : 0;
    bool has_lines = l < nl && !strcmp(hub_rows_text(c.lines, l, "_acct"), id);
    if (!balance && !has_lines) continue;
    Row *head = accounting_report_row(a, name, type, 3);
    head->account_id = (char *)id, head->account_code = (char *)code, head->description = "Opening balance";
    head->date = (char *)(*request->from_date ? request->from_date : "");
    head->amounts[2] = balance;
    response->rows[response->n_rows++] = head;
    int64_t debits = 0, credits = 0;
    for (; l < nl && !strcmp(hub_rows_text(c.lines, l, "_acct"), id); l++) {
      int64_t d = hub_rows_int(c.lines, l, "_d"), cr = hub_rows_int(c.lines, l, "_c");
      debits += d, credits += cr, balance += d - cr;
      Row *r = accounting_report_row(a, name, type, 3);
      r->account_id = (char *)id, r->account_code = (char *)code, r->depth = 1;
      r->entry_id = (char *)hub_rows_text(c.lines, l, "_entry"), r->date = (char *)hub_rows_text(c.lines, l, "_date");
      r->description = (char *)hub_rows_text(c.lines, l, "_desc");
      r->amounts[0] = d, r->amounts[1] = cr, r->amounts[2] = balance;
      response->rows[response->n_rows++] = r;
    }
    Row *tail = accounting_report_row(a, name, type, 3);
    tail->account_id = (char *)id, tail->account_code = (char *)code, tail->description = "Closing balance";
    tail->date = (char *)request->to_date;
    tail->amounts[0] = debits, tail->amounts[1] = credits, tail->amounts[2] = balance;
    response->rows[response->n_rows++] = tail;
    total->amounts[0] += debits, total->amounts[1] += credits, total->amounts[2] += balance;
  }
  response->totals = hub_arena_alloc(a, sizeof *response->totals);
  response->totals[response->n_totals++] = total;
  response->kind = request->kind;
  static const char *const cols[] = {"debit", "credit", "balance"};
  response->n_columns = 3;
  response->columns = (char **)cols;
  response->base_currency_code = (char *)hub_rows_text(c.books, 0, "_base");
  if (request->csv) {
    int exp = na ? (int)hub_rows_int(c.accounts, 0, "_exp") : 2;
    accounting_text t = {.a = a};
    static const char *const head[] = {"code", "name", "date", "entry_id", "description", "debit", "credit", "balance"};
    for (int k = 0; k < 8; k++) accounting_csv_field(&t, head[k], k == 7);
    for (size_t r = 0; r <= response->n_rows; r++) {
      const Row *x = r < response->n_rows ? response->rows[r] : total;
      accounting_csv_field(&t, x->account_code ? x->account_code : "", false);
      accounting_csv_field(&t, x->name, false);
      accounting_csv_field(&t, x->date ? x->date : "", false);
      accounting_csv_field(&t, x->entry_id ? x->entry_id : "", false);
      accounting_csv_field(&t, x->description ? x->description : "", false);
      for (int k = 0; k < 3; k++) accounting_csv_field(&t, accounting_decimal_text(a, x->amounts[k], exp), k == 2);
    }
    response->csv = t.s ? t.s : "";
  }
  return HUB_STATUS_OK;
}
