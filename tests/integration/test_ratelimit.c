/* Sliding-window rate limits against a real Redis: the limit holds exactly under parallel
 * attempts from separate connections (as from separate servers), the window slides and
 * recovers by itself, the retry delay is right, subjects are independent and never stored
 * in clear, and a down Redis is UNAVAILABLE. Time is a parameter, so nothing sleeps. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cache/ratelimit.h"
#include "support/procs.h"

static int port;
static hub_proc *redis;
static char url[64];

static int setup(void **state) {
  (void)state;
  port = hub_free_port();
  redis = hub_redis_start(port, NULL);
  snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", port);
  return redis ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  if (redis) hub_proc_stop(redis, SIGKILL);
  return 0;
}

static void test_window_slides_and_recovers(void **state) {
  (void)state;
  hub_redis *r = hub_redis_new(url, 500);
  hub_arena *a = hub_arena_new(0); /* statuses are formatted into it */
  hub_rate_limit lim = {"test.slide", 5, 1000};
  int64_t wait = -1, t0 = 1700000000000;
  for (int i = 0; i < 5; i++) assert_true(hub_ok(hub_rate_limit_hit(r, a, &lim, "alice", t0 + i * 100, &wait)));
  hub_status st = hub_rate_limit_hit(r, a, &lim, "alice", t0 + 500, &wait);
  assert_int_equal(st.code, HUB_RESOURCE_EXHAUSTED);
  assert_int_equal(wait, 500); /* the attempt at t0 leaves the window at t0 + 1000 */
  /* Refused attempts are not counted: still refused just before, admitted just after. */
  assert_int_equal(hub_rate_limit_hit(r, a, &lim, "alice", t0 + 999, &wait).code, HUB_RESOURCE_EXHAUSTED);
  assert_int_equal(wait, 1);
  assert_true(hub_ok(hub_rate_limit_hit(r, a, &lim, "alice", t0 + 1000, &wait)));
  /* Another subject has its own window. */
  assert_true(hub_ok(hub_rate_limit_hit(r, a, &lim, "bob", t0 + 500, &wait)));
  /* Reset forgets. */
  assert_true(hub_ok(hub_rate_limit_reset(r, a, &lim, "alice")));
  for (int i = 0; i < 5; i++) assert_true(hub_ok(hub_rate_limit_hit(r, a, &lim, "alice", t0 + 1001, &wait)));
  assert_int_equal(hub_rate_limit_hit(r, a, &lim, "alice", t0 + 1001, &wait).code, HUB_RESOURCE_EXHAUSTED);
  hub_arena_free(a);
  hub_redis_free(r);
}

typedef struct worker {
  int admitted;
} worker;

static void *hammer(void *arg) {
  worker *w = arg;
  hub_redis *r = hub_redis_new(url, 1000); /* its own connection, like another server */
  hub_arena *a = hub_arena_new(0);
  hub_rate_limit lim = {"test.parallel", 20, 60000};
  int64_t wait;
  for (int i = 0; i < 50; i++)
    if (hub_ok(hub_rate_limit_hit(r, a, &lim, "203.0.113.9", 1700000000000, &wait))) w->admitted++;
  hub_arena_free(a);
  hub_redis_free(r);
  return NULL;
}

static void test_parallel_attempts_cannot_slip_past(void **state) {
  (void)state;
  enum { N = 8 };
  pthread_t t[N];
  worker w[N] = {{0}};
  for (int i = 0; i < N; i++) pthread_create(&t[i], NULL, hammer, &w[i]);
  int total = 0;
  for (int i = 0; i < N; i++) {
    pthread_join(t[i], NULL);
    total += w[i].admitted;
  }
  assert_int_equal(total, 20); /* 400 attempts, exactly the limit admitted */
  /* The subject (an IP address here) is hashed into the key, never stored in clear. */
  hub_redis *r = hub_redis_new(url, 500);
  redisReply *rep;
  assert_true(hub_ok(hub_redis_command(r, NULL, 2, (const char *[]){"KEYS", "hub:rl:*"}, NULL, &rep)));
  assert_true(rep->elements >= 1);
  for (size_t i = 0; i < rep->elements; i++) assert_null(strstr(rep->element[i]->str, "203.0.113.9"));
  freeReplyObject(rep);
  /* Keys expire with their window: nothing lingers after it. */
  assert_true(hub_ok(hub_redis_command(r, NULL, 2, (const char *[]){"KEYS", "hub:rl:test.parallel:*"}, NULL, &rep)));
  assert_int_equal(rep->elements, 1);
  redisReply *ttl;
  assert_true(hub_ok(hub_redis_command(r, NULL, 2, (const char *[]){"PTTL", rep->element[0]->str}, NULL, &ttl)));
  assert_true(ttl->integer > 0 && ttl->integer <= 60000);
  freeReplyObject(ttl);
  freeReplyObject(rep);
  hub_redis_free(r);
}

static void test_redis_down(void **state) {
  (void)state;
  char dead[64];
  snprintf(dead, sizeof dead, "redis://127.0.0.1:%d/0", hub_free_port());
  hub_redis *r = hub_redis_new(dead, 200);
  hub_rate_limit lim = {"test.down", 1, 1000};
  int64_t wait;
  assert_int_equal(hub_rate_limit_hit(r, NULL, &lim, "x", 1, &wait).code, HUB_UNAVAILABLE);
  hub_redis_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_window_slides_and_recovers),
      cmocka_unit_test(test_parallel_attempts_cannot_slip_past),
      cmocka_unit_test(test_redis_down),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
