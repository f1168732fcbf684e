/* Receivables and payables through a real hubd: tax codes, parties, invoices and bills with
 * exact totals and their entries, gap-free numbers (also under concurrent finalizing and after
 * a refused one), payments allocated by name and oldest first, credit notes, aging at a date,
 * realized exchange differences booked exactly once, expense approval by someone else, the tax
 * summary, a finalized document the database refuses to change, and another tenant's NOT_FOUND;
 * revaluation of open foreign-currency items, never booked twice and settled from the revalued
 * carrying value. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "books.h"

typedef Hub__Accounting__V1__Document Document;
typedef Hub__Accounting__V1__DocumentLineInput LineIn;
typedef Hub__Accounting__V1__Payment Payment;

#define K(x) HUB__ACCOUNTING__V1__DOCUMENT_KIND__DOCUMENT_KIND_##x
#define S(x) HUB__ACCOUNTING__V1__DOCUMENT_STATUS__DOCUMENT_STATUS_##x
#define RECEIVED HUB__ACCOUNTING__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_RECEIVED
#define SENT HUB__ACCOUNTING__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_SENT

static hub_test_user olga, mike, zed; /* olga owns the tenant, mike is a member; zed another tenant */
static char customer[40], vendor[40], mike_vendor[40];

static hub_call_options as(const hub_test_user *u) { return hub_world_opts(u); }

static hub_status tax_code(hub_arena *a, const char *code, const char *rate, bool inclusive, bool recoverable) {
  Hub__Accounting__V1__CreateTaxCodeRequest req = HUB__ACCOUNTING__V1__CREATE_TAX_CODE_REQUEST__INIT;
  req.code = (char *)code, req.name = (char *)code, req.rate = (char *)rate, req.inclusive = inclusive, req.recoverable = recoverable;
  Hub__Accounting__V1__TaxCode *out = NULL;
  hub_call_options o = as(&olga);
  return hub_accounting_v1_accounting_create_tax_code_call(w.ch, &o, a, &req, &out);
}

static void party(hub_arena *a, const hub_test_user *u, int role, const char *name, char *id_out) {
  Hub__Accounting__V1__CreatePartyRequest req = HUB__ACCOUNTING__V1__CREATE_PARTY_REQUEST__INIT;
  req.role = role, req.name = (char *)name, req.payment_terms_days = 30;
  Hub__Accounting__V1__Party *out = NULL;
  hub_call_options o = as(u);
  CHECK(hub_accounting_v1_accounting_create_party_call(w.ch, &o, a, &req, &out), "CreateParty");
  snprintf(id_out, 40, "%s", out->id);
}

static LineIn *line(hub_arena *a, const char *qty, int64_t price, const char *tax) {
  LineIn *l = hub_arena_alloc(a, sizeof *l);
  hub__accounting__v1__document_line_input__init(l);
  l->description = "Consulting", l->quantity = (char *)qty, l->unit_price_minor = price, l->tax_code = (char *)(tax ? tax : "");
  return l;
}

typedef struct doc_spec {
  int kind;
  const char *party, *issue, *due, *currency, *reference, *paid_from;
  bool finalize;
  LineIn *lines[4];
} doc_spec;

static hub_status create_doc(hub_arena *a, const hub_test_user *u, const doc_spec *s, Document **out) {
  Hub__Accounting__V1__CreateDocumentRequest req = HUB__ACCOUNTING__V1__CREATE_DOCUMENT_REQUEST__INIT;
  req.kind = s->kind, req.party_id = (char *)s->party, req.issue_date = (char *)s->issue;
  req.due_date = (char *)(s->due ? s->due : ""), req.currency_code = (char *)(s->currency ? s->currency : "");
  req.reference = (char *)(s->reference ? s->reference : ""), req.finalize = s->finalize;
  req.paid_from_account_code = (char *)(s->paid_from ? s->paid_from : "");
  while (req.n_lines < 4 && s->lines[req.n_lines]) req.n_lines++;
  req.lines = (LineIn **)s->lines;
  hub_call_options o = as(u);
  return hub_accounting_v1_accounting_create_document_call(w.ch, &o, a, &req, out);
}

/* A finalized USD sales invoice of one untaxed line. */
static Document *invoice(hub_arena *a, const char *issue, const char *due, int64_t amount) {
  doc_spec s = {K(SALES_INVOICE), customer, issue, due, NULL, NULL, NULL, true, {line(a, "1", amount, NULL)}};
  Document *d = NULL;
  CHECK(create_doc(a, &olga, &s, &d), "CreateDocument");
  return d;
}

static hub_status pay(hub_arena *a, int direction, const char *party_id, const char *date, int64_t amount, const char *currency,
                      const char *request_id, bool oldest, const char *doc, int64_t doc_amount, Payment **out) {
  Hub__Accounting__V1__RecordPaymentRequest req = HUB__ACCOUNTING__V1__RECORD_PAYMENT_REQUEST__INIT;
  Hub__Api__V1__Money m = HUB__API__V1__MONEY__INIT;
  m.amount_minor = amount, m.currency_code = (char *)(currency ? currency : "USD");
  req.direction = direction, req.party_id = (char *)party_id, req.date = (char *)date, req.amount = &m;
  req.request_id = (char *)(request_id ? request_id : ""), req.allocate_oldest_first = oldest;
  Hub__Accounting__V1__AllocationInput al = HUB__ACCOUNTING__V1__ALLOCATION_INPUT__INIT, *alp = &al;
  if (doc) {
    al.document_id = (char *)doc, al.amount_minor = doc_amount;
    req.n_allocations = 1, req.allocations = &alp;
  }
  hub_call_options o = as(&olga);
  return hub_accounting_v1_accounting_record_payment_call(w.ch, &o, a, &req, out);
}

static Document *get_doc(hub_arena *a, const hub_test_user *u, const char *id, hub_status *st) {
  Hub__Accounting__V1__GetDocumentRequest req = HUB__ACCOUNTING__V1__GET_DOCUMENT_REQUEST__INIT;
  req.id = (char *)id;
  Document *d = NULL;
  hub_call_options o = as(u);
  *st = hub_accounting_v1_accounting_get_document_call(w.ch, &o, a, &req, &d);
  return d;
}

static Entry *get_entry(hub_arena *a, const char *id) {
  Hub__Accounting__V1__GetEntryRequest req = HUB__ACCOUNTING__V1__GET_ENTRY_REQUEST__INIT;
  req.id = (char *)id;
  Entry *e = NULL;
  hub_call_options o = as(&olga);
  CHECK(hub_accounting_v1_accounting_get_entry_call(w.ch, &o, a, &req, &e), "GetEntry");
  return e;
}

static int64_t line_amount(const Entry *e, const char *code, int side) {
  int64_t sum = 0;
  for (size_t i = 0; i < e->n_lines; i++)
    if (!strcmp(e->lines[i]->account_code, code) && (int)e->lines[i]->side == side) sum += e->lines[i]->amount_minor;
  return sum;
}

/* The base-currency balance (normal side) of account `code` in olga's books. */
static long base_balance(const char *code) {
  char sql[400];
  snprintf(sql, sizeof sql,
           "SELECT coalesce(sum(CASE a.normal_side WHEN 'debit' THEN b.base_debits - b.base_credits "
           "ELSE b.base_credits - b.base_debits END), 0) FROM accounting_balances b JOIN accounting_accounts a "
           "ON a.tenant_id = b.tenant_id AND a.id = b.account_id WHERE a.tenant_id = '%s' AND a.code = '%%s'",
           olga.tenant_id);
  return acc_count(sql, code);
}

static int setup(void **state) {
  (void)state;
  if (!hub_world_up(&w, "accdocs", NULL)) return -1;
  hub_world_signup_login(&w, "olga-docs@example.com", "Olga Docs", "smb_hub", &olga);
  hub_world_signup_login(&w, "mike-docs@example.com", NULL, NULL, &mike);
  hub_world_signup_login(&w, "zed-docs@example.com", "Zed Docs", "smb_hub", &zed);
  if (hub_world_sql(&w, "INSERT INTO members (tenant_id, user_id, role) VALUES ('%s', '%s', 'member')", olga.tenant_id,
                    mike.user_id))
    return -1;
  if (!hub_ok(hub_world_login(&w, "mike-docs@example.com", mike.password, olga.tenant_id, &mike))) return -1;
  hub_arena *a = hub_arena_new(0);
  party(a, &olga, HUB__ACCOUNTING__V1__PARTY_ROLE__PARTY_ROLE_CUSTOMER, "Acme Customer", customer);
  party(a, &olga, HUB__ACCOUNTING__V1__PARTY_ROLE__PARTY_ROLE_VENDOR, "Bolt Vendor", vendor);
  party(a, &olga, HUB__ACCOUNTING__V1__PARTY_ROLE__PARTY_ROLE_VENDOR, "Mike (expenses)", mike_vendor);
  CHECK(tax_code(a, "VAT20", "20", false, true), "VAT20");
  CHECK(tax_code(a, "GST10I", "10", true, true), "GST10I");
  CHECK(tax_code(a, "NR5", "5", false, false), "NR5");
  hub_arena_free(a);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

static void test_tax_codes(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  assert_int_equal(tax_code(a, "VAT20", "20", false, true).code, HUB_ALREADY_EXISTS);
  assert_true(acc_violation_on(tax_code(a, "BAD", "100.5", false, true), "rate"));
  assert_true(acc_violation_on(tax_code(a, "BAD", "7.12345", false, true), "rate"));
  Hub__Accounting__V1__ListTaxCodesRequest req = HUB__ACCOUNTING__V1__LIST_TAX_CODES_REQUEST__INIT;
  Hub__Accounting__V1__ListTaxCodesResponse *out = NULL;
  hub_call_options o = as(&mike);
  CHECK(hub_accounting_v1_accounting_list_tax_codes_call(w.ch, &o, a, &req, &out), "ListTaxCodes as a member");
  assert_int_equal(out->n_tax_codes, 3);
  assert_string_equal(out->tax_codes[0]->code, "GST10I");
  assert_string_equal(out->tax_codes[0]->rate, "10");
  assert_true(out->tax_codes[0]->inclusive);
  assert_string_equal(out->tax_codes[2]->output_account_code, "2100");
  assert_string_equal(out->tax_codes[2]->input_account_code, "1150");
  hub_arena_free(a);
}

static void test_invoice_totals_entry_and_numbers(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  /* 2.5 x 10.00 at 20% = 25.00 + 5.00; 1 x 11.00 with 10% included = 10.00 + 1.00. */
  LineIn *discounted = line(a, "1", 1000, NULL);
  discounted->discount_minor = 250;
  doc_spec s = {K(SALES_INVOICE), customer, "2026-11-02", NULL, NULL, "PO-7", NULL, true,
                {line(a, "2.5", 1000, "VAT20"), line(a, "1", 1100, "GST10I"), discounted}};
  Document *d = NULL;
  CHECK(create_doc(a, &olga, &s, &d), "CreateDocument");
  assert_int_equal(d->status, S(OPEN));
  assert_string_equal(d->due_date, "2026-12-02"); /* the party's 30 days */
  assert_int_equal(d->net_minor, 2500 + 1000 + 750);
  assert_int_equal(d->tax_minor, 500 + 100);
  assert_int_equal(d->gross_minor, 4850);
  assert_int_equal(d->open_minor, 4850);
  assert_int_equal(d->n_lines, 3);
  assert_string_equal(d->lines[0]->quantity, "2.5");
  assert_int_equal(d->n_taxes, 2);
  Entry *e = get_entry(a, d->entry_id);
  assert_int_equal(line_amount(e, "1100", DR), 4850);
  assert_int_equal(line_amount(e, "4010", CR), 4250);
  assert_int_equal(line_amount(e, "2100", CR), 600);
  assert_string_equal(e->reference, "PO-7");

  /* Numbers follow one another; a draft has none until finalized, and finalizing twice is one. */
  const char *first = d->number;
  assert_int_equal(strncmp(first, "INV-", 4), 0);
  long n1 = strtol(first + 4, NULL, 10);
  s.finalize = false;
  Document *draft = NULL;
  CHECK(create_doc(a, &olga, &s, &draft), "draft");
  assert_int_equal(draft->status, S(DRAFT));
  assert_string_equal(draft->number, "");
  assert_string_equal(draft->entry_id, "");
  Hub__Accounting__V1__FinalizeDocumentRequest freq = HUB__ACCOUNTING__V1__FINALIZE_DOCUMENT_REQUEST__INIT;
  freq.id = draft->id;
  hub_call_options o = as(&olga);
  Document *fin = NULL, *again = NULL;
  CHECK(hub_accounting_v1_accounting_finalize_document_call(w.ch, &o, a, &freq, &fin), "FinalizeDocument");
  assert_int_equal(fin->status, S(OPEN));
  assert_int_equal(strtol(fin->number + 4, NULL, 10), n1 + 1);
  CHECK(hub_accounting_v1_accounting_finalize_document_call(w.ch, &o, a, &freq, &again), "FinalizeDocument again");
  assert_string_equal(again->number, fin->number);
  assert_string_equal(again->entry_id, fin->entry_id);

  /* A finalized document's lines are frozen even for the owner of the schema. */
  assert_int_not_equal(hub_world_sql(&w, "UPDATE accounting_document_lines SET net = net + 1, gross = gross + 1 "
                                         "WHERE document_id = '%s'", fin->id), 0);
  assert_int_not_equal(hub_world_sql(&w, "UPDATE accounting_documents SET gross = gross + 1, net = net + 1 WHERE id = '%s'",
                                     fin->id), 0);

  /* Refusals name the field and write nothing. */
  long before = acc_count("SELECT count(*) FROM accounting_documents WHERE tenant_id = '%s'", olga.tenant_id);
  doc_spec bad = s;
  bad.lines[0] = line(a, "1", 100, "NOPE");
  hub_status st = create_doc(a, &olga, &bad, &d);
  assert_int_equal(st.code, HUB_NOT_FOUND);
  assert_non_null(strstr(st.message, "lines[0].tax_code"));
  bad = s, bad.party = vendor;
  assert_int_equal(create_doc(a, &olga, &bad, &d).code, HUB_FAILED_PRECONDITION);
  bad = s, bad.party = "0190a000-0000-7000-8000-0000000000ff";
  assert_int_equal(create_doc(a, &olga, &bad, &d).code, HUB_NOT_FOUND);
  bad = s, bad.lines[0] = line(a, "0", 100, NULL);
  assert_true(acc_violation_on(create_doc(a, &olga, &bad, &d), "lines[0].quantity"));
  bad = s, bad.lines[0] = line(a, "1", 0, NULL), bad.lines[1] = NULL;
  assert_true(acc_violation_on(create_doc(a, &olga, &bad, &d), "lines"));
  bad = s, bad.due = "2026-11-01";
  assert_true(acc_violation_on(create_doc(a, &olga, &bad, &d), "due_date"));
  assert_int_equal(acc_count("SELECT count(*) FROM accounting_documents WHERE tenant_id = '%s'", olga.tenant_id), before);

  /* Another tenant's document is NOT_FOUND, whatever the caller's role there. */
  get_doc(a, &zed, fin->id, &st);
  assert_int_equal(st.code, HUB_NOT_FOUND);
  hub_arena_free(a);
}

/* ---- gap-free numbers ---- */

#define FINALIZERS 6
#define EACH 5

static void *finalizer(void *arg) {
  int *failures = arg;
  hub_arena *a = hub_arena_new(0);
  for (int i = 0; i < EACH; i++) {
    doc_spec s = {K(SALES_CREDIT_NOTE), customer, "2026-11-20", NULL, NULL, NULL, NULL, true, {line(a, "1", 10, NULL)}};
    Document *d = NULL;
    if (!hub_ok(create_doc(a, &olga, &s, &d))) (*failures)++;
  }
  hub_arena_free(a);
  return NULL;
}

static void test_numbers_gap_free(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  /* A refused finalize (before the lock date) takes no number. */
  Hub__Accounting__V1__GetBooksRequest breq = HUB__ACCOUNTING__V1__GET_BOOKS_REQUEST__INIT;
  Hub__Accounting__V1__Books *books = NULL;
  hub_call_options o = as(&olga);
  CHECK(hub_accounting_v1_accounting_get_books_call(w.ch, &o, a, &breq, &books), "GetBooks");
  Hub__Accounting__V1__SetLockDateRequest lreq = HUB__ACCOUNTING__V1__SET_LOCK_DATE_REQUEST__INIT;
  lreq.lock_date = "2026-01-31", lreq.version = books->version;
  CHECK(hub_accounting_v1_accounting_set_lock_date_call(w.ch, &o, a, &lreq, &books), "SetLockDate");
  doc_spec locked = {K(SALES_CREDIT_NOTE), customer, "2026-01-15", NULL, NULL, NULL, NULL, true, {line(a, "1", 10, NULL)}};
  Document *d = NULL;
  hub_status st = create_doc(a, &olga, &locked, &d);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "issue_date"));

  pthread_t th[FINALIZERS];
  int failures[FINALIZERS] = {0};
  for (int i = 0; i < FINALIZERS; i++) pthread_create(&th[i], NULL, finalizer, &failures[i]);
  for (int i = 0; i < FINALIZERS; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < FINALIZERS; i++) assert_int_equal(failures[i], 0);
  /* CN-000001 .. CN-0000NN, each once: count, distinct count and the highest agree. */
  const char *q = "SELECT count(*) * 1000000 + count(DISTINCT number) * 1000 + max(substring(number FROM 4)::int) "
                  "FROM accounting_documents WHERE tenant_id = '%s' AND kind = 'sales_credit_note' AND number IS NOT NULL";
  long n = FINALIZERS * EACH;
  assert_int_equal(acc_count(q, olga.tenant_id), n * 1000000 + n * 1000 + n);
  hub_arena_free(a);
}

/* ---- payments, credit notes, aging ---- */

static void test_payments_allocation_and_aging(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char cust[40];
  party(a, &olga, HUB__ACCOUNTING__V1__PARTY_ROLE__PARTY_ROLE_BOTH, "Aging Customer", cust);
  char keep[40];
  memcpy(keep, customer, sizeof keep);
  memcpy(customer, cust, sizeof customer);
  Document *old = invoice(a, "2026-08-01", "2026-08-31", 10000);  /* 92 days past due on Dec 1 */
  Document *mid = invoice(a, "2026-10-01", "2026-10-31", 20000);  /* 31 */
  Document *fresh = invoice(a, "2026-11-20", "2026-12-20", 5000); /* current */
  memcpy(customer, keep, sizeof customer);

  Payment *p = NULL;
  /* Named: more than the invoice owes is refused, nothing written. */
  hub_status st = pay(a, RECEIVED, cust, "2026-11-25", 50000, NULL, NULL, false, old->id, 10001, &p);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "allocations[0].amount_minor"));
  /* Oldest first: the old one paid, the middle one partly, nothing left over. */
  CHECK(pay(a, RECEIVED, cust, "2026-11-25", 25000, NULL, "0190a000-0000-7000-8000-00000000d001", true, NULL, 0, &p), "pay");
  assert_int_equal(p->n_allocations, 2);
  assert_int_equal(p->unallocated_minor, 0);
  Payment *same = NULL;
  CHECK(pay(a, RECEIVED, cust, "2026-11-25", 25000, NULL, "0190a000-0000-7000-8000-00000000d001", true, NULL, 0, &same),
        "pay again");
  assert_string_equal(same->id, p->id);
  Document *d = get_doc(a, &olga, old->id, &st);
  assert_int_equal(d->status, S(SETTLED));
  assert_int_equal(d->open_minor, 0);
  d = get_doc(a, &olga, mid->id, &st);
  assert_int_equal(d->status, S(OPEN));
  assert_int_equal(d->open_minor, 5000);
  assert_int_equal(d->n_allocations, 1);
  Entry *e = get_entry(a, p->entry_id);
  assert_int_equal(line_amount(e, "1020", DR), 25000);
  assert_int_equal(line_amount(e, "1100", CR), 25000);

  /* A payment left unallocated is the party's credit, applied later to the rest. */
  Payment *advance = NULL;
  CHECK(pay(a, RECEIVED, cust, "2026-11-26", 7000, NULL, NULL, false, NULL, 0, &advance), "advance");
  assert_int_equal(advance->unallocated_minor, 7000);
  Hub__Accounting__V1__GetPartyRequest preq = HUB__ACCOUNTING__V1__GET_PARTY_REQUEST__INIT;
  preq.id = cust;
  Hub__Accounting__V1__Party *pa = NULL;
  hub_call_options o = as(&olga);
  CHECK(hub_accounting_v1_accounting_get_party_call(w.ch, &o, a, &preq, &pa), "GetParty");
  assert_int_equal(pa->n_receivable, 1);
  assert_int_equal(pa->receivable[0]->amount_minor, 5000 + 5000 - 7000);

  /* Aging at Dec 1: the credit in current (with the fresh invoice), the middle one 31-60. */
  Hub__Accounting__V1__GetAgingRequest areq = HUB__ACCOUNTING__V1__GET_AGING_REQUEST__INIT;
  areq.side = HUB__ACCOUNTING__V1__AGING_SIDE__AGING_SIDE_RECEIVABLE, areq.as_of_date = "2026-12-01";
  Hub__Accounting__V1__Aging *ag = NULL;
  CHECK(hub_accounting_v1_accounting_get_aging_call(w.ch, &o, a, &areq, &ag), "GetAging");
  assert_int_equal(ag->n_bucket_names, 5);
  assert_string_equal(ag->bucket_names[4], "90+");
  const Hub__Accounting__V1__AgingRow *row = NULL;
  for (size_t i = 0; i < ag->n_rows; i++)
    if (!strcmp(ag->rows[i]->party_id, cust)) row = ag->rows[i];
  assert_non_null(row);
  assert_int_equal(row->buckets_minor[0], 5000 - 7000);
  assert_int_equal(row->buckets_minor[2], 5000);
  assert_int_equal(row->buckets_minor[4], 0);
  assert_int_equal(row->total_minor, 3000);
  /* ... and as it was on Nov 1, before any payment: the old one 61-90, the middle one current. */
  areq.as_of_date = "2026-11-01";
  CHECK(hub_accounting_v1_accounting_get_aging_call(w.ch, &o, a, &areq, &ag), "GetAging Nov 1");
  row = NULL;
  for (size_t i = 0; i < ag->n_rows; i++)
    if (!strcmp(ag->rows[i]->party_id, cust)) row = ag->rows[i];
  assert_non_null(row);
  assert_int_equal(row->buckets_minor[0], 0);
  assert_int_equal(row->buckets_minor[1], 20000); /* due Oct 31: 1 day */
  assert_int_equal(row->buckets_minor[3], 10000); /* due Aug 31: 62 days */
  assert_int_equal(row->total_minor, 30000);

  Hub__Accounting__V1__AllocatePaymentRequest creq = HUB__ACCOUNTING__V1__ALLOCATE_PAYMENT_REQUEST__INIT;
  creq.payment_id = advance->id, creq.allocate_oldest_first = true, creq.date = "2026-11-27";
  Hub__Accounting__V1__AllocationResult *cres = NULL;
  CHECK(hub_accounting_v1_accounting_allocate_payment_call(w.ch, &o, a, &creq, &cres), "AllocatePayment");
  assert_int_equal(cres->n_allocations, 2);
  assert_int_equal(cres->unallocated_minor, 0);
  d = get_doc(a, &olga, fresh->id, &st);
  assert_int_equal(d->open_minor, 3000);
  assert_int_equal(hub_accounting_v1_accounting_allocate_payment_call(w.ch, &o, a, &creq, &cres).code, HUB_FAILED_PRECONDITION);

  /* A credit note settles the rest. */
  memcpy(customer, cust, sizeof customer);
  doc_spec cn = {K(SALES_CREDIT_NOTE), cust, "2026-11-28", NULL, NULL, NULL, NULL, true, {line(a, "1", 3000, NULL)}};
  memcpy(customer, keep, sizeof customer);
  Document *note = NULL;
  CHECK(create_doc(a, &olga, &cn, &note), "credit note");
  e = get_entry(a, note->entry_id);
  assert_int_equal(line_amount(e, "1100", CR), 3000);
  assert_int_equal(line_amount(e, "4010", DR), 3000);
  Hub__Accounting__V1__AllocationInput al = HUB__ACCOUNTING__V1__ALLOCATION_INPUT__INIT, *alp = &al;
  al.document_id = fresh->id, al.amount_minor = 3000;
  Hub__Accounting__V1__ApplyCreditNoteRequest nreq = HUB__ACCOUNTING__V1__APPLY_CREDIT_NOTE_REQUEST__INIT;
  nreq.credit_note_id = note->id, nreq.n_allocations = 1, nreq.allocations = &alp;
  CHECK(hub_accounting_v1_accounting_apply_credit_note_call(w.ch, &o, a, &nreq, &cres), "ApplyCreditNote");
  d = get_doc(a, &olga, fresh->id, &st);
  assert_int_equal(d->status, S(SETTLED));
  d = get_doc(a, &olga, note->id, &st);
  assert_int_equal(d->status, S(SETTLED));
  CHECK(hub_accounting_v1_accounting_get_party_call(w.ch, &o, a, &preq, &pa), "GetParty settled");
  assert_int_equal(pa->n_receivable, 0);
  /* Receivables in the books agree with the documents: everything of this party is settled. */
  long open = acc_count("SELECT coalesce(sum(open_amount), 0) FROM accounting_documents WHERE party_id = '%s'", cust);
  assert_int_equal(open, 0);
  hub_arena_free(a);
}

/* ---- exchange differences ---- */

static hub_status set_rate(hub_arena *a, const char *currency, const char *date, const char *rate) {
  Hub__Accounting__V1__SetRateRequest req = HUB__ACCOUNTING__V1__SET_RATE_REQUEST__INIT;
  req.from_currency_code = (char *)currency, req.to_currency_code = "USD", req.rate_date = (char *)date, req.rate = (char *)rate;
  Hub__Accounting__V1__Rate *out = NULL;
  hub_call_options o = as(&olga);
  return hub_accounting_v1_accounting_set_rate_call(w.ch, &o, a, &req, &out);
}

static void test_realized_exchange_difference_once(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  CHECK(set_rate(a, "EUR", "2026-09-01", "1.1"), "rate Sep");
  CHECK(set_rate(a, "EUR", "2026-10-01", "1.2"), "rate Oct");
  CHECK(set_rate(a, "EUR", "2026-10-20", "1.05"), "rate late Oct");
  long gains = base_balance("4950"), losses = base_balance("6950");
  doc_spec s = {K(SALES_INVOICE), customer, "2026-09-10", NULL, "EUR", NULL, NULL, true, {line(a, "1", 100000, NULL)}};
  Document *inv = NULL;
  CHECK(create_doc(a, &olga, &s, &inv), "EUR invoice"); /* carried at 1,100.00 USD */
  /* Half paid at 1.2: 600.00 for 550.00 carried: a gain of 50.00. */
  Payment *p = NULL;
  CHECK(pay(a, RECEIVED, customer, "2026-10-05", 50000, "EUR", "0190a000-0000-7000-8000-00000000e001", false, inv->id, 50000, &p),
        "EUR half");
  assert_int_equal(p->n_allocations, 1);
  assert_int_equal(p->allocations[0]->exchange_difference_minor, 5000);
  assert_int_equal(base_balance("4950") - gains, 5000);
  /* The same request again books nothing more. */
  Payment *again = NULL;
  CHECK(pay(a, RECEIVED, customer, "2026-10-05", 50000, "EUR", "0190a000-0000-7000-8000-00000000e001", false, inv->id, 50000,
            &again), "EUR half again");
  assert_string_equal(again->id, p->id);
  assert_int_equal(base_balance("4950") - gains, 5000);
  /* The rest at 1.05: 525.00 for the 550.00 still carried: a loss of 25.00. */
  CHECK(pay(a, RECEIVED, customer, "2026-10-25", 50000, "EUR", NULL, false, inv->id, 50000, &p), "EUR rest");
  assert_int_equal(p->allocations[0]->exchange_difference_minor, -2500);
  assert_int_equal(base_balance("6950") - losses, 2500);
  /* Settled: the receivable in EUR is zero in amount and in base value. */
  long ar_eur = acc_count("SELECT count(*) FROM accounting_documents d WHERE d.id = '%s' AND d.open_amount = 0 AND d.open_base = 0",
                          inv->id);
  assert_int_equal(ar_eur, 1);
  char q[300];
  snprintf(q, sizeof q,
           "SELECT b.base_debits - b.base_credits FROM accounting_balances b JOIN accounting_accounts a ON a.id = b.account_id "
           "WHERE a.tenant_id = '%s' AND a.code = '1100' AND b.currency = '%%s'", olga.tenant_id);
  long eur_ar_base = acc_count(q, "EUR");
  assert_int_equal(eur_ar_base, 0);
  hub_arena_free(a);
}

/* ---- expenses, bills and the tax summary ---- */

static hub_status approve(hub_arena *a, const hub_test_user *u, const char *id, bool yes, const char *reason, Document **out) {
  Hub__Accounting__V1__ApproveExpenseRequest req = HUB__ACCOUNTING__V1__APPROVE_EXPENSE_REQUEST__INIT;
  req.id = (char *)id, req.approve = yes, req.reason = (char *)(reason ? reason : "");
  hub_call_options o = as(u);
  return hub_accounting_v1_accounting_approve_expense_call(w.ch, &o, a, &req, out);
}

static void test_expenses_bills_and_tax_summary(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  doc_spec ex = {K(EXPENSE), mike_vendor, "2026-07-03", NULL, NULL, NULL, NULL, true, {line(a, "1", 12000, "VAT20")}};
  Document *d = NULL;
  assert_true(acc_violation_on(create_doc(a, &mike, &ex, &d), "reference"));
  ex.reference = "RCPT-4411";
  CHECK(create_doc(a, &mike, &ex, &d), "member submits an expense");
  assert_int_equal(d->status, S(SUBMITTED));
  assert_string_equal(d->entry_id, "");
  Document *x = NULL;
  assert_int_equal(approve(a, &mike, d->id, true, NULL, &x).code, HUB_PERMISSION_DENIED); /* a member does not approve */
  CHECK(approve(a, &olga, d->id, true, NULL, &x), "owner approves");
  assert_int_equal(x->status, S(OPEN));
  assert_string_equal(x->approved_by, olga.user_id);
  assert_int_equal(strncmp(x->number, "EXP-", 4), 0);
  Entry *e = get_entry(a, x->entry_id);
  assert_int_equal(line_amount(e, "6070", DR), 12000);
  assert_int_equal(line_amount(e, "1150", DR), 2400);
  assert_int_equal(line_amount(e, "2010", CR), 14400);
  assert_int_equal(approve(a, &olga, d->id, true, NULL, &x).code, HUB_OK); /* again: itself */
  /* Nobody approves their own; a rejection needs a reason. */
  ex.paid_from = "1010";
  Document *own = NULL;
  CHECK(create_doc(a, &olga, &ex, &own), "owner's own expense, paid in cash");
  assert_int_equal(approve(a, &olga, own->id, true, NULL, &x).code, HUB_PERMISSION_DENIED);
  assert_true(acc_violation_on(approve(a, &olga, own->id, false, NULL, &x), "reason"));
  hub_status st = approve(a, &olga, own->id, false, "No receipt attached", &x);
  CHECK(st, "reject");
  assert_int_equal(x->status, S(REJECTED));
  assert_string_equal(x->rejection_reason, "No receipt attached");

  /* A bill with recoverable and non-recoverable tax, and a purchase credit note. */
  doc_spec bill = {K(PURCHASE_BILL), vendor, "2026-07-10", NULL, NULL, "V-889", NULL, true,
                   {line(a, "1", 50000, "VAT20"), line(a, "2", 1000, "NR5")}};
  CHECK(create_doc(a, &olga, &bill, &d), "bill");
  e = get_entry(a, d->entry_id);
  assert_int_equal(line_amount(e, "5010", DR), 50000 + 2000 + 100); /* NR5's tax is cost */
  assert_int_equal(line_amount(e, "1150", DR), 10000);
  assert_int_equal(line_amount(e, "2010", CR), 62100);
  doc_spec dn = {K(PURCHASE_CREDIT_NOTE), vendor, "2026-07-20", NULL, NULL, NULL, NULL, true, {line(a, "1", 5000, "VAT20")}};
  CHECK(create_doc(a, &olga, &dn, &d), "purchase credit note");
  doc_spec sale = {K(SALES_INVOICE), customer, "2026-07-15", NULL, NULL, NULL, NULL, true, {line(a, "3", 10000, "VAT20")}};
  CHECK(create_doc(a, &olga, &sale, &d), "July sale");
  sale.finalize = false, sale.lines[0] = line(a, "1", 999999, "VAT20");
  CHECK(create_doc(a, &olga, &sale, &d), "a draft is not in the return");

  Hub__Accounting__V1__GetTaxSummaryRequest treq = HUB__ACCOUNTING__V1__GET_TAX_SUMMARY_REQUEST__INIT;
  treq.from_date = "2026-07-01", treq.to_date = "2026-07-31", treq.csv = true;
  Hub__Accounting__V1__TaxSummary *ts = NULL;
  hub_call_options o = as(&olga);
  CHECK(hub_accounting_v1_accounting_get_tax_summary_call(w.ch, &o, a, &treq, &ts), "GetTaxSummary");
  assert_int_equal(ts->n_rows, 2);
  const Hub__Accounting__V1__TaxSummaryRow *nr = ts->rows[0], *vat = ts->rows[1];
  assert_string_equal(nr->tax_code, "NR5");
  assert_int_equal(nr->purchases_base_minor, 2000);
  assert_int_equal(nr->non_recoverable_tax_minor, 100);
  assert_int_equal(nr->input_tax_minor, 0);
  assert_string_equal(vat->tax_code, "VAT20");
  assert_int_equal(vat->sales_base_minor, 30000);
  assert_int_equal(vat->output_tax_minor, 6000);
  assert_int_equal(vat->purchases_base_minor, 12000 + 50000 - 5000);
  assert_int_equal(vat->input_tax_minor, 2400 + 10000 - 1000);
  assert_int_equal(ts->net_due_minor, 6000 - 11400);
  assert_non_null(strstr(ts->csv, "VAT20,20,300.00,60.00,570.00,114.00,0.00\r\n"));
  assert_non_null(strstr(ts->csv, "net_due,-54.00\r\n"));
  hub_arena_free(a);
}

/* ---- revaluation ---- */

typedef Hub__Accounting__V1__Revaluation Revaluation;

static hub_status revalue(hub_arena *a, const hub_test_user *u, const char *date, const char *request_id, Revaluation **out) {
  Hub__Accounting__V1__RevalueOpenItemsRequest req = HUB__ACCOUNTING__V1__REVALUE_OPEN_ITEMS_REQUEST__INIT;
  req.date = (char *)date, req.request_id = (char *)(request_id ? request_id : "");
  hub_call_options o = as(u);
  return hub_accounting_v1_accounting_revalue_open_items_call(w.ch, &o, a, &req, out);
}

static const Hub__Accounting__V1__RevaluedItem *item_of(const Revaluation *r, const char *doc, const char *payment) {
  for (size_t i = 0; i < r->n_items; i++)
    if (!strcmp(doc ? r->items[i]->document_id : r->items[i]->payment_id, doc ? doc : payment)) return r->items[i];
  fail_msg("no item %s in the revaluation", doc ? doc : payment);
  return NULL;
}

/* Runs after the realized differences (whose EUR invoice is settled): the only foreign items
 * open are this test's, in GBP. */
static void test_revaluation_never_twice(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  CHECK(set_rate(a, "GBP", "2026-08-01", "1.25"), "GBP Aug");
  CHECK(set_rate(a, "GBP", "2026-08-31", "1.3"), "GBP end of Aug");
  CHECK(set_rate(a, "GBP", "2026-10-31", "1.2"), "GBP end of Oct");
  long gains = base_balance("4950"), losses = base_balance("6950");
  doc_spec si = {K(SALES_INVOICE), customer, "2026-08-05", NULL, "GBP", NULL, NULL, true, {line(a, "1", 100000, NULL)}};
  doc_spec sb = {K(PURCHASE_BILL), vendor, "2026-08-10", NULL, "GBP", NULL, NULL, true, {line(a, "1", 40000, NULL)}};
  Document *inv = NULL, *bill = NULL;
  CHECK(create_doc(a, &olga, &si, &inv), "GBP invoice"); /* carried at 1,250.00 USD */
  CHECK(create_doc(a, &olga, &sb, &bill), "GBP bill");   /* 500.00 */
  Payment *pre = NULL;                                   /* a prepayment, unallocated: 125.00 */
  CHECK(pay(a, RECEIVED, customer, "2026-08-12", 10000, "GBP", NULL, false, NULL, 0, &pre), "GBP prepayment");
  assert_int_equal(pre->unallocated_minor, 10000);

  /* At 1.30: the invoice gains 50.00, the bill (owed) loses 20.00, the prepayment (owed back) 5.00. */
  Revaluation *r = NULL;
  CHECK(revalue(a, &olga, "2026-08-31", "0190a000-0000-7000-8000-00000000f001", &r), "revalue August");
  assert_int_equal(r->n_items, 3);
  assert_int_equal(item_of(r, inv->id, NULL)->before_base_minor, 125000);
  assert_int_equal(item_of(r, inv->id, NULL)->after_base_minor, 130000);
  assert_int_equal(item_of(r, inv->id, NULL)->gain_minor, 5000);
  assert_string_equal(item_of(r, inv->id, NULL)->rate, "1.3");
  assert_int_equal(item_of(r, bill->id, NULL)->gain_minor, -2000);
  assert_int_equal(item_of(r, NULL, pre->id)->gain_minor, -500);
  assert_int_equal(r->net_gain_minor, 2500);
  assert_true(*r->entry_id);
  Entry *e = get_entry(a, r->entry_id);
  assert_int_equal(e->kind, HUB__ACCOUNTING__V1__ENTRY_KIND__ENTRY_KIND_REVALUATION);
  assert_int_equal(base_balance("4950") - gains, 5000);
  assert_int_equal(base_balance("6950") - losses, 2500);

  /* Never twice: the same request answers the same run; another run at the same day, or a
   * later day at the same rate, moves nothing and posts nothing. */
  Revaluation *same = NULL, *again = NULL;
  CHECK(revalue(a, &olga, "2026-08-31", "0190a000-0000-7000-8000-00000000f001", &same), "the same request");
  assert_string_equal(same->id, r->id);
  assert_int_equal(same->n_items, 3);
  CHECK(revalue(a, &olga, "2026-08-31", NULL, &again), "August again");
  assert_int_equal(again->n_items, 0);
  assert_string_equal(again->entry_id, "");
  CHECK(revalue(a, &olga, "2026-09-30", NULL, &again), "September at the same rate");
  assert_int_equal(again->n_items, 0);
  assert_int_equal(base_balance("4950") - gains, 5000);
  assert_int_equal(base_balance("6950") - losses, 2500);

  /* Paid at 1.30 in October: measured from the revalued 1,300.00, no realized difference (the
   * 50.00 gain is not booked a second time). */
  Payment *p = NULL;
  CHECK(pay(a, RECEIVED, customer, "2026-10-05", 100000, "GBP", NULL, false, inv->id, 100000, &p), "GBP invoice paid");
  assert_int_equal(p->allocations[0]->exchange_difference_minor, 0);
  assert_int_equal(base_balance("4950") - gains, 5000);

  /* At 1.20: the bill (520.00 -> 480.00) and the prepayment (130.00 -> 120.00) gain; the settled
   * invoice is no longer an item. */
  CHECK(revalue(a, &olga, "2026-10-31", NULL, &r), "revalue October");
  assert_int_equal(r->n_items, 2);
  assert_int_equal(item_of(r, bill->id, NULL)->before_base_minor, 52000);
  assert_int_equal(item_of(r, bill->id, NULL)->gain_minor, 4000);
  assert_int_equal(item_of(r, NULL, pre->id)->gain_minor, 1000);
  assert_int_equal(base_balance("4950") - gains, 5000 + 5000);
  /* The receivable and payable in GBP carry exactly what is open at 1.20. */
  char q[300];
  snprintf(q, sizeof q,
           "SELECT b.base_debits - b.base_credits FROM accounting_balances b JOIN accounting_accounts a ON a.id = b.account_id "
           "WHERE a.tenant_id = '%s' AND b.currency = 'GBP' AND a.code = '%%s'", olga.tenant_id);
  assert_int_equal(acc_count(q, "1100"), -12000); /* the prepayment owed back */
  assert_int_equal(acc_count(q, "2010"), -48000);

  /* Listed latest first; another tenant sees none of it and has nothing to revalue. */
  Hub__Accounting__V1__ListRevaluationsRequest lreq = HUB__ACCOUNTING__V1__LIST_REVALUATIONS_REQUEST__INIT;
  Hub__Accounting__V1__ListRevaluationsResponse *list = NULL;
  hub_call_options o = as(&olga);
  lreq.page_size = 2;
  CHECK(hub_accounting_v1_accounting_list_revaluations_call(w.ch, &o, a, &lreq, &list), "ListRevaluations");
  assert_int_equal(list->n_revaluations, 2);
  assert_string_equal(list->revaluations[0]->date, "2026-10-31");
  assert_int_equal(list->revaluations[0]->n_items, 2);
  assert_true(*list->page->next_page_token);
  lreq.page_token = list->page->next_page_token, lreq.page_size = 10;
  CHECK(hub_accounting_v1_accounting_list_revaluations_call(w.ch, &o, a, &lreq, &list), "ListRevaluations page 2");
  assert_int_equal(list->n_revaluations, 2);
  assert_string_equal(list->revaluations[1]->date, "2026-08-31");
  assert_int_equal(list->revaluations[1]->n_items, 3);
  CHECK(revalue(a, &zed, "2026-10-31", NULL, &again), "another tenant");
  assert_int_equal(again->n_items, 0);
  Hub__Accounting__V1__ListRevaluationsRequest zreq = HUB__ACCOUNTING__V1__LIST_REVALUATIONS_REQUEST__INIT;
  hub_call_options zo = as(&zed);
  CHECK(hub_accounting_v1_accounting_list_revaluations_call(w.ch, &zo, a, &zreq, &list), "zed's list");
  assert_int_equal(list->n_revaluations, 1);
  /* A member may not run one. */
  assert_int_equal(revalue(a, &mike, "2026-10-31", NULL, &again).code, HUB_PERMISSION_DENIED);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tax_codes),
      cmocka_unit_test(test_invoice_totals_entry_and_numbers),
      cmocka_unit_test(test_numbers_gap_free),
      cmocka_unit_test(test_payments_allocation_and_aging),
      cmocka_unit_test(test_realized_exchange_difference_once),
      cmocka_unit_test(test_expenses_bills_and_tax_summary),
      cmocka_unit_test(test_revaluation_never_twice),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
