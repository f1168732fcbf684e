/* A chart of accounts as ImportChart sends it, parsed (chart_parse.c): CSV (libcsv, strict)
 * whose header names its columns, every row checked by CreateAccount's contract rules. Pure:
 * nothing here touches the database; the import (chart_import.c) stores the rows. */
#ifndef HUB_ACCOUNTING_CHART_PARSE_H
#define HUB_ACCOUNTING_CHART_PARSE_H

#include "hub/arena.h"
#include "hub/status.h"

enum { ACCOUNTING_CHART_ROWS_MAX = 5000, ACCOUNTING_CHART_COLS = 7 };
/* A row's texts, by column (the header's names: code, name, type, parent_code, currency,
 * description, cash_flow). */
enum {
  ACCOUNTING_CHART_CODE,
  ACCOUNTING_CHART_NAME,
  ACCOUNTING_CHART_TYPE,
  ACCOUNTING_CHART_PARENT,
  ACCOUNTING_CHART_CURRENCY,
  ACCOUNTING_CHART_DESCRIPTION,
  ACCOUNTING_CHART_CASH_FLOW,
};

typedef struct accounting_chart {
  char *(*rows)[ACCOUNTING_CHART_COLS]; /* "" for a column the file lacks */
  int n;
} accounting_chart;

/* The accounts of `csv`, texts in `a` (type and cash_flow lower-cased), each a valid
 * CreateAccount; INVALID_ARGUMENT naming "csv" (and the row) otherwise. */
hub_status accounting_chart_parse(hub_arena *a, const char *csv, accounting_chart *out);

#endif
