/* ImportChart's CSV parse (accounting_chart_parse): the header's column mapping, rows through
 * libcsv, and each row checked by CreateAccount's generated rules, on requests that meet
 * ImportChart's own rules (what reaches the handler). An accepted chart's rows
 * must each have a code and a type (the rules require both). */
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "hub/accounting/v1/accounting.pb-c.h"
#include "hub/method.h"
#include "hub/validate.h"
#include "services/accounting/chart_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_input in = {data, size};
  hub_arena *a = hub_arena_new(0);
  const char *text = fuzz_rest(a, &in);
  Hub__Accounting__V1__ImportChartRequest req = HUB__ACCOUNTING__V1__IMPORT_CHART_REQUEST__INIT;
  req.csv = (char *)text;
  const hub_method_def *method = hub_method_find("hub.accounting.v1.Accounting/ImportChart");
  if (!method) abort();
  /* What reaches the handler: UTF-8 (the codec), then the contract's rules. */
  if (hub_utf8_valid(text, strlen(text)) && hub_ok(hub_validate(a, method->rules, &req.base))) {
    accounting_chart chart;
    hub_status st = accounting_chart_parse(a, text, &chart);
    if (!hub_ok(st)) fuzz_check_refusal(st);
    else if (chart.n < 1 || chart.n > ACCOUNTING_CHART_ROWS_MAX) abort();
    else
      for (int i = 0; i < chart.n; i++)
        if (!*chart.rows[i][ACCOUNTING_CHART_CODE] || !*chart.rows[i][ACCOUNTING_CHART_TYPE]) abort();
  }
  hub_arena_free(a);
  return 0;
}
