/* The metric registry (metrics.h): families and their children in insertion order, made under
 * one mutex and never freed; the values themselves are atomics that writers bump without it.
 * The text format is written by expose.c, which walks these lists under the same mutex. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/registry.h"

pthread_mutex_t hub_metrics_mu = PTHREAD_MUTEX_INITIALIZER;
hub_metric_family *hub_metrics_families;
static hub_metric_family **families_tail = &hub_metrics_families;

const double hub_metric_latency_buckets[HUB_METRIC_LATENCY_N] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  if (!p) abort();
  return p;
}

static char *xstrdup(const char *s) {
  char *p = strdup(s);
  if (!p) abort();
  return p;
}

static void die(const char *what, const char *name) {
  fprintf(stderr, "metrics: %s: %s\n", what, name);
  abort();
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; labels take no ':' and may not start with "__". */
static bool valid_name(const char *s, bool label) {
  if (!s || !*s || (label && s[0] == '_' && s[1] == '_')) return false;
  for (const char *p = s; *p; p++) {
    char c = *p;
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
    if (!alpha && !(p > s && c >= '0' && c <= '9')) return false;
  }
  return true;
}

static void check_def(const hub_metric_def *d) {
  if (!valid_name(d->name, false)) die("bad metric name", d->name ? d->name : "(null)");
  if (!d->help || !*d->help) die("no help text", d->name);
  size_t n = 0;
  for (; d->labels && d->labels[n]; n++) {
    if (!valid_name(d->labels[n], true)) die("bad label name", d->name);
    if (d->type == HUB_METRIC_HISTOGRAM && !strcmp(d->labels[n], "le")) die("a histogram may not label le", d->name);
  }
  if (n > HUB_METRIC_MAX_LABELS) die("too many labels", d->name);
  if (d->type == HUB_METRIC_HISTOGRAM) {
    if (d->n_buckets == 0 || !d->buckets) die("a histogram needs buckets", d->name);
    for (size_t i = 0; i < d->n_buckets; i++)
      if (!isfinite(d->buckets[i]) || (i > 0 && d->buckets[i] <= d->buckets[i - 1]))
        die("buckets must be finite and ascending", d->name);
  }
}

hub_metric_family *hub_metric_family_get(const hub_metric_def *d) {
  check_def(d);
  pthread_mutex_lock(&hub_metrics_mu);
  hub_metric_family *f = hub_metrics_families;
  for (; f; f = f->next)
    if (!strcmp(f->name, d->name)) break;
  if (f) {
    pthread_mutex_unlock(&hub_metrics_mu);
    if (f->type != d->type) die("one name, two types", d->name);
    return f;
  }
  f = xcalloc(1, sizeof *f);
  f->name = xstrdup(d->name);
  f->help = xstrdup(d->help);
  f->type = d->type;
  for (; d->labels && d->labels[f->n_labels]; f->n_labels++) f->label_names[f->n_labels] = xstrdup(d->labels[f->n_labels]);
  if (d->type == HUB_METRIC_HISTOGRAM) {
    f->n_buckets = d->n_buckets;
    f->bounds = xcalloc(d->n_buckets, sizeof *f->bounds);
    f->bounds_us = xcalloc(d->n_buckets, sizeof *f->bounds_us);
    for (size_t i = 0; i < d->n_buckets; i++) {
      f->bounds[i] = d->buckets[i];
      f->bounds_us[i] = llround(d->buckets[i] * 1e6);
    }
  }
  f->tail = &f->children;
  *families_tail = f;
  families_tail = &f->next;
  pthread_mutex_unlock(&hub_metrics_mu);
  return f;
}

static bool same_values(const hub_metric_child *c, size_t n, const char *const *values) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(c->values[i], values[i])) return false;
  return true;
}

/* The child of f with these values, made if new; under hub_metrics_mu. */
static hub_metric_child *child_locked(hub_metric_family *f, const char *const *values) {
  for (hub_metric_child *c = f->children; c; c = c->next)
    if (same_values(c, f->n_labels, values)) return c;
  hub_metric_child *c = xcalloc(1, sizeof *c);
  for (size_t i = 0; i < f->n_labels; i++) {
    if (!values || !values[i]) die("a label value is missing", f->name);
    c->values[i] = xstrdup(values[i]);
  }
  if (f->type == HUB_METRIC_HISTOGRAM) {
    c->hist = xcalloc(1, sizeof *c->hist);
    c->hist->family = f;
    c->hist->buckets = xcalloc(f->n_buckets + 1, sizeof *c->hist->buckets);
  }
  *f->tail = c;
  f->tail = &c->next;
  return c;
}

static hub_metric_child *child(hub_metric_family *f, const char *const *values, hub_metric_type want) {
  if (f->type != want) die("wrong kind of child for", f->name);
  pthread_mutex_lock(&hub_metrics_mu);
  hub_metric_child *c = child_locked(f, values);
  pthread_mutex_unlock(&hub_metrics_mu);
  return c;
}

hub_counter *hub_counter_get(hub_metric_family *f, const char *const *values) {
  return &child(f, values, HUB_METRIC_COUNTER)->counter;
}

hub_gauge *hub_gauge_get(hub_metric_family *f, const char *const *values) {
  return &child(f, values, HUB_METRIC_GAUGE)->gauge;
}

hub_histogram *hub_histogram_get(hub_metric_family *f, const char *const *values) {
  return child(f, values, HUB_METRIC_HISTOGRAM)->hist;
}

void hub_metric_fn(hub_metric_family *f, const char *const *values, double (*fn)(void *ud), void *ud) {
  if (f->type == HUB_METRIC_HISTOGRAM) die("a value function on a histogram", f->name);
  pthread_mutex_lock(&hub_metrics_mu);
  hub_metric_child *c = child_locked(f, values);
  c->fn = fn;
  c->fn_ud = ud;
  pthread_mutex_unlock(&hub_metrics_mu);
}

hub_counter *hub_counter_simple(const hub_metric_def *d) { return hub_counter_get(hub_metric_family_get(d), NULL); }
hub_gauge *hub_gauge_simple(const hub_metric_def *d) { return hub_gauge_get(hub_metric_family_get(d), NULL); }
hub_histogram *hub_histogram_simple(const hub_metric_def *d) {
  return hub_histogram_get(hub_metric_family_get(d), NULL);
}

void hub_histogram_observe_us(hub_histogram *h, int64_t us) {
  if (us < 0) us = 0;
  const hub_metric_family *f = h->family;
  size_t i = 0;
  while (i < f->n_buckets && us > f->bounds_us[i]) i++; /* i == n_buckets: +Inf only */
  atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&h->sum_us, (uint64_t)us, memory_order_relaxed);
}

/* ---- collectors run before each write ---- */

#define MAX_COLLECTORS 8
static struct {
  void (*fn)(void *ud);
  void *ud;
} collectors[MAX_COLLECTORS];
static size_t n_collectors;

void hub_metrics_on_collect(void (*fn)(void *ud), void *ud) {
  pthread_mutex_lock(&hub_metrics_mu);
  if (n_collectors == MAX_COLLECTORS) die("too many collectors", "hub_metrics_on_collect");
  collectors[n_collectors].fn = fn;
  collectors[n_collectors].ud = ud;
  n_collectors++;
  pthread_mutex_unlock(&hub_metrics_mu);
}

void hub_metrics_run_collectors(void) {
  pthread_mutex_lock(&hub_metrics_mu);
  size_t n = n_collectors;
  pthread_mutex_unlock(&hub_metrics_mu);
  for (size_t i = 0; i < n; i++) collectors[i].fn(collectors[i].ud); /* entries below n never change */
}
