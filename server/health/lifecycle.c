/* Health's lifecycle: the probes of PostgreSQL and Redis (on connections of their own, never a
 * worker's) and the prober thread from init, so the first answer is real before the server
 * accepts calls; NOT_SERVING as soon as shutdown begins (drain); the prober joined at stop. */
#include "cache/redis.h"
#include "db/pg.h"
#include "grpc/health/v1/health.hub-server.h"
#include "health.h"
#include "hub/config.h"

static hub_pg *probe_db;
static hub_redis *probe_cache;

static bool probe_pg(void *ud) { return hub_pg_ping(ud); }
static bool probe_redis(void *ud) { return hub_redis_ping(ud); }

static bool health_init(const hub_service_env *env) {
  const hub_config *cfg = env->config;
  probe_db = hub_pg_new(cfg->database_url, cfg->db_timeout_ms);
  probe_cache = hub_redis_new(cfg->redis_url, cfg->redis_timeout_ms);
  hub_health_add_probe("postgresql", probe_pg, probe_db);
  hub_health_add_probe("redis", probe_redis, probe_cache);
  hub_health_start(cfg->health_interval_ms);
  return true;
}

static void health_drain(void) { hub_health_set_draining(); }

static void health_stop(void) {
  hub_health_stop();
  hub_pg_free(probe_db);
  hub_redis_free(probe_cache);
  probe_db = NULL;
  probe_cache = NULL;
}

const hub_service_lifecycle hub_grpc_health_v1_health_lifecycle = {
    .init = health_init, .drain = health_drain, .stop = health_stop};
