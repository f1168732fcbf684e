/* The chart of accounts: CreateAccount (idempotent by request_id), GetAccount (by id or code,
 * with current balances), ListAccounts (keyset pages by code) and UpdateAccount (field mask,
 * optimistic version). The tenant's books and the generic SMB chart are made on first use by
 * accounting_open_books() (migration 0010), which every statement here calls first. */
#include <stdio.h>
#include <string.h>

#include "aip/fields.h"
#include "hub/enum_text.h"
#include "services/accounting/accounting.h"

/* The row, or (same request_id again) the one the first request made. A concurrent twin answers
 * no row: ABORTED, and the caller's retry finds the row. */
static const hub_pg_stmt create_sql = {
    "accounting_create_account",
    "WITH ins AS (INSERT INTO accounting_accounts AS x (tenant_id, code, name, type, normal_side, parent_id, currency, "
    "  description, min_balance, max_balance, request_id, cash_flow) "
    "  SELECT hub_current_tenant(), $1, $2, $3, coalesce($4, CASE WHEN $3 IN ('asset', 'expense') THEN 'debit' ELSE 'credit' END), "
    "    $5::uuid, $6, $7, $8::bigint, $9::bigint, $10::uuid, $11 "
    "  ON CONFLICT (tenant_id, request_id) WHERE request_id IS NOT NULL DO NOTHING "
    "  RETURNING " ACCOUNTING_ACCOUNT_COLUMNS ") "
    "SELECT * FROM ins UNION ALL "
    "SELECT " ACCOUNTING_ACCOUNT_COLUMNS " FROM accounting_accounts x "
    "WHERE x.tenant_id = hub_current_tenant() AND x.request_id = $10::uuid AND NOT EXISTS (SELECT 1 FROM ins)",
    11};

static const hub_pg_stmt get_sql = {
    "accounting_get_account",
    "SELECT " ACCOUNTING_ACCOUNT_COLUMNS " FROM accounting_accounts x WHERE x.tenant_id = hub_current_tenant() "
    "AND (x.id = $1::uuid OR ($1 IS NULL AND x.code = $2))", 2};

static const hub_pg_stmt balances_sql = {
    "accounting_account_balances",
    "SELECT x.account_id, a.code AS account_code, x.currency AS currency_code, x.debits_posted AS debits_minor, "
    "x.credits_posted AS credits_minor, "
    "CASE WHEN a.normal_side = 'debit' THEN x.debits_posted - x.credits_posted ELSE x.credits_posted - x.debits_posted END AS balance_minor, "
    "x.debits_pending AS pending_debits_minor, x.credits_pending AS pending_credits_minor, "
    "CASE WHEN a.normal_side = 'debit' THEN x.base_debits - x.base_credits ELSE x.base_credits - x.base_debits END AS base_balance_minor "
    "FROM accounting_balances x JOIN accounting_accounts a ON a.tenant_id = x.tenant_id AND a.id = x.account_id "
    "WHERE x.tenant_id = hub_current_tenant() AND (a.id = $1::uuid OR ($1 IS NULL AND a.code = $2)) ORDER BY x.currency",
    2};

/* One row more than the page, to know whether another page follows. */
static const hub_pg_stmt list_sql = {
    "accounting_list_accounts",
    "SELECT " ACCOUNTING_ACCOUNT_COLUMNS " FROM accounting_accounts x WHERE x.tenant_id = hub_current_tenant() "
    "AND ($1::text IS NULL OR x.code > $1) AND ($3::text IS NULL OR x.type = $3) AND ($4 OR NOT x.archived) "
    "ORDER BY x.code LIMIT $2::int + 1",
    4};

/* $2 is the mask's bits: 1 name, 2 description, 4 parent_id, 8 archived, 16 min, 32 max, 64 cash_flow.
 * Refused (no row) when the version moved; the caller tells NOT_FOUND from ABORTED by _found. */
static const hub_pg_stmt update_sql = {
    "accounting_update_account",
    "WITH u AS (UPDATE accounting_accounts x SET "
    "  name = CASE WHEN $2::int & 1 <> 0 THEN $3 ELSE x.name END, "
    "  description = CASE WHEN $2::int & 2 <> 0 THEN $4 ELSE x.description END, "
    "  parent_id = CASE WHEN $2::int & 4 <> 0 THEN $5::uuid ELSE x.parent_id END, "
    "  archived = CASE WHEN $2::int & 8 <> 0 THEN $6::boolean ELSE x.archived END, "
    "  min_balance = CASE WHEN $2::int & 16 <> 0 THEN $7::bigint ELSE x.min_balance END, "
    "  max_balance = CASE WHEN $2::int & 32 <> 0 THEN $8::bigint ELSE x.max_balance END, "
    "  cash_flow = CASE WHEN $2::int & 64 <> 0 THEN $10 ELSE x.cash_flow END, "
    "  version = x.version + 1, updated_at = now() "
    "  WHERE x.tenant_id = hub_current_tenant() AND x.id = $1::uuid AND x.version = $9::bigint "
    "  RETURNING " ACCOUNTING_ACCOUNT_COLUMNS ") "
    "SELECT *, true AS _found FROM u UNION ALL "
    "SELECT " ACCOUNTING_ACCOUNT_COLUMNS ", true FROM accounting_accounts x "
    "WHERE x.tenant_id = hub_current_tenant() AND x.id = $1::uuid AND NOT EXISTS (SELECT 1 FROM u)",
    10};

/* A parent must not be the account itself or one of its descendants (no cycles). */
static const hub_pg_stmt cycle_sql = {
    "accounting_parent_cycle",
    "WITH RECURSIVE up AS (SELECT p.id, p.parent_id, 1 AS depth FROM accounting_accounts p "
    "  WHERE p.tenant_id = hub_current_tenant() AND p.id = $2::uuid "
    "  UNION ALL SELECT p.id, p.parent_id, up.depth + 1 FROM accounting_accounts p JOIN up ON p.id = up.parent_id "
    "  WHERE p.tenant_id = hub_current_tenant() AND up.depth < 64) "
    "SELECT count(*) FILTER (WHERE id = $1::uuid) AS _cycle, count(*) AS _found FROM up",
    2};

static const hub_pg_stmt books_sql = {"accounting_open_books",
                                      "SELECT (accounting_open_books()).base_currency AS _base", 0};

hub_rows *accounting_books_queue(hub_tx *tx) { return hub_tx_exec(tx, &books_sql, NULL); }

/* The body of CreateAccount and ListAccounts: the books, then one statement. */
typedef struct books_then {
  const hub_pg_stmt *stmt;
  const char *const *params;
  hub_rows *rows;
} books_then;

static hub_status books_then_fn(hub_tx *tx, void *ud) {
  books_then *c = ud;
  accounting_books_queue(tx);
  c->rows = hub_tx_exec(tx, c->stmt, c->params);
  return HUB_STATUS_OK;
}

static const char *limit_text(hub_arena *a, const Hub__Accounting__V1__Limit *l) {
  return l ? hub_arena_sprintf(a, "%lld", (long long)l->amount_minor) : NULL;
}

/* A violated FK on parent_id is FAILED_PRECONDITION from the database; say which field. */
static hub_status parent_missing(hub_arena *a, hub_status st, const char *parent) {
  if (st.code == HUB_FAILED_PRECONDITION && parent)
    return hub_status_new(a, HUB_NOT_FOUND, "parent_id: no such account");
  return st;
}

hub_status hub_accounting_v1_accounting_create_account(hub_call *call, const Hub__Accounting__V1__CreateAccountRequest *request,
                                                       Hub__Accounting__V1__Account *response) {
  hub_arena *a = hub_call_arena(call);
  if (request->min_balance && request->max_balance && request->min_balance->amount_minor > request->max_balance->amount_minor)
    return hub_status_invalid(a, "min_balance", "is above max_balance");
  const char *p[] = {request->code,
                     request->name,
                     hub_enum_to_text(a, &hub__accounting__v1__account_type__descriptor, (int)request->type),
                     hub_enum_to_text(a, &hub__accounting__v1__side__descriptor, (int)request->normal_side),
                     hub_sql_opt(request->parent_id),
                     hub_sql_opt(request->currency_code),
                     request->description,
                     limit_text(a, request->min_balance),
                     limit_text(a, request->max_balance),
                     hub_sql_opt(request->request_id),
                     hub_enum_to_text(a, &hub__accounting__v1__cash_flow_class__descriptor, (int)request->cash_flow)};
  books_then c = {.stmt = &create_sql, .params = p};
  hub_status st = hub_call_tx(call, books_then_fn, &c);
  hub_rows *rows = c.rows;
  if (st.code == HUB_ALREADY_EXISTS) return hub_status_new(a, HUB_ALREADY_EXISTS, "code: the chart has an account with this code");
  if (!hub_ok(st)) return parent_missing(a, st, p[4]);
  if (hub_rows_count(rows) != 1)
    return hub_status_new(a, HUB_ABORTED, "a request with this request_id is in flight; retry");
  hub_rows_decode(rows, 0, &response->base);
  return HUB_STATUS_OK;
}

typedef struct get_ctx {
  const char *id, *code;
  hub_rows *account, *balances;
} get_ctx;

static hub_status get_fn(hub_tx *tx, void *ud) {
  get_ctx *c = ud;
  const char *p[] = {c->id, c->code};
  accounting_books_queue(tx);
  c->account = hub_tx_exec(tx, &get_sql, p);
  c->balances = hub_tx_exec(tx, &balances_sql, p);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_get_account(hub_call *call, const Hub__Accounting__V1__GetAccountRequest *request,
                                                    Hub__Accounting__V1__Account *response) {
  hub_arena *a = hub_call_arena(call);
  if (!*request->id && !*request->code) return hub_status_invalid(a, "id", "name the account by id or by code");
  get_ctx c = {.id = hub_sql_opt(request->id), .code = hub_sql_opt(request->code)};
  hub_status st = hub_call_tx(call, get_fn, &c);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(c.account) == 0)
    return hub_status_new(a, HUB_NOT_FOUND, c.id ? "id: no such account" : "code: no such account");
  hub_rows_decode(c.account, 0, &response->base);
  response->n_balances = hub_rows_messages(c.balances, &hub__accounting__v1__balance__descriptor, -1,
                                           (void ***)&response->balances);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_list_accounts(hub_call *call, const Hub__Accounting__V1__ListAccountsRequest *request,
                                                      Hub__Accounting__V1__ListAccountsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *after = NULL, *rest = NULL; /* the last code of the previous page */
  if (*request->page_token && !hub_page_token_parse(a, request->page_token, &after, &rest))
    return hub_status_invalid(a, "page_token", "not a token from this list");
  const char *p[] = {after, hub_arena_sprintf(a, "%d", limit),
                     hub_enum_to_text(a, &hub__accounting__v1__account_type__descriptor, (int)request->type),
                     request->include_archived ? "true" : "false"};
  books_then c = {.stmt = &list_sql, .params = p};
  st = hub_call_tx(call, books_then_fn, &c);
  if (!hub_ok(st)) return st;
  hub_rows *rows = c.rows;
  response->n_accounts = hub_rows_messages(rows, &hub__accounting__v1__account__descriptor, limit,
                                           (void ***)&response->accounts);
  char *next = NULL;
  if (hub_rows_count(rows) > limit) next = hub_page_token(a, response->accounts[limit - 1]->code, "");
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}

enum { MASK_NAME = 1, MASK_DESCRIPTION = 2, MASK_PARENT = 4, MASK_ARCHIVED = 8, MASK_MIN = 16, MASK_MAX = 32, MASK_CASH_FLOW = 64 };

typedef struct update_ctx {
  const Hub__Accounting__V1__UpdateAccountRequest *req;
  unsigned bits;
  const char *const *params;
  hub_rows *rows;
  bool cycle;
} update_ctx;

static hub_status update_fn(hub_tx *tx, void *ud) {
  update_ctx *c = ud;
  if ((c->bits & MASK_PARENT) && *c->req->parent_id) {
    hub_rows *r;
    const char *p[] = {c->req->id, c->req->parent_id};
    hub_status st = hub_tx_query(tx, &cycle_sql, p, &r);
    if (!hub_ok(st)) return st;
    if (hub_rows_int(r, 0, "_cycle") > 0) {
      c->cycle = true;
      return HUB_STATUS_OK;
    }
    if (hub_rows_int(r, 0, "_found") == 0) return hub_status_new(hub_tx_arena(tx), HUB_NOT_FOUND, "parent_id: no such account");
  }
  c->rows = hub_tx_exec(tx, &update_sql, c->params);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_update_account(hub_call *call, const Hub__Accounting__V1__UpdateAccountRequest *request,
                                                       Hub__Accounting__V1__Account *response) {
  hub_arena *a = hub_call_arena(call);
  static const char *const allowed[] = {"name",        "description", "parent_id", "archived",
                                        "min_balance", "max_balance", "cash_flow", NULL};
  unsigned bits;
  hub_status st = hub_update_mask(a, request->update_mask, allowed, &bits);
  if (!hub_ok(st)) return st;
  if ((bits & MASK_NAME) && !*request->name) return hub_status_invalid(a, "name", "required when in update_mask");
  if (request->min_balance && request->max_balance && request->min_balance->amount_minor > request->max_balance->amount_minor)
    return hub_status_invalid(a, "min_balance", "is above max_balance");
  const char *p[] = {request->id,
                     hub_arena_sprintf(a, "%u", bits),
                     request->name,
                     request->description,
                     hub_sql_opt(request->parent_id),
                     request->archived ? "true" : "false",
                     limit_text(a, request->min_balance),
                     limit_text(a, request->max_balance),
                     hub_arena_sprintf(a, "%lld", (long long)request->version),
                     hub_enum_to_text(a, &hub__accounting__v1__cash_flow_class__descriptor, (int)request->cash_flow)};
  update_ctx c = {.req = request, .bits = bits, .params = p};
  st = hub_call_tx(call, update_fn, &c);
  if (!hub_ok(st)) return st;
  if (c.cycle) return hub_status_invalid(a, "parent_id", "would make the account its own ancestor");
  if (hub_rows_count(c.rows) == 0) return hub_status_new(a, HUB_NOT_FOUND, "id: no such account");
  Hub__Accounting__V1__Account *now = (Hub__Accounting__V1__Account *)hub_rows_message(
      c.rows, 0, &hub__accounting__v1__account__descriptor);
  if (now->version != request->version + 1)
    return hub_status_new(a, HUB_ABORTED, "version: the account changed since it was read; read it again");
  *response = *now;
  return HUB_STATUS_OK;
}
