/* Tax codes (CreateTaxCode, ListTaxCodes) and the tax return's figures (GetTaxSummary). A rate
 * is an exact decimal percent (numeric(7,4)); the tax of each document line is computed once,
 * when the document is made (invoice_math.c), and the summary only adds up what finalized
 * documents stored, in the base currency at each document's own rate. */
#include <string.h>

#include "services/accounting/accounting.h"
#include "services/accounting/invoice_math.h"

#define TAX_COLUMNS                                                                                          \
  "x.id, x.code, x.name, trim_scale(x.rate)::text AS rate, x.inclusive, x.recoverable, "                     \
  "(SELECT o.code FROM accounting_accounts o WHERE o.tenant_id = x.tenant_id AND o.id = x.output_account_id) " \
  "AS output_account_code, "                                                                                 \
  "(SELECT i.code FROM accounting_accounts i WHERE i.tenant_id = x.tenant_id AND i.id = x.input_account_id) "  \
  "AS input_account_code, x.archived, x.created_at AS create_time"

/* The two accounts (_output, _input: NULL when the chart has no such code). */
static const hub_pg_stmt accounts_sql = {
    "accounting_tax_accounts",
    "SELECT (SELECT a.id FROM accounting_accounts a WHERE a.tenant_id = hub_current_tenant() AND a.code = $1) AS _output, "
    "(SELECT a.id FROM accounting_accounts a WHERE a.tenant_id = hub_current_tenant() AND a.code = $2) AS _input",
    2};

static const hub_pg_stmt create_sql = {
    "accounting_create_tax_code",
    "INSERT INTO accounting_tax_codes AS x (tenant_id, code, name, rate, inclusive, recoverable, output_account_id, "
    "input_account_id) VALUES (hub_current_tenant(), $1, $2, $3::numeric, $4::boolean, $5::boolean, $6::uuid, $7::uuid) "
    "RETURNING " TAX_COLUMNS,
    7};

static const hub_pg_stmt list_sql = {
    "accounting_list_tax_codes",
    "SELECT " TAX_COLUMNS " FROM accounting_tax_codes x WHERE x.tenant_id = hub_current_tenant() AND ($1 OR NOT x.archived) "
    "ORDER BY x.code LIMIT 1000",
    1};

typedef struct create_ctx {
  hub_call *call;
  const Hub__Accounting__V1__CreateTaxCodeRequest *req;
  const char *output, *input;
  hub_rows *row;
  bool missing_output, missing_input;
} create_ctx;

static hub_status create_fn(hub_tx *tx, void *ud) {
  create_ctx *c = ud;
  accounting_books_queue(tx);
  hub_rows *acc;
  hub_status st = hub_tx_query(tx, &accounts_sql, (const char *[]){c->output, c->input}, &acc);
  if (!hub_ok(st)) return st;
  const char *out_id = hub_rows_text(acc, 0, "_output"), *in_id = hub_rows_text(acc, 0, "_input");
  c->missing_output = !out_id, c->missing_input = !in_id;
  if (!out_id || !in_id) return HUB_STATUS_OK;
  const Hub__Accounting__V1__CreateTaxCodeRequest *r = c->req;
  const char *p[] = {r->code, r->name, r->rate, r->inclusive ? "true" : "false", r->recoverable ? "true" : "false", out_id, in_id};
  c->row = hub_tx_exec(tx, &create_sql, p);
  accounting_record(tx, c->call, "accounting.tax_code_created", NULL, (const char *[]){"code", r->code, "rate", r->rate, NULL});
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_create_tax_code(hub_call *call, const Hub__Accounting__V1__CreateTaxCodeRequest *request,
                                                        Hub__Accounting__V1__TaxCode *response) {
  hub_arena *a = hub_call_arena(call);
  int64_t rate;
  if (!accounting_decimal_parse(request->rate, 4, &rate) || rate > ACCOUNTING_RATE_MAX)
    return hub_status_invalid(a, "rate", "a percent from 0 to 100 with at most 4 decimals, such as 20 or 7.25");
  create_ctx c = {.call = call, .req = request,
                  .output = *request->output_account_code ? request->output_account_code : "2100",
                  .input = *request->input_account_code ? request->input_account_code : "1150"};
  hub_status st = hub_call_tx(call, create_fn, &c);
  if (!hub_ok(st)) return st;
  if (c.missing_output) return hub_status_new(a, HUB_NOT_FOUND, "output_account_code: no such account");
  if (c.missing_input) return hub_status_new(a, HUB_NOT_FOUND, "input_account_code: no such account");
  hub_rows_decode(c.row, 0, &response->base);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_list_tax_codes(hub_call *call, const Hub__Accounting__V1__ListTaxCodesRequest *request,
                                                       Hub__Accounting__V1__ListTaxCodesResponse *response) {
  hub_rows *rows;
  hub_status st = hub_call_query(call, &list_sql, (const char *[]){request->include_archived ? "true" : "false"}, &rows);
  if (!hub_ok(st)) return st;
  response->n_tax_codes = hub_rows_messages(rows, &hub__accounting__v1__tax_code__descriptor, -1, (void ***)&response->tax_codes);
  return HUB_STATUS_OK;
}

/* ---- GetTaxSummary ---- */

/* Credit notes count against their side. Purchases are bills, expenses and purchase credit
 * notes; their tax is input tax when the code is recoverable, part of the cost otherwise. */
static const hub_pg_stmt summary_sql = {
    "accounting_tax_summary",
    "SELECT tc.code AS tax_code, trim_scale(tc.rate)::text AS rate, "
    "coalesce(sum(CASE d.kind WHEN 'sales_invoice' THEN dt.base_in_base WHEN 'sales_credit_note' THEN -dt.base_in_base END), 0) "
    "  AS sales_base_minor, "
    "coalesce(sum(CASE d.kind WHEN 'sales_invoice' THEN dt.tax_in_base WHEN 'sales_credit_note' THEN -dt.tax_in_base END), 0) "
    "  AS output_tax_minor, "
    "coalesce(sum(CASE WHEN d.kind IN ('purchase_bill', 'expense') THEN dt.base_in_base "
    "  WHEN d.kind = 'purchase_credit_note' THEN -dt.base_in_base END), 0) AS purchases_base_minor, "
    "coalesce(sum(CASE WHEN NOT tc.recoverable THEN NULL WHEN d.kind IN ('purchase_bill', 'expense') THEN dt.tax_in_base "
    "  WHEN d.kind = 'purchase_credit_note' THEN -dt.tax_in_base END), 0) AS input_tax_minor, "
    "coalesce(sum(CASE WHEN tc.recoverable THEN NULL WHEN d.kind IN ('purchase_bill', 'expense') THEN dt.tax_in_base "
    "  WHEN d.kind = 'purchase_credit_note' THEN -dt.tax_in_base END), 0) AS non_recoverable_tax_minor "
    "FROM accounting_document_taxes dt "
    "JOIN accounting_documents d ON d.tenant_id = dt.tenant_id AND d.id = dt.document_id "
    "JOIN accounting_tax_codes tc ON tc.tenant_id = dt.tenant_id AND tc.id = dt.tax_code_id "
    "WHERE dt.tenant_id = hub_current_tenant() AND d.status IN ('open', 'settled') "
    "AND d.issue_date BETWEEN $1::date AND $2::date GROUP BY tc.code, tc.rate ORDER BY tc.code",
    2};

static const hub_pg_stmt exponent_sql = {
    "accounting_base_exponent",
    "SELECT b.base_currency AS _base, accounting_exponent(b.base_currency) AS _exp FROM accounting_open_books() b", 0};

typedef struct summary_ctx {
  const char *from, *to;
  hub_rows *books, *rows;
} summary_ctx;

static hub_status summary_fn(hub_tx *tx, void *ud) {
  summary_ctx *c = ud;
  c->books = hub_tx_exec(tx, &exponent_sql, NULL);
  c->rows = hub_tx_exec(tx, &summary_sql, (const char *[]){c->from, c->to});
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_get_tax_summary(hub_call *call, const Hub__Accounting__V1__GetTaxSummaryRequest *request,
                                                        Hub__Accounting__V1__TaxSummary *response) {
  hub_arena *a = hub_call_arena(call);
  if (strcmp(request->from_date, request->to_date) > 0) return hub_status_invalid(a, "from_date", "is after to_date");
  summary_ctx c = {.from = request->from_date, .to = request->to_date};
  hub_status st = hub_call_tx(call, summary_fn, &c);
  if (!hub_ok(st)) return st;
  response->from_date = (char *)request->from_date, response->to_date = (char *)request->to_date;
  response->currency_code = (char *)hub_rows_text(c.books, 0, "_base");
  int exp = (int)hub_rows_int(c.books, 0, "_exp");
  response->n_rows = hub_rows_messages(c.rows, &hub__accounting__v1__tax_summary_row__descriptor, -1, (void ***)&response->rows);
  for (size_t i = 0; i < response->n_rows; i++) {
    response->output_tax_minor += response->rows[i]->output_tax_minor;
    response->input_tax_minor += response->rows[i]->input_tax_minor;
  }
  response->net_due_minor = response->output_tax_minor - response->input_tax_minor;
  if (request->csv) {
    accounting_text t = {.a = a};
    static const char *const head[] = {"tax_code", "rate", "sales_base", "output_tax", "purchases_base", "input_tax",
                                       "non_recoverable_tax"};
    for (size_t k = 0; k < 7; k++) accounting_csv_field(&t, head[k], k == 6);
    for (size_t i = 0; i < response->n_rows; i++) {
      const Hub__Accounting__V1__TaxSummaryRow *r = response->rows[i];
      const int64_t v[] = {r->sales_base_minor, r->output_tax_minor, r->purchases_base_minor, r->input_tax_minor,
                           r->non_recoverable_tax_minor};
      accounting_csv_field(&t, r->tax_code, false);
      accounting_csv_field(&t, r->rate, false);
      for (size_t k = 0; k < 5; k++) accounting_csv_field(&t, accounting_decimal_text(a, v[k], exp), k == 4);
    }
    accounting_csv_field(&t, "total", false);
    accounting_csv_field(&t, "", false);
    const int64_t tot[] = {0, response->output_tax_minor, 0, response->input_tax_minor, 0};
    for (size_t k = 0; k < 5; k++) accounting_csv_field(&t, k % 2 ? accounting_decimal_text(a, tot[k], exp) : "", k == 4);
    accounting_csv_field(&t, "net_due", false);
    accounting_csv_field(&t, accounting_decimal_text(a, response->net_due_minor, exp), true);
    response->csv = t.s;
  }
  return HUB_STATUS_OK;
}
