/* The HTTP side port of a real hubd (HUB_HTTP_LISTEN on a free port, real PostgreSQL and
 * Redis): /metrics over real HTTP moves by exactly the gRPC calls made (OK, NOT_FOUND, and an
 * unknown method), passes `promtool check metrics` (Debian's prometheus package: missing, the
 * test fails), shows the outbox backlog the database holds and the SLA sweeper's runs;
 * /healthz and /readyz follow grpc health (Redis down, then SIGTERM's drain: 503 while
 * /healthz stays 200); other paths 404, other methods 405. SIGTERM is last: it stops hubd. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "grpc/health/v1/health.hub-client.h"
#include "hub/client.h"
#include "hub/system/v1/system.hub-client.h"
#include "support/pgtest.h"
#include "support/stack.h"

static struct {
  hub_stack stack;
  hub_proc *hubd;
  int grpc_port, http_port;
  hub_channel *ch;
  char target[64];
  char http_env[64];
} env;

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

/* ---- a minimal HTTP/1.1 client: one request per connection ---- */

typedef struct response {
  int status; /* 0: no answer */
  char headers[2048];
  char *body; /* malloc'd */
  size_t body_len;
} response;

static response http(const char *method, const char *path) {
  response r = {0};
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)env.http_port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    r.body = calloc(1, 1);
    return r;
  }
  char req[256];
  int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n", method, path,
                   strcmp(method, "POST") ? "" : "Content-Length: 0\r\n");
  if (write(fd, req, (size_t)n) != n) fail_msg("cannot send the request");
  size_t cap = 1 << 16, len = 0;
  char *all = malloc(cap);
  for (ssize_t got; (got = read(fd, all + len, cap - len - 1)) > 0;) {
    len += (size_t)got;
    if (len + 1 == cap) all = realloc(all, cap *= 2);
  }
  close(fd);
  all[len] = '\0';
  char *end = strstr(all, "\r\n\r\n");
  if (sscanf(all, "HTTP/1.1 %d", &r.status) != 1 || !end) r.status = 0;
  if (end) {
    size_t hlen = (size_t)(end - all) < sizeof r.headers - 1 ? (size_t)(end - all) : sizeof r.headers - 1;
    memcpy(r.headers, all, hlen);
    r.body_len = len - (size_t)(end + 4 - all);
    r.body = malloc(r.body_len + 1);
    memcpy(r.body, end + 4, r.body_len + 1);
  } else {
    r.body = calloc(1, 1);
  }
  free(all);
  return r;
}

static bool has_header(const response *r, const char *line) {
  char want[256];
  snprintf(want, sizeof want, "\r\n%s\r", line);
  char hdrs[sizeof r->headers + 2];
  snprintf(hdrs, sizeof hdrs, "%s\r\n", r->headers);
  return strcasestr(hdrs, want) != NULL;
}

static char *scrape(void) {
  response r = http("GET", "/metrics");
  assert_int_equal(r.status, 200);
  return r.body;
}

/* The value of one series ("name{labels}" exactly as written), 0 when absent. */
static double sample(const char *text, const char *series) {
  size_t n = strlen(series);
  for (const char *p = text; (p = strstr(p, series)) != NULL; p++)
    if ((p == text || p[-1] == '\n') && p[n] == ' ') return strtod(p + n + 1, NULL);
  return 0;
}

/* ---- setup ---- */

static int setup(void **state) {
  (void)state;
  if (!hub_stack_up(&env.stack, "metrics")) return -1;
  env.http_port = hub_free_port();
  snprintf(env.http_env, sizeof env.http_env, "HUB_HTTP_LISTEN=127.0.0.1:%d", env.http_port);
  const char *kv[] = {env.stack.env[0], env.stack.env[1], env.stack.env[2], env.http_env,
                      "HUB_HEALTH_INTERVAL_MS=100", "HUB_SHUTDOWN_GRACE_MS=4000", "HUB_SLA_SWEEP_INTERVAL_MS=200",
                      "HUB_REDIS_TIMEOUT_MS=300", "HUB_NOTIFY_INTERVAL_MS=0" /* the backlog must stay */, NULL};
  env.hubd = hub_hubd_start(kv, &env.grpc_port);
  if (!env.hubd) return -1;
  snprintf(env.target, sizeof env.target, "127.0.0.1:%d", env.grpc_port);
  env.ch = hub_channel_new(env.target, NULL);
  for (int tries = 0; tries < 100; tries++) { /* the side port opens right after the gRPC one */
    response r = http("GET", "/healthz");
    free(r.body);
    if (r.status == 200) return env.ch ? 0 : -1;
    sleep_ms(50);
  }
  hub_proc_dump_log(env.hubd);
  return -1;
}

static int teardown(void **state) {
  (void)state;
  hub_channel_free(env.ch);
  if (env.hubd) hub_proc_stop(env.hubd, SIGKILL);
  hub_stack_down(&env.stack);
  return 0;
}

/* ---- gRPC calls to count ---- */

static hub_code get_info(void) {
  hub_arena *a = hub_arena_new(0);
  Hub__System__V1__GetInfoRequest req = HUB__SYSTEM__V1__GET_INFO_REQUEST__INIT;
  Hub__System__V1__GetInfoResponse *resp;
  hub_call_options o = {.timeout_ms = 5000, .no_retry = true};
  hub_code code = hub_system_v1_system_get_info_call(env.ch, &o, a, &req, &resp).code;
  hub_arena_free(a);
  return code;
}

static hub_code health_check(const char *service) {
  hub_arena *a = hub_arena_new(0);
  Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  req.service = (char *)service;
  Grpc__Health__V1__HealthCheckResponse *resp;
  hub_call_options o = {.timeout_ms = 5000, .no_retry = true};
  hub_code code = hub_grpc_health_v1_health_check_call(env.ch, &o, a, &req, &resp).code;
  hub_arena_free(a);
  return code;
}

static hub_code unknown_method(void) {
  hub_method_def fake = hub_system_v1_system_get_info_method;
  fake.path = "/hub.system.v1.System/NoSuchMethod";
  hub_arena *a = hub_arena_new(0);
  Hub__System__V1__GetInfoRequest req = HUB__SYSTEM__V1__GET_INFO_REQUEST__INIT;
  ProtobufCMessage *resp;
  hub_call_options o = {.timeout_ms = 5000, .no_retry = true};
  hub_code code = hub_unary_call(env.ch, &fake, &o, a, &req.base, &resp).code;
  hub_arena_free(a);
  return code;
}

#define GETINFO "method=\"/hub.system.v1.System/GetInfo\""
#define CHECK "method=\"/grpc.health.v1.Health/Check\""
#define OK_GETINFO "hub_rpc_requests_total{" GETINFO ",code=\"OK\"}"
#define NOTFOUND_CHECK "hub_rpc_requests_total{" CHECK ",code=\"NOT_FOUND\"}"
#define UNKNOWN "hub_rpc_requests_total{method=\"unknown\",code=\"UNIMPLEMENTED\"}"

/* Counters move by exactly the calls made. The runtime counts a call when its final batch
 * completes, a moment after the client has its answer, so the scrape is retried until the
 * counts arrive (and then must not overshoot). */
static void test_rpc_counters_move_by_the_calls(void **state) {
  (void)state;
  char *before = scrape();
  for (int i = 0; i < 3; i++) assert_int_equal(get_info(), HUB_OK);
  for (int i = 0; i < 2; i++) assert_int_equal(health_check("no.such.Service"), HUB_NOT_FOUND);
  assert_int_equal(unknown_method(), HUB_UNIMPLEMENTED);
  char *after = NULL;
  for (int tries = 0; tries < 100; tries++) {
    free(after);
    after = scrape();
    if (sample(after, OK_GETINFO) - sample(before, OK_GETINFO) >= 3 &&
        sample(after, NOTFOUND_CHECK) - sample(before, NOTFOUND_CHECK) >= 2 &&
        sample(after, UNKNOWN) - sample(before, UNKNOWN) >= 1)
      break;
    sleep_ms(20);
  }
  assert_int_equal((int)(sample(after, OK_GETINFO) - sample(before, OK_GETINFO)), 3);
  assert_int_equal((int)(sample(after, NOTFOUND_CHECK) - sample(before, NOTFOUND_CHECK)), 2);
  assert_int_equal((int)(sample(after, UNKNOWN) - sample(before, UNKNOWN)), 1);
  /* No other code of those methods moved, and no call is left in flight. */
  assert_int_equal((int)sample(after, "hub_rpc_requests_total{" GETINFO ",code=\"INTERNAL\"}"), 0);
  assert_int_equal((int)sample(after, "hub_rpc_requests_total{" CHECK ",code=\"OK\"}"),
                   (int)sample(before, "hub_rpc_requests_total{" CHECK ",code=\"OK\"}"));
  assert_int_equal((int)sample(after, "hub_rpc_in_flight"), 0);
  /* The latency histogram counted the same calls, +Inf equal to _count. */
  double count = sample(after, "hub_rpc_duration_seconds_count{" GETINFO "}");
  assert_int_equal((int)(count - sample(before, "hub_rpc_duration_seconds_count{" GETINFO "}")), 3);
  assert_int_equal((int)sample(after, "hub_rpc_duration_seconds_bucket{" GETINFO ",le=\"+Inf\"}"), (int)count);
  assert_true(sample(after, "hub_rpc_duration_seconds_sum{" GETINFO "}") > 0);
  /* GetInfo runs a transaction: at least one PostgreSQL round trip each. */
  assert_true(sample(after, "hub_pg_round_trip_seconds_count") - sample(before, "hub_pg_round_trip_seconds_count") >= 3);
  assert_true(sample(after, "hub_redis_command_seconds_count") > 0); /* the health prober's pings */
  assert_int_equal((int)sample(after, "hub_pg_errors_total{reason=\"statement\"}"), 0);
  free(before);
  free(after);
}

/* A real scrape passes Prometheus's own checker. */
static void test_promtool_accepts_the_scrape(void **state) {
  (void)state;
  response r = http("GET", "/metrics");
  assert_int_equal(r.status, 200);
  assert_true(has_header(&r, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
  assert_non_null(strstr(r.body, "# TYPE hub_rpc_requests_total counter\n"));
  assert_non_null(strstr(r.body, "# TYPE hub_rpc_duration_seconds histogram\n"));
  assert_non_null(strstr(r.body, "hub_build_info{version=\""));
  assert_true(sample(r.body, "process_resident_memory_bytes") > 0);
  assert_true(sample(r.body, "process_open_fds") > 0);
  assert_true(sample(r.body, "process_start_time_seconds") > 1.7e9);
  char path[] = "/tmp/hub-scrape-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, r.body, r.body_len), (ssize_t)r.body_len);
  close(fd);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "promtool check metrics < %s 2>&1", path);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char out[4096] = "";
  size_t got = fread(out, 1, sizeof out - 1, p);
  out[got] = '\0';
  int rc = pclose(p);
  unlink(path);
  if (WIFEXITED(rc) && WEXITSTATUS(rc) == 127)
    fail_msg("promtool is missing: install Debian's prometheus package (tools/dev deps does)");
  if (rc != 0) fail_msg("promtool check metrics failed:\n%s\n--- scrape ---\n%s", out, r.body);
  free(r.body);
}

/* What the outbox holds, across tenants, in one read: undelivered rows and the oldest's age. */
static void test_outbox_backlog(void **state) {
  (void)state;
  assert_int_equal(hub_pgtest_admin_exec(env.stack.owner_url,
                                         "INSERT INTO outbox (tenant_id, topic, created_at, delivered_at) VALUES "
                                         "('01890000-0000-7000-8000-000000000001', 'test.a', now() - interval '90 s', NULL), "
                                         "('01890000-0000-7000-8000-000000000002', 'test.b', now() - interval '10 s', NULL), "
                                         "('01890000-0000-7000-8000-000000000002', 'test.c', now() - interval '1 h', now())"),
                   0);
  double n = 0, age = 0;
  for (int tries = 0; tries < 40; tries++) { /* a sample is reused for up to a second */
    char *text = scrape();
    n = sample(text, "hub_outbox_backlog{outbox=\"tenant\"}");
    age = sample(text, "hub_outbox_oldest_age_seconds{outbox=\"tenant\"}");
    assert_int_equal((int)sample(text, "hub_outbox_sample_errors_total"), 0);
    free(text);
    if (n == 2) break;
    sleep_ms(100);
  }
  assert_int_equal((int)n, 2);         /* the delivered one does not count */
  assert_true(age >= 90 && age < 600); /* the older of the two undelivered */
}

static void test_sla_sweeper_runs(void **state) {
  (void)state;
  char *before = scrape();
  sleep_ms(900); /* HUB_SLA_SWEEP_INTERVAL_MS=200 */
  char *after = scrape();
  assert_true(sample(after, "hub_sla_sweeper_runs_total{result=\"ok\"}") -
                  sample(before, "hub_sla_sweeper_runs_total{result=\"ok\"}") >= 2);
  assert_int_equal((int)sample(after, "hub_sla_sweeper_runs_total{result=\"error\"}"), 0);
  free(before);
  free(after);
}

static void test_probes_and_refusals(void **state) {
  (void)state;
  response r = http("GET", "/healthz");
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "ok\n");
  free(r.body);
  r = http("GET", "/readyz");
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "ready\npostgresql: up\nredis: up\n");
  free(r.body);
  r = http("GET", "/readyz?verbose=1"); /* a query string does not change the route */
  assert_int_equal(r.status, 200);
  free(r.body);
  r = http("HEAD", "/metrics");
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, 0);
  free(r.body);
  const char *missing[] = {"/", "/metric", "/metrics/", "/healthz/x", "/../metrics"};
  for (size_t i = 0; i < sizeof missing / sizeof *missing; i++) {
    r = http("GET", missing[i]);
    if (r.status != 404) fail_msg("GET %s: %d", missing[i], r.status);
    free(r.body);
  }
  const char *methods[] = {"POST", "PUT", "DELETE", "OPTIONS"};
  for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
    r = http(methods[i], "/metrics");
    if (r.status != 405) fail_msg("%s /metrics: %d", methods[i], r.status);
    assert_true(has_header(&r, "Allow: GET, HEAD"));
    free(r.body);
  }
  char *text = scrape();
  assert_true(sample(text, "hub_http_requests_total{path=\"other\",status=\"404\"}") >= 5);
  assert_true(sample(text, "hub_http_requests_total{path=\"/metrics\",status=\"405\"}") >= 4);
  free(text);
}

static response wait_readyz(int status, int timeout_ms) {
  response r = {0};
  for (int waited = 0; waited <= timeout_ms; waited += 50) {
    free(r.body);
    r = http("GET", "/readyz");
    if (r.status == status) break;
    sleep_ms(50);
  }
  return r;
}

/* /readyz mirrors grpc health: Redis down makes both NOT_SERVING / 503, naming what is down;
 * liveness does not care. */
static void test_readyz_follows_dependencies(void **state) {
  (void)state;
  hub_proc_stop(env.stack.redis, SIGKILL);
  env.stack.redis = NULL;
  response r = wait_readyz(503, 5000);
  assert_int_equal(r.status, 503);
  assert_string_equal(r.body, "not ready\npostgresql: up\nredis: down\n");
  free(r.body);
  assert_int_not_equal(health_check(""), HUB_UNAVAILABLE); /* still answers: NOT_SERVING */
  r = http("GET", "/healthz");
  assert_int_equal(r.status, 200);
  free(r.body);
  char *text = scrape();
  assert_int_equal((int)sample(text, "hub_dependency_up{dependency=\"redis\"}"), 0);
  assert_int_equal((int)sample(text, "hub_health_serving"), 0);
  assert_true(sample(text, "hub_redis_errors_total{reason=\"connect\"}") + sample(text, "hub_redis_errors_total{reason=\"io\"}") >= 1);
  free(text);
  env.stack.redis = hub_redis_start(env.stack.redis_port, NULL);
  assert_non_null(env.stack.redis);
  r = wait_readyz(200, 10000);
  assert_int_equal(r.status, 200);
  free(r.body);
}

/* A side port that cannot be bound stops hubd at start (exit 1, one line naming it), rather
 * than serving without the metrics and probes the operator asked for. */
static void test_taken_side_port_refuses_to_start(void **state) {
  (void)state;
  char listen[64], log_path[] = "/tmp/hub-metrics-taken-XXXXXX";
  snprintf(listen, sizeof listen, "HUB_LISTEN=127.0.0.1:%d", hub_free_port());
  int fd = mkstemp(log_path);
  assert_true(fd >= 0);
  close(fd);
  const char *argv[] = {getenv("HUBD_BIN"), NULL};
  const char *kv[] = {env.stack.env[0], env.stack.env[1], env.stack.env[2], listen, env.http_env, NULL};
  hub_proc *p = hub_proc_spawn(argv, kv, log_path);
  assert_non_null(p);
  int status = -1;
  if (hub_proc_wait(p, 20000, &status) != 0) {
    hub_proc_stop(p, SIGKILL);
    fail_msg("hubd kept running with its side port taken");
  }
  assert_int_equal(status, 1);
  FILE *f = fopen(log_path, "r");
  assert_non_null(f);
  char line[1024];
  bool said = false;
  while (fgets(line, sizeof line, f)) said |= strstr(line, "http: cannot listen on 127.0.0.1:") != NULL;
  fclose(f);
  unlink(log_path);
  assert_true(said);
}

/* SIGTERM: health turns NOT_SERVING at once, so /readyz answers 503 (draining) through the
 * grace period while in-flight calls finish and /healthz stays 200; then hubd exits 0. */
static void test_sigterm_drain_turns_readyz_503(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  static Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  hub_client_stream *watch; /* in flight: keeps the grace period (4 s) going */
  hub_call_options o = {.timeout_ms = 30000};
  assert_true(hub_ok(hub_grpc_health_v1_health_watch_start(env.ch, &o, a, &req, &watch)));
  ProtobufCMessage *m;
  assert_true(hub_ok(hub_client_stream_recv(watch, &m)));
  char *text = scrape();
  assert_int_equal((int)sample(text, "hub_rpc_in_flight"), 1);
  free(text);

  kill(hub_proc_pid(env.hubd), SIGTERM);
  response r = wait_readyz(503, 2000);
  assert_int_equal(r.status, 503);
  assert_string_equal(r.body, "not ready\ndraining: shutting down\npostgresql: up\nredis: up\n");
  free(r.body);
  r = http("GET", "/healthz");
  assert_int_equal(r.status, 200);
  free(r.body);
  text = scrape();
  assert_int_equal((int)sample(text, "hub_health_draining"), 1);
  assert_int_equal((int)sample(text, "hub_health_serving"), 0);
  free(text);

  hub_client_stream_cancel(watch);
  hub_client_stream_finish(watch);
  int status = -1;
  int waited = hub_proc_wait(env.hubd, 10000, &status); /* frees env.hubd */
  env.hubd = NULL;
  assert_int_equal(waited, 0);
  assert_int_equal(status, 0);
  r = http("GET", "/healthz"); /* the side port went with it */
  assert_int_equal(r.status, 0);
  free(r.body);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rpc_counters_move_by_the_calls),
      cmocka_unit_test(test_promtool_accepts_the_scrape),
      cmocka_unit_test(test_outbox_backlog),
      cmocka_unit_test(test_sla_sweeper_runs),
      cmocka_unit_test(test_probes_and_refusals),
      cmocka_unit_test(test_readyz_follows_dependencies),
      cmocka_unit_test(test_taken_side_port_refuses_to_start),
      cmocka_unit_test(test_sigterm_drain_turns_readyz_503),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
