/* Internals shared by the Accounting service's files. Handlers live in one file per group of RPCs
 * (accounts.c: the chart; entries.c: posting and the journal; balances.c: balances now and at a
 * past date); SQL sits next to the code that uses it. What keeps the books balanced lives in
 * the database (migration 0010: accounting_post and its triggers), so every path that posts,
 * api.h included, goes through it. Other services reach Accounting only through api.h. */
#ifndef HUB_SERVICES_ACCOUNTING_H
#define HUB_SERVICES_ACCOUNTING_H

#include "aip/paging.h"
#include "db/call.h"
#include "hub/accounting/v1/accounting.hub-server.h"
#include "hub/uuid.h"

/* ---- accounts (accounts.c) ---- */

/* The columns every read of an account selects, each named for a field of Account (db/tx.h
 * decodes rows by name), from the table accounting_accounts (alias x). */
#define ACCOUNTING_ACCOUNT_COLUMNS                                                                           \
  "x.id, x.code, x.name, x.type, x.normal_side, x.parent_id, x.currency AS currency_code, x.description, "   \
  "x.archived, x.min_balance AS \"min_balance.amount_minor\", x.max_balance AS \"max_balance.amount_minor\", " \
  "x.version, x.created_at AS create_time"

/* ---- posting (post.c) ---- */

/* The result of accounting_post_checked for a batch (JSON array of entries as the migration
 * describes it): one row per entry, columns i, id, seq, outcome, code, field, message. */
hub_status accounting_post_json(hub_tx *tx, const char *entries_json, bool each, hub_rows **out);

/* A refusal row of accounting_post_checked as a status: its code, field and message. `prefix`
 * rewrites the field's "entries[N]" ("entry" for PostEntry). */
hub_status accounting_refusal(hub_arena *a, const hub_rows *r, int row, const char *prefix);

/* The JSON array of `n` entries (as accounting_post takes them). */
char *accounting_entries_json(hub_arena *a, Hub__Accounting__V1__EntryInput *const *entries, size_t n);

/* ---- entries (entries.c) ---- */

/* Reads entry `id` with its lines into `out` (one queued statement pair; decoded after flush). */
typedef struct accounting_entry_read {
  hub_rows *entry, *lines;
} accounting_entry_read;
void accounting_entry_queue(hub_tx *tx, const char *id, accounting_entry_read *rd);
/* False when the entry does not exist. */
bool accounting_entry_decode(hub_arena *a, const accounting_entry_read *rd, Hub__Accounting__V1__Entry *out);

#endif
