/* ImportChart: a chart of accounts from CSV, all rows or none. libcsv parses (RFC 4180, strict);
 * each row is checked by the contract's own rules for CreateAccount (the generated table), so an
 * imported account obeys exactly what a created one does; then one transaction upserts by code
 * (name, description, cash-flow class and parent change; a type never does), links parents by code (to a row of
 * the file or an existing account) and refuses a parent cycle. Problems name the row. */
#include <csv.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hub/enum_text.h"
#include "hub/method.h"
#include "hub/validate.h"
#include "services/accounting/accounting.h"

enum { MAX_ROWS = 5000, MAX_COLS = 7 };
enum { C_CODE, C_NAME, C_TYPE, C_PARENT, C_CURRENCY, C_DESCRIPTION, C_CASH_FLOW };
static const char *const column_names[MAX_COLS] = {"code",     "name",        "type",     "parent_code",
                                                     "currency", "description", "cash_flow"};

/* The parse: fields of the current record, then records as rows of MAX_COLS texts. */
typedef struct parse {
  hub_arena *a;
  int map[16];     /* header position -> column (-1: none) */
  int n_header;
  char *field[16]; /* the record being read */
  int n_field;
  char *(*rows)[MAX_COLS];
  int n_rows;
  hub_status st;
} parse;

static void on_field(void *s, size_t len, void *ud) {
  parse *p = ud;
  if (p->n_field < 16) p->field[p->n_field] = hub_arena_strndup(p->a, s ? s : "", s ? len : 0);
  p->n_field++;
}

static const char *trimmed(char *s) {
  while (*s == ' ') s++;
  for (size_t n = strlen(s); n && s[n - 1] == ' '; n--) s[n - 1] = '\0';
  return s;
}

static void on_record(int term, void *ud) {
  (void)term;
  parse *p = ud;
  int n = p->n_field;
  p->n_field = 0;
  if (!hub_ok(p->st)) return;
  if (n > 16) {
    p->st = hub_status_invalid(p->a, "csv", "row %d: more than 16 columns", p->n_rows + 1);
    return;
  }
  if (p->n_header == 0) { /* the header */
    bool seen[MAX_COLS] = {false};
    for (int i = 0; i < n; i++) {
      const char *h = trimmed(p->field[i]);
      p->map[i] = -1;
      for (int c = 0; c < MAX_COLS; c++)
        if (!strcasecmp(h, column_names[c])) p->map[i] = c;
      if (p->map[i] < 0 || seen[p->map[i]]) {
        p->st = hub_status_invalid(p->a, "csv", "header: %s column \"%s\" (columns: code, name, type, parent_code, "
                                   "currency, description, cash_flow)", p->map[i] < 0 ? "unknown" : "repeated", h);
        return;
      }
      seen[p->map[i]] = true;
    }
    if (!seen[C_CODE] || !seen[C_NAME] || !seen[C_TYPE]) {
      p->st = hub_status_invalid(p->a, "csv", "header: needs the columns code, name and type");
      return;
    }
    p->n_header = n;
    return;
  }
  if (n == 1 && !*p->field[0]) return; /* a blank line */
  if (p->n_rows == MAX_ROWS) {
    p->st = hub_status_invalid(p->a, "csv", "more than %d accounts", MAX_ROWS);
    return;
  }
  char **row = p->rows[p->n_rows++];
  for (int c = 0; c < MAX_COLS; c++) row[c] = "";
  for (int i = 0; i < n && i < p->n_header; i++) row[p->map[i]] = (char *)trimmed(p->field[i]);
}

/* The row as a CreateAccount request, checked by that RPC's generated rules. */
static hub_status check_row(hub_arena *a, const hub_message_rules *rules, char **row, int number) {
  Hub__Accounting__V1__CreateAccountRequest req = HUB__ACCOUNTING__V1__CREATE_ACCOUNT_REQUEST__INIT;
  req.code = row[C_CODE], req.name = row[C_NAME], req.currency_code = row[C_CURRENCY], req.description = row[C_DESCRIPTION];
  for (char *t = row[C_TYPE]; *t; t++) *t = (char)(*t >= 'A' && *t <= 'Z' ? *t - 'A' + 'a' : *t);
  req.type = hub_enum_from_text(&hub__accounting__v1__account_type__descriptor, row[C_TYPE]);
  if (!req.type)
    return hub_status_invalid(a, "csv", "row %d (code %s): type \"%s\" is not asset, liability, equity, income or expense",
                              number, row[C_CODE], row[C_TYPE]);
  for (char *t = row[C_CASH_FLOW]; *t; t++) *t = (char)(*t >= 'A' && *t <= 'Z' ? *t - 'A' + 'a' : *t);
  if (*row[C_CASH_FLOW] && !hub_enum_from_text(&hub__accounting__v1__cash_flow_class__descriptor, row[C_CASH_FLOW]))
    return hub_status_invalid(a, "csv", "row %d (code %s): cash_flow \"%s\" is not cash, operating, investing or financing",
                              number, row[C_CODE], row[C_CASH_FLOW]);
  hub_status st = hub_validate(a, rules, &req.base);
  if (!hub_ok(st)) return hub_status_invalid(a, "csv", "row %d (code %s): %s", number, row[C_CODE], st.message);
  if (*row[C_PARENT] && !strcmp(row[C_PARENT], row[C_CODE]))
    return hub_status_invalid(a, "csv", "row %d (code %s): an account is not its own parent", number, row[C_CODE]);
  return HUB_STATUS_OK;
}

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
  parse p = {.a = a, .st = HUB_STATUS_OK};
  p.rows = hub_arena_alloc(a, MAX_ROWS * sizeof *p.rows);
  struct csv_parser csv;
  if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI) != 0) return hub_status_new(a, HUB_INTERNAL, "csv: no memory");
  size_t len = strlen(request->csv);
  bool parsed = csv_parse(&csv, request->csv, len, on_field, on_record, &p) == len &&
                csv_fini(&csv, on_field, on_record, &p) == 0;
  const char *why = parsed ? NULL : csv_strerror(csv_error(&csv));
  csv_free(&csv);
  if (!parsed) return hub_status_invalid(a, "csv", "not CSV (RFC 4180): %s", why);
  if (!hub_ok(p.st)) return p.st;
  if (p.n_header == 0 || p.n_rows == 0) return hub_status_invalid(a, "csv", "a header row and at least one account");

  const hub_method_def *create = hub_method_find("hub.accounting.v1.Accounting/CreateAccount");
  json_t *arr = json_array();
  hub_status st = HUB_STATUS_OK;
  for (int i = 0; i < p.n_rows && hub_ok(st); i++) {
    char **row = p.rows[i];
    st = create && create->rules ? check_row(a, create->rules, row, i + 1) : hub_status_new(a, HUB_INTERNAL, "no rules");
    json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "n", i + 1, "code", row[C_CODE], "name",
                                         row[C_NAME], "type", row[C_TYPE], "parent", row[C_PARENT], "currency",
                                         row[C_CURRENCY], "description", row[C_DESCRIPTION], "cash_flow", row[C_CASH_FLOW]));
  }
  char *text = json_dumps(arr, JSON_COMPACT);
  json_decref(arr);
  if (!hub_ok(st)) return free(text), st;
  import_ctx c = {.call = call, .json = hub_arena_strdup(a, text ? text : "[]")};
  free(text);
  st = hub_call_tx(call, import_fn, &c);
  if (!hub_ok(st)) return st;
  response->created = c.created, response->updated = c.updated;
  return HUB_STATUS_OK;
}
