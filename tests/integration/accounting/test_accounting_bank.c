/* Bank statements and reconciliation through a real hubd: a European CSV export (preamble, ';',
 * day-first dates, decimal commas) imported once however often it is sent, an overlapping file
 * adding only what is new, two identical lines kept as two; automatic matching by reference and
 * by unique amount, the ambiguous left for a person; manual match and unmatch, a bank fee booked
 * from its line, the reconciliation at month end (book lines the bank lacks, bank lines the books
 * lack, the balance they imply); OFX with the bank's closing balance reconciling to zero; and
 * another tenant's bank line NOT_FOUND. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "books.h"

typedef Hub__Accounting__V1__BankStatement Statement;
typedef Hub__Accounting__V1__BankLine BankLine;

static hub_test_user bea, carl; /* owners of two tenants */

static int setup(void **state) {
  (void)state;
  if (!hub_world_up(&w, "accbank", NULL)) return -1;
  hub_world_signup_login(&w, "bea-bank@example.com", "Bea Bank", "smb_hub", &bea);
  hub_world_signup_login(&w, "carl-bank@example.com", "Carl Bank", "smb_hub", &carl);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

static Entry *post(hub_arena *a, const char *date, const char *dr, const char *cr, int64_t amount, const char *reference) {
  EntryInput *e = acc_entry2(a, NULL, date, dr, cr, amount);
  e->reference = (char *)(reference ? reference : "");
  Entry *out = NULL;
  CHECK(acc_post(a, &bea, e, &out), "post");
  return out;
}

static Hub__Accounting__V1__CsvColumns *european(hub_arena *a) {
  Hub__Accounting__V1__CsvColumns *m = hub_arena_alloc(a, sizeof *m);
  hub__accounting__v1__csv_columns__init(m);
  m->date = "Datum", m->description = "Text", m->amount = "Betrag";
  m->date_order = HUB__ACCOUNTING__V1__DATE_ORDER__DATE_ORDER_DMY, m->decimal_comma = true, m->delimiter = ";", m->skip_lines = 1;
  return m;
}

static hub_status import(hub_arena *a, const hub_test_user *u, const char *account, int format, const char *content,
                         Hub__Accounting__V1__CsvColumns *csv, Statement **out) {
  Hub__Accounting__V1__ImportBankStatementRequest req = HUB__ACCOUNTING__V1__IMPORT_BANK_STATEMENT_REQUEST__INIT;
  req.account_code = (char *)account, req.format = format, req.content = (char *)content, req.csv = csv;
  hub_call_options o = hub_world_opts(u);
  return hub_accounting_v1_accounting_import_bank_statement_call(w.ch, &o, a, &req, out);
}

static Hub__Accounting__V1__ListBankLinesResponse *lines(hub_arena *a, const char *account, int state) {
  Hub__Accounting__V1__ListBankLinesRequest req = HUB__ACCOUNTING__V1__LIST_BANK_LINES_REQUEST__INIT;
  req.account_code = (char *)account, req.state = state;
  Hub__Accounting__V1__ListBankLinesResponse *out = NULL;
  hub_call_options o = hub_world_opts(&bea);
  CHECK(hub_accounting_v1_accounting_list_bank_lines_call(w.ch, &o, a, &req, &out), "ListBankLines");
  return out;
}

static const BankLine *line_of(const Hub__Accounting__V1__ListBankLinesResponse *l, const char *date, int64_t amount) {
  for (size_t i = 0; i < l->n_lines; i++)
    if (!strcmp(l->lines[i]->date, date) && l->lines[i]->amount_minor == amount) return l->lines[i];
  fail_msg("no bank line of %s %lld", date, (long long)amount);
  return NULL;
}

static hub_status match(hub_arena *a, const hub_test_user *u, const char *line, const char *entry, BankLine **out) {
  Hub__Accounting__V1__MatchBankLineRequest req = HUB__ACCOUNTING__V1__MATCH_BANK_LINE_REQUEST__INIT;
  req.bank_line_id = (char *)line, req.entry_id = (char *)entry;
  hub_call_options o = hub_world_opts(u);
  return hub_accounting_v1_accounting_match_bank_line_call(w.ch, &o, a, &req, out);
}

#define CSV HUB__ACCOUNTING__V1__BANK_FORMAT__BANK_FORMAT_CSV
#define OFX HUB__ACCOUNTING__V1__BANK_FORMAT__BANK_FORMAT_OFX
#define UNMATCHED HUB__ACCOUNTING__V1__BANK_LINE_STATE__BANK_LINE_STATE_UNMATCHED

static const char november[] = "Konto 0001234567;;\n"
                               "Datum;Text;Betrag\n"
                               "03.11.2026;ACME LTD INV-000001;1.250,00\n"
                               "05.11.2026;Rent November;-45,00\n"
                               "10.11.2026;Transfer;300,00\n"
                               "12.11.2026;Coffee;-3,50\n"
                               "12.11.2026;Coffee;-3,50\n"
                               "30.11.2026;Bank fee;-12,50\n";

static void test_import_match_reconcile(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(&bea);
  Entry *inv = post(a, "2026-11-03", "1020", "4020", 125000, "INV-000001");
  Entry *rent = post(a, "2026-11-05", "6020", "1020", 4500, NULL);
  Entry *t1 = post(a, "2026-11-09", "1020", "4020", 30000, NULL);
  Entry *t2 = post(a, "2026-11-11", "1020", "4010", 30000, NULL);
  post(a, "2026-11-28", "6070", "1020", 20000, "CHQ 1043"); /* a cheque the bank has not cashed yet */

  /* Imported once, however often sent; an overlapping file adds only what is new. */
  Statement *s = NULL, *again = NULL;
  CHECK(import(a, &bea, "1020", CSV, november, european(a), &s), "import November");
  assert_int_equal(s->lines_imported, 6);
  assert_int_equal(s->lines_skipped, 0);
  assert_string_equal(s->first_date, "2026-11-03");
  assert_string_equal(s->last_date, "2026-11-30");
  assert_string_equal(s->currency_code, "USD");
  CHECK(import(a, &bea, "1020", CSV, november, european(a), &again), "the same file again");
  assert_string_equal(again->id, s->id);
  assert_int_equal(again->lines_imported, 6);
  CHECK(import(a, &bea, "1020", CSV, "x\nDatum;Text;Betrag\n30.11.2026;Bank fee;-12,50\n01.12.2026;Interest;0,80\n",
               european(a), &again), "an overlapping file");
  assert_int_equal(again->lines_imported, 1);
  assert_int_equal(again->lines_skipped, 1);
  Hub__Accounting__V1__ListBankLinesResponse *all = lines(a, "1020", 0);
  assert_int_equal(all->n_lines, 7);
  assert_string_equal(all->lines[0]->date, "2026-12-01"); /* latest first */

  /* Automatic: the invoice by its reference, the rent by its unique amount; the 300.00 has two
   * candidates a day away either side, and stays for a person. */
  Hub__Accounting__V1__AutoMatchBankLinesRequest areq = HUB__ACCOUNTING__V1__AUTO_MATCH_BANK_LINES_REQUEST__INIT;
  areq.account_code = "1020";
  Hub__Accounting__V1__AutoMatchBankLinesResponse *am = NULL;
  CHECK(hub_accounting_v1_accounting_auto_match_bank_lines_call(w.ch, &o, a, &areq, &am), "AutoMatch");
  assert_int_equal(am->n_matched, 2);
  assert_string_equal(am->matched[0]->entry_id, inv->id);
  assert_string_equal(am->matched[1]->entry_id, rent->id);
  assert_int_equal(am->unmatched, 5);
  CHECK(hub_accounting_v1_accounting_auto_match_bank_lines_call(w.ch, &o, a, &areq, &am), "AutoMatch again");
  assert_int_equal(am->n_matched, 0);

  all = lines(a, "1020", 0);
  const BankLine *transfer = line_of(all, "2026-11-10", 30000), *coffee = line_of(all, "2026-11-12", -350);
  const BankLine *fee = line_of(all, "2026-11-30", -1250);
  Hub__Accounting__V1__SuggestMatchesRequest sreq = HUB__ACCOUNTING__V1__SUGGEST_MATCHES_REQUEST__INIT;
  sreq.bank_line_id = transfer->id;
  Hub__Accounting__V1__SuggestMatchesResponse *sug = NULL;
  CHECK(hub_accounting_v1_accounting_suggest_matches_call(w.ch, &o, a, &sreq, &sug), "SuggestMatches");
  assert_int_equal(sug->n_candidates, 2);
  assert_int_equal(sug->candidates[0]->days_apart, 1);
  assert_int_equal(sug->candidates[1]->days_apart, 1);

  /* By hand: matched, the same again answers the same, another entry's line is refused. */
  BankLine *m = NULL;
  CHECK(match(a, &bea, transfer->id, t1->id, &m), "match the transfer");
  assert_true(m->matched);
  assert_string_equal(m->entry_id, t1->id);
  assert_int_equal(m->entry_line_no, 0);
  CHECK(match(a, &bea, transfer->id, t1->id, &m), "match again");
  assert_int_equal(match(a, &bea, transfer->id, t2->id, &m).code, HUB_FAILED_PRECONDITION);
  assert_int_equal(match(a, &bea, coffee->id, t2->id, &m).code, HUB_FAILED_PRECONDITION); /* -3.50 is no 300.00 */
  assert_int_equal(match(a, &bea, coffee->id, "0190b000-0000-7000-8000-0000000000ff", &m).code, HUB_NOT_FOUND);
  Hub__Accounting__V1__UnmatchBankLineRequest ureq = HUB__ACCOUNTING__V1__UNMATCH_BANK_LINE_REQUEST__INIT;
  ureq.bank_line_id = transfer->id;
  CHECK(hub_accounting_v1_accounting_unmatch_bank_line_call(w.ch, &o, a, &ureq, &m), "unmatch");
  assert_false(m->matched);
  CHECK(match(a, &bea, transfer->id, t1->id, &m), "match once more");

  /* The fee is booked from its line (bank fees against the bank) and matched; once. */
  Hub__Accounting__V1__PostBankLineRequest preq = HUB__ACCOUNTING__V1__POST_BANK_LINE_REQUEST__INIT;
  preq.bank_line_id = fee->id, preq.contra_account_code = "6060";
  BankLine *booked = NULL, *rebooked = NULL;
  CHECK(hub_accounting_v1_accounting_post_bank_line_call(w.ch, &o, a, &preq, &booked), "PostBankLine");
  assert_true(booked->matched);
  CHECK(hub_accounting_v1_accounting_post_bank_line_call(w.ch, &o, a, &preq, &rebooked), "PostBankLine again");
  assert_string_equal(rebooked->entry_id, booked->entry_id);
  assert_int_equal(acc_balance_of(a, &bea, "6060", NULL), 1250);
  preq.bank_line_id = coffee->id, preq.contra_account_code = "9999";
  assert_int_equal(hub_accounting_v1_accounting_post_bank_line_call(w.ch, &o, a, &preq, &booked).code, HUB_NOT_FOUND);

  /* At month end: the books say 1,592.50; the bank lacks the cheque (-200.00) and the second
   * 300.00 (whose transfer the bank shows only once), the books lack the coffees (-7.00): the
   * bank should show 1,485.50, which is what its lines add up to. */
  Hub__Accounting__V1__GetBankReconciliationRequest rreq = HUB__ACCOUNTING__V1__GET_BANK_RECONCILIATION_REQUEST__INIT;
  rreq.account_code = "1020", rreq.as_of_date = "2026-11-30";
  Hub__Accounting__V1__BankReconciliation *r = NULL;
  CHECK(hub_accounting_v1_accounting_get_bank_reconciliation_call(w.ch, &o, a, &rreq, &r), "GetBankReconciliation");
  assert_int_equal(r->book_balance_minor, 125000 - 4500 + 30000 + 30000 - 20000 - 1250);
  assert_int_equal(r->n_books_only, 2);
  assert_int_equal(r->books_only_minor, 30000 - 20000);
  assert_int_equal(r->n_bank_only, 2);
  assert_int_equal(r->bank_only_minor, -700);
  assert_int_equal(r->bank_balance_minor, 125000 - 4500 + 30000 - 700 - 1250);
  assert_false(r->has_statement_balance);
  assert_int_equal(lines(a, "1020", UNMATCHED)->n_lines, 3); /* two coffees and the interest */

  /* Another tenant: its own (empty) bank lines; bea's line is not found. */
  Hub__Accounting__V1__SuggestMatchesRequest creq = HUB__ACCOUNTING__V1__SUGGEST_MATCHES_REQUEST__INIT;
  creq.bank_line_id = coffee->id;
  hub_call_options co = hub_world_opts(&carl);
  assert_int_equal(hub_accounting_v1_accounting_suggest_matches_call(w.ch, &co, a, &creq, &sug).code, HUB_NOT_FOUND);
  assert_int_equal(match(a, &carl, coffee->id, t2->id, &m).code, HUB_NOT_FOUND);
  Hub__Accounting__V1__ListBankLinesRequest lreq = HUB__ACCOUNTING__V1__LIST_BANK_LINES_REQUEST__INIT;
  lreq.account_code = "1020";
  Hub__Accounting__V1__ListBankLinesResponse *theirs = NULL;
  CHECK(hub_accounting_v1_accounting_list_bank_lines_call(w.ch, &co, a, &lreq, &theirs), "carl's lines");
  assert_int_equal(theirs->n_lines, 0);
  hub_arena_free(a);
}

static const char savings_ofx[] =
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\nCOMPRESSION:NONE\n"
    "OLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
    "<DTSERVER>20261201120000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0"
    "<SEVERITY>INFO</STATUS><STMTRS><CURDEF>%s<BANKACCTFROM><BANKID>121000248<ACCTID>0009999<ACCTTYPE>SAVINGS"
    "</BANKACCTFROM><BANKTRANLIST><DTSTART>20261101<DTEND>20261130"
    "<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261102<TRNAMT>1000.00<FITID>S1<NAME>Transfer in</STMTTRN>"
    "<STMTTRN><TRNTYPE>INT<DTPOSTED>20261130<TRNAMT>2.15<FITID>S2<NAME>Interest</STMTTRN>"
    "</BANKTRANLIST><LEDGERBAL><BALAMT>1002.15<DTASOF>20261130</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n";

static void test_ofx_closing_balance(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(&bea);
  Hub__Accounting__V1__CreateAccountRequest creq = HUB__ACCOUNTING__V1__CREATE_ACCOUNT_REQUEST__INIT;
  creq.code = "1030", creq.name = "Savings", creq.type = HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_ASSET;
  creq.currency_code = "USD", creq.cash_flow = HUB__ACCOUNTING__V1__CASH_FLOW_CLASS__CASH_FLOW_CLASS_CASH;
  Account *acct = NULL;
  CHECK(hub_accounting_v1_accounting_create_account_call(w.ch, &o, a, &creq, &acct), "savings account");
  Entry *in = post(a, "2026-11-02", "1030", "1020", 100000, NULL);
  Statement *s = NULL;
  assert_int_equal(import(a, &bea, "1030", OFX, hub_arena_sprintf(a, savings_ofx, "EUR"), NULL, &s).code,
                   HUB_FAILED_PRECONDITION); /* a USD account */
  CHECK(import(a, &bea, "1030", OFX, hub_arena_sprintf(a, savings_ofx, "USD"), NULL, &s), "import OFX");
  assert_int_equal(s->lines_imported, 2);
  assert_true(s->has_closing_balance);
  assert_int_equal(s->closing_balance_minor, 100215);
  assert_string_equal(s->closing_date, "2026-11-30");
  Hub__Accounting__V1__ListBankLinesResponse *l = lines(a, "1030", 0);
  assert_string_equal(l->lines[0]->external_id, "S2");
  /* The transfer matched, the interest booked: the books reconcile with the bank's own balance. */
  BankLine *m = NULL;
  CHECK(match(a, &bea, line_of(l, "2026-11-02", 100000)->id, in->id, &m), "match the transfer");
  Hub__Accounting__V1__PostBankLineRequest preq = HUB__ACCOUNTING__V1__POST_BANK_LINE_REQUEST__INIT;
  preq.bank_line_id = line_of(l, "2026-11-30", 215)->id, preq.contra_account_code = "4900";
  CHECK(hub_accounting_v1_accounting_post_bank_line_call(w.ch, &o, a, &preq, &m), "book the interest");
  Hub__Accounting__V1__GetBankReconciliationRequest rreq = HUB__ACCOUNTING__V1__GET_BANK_RECONCILIATION_REQUEST__INIT;
  rreq.account_code = "1030", rreq.as_of_date = "2026-11-30";
  Hub__Accounting__V1__BankReconciliation *r = NULL;
  CHECK(hub_accounting_v1_accounting_get_bank_reconciliation_call(w.ch, &o, a, &rreq, &r), "reconcile savings");
  assert_int_equal(r->book_balance_minor, 100215);
  assert_true(r->has_statement_balance);
  assert_int_equal(r->statement_balance_minor, 100215);
  assert_int_equal(r->difference_minor, 0);
  assert_int_equal(r->n_bank_only + r->n_books_only, 0);

  /* Not OFX; a CSV whose map names a missing column; a line that is no amount. */
  assert_true(acc_violation_on(import(a, &bea, "1030", OFX, "date,amount\n2026-11-03,5\n", NULL, &s), "content"));
  Hub__Accounting__V1__CsvColumns *map = european(a);
  map->amount = "Amount";
  assert_true(acc_violation_on(import(a, &bea, "1030", CSV, november, map, &s), "csv.amount"));
  assert_true(acc_violation_on(import(a, &bea, "1030", CSV, "x\nDatum;Text;Betrag\n01.12.2026;a;zwei\n", european(a), &s),
                               "content"));
  assert_int_equal(import(a, &bea, "9999", CSV, november, european(a), &s).code, HUB_NOT_FOUND);
  /* Not a bank account: the refusal names the field and says what would do. */
  hub_status st = import(a, &bea, "4010", CSV, november, european(a), &s);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "account_code: a bank account is an asset"));
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_import_match_reconcile),
      cmocka_unit_test(test_ofx_closing_balance),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
