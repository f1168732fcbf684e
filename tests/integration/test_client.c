/* libhubclient against a real hubd: retries with backoff on UNAVAILABLE for idempotent
 * methods only (as declared in the contract), a call that succeeds once the server comes
 * up during its retries, metadata from call options, and per-call deadlines. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hub/client.h"
#include "hub/system/v1/system.hub-client.h"
#include "support/stack.h"

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static hub_status get_info(hub_channel *ch, const hub_method_def *m, const hub_call_options *o) {
  hub_arena *a = hub_arena_new(0);
  Hub__System__V1__GetInfoRequest req = HUB__SYSTEM__V1__GET_INFO_REQUEST__INIT;
  ProtobufCMessage *resp;
  hub_status st = hub_unary_call(ch, m, o, a, &req.base, &resp);
  st.message = NULL; /* lives in the arena */
  st.violations = NULL;
  hub_arena_free(a);
  return st;
}

static void test_idempotent_calls_retry_with_backoff(void **state) {
  (void)state;
  char target[64];
  snprintf(target, sizeof target, "127.0.0.1:%d", hub_free_port()); /* nobody listens */
  hub_channel_options co = {.max_retries = 2, .retry_initial_ms = 200, .retry_max_ms = 1000};
  hub_channel *ch = hub_channel_new(target, &co);
  assert_true(hub_system_v1_system_get_info_method.idempotent); /* declared NO_SIDE_EFFECTS */

  hub_call_options o = {.timeout_ms = 10000};
  int64_t t0 = now_ms();
  assert_int_equal(get_info(ch, &hub_system_v1_system_get_info_method, &o).code, HUB_UNAVAILABLE);
  int64_t retried = now_ms() - t0;
  /* Two backoffs: 200 ms and 400 ms, each within +-20%. */
  if (retried < 480) fail_msg("an idempotent call gave up after %lld ms: it did not back off twice", (long long)retried);

  hub_method_def not_idempotent = hub_system_v1_system_get_info_method;
  not_idempotent.idempotent = false;
  t0 = now_ms();
  assert_int_equal(get_info(ch, &not_idempotent, &o).code, HUB_UNAVAILABLE);
  int64_t once = now_ms() - t0;
  if (once >= 200) fail_msg("a non-idempotent call took %lld ms: it must not be retried", (long long)once);

  hub_call_options no_retry = {.timeout_ms = 10000, .no_retry = true};
  t0 = now_ms();
  assert_int_equal(get_info(ch, &hub_system_v1_system_get_info_method, &no_retry).code, HUB_UNAVAILABLE);
  assert_true(now_ms() - t0 < 200);
  hub_channel_free(ch);
}

typedef struct late_start {
  int port;
  const char *const *env;
  hub_proc *proc;
} late_start;

static void *start_later(void *arg) {
  late_start *ls = arg;
  struct timespec ts = {0, 300 * 1000000L};
  nanosleep(&ts, NULL);
  char listen[64];
  snprintf(listen, sizeof listen, "HUB_LISTEN=127.0.0.1:%d", ls->port);
  const char *env[16];
  size_t n = 0;
  for (const char *const *kv = ls->env; *kv; kv++) env[n++] = *kv;
  env[n++] = listen;
  env[n] = NULL;
  const char *argv[] = {getenv("HUBD_BIN"), NULL};
  char log[128];
  snprintf(log, sizeof log, "/tmp/hub-test-late-hubd-%d.log", ls->port);
  ls->proc = hub_proc_spawn(argv, env, log);
  return NULL;
}

static void test_retry_succeeds_when_the_server_comes_up(void **state) {
  (void)state;
  hub_stack stack;
  assert_true(hub_stack_up(&stack, "client"));
  stack.env[3] = "HUB_WORKERS=2";
  late_start ls = {.port = hub_free_port(), .env = stack.env};
  char target[64];
  snprintf(target, sizeof target, "127.0.0.1:%d", ls.port);
  /* Enough retries to outlast the start (~0.3 s + migrations; several seconds for a sanitizer
   * build on a busy machine): 100, 200, 400, 800, 1000... within the call's 20 s deadline. */
  hub_channel_options co = {.max_retries = 18, .retry_initial_ms = 100, .retry_max_ms = 1000};
  hub_channel *ch = hub_channel_new(target, &co);
  pthread_t t;
  pthread_create(&t, NULL, start_later, &ls);
  hub_call_options o = {.timeout_ms = 20000};
  hub_status st = get_info(ch, &hub_system_v1_system_get_info_method, &o);
  pthread_join(t, NULL);
  assert_int_equal(st.code, HUB_OK);
  hub_channel_free(ch);
  hub_proc_stop(ls.proc, SIGTERM);
  hub_stack_down(&stack);
}

static void test_deadline_exceeded(void **state) {
  (void)state;
  /* A server that accepts the connection but never answers: a listening socket nobody
   * reads from would do, but a paused hubd is the real thing. */
  hub_stack stack;
  assert_true(hub_stack_up(&stack, "deadline"));
  int port;
  hub_proc *hubd = hub_hubd_start(stack.env, &port);
  assert_non_null(hubd);
  char target[64];
  snprintf(target, sizeof target, "127.0.0.1:%d", port);
  hub_channel *ch = hub_channel_new(target, NULL);
  hub_call_options o = {.timeout_ms = 5000};
  assert_int_equal(get_info(ch, &hub_system_v1_system_get_info_method, &o).code, HUB_OK); /* connected */
  kill(hub_proc_pid(hubd), SIGSTOP);
  hub_call_options quick = {.timeout_ms = 300};
  int64_t t0 = now_ms();
  assert_int_equal(get_info(ch, &hub_system_v1_system_get_info_method, &quick).code, HUB_DEADLINE_EXCEEDED);
  int64_t took = now_ms() - t0;
  assert_true(took >= 250 && took < 3000);
  kill(hub_proc_pid(hubd), SIGCONT);
  assert_int_equal(get_info(ch, &hub_system_v1_system_get_info_method, &o).code, HUB_OK);
  hub_channel_free(ch);
  hub_proc_stop(hubd, SIGTERM);
  hub_stack_down(&stack);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_idempotent_calls_retry_with_backoff),
      cmocka_unit_test(test_retry_succeeds_when_the_server_comes_up),
      cmocka_unit_test(test_deadline_exceeded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
