/* HUB_ASSERT: aborts with a line naming the condition where asserts are on (no NDEBUG), and
 * evaluates nothing where they are compiled out. Run in a child so the abort is observable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hub/assert.h"

static int side_effects;
/* used: in Release it appears only inside HUB_ASSERT's sizeof, which clang would otherwise call unneeded. */
__attribute__((used)) static int touch(void) { return ++side_effects; }

static void test_true_passes(void **state) {
  (void)state;
  HUB_ASSERT(1 + 1 == 2);
}

static void test_false(void **state) {
  (void)state;
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], 2);
    HUB_ASSERT(touch() == 0);
    _exit(0);
  }
  close(fds[1]);
  char line[256] = {0};
  ssize_t n = read(fds[0], line, sizeof line - 1);
  close(fds[0]);
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
#ifndef NDEBUG
  assert_true(WIFSIGNALED(st));
  assert_int_equal(WTERMSIG(st), SIGABRT);
  assert_true(n > 0);
  assert_non_null(strstr(line, "HUB_ASSERT(touch() == 0) failed"));
  assert_non_null(strstr(line, "test_assert.c"));
#else
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  assert_true(n <= 0);
#endif
}

static void test_compiled_out_evaluates_nothing(void **state) {
  (void)state;
  side_effects = 0;
#ifdef NDEBUG
  HUB_ASSERT(touch() == 1);
  assert_int_equal(side_effects, 0);
#else
  HUB_ASSERT(touch() == 1);
  assert_int_equal(side_effects, 1);
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_true_passes),
      cmocka_unit_test(test_false),
      cmocka_unit_test(test_compiled_out_evaluates_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
