/* Payments and allocations: RecordPayment, AllocatePayment and ApplyCreditNote. A credit (a payment, or a credit
 * note) is applied to open documents of its party and currency, named or oldest due first
 * (allocation.c). Every document and credit carries its open amount at a base value (what it
 * was booked at, less what was applied); an allocation takes from each side the base value in
 * proportion (the rest when it closes the side), and when the two differ the difference is a
 * realized exchange gain or loss, posted as an entry of its own on the allocation's date and
 * linked from it, so it is booked exactly once. The documents are locked (FOR UPDATE) before
 * anything is computed, so two payments of the same invoice queue instead of both applying. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hub/enum_text.h"
#include "services/accounting/accounting.h"
#include "services/accounting/api.h"
#include "services/accounting/allocation.h"
#include "services/accounting/invoice_math.h"

#define PAYMENT_COLUMNS                                                                                       \
  "y.id, y.direction, y.party_id, y.account_code, y.pay_date::text AS date, y.amount AS \"amount.amount_minor\", " \
  "y.currency AS \"amount.currency_code\", y.unallocated AS unallocated_minor, y.reference, y.entry_id, "         \
  "y.created_at AS create_time"

/* The books' control accounts, the party, and (by request_id) a payment made before. */
static const hub_pg_stmt prepare_sql = {
    "accounting_payment_prepare",
    "SELECT hub_uuid_v7()::text AS _id, current_date::text AS _today, b.bank_code AS _bank, b.receivable_code AS _ar, "
    "b.payable_code AS _ap, b.fx_gain_code AS _gain, b.fx_loss_code AS _loss, p.role AS _role, "
    "(SELECT y.id FROM accounting_payments y WHERE y.tenant_id = hub_current_tenant() AND y.request_id = $2::uuid) AS _existing "
    "FROM accounting_open_books() b LEFT JOIN accounting_parties p ON p.tenant_id = hub_current_tenant() AND p.id = $1::uuid",
    2};

/* Candidates, locked: the documents named ($3, a JSON array of ids) and, with $4, every open one
 * of the party ($1) and currency ($2) of the kinds a credit of direction $5 settles. Each row
 * brings a fresh id for the allocation it may become. */
static const hub_pg_stmt candidates_sql = {
    "accounting_allocation_candidates",
    "SELECT d.id AS _id, hub_uuid_v7()::text AS _alloc, d.kind AS _kind, d.status AS _status, d.party_id AS _party, "
    "d.currency AS _currency, d.open_amount AS _open, d.open_base AS _open_base, (d.due_date - DATE '1970-01-01') AS _due, "
    "substring(coalesce(d.number, '0') FROM '[0-9]+$')::bigint AS _seq "
    "FROM accounting_documents d WHERE d.tenant_id = hub_current_tenant() AND ("
    "  d.id IN (SELECT x::uuid FROM jsonb_array_elements_text($3::jsonb) x) "
    "  OR ($4 AND d.party_id = $1::uuid AND d.currency = $2 AND d.status = 'open' "
    "      AND d.kind IN (CASE WHEN $5 = 'received' THEN 'sales_invoice' ELSE 'purchase_bill' END, "
    "                     CASE WHEN $5 = 'received' THEN 'sales_invoice' ELSE 'expense' END))) "
    "ORDER BY d.due_date, d.number, d.id LIMIT 1000 FOR UPDATE OF d",
    5};

static const hub_pg_stmt bank_base_sql = {
    "accounting_payment_bank_base",
    "SELECT l.base_amount AS _base FROM accounting_entries e JOIN accounting_lines l ON l.tenant_id = e.tenant_id "
    "AND l.entry_id = e.id AND l.line_no = 0 WHERE e.tenant_id = hub_current_tenant() AND e.source = 'accounting.payment' "
    "AND e.source_id = $1",
    1};

static const hub_pg_stmt insert_payment_sql = {
    "accounting_payment_insert",
    "INSERT INTO accounting_payments (tenant_id, id, direction, party_id, account_code, pay_date, amount, currency, base_amount, "
    "unallocated, unallocated_base, reference, entry_id, request_id, created_by) "
    "SELECT hub_current_tenant(), $1::uuid, $2, $3::uuid, $4, $5::date, $6::bigint, $7, $8::bigint, $9::bigint, $10::bigint, "
    "coalesce($11, ''), e.id, $12::uuid, hub_current_user() FROM accounting_entries e "
    "WHERE e.tenant_id = hub_current_tenant() AND e.source = 'accounting.payment' AND e.source_id = $1::uuid::text",
    12};

/* $1: [{id, document_id, payment_id, credit_note_id, amount, doc_base, credit_base}]; the
 * exchange entry, when one was posted, is found by its source. */
static const hub_pg_stmt insert_allocations_sql = {
    "accounting_allocations_insert",
    "INSERT INTO accounting_allocations (tenant_id, id, document_id, payment_id, credit_note_id, amount, doc_base, credit_base, "
    "fx_entry_id, alloc_date, created_by) "
    "SELECT hub_current_tenant(), r.id, r.document_id, r.payment_id, r.credit_note_id, r.amount, r.doc_base, r.credit_base, "
    "(SELECT e.id FROM accounting_entries e WHERE e.tenant_id = hub_current_tenant() AND e.source = 'accounting.allocation' "
    " AND e.source_id = r.id::text), $2::date, hub_current_user() "
    "FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, document_id uuid, payment_id uuid, credit_note_id uuid, amount bigint, "
    "doc_base bigint, credit_base bigint)",
    2};

/* $1: [{id, amount, base}]: what each document (a credit note among them) gave up. */
static const hub_pg_stmt settle_documents_sql = {
    "accounting_documents_settle",
    "UPDATE accounting_documents d SET open_amount = d.open_amount - r.amount, open_base = d.open_base - r.base, "
    "status = CASE WHEN d.open_amount - r.amount = 0 THEN 'settled' ELSE 'open' END, version = d.version + 1, updated_at = now() "
    "FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, amount bigint, base bigint) "
    "WHERE d.tenant_id = hub_current_tenant() AND d.id = r.id",
    1};

static const hub_pg_stmt settle_payment_sql = {
    "accounting_payment_settle",
    "UPDATE accounting_payments y SET unallocated = y.unallocated - $2::bigint, unallocated_base = y.unallocated_base - $3::bigint "
    "WHERE y.tenant_id = hub_current_tenant() AND y.id = $1::uuid",
    3};

static const hub_pg_stmt payment_sql = {
    "accounting_payment",
    "SELECT " PAYMENT_COLUMNS " FROM accounting_payments y WHERE y.tenant_id = hub_current_tenant() AND y.id = $1::uuid", 1};

static const hub_pg_stmt payment_allocations_sql = {
    "accounting_payment_allocations",
    "SELECT " ACCOUNTING_ALLOCATION_COLUMNS " FROM accounting_allocations al "
    "JOIN accounting_documents d ON d.tenant_id = al.tenant_id AND d.id = al.document_id "
    "WHERE al.tenant_id = hub_current_tenant() AND al.payment_id = $1::uuid ORDER BY al.created_at, al.id",
    1};

static const hub_pg_stmt allocations_by_id_sql = {
    "accounting_allocations_by_id",
    "SELECT " ACCOUNTING_ALLOCATION_COLUMNS " FROM accounting_allocations al "
    "JOIN accounting_documents d ON d.tenant_id = al.tenant_id AND d.id = al.document_id "
    "WHERE al.tenant_id = hub_current_tenant() AND al.id IN (SELECT x::uuid FROM jsonb_array_elements_text($1::jsonb) x) "
    "ORDER BY al.created_at, al.id",
    1};

/* ---- the plan: what a credit applies where, and at what base value ---- */

typedef struct alloc_item {
  const char *id, *document_id;
  int64_t amount, doc_base, credit_base;
} alloc_item;

typedef struct alloc_plan {
  bool payment;              /* the credit is a payment (else a credit note) */
  const char *credit_id;
  bool receivable;           /* customers' side: the control account is receivables */
  const char *control, *gain, *loss, *currency, *date;
  int64_t left, left_base;   /* the credit's open amount and base value, then what stays */
  alloc_item *items;
  size_t n;
} alloc_plan;

typedef Hub__Accounting__V1__AllocationInput AllocationInput;

/* Checks the named documents against the candidates and computes the allocations. */
static hub_status plan_compute(hub_arena *a, alloc_plan *pl, const hub_rows *cand, const char *party, bool received,
                               AllocationInput *const *req, size_t n_req, bool oldest) {
  int nc = hub_rows_count(cand);
  accounting_open_item *items = hub_arena_alloc(a, (size_t)(nc + 1) * sizeof *items);
  int *row = hub_arena_alloc(a, (size_t)(nc + n_req + 1) * sizeof *row);
  int64_t *wanted = hub_arena_alloc(a, (n_req + 1) * sizeof *wanted), *got = hub_arena_alloc(a, (size_t)(nc + n_req + 1) * sizeof *got);
  size_t n = 0;
  int *found = hub_arena_alloc(a, (n_req + 1) * sizeof *found);
  for (size_t i = 0; i < n_req; i++) { /* every name first: NOT_FOUND before anything else */
    found[i] = -1;
    for (int k = 0; k < nc && found[i] < 0; k++)
      if (!strcmp(hub_rows_text(cand, k, "_id"), req[i]->document_id)) found[i] = k;
    if (found[i] < 0 || strcmp(hub_rows_text(cand, found[i], "_party"), party))
      return hub_status_new(a, HUB_NOT_FOUND, "allocations[%zu].document_id: no such document of the party", i);
  }
  for (size_t i = 0; i < n_req; i++) {
    int r = found[i];
    for (size_t j = 0; j < i; j++)
      if (!strcmp(req[j]->document_id, req[i]->document_id))
        return hub_status_invalid(a, hub_arena_sprintf(a, "allocations[%zu].document_id", i), "named twice");
    const char *kind = hub_rows_text(cand, r, "_kind");
    bool fits = received ? !strcmp(kind, "sales_invoice") : (!strcmp(kind, "purchase_bill") || !strcmp(kind, "expense"));
    if (!fits)
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "allocations[%zu].document_id: a %s is not settled by this credit", i, kind);
    if (strcmp(hub_rows_text(cand, r, "_status"), "open"))
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "allocations[%zu].document_id: the document is %s", i,
                            hub_rows_text(cand, r, "_status"));
    if (strcmp(hub_rows_text(cand, r, "_currency"), pl->currency))
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "allocations[%zu].document_id: the document is in %s", i,
                            hub_rows_text(cand, r, "_currency"));
    row[n] = r, wanted[n] = req[i]->amount_minor;
    items[n++] = (accounting_open_item){hub_rows_int(cand, r, "_open"), (int32_t)hub_rows_int(cand, r, "_due"), hub_rows_int(cand, r, "_seq")};
  }
  if (oldest && !n_req)
    for (int k = 0; k < nc; k++) {
      row[n] = k;
      items[n++] = (accounting_open_item){hub_rows_int(cand, k, "_open"), (int32_t)hub_rows_int(cand, k, "_due"), hub_rows_int(cand, k, "_seq")};
    }
  int64_t unallocated = pl->left;
  accounting_alloc_error err;
  bool ok = n == 0 || (n_req ? accounting_allocate_explicit(pl->left, items, wanted, n, got, &unallocated, &err)
                             : accounting_allocate_oldest(pl->left, items, n, got, &unallocated, &err));
  if (!ok) {
    const char *why = strstr(err.message, ": ") ? strstr(err.message, ": ") + 2 : err.message;
    if (err.item >= 0)
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "allocations[%d].amount_minor: %s", err.item, why);
    return hub_status_invalid(a, "allocations", "%s", why);
  }
  pl->items = hub_arena_alloc(a, (n + 1) * sizeof *pl->items);
  for (size_t i = 0; i < n; i++) {
    if (got[i] <= 0) continue;
    int r = row[i];
    int64_t open = hub_rows_int(cand, r, "_open"), open_base = hub_rows_int(cand, r, "_open_base");
    alloc_item *it = &pl->items[pl->n++];
    it->id = hub_rows_text(cand, r, "_alloc"), it->document_id = hub_rows_text(cand, r, "_id"), it->amount = got[i];
    it->doc_base = got[i] == open ? open_base : (int64_t)accounting_div_round((__int128)open_base * got[i], open);
    it->credit_base = got[i] == pl->left ? pl->left_base : (int64_t)accounting_div_round((__int128)pl->left_base * got[i], pl->left);
    pl->left -= got[i], pl->left_base -= it->credit_base;
  }
  return HUB_STATUS_OK;
}

static const char *num(hub_arena *a, int64_t v) { return hub_arena_sprintf(a, "%lld", (long long)v); }

static Hub__Accounting__V1__Line *fx_line(hub_arena *a, const char *code, int side, const char *currency, int64_t base) {
  Hub__Accounting__V1__Line *l = hub_arena_alloc(a, sizeof *l);
  hub__accounting__v1__line__init(l);
  l->account_code = (char *)code, l->side = side, l->currency_code = (char *)currency, l->base_amount_minor = base;
  return l;
}

/* The exchange difference of one allocation as an entry: a gain debits the control account's
 * base value and credits the gains account; a loss the other way. Amounts are 0: only the base
 * currency's value moves. */
static hub_rows *queue_fx_entry(hub_tx *tx, const alloc_plan *pl, const alloc_item *it) {
  hub_arena *a = hub_tx_arena(tx);
  int64_t gain = pl->receivable ? it->credit_base - it->doc_base : it->doc_base - it->credit_base;
  if (!gain) return NULL;
  Hub__Accounting__V1__EntryInput in = HUB__ACCOUNTING__V1__ENTRY_INPUT__INIT;
  in.date = (char *)pl->date;
  in.description = gain > 0 ? "Realized exchange gain" : "Realized exchange loss";
  in.reference = "";
  in.n_lines = 2;
  in.lines = hub_arena_alloc(a, 2 * sizeof *in.lines);
  int64_t m = gain > 0 ? gain : -gain;
  in.lines[0] = fx_line(a, gain > 0 ? pl->control : pl->loss, HUB__ACCOUNTING__V1__SIDE__SIDE_DEBIT, pl->currency, m);
  in.lines[1] = fx_line(a, gain > 0 ? pl->gain : pl->control, HUB__ACCOUNTING__V1__SIDE__SIDE_CREDIT, pl->currency, m);
  return hub_tx_exec(tx, &accounting_post_sql,
                     (const char *[]){accounting_document_json(a, &in, "accounting.allocation", it->id), "false"});
}

/* An exchange entry refused (a closed period on the allocation's date) is the caller's date. */
static const accounting_field_map fx_fields[] = {{".date", "date", false}, {"", "allocations", false}, {NULL, NULL, false}};

/* Every write of a plan: the exchange entries first (one flush, so a refusal names its cause),
 * then, queued, the allocations, the documents (and a credit note) settled and a payment's
 * unallocated amount. */
static hub_status plan_write(hub_tx *tx, const alloc_plan *pl, int64_t used, int64_t used_base, bool update_payment) {
  hub_arena *a = hub_tx_arena(tx);
  hub_rows **fx = hub_arena_alloc(a, (pl->n + 1) * sizeof *fx);
  bool any = false;
  for (size_t i = 0; i < pl->n; i++) any |= (fx[i] = queue_fx_entry(tx, pl, &pl->items[i])) != NULL;
  if (any) {
    hub_status st = hub_tx_flush(tx);
    if (!hub_ok(st)) return st;
    for (size_t i = 0; i < pl->n; i++)
      if (fx[i] && (hub_rows_count(fx[i]) != 1 || !strcmp(hub_rows_text(fx[i], 0, "outcome"), "refused")))
        return hub_rows_count(fx[i]) == 1 ? accounting_refusal(a, fx[i], 0, fx_fields)
                                          : hub_status_new(a, HUB_INTERNAL, "accounting: no posting result");
  }
  json_t *allocs = json_array(), *settle = json_array();
  for (size_t i = 0; i < pl->n; i++) {
    const alloc_item *it = &pl->items[i];
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I}", "id", it->id, "document_id", it->document_id, "amount",
                          (json_int_t)it->amount, "doc_base", (json_int_t)it->doc_base, "credit_base", (json_int_t)it->credit_base);
    json_object_set_new(o, pl->payment ? "payment_id" : "credit_note_id", json_string(pl->credit_id));
    json_array_append_new(allocs, o);
    json_array_append_new(settle, json_pack("{s:s, s:I, s:I}", "id", it->document_id, "amount", (json_int_t)it->amount, "base",
                                            (json_int_t)it->doc_base));
  }
  if (!pl->payment && used)
    json_array_append_new(settle, json_pack("{s:s, s:I, s:I}", "id", pl->credit_id, "amount", (json_int_t)used, "base",
                                            (json_int_t)used_base));
  char *allocs_text = json_dumps(allocs, JSON_COMPACT), *settle_text = json_dumps(settle, JSON_COMPACT);
  json_decref(allocs), json_decref(settle);
  if (pl->n) {
    hub_tx_exec(tx, &insert_allocations_sql, (const char *[]){allocs_text, pl->date});
    hub_tx_exec(tx, &settle_documents_sql, (const char *[]){settle_text});
  }
  if (update_payment && used) hub_tx_exec(tx, &settle_payment_sql, (const char *[]){pl->credit_id, num(a, used), num(a, used_base)});
  free(allocs_text), free(settle_text);
  return HUB_STATUS_OK;
}

/* ---- RecordPayment ---- */

typedef struct pay_ctx {
  hub_call *call;
  const Hub__Accounting__V1__RecordPaymentRequest *req;
  const char *id;
  hub_rows *payment, *allocations;
} pay_ctx;

static const accounting_field_map pay_fields[] = {
    {".date", "date", false}, {".lines[0]", "account_code", false}, {".lines", "amount", false}, {NULL, NULL, false}};

static Hub__Accounting__V1__Line *pay_line(hub_arena *a, const char *code, int side, const Hub__Api__V1__Money *m) {
  Hub__Accounting__V1__Line *l = hub_arena_alloc(a, sizeof *l);
  hub__accounting__v1__line__init(l);
  l->account_code = (char *)code, l->side = side, l->amount_minor = m->amount_minor, l->currency_code = m->currency_code;
  return l;
}

static hub_status pay_fn(hub_tx *tx, void *ud) {
  pay_ctx *c = ud;
  const Hub__Accounting__V1__RecordPaymentRequest *r = c->req;
  hub_arena *a = hub_tx_arena(tx);
  bool received = r->direction == HUB__ACCOUNTING__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_RECEIVED;
  const char *direction = received ? "received" : "sent";
  json_t *named = json_array();
  for (size_t i = 0; i < r->n_allocations; i++) json_array_append_new(named, json_string(r->allocations[i]->document_id));
  char *named_text = json_dumps(named, JSON_COMPACT);
  json_decref(named);
  hub_rows *prep = hub_tx_exec(tx, &prepare_sql, (const char *[]){r->party_id, hub_sql_opt(r->request_id)});
  hub_rows *cand = hub_tx_exec(tx, &candidates_sql,
                               (const char *[]){r->party_id, r->amount->currency_code, hub_arena_strdup(a, named_text),
                                                r->allocate_oldest_first && !r->n_allocations ? "true" : "false", direction});
  free(named_text);
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (hub_rows_text(prep, 0, "_existing")) {
    c->id = hub_rows_text(prep, 0, "_existing");
    goto read;
  }
  const char *role = hub_rows_text(prep, 0, "_role");
  if (!role) return hub_status_new(a, HUB_NOT_FOUND, "party_id: no such party");
  if (strcmp(role, "both") && strcmp(role, received ? "customer" : "vendor"))
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "party_id: the party is not a %s", received ? "customer" : "vendor");
  c->id = hub_rows_text(prep, 0, "_id");
  const char *bank = *r->account_code ? r->account_code : hub_rows_text(prep, 0, "_bank");
  const char *control = hub_rows_text(prep, 0, received ? "_ar" : "_ap");

  /* The payment's own entry: the bank (line 0) against the control account, at the day's rate. */
  Hub__Accounting__V1__EntryInput in = HUB__ACCOUNTING__V1__ENTRY_INPUT__INIT;
  in.date = r->date, in.reference = r->reference;
  in.description = received ? "Payment received" : "Payment sent";
  in.n_lines = 2;
  in.lines = hub_arena_alloc(a, 2 * sizeof *in.lines);
  int bank_side = received ? HUB__ACCOUNTING__V1__SIDE__SIDE_DEBIT : HUB__ACCOUNTING__V1__SIDE__SIDE_CREDIT;
  int other_side = received ? HUB__ACCOUNTING__V1__SIDE__SIDE_CREDIT : HUB__ACCOUNTING__V1__SIDE__SIDE_DEBIT;
  in.lines[0] = pay_line(a, bank, bank_side, r->amount);
  in.lines[1] = pay_line(a, control, other_side, r->amount);
  hub_rows *posted = hub_tx_exec(tx, &accounting_post_sql,
                                 (const char *[]){accounting_document_json(a, &in, "accounting.payment", c->id), "false"});
  hub_rows *base = hub_tx_exec(tx, &bank_base_sql, (const char *[]){c->id});
  st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(posted) != 1) return hub_status_new(a, HUB_INTERNAL, "accounting: no posting result");
  if (!strcmp(hub_rows_text(posted, 0, "outcome"), "refused")) return accounting_refusal(a, posted, 0, pay_fields);

  alloc_plan pl = {.payment = true, .credit_id = c->id, .receivable = received, .control = control,
                   .gain = hub_rows_text(prep, 0, "_gain"), .loss = hub_rows_text(prep, 0, "_loss"),
                   .currency = r->amount->currency_code, .date = r->date, .left = r->amount->amount_minor,
                   .left_base = hub_rows_int(base, 0, "_base")};
  int64_t payment_base = pl.left_base;
  st = plan_compute(a, &pl, cand, r->party_id, received, r->allocations, r->n_allocations, r->allocate_oldest_first);
  if (!hub_ok(st)) return st;
  const char *p[] = {c->id, direction, r->party_id, bank, r->date, num(a, r->amount->amount_minor), r->amount->currency_code,
                     num(a, payment_base), num(a, pl.left), num(a, pl.left_base), hub_sql_opt(r->reference),
                     hub_sql_opt(r->request_id)};
  hub_tx_exec(tx, &insert_payment_sql, p);
  st = plan_write(tx, &pl, 0, 0, false);
  if (!hub_ok(st)) return st;
  accounting_record(tx, c->call, "accounting.payment_recorded", c->id,
                    (const char *[]){"direction", direction, "amount", p[5], "currency", p[6], "party_id", r->party_id, NULL});
read:
  c->payment = hub_tx_exec(tx, &payment_sql, (const char *[]){c->id});
  c->allocations = hub_tx_exec(tx, &payment_allocations_sql, (const char *[]){c->id});
  return HUB_STATUS_OK;
}

/* What the contract's rules cannot say. */
static hub_status pay_checks(hub_arena *a, const Hub__Accounting__V1__RecordPaymentRequest *request) {
  if (request->amount->amount_minor <= 0) return hub_status_invalid(a, "amount.amount_minor", "must be greater than zero");
  if (request->n_allocations && request->allocate_oldest_first)
    return hub_status_invalid(a, "allocate_oldest_first", "either allocations or oldest first, not both");
  return HUB_STATUS_OK;
}

hub_status hub_accounting_record_payment(hub_tx *tx, const Hub__Accounting__V1__RecordPaymentRequest *request, const char **id) {
  hub_arena *a = hub_tx_arena(tx);
  hub_status st = accounting_api_validate(a, "hub.accounting.v1.Accounting/RecordPayment", (ProtobufCMessage *)&request->base);
  if (hub_ok(st)) st = pay_checks(a, request);
  pay_ctx c = {.req = request};
  if (hub_ok(st)) st = pay_fn(tx, &c);
  if (hub_ok(st)) st = hub_tx_flush(tx);
  if (hub_ok(st)) *id = c.id;
  return st;
}

hub_status hub_accounting_v1_accounting_record_payment(hub_call *call, const Hub__Accounting__V1__RecordPaymentRequest *request,
                                                       Hub__Accounting__V1__Payment *response) {
  hub_arena *a = hub_call_arena(call);
  hub_status st = pay_checks(a, request);
  if (!hub_ok(st)) return st;
  pay_ctx c = {.call = call, .req = request};
  st = hub_call_tx(call, pay_fn, &c);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(c.payment) != 1) return hub_status_new(a, HUB_INTERNAL, "accounting: payment vanished");
  hub_rows_decode(c.payment, 0, &response->base);
  response->n_allocations =
      hub_rows_messages(c.allocations, &hub__accounting__v1__allocation__descriptor, -1, (void ***)&response->allocations);
  return HUB_STATUS_OK;
}

/* ---- AllocatePayment, ApplyCreditNote ---- */

static const hub_pg_stmt credit_sql = {
    "accounting_credit",
    "WITH y AS (SELECT 'payment' AS _what, y.party_id AS _party, y.currency AS _currency, y.direction AS _direction, "
    "  y.unallocated AS _open, y.unallocated_base AS _open_base, 'open' AS _status, current_date::text AS _today "
    "  FROM accounting_payments y WHERE y.tenant_id = hub_current_tenant() AND y.id = $1::uuid FOR UPDATE), "
    "d AS (SELECT 'credit_note' AS _what, d.party_id AS _party, d.currency AS _currency, "
    "  CASE d.kind WHEN 'sales_credit_note' THEN 'received' ELSE 'sent' END AS _direction, d.open_amount AS _open, "
    "  d.open_base AS _open_base, d.status AS _status, current_date::text AS _today "
    "  FROM accounting_documents d WHERE d.tenant_id = hub_current_tenant() AND d.id = $2::uuid "
    "  AND d.kind IN ('sales_credit_note', 'purchase_credit_note') FOR UPDATE) "
    "SELECT * FROM y UNION ALL SELECT * FROM d",
    2};

static const hub_pg_stmt controls_sql = {
    "accounting_controls",
    "SELECT b.receivable_code AS _ar, b.payable_code AS _ap, b.fx_gain_code AS _gain, b.fx_loss_code AS _loss "
    "FROM accounting_open_books() b",
    0};

/* AllocatePayment and ApplyCreditNote: which credit, and how to apply it. */
typedef struct credit_req {
  const char *payment_id, *credit_note_id; /* one of the two, the other "" */
  const char *date;
  AllocationInput *const *allocations;
  size_t n_allocations;
  bool allocate_oldest_first;
} credit_req;

typedef struct credit_ctx {
  hub_call *call;
  const credit_req *req;
  alloc_plan pl;
  hub_rows *allocations;
} credit_ctx;

static hub_status credit_fn(hub_tx *tx, void *ud) {
  credit_ctx *c = ud;
  const credit_req *r = c->req;
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *ctl = hub_tx_exec(tx, &controls_sql, NULL), *cr;
  hub_status st = hub_tx_query(tx, &credit_sql, (const char *[]){hub_sql_opt(r->payment_id), hub_sql_opt(r->credit_note_id)}, &cr);
  if (!hub_ok(st)) return st;
  const char *which = *r->payment_id ? "payment_id" : "credit_note_id";
  if (hub_rows_count(cr) != 1) return hub_status_new(a, HUB_NOT_FOUND, "%s: no such %s", which, *r->payment_id ? "payment" : "credit note");
  if (strcmp(hub_rows_text(cr, 0, "_status"), "open") || hub_rows_int(cr, 0, "_open") <= 0)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "%s: nothing is left to allocate", which);
  bool received = !strcmp(hub_rows_text(cr, 0, "_direction"), "received");
  const char *party = hub_rows_text(cr, 0, "_party");
  alloc_plan *pl = &c->pl;
  *pl = (alloc_plan){.payment = *r->payment_id != '\0', .credit_id = *r->payment_id ? r->payment_id : r->credit_note_id,
                     .receivable = received, .control = hub_rows_text(ctl, 0, received ? "_ar" : "_ap"),
                     .gain = hub_rows_text(ctl, 0, "_gain"), .loss = hub_rows_text(ctl, 0, "_loss"),
                     .currency = hub_rows_text(cr, 0, "_currency"),
                     .date = *r->date ? r->date : hub_rows_text(cr, 0, "_today"), .left = hub_rows_int(cr, 0, "_open"),
                     .left_base = hub_rows_int(cr, 0, "_open_base")};
  json_t *named = json_array();
  for (size_t i = 0; i < r->n_allocations; i++) json_array_append_new(named, json_string(r->allocations[i]->document_id));
  char *named_text = json_dumps(named, JSON_COMPACT);
  json_decref(named);
  hub_rows *cand;
  st = hub_tx_query(tx, &candidates_sql,
                    (const char *[]){party, pl->currency, hub_arena_strdup(a, named_text),
                                     r->allocate_oldest_first && !r->n_allocations ? "true" : "false", received ? "received" : "sent"},
                    &cand);
  free(named_text);
  if (!hub_ok(st)) return st;
  int64_t before = pl->left, before_base = pl->left_base;
  st = plan_compute(a, pl, cand, party, received, r->allocations, r->n_allocations, r->allocate_oldest_first);
  if (!hub_ok(st)) return st;
  if (!pl->n) return hub_status_new(a, HUB_FAILED_PRECONDITION, "allocations: no open document to allocate to");
  st = plan_write(tx, pl, before - pl->left, before_base - pl->left_base, pl->payment);
  if (!hub_ok(st)) return st;
  json_t *ids = json_array();
  for (size_t i = 0; i < pl->n; i++) json_array_append_new(ids, json_string(pl->items[i].id));
  char *ids_text = json_dumps(ids, JSON_COMPACT);
  json_decref(ids);
  accounting_record(tx, c->call, "accounting.credit_allocated", pl->credit_id,
                    (const char *[]){"amount", num(a, before - pl->left), "currency", pl->currency, NULL});
  c->allocations = hub_tx_exec(tx, &allocations_by_id_sql, (const char *[]){hub_arena_strdup(a, ids_text)});
  free(ids_text);
  return HUB_STATUS_OK;
}

static hub_status allocate(hub_call *call, const credit_req *r, Hub__Accounting__V1__AllocationResult *response) {
  hub_arena *a = hub_call_arena(call);
  if (!r->n_allocations && !r->allocate_oldest_first)
    return hub_status_invalid(a, "allocations", "name the documents, or allocate oldest first");
  if (r->n_allocations && r->allocate_oldest_first)
    return hub_status_invalid(a, "allocate_oldest_first", "either allocations or oldest first, not both");
  credit_ctx c = {.call = call, .req = r};
  hub_status st = hub_call_tx(call, credit_fn, &c);
  if (!hub_ok(st)) return st;
  response->n_allocations =
      hub_rows_messages(c.allocations, &hub__accounting__v1__allocation__descriptor, -1, (void ***)&response->allocations);
  response->unallocated_minor = c.pl.left;
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_allocate_payment(hub_call *call, const Hub__Accounting__V1__AllocatePaymentRequest *request,
                                                         Hub__Accounting__V1__AllocationResult *response) {
  credit_req r = {request->payment_id, "", request->date, request->allocations, request->n_allocations,
                  request->allocate_oldest_first};
  return allocate(call, &r, response);
}

hub_status hub_accounting_v1_accounting_apply_credit_note(hub_call *call, const Hub__Accounting__V1__ApplyCreditNoteRequest *request,
                                                          Hub__Accounting__V1__AllocationResult *response) {
  credit_req r = {"", request->credit_note_id, request->date, request->allocations, request->n_allocations,
                  request->allocate_oldest_first};
  return allocate(call, &r, response);
}
