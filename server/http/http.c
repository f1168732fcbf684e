/* The HTTP side port on libmicrohttpd (see http.h): our own listening socket (so a taken port
 * is one clear line), a small pool of polling threads that never take SIGTERM/SIGINT (hubd's
 * main thread waits for those), and one table of routes. Each answer is made whole in memory
 * on the first call of the access handler; a request body is never read. */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "health/health.h"
#include "hub/log.h"
#include "metrics/metrics.h"

struct hub_http {
  struct MHD_Daemon *daemon;
  int port;
};

/* ---- answers ---- */

typedef struct answer {
  unsigned status;
  const char *content_type;
  char *body; /* malloc'd */
  size_t len;
} answer;

#define TEXT "text/plain; charset=utf-8"

static char *xstrdup(const char *s) {
  char *p = strdup(s);
  if (!p) abort();
  return p;
}

static answer text(unsigned status, const char *body) {
  return (answer){status, TEXT, xstrdup(body), strlen(body)};
}

static answer metrics_page(void) {
  answer a = {MHD_HTTP_OK, HUB_METRICS_CONTENT_TYPE, NULL, 0};
  a.body = hub_metrics_render(&a.len);
  return a;
}

/* Alive: the process answers. Nothing else is checked, so a database outage never gets hubd
 * restarted by a liveness probe. */
static answer healthz(void) { return text(MHD_HTTP_OK, "ok\n"); }

/* Ready: exactly grpc.health.v1's SERVING (every probe passed its last run and hubd is not
 * draining), with each probe's state on a line of its own for whoever reads it. */
static answer readyz(void) {
  bool ready = hub_health_serving();
  char body[512];
  size_t n = (size_t)snprintf(body, sizeof body, "%s\n", ready ? "ready" : "not ready");
  if (hub_health_draining()) n += (size_t)snprintf(body + n, sizeof body - n, "draining: shutting down\n");
  for (size_t i = 0; i < hub_health_probe_count() && n < sizeof body; i++) {
    const char *name;
    bool up = hub_health_probe_state(i, &name);
    n += (size_t)snprintf(body + n, sizeof body - n, "%s: %s\n", name, up ? "up" : "down");
  }
  return text(ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, body);
}

static const struct route {
  const char *path;
  answer (*fn)(void);
} routes[] = {
    {"/metrics", metrics_page},
    {"/healthz", healthz},
    {"/readyz", readyz},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

/* ---- its own metrics: requests by route and status ---- */

static const hub_metric_def requests_def = {
    "hub_http_requests_total", "Requests to the HTTP side port, by route (other for unknown paths) and status.",
    HUB_METRIC_COUNTER, (const char *const[]){"path", "status", NULL}, NULL, 0};

static void count_request(const char *route, unsigned status) {
  char code[8];
  snprintf(code, sizeof code, "%u", status);
  /* Few distinct pairs (routes x statuses); the registry's lookup is cheap next to a request. */
  hub_counter_inc(hub_counter_get(hub_metric_family_get(&requests_def), (const char *[]){route, code}));
}

/* ---- libmicrohttpd ---- */

static enum MHD_Result queue(struct MHD_Connection *conn, answer a, const char *route) {
  struct MHD_Response *r = MHD_create_response_from_buffer(a.len, a.body, MHD_RESPMEM_MUST_FREE);
  if (!r) {
    free(a.body);
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a.content_type);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (a.status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  enum MHD_Result ok = MHD_queue_response(conn, a.status, r);
  MHD_destroy_response(r);
  count_request(route, a.status);
  return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  (void)cls, (void)version, (void)upload_data, (void)upload_data_size, (void)con_cls;
  const struct route *r = NULL;
  for (size_t i = 0; i < N_ROUTES && !r; i++)
    if (!strcmp(url, routes[i].path)) r = &routes[i];
  const char *route = r ? r->path : "other";
  if (!r) return queue(conn, text(MHD_HTTP_NOT_FOUND, "not found\n"), route);
  /* HEAD is GET without the body (HTTP requires both of every server); libmicrohttpd drops it. */
  if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
    return queue(conn, text(MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n"), route);
  return queue(conn, r->fn(), route);
}

static void on_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  line[strcspn(line, "\n")] = '\0';
  hub_logf(HUB_LOG_WARN, "http: %s", line);
}

/* host:port or [v6]:port into a listening, non-blocking socket; -1 (logged) on failure. */
static int listen_on(const char *addr) {
  char host[256];
  const char *colon = strrchr(addr, ':');
  if (!colon || (size_t)(colon - addr) >= sizeof host) {
    hub_logf(HUB_LOG_ERROR, "http: bad listen address %s", addr);
    return -1;
  }
  const char *h = addr;
  size_t hlen = (size_t)(colon - addr);
  if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') h++, hlen -= 2;
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *res = NULL;
  int gai = getaddrinfo(hlen ? host : NULL, colon + 1, &hints, &res);
  if (gai != 0) {
    hub_logf(HUB_LOG_ERROR, "http: cannot resolve %s: %s", addr, gai_strerror(gai));
    return -1;
  }
  int fd = -1, err = 0;
  for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
      err = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) hub_logf(HUB_LOG_ERROR, "http: cannot listen on %s: %s", addr, strerror(err));
  return fd;
}

static int bound_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return 0;
  if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

hub_http *hub_http_start(const hub_http_options *o) {
  int fd = listen_on(o->listen);
  if (fd < 0) return NULL;
  hub_http *h = calloc(1, sizeof *h);
  if (!h) abort();
  h->port = bound_port(fd);
  /* Its threads inherit this mask: SIGTERM and SIGINT stay with hubd's main thread. */
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  h->daemon = MHD_start_daemon(
      MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL,
      MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads > 0 ? o->threads : 2),
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)(o->max_connections > 0 ? o->max_connections : 64),
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(o->timeout_s > 0 ? o->timeout_s : 10),
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_END);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (!h->daemon) {
    hub_logf(HUB_LOG_ERROR, "http: cannot start serving on %s", o->listen);
    close(fd);
    free(h);
    return NULL;
  }
  return h;
}

int hub_http_port(const hub_http *h) { return h->port; }

void hub_http_stop(hub_http *h) {
  if (!h) return;
  MHD_stop_daemon(h->daemon); /* closes the listening socket too */
  free(h);
}
