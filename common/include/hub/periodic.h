/* A background thread that runs one function now and then every interval until stopped: the
 * shape of the SLA sweeper, the account purge and the operations runner. Stopping wakes the
 * thread from its wait, lets a running tick finish (a long tick checks hub_periodic_stopping
 * between its steps) and joins it, so a service's stop hook returns with nothing left running. */
#ifndef HUB_PERIODIC_H
#define HUB_PERIODIC_H

#include <stdbool.h>
#include <stdint.h>

typedef struct hub_periodic hub_periodic;

/* Starts `name`'s thread: tick(p, ud) at once, then interval_ms after each tick ends (or
 * sooner after hub_periodic_kick). NULL when the thread cannot start. Logs "<name> started". */
hub_periodic *hub_periodic_start(const char *name, int64_t interval_ms, void (*tick)(hub_periodic *p, void *ud),
                                 void *ud);
/* Wakes the thread for a tick now (new work arrived); no effect once stopping. */
void hub_periodic_kick(hub_periodic *p);
/* True once hub_periodic_stop has been called: a long tick returns at its next step. */
bool hub_periodic_stopping(hub_periodic *p);
/* Stops, waits for the running tick, joins and frees; logs "<name> stopped". NULL is a no-op. */
void hub_periodic_stop(hub_periodic *p);

#endif
