/* Bank statements as rows: a CSV file through a column map (bank_csv.c, libcsv) or an OFX file
 * (bank_ofx.c, libofx). Pure parsing: nothing here touches the database; the importer
 * (bank.c) stores the rows. Amounts are exact minor units (money in positive). */
#ifndef HUB_ACCOUNTING_BANK_PARSE_H
#define HUB_ACCOUNTING_BANK_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub/arena.h"
#include "hub/status.h"
#include "hub/accounting/v1/accounting.pb-c.h"

enum { ACCOUNTING_BANK_ROWS_MAX = 20000 };

typedef struct accounting_bank_row {
  char date[11]; /* YYYY-MM-DD */
  int64_t amount;
  const char *description, *reference, *external_id; /* "" when none */
} accounting_bank_row;

typedef struct accounting_bank_parsed {
  accounting_bank_row *rows;
  size_t n;
  const char *currency; /* the file's own (OFX CURDEF); NULL when it names none */
  bool has_closing;     /* the bank's ledger balance at closing_date (OFX LEDGERBAL) */
  int64_t closing;
  char closing_date[11];
  double *raw, raw_closing; /* OFX: the amounts as libofx gives them, until scaled */
} accounting_bank_parsed;

/* The file through `map` (column names of its header; date_order, decimal_comma, delimiter),
 * amounts in a currency of exponent `exp`. INVALID_ARGUMENT naming "content" (with the line) or
 * the map's field. */
hub_status accounting_bank_parse_csv(hub_arena *a, const char *text, const Hub__Accounting__V1__CsvColumns *map, int exp,
                                     accounting_bank_parsed *out);
/* An OFX file: rows with their amounts still as libofx's doubles (the file names its currency,
 * so the exponent is known after), made minor units by accounting_bank_ofx_scale. */
hub_status accounting_bank_parse_ofx(hub_arena *a, const char *text, accounting_bank_parsed *out);
/* Rounds the OFX amounts to minor units of exponent `exp`; false when one is out of range. */
bool accounting_bank_ofx_scale(accounting_bank_parsed *p, int exp);

/* "1,234.50", "-12", "(7.00)", "12.00-", "1.234,50" (decimal_comma) -> minor units of exponent
 * exp; false on anything else, more decimals than exp, or overflow. */
bool accounting_bank_amount(const char *s, bool decimal_comma, int exp, int64_t *out);
/* The day in `s` in the order given (ISO: YYYY-MM-DD or YYYY/MM/DD; DMY and MDY with '/', '.'
 * or '-') as YYYY-MM-DD in out[11]; false unless it is a real day. */
bool accounting_bank_date(const char *s, Hub__Accounting__V1__DateOrder order, char out[11]);

#endif
