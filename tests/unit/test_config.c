/* Configuration parsing: defaults, overrides, and a clear one-line refusal per mistake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
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
  assert_string_equal(c.http_listen, "");                      /* no side port unless asked */
  hub_config_free(&c);
}

static void test_overrides(void **state) {
  (void)state;
  const char *env[] = {"HUB_LISTEN", "0.0.0.0:6000", "HUB_WORKERS", "8", "HUB_MIGRATE_ON_START", "false",
                       "HUB_MIGRATE_DATABASE_URL", "postgresql://owner@db/hub", "HUB_SHUTDOWN_GRACE_MS", "2500",
                       "HUB_HTTP_LISTEN", "[::1]:9090", NULL};
  hub_config c;
  char err[256];
  assert_true(hub_config_load(&c, lookup, (void *)env, err, sizeof err));
  assert_string_equal(c.listen, "0.0.0.0:6000");
  assert_int_equal(c.workers, 8);
  assert_false(c.migrate_on_start);
  assert_string_equal(c.migrate_database_url, "postgresql://owner@db/hub");
  assert_int_equal(c.shutdown_grace_ms, 2500);
  assert_string_equal(c.http_listen, "[::1]:9090");
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
  refused("HUB_HTTP_LISTEN", "9090", "HUB_HTTP_LISTEN: expected host:port with a port from 0 to 65535");
  refused("HUB_HTTP_LISTEN", "127.0.0.1:", "HUB_HTTP_LISTEN: expected host:port");
  refused("HUB_HTTP_LISTEN", "127.0.0.1:65536", "HUB_HTTP_LISTEN: expected host:port");
  refused("HUB_HTTP_LISTEN", "127.0.0.1:-1", "HUB_HTTP_LISTEN: expected host:port");
  refused("HUB_HTTP_LISTEN", "127.0.0.1:http", "HUB_HTTP_LISTEN: expected host:port");
  refused("HUB_HTTP_LISTEN", "[::1:9090", "HUB_HTTP_LISTEN: expected host:port");
  refused("HUB_HTTP_LISTEN", "127.0.0.1:50051", "HUB_HTTP_LISTEN: must differ from HUB_LISTEN");
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

/* docs/configuration.md carries the table hub_config_markdown prints; they must not drift. */
static void test_docs_match_table(void **state) {
  (void)state;
  const char *src = getenv("HUB_SOURCE_DIR");
  if (!src) fail_msg("HUB_SOURCE_DIR is not set (run through ctest)");
  char path[1024];
  snprintf(path, sizeof path, "%s/docs/configuration.md", src);
  FILE *f = fopen(path, "r");
  if (!f) fail_msg("cannot open %s", path);
  static char doc[65536];
  size_t n = fread(doc, 1, sizeof doc - 1, f);
  doc[n] = '\0';
  fclose(f);
  static char table[16384];
  FILE *t = fmemopen(table, sizeof table, "w");
  hub_config_markdown(t);
  fclose(t);
  if (!strstr(doc, table)) fail_msg("docs/configuration.md is out of date: regenerate its table with `hubd config-markdown`");
}

/* `hubd config`: every variable's value, a URL's password masked, defaults marked. */
static void test_print_masks_passwords(void **state) {
  (void)state;
  const char *env[] = {"HUB_DATABASE_URL", "postgresql://hubd:s3cret-pw@db.internal:5432/hub", "HUB_REDIS_URL",
                       "redis://:r3dis-pw@cache:6379/0", "HUB_WORKERS", "6", NULL};
  hub_config c;
  char err[256];
  assert_true(hub_config_load(&c, lookup, (void *)env, err, sizeof err));
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  hub_config_print(out, &c, lookup, (void *)env);
  fclose(out);
  assert_null(strstr(text, "s3cret-pw"));
  assert_null(strstr(text, "r3dis-pw"));
  assert_non_null(strstr(text, "postgresql://hubd:***@db.internal:5432/hub\n"));
  assert_non_null(strstr(text, "redis://:***@cache:6379/0\n"));
  assert_non_null(strstr(text, "HUB_WORKERS                    6\n"));
  assert_non_null(strstr(text, "HUB_LISTEN                     127.0.0.1:50051   (default)\n"));
  /* the migrations' URL defaults to the server's, password and all: masked too */
  assert_non_null(strstr(text, "HUB_MIGRATE_DATABASE_URL       postgresql://hubd:***@db.internal:5432/hub   (default)\n"));
  free(text);
  hub_config_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_overrides),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_help_lists_every_variable),
      cmocka_unit_test(test_docs_match_table),
      cmocka_unit_test(test_print_masks_passwords),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
