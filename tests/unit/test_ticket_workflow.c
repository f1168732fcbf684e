/* The ticket workflow, exhaustively: every (from, to) pair of the six statuses, against the
 * documented list of allowed moves written out here independently of the table in
 * workflow.c; plus the names both ways and which statuses pause the SLA clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "services/ticket/ticket.h"

static const char *const allowed_moves[] = {
    "new>open",     "new>pending",    "new>on_hold",     "new>solved",      "open>pending",
    "open>on_hold", "open>solved",    "pending>open",    "pending>on_hold", "pending>solved",
    "on_hold>open", "on_hold>pending", "on_hold>solved", "solved>open",     "solved>closed",
};

static bool documented(const char *from, const char *to) {
  char key[32];
  snprintf(key, sizeof key, "%s>%s", from, to);
  for (size_t i = 0; i < sizeof allowed_moves / sizeof *allowed_moves; i++)
    if (!strcmp(allowed_moves[i], key)) return true;
  return false;
}

static void test_every_pair(void **state) {
  (void)state;
  int legal = 0, illegal = 0;
  hub_arena *a = hub_arena_new(0);
  for (int f = 1; f <= 6; f++) {
    for (int t = 1; t <= 6; t++) {
      const char *from = ticket_status_text(a, (Hub__Ticket__V1__Status)f);
      const char *to = ticket_status_text(a, (Hub__Ticket__V1__Status)t);
      bool want = documented(from, to);
      bool got = ticket_transition_allowed((Hub__Ticket__V1__Status)f, (Hub__Ticket__V1__Status)t);
      if (want != got) fail_msg("%s -> %s: workflow says %d, documented %d", from, to, got, want);
      legal += want;
      illegal += !want;
    }
  }
  assert_int_equal(legal, 15);
  assert_int_equal(illegal, 21);
  hub_arena_free(a);
}

static void test_closed_is_final_and_unknown_refused(void **state) {
  (void)state;
  for (int t = 0; t <= 7; t++)
    assert_false(ticket_transition_allowed(HUB__TICKET__V1__STATUS__STATUS_CLOSED, (Hub__Ticket__V1__Status)t));
  assert_false(ticket_transition_allowed(HUB__TICKET__V1__STATUS__STATUS_UNSPECIFIED, HUB__TICKET__V1__STATUS__STATUS_OPEN));
  assert_false(ticket_transition_allowed(HUB__TICKET__V1__STATUS__STATUS_NEW, (Hub__Ticket__V1__Status)42));
}

static void test_names_round_trip(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  for (int s = 1; s <= 6; s++)
    assert_int_equal(ticket_status_from_text(ticket_status_text(a, (Hub__Ticket__V1__Status)s)), s);
  for (int p = 1; p <= 4; p++)
    assert_int_equal(ticket_priority_from_text(ticket_priority_text(a, (Hub__Ticket__V1__Priority)p)), p);
  assert_null(ticket_status_text(a, HUB__TICKET__V1__STATUS__STATUS_UNSPECIFIED));
  assert_int_equal(ticket_status_from_text("bogus"), 0);
  assert_string_equal(ticket_status_text(a, HUB__TICKET__V1__STATUS__STATUS_ON_HOLD), "on_hold");
  /* The stored text is what the tickets table's CHECK allows (0003_ticket.sql). */
  assert_string_equal(ticket_priority_text(a, HUB__TICKET__V1__PRIORITY__PRIORITY_URGENT), "urgent");
  hub_arena_free(a);
}

static void test_pausing_statuses(void **state) {
  (void)state;
  for (int s = 1; s <= 6; s++) {
    bool pauses = s == HUB__TICKET__V1__STATUS__STATUS_PENDING || s == HUB__TICKET__V1__STATUS__STATUS_ON_HOLD;
    assert_int_equal(ticket_status_pauses((Hub__Ticket__V1__Status)s), pauses);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_pair),
      cmocka_unit_test(test_closed_is_final_and_unknown_refused),
      cmocka_unit_test(test_names_round_trip),
      cmocka_unit_test(test_pausing_statuses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
