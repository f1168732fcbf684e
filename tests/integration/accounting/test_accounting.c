/* The Accounting service end to end through a real hubd and libhubclient: the generic chart on
 * first use, accounts (codes unique, balance rules), posting (balanced per currency or refused
 * naming the line; idempotent by entry id, a different body refused with nothing applied),
 * batches all-or-none and one by one, a no-overdraft rule, two-phase entries (held, posted,
 * voided), reversal once, journal pages, balances now and at a past date, and isolation:
 * another tenant's accounts and entries are NOT_FOUND; the sweeper voids an expired pending
 * entry, releasing its hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "books.h"

static hub_test_user alice, bob; /* owners of two tenants */

static int setup(void **state) {
  (void)state;
  static const char *const extra[] = {"HUB_ACCOUNTING_EXPIRY_INTERVAL_MS=200", NULL};
  if (!hub_world_up(&w, "accounting", extra)) return -1;
  hub_world_signup_login(&w, "alice-accounting@example.com", "Alice Accounting Co", "smb_hub", &alice);
  hub_world_signup_login(&w, "bob-accounting@example.com", "Bob Accounting Co", "smb_hub", &bob);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

static void test_chart_is_made_on_first_use(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Accounting__V1__ListAccountsRequest req = HUB__ACCOUNTING__V1__LIST_ACCOUNTS_REQUEST__INIT;
  req.page_size = 10;
  Hub__Accounting__V1__ListAccountsResponse *p1 = NULL, *p2 = NULL;
  hub_call_options o = hub_world_opts(&bob);
  CHECK(hub_accounting_v1_accounting_list_accounts_call(w.ch, &o, a, &req, &p1), "ListAccounts");
  assert_int_equal(p1->n_accounts, 10);
  assert_string_equal(p1->accounts[0]->code, "1000");
  assert_string_equal(p1->accounts[1]->code, "1010");
  assert_string_equal(p1->accounts[1]->parent_id, p1->accounts[0]->id);
  assert_int_equal(p1->accounts[1]->normal_side, DR);
  req.page_token = p1->page->next_page_token;
  CHECK(hub_accounting_v1_accounting_list_accounts_call(w.ch, &o, a, &req, &p2), "ListAccounts page 2");
  assert_true(strcmp(p2->accounts[0]->code, p1->accounts[9]->code) > 0);
  Account *dup = NULL;
  assert_int_equal(acc_create_account(a, &bob, "1010", HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_ASSET, NULL, &dup).code,
                   HUB_ALREADY_EXISTS);
  hub_arena_free(a);
}

static void test_post_balanced_idempotent(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  const char *id = "0190b000-0000-7000-8000-000000000001";
  Entry *e = NULL, *again = NULL;
  int64_t before = acc_balance_of(a, &alice, "1020", NULL);
  CHECK(acc_post(a, &alice, acc_entry2(a, id, "2026-11-03", "1020", "4010", 12500), &e), "PostEntry");
  assert_string_equal(e->id, id);
  assert_int_equal(e->n_lines, 2);
  assert_string_equal(e->lines[0]->account_code, "1020");
  assert_int_equal(e->lines[0]->base_amount_minor, 12500);
  assert_int_equal(e->status, HUB__ACCOUNTING__V1__ENTRY_STATUS__ENTRY_STATUS_POSTED);
  assert_false(e->existed);
  assert_true(e->seq > 0);
  /* The same id and body: the first entry, nothing applied again. */
  CHECK(acc_post(a, &alice, acc_entry2(a, id, "2026-11-03", "1020", "4010", 12500), &again), "PostEntry again");
  assert_true(again->existed);
  assert_int_equal(again->seq, e->seq);
  assert_int_equal(acc_balance_of(a, &alice, "1020", NULL), before + 12500);
  /* The same id, another body: refused, nothing applied. */
  hub_status st = acc_post(a, &alice, acc_entry2(a, id, "2026-11-03", "1020", "4010", 99), &again);
  assert_int_equal(st.code, HUB_ALREADY_EXISTS);
  assert_non_null(strstr(st.message, "entry.id"));
  assert_int_equal(acc_balance_of(a, &alice, "1020", NULL), before + 12500);
  /* Unbalanced: refused naming the lines, nothing written. */
  EntryInput *bad = acc_entry2(a, NULL, "2026-11-03", "1020", "4010", 100);
  bad->lines[1]->amount_minor = 90;
  st = acc_post(a, &alice, bad, &again);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_true(acc_violation_on(st, "entry.lines"));
  /* An unknown account, by code. */
  st = acc_post(a, &alice, acc_entry2(a, NULL, "2026-11-03", "1020", "9999", 100), &again);
  assert_int_equal(st.code, HUB_NOT_FOUND);
  assert_non_null(strstr(st.message, "entry.lines[1].account_code"));
  /* One line, and a date that does not exist: the rules before any SQL. */
  bad = acc_entry2(a, NULL, "2026-02-30", "1020", "4010", 100);
  st = acc_post(a, &alice, bad, &again);
  assert_true(acc_violation_on(st, "entry.date"));
  bad = acc_entry2(a, NULL, "2026-11-03", "1020", "4010", 100);
  bad->n_lines = 1;
  assert_true(acc_violation_on(acc_post(a, &alice, bad, &again), "entry.lines"));
  assert_int_equal(acc_balance_of(a, &alice, "1020", NULL), before + 12500);
  /* Balances at a past date exclude later postings. */
  assert_int_equal(acc_balance_of(a, &alice, "1020", "2026-11-02"), 0);
  assert_int_equal(acc_balance_of(a, &alice, "1020", "2026-11-03"), before + 12500);
  hub_arena_free(a);
}

static void test_no_overdraft_and_two_phase(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  int64_t zero = 0;
  Account *cash = NULL;
  CHECK(acc_create_account(a, &alice, "1011", HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_ASSET, &zero, &cash), "CreateAccount");
  Entry *e = NULL;
  CHECK(acc_post(a, &alice, acc_entry2(a, NULL, "2026-11-05", "1011", "3010", 1000), &e), "fund");
  /* Spending more than is there: refused naming the account. */
  hub_status st = acc_post(a, &alice, acc_entry2(a, NULL, "2026-11-06", "6020", "1011", 1001), &e);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "1011"));
  /* A pending 600 holds: a second 600 does not fit, until the first is voided. */
  EntryInput *hold = acc_entry2(a, NULL, "2026-11-06", "6020", "1011", 600);
  hold->pending = true;
  Google__Protobuf__Timestamp exp = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  exp.seconds = time(NULL) + 3600;
  hold->expire_time = &exp;
  Entry *pending = NULL, *second = NULL, *out = NULL;
  CHECK(acc_post(a, &alice, hold, &pending), "pending");
  assert_int_equal(pending->status, HUB__ACCOUNTING__V1__ENTRY_STATUS__ENTRY_STATUS_PENDING);
  assert_int_equal(acc_balance_of(a, &alice, "1011", NULL), 1000); /* not posted yet */
  EntryInput *hold2 = acc_entry2(a, NULL, "2026-11-06", "6020", "1011", 600);
  hold2->pending = true, hold2->expire_time = &exp;
  assert_int_equal(acc_post(a, &alice, hold2, &second).code, HUB_FAILED_PRECONDITION);
  Hub__Accounting__V1__VoidPendingEntryRequest rreq = HUB__ACCOUNTING__V1__VOID_PENDING_ENTRY_REQUEST__INIT;
  Hub__Accounting__V1__PostPendingEntryRequest preq = HUB__ACCOUNTING__V1__POST_PENDING_ENTRY_REQUEST__INIT;
  rreq.id = pending->id;
  preq.id = pending->id;
  hub_call_options o = hub_world_opts(&alice);
  CHECK(hub_accounting_v1_accounting_void_pending_entry_call(w.ch, &o, a, &rreq, &out), "void");
  assert_int_equal(out->status, HUB__ACCOUNTING__V1__ENTRY_STATUS__ENTRY_STATUS_VOIDED);
  assert_int_equal(hub_accounting_v1_accounting_post_pending_entry_call(w.ch, &o, a, &preq, &out).code,
                   HUB_FAILED_PRECONDITION);
  CHECK(acc_post(a, &alice, hold2, &second), "pending after void");
  preq.id = second->id;
  CHECK(hub_accounting_v1_accounting_post_pending_entry_call(w.ch, &o, a, &preq, &out), "post pending");
  assert_int_equal(out->status, HUB__ACCOUNTING__V1__ENTRY_STATUS__ENTRY_STATUS_POSTED);
  assert_int_equal(acc_balance_of(a, &alice, "1011", NULL), 400);
  hub_arena_free(a);
}

static void test_batches_and_reversal(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  int64_t before = acc_balance_of(a, &alice, "1100", NULL);
  Hub__Accounting__V1__PostEntriesRequest req = HUB__ACCOUNTING__V1__POST_ENTRIES_REQUEST__INIT;
  EntryInput *es[3] = {acc_entry2(a, NULL, "2026-11-10", "1100", "4020", 100), acc_entry2(a, NULL, "2026-11-10", "1100", "9998", 200),
                       acc_entry2(a, NULL, "2026-11-10", "1100", "4020", 300)};
  req.n_entries = 3, req.entries = es;
  Hub__Accounting__V1__PostEntriesResponse *resp = NULL;
  hub_call_options o = hub_world_opts(&alice);
  /* All or none: the bad second entry refuses the batch. */
  hub_status st = hub_accounting_v1_accounting_post_entries_call(w.ch, &o, a, &req, &resp);
  assert_int_equal(st.code, HUB_NOT_FOUND);
  assert_non_null(strstr(st.message, "entries[1].lines[1].account_code"));
  assert_int_equal(acc_balance_of(a, &alice, "1100", NULL), before);
  /* One by one: two posted, the second refused with its reason. */
  req.each_on_its_own = true;
  CHECK(hub_accounting_v1_accounting_post_entries_call(w.ch, &o, a, &req, &resp), "PostEntries each");
  assert_int_equal(resp->n_results, 3);
  assert_string_equal(resp->results[0]->outcome, "posted");
  assert_string_equal(resp->results[1]->outcome, "refused");
  assert_string_equal(resp->results[1]->code, "NOT_FOUND");
  assert_string_equal(resp->results[2]->outcome, "posted");
  assert_int_equal(resp->posted, 2);
  assert_int_equal(resp->lines, 4);
  assert_int_equal(acc_balance_of(a, &alice, "1100", NULL), before + 400);
  /* A batch posted as one writes one outbox event, naming its entries in order. */
  EntryInput *two[2] = {acc_entry2(a, NULL, "2026-11-11", "1100", "4020", 10), acc_entry2(a, NULL, "2026-11-11", "1100", "4020", 20)};
  Hub__Accounting__V1__PostEntriesRequest breq = HUB__ACCOUNTING__V1__POST_ENTRIES_REQUEST__INIT;
  breq.n_entries = 2, breq.entries = two;
  Hub__Accounting__V1__PostEntriesResponse *bresp = NULL;
  CHECK(hub_accounting_v1_accounting_post_entries_call(w.ch, &o, a, &breq, &bresp), "PostEntries all");
  assert_int_equal(bresp->posted, 2);
  char *event = hub_world_query(&w, "SELECT payload->>'count' || ' ' || (payload->'entry_ids')::text FROM outbox"
                                    " WHERE topic = 'accounting.entries_posted' AND aggregate_id = '%s'",
                                bresp->results[0]->id);
  char *want = hub_arena_sprintf(a, "2 [\"%s\", \"%s\"]", bresp->results[0]->id, bresp->results[1]->id);
  assert_string_equal(event, want);
  free(event);
  char *singles = hub_world_query(&w, "SELECT count(*) FROM outbox WHERE topic = 'accounting.entry_posted' AND aggregate_id IN ('%s', '%s')",
                                  bresp->results[0]->id, bresp->results[1]->id);
  assert_string_equal(singles, "0");
  free(singles);
  assert_int_equal(acc_balance_of(a, &alice, "1100", NULL), before + 430);
  /* Reverse the first: once. */
  Hub__Accounting__V1__ReverseEntryRequest rreq = HUB__ACCOUNTING__V1__REVERSE_ENTRY_REQUEST__INIT;
  rreq.id = resp->results[0]->id;
  Entry *rev = NULL, *orig = NULL;
  CHECK(hub_accounting_v1_accounting_reverse_entry_call(w.ch, &o, a, &rreq, &rev), "ReverseEntry");
  assert_int_equal(rev->kind, HUB__ACCOUNTING__V1__ENTRY_KIND__ENTRY_KIND_REVERSAL);
  assert_string_equal(rev->reverses, resp->results[0]->id);
  assert_int_equal(rev->lines[0]->side, CR);
  assert_int_equal(acc_balance_of(a, &alice, "1100", NULL), before + 330);
  Entry *again = NULL;
  CHECK(hub_accounting_v1_accounting_reverse_entry_call(w.ch, &o, a, &rreq, &again), "ReverseEntry retry");
  assert_string_equal(again->id, rev->id);
  assert_true(again->existed);
  assert_int_equal(acc_balance_of(a, &alice, "1100", NULL), before + 330);
  Hub__Accounting__V1__GetEntryRequest greq = HUB__ACCOUNTING__V1__GET_ENTRY_REQUEST__INIT;
  greq.id = resp->results[0]->id;
  CHECK(hub_accounting_v1_accounting_get_entry_call(w.ch, &o, a, &greq, &orig), "GetEntry");
  assert_string_equal(orig->reversed_by, rev->id);
  hub_arena_free(a);
}

static void test_list_entries_pages(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Account *acc = NULL;
  CHECK(acc_create_account(a, &alice, "6041", HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_EXPENSE, NULL, &acc), "account");
  const char *dates[] = {"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05"};
  Entry *e = NULL;
  for (int i = 0; i < 5; i++) CHECK(acc_post(a, &alice, acc_entry2(a, NULL, dates[i], "6041", "1020", 10 + i), &e), "post");
  Hub__Accounting__V1__ListEntriesRequest req = HUB__ACCOUNTING__V1__LIST_ENTRIES_REQUEST__INIT;
  req.account_id = acc->id;
  req.page_size = 2;
  hub_call_options o = hub_world_opts(&alice);
  int seen = 0;
  const char *last_date = "9999";
  Hub__Accounting__V1__ListEntriesResponse *resp = NULL;
  do {
    CHECK(hub_accounting_v1_accounting_list_entries_call(w.ch, &o, a, &req, &resp), "ListEntries");
    for (size_t i = 0; i < resp->n_entries; i++) {
      assert_true(strcmp(resp->entries[i]->date, last_date) <= 0); /* newest first */
      last_date = resp->entries[i]->date;
      assert_int_equal(resp->entries[i]->n_lines, 2);
      seen++;
    }
    req.page_token = resp->page->next_page_token;
  } while (*req.page_token);
  assert_int_equal(seen, 5);
  hub_arena_free(a);
}

static void test_other_tenant_is_not_found(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Entry *mine = NULL, *out = NULL;
  CHECK(acc_post(a, &alice, acc_entry2(a, NULL, "2026-11-20", "1020", "4010", 7), &mine), "post");
  Hub__Accounting__V1__GetEntryRequest greq = HUB__ACCOUNTING__V1__GET_ENTRY_REQUEST__INIT;
  greq.id = mine->id;
  hub_call_options o = hub_world_opts(&bob);
  assert_int_equal(hub_accounting_v1_accounting_get_entry_call(w.ch, &o, a, &greq, &out).code, HUB_NOT_FOUND);
  Hub__Accounting__V1__ReverseEntryRequest rreq = HUB__ACCOUNTING__V1__REVERSE_ENTRY_REQUEST__INIT;
  rreq.id = mine->id;
  assert_int_equal(hub_accounting_v1_accounting_reverse_entry_call(w.ch, &o, a, &rreq, &out).code, HUB_NOT_FOUND);
  /* Bob cannot post to Alice's account by id. */
  EntryInput *e = acc_entry2(a, NULL, "2026-11-20", "1020", "4010", 7);
  e->lines[0]->account_code = "";
  e->lines[0]->account_id = mine->lines[0]->account_id;
  assert_int_equal(acc_post(a, &bob, e, &out).code, HUB_NOT_FOUND);
  hub_arena_free(a);
}

static Hub__Accounting__V1__ImportChartResponse *import_chart(hub_arena *a, const char *csv) {
  Hub__Accounting__V1__ImportChartRequest req = HUB__ACCOUNTING__V1__IMPORT_CHART_REQUEST__INIT;
  req.csv = (char *)csv;
  Hub__Accounting__V1__ImportChartResponse *out = NULL;
  hub_call_options o = hub_world_opts(&bob);
  CHECK(hub_accounting_v1_accounting_import_chart_call(w.ch, &o, a, &req, &out), "ImportChart");
  return out;
}

static Account *account_by_code(hub_arena *a, const char *code) {
  Hub__Accounting__V1__GetAccountRequest req = HUB__ACCOUNTING__V1__GET_ACCOUNT_REQUEST__INIT;
  req.code = (char *)code;
  Account *acc = NULL;
  hub_call_options o = hub_world_opts(&bob);
  CHECK(hub_accounting_v1_accounting_get_account_call(w.ch, &o, a, &req, &acc), code);
  return acc;
}

/* A chart from CSV: parents by code (forward references too), quoted fields, again unchanged. */
static void test_import_chart(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  const char *csv = "Code,Name,Type,Parent_Code,Description\r\n"
                    "1610,Van,asset,1600,\"Delivery van, white\"\r\n"
                    "1600,Vehicles,ASSET,1000,\r\n"
                    "6080,\"Fuel \"\"diesel\"\"\",expense,6000,\r\n";
  Hub__Accounting__V1__ImportChartResponse *r = import_chart(a, csv);
  assert_int_equal(r->created, 3);
  assert_int_equal(r->updated, 0);
  Account *van = account_by_code(a, "1610"), *vehicles = account_by_code(a, "1600"), *fuel = account_by_code(a, "6080");
  assert_string_equal(van->parent_id, vehicles->id);
  assert_string_equal(van->description, "Delivery van, white");
  assert_string_equal(fuel->name, "Fuel \"diesel\"");
  assert_int_equal(fuel->normal_side, DR);
  r = import_chart(a, csv);
  assert_int_equal(r->created, 0);
  assert_int_equal(r->updated, 0);
  /* Audited when it changed the chart, not when it changed nothing. */
  assert_int_equal(acc_count("SELECT count(*) FROM audit_events WHERE tenant_id = '%s' AND action = 'accounting.chart_imported'"
                             " AND detail->>'created' = '3'",
                             bob.tenant_id),
                   1);
  assert_int_equal(acc_count("SELECT count(*) FROM audit_events WHERE tenant_id = '%s' AND action = 'accounting.chart_imported'",
                             bob.tenant_id),
                   1);
  r = import_chart(a, "code,name,type\n1610,Van (electric),asset\n");
  assert_int_equal(r->created, 0);
  assert_int_equal(r->updated, 1);
  assert_string_equal(account_by_code(a, "1610")->name, "Van (electric)");
  /* The cash-flow class: set by the file, kept when a later file leaves it out. */
  r = import_chart(a, "code,name,type,cash_flow\n1610,Van (electric),asset,Investing\n1040,Savings,asset,cash\n");
  assert_int_equal(r->created, 1);
  assert_int_equal(r->updated, 1);
  assert_int_equal(account_by_code(a, "1610")->cash_flow, HUB__ACCOUNTING__V1__CASH_FLOW_CLASS__CASH_FLOW_CLASS_INVESTING);
  assert_int_equal(account_by_code(a, "1040")->cash_flow, HUB__ACCOUNTING__V1__CASH_FLOW_CLASS__CASH_FLOW_CLASS_CASH);
  assert_int_equal(account_by_code(a, "1020")->cash_flow, HUB__ACCOUNTING__V1__CASH_FLOW_CLASS__CASH_FLOW_CLASS_CASH);
  r = import_chart(a, "code,name,type\n1610,Van (electric),asset\n");
  assert_int_equal(r->updated, 0);
  assert_int_equal(account_by_code(a, "1610")->cash_flow, HUB__ACCOUNTING__V1__CASH_FLOW_CLASS__CASH_FLOW_CLASS_INVESTING);
  Hub__Accounting__V1__ImportChartRequest bad = HUB__ACCOUNTING__V1__IMPORT_CHART_REQUEST__INIT;
  bad.csv = "code,name,type,cash_flow\n1610,Van,asset,sometimes\n";
  Hub__Accounting__V1__ImportChartResponse *none = NULL;
  hub_call_options o = hub_world_opts(&bob);
  assert_true(acc_violation_on(hub_accounting_v1_accounting_import_chart_call(w.ch, &o, a, &bad, &none), "csv"));
  hub_arena_free(a);
}

/* A pending entry past its expiry is voided by the sweeper: its hold is released. */
static void test_pending_entry_expires(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  int64_t zero = 0;
  Account *cash = NULL;
  Entry *e = NULL, *pending = NULL, *got = NULL;
  CHECK(acc_create_account(a, &alice, "1012", HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_ASSET, &zero, &cash), "CreateAccount");
  CHECK(acc_post(a, &alice, acc_entry2(a, NULL, "2026-11-05", "1012", "3010", 100), &e), "fund");
  EntryInput *hold = acc_entry2(a, NULL, "2026-11-06", "6020", "1012", 80);
  hold->pending = true;
  Google__Protobuf__Timestamp exp = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  exp.seconds = time(NULL) + 2;
  hold->expire_time = &exp;
  CHECK(acc_post(a, &alice, hold, &pending), "pending");
  assert_int_equal(acc_post(a, &alice, acc_entry2(a, NULL, "2026-11-06", "6020", "1012", 30), &e).code,
                   HUB_FAILED_PRECONDITION); /* held */
  Hub__Accounting__V1__GetEntryRequest greq = HUB__ACCOUNTING__V1__GET_ENTRY_REQUEST__INIT;
  greq.id = pending->id;
  hub_call_options o = hub_world_opts(&alice);
  for (int i = 0; i < 100; i++) {
    CHECK(hub_accounting_v1_accounting_get_entry_call(w.ch, &o, a, &greq, &got), "GetEntry");
    if (got->status == HUB__ACCOUNTING__V1__ENTRY_STATUS__ENTRY_STATUS_VOIDED) break;
    nanosleep(&(struct timespec){0, 100000000L}, NULL);
  }
  assert_int_equal(got->status, HUB__ACCOUNTING__V1__ENTRY_STATUS__ENTRY_STATUS_VOIDED);
  CHECK(acc_post(a, &alice, acc_entry2(a, NULL, "2026-11-06", "6020", "1012", 30), &e), "fits once the hold expired");
  char *voided = hub_world_query(&w, "SELECT count(*) FROM outbox WHERE topic = 'accounting.entry_voided' AND aggregate_id = '%s'",
                                 pending->id);
  assert_string_equal(voided, "1");
  free(voided);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chart_is_made_on_first_use),
      cmocka_unit_test(test_post_balanced_idempotent),
      cmocka_unit_test(test_no_overdraft_and_two_phase),
      cmocka_unit_test(test_batches_and_reversal),
      cmocka_unit_test(test_list_entries_pages),
      cmocka_unit_test(test_other_tenant_is_not_found),
      cmocka_unit_test(test_pending_entry_expires),
      cmocka_unit_test(test_import_chart),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
