/* Enum <-> stored text from descriptors: every value of Ticket's Status and Priority both ways,
 * the zero value and undefined numbers without text, and text that names no value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "hub/enum_text.h"
#include "hub/ticket/v1/ticket.pb-c.h"

static void test_status_both_ways(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  static const char *const names[] = {NULL, "new", "open", "pending", "on_hold", "solved", "closed"};
  const ProtobufCEnumDescriptor *d = &hub__ticket__v1__status__descriptor;
  for (int v = 1; v <= 6; v++) {
    assert_string_equal(hub_enum_to_text(a, d, v), names[v]);
    assert_int_equal(hub_enum_from_text(d, names[v]), v);
  }
  assert_null(hub_enum_to_text(a, d, 0));
  assert_null(hub_enum_to_text(a, d, 7));
  assert_int_equal(hub_enum_from_text(d, "ON_HOLD"), 0); /* stored text is lower case */
  assert_int_equal(hub_enum_from_text(d, "on_hol"), 0);
  assert_int_equal(hub_enum_from_text(d, "on_holdx"), 0);
  assert_int_equal(hub_enum_from_text(d, "unspecified"), 0);
  assert_int_equal(hub_enum_from_text(d, ""), 0);
  assert_int_equal(hub_enum_from_text(d, NULL), 0);
  assert_string_equal(hub_enum_to_text(a, &hub__ticket__v1__priority__descriptor, 4), "urgent");
  assert_int_equal(hub_enum_from_text(&hub__ticket__v1__priority__descriptor, "low"), 1);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_status_both_ways)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
