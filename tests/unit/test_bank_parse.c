/* Bank statements parsed, without a database: amounts exactly in minor units in the forms banks
 * write them (thousands marks, decimal commas, accountants' parentheses, trailing minus), days in
 * three orders refused unless real, a CSV file through a column map (preamble, ';', debit and
 * credit columns, a quoted field, errors naming their line), and an OFX 1.x file through libofx
 * (amounts, days, FITIDs, the ledger balance, a file that is not OFX). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "services/accounting/bank_parse.h"

#define DMY HUB__ACCOUNTING__V1__DATE_ORDER__DATE_ORDER_DMY
#define MDY HUB__ACCOUNTING__V1__DATE_ORDER__DATE_ORDER_MDY
#define ISO HUB__ACCOUNTING__V1__DATE_ORDER__DATE_ORDER_UNSPECIFIED

static void test_amounts(void **state) {
  (void)state;
  int64_t v;
  struct { const char *s; bool comma; int64_t want; } ok[] = {
      {"1,234.50", false, 123450}, {"-12", false, -1200},     {"(7.00)", false, -700}, {"12.00-", false, -1200},
      {"1.234,50", true, 123450},  {"+0,05", true, 5},        {" 3.5 ", false, 350},   {"1 000 000.01", false, 100000001},
      {"1'000.00", false, 100000}, {"-0.01", false, -1},
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    assert_true(accounting_bank_amount(ok[i].s, ok[i].comma, 2, &v));
    assert_int_equal(v, ok[i].want);
  }
  const char *bad[] = {"", "-", "1.234", "12.", "USD 5", "1,2,3.4.5", "--1", "(-1)", "1e3", "5,00", ".50", NULL};
  for (int i = 0; bad[i]; i++) assert_false(accounting_bank_amount(bad[i], false, 2, &v));
  assert_true(accounting_bank_amount("1234", false, 0, &v)); /* JPY */
  assert_int_equal(v, 1234);
  assert_false(accounting_bank_amount("99999999999999999", false, 2, &v)); /* overflow */
}

static void test_dates(void **state) {
  (void)state;
  char d[11];
  assert_true(accounting_bank_date("2026-11-03", ISO, d));
  assert_string_equal(d, "2026-11-03");
  assert_true(accounting_bank_date("2026/1/3 14:02", ISO, d));
  assert_string_equal(d, "2026-01-03");
  assert_true(accounting_bank_date("3.11.2026", DMY, d));
  assert_string_equal(d, "2026-11-03");
  assert_true(accounting_bank_date("11/03/2026", MDY, d));
  assert_string_equal(d, "2026-11-03");
  assert_true(accounting_bank_date("29/02/2028", DMY, d));
  const char *bad[] = {"2026-02-29", "31/04/2026", "2026-11", "03.11/2026", "2026-11-03x", "", NULL};
  for (int i = 0; bad[i]; i++) assert_false(accounting_bank_date(bad[i], strchr(bad[i], '-') || !*bad[i] ? ISO : DMY, d));
  assert_false(accounting_bank_date("13/13/2026", MDY, d));
}

static void test_csv(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Accounting__V1__CsvColumns m = HUB__ACCOUNTING__V1__CSV_COLUMNS__INIT;
  m.date = "Datum", m.debit = "Out", m.credit = "In", m.description = "Text", m.reference = "Ref";
  m.date_order = DMY, m.decimal_comma = true, m.delimiter = ";", m.skip_lines = 1;
  const char *csv = "Konto 0001234567;;;\n"
                    "datum;Text;Ref;Out;In\n"
                    "03.11.2026;\"ACME; Ltd\";INV-000001;;1.250,00\n"
                    "\n"
                    "05.11.2026;Rent;;45,00;\n"
                    "06.11.2026;Zero line;;;\n";
  accounting_bank_parsed p;
  hub_status st = accounting_bank_parse_csv(a, csv, &m, 2, &p);
  assert_true(hub_ok(st));
  assert_int_equal(p.n, 2); /* the zero line explains nothing */
  assert_string_equal(p.rows[0].date, "2026-11-03");
  assert_int_equal(p.rows[0].amount, 125000);
  assert_string_equal(p.rows[0].description, "ACME; Ltd");
  assert_string_equal(p.rows[0].reference, "INV-000001");
  assert_int_equal(p.rows[1].amount, -4500);
  assert_string_equal(p.rows[1].external_id, "");

  m.reference = "Reference";
  st = accounting_bank_parse_csv(a, csv, &m, 2, &p);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_non_null(strstr(st.message, "Reference"));
  m.reference = "Ref";
  st = accounting_bank_parse_csv(a, "x\ndatum;Text;Ref;Out;In\n31.11.2026;a;;1,00;\n", &m, 2, &p);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_non_null(strstr(st.message, "line 3"));
  st = accounting_bank_parse_csv(a, "x\ndatum;Text;Ref;Out;In\n01.11.2026;a;;1,001;\n", &m, 2, &p);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  st = accounting_bank_parse_csv(a, "x\ndatum;Text;Ref;Out;In\n01.11.2026;\"a;;1,00;\n", &m, 2, &p); /* an open quote */
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  Hub__Accounting__V1__CsvColumns one = HUB__ACCOUNTING__V1__CSV_COLUMNS__INIT;
  one.date = "date", one.amount = "amount", one.debit = "out";
  assert_int_equal(accounting_bank_parse_csv(a, "date,amount\n", &one, 2, &p).code, HUB_INVALID_ARGUMENT);
  one.debit = "", one.id_column = "id";
  st = accounting_bank_parse_csv(a, "date,amount,id\n2026-11-03,\"1,234.56\",T-9\n", &one, 2, &p);
  assert_true(hub_ok(st));
  assert_int_equal(p.rows[0].amount, 123456);
  assert_string_equal(p.rows[0].external_id, "T-9");
  hub_arena_free(a);
}

static const char ofx[] =
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\nCOMPRESSION:NONE\n"
    "OLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
    "<DTSERVER>20261201120000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0"
    "<SEVERITY>INFO</STATUS><STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>121000248<ACCTID>0001234567<ACCTTYPE>CHECKING"
    "</BANKACCTFROM><BANKTRANLIST><DTSTART>20261101<DTEND>20261130"
    "<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261103<TRNAMT>1250.00<FITID>T1001<NAME>ACME LTD<MEMO>INV-000001</STMTTRN>"
    "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261105120000[-5:EST]<TRNAMT>-12.34<FITID>T1002<NAME>Bank fee</STMTTRN>"
    "<STMTTRN><TRNTYPE>CHECK<DTPOSTED>20261106<TRNAMT>-0.10<FITID>T1003<CHECKNUM>1042<NAME>Cheque</STMTTRN>"
    "</BANKTRANLIST><LEDGERBAL><BALAMT>5000.10<DTASOF>20261130</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n";

static void test_ofx(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  accounting_bank_parsed p;
  hub_status st = accounting_bank_parse_ofx(a, ofx, &p);
  assert_true(hub_ok(st));
  assert_string_equal(p.currency, "EUR");
  assert_true(accounting_bank_ofx_scale(&p, 2));
  assert_int_equal(p.n, 3);
  assert_int_equal(p.rows[0].amount, 125000);
  assert_string_equal(p.rows[0].date, "2026-11-03");
  assert_string_equal(p.rows[0].external_id, "T1001");
  assert_string_equal(p.rows[0].description, "ACME LTD INV-000001");
  assert_int_equal(p.rows[1].amount, -1234);
  assert_string_equal(p.rows[1].date, "2026-11-05");
  assert_int_equal(p.rows[2].amount, -10);
  assert_string_equal(p.rows[2].reference, "1042");
  assert_true(p.has_closing);
  assert_int_equal(p.closing, 500010);
  assert_string_equal(p.closing_date, "2026-11-30");
  assert_int_equal(accounting_bank_parse_ofx(a, "date,amount\n2026-11-03,5\n", &p).code, HUB_INVALID_ARGUMENT);
  assert_int_equal(accounting_bank_parse_ofx(a, "OFXHEADER:100\n\n<OFX><BANKMSGSRSV1>", &p).code, HUB_INVALID_ARGUMENT);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_amounts),
      cmocka_unit_test(test_dates),
      cmocka_unit_test(test_csv),
      cmocka_unit_test(test_ofx),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
