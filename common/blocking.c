/* Per-thread blocking-section hooks (see hub/blocking.h). */
#include "hub/blocking.h"

#include <stddef.h>

static __thread hub_blocking_hook tls_begin, tls_end;
static __thread void *tls_ud;
static __thread int tls_depth;

void hub_blocking_set_thread_hooks(hub_blocking_hook begin, hub_blocking_hook end, void *ud) {
  tls_begin = begin;
  tls_end = end;
  tls_ud = ud;
  tls_depth = 0;
}

void hub_blocking_begin(void) {
  if (tls_depth++ == 0 && tls_begin) tls_begin(tls_ud);
}

void hub_blocking_end(void) {
  if (tls_depth > 0 && --tls_depth == 0 && tls_end) tls_end(tls_ud);
}
