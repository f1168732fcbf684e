/* The profile's value rules (server/services/auth/profile_rules.c) and the shared field rules
 * they sit beside (server/aip/fields.c): BCP 47 well-formedness and canonical case,
 * IANA zone names against the system's tz database (and path tricks refused), https URLs,
 * one-line UTF-8 text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "aip/fields.h"
#include "services/auth/profile_rules.h"

static void locale_is(hub_arena *a, const char *in, const char *want) {
  char *got = auth_locale_canonical(a, in);
  const char *shown = in ? in : "(null)";
  if (!want && got) fail_msg("\"%s\" accepted as \"%s\"", shown, got);
  if (want && (!got || strcmp(got, want) != 0)) fail_msg("\"%s\" gave \"%s\", want \"%s\"", shown, got ? got : "NULL", want);
}

static void test_locales(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  locale_is(a, "en", "en");
  locale_is(a, "EN-us", "en-US");
  locale_is(a, "zh-hant-tw", "zh-Hant-TW");
  locale_is(a, "es-419", "es-419");
  locale_is(a, "de-CH-1996", "de-CH-1996");
  locale_is(a, "sl-rozaj-biske", "sl-rozaj-biske");
  locale_is(a, "zh-yue-HK", "zh-yue-HK"); /* extlang */
  locale_is(a, "en-US-u-ca-gregory", "en-US-u-ca-gregory");
  locale_is(a, "en-x-Private", "en-x-private");
  locale_is(a, "gsw", "gsw");
  const char *bad[] = {"", "e", "english", "en_US", "en--US", "en-", "-en", "x-private", "en-u", "en-u-x-a",
                       "en-x", "en-US-Latn", "en-US-US", "de CH", "de-CH\n", "123", "en-abcdefghi",
                       "en-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) locale_is(a, bad[i], NULL);
  locale_is(a, NULL, NULL);
  hub_arena_free(a);
}

static void test_time_zones(void **state) {
  (void)state;
  assert_true(auth_time_zone_ok("UTC"));
  assert_true(auth_time_zone_ok("Europe/Zurich"));
  assert_true(auth_time_zone_ok("America/Argentina/Buenos_Aires"));
  const char *bad[] = {"", "Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime", "Europe/../../etc/passwd",
                       "Europe//Zurich", "Europe/", "Europe/Zurich ", "europe zurich", NULL};
  for (size_t i = 0; bad[i]; i++)
    if (auth_time_zone_ok(bad[i])) fail_msg("time zone \"%s\" accepted", bad[i]);
  assert_false(auth_time_zone_ok(NULL));
}

static void test_https_urls(void **state) {
  (void)state;
  assert_true(hub_https_url_ok("https://cdn.example.com/a.png"));
  assert_true(hub_https_url_ok("https://cdn.example.com:8443/a.png?size=64#x"));
  const char *bad[] = {"http://cdn.example.com/a.png", "https://", "https:///a", "javascript:alert(1)",
                       "https://user:pw@cdn.example.com/", "https://cdn.example.com/a b", "https://cdn.example.com/\"",
                       "https://cdn.example.com/<x>", NULL};
  for (size_t i = 0; bad[i]; i++)
    if (hub_https_url_ok(bad[i])) fail_msg("URL \"%s\" accepted", bad[i]);
  char long_url[2100] = "https://cdn.example.com/";
  memset(long_url + strlen(long_url), 'a', 2049 - strlen(long_url));
  long_url[2049] = '\0';
  assert_false(hub_https_url_ok(long_url));
  long_url[2048] = '\0';
  assert_true(hub_https_url_ok(long_url));
}

static void test_text(void **state) {
  (void)state;
  assert_true(hub_text_ok("Pat Müller 日本", 200, false));
  assert_true(hub_text_ok(NULL, 10, false));
  assert_true(hub_text_ok("two\nlines", 20, true));
  assert_false(hub_text_ok("two\nlines", 20, false));
  assert_false(hub_text_ok("del\x7f", 20, true));
  assert_false(hub_text_ok("\xc0\xaf overlong", 20, false));
  assert_false(hub_text_ok("\xed\xa0\x80 surrogate", 20, false));
  assert_false(hub_text_ok("cut \xe6\x97", 20, false));
  assert_false(hub_text_ok("elevenbytes", 10, false));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_locales),
      cmocka_unit_test(test_time_zones),
      cmocka_unit_test(test_https_urls),
      cmocka_unit_test(test_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
