/* SLA arithmetic with fixed instants, on the shared calendar (whose own tests are
 * test_calendar.c): clocks with pauses (pending overnight, on hold over a weekend, overlapping
 * and open pauses), warning and breach, targets across DST changes, and policy matching. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "calendar_fixture.h"
#include "services/ticket/sla.h"

static void test_sla_24x7(void **state) {
  (void)state;
  hub_calendar c;
  hub_calendar_24x7(&c);
  const int64_t t = U(2024, 3, 30, 22, 17) + 5;
  ticket_sla_state st = ticket_sla_evaluate(&c, t, 4 * H, 0, NULL, 0, H, t + 3 * H);
  assert_int_equal(st.elapsed_s, 3 * H);
  assert_int_equal(st.remaining_s, H);
  assert_int_equal(st.due_s, t + 4 * H);
  assert_true(st.warning);
  assert_false(st.breached || st.paused);
}

static void test_sla_across_dst_change(void **state) {
  (void)state;
  hub_calendar ber, ny;
  cal_make(&ber, "Europe/Berlin", "mon-fri 09:00-17:00");
  cal_make(&ny, "America/New_York", "mon-fri 09:00-17:00");
  /* Friday 2024-03-29 15:00 CET + 4h: 2h on Friday, Monday 11:00 CEST = 09:00Z (not 10:00Z) */
  assert_int_equal(hub_calendar_add_business(&ber, U(2024, 3, 29, 14, 0), 4 * H), U(2024, 4, 1, 9, 0));
  assert_int_equal(hub_calendar_business_seconds(&ber, U(2024, 3, 29, 14, 0), U(2024, 4, 1, 9, 0)), 4 * H);
  /* Friday 2024-11-01 15:00 EDT + 4h: Monday 11:00 EST = 16:00Z */
  assert_int_equal(hub_calendar_add_business(&ny, U(2024, 11, 1, 19, 0), 4 * H), U(2024, 11, 4, 16, 0));
  ticket_sla_state st = ticket_sla_evaluate(&ny, U(2024, 11, 1, 19, 0), 4 * H, 0, NULL, 0, H, U(2024, 11, 4, 15, 0));
  assert_int_equal(st.elapsed_s, 3 * H);
  assert_int_equal(st.due_s, U(2024, 11, 4, 16, 0));
  assert_true(st.warning);
  /* 24x7 in a zone: a 24h target across the spring change is 24 real hours */
  hub_calendar all;
  cal_make(&all, "Europe/Berlin", "sun-sat 00:00-24:00");
  assert_int_equal(hub_calendar_add_business(&all, U(2024, 3, 30, 11, 0), 24 * H), U(2024, 3, 31, 11, 0));
}

static void test_pause_pending_overnight(void **state) {
  (void)state;
  hub_calendar c;
  cal_make(&c, "UTC", "mon-fri 09:00-17:00");
  const int64_t mon = U(2024, 1, 15, 0, 0), tue = mon + 86400;
  const ticket_sla_pause p[] = {{mon + 15 * H, tue + 11 * H}}; /* pending from Mon 15:00 to Tue 11:00 */
  assert_int_equal(ticket_sla_evaluate(&c, mon + 10 * H, 8 * H, 0, NULL, 0, 0, mon + 11 * H).due_s, tue + 10 * H);
  ticket_sla_state st = ticket_sla_evaluate(&c, mon + 10 * H, 8 * H, 0, p, 1, 2 * H, tue + 12 * H);
  assert_int_equal(st.elapsed_s, 6 * H); /* 10-15 Monday, 11-12 Tuesday */
  assert_int_equal(st.remaining_s, 2 * H);
  assert_int_equal(st.due_s, tue + 14 * H); /* 4 business hours paused */
  assert_false(st.paused || st.breached);
  assert_true(st.warning);
  assert_false(ticket_sla_evaluate(&c, mon + 10 * H, 8 * H, 0, p, 1, 2 * H - 1, tue + 12 * H).warning);
}

static void test_pause_on_hold_weekend(void **state) {
  (void)state;
  hub_calendar c;
  cal_make(&c, "UTC", "mon-fri 09:00-17:00");
  const int64_t fri = U(2024, 1, 19, 0, 0), mon = U(2024, 1, 22, 0, 0);
  const ticket_sla_pause p[] = {{fri + 14 * H, mon + 10 * H}};
  ticket_sla_state st = ticket_sla_evaluate(&c, fri + 10 * H, 8 * H, 0, p, 1, 0, mon + 11 * H);
  assert_int_equal(st.elapsed_s, 5 * H);
  assert_int_equal(st.due_s, mon + 14 * H); /* Monday 10:00 without the pause */
  assert_int_equal(ticket_sla_elapsed(&c, fri + 10 * H, mon + 11 * H, p, 1), 5 * H);
  /* while still on hold on Saturday */
  const ticket_sla_pause open[] = {{fri + 14 * H, INT64_MAX}};
  st = ticket_sla_evaluate(&c, fri + 10 * H, 8 * H, 0, open, 1, 0, fri + 86400 + 12 * H);
  assert_true(st.paused);
  assert_int_equal(st.due_s, INT64_MAX);
  assert_int_equal(st.elapsed_s, 4 * H);
}

static void test_overlapping_pauses(void **state) {
  (void)state;
  hub_calendar c;
  hub_calendar_24x7(&c);
  const int64_t t0 = U(2024, 5, 1, 0, 0);
  const ticket_sla_pause p[] = {
      {t0 + 6 * H, t0 + 7 * H}, {t0 + 2 * H, t0 + 4 * H},           {t0 + 1 * H, t0 + 3 * H},
      {t0 - H, t0 + 30 * M},    {t0 + 150 * M, t0 + 165 * M},       {t0 + 6 * H, t0 + 7 * H}, /* a duplicate */
      {t0 + 7 * H, t0 + 7 * H}, {t0 + 20 * H, t0 + 21 * H}, /* empty; in the future */
  };
  const size_t n = sizeof p / sizeof *p;
  /* merged within [t0, t0+8h]: [0, 0:30) [1h, 4h) [6h, 7h) = 4.5h */
  assert_int_equal(ticket_sla_elapsed(&c, t0, t0 + 8 * H, p, n), 3 * H + 30 * M);
  ticket_sla_state st = ticket_sla_evaluate(&c, t0, 10 * H, 0, p, n, 0, t0 + 8 * H);
  assert_false(st.paused);
  assert_int_equal(st.due_s, t0 + 14 * H + 30 * M);
  /* on a business-hours calendar the night inside a pause costs nothing */
  cal_make(&c, "UTC", "mon-fri 09:00-17:00");
  const int64_t wed = U(2024, 5, 1, 0, 0); /* a Wednesday */
  const ticket_sla_pause q[] = {{wed + 16 * H, wed + 86400 + 10 * H}, {wed + 15 * H, wed + 20 * H}};
  assert_int_equal(ticket_sla_elapsed(&c, wed + 9 * H, wed + 86400 + 12 * H, q, 2), 6 * H + 2 * H);
}

static void test_open_pause(void **state) {
  (void)state;
  hub_calendar c;
  hub_calendar_24x7(&c);
  const int64_t t0 = U(2024, 5, 1, 0, 0);
  const ticket_sla_pause p[] = {{t0 + H, t0 + 2 * H}, {t0 + 3 * H, INT64_MAX}};
  ticket_sla_state st = ticket_sla_evaluate(&c, t0, 4 * H, 0, p, 2, 30 * M, t0 + 9 * H);
  assert_true(st.paused);
  assert_int_equal(st.due_s, INT64_MAX);
  assert_int_equal(st.elapsed_s, 2 * H);
  assert_int_equal(st.remaining_s, 2 * H);
  assert_false(st.breached || st.warning);
  /* a pause that ends after now is still open at now */
  const ticket_sla_pause later[] = {{t0 + 3 * H, t0 + 10 * H}};
  st = ticket_sla_evaluate(&c, t0, 4 * H, 0, later, 1, 0, t0 + 9 * H);
  assert_true(st.paused);
  assert_int_equal(st.due_s, INT64_MAX);
  assert_int_equal(st.elapsed_s, 3 * H);
  /* once closed, the due time moves by the pause */
  st = ticket_sla_evaluate(&c, t0, 4 * H, 0, later, 1, 0, t0 + 10 * H);
  assert_false(st.paused);
  assert_int_equal(st.due_s, t0 + 11 * H);
}

static void test_warning_and_breach(void **state) {
  (void)state;
  hub_calendar c;
  hub_calendar_24x7(&c);
  const int64_t t0 = U(2024, 5, 1, 0, 0);
  ticket_sla_state st = ticket_sla_evaluate(&c, t0, 4 * H, 0, NULL, 0, H, t0 + 2 * H);
  assert_false(st.warning || st.breached);
  st = ticket_sla_evaluate(&c, t0, 4 * H, 0, NULL, 0, H, t0 + 3 * H);
  assert_true(st.warning);
  st = ticket_sla_evaluate(&c, t0, 4 * H, 0, NULL, 0, H, t0 + 4 * H); /* exactly at due: not yet breached */
  assert_true(st.warning && !st.breached);
  assert_int_equal(st.remaining_s, 0);
  st = ticket_sla_evaluate(&c, t0, 4 * H, 0, NULL, 0, H, t0 + 4 * H + 1);
  assert_true(st.breached && !st.warning);
  assert_int_equal(st.remaining_s, -1);
  assert_int_equal(st.due_s, t0 + 4 * H);
  /* completed: judged at done_s, never a warning */
  st = ticket_sla_evaluate(&c, t0, 4 * H, t0 + 3 * H + 59 * M, NULL, 0, H, t0 + 10 * H);
  assert_false(st.breached || st.warning || st.paused);
  assert_int_equal(st.elapsed_s, 3 * H + 59 * M);
  assert_int_equal(st.due_s, t0 + 4 * H);
  st = ticket_sla_evaluate(&c, t0, 4 * H, t0 + 5 * H, NULL, 0, H, t0 + 10 * H);
  assert_true(st.breached);
  assert_int_equal(st.due_s, t0 + 4 * H);
  /* a breach in the past under business hours: due is when it was reached */
  cal_make(&c, "UTC", "mon-fri 09:00-17:00");
  const int64_t mon = U(2024, 1, 15, 0, 0);
  st = ticket_sla_evaluate(&c, mon + 16 * H, 2 * H, 0, NULL, 0, 0, mon + 2 * 86400 + 9 * H);
  assert_true(st.breached);
  assert_int_equal(st.due_s, mon + 86400 + 10 * H);
  assert_int_equal(st.remaining_s, -7 * H);
}

static void test_match(void **state) {
  (void)state;
  const char *const vip_urgent[] = {"vip", "outage", NULL};
  const char *const vip[] = {"vip", NULL};
  const ticket_sla_condition conds[] = {
      {TICKET_PRIORITY_URGENT, "acme", vip_urgent}, /* 0 */
      {TICKET_PRIORITY_URGENT, NULL, NULL},         /* 1 */
      {0, "acme", vip},                          /* 2 */
      {TICKET_PRIORITY_HIGH, "", NULL},             /* 3 */
      {0, NULL, NULL},                           /* 4: catch-all */
      {TICKET_PRIORITY_LOW, NULL, NULL},            /* 5: shadowed by 4 */
  };
  const size_t n = sizeof conds / sizeof *conds;
  const char *const tags_all[] = {"billing", "outage", "vip"};
  const char *const tags_vip[] = {"vip"};
  assert_int_equal(ticket_sla_match(conds, n, TICKET_PRIORITY_URGENT, "acme", tags_all, 3), 0);
  assert_int_equal(ticket_sla_match(conds, n, TICKET_PRIORITY_URGENT, "acme", tags_vip, 1), 1); /* subset missing */
  assert_int_equal(ticket_sla_match(conds, n, TICKET_PRIORITY_URGENT, "other", tags_all, 3), 1);
  assert_int_equal(ticket_sla_match(conds, n, TICKET_PRIORITY_NORMAL, "acme", tags_vip, 1), 2);
  assert_int_equal(ticket_sla_match(conds, n, TICKET_PRIORITY_NORMAL, "acme", NULL, 0), 4);
  assert_int_equal(ticket_sla_match(conds, n, TICKET_PRIORITY_NORMAL, NULL, tags_vip, 1), 4); /* no brand */
  assert_int_equal(ticket_sla_match(conds, n, TICKET_PRIORITY_HIGH, "globex", NULL, 0), 3);
  assert_int_equal(ticket_sla_match(conds, n, TICKET_PRIORITY_LOW, NULL, NULL, 0), 4);
  assert_int_equal(ticket_sla_match(conds + 5, 1, TICKET_PRIORITY_NORMAL, NULL, NULL, 0), -1);
  assert_int_equal(ticket_sla_match(conds, 0, TICKET_PRIORITY_NORMAL, NULL, NULL, 0), -1);
  assert_int_equal(ticket_sla_match(conds, 3, TICKET_PRIORITY_HIGH, "ACME", tags_vip, 1), -1); /* brands are exact */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sla_24x7),
      cmocka_unit_test(test_sla_across_dst_change),
      cmocka_unit_test(test_pause_pending_overnight),
      cmocka_unit_test(test_pause_on_hold_weekend),
      cmocka_unit_test(test_overlapping_pauses),
      cmocka_unit_test(test_open_pause),
      cmocka_unit_test(test_warning_and_breach),
      cmocka_unit_test(test_match),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
