/* hub_cpu_count: the affinity mask's size (sched_getaffinity), falling back to the online
 * processors when the mask cannot be read. */
#include <sched.h>
#include <unistd.h>

#include "hub/cpu.h"

int hub_cpu_count(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? (int)online : 1;
}
