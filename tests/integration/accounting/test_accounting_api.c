/* api.h as another service uses it: an entry posted inside the caller's own transaction (here
 * a document's outbox message stands for the caller's writes), against a real PostgreSQL as the
 * server's role. Both commit together; a refused entry is the caller's status and rolls its
 * writes back too; the same (source, source_id) again answers the first entry, with another body
 * ALREADY_EXISTS; the balances moved once. A bank statement imported in the caller's
 * transaction and matched to the books; the same file again adds nothing; a bad one rolls back.
 * A customer, an invoice and its payment made through api.h: numbered, posted, settled, the same
 * request ids again making nothing new, and the contract's rules refusing a bad request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "books.h"
#include "db/outbox.h"
#include "db/pg.h"
#include "services/accounting/api.h"

static hub_test_user fay;
static hub_pg *pg;

static int setup(void **state) {
  (void)state;
  if (!hub_world_up(&w, "accapi", NULL)) return -1;
  hub_world_signup_login(&w, "fay-api@example.com", "Fay Invoices", "smb_hub", &fay);
  pg = hub_pg_new(w.stack.app_url, 5000);
  return pg ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  hub_pg_free(pg);
  hub_world_down(&w);
  return 0;
}

typedef struct invoice {
  const char *number;
  int64_t amount, tax;
  const char *tax_account; /* NULL: 2200 */
  const char *entry_id;
  bool existed;
} invoice;

/* The body of an invoice's finalizing transaction: its message, its entry. */
static hub_status finalize_fn(hub_tx *tx, void *ud) {
  invoice *inv = ud;
  hub_outbox_write(tx, HUB_OUTBOX_TENANT, "test.invoice_finalized", NULL,
                   hub_arena_sprintf(hub_tx_arena(tx), "{\"number\": \"%s\"}", inv->number));
  hub_accounting_line lines[] = {
      {.account_code = "1100", .debit = true, .amount_minor = inv->amount + inv->tax, .currency = "USD", .brand = "exakeep"},
      {.account_code = "4010", .debit = false, .amount_minor = inv->amount, .currency = "USD", .brand = "exakeep"},
      {.account_code = inv->tax_account ? inv->tax_account : "2200", .debit = false, .amount_minor = inv->tax, .currency = "USD", .brand = "exakeep"},
  };
  hub_accounting_entry e = {.source = "billing.invoice", .source_id = inv->number, .date = "2026-11-20",
                            .description = "Invoice", .reference = inv->number, .lines = lines, .n_lines = 3};
  hub_accounting_posting posting;
  hub_accounting_post_queue(tx, &e, &posting);
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  const char *id = NULL;
  st = hub_accounting_posted(tx, &posting, &id, &inv->existed);
  if (hub_ok(st)) inv->entry_id = hub_arena_strdup(hub_tx_arena(tx), id);
  return st;
}

static hub_status finalize(hub_arena *a, invoice *inv) {
  return hub_tx_run(pg, a, fay.tenant_id, fay.user_id, 5000, finalize_fn, inv);
}


static void test_document_and_entry_commit_together(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  invoice first = {.number = "INV-2026-0001", .amount = 10000, .tax = 2000};
  CHECK(finalize(a, &first), "finalize");
  assert_false(first.existed);
  assert_int_equal(acc_count("SELECT count(*) FROM outbox WHERE topic = 'test.invoice_finalized' AND payload->>'number' = '%s'",
                             "INV-2026-0001"),
                   1);
  assert_int_equal(acc_count("SELECT count(*) FROM accounting_entries WHERE source = 'billing.invoice' AND source_id = '%s'"
                             " AND kind = 'document'",
                             "INV-2026-0001"),
                   1);
  assert_int_equal(acc_balance_of(a, &fay, "1100", NULL), 12000);

  /* Again, the same document: the entry posted before, applied once. */
  invoice again = first;
  again.entry_id = NULL;
  CHECK(finalize(a, &again), "finalize again");
  assert_true(again.existed);
  assert_string_equal(again.entry_id, first.entry_id);
  assert_int_equal(acc_balance_of(a, &fay, "1100", NULL), 12000);

  /* The same number with another amount: refused, and the caller's message rolls back too. */
  invoice changed = {.number = "INV-2026-0001", .amount = 10001, .tax = 2000};
  hub_status st = finalize(a, &changed);
  assert_int_equal(st.code, HUB_ALREADY_EXISTS);
  assert_non_null(strstr(st.message, "source_id"));

  /* An account the chart lacks: the refusal names the line; nothing of the document stays. */
  invoice bad = {.number = "INV-2026-0002", .amount = 500, .tax = 100, .tax_account = "9998"};
  st = finalize(a, &bad);
  assert_int_equal(st.code, HUB_NOT_FOUND);
  assert_non_null(strstr(st.message, "lines[2].account_code"));
  assert_int_equal(acc_count("SELECT count(*) FROM outbox WHERE topic = 'test.invoice_finalized' AND payload->>'number' = '%s'",
                             "INV-2026-0002"),
                   0);
  assert_int_equal(acc_count("SELECT count(*) FROM accounting_entries WHERE source_id = '%s'", "INV-2026-0002"), 0);
  assert_int_equal(acc_balance_of(a, &fay, "1100", NULL), 12000);
  hub_arena_free(a);
}

typedef struct bank_call {
  const char *content;
  int imported, matched;
} bank_call;

static hub_status bank_fn(hub_tx *tx, void *ud) {
  bank_call *b = ud;
  Hub__Accounting__V1__CsvColumns map = HUB__ACCOUNTING__V1__CSV_COLUMNS__INIT;
  map.date = "day", map.amount = "amount", map.description = "text";
  return hub_accounting_bank_import(tx, "1020", false, b->content, &map, &b->imported, &b->matched);
}

static void test_bank_statement_in_the_callers_transaction(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Entry *e = NULL;
  CHECK(acc_post(a, &fay, acc_entry2(a, NULL, "2026-11-20", "1020", "4020", 77700), &e), "a receipt in the books");
  bank_call b = {.content = "day,amount,text\n2026-11-21,777.00,RECEIPT\n2026-11-22,-1.00,FEE\n"};
  CHECK(hub_tx_run(pg, a, fay.tenant_id, fay.user_id, 5000, bank_fn, &b), "bank import");
  assert_int_equal(b.imported, 2);
  assert_int_equal(b.matched, 1);
  assert_int_equal(acc_count("SELECT count(*) FROM accounting_bank_lines WHERE entry_id = '%s'", e->id), 1);
  CHECK(hub_tx_run(pg, a, fay.tenant_id, fay.user_id, 5000, bank_fn, &b), "the same file again");
  assert_int_equal(b.imported, 0);
  assert_int_equal(b.matched, 0);
  bank_call bad = {.content = "day,amount,text\n2026-11-23,5.00,OK\n2026-13-01,1.00,BAD DAY\n"};
  hub_status st = hub_tx_run(pg, a, fay.tenant_id, fay.user_id, 5000, bank_fn, &bad);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_int_equal(acc_count("SELECT count(*) FROM accounting_bank_lines WHERE description = '%s'", "OK"), 0);
  hub_arena_free(a);
}

typedef struct receivable_call {
  bool bad;
  const char *party, *invoice, *payment;
} receivable_call;

static hub_status receivable_fn(hub_tx *tx, void *ud) {
  receivable_call *c = ud;
  Hub__Accounting__V1__CreatePartyRequest pr = HUB__ACCOUNTING__V1__CREATE_PARTY_REQUEST__INIT;
  pr.request_id = "0190c000-0000-7000-8000-000000000001", pr.role = HUB__ACCOUNTING__V1__PARTY_ROLE__PARTY_ROLE_CUSTOMER;
  pr.name = "Api Customer";
  hub_status st = hub_accounting_create_party(tx, &pr, &c->party);
  Hub__Accounting__V1__DocumentLineInput l = HUB__ACCOUNTING__V1__DOCUMENT_LINE_INPUT__INIT, *lp = &l;
  l.description = c->bad ? "" : "Api work", l.quantity = "2", l.unit_price_minor = 5000;
  Hub__Accounting__V1__CreateDocumentRequest dr = HUB__ACCOUNTING__V1__CREATE_DOCUMENT_REQUEST__INIT;
  dr.request_id = "0190c000-0000-7000-8000-000000000002", dr.kind = HUB__ACCOUNTING__V1__DOCUMENT_KIND__DOCUMENT_KIND_SALES_INVOICE;
  dr.party_id = (char *)c->party, dr.issue_date = "2026-11-21", dr.n_lines = 1, dr.lines = &lp, dr.finalize = true;
  if (hub_ok(st)) st = hub_accounting_create_document(tx, &dr, &c->invoice);
  Hub__Api__V1__Money m = HUB__API__V1__MONEY__INIT;
  m.amount_minor = 10000, m.currency_code = "USD";
  Hub__Accounting__V1__RecordPaymentRequest yr = HUB__ACCOUNTING__V1__RECORD_PAYMENT_REQUEST__INIT;
  yr.request_id = "0190c000-0000-7000-8000-000000000003", yr.direction = HUB__ACCOUNTING__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_RECEIVED;
  yr.party_id = (char *)c->party, yr.date = "2026-11-25", yr.amount = &m, yr.allocate_oldest_first = true;
  if (hub_ok(st)) st = hub_accounting_record_payment(tx, &yr, &c->payment);
  return st;
}

static void test_receivables_in_the_callers_transaction(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  receivable_call bad = {.bad = true};
  hub_status st = hub_tx_run(pg, a, fay.tenant_id, fay.user_id, 5000, receivable_fn, &bad);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT); /* the contract's rule: a line needs its description */
  assert_int_equal(acc_count("SELECT count(*) FROM accounting_parties WHERE name = '%s'", "Api Customer"), 0);
  receivable_call c = {0}, again = {0};
  CHECK(hub_tx_run(pg, a, fay.tenant_id, fay.user_id, 5000, receivable_fn, &c), "receivables through api.h");
  assert_int_equal(acc_count("SELECT count(*) FROM accounting_documents WHERE id = '%s' AND status = 'settled' "
                             "AND number LIKE 'INV-%%' AND entry_id IS NOT NULL", c.invoice),
                   1);
  assert_int_equal(acc_count("SELECT count(*) FROM outbox WHERE topic = 'accounting.document_finalized' AND aggregate_id = '%s'",
                             c.invoice),
                   1);
  CHECK(hub_tx_run(pg, a, fay.tenant_id, fay.user_id, 5000, receivable_fn, &again), "the same again");
  assert_string_equal(again.invoice, c.invoice);
  assert_string_equal(again.payment, c.payment);
  assert_int_equal(acc_count("SELECT count(*) FROM accounting_payments WHERE party_id = '%s'", c.party), 1);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_document_and_entry_commit_together),
      cmocka_unit_test(test_bank_statement_in_the_callers_transaction),
      cmocka_unit_test(test_receivables_in_the_callers_transaction),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
