/* The OFX statement importer (accounting_bank_parse_ofx, libofx), then the scaling of its
 * amounts to minor units of an exponent from the first byte. libofx keeps global state and
 * reads files: the importer writes each input to a temporary file under $TMPDIR (tools/dev fuzz
 * points it at a private directory) and parses under its lock, so this target runs one input at
 * a time like hubd does. Only a request that meets ImportBankStatement's rules reaches it. */
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "hub/calendar.h"
#include "hub/method.h"
#include "hub/validate.h"
#include "services/accounting/bank_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_input in = {data, size};
  int exp = fuzz_u8(&in) % 5;
  hub_arena *a = hub_arena_new(0);
  const char *text = fuzz_rest(a, &in);
  if (!hub_utf8_valid(text, strlen(text))) goto done; /* the codec refuses such a request first */
  Hub__Accounting__V1__ImportBankStatementRequest req = HUB__ACCOUNTING__V1__IMPORT_BANK_STATEMENT_REQUEST__INIT;
  req.account_code = "1020", req.format = HUB__ACCOUNTING__V1__BANK_FORMAT__BANK_FORMAT_OFX, req.content = (char *)text;
  const hub_method_def *method = hub_method_find("hub.accounting.v1.Accounting/ImportBankStatement");
  if (!method) abort();
  if (!hub_ok(hub_validate(a, method->rules, &req.base))) goto done; /* then the contract's rules */
  accounting_bank_parsed p;
  hub_status st = accounting_bank_parse_ofx(a, text, &p);
  if (!hub_ok(st)) {
    if (st.code != HUB_INTERNAL) fuzz_check_refusal(st); /* INTERNAL: no temporary file */
    goto done;
  }
  if (p.n > ACCOUNTING_BANK_ROWS_MAX) abort();
  for (size_t i = 0; i < p.n; i++) {
    int64_t day;
    if (!hub_date_parse(p.rows[i].date, &day)) abort();
  }
  if (accounting_bank_ofx_scale(&p, exp))
    for (size_t i = 0; i < p.n; i++)
      if (p.rows[i].amount == 0) abort(); /* scaling drops zero amounts */
done:
  hub_arena_free(a);
  return 0;
}
