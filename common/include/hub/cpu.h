/* How many CPUs this process may run on: the one count every size that follows the cores uses
 * (workers, running workers, password-hash slots). It reads the process's CPU affinity, not the
 * machine's processor count, so a server confined by taskset, a cpuset or a container's
 * --cpuset-cpus sizes itself for the CPUs it actually has. */
#ifndef HUB_CPU_H
#define HUB_CPU_H

/* At least 1. */
int hub_cpu_count(void);

#endif
