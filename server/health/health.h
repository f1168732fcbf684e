/* Health of this hubd: SERVING while every dependency probe (PostgreSQL, Redis) passes and
 * the server is not draining. A prober thread runs the probes on its own connections every
 * interval, so Check never waits on a dependency, and Watch streams each change. */
#ifndef HUB_HEALTH_H
#define HUB_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A dependency check; runs on the prober thread only. */
typedef bool (*hub_health_probe_fn)(void *ud);

/* Registers a probe (before hub_health_start). `name` appears in logs on changes. */
void hub_health_add_probe(const char *name, hub_health_probe_fn probe, void *ud);

/* Runs every probe once (so the first answer is real), then starts the prober thread. */
void hub_health_start(int64_t interval_ms);
void hub_health_stop(void);

/* Marks the server as draining: NOT_SERVING from now on. */
void hub_health_set_draining(void);

bool hub_health_serving(void);
/* True once hub_health_set_draining ran. */
bool hub_health_draining(void);

/* The probes and their last results (for the HTTP side port's /readyz): the name of probe i
 * in *name, true when its last run passed. Probes are fixed once hub_health_start ran. */
size_t hub_health_probe_count(void);
bool hub_health_probe_state(size_t i, const char **name);

/* Increases on every change of hub_health_serving(); Watch compares generations. */
uint64_t hub_health_generation(void);

#endif
