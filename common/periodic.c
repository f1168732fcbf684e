/* Periodic background threads (hub/periodic.h): a mutex and condition variable per thread;
 * the wait is the only place the thread sleeps, so stop and kick need nothing else. */
#include "hub/periodic.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/clock.h"
#include "hub/log.h"

struct hub_periodic {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stop, kicked;
  char name[64];
  int64_t interval_ms;
  void (*tick)(hub_periodic *p, void *ud);
  void *ud;
};

static void *loop(void *arg) {
  hub_periodic *p = arg;
  pthread_mutex_lock(&p->mu);
  while (!p->stop) {
    p->kicked = false;
    pthread_mutex_unlock(&p->mu);
    p->tick(p, p->ud);
    pthread_mutex_lock(&p->mu);
    struct timespec until = hub_clock_wall_after(p->interval_ms);
    if (!p->stop && !p->kicked) pthread_cond_timedwait(&p->cv, &p->mu, &until);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

hub_periodic *hub_periodic_start(const char *name, int64_t interval_ms, void (*tick)(hub_periodic *p, void *ud),
                                 void *ud) {
  hub_periodic *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  snprintf(p->name, sizeof p->name, "%s", name);
  p->interval_ms = interval_ms;
  p->tick = tick;
  p->ud = ud;
  if (pthread_create(&p->thread, NULL, loop, p) != 0) {
    hub_logf(HUB_LOG_ERROR, "%s: cannot start its thread", p->name);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
    return NULL;
  }
  hub_logf(HUB_LOG_INFO, "%s started (every %lld ms)", p->name, (long long)interval_ms);
  return p;
}

void hub_periodic_kick(hub_periodic *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->kicked = true;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

bool hub_periodic_stopping(hub_periodic *p) {
  pthread_mutex_lock(&p->mu);
  const bool stop = p->stop;
  pthread_mutex_unlock(&p->mu);
  return stop;
}

void hub_periodic_stop(hub_periodic *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = true;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  pthread_join(p->thread, NULL);
  hub_logf(HUB_LOG_INFO, "%s stopped", p->name);
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  free(p);
}
