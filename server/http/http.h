/* The HTTP side port (HUB_HTTP_LISTEN): what cannot be gRPC. Prometheus scrapes /metrics;
 * probes that speak only HTTP ask /healthz (the process is alive) and /readyz (the same answer
 * as grpc.health.v1's Check: SERVING, i.e. every dependency up and not draining). It runs on
 * libmicrohttpd's own threads, never a gRPC worker, with a bounded number of connections and a
 * timeout on each, so a slow or hostile HTTP client cannot touch the gRPC path. */
#ifndef HUB_HTTP_H
#define HUB_HTTP_H

#include <stdint.h>

typedef struct hub_http hub_http;

typedef struct hub_http_options {
  const char *listen;   /* host:port, [v6]:port; port 0 picks a free one */
  int threads;          /* polling threads (0: 2) */
  int max_connections;  /* open connections at once; more wait in the kernel's backlog (0: 64) */
  int timeout_s;        /* an idle or stalled connection is closed after this (0: 10) */
} hub_http_options;

/* Binds and starts serving. NULL (logged: which address, why) when it cannot. */
hub_http *hub_http_start(const hub_http_options *opts);

/* The port actually bound. */
int hub_http_port(const hub_http *h);

/* Stops accepting, closes every connection, joins the threads and frees. NULL is a no-op. */
void hub_http_stop(hub_http *h);

#endif
