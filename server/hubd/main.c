/* hubd: the SMB Hub server. `hubd` serves; `hubd migrate` applies migrations and exits;
 * `hubd --help` lists every setting. Configuration comes from the environment only
 * (common/config.c); an invalid setting is one clear line and exit code 2. It names no
 * service: the generated hub_served_services table lists what is served, and each service's
 * lifecycle hooks (init/start/drain/stop, one-shot commands) run through hubd/lifecycle.c. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/redis.h"
#include "cache/session.h"
#include "db/migrate.h"
#include "db/outbox_metrics.h"
#include "db/pg.h"
#include "http/http.h"
#include "hubd/build_commit.h"
#include "hubd/keys.h"
#include "hubd/lifecycle.h"
#include "hubd/seed.h"
#include "hub/config.h"
#include "hub/log.h"
#include "metrics/metrics.h"
#include "middleware/access.h"
#include "runtime/server.h"
#include "services/context.h"

#ifndef HUB_VERSION
#define HUB_VERSION "dev"
#endif

static const hub_config *cfg;

static void *worker_init(void *ud) {
  (void)ud;
  hub_ctx *ctx = calloc(1, sizeof *ctx);
  if (!ctx) abort();
  ctx->pg = hub_pg_new(cfg->database_url, cfg->db_timeout_ms);
  ctx->redis = hub_redis_new(cfg->redis_url, cfg->redis_timeout_ms);
  return ctx;
}

static void worker_fini(void *p, void *ud) {
  (void)ud;
  hub_ctx *ctx = p;
  if (!ctx) return;
  hub_pg_free(ctx->pg);
  hub_redis_free(ctx->redis);
  free(ctx);
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: hubd [command]\n\n"
          "Commands:\n"
          "  (none)     serve gRPC on HUB_LISTEN (migrating first unless HUB_MIGRATE_ON_START=false)\n"
          "  migrate    apply pending migrations and exit\n"
          "  seed-demo  create the demo tenant and its owner (idempotent) and print how to sign in\n"
          "  config     print the effective configuration (passwords in URLs masked) and exit\n");
  hub_lifecycle_commands_help(out);
  fprintf(out,
          "  --help     this text\n"
          "  --version  print the version\n\n");
  hub_config_help(out);
}

static int run_migrations(void) {
  hub_arena *a = hub_arena_new(0);
  int applied = 0;
  hub_status st = hub_migrate(cfg->migrate_database_url, cfg->migrations_dir, a, &applied);
  if (hub_ok(st)) hub_logf(HUB_LOG_INFO, "migrations: %d applied, schema up to date", applied);
  else hub_logf(HUB_LOG_ERROR, "migrations failed: %s", st.message);
  hub_arena_free(a);
  return hub_ok(st) ? 0 : 1;
}

static char *make_instance_id(void) {
  static char id[33];
  FILE *f = fopen("/dev/urandom", "rb");
  unsigned char b[16] = {0};
  if (f) {
    if (fread(b, 1, sizeof b, f) != sizeof b) memset(b, 0, sizeof b);
    fclose(f);
  }
  for (int i = 0; i < 16; i++) snprintf(id + 2 * i, 3, "%02x", b[i]);
  return id;
}

static int serve(void) {
  if (cfg->migrate_on_start && run_migrations() != 0) return 1;
  int keys = hub_keys_setup(cfg);
  if (keys != 0) return keys;
  const hub_service_env env = {cfg, HUB_VERSION, make_instance_id(), 0, NULL};
  if (!hub_lifecycle_init(&env)) {
    hub_lifecycle_stop();
    return 1;
  }

  hub_server_options o;
  hub_server_options_defaults(&o);
  hub_server_options_from_config(&o, cfg);
  o.worker_init = worker_init;
  o.worker_fini = worker_fini;
  o.interceptor = hub_access_check;
  o.db_round_trips = hub_pg_thread_round_trips;

  hub_server *srv = hub_server_new(&o);
  if (!srv) return 1;
  /* Sessions checked from a local copy while this hubd hears every change (cache/session.h). */
  if (!hub_session_cache_start(cfg->redis_url, cfg->redis_timeout_ms))
    hub_logf(HUB_LOG_WARN, "session cache: bad Redis URL; sessions are checked in Redis");
  for (size_t i = 0; hub_served_services[i]; i++) hub_server_add_service(srv, hub_served_services[i]);
  if (!hub_server_start(srv)) {
    hub_logf(HUB_LOG_ERROR, "cannot start the worker threads");
    return 1;
  }
  /* The HTTP side port: metrics and HTTP probes, on threads of its own. */
  hub_http *http = NULL;
  if (*cfg->http_listen) {
    hub_metrics_register_process(HUB_VERSION, HUB_COMMIT);
    hub_outbox_metrics_start(cfg->database_url, cfg->db_timeout_ms);
    http = hub_http_start(&(hub_http_options){.listen = cfg->http_listen});
  }
  bool started = (!*cfg->http_listen || http) && hub_lifecycle_start(&env);
  if (started) {
    hub_log_line l;
    hub_log_begin(&l, HUB_LOG_INFO, "serving");
    hub_log_int(&l, "port", hub_server_port(srv));
    hub_log_str(&l, "listen", cfg->listen);
    hub_log_int(&l, "workers", o.workers);
    hub_log_int(&l, "running_workers", hub_server_running_workers(srv));
    hub_log_str(&l, "tls", *cfg->tls_cert ? "on" : "off");
    hub_log_str(&l, "version", HUB_VERSION);
    if (http) hub_log_int(&l, "http_port", hub_http_port(http));
    hub_log_end(&l, HUB_LOG_INFO);
    hub_server_wait_for_signal();
  }
  hub_lifecycle_drain();
  hub_server_shutdown(srv, cfg->shutdown_grace_ms);
  hub_http_stop(http); /* after the grace period, so probes see the drain (/readyz 503) */
  if (*cfg->http_listen) hub_outbox_metrics_stop();
  hub_lifecycle_stop();
  hub_session_cache_stop();
  hub_server_free(srv);
  hub_logf(HUB_LOG_INFO, "stopped");
  return started ? 0 : 1;
}

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : "";
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "--version")) {
    printf("hubd %s\n", HUB_VERSION);
    return 0;
  }
  if (!strcmp(cmd, "config-markdown")) { /* regenerates docs/configuration.md's table */
    hub_config_markdown(stdout);
    return 0;
  }
  static hub_config config;
  char err[512];
  if (!hub_config_load(&config, hub_env_getenv, NULL, err, sizeof err)) {
    fprintf(stderr, "hubd: invalid configuration: %s\n", err);
    return 2;
  }
  cfg = &config;
  /* Before any thread exists: every thread that allocates would otherwise get an arena of
   * its own, and memory freed into one is never reused by the others. */
  if (config.malloc_arenas > 0) mallopt(M_ARENA_MAX, config.malloc_arenas);
  hub_log_level level = HUB_LOG_INFO;
  hub_log_parse_level(config.log_level, &level);
  hub_log_set_level(level);
  int rc;
  if (!*cmd) {
    rc = serve();
  } else if (!strcmp(cmd, "migrate")) {
    rc = run_migrations();
  } else if (!strcmp(cmd, "seed-demo")) {
    rc = hub_seed_demo(cfg);
  } else if (!strcmp(cmd, "config")) {
    hub_config_print(stdout, cfg, hub_env_getenv, NULL);
    rc = 0;
  } else if (hub_lifecycle_command(cmd)) {
    const hub_service_env env = {cfg, HUB_VERSION, make_instance_id(), argc - 2, argv + 2};
    rc = hub_lifecycle_command(cmd)->run(&env);
  } else {
    fprintf(stderr, "hubd: unknown command \"%s\" (see hubd --help)\n", cmd);
    rc = 2;
  }
  hub_config_free(&config);
  return rc;
}
