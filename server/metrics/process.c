/* Process metrics under the names every Prometheus client library uses (process_*, so stock
 * dashboards and alerts work unchanged), read from /proc/self when the metrics are written,
 * and hub_build_info. Linux only, as hubd is. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "metrics/metrics.h"

/* Fields of /proc/self/stat after the command (which may hold spaces: skip past its ')'). */
typedef struct proc_stat {
  double utime_ticks, stime_ticks, start_ticks, vsize;
} proc_stat;

static bool read_stat(proc_stat *s) {
  char line[1024];
  FILE *f = fopen("/proc/self/stat", "r");
  if (!f) return false;
  bool ok = fgets(line, sizeof line, f) != NULL;
  fclose(f);
  const char *p = ok ? strrchr(line, ')') : NULL;
  if (!p) return false;
  /* After ')': state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
   * utime(14) stime(15) cutime cstime priority nice num_threads itrealvalue starttime(22) vsize(23) */
  unsigned long long v[21] = {0};
  int field = 3;
  for (const char *q = p + 2; *q && field <= 23; field++) {
    while (*q == ' ') q++;
    if (field >= 14 && field <= 23) v[field - 3] = strtoull(q, NULL, 10);
    while (*q && *q != ' ') q++;
  }
  s->utime_ticks = (double)v[14 - 3];
  s->stime_ticks = (double)v[15 - 3];
  s->start_ticks = (double)v[22 - 3];
  s->vsize = (double)v[23 - 3];
  return field > 23;
}

static double cpu_seconds(void *ud) {
  (void)ud;
  proc_stat s;
  if (!read_stat(&s)) return 0;
  return (s.utime_ticks + s.stime_ticks) / (double)sysconf(_SC_CLK_TCK);
}

static double virtual_bytes(void *ud) {
  (void)ud;
  proc_stat s;
  return read_stat(&s) ? s.vsize : 0;
}

static double resident_bytes(void *ud) {
  (void)ud;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long long size = 0, resident = 0;
  int n = fscanf(f, "%llu %llu", &size, &resident);
  fclose(f);
  return n == 2 ? (double)resident * (double)sysconf(_SC_PAGESIZE) : 0;
}

static double open_fds(void *ud) {
  (void)ud;
  DIR *d = opendir("/proc/self/fd");
  if (!d) return 0;
  double n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the directory's own descriptor */
}

static double max_fds(void *ud) {
  (void)ud;
  struct rlimit r;
  return getrlimit(RLIMIT_NOFILE, &r) == 0 ? (double)r.rlim_cur : 0;
}

/* Boot time (btime of /proc/stat) plus the process's start in ticks since boot: read once. */
static double start_time(void *ud) {
  static double cached;
  (void)ud;
  if (cached > 0) return cached;
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return 0;
  char line[256];
  double btime = 0;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "btime ", 6)) btime = strtod(line + 6, NULL);
  fclose(f);
  proc_stat s;
  if (btime <= 0 || !read_stat(&s)) return 0;
  cached = btime + s.start_ticks / (double)sysconf(_SC_CLK_TCK);
  return cached;
}

static double one(void *ud) {
  (void)ud;
  return 1;
}

static const hub_metric_def cpu_def = {"process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
                                       HUB_METRIC_COUNTER, NULL, NULL, 0};
static const hub_metric_def rss_def = {"process_resident_memory_bytes", "Resident memory size in bytes.",
                                       HUB_METRIC_GAUGE, NULL, NULL, 0};
static const hub_metric_def vsz_def = {"process_virtual_memory_bytes", "Virtual memory size in bytes.",
                                       HUB_METRIC_GAUGE, NULL, NULL, 0};
static const hub_metric_def fds_def = {"process_open_fds", "Number of open file descriptors.", HUB_METRIC_GAUGE,
                                       NULL, NULL, 0};
static const hub_metric_def max_fds_def = {"process_max_fds", "Maximum number of open file descriptors.",
                                           HUB_METRIC_GAUGE, NULL, NULL, 0};
static const hub_metric_def start_def = {"process_start_time_seconds",
                                         "Start time of the process since the Unix epoch, in seconds.",
                                         HUB_METRIC_GAUGE, NULL, NULL, 0};
static const hub_metric_def build_def = {"hub_build_info", "The version and commit hubd was built from; always 1.",
                                         HUB_METRIC_GAUGE, (const char *const[]){"version", "commit", NULL}, NULL, 0};

void hub_metrics_register_process(const char *version, const char *commit) {
  hub_metric_fn(hub_metric_family_get(&cpu_def), NULL, cpu_seconds, NULL);
  hub_metric_fn(hub_metric_family_get(&rss_def), NULL, resident_bytes, NULL);
  hub_metric_fn(hub_metric_family_get(&vsz_def), NULL, virtual_bytes, NULL);
  hub_metric_fn(hub_metric_family_get(&fds_def), NULL, open_fds, NULL);
  hub_metric_fn(hub_metric_family_get(&max_fds_def), NULL, max_fds, NULL);
  start_time(NULL);
  hub_metric_fn(hub_metric_family_get(&start_def), NULL, start_time, NULL);
  hub_metric_fn(hub_metric_family_get(&build_def), (const char *[]){version ? version : "", commit ? commit : ""}, one,
                NULL);
}
