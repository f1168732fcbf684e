/* The pure parts of the migration runner: file names, the shape of a set of migrations,
 * and checksums. The database side is tests/integration/test_migrations.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "db/migrate.h"

static void test_names(void **state) {
  (void)state;
  int v = 0;
  assert_true(hub_migration_parse_name("0001_foundation.sql", &v));
  assert_int_equal(v, 1);
  assert_true(hub_migration_parse_name("0042_add_tickets_2.sql", &v));
  assert_int_equal(v, 42);
  const char *bad[] = {"001_x.sql", "0001x.sql", "0001_.sql", "0001_Upper.sql", "0001_x.SQL", "0000_zero.sql",
                       "0001_x.sql.bak", "abcd_x.sql", "0001_has-dash.sql", "0001 x.sql", ""};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (hub_migration_parse_name(bad[i], &v)) fail_msg("accepted \"%s\"", bad[i]);
}

static void test_set_shape(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_migration ok[] = {{2, "0002_b.sql", "", 0}, {1, "0001_a.sql", "", 0}, {3, "0003_c.sql", "", 0}};
  assert_true(hub_ok(hub_migrations_check(ok, 3, a)));
  assert_int_equal(ok[0].version, 1); /* sorted */
  assert_int_equal(ok[2].version, 3);
  hub_migration gap[] = {{1, "0001_a.sql", "", 0}, {3, "0003_c.sql", "", 0}};
  hub_status st = hub_migrations_check(gap, 2, a);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "0002 is missing"));
  hub_migration dup[] = {{1, "0001_a.sql", "", 0}, {1, "0001_b.sql", "", 0}};
  st = hub_migrations_check(dup, 2, a);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "share version 0001"));
  hub_migration late[] = {{2, "0002_b.sql", "", 0}};
  assert_int_equal(hub_migrations_check(late, 1, a).code, HUB_FAILED_PRECONDITION);
  assert_true(hub_ok(hub_migrations_check(NULL, 0, a)));
  /* The name must be well-formed and agree with the version. */
  hub_migration mislabeled[] = {{2, "0001_a.sql", "", 0}};
  st = hub_migrations_check(mislabeled, 1, a);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "0001_a.sql"));
  hub_migration badname[] = {{1, "0001_Bad.sql", "", 0}};
  assert_int_equal(hub_migrations_check(badname, 1, a).code, HUB_FAILED_PRECONDITION);
  hub_arena_free(a);
}

static void test_checksum(void **state) {
  (void)state;
  char hex[65];
  hub_migration_checksum("abc", 3, hex);
  assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  hub_migration_checksum("", 0, hex);
  assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  char other[65];
  hub_migration_checksum("abd", 3, other);
  assert_string_not_equal(hex, other);
}

static void test_embedded_set_is_valid(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  assert_true(hub_embedded_migrations_count >= 1);
  hub_migration copy[64];
  assert_true(hub_embedded_migrations_count <= 64);
  memcpy(copy, hub_embedded_migrations, hub_embedded_migrations_count * sizeof *copy);
  assert_true(hub_ok(hub_migrations_check(copy, hub_embedded_migrations_count, a)));
  for (size_t i = 0; i < hub_embedded_migrations_count; i++) {
    int v;
    assert_true(hub_migration_parse_name(hub_embedded_migrations[i].name, &v));
    assert_int_equal(strlen(hub_embedded_migrations[i].text), hub_embedded_migrations[i].len);
  }
  assert_string_equal(hub_embedded_migrations[0].name, "0001_foundation.sql");
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_set_shape),
      cmocka_unit_test(test_checksum),
      cmocka_unit_test(test_embedded_set_is_valid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
