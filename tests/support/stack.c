/* See stack.h. */
#include "support/stack.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/pgtest.h"

bool hub_stack_up(hub_stack *s, const char *label) {
  memset(s, 0, sizeof *s);
  s->owner_url = hub_pgtest_create_db(label);
  s->app_url = hub_pgtest_url(s->owner_url, "hubd");
  s->redis_port = hub_free_port();
  s->redis = hub_redis_start(s->redis_port, NULL);
  if (!s->redis) return false;
  snprintf(s->db_env, sizeof s->db_env, "HUB_DATABASE_URL=%s", s->app_url);
  snprintf(s->migrate_env, sizeof s->migrate_env, "HUB_MIGRATE_DATABASE_URL=%s", s->owner_url);
  snprintf(s->redis_env, sizeof s->redis_env, "HUB_REDIS_URL=redis://127.0.0.1:%d/0", s->redis_port);
  s->env[0] = s->db_env;
  s->env[1] = s->migrate_env;
  s->env[2] = s->redis_env;
  s->env[3] = NULL;
  return true;
}

void hub_stack_down(hub_stack *s) {
  if (s->redis) hub_proc_stop(s->redis, SIGKILL);
  s->redis = NULL;
  hub_pgtest_drop_db(s->owner_url);
  free(s->owner_url);
  free(s->app_url);
  s->owner_url = s->app_url = NULL;
}
