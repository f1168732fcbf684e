/* Sessions in a real Redis: create and touch, idle and absolute timeouts (time is a
 * parameter), another user's session id is nobody's, revocation is immediate, revoke-all
 * keeps the caller's own session, and listing is newest first. The local copies behind
 * hub_session_touch_cached: a change made here drops them at once, a change another hubd
 * publishes drops them when it arrives, a change no one announces is seen at the next
 * recheck, and without the subscription no copy is used. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cache/session.h"
#include "cache/session_cache.h"
#include "support/procs.h"

#define ALICE "018f0000-0000-7000-8000-0000000000a1"
#define BOB "018f0000-0000-7000-8000-0000000000b2"

static hub_proc *redis;
static hub_redis *r;
static hub_arena *A; /* owns lists and messages */
static char url[64];
static const hub_session_policy policy = {.idle_ms = 30 * 60 * 1000, .absolute_ms = 12 * 3600 * 1000};
static const int64_t T0 = 1764000000000;

static int setup(void **state) {
  (void)state;
  int port = hub_free_port();
  redis = hub_redis_start(port, NULL);
  snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", port);
  r = hub_redis_new(url, 500);
  A = hub_arena_new(0);
  return redis && r ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  hub_redis_free(r);
  hub_arena_free(A);
  if (redis) hub_proc_stop(redis, SIGKILL);
  return 0;
}

static hub_session make(const char *user, int64_t now) {
  hub_session s = {0};
  snprintf(s.user_id, sizeof s.user_id, "%s", user);
  snprintf(s.tenant_id, sizeof s.tenant_id, "018f0000-0000-7000-8000-00000000000a");
  snprintf(s.brand, sizeof s.brand, "exakeep");
  snprintf(s.ip, sizeof s.ip, "198.51.100.7");
  snprintf(s.user_agent, sizeof s.user_agent, "test/1.0");
  assert_true(hub_ok(hub_session_create(r, A, &policy, &s, now)));
  assert_int_equal(strlen(s.id), 32);
  return s;
}

static void test_create_touch_and_ownership(void **state) {
  (void)state;
  hub_session s = make(ALICE, T0), got;
  assert_true(hub_ok(hub_session_touch(r, A, &policy, ALICE, s.id, T0 + 1000, &got)));
  assert_string_equal(got.id, s.id);
  assert_string_equal(got.brand, "exakeep");
  assert_string_equal(got.ip, "198.51.100.7");
  assert_int_equal(got.created_ms, T0);
  assert_int_equal(got.last_seen_ms, T0 + 1000);
  /* Bob presenting Alice's session id (say, in a forged token) finds nothing. */
  assert_int_equal(hub_session_touch(r, A, &policy, BOB, s.id, T0 + 2000, &got).code, HUB_NOT_FOUND);
  assert_int_equal(hub_session_touch(r, A, &policy, ALICE, "00000000000000000000000000000000", T0, &got).code,
                   HUB_NOT_FOUND);
  assert_int_equal(hub_session_touch(r, A, &policy, "alice}{x", s.id, T0, &got).code, HUB_NOT_FOUND);
  /* Redis expires it by itself at the idle timeout. */
  char key[128];
  snprintf(key, sizeof key, "hub:sess:{%s}:%s", ALICE, s.id);
  redisReply *ttl;
  assert_true(hub_ok(hub_redis_command(r, A, 2, (const char *[]){"PTTL", key}, NULL, &ttl)));
  assert_true(ttl->integer > 0 && ttl->integer <= policy.idle_ms);
  freeReplyObject(ttl);
  hub_session_revoke_all(r, A, ALICE, NULL, NULL);
}

static void test_timeouts(void **state) {
  (void)state;
  hub_session idle = make(ALICE, T0), got;
  assert_int_equal(hub_session_touch(r, A, &policy, ALICE, idle.id, T0 + policy.idle_ms, &got).code, HUB_NOT_FOUND);
  /* Used every 20 minutes it lives, until the absolute limit. */
  hub_session busy = make(ALICE, T0);
  int64_t t = T0;
  for (; t + 20 * 60 * 1000 < T0 + policy.absolute_ms; t += 20 * 60 * 1000)
    assert_true(hub_ok(hub_session_touch(r, A, &policy, ALICE, busy.id, t, &got)));
  assert_int_equal(hub_session_touch(r, A, &policy, ALICE, busy.id, T0 + policy.absolute_ms, &got).code,
                   HUB_NOT_FOUND);
  hub_session_revoke_all(r, A, ALICE, NULL, NULL);
}

static void test_revoke_and_list(void **state) {
  (void)state;
  hub_session a1 = make(ALICE, T0), a2 = make(ALICE, T0 + 10), a3 = make(ALICE, T0 + 20), b1 = make(BOB, T0), got;
  hub_session *list;
  size_t n;
  assert_true(hub_ok(hub_session_list(r, A, ALICE, T0 + 30, &list, &n)));
  assert_int_equal(n, 3);
  assert_string_equal(list[0].id, a3.id); /* newest first */
  assert_string_equal(list[2].id, a1.id);
  assert_true(hub_ok(hub_session_revoke(r, A, ALICE, a2.id)));
  assert_int_equal(hub_session_touch(r, A, &policy, ALICE, a2.id, T0 + 40, &got).code, HUB_NOT_FOUND);
  assert_int_equal(hub_session_revoke(r, A, ALICE, a2.id).code, HUB_NOT_FOUND);
  assert_int_equal(hub_session_revoke(r, A, BOB, a1.id).code, HUB_NOT_FOUND); /* not Bob's to end */
  assert_true(hub_ok(hub_session_touch(r, A, &policy, ALICE, a1.id, T0 + 40, &got)));
  int revoked = -1;
  assert_true(hub_ok(hub_session_revoke_all(r, A, ALICE, a1.id, &revoked)));
  assert_int_equal(revoked, 1); /* a3; a2 was gone already, a1 is the caller's own */
  assert_true(hub_ok(hub_session_list(r, A, ALICE, T0 + 50, &list, &n)));
  assert_int_equal(n, 1);
  assert_string_equal(list[0].id, a1.id);
  assert_true(hub_ok(hub_session_touch(r, A, &policy, BOB, b1.id, T0 + 50, &got))); /* Bob untouched */
  assert_int_equal(hub_session_list(r, A, "not an id", T0, &list, &n).code, HUB_INVALID_ARGUMENT);
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void start_cache(void) {
  assert_true(hub_session_cache_start(url, 500));
  for (int i = 0; i < 200 && !hub_session_cache_live(); i++) sleep_ms(10);
  assert_true(hub_session_cache_live());
}

/* What another hubd's change does in Redis: the change, then the published user id. */
static void delete_elsewhere(const hub_session *s, bool announce) {
  char key[128];
  snprintf(key, sizeof key, "hub:sess:{%s}:%s", s->user_id, s->id);
  assert_true(hub_ok(hub_redis_command(r, A, 2, (const char *[]){"DEL", key}, NULL, NULL)));
  if (announce)
    assert_true(hub_ok(hub_redis_command(r, A, 3, (const char *[]){"PUBLISH", HUB_SESSION_CHANNEL, s->user_id}, NULL, NULL)));
}

static void test_cached_revocation(void **state) {
  (void)state;
  start_cache();
  hub_session s = make(ALICE, T0), got;
  assert_true(hub_ok(hub_session_touch_cached(r, A, &policy, ALICE, s.id, T0 + 10, &got)));
  assert_string_equal(got.tenant_id, s.tenant_id);
  /* Gone from Redis with no word: the copy answers until the recheck, which refuses. */
  delete_elsewhere(&s, false);
  assert_true(hub_ok(hub_session_touch_cached(r, A, &policy, ALICE, s.id, T0 + 20, &got)));
  assert_int_equal(hub_session_touch_cached(r, A, &policy, ALICE, s.id, T0 + 10 + HUB_SESSION_RECHECK_MS, &got).code,
                   HUB_NOT_FOUND);
  /* Revoked here: refused on the very next call. */
  hub_session s2 = make(ALICE, T0);
  assert_true(hub_ok(hub_session_touch_cached(r, A, &policy, ALICE, s2.id, T0 + 10, &got)));
  assert_true(hub_ok(hub_session_revoke(r, A, ALICE, s2.id)));
  assert_int_equal(hub_session_touch_cached(r, A, &policy, ALICE, s2.id, T0 + 11, &got).code, HUB_NOT_FOUND);
  /* Revoke-all here, likewise. */
  hub_session s3 = make(ALICE, T0);
  assert_true(hub_ok(hub_session_touch_cached(r, A, &policy, ALICE, s3.id, T0 + 10, &got)));
  assert_true(hub_ok(hub_session_revoke_all(r, A, ALICE, NULL, NULL)));
  assert_int_equal(hub_session_touch_cached(r, A, &policy, ALICE, s3.id, T0 + 11, &got).code, HUB_NOT_FOUND);
  /* Revoked by another hubd: refused once its message arrives, well before the recheck. */
  hub_session s4 = make(ALICE, T0);
  assert_true(hub_ok(hub_session_touch_cached(r, A, &policy, ALICE, s4.id, T0 + 10, &got)));
  delete_elsewhere(&s4, true);
  hub_status st = HUB_STATUS_OK;
  for (int i = 0; i < 100 && hub_ok(st); i++) {
    st = hub_session_touch_cached(r, A, &policy, ALICE, s4.id, T0 + 11, &got);
    if (hub_ok(st)) sleep_ms(10);
  }
  assert_int_equal(st.code, HUB_NOT_FOUND);
  /* Timeouts are the copy's too. */
  hub_session s5 = make(ALICE, T0);
  assert_true(hub_ok(hub_session_touch_cached(r, A, &policy, ALICE, s5.id, T0 + policy.idle_ms - 100, &got)));
  assert_int_equal(hub_session_touch_cached(r, A, &policy, BOB, s5.id, T0 + policy.idle_ms - 50, &got).code,
                   HUB_NOT_FOUND); /* nor is Alice's copy Bob's */
  hub_session_revoke_all(r, A, ALICE, NULL, NULL);
  hub_session_cache_stop();
}

static void test_cached_access_changes(void **state) {
  (void)state;
  start_cache();
  hub_session s = make(ALICE, T0), got;
  assert_true(hub_ok(hub_session_set_acl(r, A, ALICE, s.id, s.tenant_id, "role=agent")));
  assert_true(hub_ok(hub_session_touch_cached(r, A, &policy, ALICE, s.id, T0 + 10, &got)));
  assert_string_equal(got.acl, "role=agent");
  /* A role change clears the snapshot: the next call sees it cleared and rebuilds. */
  assert_true(hub_ok(hub_session_clear_acl(r, A, ALICE, s.tenant_id)));
  assert_true(hub_ok(hub_session_touch_cached(r, A, &policy, ALICE, s.id, T0 + 11, &got)));
  assert_string_equal(got.acl, "");
  /* The rebuilt one stored is the one the next call gets. */
  assert_true(hub_ok(hub_session_set_acl(r, A, ALICE, s.id, s.tenant_id, "role=admin")));
  assert_true(hub_ok(hub_session_touch_cached(r, A, &policy, ALICE, s.id, T0 + 12, &got)));
  assert_string_equal(got.acl, "role=admin");
  /* SwitchTenant: the next call acts in the new tenant. */
  assert_true(hub_ok(hub_session_set_context(r, A, ALICE, s.id, "018f0000-0000-7000-8000-00000000000b", "exakeep",
                                             "role=owner")));
  assert_true(hub_ok(hub_session_touch_cached(r, A, &policy, ALICE, s.id, T0 + 13, &got)));
  assert_string_equal(got.tenant_id, "018f0000-0000-7000-8000-00000000000b");
  assert_string_equal(got.acl, "role=owner");
  /* A role change another hubd announces: cleared here once the message arrives. */
  assert_true(hub_ok(hub_session_touch_cached(r, A, &policy, ALICE, s.id, T0 + 14, &got)));
  char key[128];
  snprintf(key, sizeof key, "hub:sess:{%s}:%s", ALICE, s.id);
  assert_true(hub_ok(hub_redis_command(r, A, 3, (const char *[]){"HDEL", key, "acl"}, NULL, NULL)));
  assert_true(hub_ok(hub_redis_command(r, A, 3, (const char *[]){"PUBLISH", HUB_SESSION_CHANNEL, ALICE}, NULL, NULL)));
  for (int i = 0; i < 100; i++) {
    assert_true(hub_ok(hub_session_touch_cached(r, A, &policy, ALICE, s.id, T0 + 15, &got)));
    if (!*got.acl) break;
    sleep_ms(10);
  }
  assert_string_equal(got.acl, "");
  hub_session_revoke_all(r, A, ALICE, NULL, NULL);
  hub_session_cache_stop();
}

static void test_cache_off_without_subscription(void **state) {
  (void)state;
  /* Not subscribed (never started, or stopped): every check is Redis's. */
  assert_false(hub_session_cache_live());
  hub_session s = make(ALICE, T0), got;
  assert_true(hub_ok(hub_session_touch_cached(r, A, &policy, ALICE, s.id, T0 + 10, &got)));
  delete_elsewhere(&s, false);
  assert_int_equal(hub_session_touch_cached(r, A, &policy, ALICE, s.id, T0 + 11, &got).code, HUB_NOT_FOUND);
  /* Redis gone: the subscription drops, and with it every copy. */
  start_cache();
  hub_session s2 = make(ALICE, T0);
  assert_true(hub_ok(hub_session_touch_cached(r, A, &policy, ALICE, s2.id, T0 + 10, &got)));
  hub_proc_stop(redis, SIGKILL);
  redis = NULL;
  for (int i = 0; i < 200 && hub_session_cache_live(); i++) sleep_ms(10);
  assert_false(hub_session_cache_live());
  assert_int_equal(hub_session_touch_cached(r, A, &policy, ALICE, s2.id, T0 + 11, &got).code, HUB_UNAVAILABLE);
  hub_session_cache_stop();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_touch_and_ownership),
      cmocka_unit_test(test_timeouts),
      cmocka_unit_test(test_revoke_and_list),
      cmocka_unit_test(test_cached_revocation),
      cmocka_unit_test(test_cached_access_changes),
      cmocka_unit_test(test_cache_off_without_subscription), /* last: stops Redis */
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
