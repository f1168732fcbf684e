/* The one clock: every reading of the time in hubd and its libraries goes through here, wall
 * time (what a timestamp, a token's expiry or a UUIDv7 records) and monotonic time (what a
 * timeout, a backoff or a latency measures: it never jumps when the wall clock is set).
 * Pure modules take instants as parameters instead (the calendar, the SLA arithmetic). */
#ifndef HUB_CLOCK_H
#define HUB_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Wall time, nanoseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t hub_clock_wall_ns(void);
/* Monotonic time, nanoseconds since an arbitrary start (CLOCK_MONOTONIC). */
int64_t hub_clock_mono_ns(void);

static inline int64_t hub_clock_wall_s(void) { return hub_clock_wall_ns() / 1000000000; }
static inline int64_t hub_clock_wall_ms(void) { return hub_clock_wall_ns() / 1000000; }
static inline int64_t hub_clock_mono_us(void) { return hub_clock_mono_ns() / 1000; }
static inline int64_t hub_clock_mono_ms(void) { return hub_clock_mono_ns() / 1000000; }

/* The absolute wall-clock instant `ms` from now, for the POSIX waits that take one
 * (pthread_cond_timedwait on a default condition variable, sem_timedwait). */
struct timespec hub_clock_wall_after(int64_t ms);

#endif
