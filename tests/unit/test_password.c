/* Passwords: the policy (length in characters and bytes, UTF-8, the common list, the email's
 * name), Argon2id hash and verify, rehash detection, the over-long refusal, the cap on
 * concurrent hashing, and the dummy verification that hides unknown accounts. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "crypto/password.h"

static const hub_password_params small = {1024, 1, 1}; /* fast for tests */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void refused(hub_arena *a, const char *pw, const char *email, const char *why) {
  hub_status st = hub_password_check_policy(a, pw, email);
  if (st.code != HUB_INVALID_ARGUMENT) fail_msg("accepted \"%s\"", pw);
  assert_string_equal(st.violations->field, "password");
  if (!strstr(st.message, why)) fail_msg("\"%s\": %s (wanted %s)", pw, st.message, why);
}

static void test_policy(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  assert_true(hub_ok(hub_password_check_policy(a, "plum-Kettle-42", "ann@example.com")));
  refused(a, "short-pw-11", NULL, "at least 12");
  /* Characters, not bytes: twelve 'ä' (24 bytes) pass, eleven do not. */
  assert_true(hub_ok(hub_password_check_policy(a, "ääääääääääää", NULL)));
  refused(a, "äääääääääää", NULL, "at least 12");
  char big[200];
  memset(big, 'x', 129);
  big[129] = '\0';
  refused(a, big, NULL, "at most 128 bytes");
  refused(a, "\xff\xfe invalid utf8 bytes", NULL, "UTF-8");
  refused(a, "Password1234", NULL, "too common");
  refused(a, "QWERTYUIOP123", NULL, "too common");
  refused(a, "Correct.Horse99", "correct.horse99@example.com", "email");
  assert_true(hub_ok(hub_password_check_policy(a, "Correct.Horse99", "someone.else@example.com")));
  refused(a, NULL, NULL, "required");
  hub_arena_free(a);
}

static void test_hash_verify_rehash(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *phc;
  assert_true(hub_ok(hub_password_hash(a, "plum-Kettle-42", 5000, &phc)));
  assert_non_null(strstr(phc, "$argon2id$v=19$m=1024,t=1,p=1$"));
  bool rehash = true;
  assert_true(hub_ok(hub_password_verify(a, phc, "plum-Kettle-42", 5000, &rehash)));
  assert_false(rehash);
  assert_int_equal(hub_password_verify(a, phc, "plum-kettle-42", 5000, NULL).code, HUB_UNAUTHENTICATED);
  char *again;
  assert_true(hub_ok(hub_password_hash(a, "plum-Kettle-42", 5000, &again)));
  assert_string_not_equal(phc, again); /* salted */
  /* Parameters change: the old hash still verifies, and asks to be replaced. */
  hub_password_params stronger = {2048, 1, 1};
  hub_password_configure(&stronger, 0);
  assert_true(hub_ok(hub_password_verify(a, phc, "plum-Kettle-42", 5000, &rehash)));
  assert_true(rehash);
  hub_password_configure(&small, 0);
  char big[200];
  memset(big, 'x', 150);
  big[150] = '\0';
  assert_int_equal(hub_password_verify(a, phc, big, 5000, NULL).code, HUB_UNAUTHENTICATED);
  assert_int_equal(hub_password_hash(a, big, 5000, &again).code, HUB_INVALID_ARGUMENT);
  assert_int_equal(hub_password_verify(a, "$argon2id$garbage", "plum-Kettle-42", 5000, NULL).code, HUB_INTERNAL);
  hub_arena_free(a);
}

typedef struct slow_hash {
  pthread_barrier_t *started;
  hub_status st;
} slow_hash;

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *hold_slot(void *arg) {
  slow_hash *h = arg;
  hub_arena *a = hub_arena_new(0);
  char *phc;
  pthread_barrier_wait(h->started);
  h->st = hub_password_hash(a, "holding the only slot", 5000, &phc); /* OWASP cost: tens of ms */
  hub_arena_free(a);
  return NULL;
}

static void test_concurrency_cap_and_owasp_cost(void **state) {
  (void)state;
  /* The cap was configured to 1 at start (see main). */
  hub_password_configure(&HUB_PASSWORD_OWASP, 0);
  hub_arena *a = hub_arena_new(0);
  char *phc;
  double t0 = now_s();
  assert_true(hub_ok(hub_password_hash(a, "plum-Kettle-42", 5000, &phc)));
  double hash_ms = (now_s() - t0) * 1000;
  /* Thread CPU time, not wall time: the comparison below is about work done, and must not
   * depend on how busy the machine is. */
  /* The first verifications after start pay for the allocator's first 19 MiB (page faults
   * several times the hash itself); time a warm one, as the dummy below is timed warm. */
  assert_true(hub_ok(hub_password_verify(a, phc, "plum-Kettle-42", 5000, NULL)));
  t0 = cpu_s();
  assert_true(hub_ok(hub_password_verify(a, phc, "plum-Kettle-42", 5000, NULL)));
  double verify_ms = (cpu_s() - t0) * 1000;
  print_message("Argon2id m=19456 KiB t=2 p=1: hash %.1f ms, verify %.1f ms on this machine\n", hash_ms, verify_ms);
  t0 = now_s();
  assert_int_equal(hub_password_dummy_verify(a, "whatever-they-typed", 5000).code, HUB_UNAUTHENTICATED);
  t0 = cpu_s(); /* the first dummy call also made the dummy hash; time the second */
  assert_int_equal(hub_password_dummy_verify(a, "whatever-they-typed", 5000).code, HUB_UNAUTHENTICATED);
  double dummy_ms = (cpu_s() - t0) * 1000;
  if (dummy_ms < verify_ms / 2) fail_msg("dummy verify took %.1f ms, a real one %.1f ms", dummy_ms, verify_ms);

  pthread_barrier_t b;
  pthread_barrier_init(&b, NULL, 2);
  slow_hash h = {&b, HUB_STATUS_OK};
  pthread_t t;
  pthread_create(&t, NULL, hold_slot, &h);
  pthread_barrier_wait(&b);
  struct timespec pause = {0, 15 * 1000000L};
  nanosleep(&pause, NULL); /* let it take the slot */
  assert_int_equal(hub_password_verify(a, phc, "plum-Kettle-42", 1, NULL).code, HUB_RESOURCE_EXHAUSTED);
  /* Waiting long enough gets the slot once the other hash is done. */
  assert_true(hub_ok(hub_password_verify(a, phc, "plum-Kettle-42", 5000, NULL)));
  pthread_join(t, NULL);
  assert_true(hub_ok(h.st));
  pthread_barrier_destroy(&b);
  hub_password_configure(&small, 0);
  hub_arena_free(a);
}

int main(void) {
  hub_password_configure(&small, 1); /* one hashing slot: the cap test relies on it */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_policy),
      cmocka_unit_test(test_hash_verify_rehash),
      cmocka_unit_test(test_concurrency_cap_and_owasp_cost),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
