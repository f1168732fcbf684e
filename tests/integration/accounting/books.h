/* What the Accounting test programs share: typed shorthands and calls through libhubclient
 * against the world each program starts (`w`, defined in books.c). */
#ifndef HUB_TEST_ACCOUNTING_BOOKS_H
#define HUB_TEST_ACCOUNTING_BOOKS_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hub/accounting/v1/accounting.hub-client.h"
#include "support/world.h"

typedef Hub__Accounting__V1__Account Account;
typedef Hub__Accounting__V1__Entry Entry;
typedef Hub__Accounting__V1__Line Line;
typedef Hub__Accounting__V1__EntryInput EntryInput;

extern hub_world w;

#define CHECK(st, what)                                                                    \
  do {                                                                                     \
    hub_status _s = (st);                                                                  \
    if (!hub_ok(_s)) fail_msg("%s: %s %s", what, hub_code_name(_s.code), _s.message);      \
  } while (0)

#define DR HUB__ACCOUNTING__V1__SIDE__SIDE_DEBIT
#define CR HUB__ACCOUNTING__V1__SIDE__SIDE_CREDIT

/* CreateAccount with code = name; `min` (may be NULL) is a minimum balance rule. */
hub_status acc_create_account(hub_arena *a, const hub_test_user *u, const char *code, int type, const int64_t *min,
                              Account **out);
Line *acc_line(hub_arena *a, const char *code, int side, int64_t amount, const char *currency);
/* An entry of two USD lines: debit `dr`, credit `cr`; id NULL lets the server choose. */
EntryInput *acc_entry2(hub_arena *a, const char *id, const char *date, const char *dr, const char *cr, int64_t amount);
hub_status acc_post(hub_arena *a, const hub_test_user *u, EntryInput *e, Entry **out);
/* The account's balance (sum over currencies, minor units), now or at the end of `as_of`. */
int64_t acc_balance_of(hub_arena *a, const hub_test_user *u, const char *code, const char *as_of);
bool acc_violation_on(hub_status st, const char *field);
/* The first value of `fmt` (one %s: `arg`) run as the admin, as a number; -1 when none. */
long acc_count(const char *fmt, const char *arg);

typedef Hub__Accounting__V1__Report Report;
/* GetReport of `kind` over from..to (from may be ""), optionally per dimension value. */
hub_status acc_report(hub_arena *a, const hub_test_user *u, int kind, const char *from, const char *to, const char *dimension,
                      const char *value, bool from_postings, Report **out);
/* Fails the test, saying where, unless the two reports have the same rows and totals. */
void acc_assert_same_report(const Report *x, const Report *y, const char *what);
/* The report twice, from the daily movements and from the raw postings, asserted equal; the
 * first is answered. */
Report *acc_report_both_ways(hub_arena *a, const hub_test_user *u, int kind, const char *from, const char *to,
                             const char *dimension, const char *value);
#endif
