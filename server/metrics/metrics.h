/* The process's metrics: counters, gauges and fixed-bucket histograms that the hot paths
 * (the runtime's end of a call, the SQL helper, the Redis layer) bump with one relaxed atomic
 * add, and that the HTTP side port (server/http) writes out in Prometheus's text format.
 *
 * A family is a metric name with its help text, type and label names; a child is one set of
 * label values. Families and children are made once and live as long as the process (the
 * registry never frees them), so the pointers that code keeps are stable; making them takes a
 * mutex, bumping them never does. Code that sees a new label value on its hot path keeps the
 * child in an atomic pointer and asks for it only the first time (runtime/server.c does). */
#ifndef HUB_METRICS_H
#define HUB_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum hub_metric_type { HUB_METRIC_COUNTER, HUB_METRIC_GAUGE, HUB_METRIC_HISTOGRAM } hub_metric_type;

/* What a family is, declared once as a static const by the code that owns the metric. The
 * name (hub_ prefixed, unit-suffixed: _total, _seconds, _bytes) and label names must be valid
 * Prometheus names; labels is NULL-terminated (NULL: no labels, at most 4). A histogram's
 * buckets are its upper bounds in seconds (or the unit of its name), ascending, +Inf implied. */
typedef struct hub_metric_def {
  const char *name;
  const char *help;
  hub_metric_type type;
  const char *const *labels;
  const double *buckets;
  size_t n_buckets;
} hub_metric_def;

typedef struct hub_metric_family hub_metric_family;

typedef struct hub_counter {
  atomic_uint_least64_t v;
} hub_counter;

typedef struct hub_gauge {
  atomic_int_least64_t v;
} hub_gauge;

typedef struct hub_histogram hub_histogram;

/* The family `def` describes, made on first use (the same def, or one with the same name and
 * type, always answers the same family). Aborts on a malformed def: that is a bug. */
hub_metric_family *hub_metric_family_get(const hub_metric_def *def);

/* The child with these label values (as many as the family has labels; NULL when it has
 * none), made on first use. Values are copied; any bytes are fine (they are escaped on output). */
hub_counter *hub_counter_get(hub_metric_family *f, const char *const *values);
hub_gauge *hub_gauge_get(hub_metric_family *f, const char *const *values);
hub_histogram *hub_histogram_get(hub_metric_family *f, const char *const *values);
/* A gauge or counter whose value fn(ud) computes when the metrics are written (on the
 * writer's thread, under the registry's lock: fn must not make metrics). Registering the same
 * label values again replaces the function. */
void hub_metric_fn(hub_metric_family *f, const char *const *values, double (*fn)(void *ud), void *ud);

/* Shorthands for a family without labels. */
hub_counter *hub_counter_simple(const hub_metric_def *def);
hub_gauge *hub_gauge_simple(const hub_metric_def *def);
hub_histogram *hub_histogram_simple(const hub_metric_def *def);

static inline void hub_counter_add(hub_counter *c, uint64_t n) {
  atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}
static inline void hub_counter_inc(hub_counter *c) { hub_counter_add(c, 1); }
static inline uint64_t hub_counter_value(const hub_counter *c) {
  return atomic_load_explicit(&c->v, memory_order_relaxed);
}
static inline void hub_gauge_add(hub_gauge *g, int64_t d) { atomic_fetch_add_explicit(&g->v, d, memory_order_relaxed); }
static inline void hub_gauge_set(hub_gauge *g, int64_t v) { atomic_store_explicit(&g->v, v, memory_order_relaxed); }

/* Records one observation of `us` millionths of the family's unit (µs for a _seconds
 * histogram): the first bucket whose bound is >= the value (Prometheus's le is inclusive),
 * else +Inf only. Negative values count as 0. Lock-free. */
void hub_histogram_observe_us(hub_histogram *h, int64_t us);

/* The RPC latency buckets (seconds), for every histogram of call or round-trip durations. */
#define HUB_METRIC_LATENCY_N 14
extern const double hub_metric_latency_buckets[HUB_METRIC_LATENCY_N];

/* Runs fn(ud) before every write of the metrics (serialized: one write at a time), for a
 * source that samples something at scrape time (the outbox backlog). */
void hub_metrics_on_collect(void (*fn)(void *ud), void *ud);

/* Every family, in the order first made, in the text exposition format 0.0.4: HELP and TYPE
 * lines, then one line per child (a histogram: cumulative _bucket{le}, _sum, _count). A
 * malloc'd NUL-terminated string the caller frees; *len (if non-NULL) is its length. */
char *hub_metrics_render(size_t *len);

/* The Content-Type of what hub_metrics_render writes. */
#define HUB_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Process metrics (process_resident_memory_bytes, process_open_fds, process_start_time_seconds,
 * ...) read from /proc/self when written, and hub_build_info{version, commit} = 1. Idempotent. */
void hub_metrics_register_process(const char *version, const char *commit);

#endif
