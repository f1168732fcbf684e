/* ImportChart: a chart of accounts from CSV, all rows or none. chart_parse.c reads the file and
 * checks each row by the contract's own rules for CreateAccount; then one transaction upserts by code
 * (name, description, cash-flow class and parent change; a type never does), links parents by code (to a row of
 * the file or an existing account) and refuses a parent cycle. Problems name the row. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "services/accounting/accounting.h"
#include "services/accounting/chart_parse.h"

#define IMPORT_ROWS                                                                                          \
  "WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(n int, code text, name text, type text, "  \
  "parent text, currency text, description text, cash_flow text)) "

/* Rows whose code names an account of another type, or twice in the file. */
static const hub_pg_stmt clash_sql = {
    "accounting_import_clash",
    IMPORT_ROWS "SELECT r.n, r.code, a.type FROM r JOIN accounting_accounts a ON a.tenant_id = hub_current_tenant() "
    "AND a.code = r.code WHERE a.type <> r.type "
    "UNION ALL SELECT max(r.n), r.code, NULL FROM r GROUP BY r.code HAVING count(*) > 1 ORDER BY 1 LIMIT 1", 1};

static const hub_pg_stmt upsert_sql = {
    "accounting_import_upsert",
    IMPORT_ROWS "INSERT INTO accounting_accounts AS a (tenant_id, code, name, type, normal_side, currency, description, cash_flow) "
    "SELECT hub_current_tenant(), r.code, r.name, r.type, "
    "  CASE WHEN r.type IN ('asset', 'expense') THEN 'debit' ELSE 'credit' END, nullif(r.currency, ''), r.description, "
    "  nullif(r.cash_flow, '') "
    "FROM r ORDER BY r.n "
    "ON CONFLICT (tenant_id, code) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, "
    "  cash_flow = coalesce(EXCLUDED.cash_flow, a.cash_flow), updated_at = now(), version = a.version + 1 "
    "  WHERE (a.name, a.description, coalesce(EXCLUDED.cash_flow, a.cash_flow)) IS DISTINCT FROM "
    "        (EXCLUDED.name, EXCLUDED.description, a.cash_flow) "
    "RETURNING (xmax = 0) AS _created", 1};

/* Parents by code; a row naming one the chart lacks comes back. _moved counts the accounts that
 * were there before and got another parent (those made by this import have now() as created_at,
 * the transaction's start). */
static const hub_pg_stmt parents_sql = {
    "accounting_import_parents",
    IMPORT_ROWS ", p AS (SELECT r.n, r.code, r.parent, (SELECT c.id FROM accounting_accounts c "
    "  WHERE c.tenant_id = hub_current_tenant() AND c.code = r.parent) AS parent_id FROM r WHERE r.parent <> ''), "
    "u AS (UPDATE accounting_accounts a SET parent_id = p.parent_id, updated_at = now(), version = a.version + 1 "
    "  FROM p WHERE a.tenant_id = hub_current_tenant() AND a.code = p.code AND p.parent_id IS NOT NULL "
    "  AND a.parent_id IS DISTINCT FROM p.parent_id RETURNING a.created_at < now() AS old) "
    "SELECT p.n, p.code, p.parent, p.parent_id IS NULL AS _missing, (SELECT count(*) FROM u WHERE u.old) AS _moved FROM p "
    "ORDER BY p.parent_id IS NULL DESC, p.n LIMIT 1", 1};

/* An imported account that is its own ancestor now. */
static const hub_pg_stmt cycle_sql = {
    "accounting_import_cycle",
    IMPORT_ROWS "SELECT r.n, r.code FROM r WHERE EXISTS ("
    "  WITH RECURSIVE up(id, depth) AS ("
    "    SELECT a.parent_id, 1 FROM accounting_accounts a WHERE a.tenant_id = hub_current_tenant() AND a.code = r.code "
    "    UNION ALL SELECT a.parent_id, up.depth + 1 FROM accounting_accounts a JOIN up ON a.id = up.id "
    "    WHERE a.tenant_id = hub_current_tenant() AND up.depth < 64) "
    "  SELECT 1 FROM up JOIN accounting_accounts s ON s.tenant_id = hub_current_tenant() AND s.id = up.id "
    "  WHERE s.code = r.code) ORDER BY r.n LIMIT 1", 1};

typedef struct import_ctx {
  hub_call *call;
  const char *json;
  int created, updated;
} import_ctx;

static hub_status import_fn(hub_tx *tx, void *ud) {
  import_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  const char *p[] = {c->json};
  hub_rows *clash, *up, *par, *cyc;
  accounting_books_queue(tx);
  hub_status st = hub_tx_query(tx, &clash_sql, p, &clash);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(clash) > 0) {
    const char *type = hub_rows_text(clash, 0, "type");
    return type ? hub_status_new(a, HUB_FAILED_PRECONDITION, "csv: row %s (code %s): the account is %s %s; its type cannot change",
                                 hub_rows_text(clash, 0, "n"), hub_rows_text(clash, 0, "code"),
                                 strchr("aeiou", type[0]) ? "an" : "a", type)
                : hub_status_invalid(a, "csv", "row %s: code %s appears twice", hub_rows_text(clash, 0, "n"),
                                     hub_rows_text(clash, 0, "code"));
  }
  up = hub_tx_exec(tx, &upsert_sql, p);
  par = hub_tx_exec(tx, &parents_sql, p);
  cyc = hub_tx_exec(tx, &cycle_sql, p);
  st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(par) > 0 && hub_rows_bool(par, 0, "_missing"))
    return hub_status_new(a, HUB_NOT_FOUND, "csv: row %s (code %s): no account %s for parent_code", hub_rows_text(par, 0, "n"),
                          hub_rows_text(par, 0, "code"), hub_rows_text(par, 0, "parent"));
  if (hub_rows_count(cyc) > 0)
    return hub_status_invalid(a, "csv", "row %s (code %s): its parents lead back to it", hub_rows_text(cyc, 0, "n"),
                              hub_rows_text(cyc, 0, "code"));
  for (int i = 0; i < hub_rows_count(up); i++) hub_rows_bool(up, i, "_created") ? c->created++ : c->updated++;
  if (hub_rows_count(par) > 0) c->updated += (int)hub_rows_int(par, 0, "_moved");
  if (c->created || c->updated) {
    const char *created = hub_arena_sprintf(a, "%d", c->created), *updated = hub_arena_sprintf(a, "%d", c->updated);
    accounting_record(tx, c->call, "accounting.chart_imported", NULL, (const char *[]){"created", created, "updated", updated, NULL});
  }
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_import_chart(hub_call *call, const Hub__Accounting__V1__ImportChartRequest *request,
                                                     Hub__Accounting__V1__ImportChartResponse *response) {
  hub_arena *a = hub_call_arena(call);
  accounting_chart chart;
  hub_status st = accounting_chart_parse(a, request->csv, &chart);
  if (!hub_ok(st)) return st;
  json_t *arr = json_array();
  for (int i = 0; i < chart.n; i++) {
    char **row = chart.rows[i];
    json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "n", i + 1, "code",
                                         row[ACCOUNTING_CHART_CODE], "name", row[ACCOUNTING_CHART_NAME], "type",
                                         row[ACCOUNTING_CHART_TYPE], "parent", row[ACCOUNTING_CHART_PARENT], "currency",
                                         row[ACCOUNTING_CHART_CURRENCY], "description", row[ACCOUNTING_CHART_DESCRIPTION],
                                         "cash_flow", row[ACCOUNTING_CHART_CASH_FLOW]));
  }
  char *text = json_dumps(arr, JSON_COMPACT);
  json_decref(arr);
  import_ctx c = {.call = call, .json = hub_arena_strdup(a, text ? text : "[]")};
  free(text);
  st = hub_call_tx(call, import_fn, &c);
  if (!hub_ok(st)) return st;
  response->created = c.created, response->updated = c.updated;
  return HUB_STATUS_OK;
}
