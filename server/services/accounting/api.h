/* What other services (Billing's invoices, HRMS's payroll, the demo seed) use of Accounting:
 * posting an entry inside their own transaction, so a document and its entry commit together or
 * not at all. The entry goes through accounting_post like every other (balanced per currency,
 * periods, lock date, balance rules), idempotent by (source, source_id): posting the same pair
 * again with the same body answers the entry posted before, with another body ALREADY_EXISTS.
 * The caller names accounting under SERVICES on its hub_service() line and includes only this
 * header of server/services/accounting/. A bank feed (and the demo seed) imports statements
 * the same way. */
#ifndef HUB_SERVICES_ACCOUNTING_API_H
#define HUB_SERVICES_ACCOUNTING_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/tx.h"
#include "hub/accounting/v1/accounting.pb-c.h"

typedef struct hub_accounting_line {
  const char *account_code; /* in the tenant's chart ("1100") */
  bool debit;               /* else credit */
  int64_t amount_minor;
  const char *currency;     /* ISO 4217 */
  const char *description, *brand, *department, *project; /* each may be NULL */
} hub_accounting_line;

typedef struct hub_accounting_entry {
  const char *source;    /* who posts: "billing.invoice" */
  const char *source_id; /* its document: "INV-2026-0042" */
  const char *date;      /* YYYY-MM-DD */
  const char *description, *reference; /* each may be NULL */
  const hub_accounting_line *lines;
  size_t n_lines;
} hub_accounting_entry;

typedef struct hub_accounting_posting {
  hub_rows *books, *result;
} hub_accounting_posting;

/* Queues the posting of `e` in tx, the caller's transaction in its tenant (no round trip of its
 * own). After the caller's next flush (hub_tx_query, or the end of its body), read the outcome
 * with hub_accounting_posted. */
void hub_accounting_post_queue(hub_tx *tx, const hub_accounting_entry *e, hub_accounting_posting *out);

/* After a flush: OK with the entry's id (and `existed` when this (source, source_id) was posted
 * before), or the refusal as a status naming the field ("lines[1].account_code"): the caller
 * returns it from its body, which rolls back its own writes with the entry's. */
hub_status hub_accounting_posted(hub_tx *tx, const hub_accounting_posting *p, const char **entry_id, bool *existed);

/* Receivables and payables in the caller's transaction, as CreateParty, CreateDocument (with
 * finalize: numbered and posted) and RecordPayment do them, checked by the same contract rules;
 * each idempotent by the request's request_id. The id made (or made before) into *id. */
hub_status hub_accounting_create_party(hub_tx *tx, const Hub__Accounting__V1__CreatePartyRequest *request, const char **id);
hub_status hub_accounting_create_document(hub_tx *tx, const Hub__Accounting__V1__CreateDocumentRequest *request, const char **id);
hub_status hub_accounting_record_payment(hub_tx *tx, const Hub__Accounting__V1__RecordPaymentRequest *request, const char **id);

/* A bank statement into the bank lines of `account_code`, in the caller's transaction, as
 * ImportBankStatement stores it (CSV through `csv`, or OFX; lines the account has already are
 * skipped, the same file twice is one import), then what is unambiguous matched to the books as
 * AutoMatchBankLines does (a window of 5 days). For a service that fetches statements from a
 * bank, and the demo seed; the caller audits its own action. `imported` and `matched` (each may
 * be NULL) say what this call added. Refusals name "content", "csv.*" or "account_code". */
hub_status hub_accounting_bank_import(hub_tx *tx, const char *account_code, bool ofx, const char *content,
                                      const Hub__Accounting__V1__CsvColumns *csv, int *imported, int *matched);

#endif
