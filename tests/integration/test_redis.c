/* The Redis layer against real redis-server processes: commands (binary-safe), error
 * replies, AUTH and SELECT from the URL, and the connection coming back after the server
 * dies and restarts on the same port. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cache/redis.h"
#include "support/procs.h"

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

static hub_status run(hub_redis *r, int argc, const char **argv, const size_t *lens, redisReply **reply) {
  return hub_redis_command(r, NULL, argc, argv, lens, reply);
}

static void test_bad_urls(void **state) {
  (void)state;
  const char *bad[] = {"http://127.0.0.1:6379", "redis://", "redis://host:0", "redis://host:99999",
                       "redis://host:12ab", "redis://host:6379/x", NULL};
  for (const char *const *u = bad; *u; u++)
    if (hub_redis_new(*u, 100)) fail_msg("accepted %s", *u);
  hub_redis *ok = hub_redis_new("redis://:pw@localhost:6380/2", 100);
  assert_non_null(ok);
  hub_redis_free(ok);
}

static void test_commands_and_reconnect(void **state) {
  (void)state;
  int port = hub_free_port();
  hub_proc *srv = hub_redis_start(port, NULL);
  assert_non_null(srv);
  char url[64];
  snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", port);
  hub_redis *r = hub_redis_new(url, 300);
  assert_true(hub_redis_ping(r));

  const char value[] = {'a', 0, 'b', 0, (char)0xff};
  const char *set[] = {"SET", "bin", value};
  const size_t set_len[] = {3, 3, sizeof value};
  assert_true(hub_ok(run(r, 3, set, set_len, NULL)));
  redisReply *rep;
  assert_true(hub_ok(run(r, 2, (const char *[]){"GET", "bin"}, NULL, &rep)));
  assert_int_equal(rep->len, sizeof value);
  assert_memory_equal(rep->str, value, sizeof value);
  freeReplyObject(rep);

  hub_status st = run(r, 2, (const char *[]){"INCR", "bin"}, NULL, NULL); /* not an integer */
  assert_int_equal(st.code, HUB_INTERNAL);
  assert_true(hub_redis_ping(r)); /* an error reply leaves the connection usable */

  hub_proc_stop(srv, SIGKILL);
  assert_int_equal(run(r, 1, (const char *[]){"PING"}, NULL, NULL).code, HUB_UNAVAILABLE);
  assert_false(hub_redis_ping(r));
  srv = hub_redis_start(port, NULL);
  assert_non_null(srv);
  bool back = false; /* reconnects are spaced by a backoff of at most 5 s */
  for (int waited = 0; waited < 7000 && !back; waited += 100) {
    back = hub_redis_ping(r);
    if (!back) sleep_ms(100);
  }
  assert_true(back);
  hub_redis_free(r);
  hub_proc_stop(srv, SIGKILL);
}

static void test_auth_and_db(void **state) {
  (void)state;
  int port = hub_free_port();
  hub_proc *srv = hub_redis_start(port, "--requirepass s3cret");
  assert_non_null(srv);
  char url[96];
  snprintf(url, sizeof url, "redis://:s3cret@127.0.0.1:%d/3", port);
  hub_redis *db3 = hub_redis_new(url, 300);
  assert_true(hub_redis_ping(db3));
  assert_true(hub_ok(run(db3, 3, (const char *[]){"SET", "where", "three"}, NULL, NULL)));
  snprintf(url, sizeof url, "redis://:s3cret@127.0.0.1:%d/0", port);
  hub_redis *db0 = hub_redis_new(url, 300);
  redisReply *rep;
  assert_true(hub_ok(run(db0, 2, (const char *[]){"GET", "where"}, NULL, &rep)));
  assert_int_equal(rep->type, REDIS_REPLY_NIL); /* SELECT from the URL took effect */
  freeReplyObject(rep);
  snprintf(url, sizeof url, "redis://:wrong@127.0.0.1:%d/0", port);
  hub_redis *wrong = hub_redis_new(url, 300);
  assert_false(hub_redis_ping(wrong));
  assert_int_equal(run(wrong, 1, (const char *[]){"PING"}, NULL, NULL).code, HUB_UNAVAILABLE);
  snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", port);
  hub_redis *none = hub_redis_new(url, 300);
  assert_int_not_equal(run(none, 2, (const char *[]){"GET", "where"}, NULL, NULL).code, HUB_OK);
  hub_redis_free(db3);
  hub_redis_free(db0);
  hub_redis_free(wrong);
  hub_redis_free(none);
  hub_proc_stop(srv, SIGKILL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_urls),
      cmocka_unit_test(test_commands_and_reconnect),
      cmocka_unit_test(test_auth_and_db),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
