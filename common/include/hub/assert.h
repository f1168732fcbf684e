/* HUB_ASSERT: where a header says "must" (a column count, the bounds of composed SQL, a principal
 * present in a handler that declares a permission), the code says HUB_ASSERT. It is checked in
 * Debug and sanitizer builds (no NDEBUG), where the tests run it, and compiled out of Release and
 * RelWithDebInfo, where a broken "must" is a bug to find in tests, not a branch to pay for per call.
 * A failure names the condition and where it is, then aborts (a core dump and the sanitizer's stack). */
#ifndef HUB_ASSERT_H
#define HUB_ASSERT_H

#ifndef NDEBUG
_Noreturn void hub_assert_fail(const char *cond, const char *file, int line, const char *func);
#define HUB_ASSERT(cond) ((cond) ? (void)0 : hub_assert_fail(#cond, __FILE__, __LINE__, __func__))
#else
/* sizeof keeps the condition compiled (names stay checked) without evaluating it. */
#define HUB_ASSERT(cond) ((void)sizeof(!(cond)))
#endif

#endif
