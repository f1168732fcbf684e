/* The demo tenant's books: November 2026 of a small firm selling under two brands (capital,
 * invoices, customer payments, rent, salaries, software, a supplier bill on credit), posted
 * through Accounting's api.h like any other service's documents, so `GetReport` and
 * `GetBalances` show real figures at once; then the bank's November statement, imported and
 * matched through api.h too, so the bank reconciliation has something to show. Idempotent: each
 * entry's (source, source_id) is fixed and the statement is the same file, so seeding again
 * answers what was made before. */
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
    {"2026-11-inv-1001", "2026-11-03", "Invoice 1001: bookkeeping, October", "1100", "4020", "exakeep", 240000},
    {"2026-11-inv-1002", "2026-11-05", "Invoice 1002: website refresh", "1100", "4020", "addvive", 420000},
    {"2026-11-software", "2026-11-06", "Accounting software subscription", "6040", "1020", "exakeep", 4900},
    {"2026-11-bill-77", "2026-11-07", "Supplier bill 77: laptops", "1500", "2010", "", 310000},
    {"2026-11-pay-1001", "2026-11-10", "Payment of invoice 1001", "1020", "1100", "exakeep", 240000},
    {"2026-11-inv-1003", "2026-11-12", "Invoice 1003: payroll service", "1100", "4020", "exakeep", 95000},
    {"2026-11-ads", "2026-11-14", "Search ads", "6050", "1020", "addvive", 60000},
    {"2026-11-utilities", "2026-11-15", "Electricity and internet", "6030", "1020", "", 23500},
    {"2026-11-pay-1002", "2026-11-18", "Payment of invoice 1002", "1020", "1100", "addvive", 420000},
    {"2026-11-bill-77-paid", "2026-11-20", "Supplier bill 77 paid", "2010", "1020", "", 310000},
    {"2026-11-inv-1004", "2026-11-24", "Invoice 1004: ad campaign", "1100", "4020", "addvive", 180000},
    {"2026-11-travel", "2026-11-26", "Client visit, train", "6070", "1020", "exakeep", 8600},
    {"2026-11-salaries", "2026-11-28", "Salaries, November", "6010", "1020", "", 650000},
    {"2026-11-bank-fees", "2026-11-30", "Bank fees", "6060", "1020", "", 1500},
};

typedef struct books_ctx {
  size_t posted, existed;
} books_ctx;

static hub_status books_fn(hub_tx *tx, void *ud) {
  books_ctx *c = ud;
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

/* November's bank statement of 1020 as the bank exported it: every bank movement of the books
 * but the salaries (the bank paid them out on 1 December) and with the interest the books do not
 * have yet, so GetBankReconciliation at 30 November shows one line on each side. */
static const char demo_statement[] = "Date,Description,Amount\n"
                                     "2026-11-01,OWNER CAPITAL,50000.00\n"
                                     "2026-11-01,RENT NOVEMBER,-1800.00\n"
                                     "2026-11-06,SOFTWARE SUBSCRIPTION,-49.00\n"
                                     "2026-11-10,PAYMENT INVOICE 1001,2400.00\n"
                                     "2026-11-14,SEARCH ADS,-600.00\n"
                                     "2026-11-15,ELECTRICITY AND INTERNET,-235.00\n"
                                     "2026-11-18,PAYMENT INVOICE 1002,4200.00\n"
                                     "2026-11-20,SUPPLIER 77,-3100.00\n"
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
  if (hub_ok(st)) printf("demo books  %zu entries posted for November 2026 (%zu there already)\n", c.posted, c.existed);
  int counts[2] = {0, 0};
  if (hub_ok(st)) st = hub_tx_run(pg, a, tenant_id, user_id, 30000, bank_fn, counts);
  if (hub_ok(st)) printf("demo bank   November statement of 1020: %d lines imported, %d matched to the books\n", counts[0], counts[1]);
  return st;
}
