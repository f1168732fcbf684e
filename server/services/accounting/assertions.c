/* Balance assertions (Beancount's `balance`): AssertBalance and ListBalanceAssertions. An
 * assertion is recorded only when it holds, with the account's balance row locked first, so no
 * posting slips between the check and the insert (postings lock the same row); after that,
 * accounting_apply (migration 0010) refuses any posting, back-dated ones included, that would
 * make it false. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/accounting/accounting.h"

#define ASSERTION_COLUMNS                                                                                    \
  "s.id, s.account_id, a.code AS account_code, s.currency AS currency_code, s.as_of::text AS as_of_date, " \
  "s.amount AS amount_minor, s.created_at AS create_time"

static const hub_pg_stmt account_sql = {
    "accounting_assert_account",
    "SELECT x.id, x.code, x.normal_side FROM accounting_accounts x WHERE x.tenant_id = hub_current_tenant() "
    "AND (x.id = $1::uuid OR ($1 IS NULL AND x.code = $2))", 2};

/* The balance row exists (a zero one if nothing posted yet) and is ours until commit. */
static const hub_pg_stmt hold_sql = {
    "accounting_assert_hold",
    "INSERT INTO accounting_balances (tenant_id, account_id, currency) VALUES (hub_current_tenant(), $1::uuid, $2) "
    "ON CONFLICT DO NOTHING", 2};
static const hub_pg_stmt lock_sql = {
    "accounting_assert_lock",
    "SELECT 1 FROM accounting_balances WHERE tenant_id = hub_current_tenant() AND account_id = $1::uuid AND currency = $2 "
    "FOR UPDATE", 2};

static const hub_pg_stmt actual_sql = {
    "accounting_assert_actual",
    "SELECT coalesce(sum(CASE WHEN $3 = 'debit' THEN y.debits - y.credits ELSE y.credits - y.debits END), 0) AS _actual, "
    "  (SELECT s.amount FROM accounting_assertions s WHERE s.tenant_id = hub_current_tenant() AND s.account_id = $1::uuid "
    "     AND s.currency = $2 AND s.as_of = $4::date) AS _existing "
    "FROM accounting_daily y WHERE y.tenant_id = hub_current_tenant() AND y.account_id = $1::uuid AND y.currency = $2 "
    "AND y.day <= $4::date", 4};

static const hub_pg_stmt insert_sql = {
    "accounting_assert_insert",
    "INSERT INTO accounting_assertions (tenant_id, account_id, currency, as_of, amount, created_by) "
    "VALUES (hub_current_tenant(), $1::uuid, $2, $3::date, $4::bigint, hub_current_user()) "
    "ON CONFLICT (tenant_id, account_id, currency, as_of) DO NOTHING", 4};

static const hub_pg_stmt get_sql = {
    "accounting_assert_get",
    "SELECT " ASSERTION_COLUMNS " FROM accounting_assertions s JOIN accounting_accounts a ON a.tenant_id = s.tenant_id "
    "AND a.id = s.account_id WHERE s.tenant_id = hub_current_tenant() AND s.account_id = $1::uuid AND s.currency = $2 "
    "AND s.as_of = $3::date", 3};

static const hub_pg_stmt list_sql = {
    "accounting_assert_list",
    "SELECT " ASSERTION_COLUMNS " FROM accounting_assertions s JOIN accounting_accounts a ON a.tenant_id = s.tenant_id "
    "AND a.id = s.account_id WHERE s.tenant_id = hub_current_tenant() AND ($1::uuid IS NULL OR s.account_id = $1::uuid) "
    "ORDER BY s.as_of DESC, a.code, s.currency LIMIT 500", 1};

typedef struct assert_ctx {
  hub_call *call;
  const Hub__Accounting__V1__AssertBalanceRequest *req;
  hub_rows *row;
} assert_ctx;

static hub_status assert_fn(hub_tx *tx, void *ud) {
  assert_ctx *c = ud;
  const Hub__Accounting__V1__AssertBalanceRequest *r = c->req;
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *acc, *now;
  accounting_books_queue(tx);
  hub_status st = hub_tx_query(tx, &account_sql, (const char *[]){hub_sql_opt(r->account_id), r->account_code}, &acc);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(acc) == 0)
    return hub_status_new(a, HUB_NOT_FOUND, *r->account_id ? "account_id: no such account" : "account_code: no such account");
  const char *id = hub_rows_text(acc, 0, "id"), *code = hub_rows_text(acc, 0, "code");
  char amount[24];
  snprintf(amount, sizeof amount, "%lld", (long long)r->amount_minor);
  hub_tx_exec(tx, &hold_sql, (const char *[]){id, r->currency_code});
  hub_tx_exec(tx, &lock_sql, (const char *[]){id, r->currency_code});
  st = hub_tx_query(tx, &actual_sql,
                    (const char *[]){id, r->currency_code, hub_rows_text(acc, 0, "normal_side"), r->as_of_date}, &now);
  if (!hub_ok(st)) return st;
  const char *existing = hub_rows_text(now, 0, "_existing");
  if (existing && strcmp(existing, amount) != 0)
    return hub_status_new(a, HUB_ALREADY_EXISTS, "as_of_date: account %s has an assertion of %s %s for this day", code,
                          existing, r->currency_code);
  if (!existing) {
    int64_t actual = hub_rows_int(now, 0, "_actual");
    if (actual != r->amount_minor)
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "amount_minor: account %s holds %lld %s at the end of %s, not %s", code,
                            (long long)actual, r->currency_code, r->as_of_date, amount);
    hub_tx_exec(tx, &insert_sql, (const char *[]){id, r->currency_code, r->as_of_date, amount});
    accounting_record(tx, c->call, "accounting.balance_asserted", id,
                      (const char *[]){"account_code", code, "currency", r->currency_code, "as_of_date", r->as_of_date,
                                       "amount_minor", amount, NULL});
  }
  c->row = hub_tx_exec(tx, &get_sql, (const char *[]){id, r->currency_code, r->as_of_date});
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_assert_balance(hub_call *call, const Hub__Accounting__V1__AssertBalanceRequest *request,
                                                       Hub__Accounting__V1__BalanceAssertion *response) {
  hub_arena *a = hub_call_arena(call);
  if (!*request->account_id == !*request->account_code)
    return hub_status_invalid(a, "account_id", "name the account by account_id or by account_code (one of them)");
  assert_ctx c = {.call = call, .req = request};
  hub_status st = hub_call_tx(call, assert_fn, &c);
  if (!hub_ok(st)) return st;
  hub_rows_decode(c.row, 0, &response->base);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_list_balance_assertions(
    hub_call *call, const Hub__Accounting__V1__ListBalanceAssertionsRequest *request,
    Hub__Accounting__V1__ListBalanceAssertionsResponse *response) {
  hub_rows *rows;
  hub_status st = hub_call_query(call, &list_sql, (const char *[]){hub_sql_opt(request->account_id)}, &rows);
  if (!hub_ok(st)) return st;
  response->n_assertions = hub_rows_messages(rows, &hub__accounting__v1__balance_assertion__descriptor, -1,
                                             (void ***)&response->assertions);
  return HUB_STATUS_OK;
}
