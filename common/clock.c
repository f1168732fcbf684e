/* The one clock (hub/clock.h): the only calls to clock_gettime in the tree. */
#include "hub/clock.h"

static int64_t read_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t hub_clock_wall_ns(void) { return read_ns(CLOCK_REALTIME); }
int64_t hub_clock_mono_ns(void) { return read_ns(CLOCK_MONOTONIC); }

struct timespec hub_clock_wall_after(int64_t ms) {
  const int64_t at = hub_clock_wall_ns() + (ms > 0 ? ms : 0) * 1000000;
  return (struct timespec){.tv_sec = (time_t)(at / 1000000000), .tv_nsec = (long)(at % 1000000000)};
}
