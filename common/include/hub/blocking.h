/* Blocking sections. Code that waits — a PostgreSQL or Redis round trip, a sleep — or that
 * holds the CPU for long (password hashing) brackets the wait with hub_blocking_begin/end, so
 * the server can let another worker thread run meanwhile (see server/runtime/server.c: only as
 * many workers run at once as there are CPU cores; a worker that blocks lends its place).
 * Both are no-ops on threads the runtime did not set up (tools, tests, streaming threads), and
 * sections nest: only the outermost pair counts. No gRPC here: the runtime installs the hooks. */
#ifndef HUB_BLOCKING_H
#define HUB_BLOCKING_H

void hub_blocking_begin(void);
void hub_blocking_end(void);

/* The runtime's side: the hooks this thread calls on entering and leaving its outermost
 * blocking section (NULL to clear). */
typedef void (*hub_blocking_hook)(void *ud);
void hub_blocking_set_thread_hooks(hub_blocking_hook begin, hub_blocking_hook end, void *ud);

#endif
