/* hub_status: names, parsing, constructors, and the google.rpc.Status round trip that
 * carries field violations to callers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "google/rpc/status.pb-c.h"
#include "hub/status.h"
#include "hub/status_details.h"

static void test_names_round_trip(void **state) {
  (void)state;
  for (int c = 0; c < HUB_CODE_COUNT; c++) {
    hub_code parsed;
    assert_true(hub_code_parse(hub_code_name((hub_code)c), &parsed));
    assert_int_equal(parsed, c);
  }
  assert_string_equal(hub_code_name(HUB_INVALID_ARGUMENT), "INVALID_ARGUMENT");
  assert_string_equal(hub_code_name((hub_code)99), "UNKNOWN");
  hub_code c;
  assert_true(hub_code_parse("14", &c));
  assert_int_equal(c, HUB_UNAVAILABLE);
  assert_false(hub_code_parse("17", &c));
  assert_false(hub_code_parse("NOPE", &c));
  assert_false(hub_code_parse("", &c));
}

static void test_constructors(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_status s = hub_status_new(a, HUB_NOT_FOUND, "ticket %d not found", 42);
  assert_int_equal(s.code, HUB_NOT_FOUND);
  assert_string_equal(s.message, "ticket 42 not found");
  assert_null(s.violations);
  assert_false(hub_ok(s));
  assert_true(hub_ok(HUB_STATUS_OK));

  hub_status v = hub_status_invalid(a, "ticket.subject", "must not be empty");
  assert_int_equal(v.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(v.message, "ticket.subject: must not be empty");
  assert_string_equal(v.violations->field, "ticket.subject");
  hub_status_add_violation(a, &v, "ticket.priority", "unknown value %d", 9);
  assert_string_equal(v.violations->next->field, "ticket.priority");
  assert_string_equal(v.violations->next->description, "unknown value 9");

  hub_status fresh = HUB_STATUS_OK;
  hub_status_add_violation(a, &fresh, "page_size", "must be at most 500");
  assert_int_equal(fresh.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(fresh.message, "page_size: must be at most 500");
  hub_arena_free(a);
}

static void test_details_round_trip(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_status v = hub_status_invalid(a, "email", "is not an address");
  hub_status_add_violation(a, &v, "name", "too long");
  size_t len;
  uint8_t *bytes = hub_status_details_pack(a, v, &len);
  /* It is a real google.rpc.Status. */
  Google__Rpc__Status *s = google__rpc__status__unpack(NULL, len, bytes);
  assert_non_null(s);
  assert_int_equal(s->code, HUB_INVALID_ARGUMENT);
  assert_string_equal(s->message, "email: is not an address");
  assert_int_equal(s->n_details, 1);
  assert_string_equal(s->details[0]->type_url, "type.googleapis.com/google.rpc.BadRequest");
  google__rpc__status__free_unpacked(s, NULL);

  hub_status back = {0};
  assert_true(hub_status_details_unpack(a, bytes, len, &back));
  assert_int_equal(back.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(back.violations->field, "email");
  assert_string_equal(back.violations->next->description, "too long");
  assert_null(back.violations->next->next);

  hub_status plain = hub_status_new(a, HUB_ABORTED, "etag mismatch");
  bytes = hub_status_details_pack(a, plain, &len);
  assert_true(hub_status_details_unpack(a, bytes, len, &back));
  assert_int_equal(back.code, HUB_ABORTED);
  assert_null(back.violations);
  const uint8_t garbage[] = {0xff, 0xff, 0xff};
  assert_false(hub_status_details_unpack(a, garbage, sizeof garbage, &back));
  hub_arena_free(a);
}

/* A fixed message is used as it is: a '%' in it is text, never a conversion. */
static void test_fixed_is_not_a_format(void **state) {
  (void)state;
  hub_status s = hub_status_fixed(HUB_ALREADY_EXISTS, "100% taken");
  assert_int_equal(s.code, HUB_ALREADY_EXISTS);
  assert_string_equal(s.message, "100% taken");
  assert_null(s.violations);
}

/* What leaves the server is bounded whatever a handler put in it: a 20,000-character value
 * echoed in the message and in 40 violations gives a status whose trailers fit in 4 KiB. */
static void test_bounded(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *huge = hub_arena_alloc(a, 20001);
  memset(huge, 'x', 20000);
  huge[20000] = '\0';
  hub_status st = hub_status_invalid(a, huge, "\"%s\" cannot be changed here", huge);
  for (int i = 0; i < 40; i++) hub_status_add_violation(a, &st, "update_mask", "\"%s\" is unknown", huge);
  hub_status b = hub_status_bounded(a, st);
  assert_int_equal(b.code, HUB_INVALID_ARGUMENT);
  assert_true(strlen(b.message) <= HUB_STATUS_MESSAGE_MAX + 3);
  assert_non_null(strstr(b.message, "\xE2\x80\xA6")); /* says it was cut */
  size_t n = 0, bytes = 0;
  for (hub_violation *v = b.violations; v; v = v->next, n++) {
    assert_true(strlen(v->field) <= HUB_STATUS_FIELD_MAX + 3);
    assert_true(strlen(v->description) <= HUB_STATUS_MESSAGE_MAX + 3);
    bytes += strlen(v->field) + strlen(v->description);
  }
  assert_true(n >= 1 && n <= HUB_STATUS_VIOLATIONS_MAX);
  assert_true(bytes <= HUB_STATUS_VIOLATION_BYTES);
  size_t len;
  hub_status_details_pack(a, b, &len);
  assert_true(len + strlen(b.message) < 4096);
  /* The original is untouched; a status within bounds comes back as it was. */
  assert_int_equal(strlen(st.violations->field), 20000);
  hub_status small = hub_status_new(a, HUB_NOT_FOUND, "no such team");
  assert_ptr_equal(hub_status_bounded(a, small).message, small.message);
  /* Ill-formed UTF-8 and control characters never leave. */
  hub_status dirty = hub_status_new(a, HUB_NOT_FOUND, "unknown service %s", "a\xFF\x1b[2Jb\n");
  assert_string_equal(hub_status_bounded(a, dirty).message, "unknown service a??[2Jb\n");
  hub_arena_free(a);
}

static void test_quote(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  assert_string_equal(hub_status_quote(a, NULL), "");
  assert_string_equal(hub_status_quote(a, "short"), "short");
  char long_value[200];
  memset(long_value, 'q', sizeof long_value - 1);
  long_value[sizeof long_value - 1] = '\0';
  const char *q = hub_status_quote(a, long_value);
  assert_int_equal(strlen(q), HUB_STATUS_QUOTE_MAX + 3);
  assert_int_equal(strncmp(q, long_value, HUB_STATUS_QUOTE_MAX), 0);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names_round_trip),
      cmocka_unit_test(test_constructors),
      cmocka_unit_test(test_details_round_trip),
      cmocka_unit_test(test_fixed_is_not_a_format),
      cmocka_unit_test(test_bounded),
      cmocka_unit_test(test_quote),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
