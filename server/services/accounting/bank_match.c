/* Reconciling bank lines with the books (migration 0016): SuggestMatches, MatchBankLine,
 * UnmatchBankLine, AutoMatchBankLines, PostBankLine and GetBankReconciliation. A bank line is
 * explained by one posted journal line on the same account, in the same currency, of the same
 * amount and direction (money in: a debit); one to one, held by unique keys. Candidates rank by
 * the entry's reference appearing in the bank's texts, then by days apart. Automatic matching
 * takes only the unambiguous: a bank line whose best candidate is unique and is no other bank
 * line's best too; everything else waits for a person. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/principal.h"
#include "services/accounting/accounting.h"

#define DEFAULT_WINDOW 5

/* The posted, unmatched lines that could explain bank line b, with their rank: $2 days either
 * side. Used for one bank line (SuggestMatches) and for all of an account's (auto). */
#define CANDIDATES(bank_filter)                                                                                \
  "SELECT b.id AS bank_id, l.entry_id, l.line_no, l.entry_date, coalesce(nullif(l.description, ''), e.description) AS description, " \
  "  e.reference, abs(l.entry_date - b.txn_date) AS days_apart, "                                             \
  "  (e.reference <> '' AND strpos(lower(b.description || ' ' || b.reference), lower(e.reference)) > 0) AS reference_match " \
  "FROM accounting_bank_lines b JOIN accounting_lines l ON l.tenant_id = b.tenant_id AND l.account_id = b.account_id "    \
  "  AND l.currency = b.currency AND l.amount = abs(b.amount) AND l.side = CASE WHEN b.amount > 0 THEN 'debit' ELSE 'credit' END " \
  "  AND l.entry_date BETWEEN b.txn_date - $2::int AND b.txn_date + $2::int "                                 \
  "JOIN accounting_entries e ON e.tenant_id = l.tenant_id AND e.id = l.entry_id AND e.status = 'posted' "    \
  "WHERE b.tenant_id = hub_current_tenant() AND " bank_filter " AND b.entry_id IS NULL "                     \
  "  AND NOT EXISTS (SELECT 1 FROM accounting_bank_lines m WHERE m.tenant_id = l.tenant_id AND m.entry_id = l.entry_id " \
  "    AND m.entry_line = l.line_no)"

static const hub_pg_stmt bank_line_sql = {
    "accounting_bank_line",
    "SELECT " ACCOUNTING_BANK_LINE_COLUMNS ", l.account_id::text AS _account FROM accounting_bank_lines l "
    "JOIN accounting_accounts a ON a.tenant_id = l.tenant_id AND a.id = l.account_id "
    "WHERE l.tenant_id = hub_current_tenant() AND l.id = $1::uuid",
    1};

static const hub_pg_stmt lock_line_sql = {
    "accounting_bank_line_lock",
    "SELECT l.entry_id::text AS _entry FROM accounting_bank_lines l WHERE l.tenant_id = hub_current_tenant() AND l.id = $1::uuid "
    "FOR UPDATE",
    1};

static const hub_pg_stmt suggest_sql = {
    "accounting_bank_suggest",
    "SELECT c.entry_id::text AS entry_id, c.line_no, c.entry_date::text AS date, c.description, c.reference, c.days_apart, "
    "c.reference_match FROM (" CANDIDATES("b.id = $1::uuid") ") c "
    "ORDER BY c.reference_match DESC, c.days_apart, c.entry_date, c.entry_id, c.line_no LIMIT 20",
    2};

/* The entry's lines that fit bank line $1 ($2 the entry): posted?, how many fit, the first that
 * fits and is not matched to another bank line. */
static const hub_pg_stmt fit_sql = {
    "accounting_bank_fit",
    "SELECT e.status AS _status, "
    "  (SELECT count(*) FROM accounting_lines l WHERE l.tenant_id = e.tenant_id AND l.entry_id = e.id AND l.account_id = b.account_id "
    "    AND l.currency = b.currency AND l.amount = abs(b.amount) AND l.side = CASE WHEN b.amount > 0 THEN 'debit' ELSE 'credit' END) AS _fits, "
    "  (SELECT min(l.line_no) FROM accounting_lines l WHERE l.tenant_id = e.tenant_id AND l.entry_id = e.id AND l.account_id = b.account_id "
    "    AND l.currency = b.currency AND l.amount = abs(b.amount) AND l.side = CASE WHEN b.amount > 0 THEN 'debit' ELSE 'credit' END "
    "    AND NOT EXISTS (SELECT 1 FROM accounting_bank_lines m WHERE m.tenant_id = l.tenant_id AND m.entry_id = l.entry_id "
    "      AND m.entry_line = l.line_no)) AS _line "
    "FROM accounting_bank_lines b JOIN accounting_entries e ON e.tenant_id = b.tenant_id AND e.id = $2::uuid "
    "WHERE b.tenant_id = hub_current_tenant() AND b.id = $1::uuid",
    2};

static const hub_pg_stmt set_match_sql = {
    "accounting_bank_set_match",
    "UPDATE accounting_bank_lines SET entry_id = $2::uuid, entry_line = $3::int, matched_by = $4::uuid, "
    "matched_at = CASE WHEN $2::uuid IS NULL THEN NULL ELSE now() END "
    "WHERE tenant_id = hub_current_tenant() AND id = $1::uuid RETURNING id",
    4};

/* Every unmatched bank line of account $1 whose best candidates are one line that is no other
 * bank line's best; set in the same statement. */
const hub_pg_stmt accounting_bank_auto_sql = {
    "accounting_bank_auto",
    "WITH c AS (" CANDIDATES("b.account_id = $1::uuid") "), "
    "r AS (SELECT c.*, dense_rank() OVER (PARTITION BY c.bank_id ORDER BY c.reference_match DESC, c.days_apart) AS k FROM c), "
    "best AS (SELECT * FROM r WHERE k = 1), "
    "pick AS (SELECT b1.* FROM best b1 WHERE (SELECT count(*) FROM best b2 WHERE b2.bank_id = b1.bank_id) = 1 "
    "  AND (SELECT count(*) FROM best b3 WHERE b3.entry_id = b1.entry_id AND b3.line_no = b1.line_no) = 1) "
    "UPDATE accounting_bank_lines x SET entry_id = p.entry_id, entry_line = p.line_no, matched_by = $3::uuid, matched_at = now() "
    "FROM pick p WHERE x.tenant_id = hub_current_tenant() AND x.id = p.bank_id AND x.entry_id IS NULL RETURNING x.id::text AS _id",
    3};

static const hub_pg_stmt lock_account_lines_sql = {
    "accounting_bank_lock_account",
    "SELECT count(*) AS _n FROM (SELECT 1 FROM accounting_bank_lines l WHERE l.tenant_id = hub_current_tenant() "
    "AND l.account_id = $1::uuid AND l.entry_id IS NULL FOR UPDATE) x",
    1};

static const hub_pg_stmt lines_by_id_sql = {
    "accounting_bank_lines_by_id",
    "SELECT " ACCOUNTING_BANK_LINE_COLUMNS " FROM accounting_bank_lines l JOIN accounting_accounts a "
    "ON a.tenant_id = l.tenant_id AND a.id = l.account_id WHERE l.tenant_id = hub_current_tenant() "
    "AND l.id IN (SELECT x::uuid FROM jsonb_array_elements_text($1::jsonb) x) ORDER BY l.txn_date, l.id",
    1};

static const hub_pg_stmt unmatched_count_sql = {
    "accounting_bank_unmatched",
    "SELECT count(*) AS _n FROM accounting_bank_lines l WHERE l.tenant_id = hub_current_tenant() AND l.account_id = $1::uuid "
    "AND l.entry_id IS NULL",
    1};

static const char *window_of(hub_arena *a, int32_t days) { return hub_arena_sprintf(a, "%d", days ? days : DEFAULT_WINDOW); }

static const char *actor(hub_call *call) {
  const hub_principal *p = hub_principal_of(call);
  return *p->user_id ? p->user_id : NULL;
}

/* ---- SuggestMatches ---- */

typedef struct suggest_ctx {
  const char *params[2];
  hub_rows *line, *candidates;
} suggest_ctx;

static hub_status suggest_fn(hub_tx *tx, void *ud) {
  suggest_ctx *c = ud;
  c->line = hub_tx_exec(tx, &bank_line_sql, c->params);
  c->candidates = hub_tx_exec(tx, &suggest_sql, c->params);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_suggest_matches(hub_call *call, const Hub__Accounting__V1__SuggestMatchesRequest *request,
                                                         Hub__Accounting__V1__SuggestMatchesResponse *response) {
  hub_arena *a = hub_call_arena(call);
  suggest_ctx c = {.params = {request->bank_line_id, window_of(a, request->window_days)}};
  hub_status st = hub_call_tx(call, suggest_fn, &c);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(c.line) != 1) return hub_status_new(a, HUB_NOT_FOUND, "bank_line_id: no such bank line");
  response->n_candidates = hub_rows_messages(c.candidates, &hub__accounting__v1__match_candidate__descriptor, -1,
                                             (void ***)&response->candidates);
  return HUB_STATUS_OK;
}

/* ---- MatchBankLine and UnmatchBankLine ---- */

typedef struct match_ctx {
  hub_call *call;
  const char *bank_line_id, *entry_id; /* entry_id NULL: unmatch */
  hub_rows *line;
} match_ctx;

static hub_status match_fn(hub_tx *tx, void *ud) {
  match_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *lock;
  hub_status st = hub_tx_query(tx, &lock_line_sql, (const char *[]){c->bank_line_id}, &lock);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(lock) != 1) return hub_status_new(a, HUB_NOT_FOUND, "bank_line_id: no such bank line");
  const char *now = hub_rows_text(lock, 0, "_entry");
  if (!c->entry_id) { /* unmatch: nothing to do when not matched */
    if (now) {
      hub_tx_exec(tx, &set_match_sql, (const char *[]){c->bank_line_id, NULL, NULL, NULL});
      accounting_record(tx, c->call, "accounting.bank_line_unmatched", c->bank_line_id, (const char *[]){"entry_id", now, NULL});
    }
  } else if (now) { /* matched already: the same entry is this request again */
    if (strcmp(now, c->entry_id))
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "bank_line_id: matched to entry %s; unmatch it first", now);
  } else {
    hub_rows *fit;
    st = hub_tx_query(tx, &fit_sql, (const char *[]){c->bank_line_id, c->entry_id}, &fit);
    if (!hub_ok(st)) return st;
    if (hub_rows_count(fit) != 1) return hub_status_new(a, HUB_NOT_FOUND, "entry_id: no such entry");
    if (strcmp(hub_rows_text(fit, 0, "_status"), "posted"))
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "entry_id: the entry is %s, not posted", hub_rows_text(fit, 0, "_status"));
    if (hub_rows_int(fit, 0, "_fits") == 0)
      return hub_status_new(a, HUB_FAILED_PRECONDITION,
                            "entry_id: no line of the entry has the bank line's account, currency, amount and direction");
    if (!hub_rows_text(fit, 0, "_line"))
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "entry_id: its line already explains another bank line");
    hub_tx_exec(tx, &set_match_sql, (const char *[]){c->bank_line_id, c->entry_id, hub_rows_text(fit, 0, "_line"), actor(c->call)});
    accounting_record(tx, c->call, "accounting.bank_line_matched", c->bank_line_id, (const char *[]){"entry_id", c->entry_id, NULL});
  }
  c->line = hub_tx_exec(tx, &bank_line_sql, (const char *[]){c->bank_line_id});
  return HUB_STATUS_OK;
}

static hub_status run_match(hub_call *call, const char *bank_line_id, const char *entry_id, Hub__Accounting__V1__BankLine *out) {
  hub_arena *a = hub_call_arena(call);
  match_ctx c = {.call = call, .bank_line_id = bank_line_id, .entry_id = entry_id};
  hub_status st = hub_call_tx(call, match_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS) /* a concurrent match took the book line first */
    return hub_status_new(a, HUB_ABORTED, "entry_id: its line was matched meanwhile; read the bank lines again");
  if (!hub_ok(st)) return st;
  hub_rows_decode(c.line, 0, &out->base);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_match_bank_line(hub_call *call, const Hub__Accounting__V1__MatchBankLineRequest *request,
                                                         Hub__Accounting__V1__BankLine *response) {
  return run_match(call, request->bank_line_id, request->entry_id, response);
}

hub_status hub_accounting_v1_accounting_unmatch_bank_line(hub_call *call,
                                                           const Hub__Accounting__V1__UnmatchBankLineRequest *request,
                                                           Hub__Accounting__V1__BankLine *response) {
  return run_match(call, request->bank_line_id, NULL, response);
}

/* ---- AutoMatchBankLines ---- */

typedef struct auto_ctx {
  hub_call *call;
  const char *account_id, *window;
  hub_rows *matched, *lines, *left;
} auto_ctx;

static hub_status auto_fn(hub_tx *tx, void *ud) {
  auto_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  /* The account's unmatched lines locked first, in one order: two runs queue, never deadlock. */
  hub_tx_exec(tx, &lock_account_lines_sql, (const char *[]){c->account_id});
  hub_status st = hub_tx_query(tx, &accounting_bank_auto_sql, (const char *[]){c->account_id, c->window, actor(c->call)}, &c->matched);
  if (!hub_ok(st)) return st;
  char *ids = hub_arena_strdup(a, "[");
  for (int i = 0; i < hub_rows_count(c->matched); i++)
    ids = hub_arena_sprintf(a, "%s%s\"%s\"", ids, i ? "," : "", hub_rows_text(c->matched, i, "_id"));
  ids = hub_arena_sprintf(a, "%s]", ids);
  c->lines = hub_tx_exec(tx, &lines_by_id_sql, (const char *[]){ids});
  c->left = hub_tx_exec(tx, &unmatched_count_sql, (const char *[]){c->account_id});
  if (hub_rows_count(c->matched))
    accounting_record(tx, c->call, "accounting.bank_lines_auto_matched", c->account_id,
                      (const char *[]){"matched", hub_arena_sprintf(a, "%d", hub_rows_count(c->matched)), NULL});
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_auto_match_bank_lines(hub_call *call,
                                                               const Hub__Accounting__V1__AutoMatchBankLinesRequest *request,
                                                               Hub__Accounting__V1__AutoMatchBankLinesResponse *response) {
  hub_arena *a = hub_call_arena(call);
  hub_rows *acct;
  hub_status st = accounting_bank_account(call, request->account_code, NULL, &acct);
  if (!hub_ok(st)) return st;
  auto_ctx c = {.call = call, .account_id = hub_rows_text(acct, 0, "_id"), .window = window_of(a, request->window_days)};
  st = hub_call_tx(call, auto_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS) return hub_status_new(a, HUB_ABORTED, "a book line was matched meanwhile; retry");
  if (!hub_ok(st)) return st;
  response->n_matched = hub_rows_messages(c.lines, &hub__accounting__v1__bank_line__descriptor, -1, (void ***)&response->matched);
  response->unmatched = (int32_t)hub_rows_int(c.left, 0, "_n");
  return HUB_STATUS_OK;
}

/* ---- PostBankLine ---- */

typedef struct post_ctx {
  hub_call *call;
  const Hub__Accounting__V1__PostBankLineRequest *req;
  hub_rows *line;
} post_ctx;

static const accounting_field_map post_fields[] = {
    {".lines[1]", "contra_account_code", false}, {".date", "bank_line_id", false}, {"", "bank_line_id", false}, {NULL, NULL, false}};

static hub_status post_fn(hub_tx *tx, void *ud) {
  post_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *lock, *line;
  const char *id = c->req->bank_line_id;
  hub_tx_exec(tx, &lock_line_sql, (const char *[]){id});
  hub_status st = hub_tx_query(tx, &bank_line_sql, (const char *[]){id}, &line);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(line) != 1) return hub_status_new(a, HUB_NOT_FOUND, "bank_line_id: no such bank line");
  Hub__Accounting__V1__BankLine bl = HUB__ACCOUNTING__V1__BANK_LINE__INIT;
  hub_rows_decode(line, 0, &bl.base);
  Hub__Accounting__V1__EntryInput in = HUB__ACCOUNTING__V1__ENTRY_INPUT__INIT;
  in.date = bl.date;
  in.description = *c->req->description ? c->req->description : *bl.description ? bl.description : "Bank transaction";
  in.reference = bl.reference;
  in.n_lines = 2;
  in.lines = hub_arena_alloc(a, 2 * sizeof *in.lines);
  bool in_money = bl.amount_minor > 0;
  for (int k = 0; k < 2; k++) {
    Hub__Accounting__V1__Line *l = hub_arena_alloc(a, sizeof *l);
    hub__accounting__v1__line__init(l);
    l->account_code = k == 0 ? bl.account_code : c->req->contra_account_code;
    l->side = (k == 0) == in_money ? HUB__ACCOUNTING__V1__SIDE__SIDE_DEBIT : HUB__ACCOUNTING__V1__SIDE__SIDE_CREDIT;
    l->amount_minor = in_money ? bl.amount_minor : -bl.amount_minor;
    l->currency_code = bl.currency_code;
    in.lines[k] = l;
  }
  /* Once per bank line: its id is the entry's source id, so a retry finds the entry it made. */
  hub_rows *post;
  st = hub_tx_query(tx, &accounting_post_sql,
                    (const char *[]){accounting_document_json(a, &in, "accounting.bank_line", id), "false"}, &post);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(post) != 1) return hub_status_new(a, HUB_INTERNAL, "accounting: no posting result");
  if (!strcmp(hub_rows_text(post, 0, "outcome"), "refused")) return accounting_refusal(a, post, 0, post_fields);
  const char *entry = hub_rows_text(post, 0, "id");
  if (bl.matched && strcmp(bl.entry_id, entry))
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "bank_line_id: matched to entry %s already", bl.entry_id);
  if (!bl.matched) {
    hub_tx_exec(tx, &set_match_sql, (const char *[]){id, entry, "0", actor(c->call)});
    accounting_record(tx, c->call, "accounting.bank_line_matched", id, (const char *[]){"entry_id", entry, "posted", "true", NULL});
  }
  c->line = hub_tx_exec(tx, &bank_line_sql, (const char *[]){id});
  (void)lock;
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_post_bank_line(hub_call *call, const Hub__Accounting__V1__PostBankLineRequest *request,
                                                        Hub__Accounting__V1__BankLine *response) {
  post_ctx c = {.call = call, .req = request};
  hub_status st = hub_call_tx(call, post_fn, &c);
  if (!hub_ok(st)) return st;
  hub_rows_decode(c.line, 0, &response->base);
  return HUB_STATUS_OK;
}

/* ---- GetBankReconciliation ---- */

/* At the end of day $2 on account $1 in currency $3: a bank line is the bank's alone unless
 * matched to a book line dated on or before the day, and a book line (since the account's first
 * bank line) the books' alone unless matched to a bank line dated on or before it. */
static const hub_pg_stmt book_balance_sql = {
    "accounting_bank_book_balance",
    "SELECT coalesce(sum(y.debits - y.credits), 0) AS _v, "
    "(SELECT min(b.txn_date)::text FROM accounting_bank_lines b WHERE b.tenant_id = hub_current_tenant() AND b.account_id = $1::uuid "
    "  AND b.currency = $3) AS _first "
    "FROM accounting_daily y WHERE y.tenant_id = hub_current_tenant() AND y.account_id = $1::uuid AND y.currency = $3 "
    "AND y.day <= $2::date",
    3};

static const hub_pg_stmt bank_only_sql = {
    "accounting_bank_only",
    "SELECT " ACCOUNTING_BANK_LINE_COLUMNS ", sum(l.amount) OVER () AS _sum, count(*) OVER () AS _n "
    "FROM accounting_bank_lines l JOIN accounting_accounts a ON a.tenant_id = l.tenant_id AND a.id = l.account_id "
    "LEFT JOIN accounting_lines bk ON bk.tenant_id = l.tenant_id AND bk.entry_id = l.entry_id AND bk.line_no = l.entry_line "
    "WHERE l.tenant_id = hub_current_tenant() AND l.account_id = $1::uuid AND l.currency = $3 AND l.txn_date <= $2::date "
    "AND (l.entry_id IS NULL OR bk.entry_date > $2::date) ORDER BY l.txn_date, l.id LIMIT 1000",
    3};

static const hub_pg_stmt books_only_sql = {
    "accounting_books_only",
    "SELECT l.entry_id::text AS entry_id, l.line_no, l.entry_date::text AS date, "
    "coalesce(nullif(l.description, ''), e.description) AS description, e.reference, "
    "CASE WHEN l.side = 'debit' THEN l.amount ELSE -l.amount END AS amount_minor, "
    "sum(CASE WHEN l.side = 'debit' THEN l.amount ELSE -l.amount END) OVER () AS _sum, count(*) OVER () AS _n "
    "FROM accounting_lines l JOIN accounting_entries e ON e.tenant_id = l.tenant_id AND e.id = l.entry_id "
    "WHERE l.tenant_id = hub_current_tenant() AND l.account_id = $1::uuid AND l.currency = $3 AND e.status = 'posted' "
    "AND l.amount > 0 AND l.entry_date BETWEEN $4::date AND $2::date "
    "AND NOT EXISTS (SELECT 1 FROM accounting_bank_lines m WHERE m.tenant_id = l.tenant_id AND m.entry_id = l.entry_id "
    "  AND m.entry_line = l.line_no AND m.txn_date <= $2::date) "
    "ORDER BY l.entry_date, l.entry_id, l.line_no LIMIT 1000",
    4};

static const hub_pg_stmt statement_balance_sql = {
    "accounting_bank_statement_balance",
    "SELECT s.closing_balance AS _v, s.closing_date::text AS _d FROM accounting_bank_statements s "
    "WHERE s.tenant_id = hub_current_tenant() AND s.account_id = $1::uuid AND s.currency = $3 AND s.closing_date = $2::date "
    "ORDER BY s.created_at DESC LIMIT 1",
    3};

typedef struct recon_ctx {
  const char *params[4];
  hub_rows *balance, *bank, *books, *statement;
} recon_ctx;

static hub_status recon_fn(hub_tx *tx, void *ud) {
  recon_ctx *c = ud;
  hub_status st = hub_tx_query(tx, &book_balance_sql, c->params, &c->balance);
  if (!hub_ok(st)) return st;
  c->params[3] = hub_rows_text(c->balance, 0, "_first") ? hub_rows_text(c->balance, 0, "_first") : c->params[1];
  c->bank = hub_tx_exec(tx, &bank_only_sql, c->params);
  c->books = hub_tx_exec(tx, &books_only_sql, c->params);
  c->statement = hub_tx_exec(tx, &statement_balance_sql, c->params);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_get_bank_reconciliation(hub_call *call,
                                                                 const Hub__Accounting__V1__GetBankReconciliationRequest *request,
                                                                 Hub__Accounting__V1__BankReconciliation *response) {
  hub_rows *acct;
  hub_status st = accounting_bank_account(call, request->account_code, hub_sql_opt(request->currency_code), &acct);
  if (!hub_ok(st)) return st;
  recon_ctx c = {.params = {hub_rows_text(acct, 0, "_id"), request->as_of_date, hub_rows_text(acct, 0, "_currency"), NULL}};
  st = hub_call_tx(call, recon_fn, &c);
  if (!hub_ok(st)) return st;
  Hub__Accounting__V1__BankReconciliation *r = response;
  r->account_code = request->account_code, r->as_of_date = request->as_of_date;
  r->currency_code = (char *)c.params[2];
  r->book_balance_minor = hub_rows_int(c.balance, 0, "_v");
  r->n_bank_only = hub_rows_messages(c.bank, &hub__accounting__v1__bank_line__descriptor, -1, (void ***)&r->bank_only);
  r->n_books_only = hub_rows_messages(c.books, &hub__accounting__v1__book_line__descriptor, -1, (void ***)&r->books_only);
  r->bank_only_minor = hub_rows_count(c.bank) ? hub_rows_int(c.bank, 0, "_sum") : 0;
  r->books_only_minor = hub_rows_count(c.books) ? hub_rows_int(c.books, 0, "_sum") : 0;
  r->truncated = (hub_rows_count(c.bank) && hub_rows_int(c.bank, 0, "_n") > hub_rows_count(c.bank)) ||
                 (hub_rows_count(c.books) && hub_rows_int(c.books, 0, "_n") > hub_rows_count(c.books));
  r->bank_balance_minor = r->book_balance_minor - r->books_only_minor + r->bank_only_minor;
  if (hub_rows_count(c.statement)) {
    r->has_statement_balance = true;
    r->statement_balance_minor = hub_rows_int(c.statement, 0, "_v");
    r->statement_date = (char *)hub_rows_text(c.statement, 0, "_d");
    r->difference_minor = r->statement_balance_minor - r->bank_balance_minor;
  }
  return HUB_STATUS_OK;
}
