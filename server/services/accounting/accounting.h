/* Internals shared by the Accounting service's files. Handlers live in one file per group of RPCs
 * (accounts.c and chart_import.c: the chart; entries.c: posting and the journal; balances.c:
 * balances now and at a past date; periods.c: periods, the lock date and the year-end close;
 * reports.c: GetReport; rates.c and assertions.c; taxes.c, parties.c, documents.c, payments.c
 * and aging.c: receivables and payables; api.c: api.h; expiry.c: the pending-entry sweeper;
 * audit.c and csv.c: what several share); SQL sits next to the code that uses it. What keeps the
 * books balanced lives in the database (migrations 0010, 0011 and 0013: accounting_post, the
 * document finalizer and their triggers), so every path that posts,
 * api.h included, goes through it. Other services reach Accounting only through api.h. */
#ifndef HUB_SERVICES_ACCOUNTING_H
#define HUB_SERVICES_ACCOUNTING_H

#include "aip/paging.h"
#include "db/call.h"
#include "hub/accounting/v1/accounting.hub-server.h"
#include "hub/uuid.h"

/* ---- accounts (accounts.c) ---- */

/* Opens the tenant's books on first use (making the generic chart) and answers their base
 * currency (column "_base"). Queued before any statement that reads accounts, as a statement of
 * its own: a statement does not see the rows a function it calls inserted. */
hub_rows *accounting_books_queue(hub_tx *tx);

/* The columns every read of an account selects, each named for a field of Account (db/tx.h
 * decodes rows by name), from the table accounting_accounts (alias x). */
#define ACCOUNTING_ACCOUNT_COLUMNS                                                                           \
  "x.id, x.code, x.name, x.type, x.normal_side, x.parent_id, x.currency AS currency_code, x.description, "   \
  "x.archived, x.min_balance AS \"min_balance.amount_minor\", x.max_balance AS \"max_balance.amount_minor\", " \
  "x.version, x.created_at AS create_time, x.cash_flow"

/* ---- posting (post.c) ---- */

/* The result of accounting_post_checked for a batch (JSON array of entries as the migration
 * describes it): one row per entry, columns i, id, seq, outcome, code, field, message. */
hub_status accounting_post_json(hub_tx *tx, const char *entries_json, bool each, hub_rows **out);
/* Its statement, for callers that queue it ($1 the JSON, $2 "true" for one by one). */
extern const hub_pg_stmt accounting_post_sql;

/* How a field accounting_post names ("entries[3].lines[1].account_code") becomes the request's:
 * its rest after "entries[N]" is looked up by prefix in a table ending with {NULL}; the first
 * entry whose `from` begins it replaces `from` by `to` (keep_rest) or the whole field by `to`.
 * PostEntry maps {"", "entry", true}; ReverseEntry maps the reversal's fields to its own. */
typedef struct accounting_field_map {
  const char *from, *to;
  bool keep_rest;
} accounting_field_map;

/* A refusal row of accounting_post_checked as a status: its code, the field (through `map`; NULL
 * keeps it as named) and the message. */
hub_status accounting_refusal(hub_arena *a, const hub_rows *r, int row, const accounting_field_map *map);

/* The JSON array of `n` entries (as accounting_post takes them), indexed from `first` (their
 * position in the request, which refusals name). */
char *accounting_entries_json(hub_arena *a, Hub__Accounting__V1__EntryInput *const *entries, size_t n, size_t first);
/* One entry of another service's document (api.h): kind "document", its source and source_id. */
char *accounting_document_json(hub_arena *a, const Hub__Accounting__V1__EntryInput *e, const char *source,
                               const char *source_id);
/* The same with another kind ("revaluation"). */
char *accounting_sourced_json(hub_arena *a, const Hub__Accounting__V1__EntryInput *e, const char *kind, const char *source,
                              const char *source_id);

/* ---- entries (entries.c) ---- */

/* Reads entry `id` with its lines into `out` (one queued statement pair; decoded after flush). */
typedef struct accounting_entry_read {
  hub_rows *entry, *lines;
} accounting_entry_read;
void accounting_entry_queue(hub_tx *tx, const char *id, accounting_entry_read *rd);
/* False when the entry does not exist. */
bool accounting_entry_decode(const accounting_entry_read *rd, Hub__Accounting__V1__Entry *out);

/* ---- audit (audit.c) ---- */

/* The audit row and the outbox event (topic `action`, e.g. "accounting.document_finalized") of a
 * change, queued in its transaction; kv is NULL-terminated key/value pairs (NULL values skipped)
 * for the details and the payload. */
void accounting_record(hub_tx *tx, hub_call *call, const char *action, const char *target, const char *const *kv);

/* ---- api.h's checks (api.c) ---- */

/* `msg` checked by the contract's rules of RPC `method` ("hub.accounting.v1.Accounting/X"), as
 * the runtime checks a request before its handler: api.h's callers get the same refusals. */
hub_status accounting_api_validate(hub_arena *a, const char *method, ProtobufCMessage *msg);

/* ---- CSV exports (csv.c) ---- */

/* Text growing in an arena; zero-initialise with .a set. */
typedef struct accounting_text {
  char *s;
  size_t len, cap;
  hub_arena *a;
} accounting_text;
/* One RFC 4180 field (quoted when it holds a comma, quote or line break), then ',' or CRLF. */
void accounting_csv_field(accounting_text *t, const char *s, bool last);
/* Minor units as a decimal in the currency's exponent: -123456, 2 -> "-1234.56". */
const char *accounting_decimal_text(hub_arena *a, int64_t v, int exp);

/* ---- documents (documents.c) and payments (payments.c) ---- */

/* An allocation's columns (alias al, joined to its document as d), named for Allocation. The
 * exchange difference is signed as a gain: a receivable settled for more base than it carried,
 * a payable for less. */
#define ACCOUNTING_ALLOCATION_COLUMNS                                                                    \
  "al.document_id, d.number AS document_number, al.payment_id, al.credit_note_id, al.amount AS amount_minor, " \
  "CASE WHEN d.kind = 'sales_invoice' THEN al.credit_base - al.doc_base ELSE al.doc_base - al.credit_base END " \
  "AS exchange_difference_minor, al.alloc_date::text AS date"

/* Reads document `id` with its lines, taxes and allocations (queued; decoded after a flush). */
typedef struct accounting_document_read {
  hub_rows *doc, *lines, *taxes, *allocations;
} accounting_document_read;
void accounting_document_queue(hub_tx *tx, const char *id, accounting_document_read *rd);
/* False when there is no such document. */
bool accounting_document_decode(const accounting_document_read *rd, Hub__Accounting__V1__Document *out);

/* ---- parties (parties.c) ---- */

/* Per currency what party $1 owes (_receivable) and is owed (_payable); columns _currency,
 * _receivable, _payable. */
extern const hub_pg_stmt accounting_party_balances_sql;
void accounting_party_fill_balances(hub_arena *a, const hub_rows *r, Hub__Accounting__V1__Party *party);

/* ---- reports (reports.c; cash_flow.c and ledger.c the statements of their own) ---- */

/* What a report reads, in one transaction: the books (_base), the chart (id, code, name, type,
 * parent_id, cash_flow, _by_code, _exp; by id) and one sum per (account_id, k, v) as
 * reports.c's REPORT_SUM describes its six parameters. */
typedef struct accounting_report_data {
  hub_rows *books, *chart, *values;
} accounting_report_data;
hub_status accounting_report_query(hub_call *call, const char *const params[6], bool from_postings, accounting_report_data *out);
/* The request's dates, comparison and dimension make sense together. */
hub_status accounting_report_check(hub_arena *a, const Hub__Accounting__V1__GetReportRequest *request);
/* "asset" -> ACCOUNT_TYPE_ASSET, ... (0 for none). */
int accounting_type_of(const char *t);
/* A zeroed row of `ncols` amounts. */
Hub__Accounting__V1__ReportRow *accounting_report_row(hub_arena *a, const char *name, int type, size_t ncols);
/* The row as CSV: code, name, then its amounts as decimals of exponent `exp`. */
void accounting_report_csv_row(accounting_text *t, hub_arena *a, const Hub__Accounting__V1__ReportRow *r, int exp);
hub_status accounting_cash_flow_report(hub_call *call, const Hub__Accounting__V1__GetReportRequest *request,
                                       Hub__Accounting__V1__Report *response);
hub_status accounting_general_ledger(hub_call *call, const Hub__Accounting__V1__GetReportRequest *request,
                                     Hub__Accounting__V1__Report *response);

/* ---- bank statements (bank_import.c, bank_match.c) ---- */

/* A bank line's columns (alias l, its account as a), named for BankLine. */
#define ACCOUNTING_BANK_LINE_COLUMNS                                                                          \
  "l.id, l.statement_id, a.code AS account_code, l.txn_date::text AS date, l.amount AS amount_minor, "         \
  "l.currency AS currency_code, l.description, l.reference, coalesce(l.external_id, '') AS external_id, "      \
  "l.entry_id IS NOT NULL AS matched, l.entry_id, coalesce(l.entry_line, 0) AS entry_line_no"
/* The account of `code` (NOT_FOUND naming account_code when none): _id, _type, _only (its one
 * currency or NULL), and the statement currency (`currency`, else the account's own, else the
 * base) as _currency with its exponent _exp. */
hub_status accounting_bank_account(hub_call *call, const char *code, const char *currency, hub_rows **out);
/* AutoMatchBankLines' one statement: $1 the account, $2 the window in days, $3 the actor; one row
 * (_id) per bank line it matched. */
extern const hub_pg_stmt accounting_bank_auto_sql;

/* ---- the expiry sweeper (expiry.c) ---- */

/* One pass: voids the pending entries past their expiry, across tenants, each in its own. */
hub_status accounting_expire_once(hub_pg *pg, hub_arena *a, int *voided);

#endif
