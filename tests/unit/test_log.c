/* The JSON-lines logger: escaping, numbers, the cached timestamp, and that every line is
 * valid JSON even when a value overflows the line (checked with a real JSON parser). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "hub/log.h"

/* Captures what the logger writes to stderr while `fn` runs; returns a malloc'd string. */
static char *capture(void (*fn)(void)) {
  FILE *tmp = tmpfile();
  int saved = dup(STDERR_FILENO);
  dup2(fileno(tmp), STDERR_FILENO);
  fn();
  dup2(saved, STDERR_FILENO);
  close(saved);
  long n = ftell(tmp);
  if (n <= 0) n = lseek(fileno(tmp), 0, SEEK_END);
  char *out = calloc(1, (size_t)n + 1);
  lseek(fileno(tmp), 0, SEEK_SET);
  if (read(fileno(tmp), out, (size_t)n) != n) out[0] = '\0';
  fclose(tmp);
  return out;
}

static void test_escape(void **state) {
  (void)state;
  char buf[64];
  size_t len = 0;
  assert_true(hub_json_escape(buf, sizeof buf, &len, "a\"b\\c\nd\te\x01"));
  buf[len] = '\0';
  assert_string_equal(buf, "a\\\"b\\\\c\\nd\\te\\u0001");
  len = 0;
  assert_false(hub_json_escape(buf, 8, &len, "0123456789"));
  assert_true(len < 8);
}

static void log_fields(void) {
  hub_log_line l;
  hub_log_begin(&l, HUB_LOG_INFO, "rpc");
  hub_log_str(&l, "method", "/hub.system.v1.System/GetInfo");
  hub_log_str(&l, "quote", "say \"hi\"\n");
  hub_log_str(&l, "tenant", NULL);
  hub_log_int(&l, "latency_us", 1234);
  hub_log_int(&l, "negative", -42);
  hub_log_int(&l, "zero", 0);
  hub_log_end(&l, HUB_LOG_INFO);
}

static void test_line_is_json(void **state) {
  (void)state;
  char *out = capture(log_fields);
  json_error_t err;
  json_t *j = json_loads(out, 0, &err);
  if (!j) fail_msg("not JSON: %s in %s", err.text, out);
  assert_string_equal(json_string_value(json_object_get(j, "msg")), "rpc");
  assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
  assert_string_equal(json_string_value(json_object_get(j, "quote")), "say \"hi\"\n");
  assert_true(json_is_null(json_object_get(j, "tenant")));
  assert_int_equal(json_integer_value(json_object_get(j, "latency_us")), 1234);
  assert_int_equal(json_integer_value(json_object_get(j, "negative")), -42);
  assert_int_equal(json_integer_value(json_object_get(j, "zero")), 0);
  const char *t = json_string_value(json_object_get(j, "time"));
  assert_int_equal(strlen(t), 27); /* 2026-11-24T21:39:18.861118Z */
  assert_int_equal(t[26], 'Z');
  assert_int_equal(t[19], '.');
  assert_int_equal(out[strlen(out) - 1], '\n');
  json_decref(j);
  free(out);
}

/* Bytes from outside that are not UTF-8 (a header, a path) must not make the line non-JSON:
 * ill-formed bytes become U+FFFD, well-formed characters stay as they are. */
static void log_bad_bytes(void) {
  hub_log_line l;
  hub_log_begin(&l, HUB_LOG_INFO, "rpc");
  hub_log_str(&l, "method", "/x\xC3(\xFF\xED\xA0\x80\x7F\xE2\x82\xAC");
  hub_log_end(&l, HUB_LOG_INFO);
  hub_logf(HUB_LOG_WARN, "formatted %s", "\xC0\xAF");
}

static void test_ill_formed_utf8_stays_json(void **state) {
  (void)state;
  char *out = capture(log_bad_bytes);
  char *second = strchr(out, '\n');
  assert_non_null(second);
  *second++ = '\0';
  json_error_t err;
  json_t *j = json_loads(out, 0, &err);
  if (!j) fail_msg("not JSON: %s in %s", err.text, out);
  assert_string_equal(json_string_value(json_object_get(j, "method")),
                      "/x\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\x7F\xE2\x82\xAC");
  json_decref(j);
  j = json_loads(second, 0, &err);
  if (!j) fail_msg("hub_logf line is not JSON: %s in %s", err.text, second);
  json_decref(j);
  free(out);
}

static void log_huge(void) {
  static char big[5000];
  memset(big, 'x', sizeof big - 1);
  big[100] = '"';
  hub_log_line l;
  hub_log_begin(&l, HUB_LOG_WARN, "big");
  hub_log_str(&l, "first", "kept");
  hub_log_str(&l, "value", big);
  hub_log_str(&l, "after", "dropped");
  hub_log_int(&l, "n", 7);
  hub_log_end(&l, HUB_LOG_WARN);
}

static void test_overflow_stays_valid_json(void **state) {
  (void)state;
  char *out = capture(log_huge);
  json_error_t err;
  json_t *j = json_loads(out, 0, &err);
  if (!j) fail_msg("truncated line is not JSON: %s", err.text);
  assert_true(json_is_true(json_object_get(j, "truncated")));
  assert_string_equal(json_string_value(json_object_get(j, "first")), "kept");
  assert_null(json_object_get(j, "after"));
  assert_true(strlen(out) <= sizeof(((hub_log_line *)0)->buf));
  json_decref(j);
  free(out);
}

static void log_debug(void) { hub_logf(HUB_LOG_DEBUG, "hidden %d", 1); }

static void test_levels(void **state) {
  (void)state;
  hub_log_level lv;
  assert_true(hub_log_parse_level("warn", &lv));
  assert_int_equal(lv, HUB_LOG_WARN);
  assert_false(hub_log_parse_level("loud", &lv));
  hub_log_set_level(HUB_LOG_INFO);
  char *out = capture(log_debug);
  assert_string_equal(out, "");
  free(out);
  hub_log_set_level(HUB_LOG_DEBUG);
  out = capture(log_debug);
  assert_non_null(strstr(out, "\"msg\":\"hidden 1\""));
  free(out);
  hub_log_set_level(HUB_LOG_INFO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_escape),
      cmocka_unit_test(test_line_is_json),
      cmocka_unit_test(test_ill_formed_utf8_stays_json),
      cmocka_unit_test(test_overflow_stays_valid_json),
      cmocka_unit_test(test_levels),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
