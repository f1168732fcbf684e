/* The failure path of HUB_ASSERT (hub/assert.h): one line on stderr, then abort. Not through
 * hub_log, which may itself be what broke; stderr is unbuffered. */
#include "hub/assert.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef NDEBUG
void hub_assert_fail(const char *cond, const char *file, int line, const char *func) {
  fprintf(stderr, "%s:%d: %s: HUB_ASSERT(%s) failed\n", file, line, func, cond);
  abort();
}
#endif
