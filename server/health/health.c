/* The prober thread and the health state behind grpc.health.v1.Health (see health.h). */
#include "health.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "hub/log.h"
#include "metrics/metrics.h"

#define MAX_PROBES 8

typedef struct probe {
  const char *name;
  hub_health_probe_fn fn;
  void *ud;
  atomic_bool ok; /* written by the prober, read by the HTTP side port */
} probe;

static probe probes[MAX_PROBES];
static int n_probes;
static atomic_bool serving;
static atomic_bool draining;
static atomic_uint_least64_t generation;
static atomic_bool stop;
static int64_t interval_ms = 1000;
static pthread_t thread;
static bool started;

void hub_health_add_probe(const char *name, hub_health_probe_fn fn, void *ud) {
  if (n_probes < MAX_PROBES) {
    probes[n_probes] = (probe){name, fn, ud, false};
    n_probes++;
  }
}

static void publish(bool now) {
  bool before = atomic_exchange(&serving, now);
  if (before != now) atomic_fetch_add(&generation, 1);
}

static void run_probes(void) {
  bool all = true;
  for (int i = 0; i < n_probes; i++) {
    bool ok = probes[i].fn(probes[i].ud);
    if (ok != atomic_load(&probes[i].ok))
      hub_logf(ok ? HUB_LOG_INFO : HUB_LOG_WARN, "health: %s is %s", probes[i].name, ok ? "up" : "down");
    atomic_store(&probes[i].ok, ok);
    all = all && ok;
  }
  publish(all && !atomic_load(&draining));
}

static void *prober(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    /* Sleep in short steps so stop is prompt. */
    for (int64_t slept = 0; slept < interval_ms && !atomic_load(&stop); slept += 50) {
      struct timespec ts = {0, 50 * 1000000L};
      nanosleep(&ts, NULL);
    }
    if (!atomic_load(&stop)) run_probes();
  }
  return NULL;
}

static const hub_metric_def serving_def = {
    "hub_health_serving", "1 while grpc.health.v1 answers SERVING (every dependency up, not draining), else 0.",
    HUB_METRIC_GAUGE, NULL, NULL, 0};
static const hub_metric_def draining_def = {"hub_health_draining", "1 once shutdown has begun (SIGTERM), else 0.",
                                            HUB_METRIC_GAUGE, NULL, NULL, 0};
static const hub_metric_def up_def = {"hub_dependency_up",
                                      "1 while the health prober's last check of the dependency passed, else 0.",
                                      HUB_METRIC_GAUGE, (const char *const[]){"dependency", NULL}, NULL, 0};

static double serving_value(void *ud) {
  (void)ud;
  return hub_health_serving();
}

static double draining_value(void *ud) {
  (void)ud;
  return hub_health_draining();
}

static double up_value(void *ud) { return atomic_load(&((probe *)ud)->ok); }

void hub_health_start(int64_t every_ms) {
  interval_ms = every_ms > 0 ? every_ms : 1000;
  for (int i = 0; i < n_probes; i++) atomic_store(&probes[i].ok, true); /* log only real changes */
  run_probes();
  hub_metric_fn(hub_metric_family_get(&serving_def), NULL, serving_value, NULL);
  hub_metric_fn(hub_metric_family_get(&draining_def), NULL, draining_value, NULL);
  for (int i = 0; i < n_probes; i++)
    hub_metric_fn(hub_metric_family_get(&up_def), (const char *[]){probes[i].name}, up_value, &probes[i]);
  atomic_store(&stop, false);
  started = pthread_create(&thread, NULL, prober, NULL) == 0;
}

void hub_health_stop(void) {
  atomic_store(&stop, true);
  if (started) pthread_join(thread, NULL);
  started = false;
}

void hub_health_set_draining(void) {
  atomic_store(&draining, true);
  publish(false);
}

bool hub_health_serving(void) { return atomic_load(&serving); }
uint64_t hub_health_generation(void) { return atomic_load(&generation); }

bool hub_health_draining(void) { return atomic_load(&draining); }

size_t hub_health_probe_count(void) { return (size_t)n_probes; }

bool hub_health_probe_state(size_t i, const char **name) {
  *name = (int)i < n_probes ? probes[i].name : NULL;
  return (int)i < n_probes && atomic_load(&probes[i].ok);
}
