/* The gRPC server runtime on the C core: registers generated method tables, runs a worker
 * pool over one shared completion queue, dispatches calls to handlers, and shuts down
 * gracefully. It knows no domain service by name. */
#ifndef HUB_RUNTIME_SERVER_H
#define HUB_RUNTIME_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "hub/method.h"
#include "runtime/call.h"

typedef struct hub_server hub_server;

/* Runs before every handler (authn, tenant, brand, permission). Returning non-OK refuses
 * the call with that status; the handler does not run. */
typedef hub_status (*hub_interceptor_fn)(hub_call *call, void *ud);

typedef struct hub_server_options {
  const char *listen;         /* host:port */
  int workers;                /* >0 */
  /* Workers that may run at once (0: the CPU cores). The other workers wait until one blocks
   * (PostgreSQL, Redis, password hashing: see hub/blocking.h), so CPU-bound calls never have
   * more threads than cores contending for the shared queue, while waiting calls still
   * overlap. */
  int running_workers;
  int64_t max_recv_bytes, max_send_bytes, max_header_bytes;
  int max_concurrent_streams, max_streaming_calls;
  int64_t keepalive_time_ms, keepalive_timeout_ms, min_ping_interval_ms;
  int max_ping_strikes;
  int64_t max_connection_idle_ms, max_connection_age_ms;
  int64_t default_deadline_ms;
  /* Memory: the C core's resource quota (bytes; 0 = the library's unbounded default), the
   * HTTP/2 handshake deadline, and how long a worker must sit idle before it hands freed heap
   * back to the kernel (malloc_trim; 0 = never). */
  int64_t memory_quota_bytes;
  int64_t handshake_timeout_ms;
  int64_t trim_idle_ms;
  const char *tls_cert_file, *tls_key_file; /* both NULL/empty for plaintext */
  /* Per-thread context: made once per worker (and per streaming thread), freed at exit. */
  void *(*worker_init)(void *ud);
  void (*worker_fini)(void *ctx, void *ud);
  void *worker_ud;
  hub_interceptor_fn interceptor;
  void *interceptor_ud;
  bool log_calls; /* one JSON line per call */
  /* This thread's count of waits for the database so far (hub_pg_thread_round_trips), read
   * before the interceptor and after the handler: the difference is the call's log field
   * db_round_trips. NULL: not logged. */
  uint64_t (*db_round_trips)(void);
} hub_server_options;

/* The options a hub_config gives (listen address, limits, timeouts, TLS; workers 0 there means
 * 2 per CPU). Callbacks and log_calls are left as they were. The defaults live in one place, the
 * config table (common/config.c); nothing here repeats them. */
struct hub_config;
void hub_server_options_from_config(hub_server_options *opts, const struct hub_config *cfg);

/* The options of a config with every variable at its default (for tools and tests that serve
 * without the environment): hub_server_options_from_config over that, log_calls on. */
void hub_server_options_defaults(hub_server_options *opts);

/* Creates and binds the server (nothing is served until hub_server_start). NULL on failure
 * (logged). */
hub_server *hub_server_new(const hub_server_options *opts);

/* Registers every method of `svc`; must precede hub_server_start. */
void hub_server_add_service(hub_server *srv, const hub_service_def *svc);

/* Workers that may run at once (running_workers, or the cores when that was 0). */
int hub_server_running_workers(const hub_server *srv);

/* The port actually bound (useful with HUB_LISTEN=127.0.0.1:0). */
int hub_server_port(const hub_server *srv);

/* Names of the registered services, for reflection's list_services. */
size_t hub_server_service_count(const hub_server *srv);
const char *hub_server_service_name(const hub_server *srv, size_t i);

bool hub_server_start(hub_server *srv);

/* Graceful shutdown: stop accepting, let calls finish for `grace_ms`, cancel the rest,
 * join the workers. Safe to call from any thread except a worker. */
void hub_server_shutdown(hub_server *srv, int64_t grace_ms);
void hub_server_free(hub_server *srv);

/* Blocks until SIGTERM or SIGINT, then returns (signals are blocked in worker threads). */
void hub_server_wait_for_signal(void);

/* The server the current worker belongs to (for reflection), from within a handler. */
hub_server *hub_call_server(hub_call *call);

#endif
