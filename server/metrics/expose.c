/* The Prometheus text exposition format 0.0.4 (metrics.h's hub_metrics_render): per family a
 * HELP line (backslash and newline escaped), a TYPE line, then its samples; label values
 * escape backslash, double quote and newline, and bytes that are not UTF-8 become '?'. A
 * histogram's buckets are stored per bucket and written cumulative, with _count taken from the
 * same reads, so +Inf always equals _count even while calls land during the write. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/utf8.h"
#include "metrics/registry.h"

typedef struct buf {
  char *p;
  size_t len, cap;
} buf;

static void reserve(buf *b, size_t more) {
  if (b->len + more + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + more + 1) cap *= 2;
  b->p = realloc(b->p, cap);
  if (!b->p) abort();
  b->cap = cap;
}

static void put(buf *b, const char *s, size_t n) {
  reserve(b, n);
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static void printf_(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_(buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[128];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof small) {
    put(b, small, (size_t)n);
    return;
  }
  reserve(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* HELP text: \ and newline escaped. */
static void put_help(buf *b, const char *s) {
  for (; *s; s++) {
    if (*s == '\\') puts_(b, "\\\\");
    else if (*s == '\n') puts_(b, "\\n");
    else put(b, s, 1);
  }
}

/* A label value: \, " and newline escaped; ill-formed UTF-8 bytes become '?'. */
static void put_label_value(buf *b, const char *s) {
  size_t left = strlen(s);
  const unsigned char *p = (const unsigned char *)s;
  while (left > 0) {
    size_t n = *p < 0x80 ? 1 : hub_utf8_char_len(p, left);
    if (n == 0) {
      puts_(b, "?");
      n = 1;
    } else if (*p == '\\') {
      puts_(b, "\\\\");
    } else if (*p == '"') {
      puts_(b, "\\\"");
    } else if (*p == '\n') {
      puts_(b, "\\n");
    } else {
      put(b, (const char *)p, n);
    }
    p += n;
    left -= n;
  }
}

/* {a="x",b="y"[,le="…"]}, or nothing when there are no labels at all. */
static void put_labels(buf *b, const hub_metric_family *f, const hub_metric_child *c, const char *le) {
  if (f->n_labels == 0 && !le) return;
  puts_(b, "{");
  for (size_t i = 0; i < f->n_labels; i++) {
    if (i) puts_(b, ",");
    puts_(b, f->label_names[i]);
    puts_(b, "=\"");
    put_label_value(b, c->values[i]);
    puts_(b, "\"");
  }
  if (le) {
    if (f->n_labels) puts_(b, ",");
    puts_(b, "le=\"");
    puts_(b, le);
    puts_(b, "\"");
  }
  puts_(b, "}");
}

/* A float sample value as Prometheus reads it: NaN, +Inf, -Inf, integers without a fraction. */
static void put_double(buf *b, double v) {
  if (isnan(v)) puts_(b, "NaN");
  else if (isinf(v)) puts_(b, v > 0 ? "+Inf" : "-Inf");
  else if (v == floor(v) && fabs(v) < 1e15) printf_(b, "%.0f", v);
  else {
    /* The shortest of %.15g/%.17g that reads back as the same double: 0.03, not 0.0299…. */
    char t[40];
    snprintf(t, sizeof t, "%.15g", v);
    if (strtod(t, NULL) != v) snprintf(t, sizeof t, "%.17g", v);
    puts_(b, t);
  }
}

static void put_histogram(buf *b, const hub_metric_family *f, const hub_metric_child *c) {
  uint64_t cumulative = 0;
  char le[32];
  for (size_t i = 0; i <= f->n_buckets; i++) {
    cumulative += atomic_load_explicit(&c->hist->buckets[i], memory_order_relaxed);
    if (i < f->n_buckets) snprintf(le, sizeof le, "%g", f->bounds[i]);
    else snprintf(le, sizeof le, "+Inf");
    printf_(b, "%s_bucket", f->name);
    put_labels(b, f, c, le);
    printf_(b, " %llu\n", (unsigned long long)cumulative);
  }
  uint64_t sum_us = atomic_load_explicit(&c->hist->sum_us, memory_order_relaxed);
  printf_(b, "%s_sum", f->name);
  put_labels(b, f, c, NULL);
  printf_(b, " %llu.%06llu\n", (unsigned long long)(sum_us / 1000000), (unsigned long long)(sum_us % 1000000));
  printf_(b, "%s_count", f->name);
  put_labels(b, f, c, NULL);
  printf_(b, " %llu\n", (unsigned long long)cumulative);
}

static const char *type_name(hub_metric_type t) {
  switch (t) {
    case HUB_METRIC_COUNTER: return "counter";
    case HUB_METRIC_GAUGE: return "gauge";
    default: return "histogram";
  }
}

static void put_family(buf *b, const hub_metric_family *f) {
  if (!f->children) return; /* a family nobody has used yet has no samples to show */
  printf_(b, "# HELP %s ", f->name);
  put_help(b, f->help);
  printf_(b, "\n# TYPE %s %s\n", f->name, type_name(f->type));
  for (const hub_metric_child *c = f->children; c; c = c->next) {
    if (f->type == HUB_METRIC_HISTOGRAM) {
      put_histogram(b, f, c);
      continue;
    }
    puts_(b, f->name);
    put_labels(b, f, c, NULL);
    puts_(b, " ");
    if (c->fn) put_double(b, c->fn(c->fn_ud));
    else if (f->type == HUB_METRIC_COUNTER) printf_(b, "%llu", (unsigned long long)hub_counter_value(&c->counter));
    else printf_(b, "%lld", (long long)atomic_load_explicit(&c->gauge.v, memory_order_relaxed));
    puts_(b, "\n");
  }
}

char *hub_metrics_render(size_t *len) {
  static pthread_mutex_t render_mu = PTHREAD_MUTEX_INITIALIZER; /* one write (and collection) at a time */
  pthread_mutex_lock(&render_mu);
  hub_metrics_run_collectors();
  buf b = {0};
  reserve(&b, 0);
  pthread_mutex_lock(&hub_metrics_mu);
  for (const hub_metric_family *f = hub_metrics_families; f; f = f->next) put_family(&b, f);
  pthread_mutex_unlock(&hub_metrics_mu);
  pthread_mutex_unlock(&render_mu);
  if (len) *len = b.len;
  return b.p;
}
