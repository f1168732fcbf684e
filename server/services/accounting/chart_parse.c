/* ImportChart's parse (chart_parse.h): libcsv reads the file (RFC 4180, strict), the header maps
 * its columns, and each row is checked by the contract's own rules for CreateAccount (the
 * generated table), so an imported account obeys exactly what a created one does. Problems
 * name the row. No SQL: chart_import.c stores what this returns. */
#include <csv.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "hub/accounting/v1/accounting.pb-c.h"
#include "hub/enum_text.h"
#include "hub/method.h"
#include "hub/validate.h"
#include "services/accounting/chart_parse.h"

static const char *const column_names[ACCOUNTING_CHART_COLS] = {"code",     "name",        "type",     "parent_code",
                                                                "currency", "description", "cash_flow"};

/* The parse: fields of the current record, then records as rows of ACCOUNTING_CHART_COLS texts. */
typedef struct parse {
  hub_arena *a;
  int map[16];     /* header position -> column (-1: none) */
  int n_header;
  char *field[16]; /* the record being read */
  int n_field;
  char *(*rows)[ACCOUNTING_CHART_COLS];
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
    bool seen[ACCOUNTING_CHART_COLS] = {false};
    for (int i = 0; i < n; i++) {
      const char *h = trimmed(p->field[i]);
      p->map[i] = -1;
      for (int c = 0; c < ACCOUNTING_CHART_COLS; c++)
        if (!strcasecmp(h, column_names[c])) p->map[i] = c;
      if (p->map[i] < 0 || seen[p->map[i]]) {
        p->st = hub_status_invalid(p->a, "csv", "header: %s column \"%s\" (columns: code, name, type, parent_code, "
                                   "currency, description, cash_flow)", p->map[i] < 0 ? "unknown" : "repeated", h);
        return;
      }
      seen[p->map[i]] = true;
    }
    if (!seen[ACCOUNTING_CHART_CODE] || !seen[ACCOUNTING_CHART_NAME] || !seen[ACCOUNTING_CHART_TYPE]) {
      p->st = hub_status_invalid(p->a, "csv", "header: needs the columns code, name and type");
      return;
    }
    p->n_header = n;
    return;
  }
  if (n == 1 && !*p->field[0]) return; /* a blank line */
  if (p->n_rows == ACCOUNTING_CHART_ROWS_MAX) {
    p->st = hub_status_invalid(p->a, "csv", "more than %d accounts", ACCOUNTING_CHART_ROWS_MAX);
    return;
  }
  char **row = p->rows[p->n_rows++];
  for (int c = 0; c < ACCOUNTING_CHART_COLS; c++) row[c] = "";
  for (int i = 0; i < n && i < p->n_header; i++) row[p->map[i]] = (char *)trimmed(p->field[i]);
}

static void lower(char *t) {
  for (; *t; t++) *t = (char)(*t >= 'A' && *t <= 'Z' ? *t - 'A' + 'a' : *t);
}

/* The row as a CreateAccount request, checked by that RPC's generated rules. */
static hub_status check_row(hub_arena *a, const hub_message_rules *rules, char **row, int number) {
  const char *code = row[ACCOUNTING_CHART_CODE], *parent = row[ACCOUNTING_CHART_PARENT];
  char *type = row[ACCOUNTING_CHART_TYPE], *cash_flow = row[ACCOUNTING_CHART_CASH_FLOW];
  Hub__Accounting__V1__CreateAccountRequest req = HUB__ACCOUNTING__V1__CREATE_ACCOUNT_REQUEST__INIT;
  req.code = (char *)code, req.name = row[ACCOUNTING_CHART_NAME], req.currency_code = row[ACCOUNTING_CHART_CURRENCY];
  req.description = row[ACCOUNTING_CHART_DESCRIPTION];
  lower(type);
  req.type = hub_enum_from_text(&hub__accounting__v1__account_type__descriptor, type);
  if (!req.type)
    return hub_status_invalid(a, "csv", "row %d (code %s): type \"%s\" is not asset, liability, equity, income or expense",
                              number, code, type);
  lower(cash_flow);
  if (*cash_flow && !hub_enum_from_text(&hub__accounting__v1__cash_flow_class__descriptor, cash_flow))
    return hub_status_invalid(a, "csv", "row %d (code %s): cash_flow \"%s\" is not cash, operating, investing or financing",
                              number, code, cash_flow);
  hub_status st = hub_validate(a, rules, &req.base);
  if (!hub_ok(st)) return hub_status_invalid(a, "csv", "row %d (code %s): %s", number, code, st.message);
  if (*parent && !strcmp(parent, code))
    return hub_status_invalid(a, "csv", "row %d (code %s): an account is not its own parent", number, code);
  return HUB_STATUS_OK;
}

hub_status accounting_chart_parse(hub_arena *a, const char *text, accounting_chart *out) {
  parse p = {.a = a, .st = HUB_STATUS_OK};
  p.rows = hub_arena_alloc(a, ACCOUNTING_CHART_ROWS_MAX * sizeof *p.rows);
  struct csv_parser csv;
  if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI) != 0) return hub_status_new(a, HUB_INTERNAL, "csv: no memory");
  size_t len = strlen(text);
  bool parsed = csv_parse(&csv, text, len, on_field, on_record, &p) == len && csv_fini(&csv, on_field, on_record, &p) == 0;
  const char *why = parsed ? NULL : csv_strerror(csv_error(&csv));
  csv_free(&csv);
  if (!parsed) return hub_status_invalid(a, "csv", "not CSV (RFC 4180): %s", why);
  if (!hub_ok(p.st)) return p.st;
  if (p.n_header == 0 || p.n_rows == 0) return hub_status_invalid(a, "csv", "a header row and at least one account");
  const hub_method_def *create = hub_method_find("hub.accounting.v1.Accounting/CreateAccount");
  if (!create || !create->rules) return hub_status_new(a, HUB_INTERNAL, "no rules");
  for (int i = 0; i < p.n_rows; i++) {
    hub_status st = check_row(a, create->rules, p.rows[i], i + 1);
    if (!hub_ok(st)) return st;
  }
  out->rows = p.rows;
  out->n = p.n_rows;
  return HUB_STATUS_OK;
}
