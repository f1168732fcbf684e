/* ImportBankStatement and ListBankLines (migration 0016). A file is parsed outside any
 * transaction (bank_csv.c, bank_ofx.c), then one transaction stores the statement and the lines
 * the account does not have yet. A line is known by the bank's transaction id, or without one by
 * a hash of its day, amount, texts and how many identical lines came before it in the file (two
 * coffees of 3.50 on one day are two lines; the same statement again adds neither). The same
 * file again (by its SHA-256) answers its first import. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/random.h"
#include "hub/enum_text.h"
#include "identity/principal.h"
#include "services/accounting/accounting.h"
#include "services/accounting/api.h"
#include "services/accounting/bank_parse.h"

/* The account by code, its currency, the base and the exponent of the statement's currency ($2,
 * else the account's, else the base). */
static const hub_pg_stmt account_sql = {
    "accounting_bank_account",
    "SELECT a.id::text AS _id, a.type AS _type, coalesce($2, a.currency, b.base_currency) AS _currency, a.currency AS _only, "
    "accounting_exponent(coalesce($2, a.currency, b.base_currency)) AS _exp "
    "FROM accounting_books b LEFT JOIN accounting_accounts a ON a.tenant_id = b.tenant_id AND a.code = $1 "
    "WHERE b.tenant_id = hub_current_tenant()",
    2};

typedef struct account_ctx {
  const char *params[2];
  hub_rows *rows;
} account_ctx;

/* The books first (made on first use), then the account: a statement does not see rows the
 * function it calls inserted, so the two are two statements. */
static hub_status account_fn(hub_tx *tx, void *ud) {
  account_ctx *c = ud;
  accounting_books_queue(tx);
  c->rows = hub_tx_exec(tx, &account_sql, c->params);
  return HUB_STATUS_OK;
}

hub_status accounting_bank_account(hub_call *call, const char *code, const char *currency, hub_rows **out) {
  account_ctx c = {.params = {code, currency}};
  hub_status st = hub_call_tx(call, account_fn, &c);
  if (!hub_ok(st)) return st;
  if (!hub_rows_text(c.rows, 0, "_id")) return hub_status_new(hub_call_arena(call), HUB_NOT_FOUND, "account_code: no such account");
  *out = c.rows;
  return HUB_STATUS_OK;
}

static const hub_pg_stmt exponent_sql = {"accounting_bank_exponent", "SELECT accounting_exponent($1) AS _exp", 1};

static const hub_pg_stmt existing_sql = {
    "accounting_bank_existing",
    "SELECT s.id::text AS _id FROM accounting_bank_statements s WHERE s.tenant_id = hub_current_tenant() "
    "AND ((s.account_id = $1::uuid AND s.file_sha256 = $2) OR s.request_id = $3::uuid) LIMIT 1",
    3};

#define STATEMENT_COLUMNS                                                                                    \
  "s.id, a.code AS account_code, s.format, s.currency AS currency_code, coalesce(s.first_date::text, '') AS first_date, " \
  "coalesce(s.last_date::text, '') AS last_date, s.lines_imported, s.lines_skipped, "                         \
  "s.closing_balance IS NOT NULL AS has_closing_balance, coalesce(s.closing_balance, 0) AS closing_balance_minor, " \
  "coalesce(s.closing_date::text, '') AS closing_date, s.created_at AS create_time"

static const hub_pg_stmt get_statement_sql = {
    "accounting_bank_statement",
    "SELECT " STATEMENT_COLUMNS " FROM accounting_bank_statements s JOIN accounting_accounts a "
    "ON a.tenant_id = s.tenant_id AND a.id = s.account_id WHERE s.tenant_id = hub_current_tenant() AND s.id = $1::uuid",
    1};

/* $1 id, $2 account, $3 format, $4 sha, $5 currency, $6 first, $7 last, $8 lines (JSON),
 * $9 closing balance, $10 its day, $11 request_id, $12 actor. */
static const hub_pg_stmt insert_sql = {
    "accounting_bank_import",
    "WITH x AS (SELECT * FROM jsonb_to_recordset($8::jsonb) AS x(n int, d date, amount bigint, description text, "
    "  reference text, external_id text, fp text)), "
    "ins AS (INSERT INTO accounting_bank_lines (tenant_id, statement_id, account_id, line_no, txn_date, amount, currency, "
    "  description, reference, external_id, fingerprint) "
    "  SELECT hub_current_tenant(), $1::uuid, $2::uuid, x.n, x.d, x.amount, $5, x.description, x.reference, "
    "    nullif(x.external_id, ''), x.fp FROM x ORDER BY x.n "
    "  ON CONFLICT (tenant_id, account_id, fingerprint) DO NOTHING RETURNING 1) "
    "INSERT INTO accounting_bank_statements (tenant_id, id, account_id, format, file_sha256, currency, first_date, last_date, "
    "  lines_imported, lines_skipped, closing_balance, closing_date, request_id, created_by) "
    "SELECT hub_current_tenant(), $1::uuid, $2::uuid, $3, $4, $5, $6::date, $7::date, (SELECT count(*) FROM ins), "
    "  (SELECT count(*) FROM x) - (SELECT count(*) FROM ins), $9::bigint, $10::date, $11::uuid, $12::uuid "
    "RETURNING id",
    12};

static const hub_pg_stmt new_id_sql = {"accounting_bank_new_id", "SELECT hub_uuid_v7()::text AS _id", 0};

/* What a parsed file becomes: its lines as the insert takes them, and its facts. */
typedef struct prepared {
  const char *currency, *sha, *lines_json, *first, *last, *closing, *closing_date;
} prepared;

/* The statement stored (or, the same file or request_id again, the one stored before): its id. */
static hub_status store(hub_tx *tx, const prepared *f, const char *account_id, const char *format, const char *request_id,
                        const char *actor, const char **id, bool *created) {
  hub_rows *ex, *fresh;
  hub_status st = hub_tx_query(tx, &existing_sql, (const char *[]){account_id, f->sha, request_id}, &ex);
  if (!hub_ok(st)) return st;
  *created = hub_rows_count(ex) == 0;
  if (!*created) {
    *id = hub_rows_text(ex, 0, "_id");
    return HUB_STATUS_OK;
  }
  st = hub_tx_query(tx, &new_id_sql, NULL, &fresh);
  if (!hub_ok(st)) return st;
  *id = hub_rows_text(fresh, 0, "_id");
  hub_tx_exec(tx, &insert_sql,
              (const char *[]){*id, account_id, format, f->sha, f->currency, f->first, f->last, f->lines_json, f->closing,
                               f->closing_date, request_id, actor});
  return HUB_STATUS_OK;
}

typedef struct import_ctx {
  hub_call *call;
  const Hub__Accounting__V1__ImportBankStatementRequest *req;
  const char *account_id;
  prepared f;
  hub_rows *statement;
} import_ctx;

static hub_status import_fn(hub_tx *tx, void *ud) {
  import_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  const hub_principal *p = hub_principal_of(c->call);
  const char *format = hub_enum_to_text(a, &hub__accounting__v1__bank_format__descriptor, (int)c->req->format), *id;
  bool created;
  hub_status st = store(tx, &c->f, c->account_id, format, hub_sql_opt(c->req->request_id), *p->user_id ? p->user_id : NULL,
                        &id, &created);
  if (!hub_ok(st)) return st;
  if (created)
    accounting_record(tx, c->call, "accounting.bank_statement_imported", id,
                      (const char *[]){"account_code", c->req->account_code, "format", format, NULL});
  c->statement = hub_tx_exec(tx, &get_statement_sql, (const char *[]){id});
  return HUB_STATUS_OK;
}

/* Rows in the order of their content (day, amount, texts), the file's order among equals: runs
 * of identical lines are then adjacent, and each one's place in its run is its occurrence. */
static int by_content(const void *x, const void *y, void *ud) {
  const accounting_bank_parsed *p = ud;
  size_t i = *(const size_t *)x, j = *(const size_t *)y;
  const accounting_bank_row *a = &p->rows[i], *b = &p->rows[j];
  int c = strcmp(a->date, b->date);
  if (!c) c = (a->amount > b->amount) - (a->amount < b->amount);
  if (!c) c = strcmp(a->description, b->description);
  if (!c) c = strcmp(a->reference, b->reference);
  return c ? c : (i > j) - (i < j);
}

/* Each row's occurrence among the identical rows before it in the file, in O(n log n). */
static int *occurrences(hub_arena *a, const accounting_bank_parsed *p) {
  size_t *order = hub_arena_alloc(a, (p->n ? p->n : 1) * sizeof *order);
  int *k = hub_arena_alloc(a, (p->n ? p->n : 1) * sizeof *k);
  for (size_t i = 0; i < p->n; i++) order[i] = i;
  qsort_r(order, p->n, sizeof *order, by_content, (void *)p);
  for (size_t i = 0; i < p->n; i++) {
    const accounting_bank_row *r = &p->rows[order[i]], *prev = i ? &p->rows[order[i - 1]] : NULL;
    bool same = prev && prev->amount == r->amount && !strcmp(prev->date, r->date) &&
                !strcmp(prev->description, r->description) && !strcmp(prev->reference, r->reference);
    k[order[i]] = same ? k[order[i - 1]] + 1 : 0;
  }
  return k;
}

/* "id:<the bank's id>", or "h:" and the SHA-256 of the line and its occurrence in the file. */
static json_t *lines_json(hub_arena *a, const accounting_bank_parsed *p) {
  json_t *arr = json_array();
  int *k = occurrences(a, p);
  for (size_t i = 0; i < p->n; i++) {
    const accounting_bank_row *r = &p->rows[i];
    const char *fp = *r->external_id ? hub_arena_sprintf(a, "id:%s", r->external_id)
                                     : hub_arena_sprintf(a, "h:%s", hub_sha256_hex(a, hub_arena_sprintf(a, "%s|%lld|%s|%s|%d", r->date,
                                                                                                        (long long)r->amount, r->description,
                                                                                                        r->reference, k[i])));
    json_array_append_new(arr, json_pack("{s:i, s:s, s:I, s:s, s:s, s:s, s:s}", "n", (int)i, "d", r->date, "amount",
                                         (json_int_t)r->amount, "description", r->description, "reference", r->reference,
                                         "external_id", r->external_id, "fp", fp));
  }
  return arr;
}

/* The exponent of a currency the file names (OFX), read in the caller's way. */
typedef hub_status (*exponent_fn)(void *ud, const char *currency, int *exp);

static hub_status call_exponent(void *ud, const char *currency, int *exp) {
  hub_rows *e;
  hub_status st = hub_call_query(ud, &exponent_sql, (const char *[]){currency}, &e);
  if (hub_ok(st)) *exp = (int)hub_rows_int(e, 0, "_exp");
  return st;
}

static hub_status tx_exponent(void *ud, const char *currency, int *exp) {
  hub_rows *e;
  hub_status st = hub_tx_query(ud, &exponent_sql, (const char *[]){currency}, &e);
  if (hub_ok(st)) *exp = (int)hub_rows_int(e, 0, "_exp");
  return st;
}

/* The file parsed for account `acct` (accounting_bank_account's row) into what store() takes. */
static hub_status prepare(hub_arena *a, hub_rows *acct, bool ofx, const char *content, const Hub__Accounting__V1__CsvColumns *csv,
                          const char *currency_code, exponent_fn exponent, void *ud, prepared *f) {
  const char *currency = hub_rows_text(acct, 0, "_currency");
  int exp = (int)hub_rows_int(acct, 0, "_exp");
  accounting_bank_parsed parsed;
  hub_status st = ofx ? accounting_bank_parse_ofx(a, content, &parsed) : accounting_bank_parse_csv(a, content, csv, exp, &parsed);
  if (!hub_ok(st)) return st;
  if (ofx) { /* the file's currency rules; its amounts become minor units of it */
    if (parsed.currency && currency_code && *currency_code && strcmp(parsed.currency, currency_code))
      return hub_status_invalid(a, "currency_code", "the file is in %s", parsed.currency);
    if (parsed.currency && strcmp(parsed.currency, currency)) {
      st = exponent(ud, parsed.currency, &exp);
      if (!hub_ok(st)) return st;
      currency = parsed.currency;
    }
    if (!accounting_bank_ofx_scale(&parsed, exp)) return hub_status_invalid(a, "content", "an amount out of range");
  }
  const char *only = hub_rows_text(acct, 0, "_only");
  if (only && strcmp(only, currency))
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "account_code: the account keeps %s only; the statement is in %s", only,
                          currency);
  if (parsed.n == 0) return hub_status_invalid(a, "content", "no transactions");
  *f = (prepared){.currency = currency, .sha = hub_sha256_hex(a, content), .first = parsed.rows[0].date, .last = parsed.rows[0].date};
  for (size_t i = 1; i < parsed.n; i++) {
    if (strcmp(parsed.rows[i].date, f->first) < 0) f->first = parsed.rows[i].date;
    if (strcmp(parsed.rows[i].date, f->last) > 0) f->last = parsed.rows[i].date;
  }
  if (parsed.has_closing)
    f->closing = hub_arena_sprintf(a, "%lld", (long long)parsed.closing), f->closing_date = hub_arena_strdup(a, parsed.closing_date);
  json_t *arr = lines_json(a, &parsed);
  char *text = json_dumps(arr, JSON_COMPACT);
  json_decref(arr);
  f->lines_json = hub_arena_strdup(a, text ? text : "[]");
  free(text);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_import_bank_statement(hub_call *call,
                                                               const Hub__Accounting__V1__ImportBankStatementRequest *request,
                                                               Hub__Accounting__V1__BankStatement *response) {
  hub_arena *a = hub_call_arena(call);
  bool ofx = request->format == HUB__ACCOUNTING__V1__BANK_FORMAT__BANK_FORMAT_OFX;
  if (ofx && request->csv) return hub_status_invalid(a, "csv", "only for a CSV file");
  hub_rows *acct;
  hub_status st = accounting_bank_account(call, request->account_code, hub_sql_opt(request->currency_code), &acct);
  if (!hub_ok(st)) return st;
  if (strcmp(hub_rows_text(acct, 0, "_type"), "asset") && strcmp(hub_rows_text(acct, 0, "_type"), "liability"))
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "account_code: a bank account is an asset (or a liability: a card)");
  import_ctx c = {.call = call, .req = request, .account_id = hub_rows_text(acct, 0, "_id")};
  st = prepare(a, acct, ofx, request->content, request->csv, request->currency_code, call_exponent, call, &c.f);
  if (!hub_ok(st)) return st;
  st = hub_call_tx(call, import_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS) /* a concurrent import of the same file or request */
    return hub_status_new(a, HUB_ABORTED, "the same statement is being imported; retry");
  if (!hub_ok(st)) return st;
  if (hub_rows_count(c.statement) != 1) return hub_status_new(a, HUB_INTERNAL, "accounting: the statement was not read back");
  hub_rows_decode(c.statement, 0, &response->base);
  return HUB_STATUS_OK;
}

/* ---- api.h ---- */

hub_status hub_accounting_bank_import(hub_tx *tx, const char *account_code, bool ofx, const char *content,
                                      const Hub__Accounting__V1__CsvColumns *csv, int *imported, int *matched) {
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *acct, *stmt, *auto_matched;
  accounting_books_queue(tx);
  hub_status st = hub_tx_query(tx, &account_sql, (const char *[]){account_code, NULL}, &acct);
  if (!hub_ok(st)) return st;
  if (!hub_rows_text(acct, 0, "_id")) return hub_status_new(a, HUB_NOT_FOUND, "account_code: no such account");
  if (strcmp(hub_rows_text(acct, 0, "_type"), "asset") && strcmp(hub_rows_text(acct, 0, "_type"), "liability"))
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "account_code: a bank account is an asset (or a liability: a card)");
  prepared f;
  st = prepare(a, acct, ofx, content, csv, NULL, tx_exponent, tx, &f);
  const char *id;
  bool created;
  if (hub_ok(st)) st = store(tx, &f, hub_rows_text(acct, 0, "_id"), ofx ? "ofx" : "csv", NULL, NULL, &id, &created);
  if (!hub_ok(st)) return st;
  st = hub_tx_query(tx, &get_statement_sql, (const char *[]){id}, &stmt);
  if (!hub_ok(st)) return st;
  st = hub_tx_query(tx, &accounting_bank_auto_sql, (const char *[]){hub_rows_text(acct, 0, "_id"), "5", NULL}, &auto_matched);
  if (!hub_ok(st)) return st;
  if (imported) *imported = created ? (int)hub_rows_int(stmt, 0, "lines_imported") : 0;
  if (matched) *matched = hub_rows_count(auto_matched);
  return HUB_STATUS_OK;
}

/* ---- ListBankLines ---- */

static const hub_pg_stmt list_sql = {
    "accounting_bank_lines_list",
    "SELECT " ACCOUNTING_BANK_LINE_COLUMNS " FROM accounting_bank_lines l JOIN accounting_accounts a "
    "ON a.tenant_id = l.tenant_id AND a.id = l.account_id WHERE l.tenant_id = hub_current_tenant() AND a.code = $1 "
    "AND ($2::text IS NULL OR (l.txn_date, l.id) < ($2::date, $3::uuid)) "
    "AND ($4::int = 0 OR ($4::int = 1) = (l.entry_id IS NULL)) ORDER BY l.txn_date DESC, l.id DESC LIMIT $5::int + 1",
    5};

hub_status hub_accounting_v1_accounting_list_bank_lines(hub_call *call, const Hub__Accounting__V1__ListBankLinesRequest *request,
                                                        Hub__Accounting__V1__ListBankLinesResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *after_id = NULL, *after_date = NULL;
  if (*request->page_token &&
      (!hub_page_token_parse(a, request->page_token, &after_id, &after_date) || !hub_uuid_normalize(after_id)))
    return hub_status_invalid(a, "page_token", "not a token from this list");
  hub_rows *acct, *rows;
  st = accounting_bank_account(call, request->account_code, NULL, &acct);
  if (!hub_ok(st)) return st;
  const char *p[] = {request->account_code, after_date, after_id, hub_arena_sprintf(a, "%d", (int)request->state),
                     hub_arena_sprintf(a, "%d", limit)};
  st = hub_call_query(call, &list_sql, p, &rows);
  if (!hub_ok(st)) return st;
  response->n_lines = hub_rows_messages(rows, &hub__accounting__v1__bank_line__descriptor, limit, (void ***)&response->lines);
  char *next = NULL;
  if (hub_rows_count(rows) > limit) {
    const Hub__Accounting__V1__BankLine *last = response->lines[limit - 1];
    next = hub_page_token(a, last->id, last->date);
  }
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}
