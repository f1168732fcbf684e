/* The bank statement CSV importer (accounting_bank_parse_csv) through a column map made from
 * the input's first bytes: which columns are mapped (one amount, or debit and credit; the
 * optional texts), their names (fixed ones, or read from the input), the day order, the
 * decimal mark, the delimiter, preamble lines and the currency's exponent. The rest is the
 * file. As in hubd, only a request that meets ImportBankStatement's contract rules reaches the
 * parser. An accepted file's rows must be real days with non-zero amounts. */
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "hub/calendar.h"
#include "hub/method.h"
#include "hub/validate.h"
#include "services/accounting/bank_parse.h"

static bool utf8(const char *s) { return hub_utf8_valid(s, strlen(s)); }

static char *name(hub_arena *a, fuzz_input *in, bool own, const char *fixed) {
  return own ? fuzz_str(a, in, 12) : (char *)fixed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_input in = {data, size};
  uint8_t flags = fuzz_u8(&in), optional = fuzz_u8(&in), delim = fuzz_u8(&in), exp = fuzz_u8(&in) % 5;
  bool own = flags & 0x80; /* column names from the input, else the fixed ones */
  hub_arena *a = hub_arena_new(0);
  Hub__Accounting__V1__CsvColumns m = HUB__ACCOUNTING__V1__CSV_COLUMNS__INIT;
  m.decimal_comma = flags & 1;
  m.date_order = (Hub__Accounting__V1__DateOrder)((flags >> 1) & 3); /* 3: not a value, refused by the rules */
  m.skip_lines = (flags >> 3) & 3;
  m.date = name(a, &in, own, "date");
  if (flags & 0x20) {
    m.debit = name(a, &in, own, "debit");
    m.credit = name(a, &in, own, "credit");
  } else {
    m.amount = name(a, &in, own, "amount");
  }
  if (optional & 1) m.description = name(a, &in, own, "text");
  if (optional & 2) m.reference = name(a, &in, own, "ref");
  if (optional & 4) m.id_column = name(a, &in, own, "id");
  static const char *const delimiters[] = {"", ";", "\t", "|"};
  m.delimiter = delim < 4 ? (char *)delimiters[delim] : hub_arena_strndup(a, (const char *)&delim, 1);
  const char *text = fuzz_rest(a, &in);
  const char *strings[] = {text, m.delimiter, m.date, m.amount, m.debit, m.credit, m.description, m.reference, m.id_column};
  for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
    if (!utf8(strings[i])) goto done; /* the codec refuses such a request before the handler */
  Hub__Accounting__V1__ImportBankStatementRequest req = HUB__ACCOUNTING__V1__IMPORT_BANK_STATEMENT_REQUEST__INIT;
  req.account_code = "1020", req.format = HUB__ACCOUNTING__V1__BANK_FORMAT__BANK_FORMAT_CSV;
  req.content = (char *)text, req.csv = &m;
  const hub_method_def *method = hub_method_find("hub.accounting.v1.Accounting/ImportBankStatement");
  if (!method) abort();
  if (!hub_ok(hub_validate(a, method->rules, &req.base))) goto done;
  accounting_bank_parsed p;
  hub_status st = accounting_bank_parse_csv(a, text, &m, exp, &p);
  if (!hub_ok(st)) {
    fuzz_check_refusal(st);
    goto done;
  }
  if (p.n > ACCOUNTING_BANK_ROWS_MAX) abort();
  for (size_t i = 0; i < p.n; i++) {
    int64_t day;
    if (!hub_date_parse(p.rows[i].date, &day) || p.rows[i].amount == 0) abort();
    if (!p.rows[i].description || !p.rows[i].reference || !p.rows[i].external_id) abort();
  }
done:
  hub_arena_free(a);
  return 0;
}
