/* The metric registry and its text format (server/metrics): where an observation lands in a
 * histogram (le is inclusive, +Inf past the last bound, buckets written cumulative with
 * _count equal to +Inf), how label values and help text are escaped, how values are written,
 * that children are made once, and that concurrent bumps are never lost. The whole format is
 * also checked by promtool on a real scrape (tests/integration/test_metrics.c). */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/metrics.h"

/* True when the rendered text has `line` as a whole line. */
static bool has_line(const char *text, const char *line) {
  size_t n = strlen(line);
  for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
    if ((p == text || p[-1] == '\n') && p[n] == '\n') return true;
  return false;
}

static void expect_line(const char *line) {
  char *text = hub_metrics_render(NULL);
  if (!has_line(text, line)) fail_msg("missing line: %s\n--- rendered ---\n%s", line, text);
  free(text);
}

static const double small_buckets[] = {0.001, 0.01, 1};
static const char *const method_label[] = {"method", NULL};
static const char *const v_label[] = {"v", NULL};
static const char *const k_label[] = {"k", NULL};
static const char *const x_label[] = {"x", NULL};

static void test_histogram_buckets(void **state) {
  (void)state;
  static const hub_metric_def def = {"t_hist_seconds", "A test histogram.", HUB_METRIC_HISTOGRAM, NULL,
                                     small_buckets, 3};
  hub_histogram *h = hub_histogram_simple(&def);
  hub_histogram_observe_us(h, 0);       /* le 0.001 */
  hub_histogram_observe_us(h, 1000);    /* exactly on 0.001: le is inclusive */
  hub_histogram_observe_us(h, 1001);    /* le 0.01 */
  hub_histogram_observe_us(h, 1000000); /* exactly 1 */
  hub_histogram_observe_us(h, 1000001); /* past the last bound: +Inf only */
  hub_histogram_observe_us(h, -5);      /* negative: 0 */
  expect_line("# HELP t_hist_seconds A test histogram.");
  expect_line("# TYPE t_hist_seconds histogram");
  expect_line("t_hist_seconds_bucket{le=\"0.001\"} 3");
  expect_line("t_hist_seconds_bucket{le=\"0.01\"} 4");
  expect_line("t_hist_seconds_bucket{le=\"1\"} 5");
  expect_line("t_hist_seconds_bucket{le=\"+Inf\"} 6");
  expect_line("t_hist_seconds_count 6");
  expect_line("t_hist_seconds_sum 2.002002"); /* 0 + 1000 + 1001 + 1000000 + 1000001 + 0 µs */
}

static void test_histogram_with_labels(void **state) {
  (void)state;
  static const hub_metric_def def = {"t_lat_seconds", "Latency by method.", HUB_METRIC_HISTOGRAM,
                                     method_label, hub_metric_latency_buckets,
                                     HUB_METRIC_LATENCY_N};
  hub_metric_family *f = hub_metric_family_get(&def);
  hub_histogram *a = hub_histogram_get(f, (const char *[]){"/a.B/C"});
  assert_ptr_equal(a, hub_histogram_get(f, (const char *[]){"/a.B/C"}));
  hub_histogram_observe_us(a, 2500); /* on the 0.0025 bound */
  expect_line("t_lat_seconds_bucket{method=\"/a.B/C\",le=\"0.001\"} 0");
  expect_line("t_lat_seconds_bucket{method=\"/a.B/C\",le=\"0.0025\"} 1");
  expect_line("t_lat_seconds_bucket{method=\"/a.B/C\",le=\"10\"} 1");
  expect_line("t_lat_seconds_bucket{method=\"/a.B/C\",le=\"+Inf\"} 1");
  expect_line("t_lat_seconds_sum{method=\"/a.B/C\"} 0.002500");
  expect_line("t_lat_seconds_count{method=\"/a.B/C\"} 1");
}

static void test_label_and_help_escaping(void **state) {
  (void)state;
  static const hub_metric_def def = {"t_escape_total", "Help with a \\ backslash\nand a newline.",
                                     HUB_METRIC_COUNTER, v_label, NULL, 0};
  hub_metric_family *f = hub_metric_family_get(&def);
  hub_counter_add(hub_counter_get(f, (const char *[]){"a\"b\\c\nd"}), 2);
  hub_counter_inc(hub_counter_get(f, (const char *[]){"caf\xc3\xa9 \xff!"})); /* é stays, a stray byte does not */
  expect_line("# HELP t_escape_total Help with a \\\\ backslash\\nand a newline.");
  expect_line("t_escape_total{v=\"a\\\"b\\\\c\\nd\"} 2");
  expect_line("t_escape_total{v=\"caf\xc3\xa9 ?!\"} 1");
}

static double fixed(void *ud) { return *(double *)ud; }

static void test_values(void **state) {
  (void)state;
  static const hub_metric_def def = {"t_values", "Gauge values.", HUB_METRIC_GAUGE,
                                     k_label, NULL, 0};
  hub_metric_family *f = hub_metric_family_get(&def);
  static double v[] = {0.03, 42, -7, 1796394076.57, 0};
  v[4] = NAN;
  const char *names[] = {"frac", "int", "neg", "time", "nan"};
  for (int i = 0; i < 5; i++) hub_metric_fn(f, (const char *[]){names[i]}, fixed, &v[i]);
  hub_gauge_set(hub_gauge_get(f, (const char *[]){"stored"}), -3);
  expect_line("t_values{k=\"frac\"} 0.03");
  expect_line("t_values{k=\"int\"} 42");
  expect_line("t_values{k=\"neg\"} -7");
  expect_line("t_values{k=\"time\"} 1796394076.57");
  expect_line("t_values{k=\"nan\"} NaN");
  expect_line("t_values{k=\"stored\"} -3");
  /* Same name, same family; a family nobody used is not written at all. */
  assert_ptr_equal(f, hub_metric_family_get(&def));
  static const hub_metric_def unused = {"t_unused_total", "Never bumped.", HUB_METRIC_COUNTER,
                                        x_label, NULL, 0};
  hub_metric_family_get(&unused);
  char *text = hub_metrics_render(NULL);
  assert_null(strstr(text, "t_unused_total"));
  free(text);
}

static int collected;
static void on_collect(void *ud) {
  (void)ud;
  collected++;
}

static void test_collectors_run_before_each_write(void **state) {
  (void)state;
  hub_metrics_on_collect(on_collect, NULL);
  int before = collected;
  size_t len = 0;
  char *text = hub_metrics_render(&len);
  assert_int_equal(len, strlen(text));
  assert_int_equal(collected, before + 1);
  free(text);
  assert_string_equal(HUB_METRICS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
}

#define THREADS 4
#define BUMPS 100000

static void *bump(void *arg) {
  static const hub_metric_def cdef = {"t_race_total", "Concurrent bumps.", HUB_METRIC_COUNTER, NULL, NULL, 0};
  static const hub_metric_def hdef = {"t_race_seconds", "Concurrent observations.", HUB_METRIC_HISTOGRAM, NULL,
                                      small_buckets, 3};
  (void)arg;
  hub_counter *c = hub_counter_simple(&cdef); /* made concurrently too: one child whoever wins */
  hub_histogram *h = hub_histogram_simple(&hdef);
  for (int i = 0; i < BUMPS; i++) {
    hub_counter_inc(c);
    hub_histogram_observe_us(h, i % 3 == 0 ? 500 : 5000);
  }
  return NULL;
}

static void test_concurrent_bumps_are_exact(void **state) {
  (void)state;
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, bump, NULL), 0);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  char line[128];
  snprintf(line, sizeof line, "t_race_total %d", THREADS * BUMPS);
  expect_line(line);
  snprintf(line, sizeof line, "t_race_seconds_count %d", THREADS * BUMPS);
  expect_line(line);
  snprintf(line, sizeof line, "t_race_seconds_bucket{le=\"0.001\"} %d", THREADS * ((BUMPS + 2) / 3));
  expect_line(line);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_histogram_buckets),
      cmocka_unit_test(test_histogram_with_labels),
      cmocka_unit_test(test_label_and_help_escaping),
      cmocka_unit_test(test_values),
      cmocka_unit_test(test_collectors_run_before_each_write),
      cmocka_unit_test(test_concurrent_bumps_are_exact),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
