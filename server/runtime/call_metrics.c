/* Every call's metrics, recorded where the runtime prepares and finishes a call (call.c), so
 * each RPC of every service is counted with no code in any service: calls by method and status
 * code, their latency (from the call's arrival to the end of its final batch, as the log line's
 * latency_us) and the calls in flight. Children are made the first time a method ends with a
 * code and kept in the method's atomic slots, so a call pays two relaxed atomic adds (and one
 * for in flight at each end). Paths the server does not serve share one method label,
 * "unknown": a client cannot grow the metrics by inventing paths. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hub/clock.h"
#include "internal.h"

static const hub_metric_def requests_def = {
    "hub_rpc_requests_total", "RPCs finished, by full gRPC method and canonical status code.", HUB_METRIC_COUNTER,
    (const char *const[]){"method", "code", NULL}, NULL, 0};
static const hub_metric_def duration_def = {
    "hub_rpc_duration_seconds", "RPC latency from arrival to the status being sent, by full gRPC method.",
    HUB_METRIC_HISTOGRAM, (const char *const[]){"method", NULL}, hub_metric_latency_buckets, HUB_METRIC_LATENCY_N};
static const hub_metric_def in_flight_def = {"hub_rpc_in_flight", "RPCs being served now (unary and streaming).",
                                             HUB_METRIC_GAUGE, NULL, NULL, 0};

#define UNKNOWN_METHOD "unknown"

typedef struct named_metrics {
  struct named_metrics *next;
  char *path;
  method_metrics m;
} named_metrics;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static named_metrics *all;

static hub_gauge *in_flight(void);

method_metrics *hub_method_metrics(const char *path) {
  in_flight(); /* shown (as 0) from the first registration on */
  pthread_mutex_lock(&mu);
  named_metrics *n = all;
  while (n && strcmp(n->path, path)) n = n->next;
  if (!n) {
    n = calloc(1, sizeof *n);
    if (!n || !(n->path = strdup(path))) abort();
    n->next = all;
    all = n;
  }
  pthread_mutex_unlock(&mu);
  return &n->m;
}

static hub_gauge *in_flight(void) {
  static _Atomic(hub_gauge *) g;
  hub_gauge *p = atomic_load_explicit(&g, memory_order_acquire);
  if (!p) {
    p = hub_gauge_simple(&in_flight_def); /* the same child whoever gets here first */
    atomic_store_explicit(&g, p, memory_order_release);
  }
  return p;
}

void hub_call_metrics_begin(hub_call *c) {
  hub_gauge_add(in_flight(), 1);
  c->in_flight = true;
}

void hub_call_metrics_end(hub_call *c) {
  if (!c->in_flight) return; /* never prepared */
  c->in_flight = false;
  hub_gauge_add(in_flight(), -1);
  static method_metrics unknown; /* every unregistered path */
  method_metrics *m = c->reg ? c->reg->metrics : &unknown;
  const char *path = c->reg ? c->reg->def->path : UNKNOWN_METHOD;
  hub_code code = hub_call_final_code(c);
  if ((unsigned)code >= HUB_CODE_COUNT) code = HUB_UNKNOWN;
  hub_counter *n = atomic_load_explicit(&m->codes[code], memory_order_acquire);
  if (!n) {
    n = hub_counter_get(hub_metric_family_get(&requests_def), (const char *[]){path, hub_code_name(code)});
    atomic_store_explicit(&m->codes[code], n, memory_order_release);
  }
  hub_histogram *h = atomic_load_explicit(&m->latency, memory_order_acquire);
  if (!h) {
    h = hub_histogram_get(hub_metric_family_get(&duration_def), (const char *[]){path});
    atomic_store_explicit(&m->latency, h, memory_order_release);
  }
  hub_counter_inc(n);
  hub_histogram_observe_us(h, hub_clock_mono_us() - c->start_us);
}
