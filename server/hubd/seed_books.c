/* The demo tenant's books: November 2026 of a small firm selling under two brands. Through
 * Accounting's api.h, like any other service: the plain entries (capital, rent, salaries,
 * software, ads, travel, fees), then two customers and a supplier with four invoices, a bill for
 * laptops and the payments that settled some of them (so GetAging and ListDocuments show real
 * documents, numbered and posted), then the bank's November statement, imported and matched, so
 * the bank reconciliation has something to show. Idempotent: every entry's (source, source_id),
 * every party's, document's and payment's request_id and the statement's file are fixed, so
 * seeding again answers what was made before. */
#include "hubd/seed.h"

#include <stdio.h>

#include "services/accounting/api.h"

typedef struct demo_entry {
  const char *id, *date, *description, *debit, *credit, *brand;
  int64_t amount;
} demo_entry;

static const demo_entry demo_entries[] = {
    {"2026-11-capital", "2026-11-01", "Owner's capital", "1020", "3010", "", 5000000},
    {"2026-11-rent", "2026-11-01", "Office rent, November", "6020", "1020", "", 180000},
    {"2026-11-software", "2026-11-06", "Accounting software subscription", "6040", "1020", "exakeep", 4900},
    {"2026-11-ads", "2026-11-14", "Search ads", "6050", "1020", "addvive", 60000},
    {"2026-11-utilities", "2026-11-15", "Electricity and internet", "6030", "1020", "", 23500},
    {"2026-11-travel", "2026-11-26", "Client visit, train", "6070", "1020", "exakeep", 8600},
    {"2026-11-salaries", "2026-11-28", "Salaries, November", "6010", "1020", "", 650000},
    {"2026-11-bank-fees", "2026-11-30", "Bank fees", "6060", "1020", "", 1500},
};

typedef Hub__Accounting__V1__CreatePartyRequest PartyReq;
typedef Hub__Accounting__V1__CreateDocumentRequest DocReq;
typedef Hub__Accounting__V1__DocumentLineInput LineIn;

/* Fixed request ids: the seed's objects, made once. */
#define DEMO_ID(n) "0190a000-0000-7000-8000-0000000001" n

typedef struct demo_doc {
  const char *request_id, *party, *kind, *issue, *reference, *description, *account, *brand;
  int64_t amount;
} demo_doc;

static const demo_doc demo_docs[] = {
    {DEMO_ID("11"), "c1", "sales_invoice", "2026-11-03", "1001", "Bookkeeping, October", "4020", "exakeep", 240000},
    {DEMO_ID("12"), "c2", "sales_invoice", "2026-11-05", "1002", "Website refresh", "4020", "addvive", 420000},
    {DEMO_ID("13"), "s1", "purchase_bill", "2026-11-07", "77", "Laptops", "1500", "", 310000},
    {DEMO_ID("14"), "c1", "sales_invoice", "2026-11-12", "1003", "Payroll service", "4020", "exakeep", 95000},
    {DEMO_ID("15"), "c2", "sales_invoice", "2026-11-24", "1004", "Ad campaign", "4020", "addvive", 180000},
};

typedef struct demo_payment {
  const char *request_id, *party, *date, *reference;
  bool received;
  int64_t amount;
} demo_payment;

static const demo_payment demo_payments[] = {
    {DEMO_ID("21"), "c1", "2026-11-10", "Invoice 1001", true, 240000},
    {DEMO_ID("22"), "c2", "2026-11-18", "Invoice 1002", true, 420000},
    {DEMO_ID("23"), "s1", "2026-11-20", "Bill 77", false, 310000},
};

typedef struct books_ctx {
  size_t posted, existed, documents;
} books_ctx;

static hub_status entries_fn(hub_tx *tx, books_ctx *c) {
  enum { N = sizeof demo_entries / sizeof *demo_entries };
  hub_accounting_posting postings[N];
  for (size_t k = 0; k < N; k++) {
    const demo_entry *d = &demo_entries[k];
    hub_accounting_line lines[] = {
        {.account_code = d->debit, .debit = true, .amount_minor = d->amount, .currency = "USD", .brand = d->brand},
        {.account_code = d->credit, .debit = false, .amount_minor = d->amount, .currency = "USD", .brand = d->brand},
    };
    hub_accounting_entry e = {.source = "demo.seed", .source_id = d->id, .date = d->date, .description = d->description,
                              .lines = lines, .n_lines = 2};
    hub_accounting_post_queue(tx, &e, &postings[k]);
  }
  hub_status st = hub_tx_flush(tx);
  for (size_t k = 0; k < N && hub_ok(st); k++) {
    bool existed = false;
    st = hub_accounting_posted(tx, &postings[k], NULL, &existed);
    existed ? c->existed++ : c->posted++;
  }
  return st;
}

static hub_status party(hub_tx *tx, const char *request_id, int role, const char *name, const char *email, int terms,
                        const char **id) {
  PartyReq r = HUB__ACCOUNTING__V1__CREATE_PARTY_REQUEST__INIT;
  r.request_id = (char *)request_id, r.role = role, r.name = (char *)name, r.email = (char *)email;
  r.payment_terms_days = terms;
  return hub_accounting_create_party(tx, &r, id);
}

static hub_status documents_fn(hub_tx *tx, books_ctx *c) {
  const char *c1, *c2, *s1;
  hub_status st = party(tx, DEMO_ID("01"), HUB__ACCOUNTING__V1__PARTY_ROLE__PARTY_ROLE_CUSTOMER, "Northwind Traders",
                        "accounts@northwind.example", 14, &c1);
  if (hub_ok(st))
    st = party(tx, DEMO_ID("02"), HUB__ACCOUNTING__V1__PARTY_ROLE__PARTY_ROLE_CUSTOMER, "Contoso Bakery", "ap@contoso.example",
               30, &c2);
  if (hub_ok(st))
    st = party(tx, DEMO_ID("03"), HUB__ACCOUNTING__V1__PARTY_ROLE__PARTY_ROLE_VENDOR, "Fabrikam Computers",
               "billing@fabrikam.example", 30, &s1);
  for (size_t k = 0; k < sizeof demo_docs / sizeof *demo_docs && hub_ok(st); k++) {
    const demo_doc *d = &demo_docs[k];
    LineIn l = HUB__ACCOUNTING__V1__DOCUMENT_LINE_INPUT__INIT, *lp = &l;
    l.description = (char *)d->description, l.account_code = (char *)d->account, l.quantity = "1";
    l.unit_price_minor = d->amount, l.brand = (char *)d->brand;
    DocReq r = HUB__ACCOUNTING__V1__CREATE_DOCUMENT_REQUEST__INIT;
    r.request_id = (char *)d->request_id, r.issue_date = (char *)d->issue, r.reference = (char *)d->reference;
    r.kind = d->kind[0] == 's' ? HUB__ACCOUNTING__V1__DOCUMENT_KIND__DOCUMENT_KIND_SALES_INVOICE
                               : HUB__ACCOUNTING__V1__DOCUMENT_KIND__DOCUMENT_KIND_PURCHASE_BILL;
    r.party_id = (char *)(d->party[0] == 's' ? s1 : d->party[1] == '1' ? c1 : c2);
    r.n_lines = 1, r.lines = &lp, r.finalize = true;
    const char *id;
    st = hub_accounting_create_document(tx, &r, &id);
    c->documents++;
  }
  for (size_t k = 0; k < sizeof demo_payments / sizeof *demo_payments && hub_ok(st); k++) {
    const demo_payment *d = &demo_payments[k];
    Hub__Api__V1__Money m = HUB__API__V1__MONEY__INIT;
    m.amount_minor = d->amount, m.currency_code = "USD";
    Hub__Accounting__V1__RecordPaymentRequest r = HUB__ACCOUNTING__V1__RECORD_PAYMENT_REQUEST__INIT;
    r.request_id = (char *)d->request_id, r.date = (char *)d->date, r.reference = (char *)d->reference, r.amount = &m;
    r.direction = d->received ? HUB__ACCOUNTING__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_RECEIVED
                              : HUB__ACCOUNTING__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_SENT;
    r.party_id = (char *)(d->party[0] == 's' ? s1 : d->party[1] == '1' ? c1 : c2);
    r.allocate_oldest_first = true;
    const char *id;
    st = hub_accounting_record_payment(tx, &r, &id);
  }
  return st;
}

static hub_status books_fn(hub_tx *tx, void *ud) {
  hub_status st = entries_fn(tx, ud);
  return hub_ok(st) ? documents_fn(tx, ud) : st;
}

/* November's bank statement of 1020 as the bank exported it: every bank movement of the books
 * but the salaries (the bank paid them out on 1 December) and with the interest the books do not
 * have yet, so GetBankReconciliation at 30 November shows one line on each side. */
static const char demo_statement[] = "Date,Description,Amount\n"
                                     "2026-11-01,OWNER CAPITAL,50000.00\n"
                                     "2026-11-01,RENT NOVEMBER,-1800.00\n"
                                     "2026-11-06,SOFTWARE SUBSCRIPTION,-49.00\n"
                                     "2026-11-10,NORTHWIND TRADERS INVOICE 1001,2400.00\n"
                                     "2026-11-14,SEARCH ADS,-600.00\n"
                                     "2026-11-15,ELECTRICITY AND INTERNET,-235.00\n"
                                     "2026-11-18,CONTOSO BAKERY 1002,4200.00\n"
                                     "2026-11-20,FABRIKAM COMPUTERS BILL 77,-3100.00\n"
                                     "2026-11-26,RAIL TICKETS,-86.00\n"
                                     "2026-11-30,ACCOUNT FEES,-15.00\n"
                                     "2026-11-30,INTEREST,3.21\n";

static hub_status bank_fn(hub_tx *tx, void *ud) {
  int *counts = ud;
  Hub__Accounting__V1__CsvColumns map = HUB__ACCOUNTING__V1__CSV_COLUMNS__INIT;
  map.date = "Date", map.description = "Description", map.amount = "Amount";
  return hub_accounting_bank_import(tx, "1020", false, demo_statement, &map, &counts[0], &counts[1]);
}

hub_status hub_seed_demo_books(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *user_id) {
  books_ctx c = {0};
  hub_status st = hub_tx_run(pg, a, tenant_id, user_id, 30000, books_fn, &c);
  if (hub_ok(st))
    printf("demo books  %zu entries posted for November 2026 (%zu there already), %zu invoices and bills with their payments\n",
           c.posted, c.existed, c.documents);
  int counts[2] = {0, 0};
  if (hub_ok(st)) st = hub_tx_run(pg, a, tenant_id, user_id, 30000, bank_fn, counts);
  if (hub_ok(st)) printf("demo bank   November statement of 1020: %d lines imported, %d matched to the books\n", counts[0], counts[1]);
  return st;
}
