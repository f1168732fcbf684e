/* A latency histogram with fixed memory: exact 1 µs buckets below 1024 µs, then 64 linear
 * sub-buckets per power of two (under 1.6% relative error), up to about 68 s. Recording is
 * an index computation and an increment: no allocation per sample. */
#ifndef HUB_HISTOGRAM_H
#define HUB_HISTOGRAM_H

#include <stdint.h>

#define HUB_HIST_LINEAR 1024
#define HUB_HIST_SUB 64
#define HUB_HIST_OCTAVES 27
#define HUB_HIST_BUCKETS (HUB_HIST_LINEAR + HUB_HIST_OCTAVES * HUB_HIST_SUB)

typedef struct hub_histogram {
  uint64_t counts[HUB_HIST_BUCKETS];
  uint64_t total;
  uint64_t max;
} hub_histogram;

void hub_hist_record(hub_histogram *h, uint64_t us);
/* The value at quantile q in [0, 1] (upper edge of its bucket); 0 when empty. */
uint64_t hub_hist_quantile(const hub_histogram *h, double q);

#endif
