/* Documents: CreateDocument, FinalizeDocument, ApproveExpense, GetDocument, ListDocuments.
 * Creating one is two round trips: the party, accounts and tax codes it names (with the books),
 * then, with the totals computed here exactly (invoice_math.c), the rows, and when asked the
 * finalizing call, in one pipeline. Finalizing is accounting_doc_finalize (migration 0013): the
 * series' counter row and the entry in the same transaction as the status change, so a number
 * is never skipped or used twice and a document is in the books exactly when it is final. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "hub/calendar.h"
#include "hub/enum_text.h"
#include "identity/principal.h"
#include "services/accounting/accounting.h"
#include "services/accounting/api.h"
#include "services/accounting/invoice_math.h"

#define DOC_COLUMNS                                                                                            \
  "x.id, x.kind, x.status, x.number, x.party_id, x.issue_date::text AS issue_date, x.due_date::text AS due_date, " \
  "x.currency AS currency_code, x.net AS net_minor, x.tax AS tax_minor, x.gross AS gross_minor, "                 \
  "x.open_amount AS open_minor, x.reference, x.notes, x.entry_id, x.paid_from_code AS paid_from_account_code, "   \
  "x.rejection_reason, x.created_by, x.approved_by, x.version, x.created_at AS create_time"

/* ---- reading a document ---- */

static const hub_pg_stmt doc_sql = {
    "accounting_document",
    "SELECT " DOC_COLUMNS " FROM accounting_documents x WHERE x.tenant_id = hub_current_tenant() AND x.id = $1::uuid", 1};

static const hub_pg_stmt doc_lines_sql = {
    "accounting_document_lines",
    "SELECT l.description, a.code AS account_code, trim_scale(l.quantity)::text AS quantity, l.unit_price AS unit_price_minor, "
    "l.discount AS discount_minor, tc.code AS tax_code, l.net AS net_minor, l.tax AS tax_minor, l.gross AS gross_minor, "
    "l.brand, l.department, l.project FROM accounting_document_lines l "
    "JOIN accounting_accounts a ON a.tenant_id = l.tenant_id AND a.id = l.account_id "
    "LEFT JOIN accounting_tax_codes tc ON tc.tenant_id = l.tenant_id AND tc.id = l.tax_code_id "
    "WHERE l.tenant_id = hub_current_tenant() AND l.document_id = $1::uuid ORDER BY l.line_no",
    1};

static const hub_pg_stmt doc_taxes_sql = {
    "accounting_document_taxes",
    "SELECT tc.code AS tax_code, trim_scale(tc.rate)::text AS rate, dt.base AS base_minor, dt.tax AS tax_minor "
    "FROM accounting_document_taxes dt JOIN accounting_tax_codes tc ON tc.tenant_id = dt.tenant_id AND tc.id = dt.tax_code_id "
    "WHERE dt.tenant_id = hub_current_tenant() AND dt.document_id = $1::uuid ORDER BY tc.code",
    1};

/* Applied to it, or (a credit note) applied from it. */
static const hub_pg_stmt doc_allocations_sql = {
    "accounting_document_allocations",
    "SELECT " ACCOUNTING_ALLOCATION_COLUMNS " FROM accounting_allocations al "
    "JOIN accounting_documents d ON d.tenant_id = al.tenant_id AND d.id = al.document_id "
    "WHERE al.tenant_id = hub_current_tenant() AND (al.document_id = $1::uuid OR al.credit_note_id = $1::uuid) "
    "ORDER BY al.created_at, al.id",
    1};

void accounting_document_queue(hub_tx *tx, const char *id, accounting_document_read *rd) {
  const char *p[] = {id};
  rd->doc = hub_tx_exec(tx, &doc_sql, p);
  rd->lines = hub_tx_exec(tx, &doc_lines_sql, p);
  rd->taxes = hub_tx_exec(tx, &doc_taxes_sql, p);
  rd->allocations = hub_tx_exec(tx, &doc_allocations_sql, p);
}

bool accounting_document_decode(const accounting_document_read *rd, Hub__Accounting__V1__Document *out) {
  if (hub_rows_count(rd->doc) != 1) return false;
  hub_rows_decode(rd->doc, 0, &out->base);
  out->n_lines = hub_rows_messages(rd->lines, &hub__accounting__v1__document_line__descriptor, -1, (void ***)&out->lines);
  out->n_taxes = hub_rows_messages(rd->taxes, &hub__accounting__v1__document_tax__descriptor, -1, (void ***)&out->taxes);
  out->n_allocations =
      hub_rows_messages(rd->allocations, &hub__accounting__v1__allocation__descriptor, -1, (void ***)&out->allocations);
  return true;
}

/* ---- finalizing ---- */

static const hub_pg_stmt finalize_sql = {
    "accounting_doc_finalize",
    "SELECT outcome AS _outcome, code, field, message FROM accounting_doc_finalize($1::uuid, $2::boolean, $3)", 3};

/* The entry's fields are the document's: its date is the issue date, its lines come from ours. */
static const accounting_field_map finalize_fields[] = {
    {".date", "issue_date", false}, {".lines", "lines", false}, {"", "id", false}, {NULL, NULL, false}};

static hub_status finalized(hub_arena *a, const hub_rows *r) {
  if (hub_rows_count(r) != 1) return hub_status_new(a, HUB_INTERNAL, "accounting: no finalize result");
  if (!strcmp(hub_rows_text(r, 0, "_outcome"), "refused")) return accounting_refusal(a, r, 0, finalize_fields);
  return HUB_STATUS_OK;
}

/* ---- CreateDocument ---- */

static const hub_pg_stmt prepare_sql = {
    "accounting_document_prepare",
    "SELECT hub_uuid_v7()::text AS _id, b.base_currency AS _base, p.role AS _role, "
    "(SELECT d.id FROM accounting_documents d WHERE d.tenant_id = hub_current_tenant() AND d.request_id = $2::uuid) AS _existing "
    "FROM accounting_open_books() b LEFT JOIN accounting_parties p ON p.tenant_id = hub_current_tenant() AND p.id = $1::uuid",
    2};

/* The accounts and tax codes the lines name ($1, $2: JSON arrays of codes). */
static const hub_pg_stmt codes_sql = {
    "accounting_document_codes",
    "SELECT 'account' AS _what, a.code AS _code, a.id::text AS _id, a.archived AS _archived, NULL::text AS _rate, "
    "NULL::boolean AS _inclusive, NULL::boolean AS _recoverable FROM accounting_accounts a "
    "WHERE a.tenant_id = hub_current_tenant() AND a.code IN (SELECT jsonb_array_elements_text($1::jsonb)) "
    "UNION ALL SELECT 'tax', t.code, t.id::text, t.archived, trim_scale(t.rate)::text, t.inclusive, t.recoverable "
    "FROM accounting_tax_codes t WHERE t.tenant_id = hub_current_tenant() AND t.code IN (SELECT jsonb_array_elements_text($2::jsonb))",
    2};

static const hub_pg_stmt insert_sql = {
    "accounting_document_insert",
    "INSERT INTO accounting_documents (tenant_id, id, kind, status, party_id, issue_date, due_date, currency, net, tax, gross, "
    "reference, notes, paid_from_code, request_id, created_by) "
    "SELECT hub_current_tenant(), $1::uuid, $2, $3, p.id, $4::date, coalesce($5::date, $4::date + p.payment_terms_days), $6, "
    "$7::bigint, $8::bigint, $9::bigint, coalesce($10, ''), coalesce($11, ''), $12, $13::uuid, hub_current_user() "
    "FROM accounting_parties p WHERE p.tenant_id = hub_current_tenant() AND p.id = $14::uuid",
    14};

static const hub_pg_stmt insert_lines_sql = {
    "accounting_document_insert_lines",
    "INSERT INTO accounting_document_lines (tenant_id, document_id, line_no, description, account_id, quantity, unit_price, "
    "discount, tax_code_id, net, tax, gross, brand, department, project) "
    "SELECT hub_current_tenant(), $1::uuid, r.n, r.description, r.account_id, r.quantity::numeric, r.unit_price, r.discount, "
    "r.tax_code_id, r.net, r.tax, r.net + r.tax, r.brand, r.department, r.project "
    "FROM jsonb_to_recordset($2::jsonb) AS r(n int, description text, account_id uuid, quantity text, unit_price bigint, "
    "discount bigint, tax_code_id uuid, net bigint, tax bigint, brand text, department text, project text)",
    2};

static const hub_pg_stmt insert_taxes_sql = {
    "accounting_document_insert_taxes",
    "INSERT INTO accounting_document_taxes (tenant_id, document_id, tax_code_id, base, tax) "
    "SELECT hub_current_tenant(), $1::uuid, r.tax_code_id, r.base, r.tax "
    "FROM jsonb_to_recordset($2::jsonb) AS r(tax_code_id uuid, base bigint, tax bigint)",
    2};

typedef Hub__Accounting__V1__DocumentKind doc_kind;

static bool is_sales(doc_kind k) {
  return k == HUB__ACCOUNTING__V1__DOCUMENT_KIND__DOCUMENT_KIND_SALES_INVOICE ||
         k == HUB__ACCOUNTING__V1__DOCUMENT_KIND__DOCUMENT_KIND_SALES_CREDIT_NOTE;
}
static bool is_expense(doc_kind k) { return k == HUB__ACCOUNTING__V1__DOCUMENT_KIND__DOCUMENT_KIND_EXPENSE; }

static const char *default_account(doc_kind k) { return is_sales(k) ? "4010" : is_expense(k) ? "6070" : "5010"; }

typedef struct code_ref {
  const char *code, *id, *rate;
  bool archived, inclusive, recoverable;
} code_ref;

typedef struct create_ctx {
  hub_call *call;
  const Hub__Accounting__V1__CreateDocumentRequest *req;
  const char *id;      /* the document's */
  bool existed;        /* the request_id's document, answered again */
  accounting_document_read rd;
  hub_rows *fin;
} create_ctx;

static const code_ref *find_code(const code_ref *refs, size_t n, const char *code) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(refs[i].code, code)) return &refs[i];
  return NULL;
}

static char *dump(hub_arena *a, json_t *j) {
  char *text = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  char *out = hub_arena_strdup(a, text ? text : "[]");
  free(text);
  return out;
}

static const char *line_account(const Hub__Accounting__V1__CreateDocumentRequest *r, size_t i) {
  return *r->lines[i]->account_code ? r->lines[i]->account_code : default_account(r->kind);
}

static hub_status create_fn(hub_tx *tx, void *ud) {
  create_ctx *c = ud;
  const Hub__Accounting__V1__CreateDocumentRequest *r = c->req;
  hub_arena *a = hub_tx_arena(tx);
  json_t *accounts = json_array(), *taxes = json_array();
  for (size_t i = 0; i < r->n_lines; i++) {
    json_array_append_new(accounts, json_string(line_account(r, i)));
    if (*r->lines[i]->tax_code) json_array_append_new(taxes, json_string(r->lines[i]->tax_code));
  }
  if (*r->paid_from_account_code) json_array_append_new(accounts, json_string(r->paid_from_account_code));
  hub_rows *prep = hub_tx_exec(tx, &prepare_sql, (const char *[]){r->party_id, hub_sql_opt(r->request_id)});
  hub_rows *codes;
  hub_status st = hub_tx_query(tx, &codes_sql, (const char *[]){dump(a, accounts), dump(a, taxes)}, &codes);
  if (!hub_ok(st)) return st;
  if (hub_rows_text(prep, 0, "_existing")) {
    c->id = hub_rows_text(prep, 0, "_existing"), c->existed = true;
    accounting_document_queue(tx, c->id, &c->rd);
    return HUB_STATUS_OK;
  }
  const char *role = hub_rows_text(prep, 0, "_role");
  if (!role) return hub_status_new(a, HUB_NOT_FOUND, "party_id: no such party");
  if (strcmp(role, "both") && strcmp(role, is_sales(r->kind) ? "customer" : "vendor"))
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "party_id: the party is not a %s", is_sales(r->kind) ? "customer" : "vendor");
  const char *currency = *r->currency_code ? r->currency_code : hub_rows_text(prep, 0, "_base");

  int nc = hub_rows_count(codes);
  code_ref *acc = hub_arena_alloc(a, (size_t)(nc + 1) * sizeof *acc), *tax = hub_arena_alloc(a, (size_t)(nc + 1) * sizeof *tax);
  size_t n_acc = 0, n_tax = 0;
  for (int k = 0; k < nc; k++) {
    bool is_tax = !strcmp(hub_rows_text(codes, k, "_what"), "tax");
    code_ref *x = is_tax ? &tax[n_tax++] : &acc[n_acc++];
    *x = (code_ref){hub_rows_text(codes, k, "_code"), hub_rows_text(codes, k, "_id"), hub_rows_text(codes, k, "_rate"),
                    hub_rows_bool(codes, k, "_archived"), hub_rows_bool(codes, k, "_inclusive"),
                    hub_rows_bool(codes, k, "_recoverable")};
  }
  if (*r->paid_from_account_code && !find_code(acc, n_acc, r->paid_from_account_code))
    return hub_status_new(a, HUB_NOT_FOUND, "paid_from_account_code: no such account");

  /* The document's tax rates, each code once, in the order the lines first name them. */
  accounting_tax_rate *rates = hub_arena_alloc(a, (n_tax + 1) * sizeof *rates);
  const code_ref **rate_ref = hub_arena_alloc(a, (n_tax + 1) * sizeof *rate_ref);
  size_t n_rates = 0;
  accounting_line_in *in = hub_arena_alloc(a, r->n_lines * sizeof *in);
  for (size_t i = 0; i < r->n_lines; i++) {
    const Hub__Accounting__V1__DocumentLineInput *l = r->lines[i];
    const code_ref *ac = find_code(acc, n_acc, line_account(r, i));
    if (!ac) return hub_status_new(a, HUB_NOT_FOUND, "lines[%zu].account_code: no such account", i);
    if (ac->archived) return hub_status_new(a, HUB_FAILED_PRECONDITION, "lines[%zu].account_code: the account is archived", i);
    in[i] = (accounting_line_in){*l->quantity ? l->quantity : "1", l->unit_price_minor, l->discount_minor, -1};
    if (!*l->tax_code) continue;
    const code_ref *tc = find_code(tax, n_tax, l->tax_code);
    if (!tc) return hub_status_new(a, HUB_NOT_FOUND, "lines[%zu].tax_code: no such tax code", i);
    if (tc->archived) return hub_status_new(a, HUB_FAILED_PRECONDITION, "lines[%zu].tax_code: the tax code is archived", i);
    size_t k = 0;
    while (k < n_rates && rate_ref[k] != tc) k++;
    if (k == n_rates) {
      int64_t scaled = 0;
      accounting_decimal_parse(tc->rate, 4, &scaled);
      rates[n_rates] = (accounting_tax_rate){scaled, tc->inclusive, tc->recoverable};
      rate_ref[n_rates++] = tc;
    }
    in[i].tax_index = (int)k;
  }
  accounting_line_out *out = hub_arena_alloc(a, r->n_lines * sizeof *out);
  accounting_tax_total *per_tax = hub_arena_alloc(a, (n_rates + 1) * sizeof *per_tax);
  accounting_doc_totals totals;
  accounting_doc_error err;
  if (!accounting_doc_compute(in, r->n_lines, rates, n_rates, out, per_tax, &totals, &err)) {
    if (err.line < 0) return hub_status_invalid(a, "lines", "%s", err.message);
    return hub_status_invalid(a, hub_arena_sprintf(a, "lines[%d].%s", err.line, err.field), "%s", err.message);
  }
  if (totals.gross <= 0) return hub_status_invalid(a, "lines", "the document's total is zero");

  c->id = hub_rows_text(prep, 0, "_id");
  json_t *lines = json_array(), *doc_taxes = json_array();
  for (size_t i = 0; i < r->n_lines; i++) {
    const Hub__Accounting__V1__DocumentLineInput *l = r->lines[i];
    char qty[32];
    accounting_decimal_format(out[i].quantity_scaled, 4, qty, sizeof qty);
    json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s, s:s}", "n", (int)i, "description",
                          l->description, "account_id", find_code(acc, n_acc, line_account(r, i))->id, "quantity", qty,
                          "unit_price", (json_int_t)l->unit_price_minor, "discount", (json_int_t)l->discount_minor, "net",
                          (json_int_t)out[i].net, "tax", (json_int_t)out[i].tax, "brand", l->brand, "department",
                          l->department, "project", l->project);
    json_object_set_new(o, "tax_code_id", in[i].tax_index >= 0 ? json_string(rate_ref[in[i].tax_index]->id) : json_null());
    json_array_append_new(lines, o);
  }
  for (size_t k = 0; k < n_rates; k++)
    json_array_append_new(doc_taxes, json_pack("{s:s, s:I, s:I}", "tax_code_id", rate_ref[k]->id, "base",
                                               (json_int_t)per_tax[k].base, "tax", (json_int_t)per_tax[k].tax));
  const char *kind = hub_enum_to_text(a, &hub__accounting__v1__document_kind__descriptor, (int)r->kind);
  const char *status = r->finalize && is_expense(r->kind) ? "submitted" : "draft";
  const char *p[] = {c->id, kind, status, r->issue_date, hub_sql_opt(r->due_date), currency,
                     hub_arena_sprintf(a, "%lld", (long long)totals.net), hub_arena_sprintf(a, "%lld", (long long)totals.tax),
                     hub_arena_sprintf(a, "%lld", (long long)totals.gross), hub_sql_opt(r->reference), hub_sql_opt(r->notes),
                     hub_sql_opt(r->paid_from_account_code), hub_sql_opt(r->request_id), r->party_id};
  hub_tx_exec(tx, &insert_sql, p);
  hub_tx_exec(tx, &insert_lines_sql, (const char *[]){c->id, dump(a, lines)});
  if (n_rates) hub_tx_exec(tx, &insert_taxes_sql, (const char *[]){c->id, dump(a, doc_taxes)});
  else json_decref(doc_taxes);
  if (r->finalize && !is_expense(r->kind)) c->fin = hub_tx_exec(tx, &finalize_sql, (const char *[]){c->id, NULL, NULL});
  accounting_record(tx, c->call, r->finalize ? (is_expense(r->kind) ? "accounting.expense_submitted" : "accounting.document_finalized")
                                             : "accounting.document_drafted",
                    c->id, (const char *[]){"kind", kind, "gross", p[8], "currency", currency, NULL});
  if (c->fin) {
    st = hub_tx_flush(tx);
    if (!hub_ok(st)) return st;
    st = finalized(a, c->fin);
    if (!hub_ok(st)) return st;
  }
  accounting_document_queue(tx, c->id, &c->rd);
  return HUB_STATUS_OK;
}

/* What the contract's rules cannot say. */
static hub_status create_checks(hub_arena *a, const Hub__Accounting__V1__CreateDocumentRequest *request) {
  if (*request->due_date && strcmp(request->due_date, request->issue_date) < 0)
    return hub_status_invalid(a, "due_date", "is before issue_date");
  if (is_expense(request->kind) && !*request->reference)
    return hub_status_invalid(a, "reference", "an expense needs its receipt's reference");
  if (*request->paid_from_account_code && !is_expense(request->kind))
    return hub_status_invalid(a, "paid_from_account_code", "only an expense is paid at once");
  return HUB_STATUS_OK;
}

hub_status hub_accounting_create_document(hub_tx *tx, const Hub__Accounting__V1__CreateDocumentRequest *request, const char **id) {
  hub_arena *a = hub_tx_arena(tx);
  hub_status st = accounting_api_validate(a, "hub.accounting.v1.Accounting/CreateDocument", (ProtobufCMessage *)&request->base);
  if (hub_ok(st)) st = create_checks(a, request);
  create_ctx c = {.req = request};
  if (hub_ok(st)) st = create_fn(tx, &c);
  if (hub_ok(st)) st = hub_tx_flush(tx);
  if (hub_ok(st)) *id = c.id;
  return st;
}

hub_status hub_accounting_v1_accounting_create_document(hub_call *call, const Hub__Accounting__V1__CreateDocumentRequest *request,
                                                        Hub__Accounting__V1__Document *response) {
  hub_arena *a = hub_call_arena(call);
  hub_status st = create_checks(a, request);
  if (!hub_ok(st)) return st;
  create_ctx c = {.call = call, .req = request};
  st = hub_call_tx(call, create_fn, &c);
  if (!hub_ok(st)) return st;
  if (!accounting_document_decode(&c.rd, response)) return hub_status_new(a, HUB_INTERNAL, "accounting: document vanished");
  return HUB_STATUS_OK;
}

/* ---- FinalizeDocument, ApproveExpense ---- */

typedef struct finalize_ctx {
  hub_call *call;
  const char *id, *approve, *reason;
  hub_rows *fin;
  accounting_document_read rd;
} finalize_ctx;

static hub_status finalize_fn(hub_tx *tx, void *ud) {
  finalize_ctx *c = ud;
  hub_status st = hub_tx_query(tx, &finalize_sql, (const char *[]){c->id, c->approve, c->reason}, &c->fin);
  if (!hub_ok(st)) return st;
  st = finalized(hub_tx_arena(tx), c->fin);
  if (!hub_ok(st)) return st;
  const char *outcome = hub_rows_text(c->fin, 0, "_outcome");
  if (strcmp(outcome, "exists"))
    accounting_record(tx, c->call,
                      !c->approve               ? "accounting.document_finalized"
                      : !strcmp(outcome, "rejected") ? "accounting.expense_rejected"
                                                     : "accounting.expense_approved",
                      c->id, (const char *[]){"reason", c->reason, NULL});
  accounting_document_queue(tx, c->id, &c->rd);
  return HUB_STATUS_OK;
}

static hub_status finalize_call(hub_call *call, finalize_ctx *c, Hub__Accounting__V1__Document *response) {
  c->call = call;
  hub_status st = hub_call_tx(call, finalize_fn, c);
  if (!hub_ok(st)) return st;
  if (!accounting_document_decode(&c->rd, response)) return hub_status_new(hub_call_arena(call), HUB_NOT_FOUND, "id: no such document");
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_finalize_document(hub_call *call, const Hub__Accounting__V1__FinalizeDocumentRequest *request,
                                                          Hub__Accounting__V1__Document *response) {
  finalize_ctx c = {.id = request->id};
  return finalize_call(call, &c, response);
}

hub_status hub_accounting_v1_accounting_approve_expense(hub_call *call, const Hub__Accounting__V1__ApproveExpenseRequest *request,
                                                        Hub__Accounting__V1__Document *response) {
  if (!request->approve && !*request->reason)
    return hub_status_invalid(hub_call_arena(call), "reason", "required to reject");
  finalize_ctx c = {.id = request->id, .approve = request->approve ? "true" : "false", .reason = hub_sql_opt(request->reason)};
  return finalize_call(call, &c, response);
}

/* ---- GetDocument, ListDocuments ---- */

typedef struct get_ctx {
  const char *id;
  accounting_document_read rd;
} get_ctx;

static hub_status get_fn(hub_tx *tx, void *ud) {
  get_ctx *c = ud;
  accounting_document_queue(tx, c->id, &c->rd);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_get_document(hub_call *call, const Hub__Accounting__V1__GetDocumentRequest *request,
                                                     Hub__Accounting__V1__Document *response) {
  get_ctx c = {.id = request->id};
  hub_status st = hub_call_tx(call, get_fn, &c);
  if (!hub_ok(st)) return st;
  if (!accounting_document_decode(&c.rd, response)) return hub_status_new(hub_call_arena(call), HUB_NOT_FOUND, "id: no such document");
  return HUB_STATUS_OK;
}

/* Newest issue date first; the token holds the last (issue_date, id). */
static const hub_pg_stmt list_sql = {
    "accounting_list_documents",
    "SELECT " DOC_COLUMNS " FROM accounting_documents x WHERE x.tenant_id = hub_current_tenant() "
    "AND ($1::date IS NULL OR (x.issue_date, x.id) < ($1::date, $2::uuid)) AND ($4::text IS NULL OR x.kind = $4) "
    "AND ($5::uuid IS NULL OR x.party_id = $5::uuid) AND ($6::text IS NULL OR x.status = $6) "
    "AND ($7::date IS NULL OR x.issue_date >= $7::date) AND ($8::date IS NULL OR x.issue_date <= $8::date) "
    "ORDER BY x.issue_date DESC, x.id DESC LIMIT $3::int + 1",
    8};

hub_status hub_accounting_v1_accounting_list_documents(hub_call *call, const Hub__Accounting__V1__ListDocumentsRequest *request,
                                                       Hub__Accounting__V1__ListDocumentsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *after = NULL, *after_id = NULL;
  if (*request->page_token && (!hub_page_token_parse(a, request->page_token, &after, &after_id) ||
                               !hub_date_parse(after, &(int64_t){0}) || !hub_uuid_normalize(after_id)))
    return hub_status_invalid(a, "page_token", "not a token from this list");
  const char *p[] = {after, after_id, hub_arena_sprintf(a, "%d", limit),
                     request->kind ? hub_enum_to_text(a, &hub__accounting__v1__document_kind__descriptor, (int)request->kind) : NULL,
                     hub_sql_opt(request->party_id),
                     request->status ? hub_enum_to_text(a, &hub__accounting__v1__document_status__descriptor, (int)request->status)
                                     : NULL,
                     hub_sql_opt(request->from_date), hub_sql_opt(request->to_date)};
  hub_rows *rows;
  st = hub_call_query(call, &list_sql, p, &rows);
  if (!hub_ok(st)) return st;
  response->n_documents =
      hub_rows_messages(rows, &hub__accounting__v1__document__descriptor, limit, (void ***)&response->documents);
  char *next = NULL;
  if (hub_rows_count(rows) > limit) {
    const Hub__Accounting__V1__Document *last = response->documents[limit - 1];
    next = hub_page_token(a, last->issue_date, last->id);
  }
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}
