/* The registry's insides, shared by registry.c (making and bumping) and expose.c (writing
 * the text format). Never included outside server/metrics. */
#ifndef HUB_METRICS_REGISTRY_H
#define HUB_METRICS_REGISTRY_H

#include <pthread.h>

#include "metrics/metrics.h"

#define HUB_METRIC_MAX_LABELS 4

struct hub_histogram {
  const hub_metric_family *family;
  atomic_uint_least64_t *buckets; /* n_buckets + 1 (the last: above every bound), not cumulative */
  atomic_uint_least64_t sum_us;
};

typedef struct hub_metric_child {
  struct hub_metric_child *next;
  char *values[HUB_METRIC_MAX_LABELS];
  hub_counter counter;
  hub_gauge gauge;
  double (*fn)(void *ud); /* a gauge computed when written, or NULL */
  void *fn_ud;
  hub_histogram *hist;
} hub_metric_child;

struct hub_metric_family {
  struct hub_metric_family *next;
  char *name, *help;
  hub_metric_type type;
  size_t n_labels;
  char *label_names[HUB_METRIC_MAX_LABELS];
  size_t n_buckets;
  double *bounds;     /* as declared, for the le label */
  int64_t *bounds_us; /* the same in millionths, for placing observations exactly */
  hub_metric_child *children, **tail;
};

/* Guards the lists (families, children, collectors); the values are atomics outside it. */
extern pthread_mutex_t hub_metrics_mu;
extern hub_metric_family *hub_metrics_families;

/* Runs every hub_metrics_on_collect function (not under hub_metrics_mu: they may make children). */
void hub_metrics_run_collectors(void);

#endif
