/* GetBalances: now (the balances posting maintains, pending amounts included) or at the end of
 * a past day (the daily movements up to it: a few rows per account and day, never the raw
 * lines), per account and currency, optionally per dimension and rolled up the chart. */
#include <string.h>

#include "db/array.h"
#include "services/accounting/accounting.h"

/* $1 as-of day (NULL: now), $2 account ids (NULL: all), $3 dimension (NULL: none), $4 roll up. */
static const hub_pg_stmt balances_sql = {
    "accounting_get_balances",
    "WITH RECURSIVE src AS ("
    "  SELECT y.account_id, y.currency, CASE $3 WHEN 'brand' THEN y.brand WHEN 'department' THEN y.department "
    "         WHEN 'project' THEN y.project ELSE '' END AS dim, y.debits, y.credits, y.base_debits, y.base_credits, "
    "         0::bigint AS pd, 0::bigint AS pc "
    "    FROM accounting_daily y WHERE y.tenant_id = hub_current_tenant() AND ($1::date IS NOT NULL OR $3::text IS NOT NULL) "
    "     AND ($1::date IS NULL OR y.day <= $1::date) AND ($2::uuid[] IS NULL OR $4 OR y.account_id = ANY($2::uuid[])) "
    "  UNION ALL "
    "  SELECT b.account_id, b.currency, '', b.debits_posted, b.credits_posted, b.base_debits, b.base_credits, "
    "         b.debits_pending, b.credits_pending "
    "    FROM accounting_balances b WHERE b.tenant_id = hub_current_tenant() AND $1::date IS NULL AND $3::text IS NULL "
    "     AND ($2::uuid[] IS NULL OR $4 OR b.account_id = ANY($2::uuid[]))), "
    "tree AS (SELECT a.id AS top, a.id FROM accounting_accounts a WHERE a.tenant_id = hub_current_tenant() "
    "  UNION ALL SELECT t.top, c.id FROM tree t JOIN accounting_accounts c ON c.tenant_id = hub_current_tenant() "
    "  AND c.parent_id = t.id WHERE $4), "
    "agg AS (SELECT t.top, s.currency, s.dim, sum(s.debits) AS d, sum(s.credits) AS c, sum(s.base_debits) AS bd, "
    "  sum(s.base_credits) AS bc, sum(s.pd) AS pd, sum(s.pc) AS pc FROM src s JOIN tree t ON t.id = s.account_id "
    "  GROUP BY t.top, s.currency, s.dim) "
    "SELECT a.id AS account_id, a.code AS account_code, g.currency AS currency_code, g.d AS debits_minor, "
    "  g.c AS credits_minor, CASE WHEN a.normal_side = 'debit' THEN g.d - g.c ELSE g.c - g.d END AS balance_minor, "
    "  g.pd AS pending_debits_minor, g.pc AS pending_credits_minor, "
    "  CASE WHEN a.normal_side = 'debit' THEN g.bd - g.bc ELSE g.bc - g.bd END AS base_balance_minor, "
    "  g.dim AS dimension_value "
    "FROM agg g JOIN accounting_accounts a ON a.tenant_id = hub_current_tenant() AND a.id = g.top "
    "WHERE ($2::uuid[] IS NULL OR a.id = ANY($2::uuid[])) ORDER BY a.code, g.currency, g.dim",
    4};

typedef struct ctx {
  const char *const *params;
  hub_rows *balances, *base;
} ctx;

static hub_status fn(hub_tx *tx, void *ud) {
  ctx *c = ud;
  c->base = accounting_books_queue(tx);
  c->balances = hub_tx_exec(tx, &balances_sql, c->params);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_get_balances(hub_call *call, const Hub__Accounting__V1__GetBalancesRequest *request,
                                                     Hub__Accounting__V1__GetBalancesResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const char *dim = *request->group_by ? request->group_by : NULL;
  if (dim && strcmp(dim, "brand") && strcmp(dim, "department") && strcmp(dim, "project"))
    return hub_status_invalid(a, "group_by", "brand, department or project");
  const char *p[] = {*request->as_of_date ? request->as_of_date : NULL,
                     request->n_account_ids ? hub_pg_array_literal(a, request->account_ids, request->n_account_ids) : NULL,
                     dim, request->roll_up ? "true" : "false"};
  ctx c = {.params = p};
  hub_status st = hub_call_tx(call, fn, &c);
  if (!hub_ok(st)) return st;
  response->base_currency_code = (char *)hub_rows_text(c.base, 0, "_base");
  response->n_balances = hub_rows_messages(c.balances, &hub__accounting__v1__balance__descriptor, -1,
                                           (void ***)&response->balances);
  return HUB_STATUS_OK;
}
