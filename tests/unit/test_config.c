/* Configuration parsing: defaults, overrides, and a clear one-line refusal per mistake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hub/config.h"

/* A fake environment: pairs of name, value, NULL-terminated. */
static const char *lookup(const char *name, void *ud) {
  const char *const *kv = ud;
  for (; kv && kv[0]; kv += 2)
    if (strcmp(kv[0], name) == 0) return kv[1];
  return NULL;
}

static void test_defaults(void **state) {
  (void)state;
  hub_config c;
  char err[256];
  assert_true(hub_config_load(&c, lookup, NULL, err, sizeof err));
  assert_string_equal(c.listen, "127.0.0.1:50051");
  assert_int_equal(c.max_recv_bytes, 4194304);
  assert_true(c.migrate_on_start);
  assert_int_equal(c.workers, 0);
  assert_string_equal(c.migrate_database_url, c.database_url); /* defaults to the server's */
  hub_config_free(&c);
}

static void test_overrides(void **state) {
  (void)state;
  const char *env[] = {"HUB_LISTEN", "0.0.0.0:6000", "HUB_WORKERS", "8", "HUB_MIGRATE_ON_START", "false",
                       "HUB_MIGRATE_DATABASE_URL", "postgresql://owner@db/hub", "HUB_SHUTDOWN_GRACE_MS", "2500",
                       NULL};
  hub_config c;
  char err[256];
  assert_true(hub_config_load(&c, lookup, (void *)env, err, sizeof err));
  assert_string_equal(c.listen, "0.0.0.0:6000");
  assert_int_equal(c.workers, 8);
  assert_false(c.migrate_on_start);
  assert_string_equal(c.migrate_database_url, "postgresql://owner@db/hub");
  assert_int_equal(c.shutdown_grace_ms, 2500);
  hub_config_free(&c);
}

static void refused(const char *name, const char *value, const char *expect) {
  const char *env[] = {name, value, NULL};
  hub_config c;
  char err[256] = "";
  assert_false(hub_config_load(&c, lookup, (void *)env, err, sizeof err));
  if (!strstr(err, expect)) fail_msg("error \"%s\" lacks \"%s\"", err, expect);
  assert_null(strchr(err, '\n')); /* one line */
}

static void test_refusals(void **state) {
  (void)state;
  refused("HUB_WORKERS", "many", "HUB_WORKERS: expected a whole number");
  refused("HUB_WORKERS", "-1", "HUB_WORKERS: -1 is out of range");
  refused("HUB_WORKERS", "12x", "HUB_WORKERS: expected a whole number");
  refused("HUB_MIGRATE_ON_START", "maybe", "HUB_MIGRATE_ON_START: expected true or false");
  refused("HUB_LISTEN", "nowhere", "HUB_LISTEN: expected host:port");
  refused("HUB_REDIS_URL", "http://x", "HUB_REDIS_URL");
  refused("HUB_LOG_LEVEL", "loud", "HUB_LOG_LEVEL");
  refused("HUB_TLS_CERT", "/tmp/cert.pem", "set both or neither");
  refused("HUB_MAX_RECV_BYTES", "10", "out of range");
}

static void test_help_lists_every_variable(void **state) {
  (void)state;
  char buf[8192];
  FILE *f = fmemopen(buf, sizeof buf, "w");
  hub_config_help(f);
  fclose(f);
  const char *names[] = {"HUB_LISTEN", "HUB_DATABASE_URL", "HUB_REDIS_URL", "HUB_WORKERS", "HUB_MAX_RECV_BYTES",
                         "HUB_SHUTDOWN_GRACE_MS", "HUB_TLS_CERT", "HUB_MIGRATE_ON_START"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) assert_non_null(strstr(buf, names[i]));
  assert_non_null(strstr(buf, "[127.0.0.1:50051]"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_overrides),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_help_lists_every_variable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
