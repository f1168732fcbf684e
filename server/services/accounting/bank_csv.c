/* A bank's CSV export as statement rows. Banks agree on nothing but RFC 4180 (libcsv parses it,
 * strict): the caller maps the header's column names to ours (date; amount, or debit and credit
 * columns; description, reference, the bank's transaction id), says the day order and the
 * decimal mark, and may skip preamble lines before the header. Amounts and days are read
 * exactly (no floating point) and every problem names its line. */
#include <csv.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hub/calendar.h"
#include "services/accounting/bank_parse.h"
#include "services/accounting/invoice_math.h"

enum { COLS_MAX = 64, C_DATE = 0, C_AMOUNT, C_DEBIT, C_CREDIT, C_DESCRIPTION, C_REFERENCE, C_ID, C_N };

typedef struct csv_state {
  hub_arena *a;
  const Hub__Accounting__V1__CsvColumns *map;
  int exp;
  int skip;          /* preamble lines still to pass over */
  int line;          /* the record being read, from 1 */
  bool have_header;
  int col[C_N];      /* our column -> position in the file (-1: none) */
  char *field[COLS_MAX];
  int n_field;
  accounting_bank_parsed *out;
  hub_status st;
} csv_state;

static const char *trimmed(hub_arena *a, const char *s, size_t len) {
  while (len && isspace((unsigned char)*s)) s++, len--;
  while (len && isspace((unsigned char)s[len - 1])) len--;
  char *t = hub_arena_alloc(a, len + 1);
  memcpy(t, s, len);
  t[len] = 0;
  return t;
}

static void on_field(void *data, size_t len, void *ud) {
  csv_state *p = ud;
  if (!hub_ok(p->st)) return;
  if (p->n_field == COLS_MAX) {
    p->st = hub_status_invalid(p->a, "content", "line %d: more than %d columns", p->line, COLS_MAX);
    return;
  }
  p->field[p->n_field++] = (char *)trimmed(p->a, data ? data : "", data ? len : 0);
}

static const char *mapped_name(const Hub__Accounting__V1__CsvColumns *m, int c) {
  switch (c) {
  case C_DATE: return m->date;
  case C_AMOUNT: return m->amount;
  case C_DEBIT: return m->debit;
  case C_CREDIT: return m->credit;
  case C_DESCRIPTION: return m->description;
  case C_REFERENCE: return m->reference;
  default: return m->id_column;
  }
}

static const char *const map_fields[C_N] = {"csv.date", "csv.amount", "csv.debit", "csv.credit", "csv.description",
                                           "csv.reference", "csv.id_column"};

static void header(csv_state *p) {
  for (int c = 0; c < C_N; c++) {
    const char *want = mapped_name(p->map, c);
    p->col[c] = -1;
    if (!*want) continue;
    for (int i = 0; i < p->n_field && p->col[c] < 0; i++)
      if (!strcasecmp(p->field[i], want)) p->col[c] = i;
    if (p->col[c] < 0) {
      p->st = hub_status_invalid(p->a, map_fields[c], "line %d, the header, has no column \"%s\"", p->line, want);
      return;
    }
  }
  p->have_header = true;
}

static const char *cell(const csv_state *p, int c) { return p->col[c] >= 0 && p->col[c] < p->n_field ? p->field[p->col[c]] : ""; }

static void row(csv_state *p) {
  accounting_bank_parsed *o = p->out;
  if (o->n == ACCOUNTING_BANK_ROWS_MAX) {
    p->st = hub_status_invalid(p->a, "content", "more than %d lines", ACCOUNTING_BANK_ROWS_MAX);
    return;
  }
  accounting_bank_row *r = &o->rows[o->n];
  if (!accounting_bank_date(cell(p, C_DATE), p->map->date_order, r->date)) {
    p->st = hub_status_invalid(p->a, "content", "line %d: \"%s\" is not a day in the order given", p->line, cell(p, C_DATE));
    return;
  }
  int64_t v = 0;
  if (p->col[C_AMOUNT] >= 0) {
    if (!accounting_bank_amount(cell(p, C_AMOUNT), p->map->decimal_comma, p->exp, &v)) {
      p->st = hub_status_invalid(p->a, "content", "line %d: \"%s\" is not an amount", p->line, cell(p, C_AMOUNT));
      return;
    }
  } else { /* money in (credit) less money out (debit); either may be blank */
    int64_t in = 0, out = 0;
    if ((*cell(p, C_CREDIT) && !accounting_bank_amount(cell(p, C_CREDIT), p->map->decimal_comma, p->exp, &in)) ||
        (*cell(p, C_DEBIT) && !accounting_bank_amount(cell(p, C_DEBIT), p->map->decimal_comma, p->exp, &out))) {
      p->st = hub_status_invalid(p->a, "content", "line %d: a debit or credit is not an amount", p->line);
      return;
    }
    v = (in < 0 ? -in : in) - (out < 0 ? -out : out);
  }
  if (v == 0) return; /* a zero line (a balance note) explains nothing */
  r->amount = v;
  r->description = cell(p, C_DESCRIPTION), r->reference = cell(p, C_REFERENCE), r->external_id = cell(p, C_ID);
  o->n++;
}

static void on_record(int c, void *ud) {
  (void)c;
  csv_state *p = ud;
  int n = p->n_field;
  p->n_field = 0;
  p->line++;
  if (!hub_ok(p->st)) return;
  if (p->skip > 0) {
    p->skip--;
    return;
  }
  if (n == 0 || (n == 1 && !*p->field[0])) return; /* a blank line */
  p->n_field = n;
  if (!p->have_header) header(p);
  else row(p);
  p->n_field = 0;
}

hub_status accounting_bank_parse_csv(hub_arena *a, const char *text, const Hub__Accounting__V1__CsvColumns *map, int exp,
                                     accounting_bank_parsed *out) {
  if (!map) return hub_status_invalid(a, "csv", "required for a CSV file: at least the date and amount columns");
  if (!*map->date) return hub_status_invalid(a, "csv.date", "required");
  if (!*map->amount && !*map->debit && !*map->credit)
    return hub_status_invalid(a, "csv.amount", "name the amount column, or the debit and credit columns");
  if (*map->amount && (*map->debit || *map->credit))
    return hub_status_invalid(a, "csv.amount", "either one amount column or debit and credit columns");
  if (strlen(map->delimiter) > 1) return hub_status_invalid(a, "csv.delimiter", "one character");
  memset(out, 0, sizeof *out);
  out->rows = hub_arena_alloc(a, ACCOUNTING_BANK_ROWS_MAX * sizeof *out->rows);
  csv_state p = {.a = a, .map = map, .exp = exp, .skip = map->skip_lines, .out = out, .st = HUB_STATUS_OK};
  struct csv_parser csv;
  if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI) != 0) return hub_status_new(a, HUB_INTERNAL, "csv: no memory");
  if (*map->delimiter) csv_set_delim(&csv, (unsigned char)map->delimiter[0]);
  size_t len = strlen(text);
  bool parsed = csv_parse(&csv, text, len, on_field, on_record, &p) == len && csv_fini(&csv, on_field, on_record, &p) == 0;
  const char *why = parsed ? NULL : csv_strerror(csv_error(&csv));
  csv_free(&csv);
  if (!parsed) return hub_status_invalid(a, "content", "not CSV (RFC 4180) after line %d: %s", p.line, why);
  if (!hub_ok(p.st)) return p.st;
  if (!p.have_header) return hub_status_invalid(a, "content", "no header line");
  return HUB_STATUS_OK;
}

/* ---- amounts and days ---- */

bool accounting_bank_amount(const char *s, bool decimal_comma, int exp, int64_t *out) {
  char buf[64];
  size_t n = 0;
  bool neg = false, digits = false, point = false;
  size_t len = strlen(s);
  while (len && isspace((unsigned char)s[len - 1])) len--;
  while (len && isspace((unsigned char)*s)) s++, len--;
  if (len >= 2 && s[0] == '(' && s[len - 1] == ')') neg = true, s++, len -= 2; /* accountants' negative */
  else if (len && (s[len - 1] == '-')) neg = true, len--;                      /* "12.00-" */
  if (len && (*s == '-' || *s == '+')) {
    if (neg) return false;
    neg = *s == '-', s++, len--;
  }
  char mark = decimal_comma ? ',' : '.', group = decimal_comma ? '.' : ',';
  int run = 0; /* digits since the last thousands mark, which must come in threes after the first */
  bool grouped = false;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      digits = true, buf[n++] = c;
      if (!point) run++;
    } else if (c == mark && !point && digits) {
      if (grouped && run != 3) return false;
      point = true, buf[n++] = '.';
    } else if ((c == group || c == ' ' || c == '\'') && digits && !point) {
      if ((grouped && run != 3) || (!grouped && run > 3)) return false;
      grouped = true, run = 0;
    } else {
      return false;
    }
    if (n >= sizeof buf - 1) return false;
  }
  if (grouped && !point && run != 3) return false;
  buf[n] = 0;
  if (!digits || (n && buf[n - 1] == '.')) return false;
  int64_t v;
  if (!accounting_decimal_parse(buf, exp, &v)) return false;
  *out = neg ? -v : v;
  return true;
}

static bool number(const char **s, int min, int max, int *out) {
  int n = 0, v = 0;
  while (**s >= '0' && **s <= '9' && n < max) v = v * 10 + (*(*s)++ - '0'), n++;
  if (n < min) return false;
  *out = v;
  return true;
}

bool accounting_bank_date(const char *s, Hub__Accounting__V1__DateOrder order, char out[11]) {
  int y = 0, m = 0, d = 0;
  const char *p = s;
  char sep;
  if (order == HUB__ACCOUNTING__V1__DATE_ORDER__DATE_ORDER_DMY || order == HUB__ACCOUNTING__V1__DATE_ORDER__DATE_ORDER_MDY) {
    int first, second;
    if (!number(&p, 1, 2, &first)) return false;
    sep = *p;
    if (sep != '/' && sep != '.' && sep != '-') return false;
    p++;
    if (!number(&p, 1, 2, &second) || *p++ != sep || !number(&p, 4, 4, &y)) return false;
    if (order == HUB__ACCOUNTING__V1__DATE_ORDER__DATE_ORDER_DMY) d = first, m = second;
    else m = first, d = second;
  } else {
    if (!number(&p, 4, 4, &y)) return false;
    sep = *p;
    if (sep != '-' && sep != '/' && sep != '.') return false;
    p++;
    if (!number(&p, 1, 2, &m) || *p++ != sep || !number(&p, 1, 2, &d)) return false;
  }
  /* A time after the day (some banks export "2026-11-03 14:02"), never other text. */
  if (*p && *p != ' ' && *p != 'T') return false;
  if (!hub_date_valid(y, m, d) || y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) return false;
  char buf[32]; /* the compiler cannot see the ranges through hub_date_valid */
  snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  memcpy(out, buf, 11);
  return true;
}
