/* What hubd needs to run in a test: a fresh database (owner + server role URLs) and a
 * private Redis, with the environment lines to hand to hub_hubd_start / hub_proc_spawn. */
#ifndef HUB_TEST_STACK_H
#define HUB_TEST_STACK_H

#include "support/procs.h"

typedef struct hub_stack {
  char *owner_url, *app_url;
  int redis_port;
  hub_proc *redis;
  char db_env[512], migrate_env[512], redis_env[128];
  const char *env[8]; /* the three lines above, NULL-terminated; callers may append (room for 4) */
} hub_stack;

/* Creates the database and starts Redis; false (after printing why) on failure. */
bool hub_stack_up(hub_stack *s, const char *label);
/* Stops Redis (if still running) and drops the database. */
void hub_stack_down(hub_stack *s);

#endif
