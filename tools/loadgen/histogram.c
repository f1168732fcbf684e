/* See histogram.h. Bucket index: values below 1024 map to themselves; above, the octave
 * (position of the top bit) and the next 6 bits select one of 64 sub-buckets. */
#include "histogram.h"

static unsigned bucket(uint64_t v) {
  if (v < HUB_HIST_LINEAR) return (unsigned)v;
  int top = 63 - __builtin_clzll(v); /* >= 10 */
  unsigned octave = (unsigned)(top - 10);
  if (octave >= HUB_HIST_OCTAVES) return HUB_HIST_BUCKETS - 1;
  unsigned sub = (unsigned)((v >> (top - 6)) & (HUB_HIST_SUB - 1));
  return HUB_HIST_LINEAR + octave * HUB_HIST_SUB + sub;
}

static uint64_t upper_edge(unsigned b) {
  if (b < HUB_HIST_LINEAR) return b;
  unsigned octave = (b - HUB_HIST_LINEAR) / HUB_HIST_SUB, sub = (b - HUB_HIST_LINEAR) % HUB_HIST_SUB;
  int top = (int)octave + 10;
  uint64_t base = (uint64_t)1 << top, step = (uint64_t)1 << (top - 6);
  return base + (sub + 1) * step - 1;
}

void hub_hist_record(hub_histogram *h, uint64_t us) {
  h->counts[bucket(us)]++;
  h->total++;
  if (us > h->max) h->max = us;
}

uint64_t hub_hist_quantile(const hub_histogram *h, double q) {
  if (!h->total) return 0;
  uint64_t rank = (uint64_t)(q * (double)h->total + 0.5);
  if (rank < 1) rank = 1;
  if (rank > h->total) rank = h->total;
  uint64_t seen = 0;
  for (unsigned b = 0; b < HUB_HIST_BUCKETS; b++) {
    seen += h->counts[b];
    if (seen >= rank) {
      uint64_t edge = upper_edge(b);
      return edge < h->max ? edge : h->max;
    }
  }
  return h->max;
}
