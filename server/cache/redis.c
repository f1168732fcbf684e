/* Redis connection with timeouts and reconnect (see redis.h). hiredis 0.14 (Debian 12):
 * redisConnectWithTimeout + redisSetTimeout. */
#include "hub/clock.h"
#include "redis.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "hub/blocking.h"
#include "hub/log.h"
#include "metrics/metrics.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000

struct hub_redis {
  char host[256];
  int port;
  int db;
  char *password; /* never logged */
  int64_t timeout_ms;
  redisContext *ctx;
  int64_t next_attempt_us;
  int64_t backoff_ms;
};

/* redis://[:password@]host:port[/db] */
static bool parse_url(hub_redis *r, const char *url) {
  if (strncmp(url, "redis://", 8) != 0) return false;
  const char *p = url + 8;
  const char *at = strrchr(p, '@');
  if (at) {
    const char *colon = memchr(p, ':', (size_t)(at - p));
    const char *pw = colon ? colon + 1 : p;
    r->password = strndup(pw, (size_t)(at - pw));
    p = at + 1;
  }
  const char *slash = strchr(p, '/');
  size_t hostport = slash ? (size_t)(slash - p) : strlen(p);
  const char *colon = memchr(p, ':', hostport);
  size_t hostlen = colon ? (size_t)(colon - p) : hostport;
  if (hostlen == 0 || hostlen >= sizeof r->host) return false;
  memcpy(r->host, p, hostlen);
  r->host[hostlen] = '\0';
  r->port = 6379;
  if (colon) {
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (end != p + hostport || port <= 0 || port > 65535) return false;
    r->port = (int)port;
  }
  if (slash && slash[1]) {
    char *end;
    long db = strtol(slash + 1, &end, 10);
    if (*end || db < 0 || db > 1000) return false;
    r->db = (int)db;
  }
  return true;
}

hub_redis *hub_redis_new(const char *url, int64_t timeout_ms) {
  hub_redis *r = calloc(1, sizeof *r);
  if (!r) abort();
  if (!url || !parse_url(r, url)) {
    free(r->password);
    free(r);
    return NULL;
  }
  r->timeout_ms = timeout_ms > 0 ? timeout_ms : 1000;
  return r;
}

static void drop(hub_redis *r) {
  if (r->ctx) redisFree(r->ctx);
  r->ctx = NULL;
}

void hub_redis_free(hub_redis *r) {
  if (!r) return;
  drop(r);
  free(r->password);
  free(r);
}

/* ---- metrics: every command's wait and every failure, over all connections ---- */

static const hub_metric_def command_def = {
    "hub_redis_command_seconds", "Redis commands (sessions, rate limits, health pings) on every connection of hubd.",
    HUB_METRIC_HISTOGRAM, NULL, hub_metric_latency_buckets, HUB_METRIC_LATENCY_N};
static const hub_metric_def errors_def = {
    "hub_redis_errors_total",
    "Redis failures: connect (an attempt to connect or authenticate failed), io (a command timed out or the "
    "connection broke), reply (Redis answered an error).",
    HUB_METRIC_COUNTER, (const char *const[]){"reason", NULL}, NULL, 0};

static struct {
  hub_histogram *command;
  hub_counter *connect, *io, *reply;
} metrics;

static void metrics_init(void) {
  hub_metric_family *errors = hub_metric_family_get(&errors_def);
  metrics.command = hub_histogram_simple(&command_def);
  metrics.connect = hub_counter_get(errors, (const char *[]){"connect"});
  metrics.io = hub_counter_get(errors, (const char *[]){"io"});
  metrics.reply = hub_counter_get(errors, (const char *[]){"reply"});
}

static void metrics_ready(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, metrics_init);
}

static void count_error(hub_counter **which) {
  metrics_ready();
  hub_counter_inc(*which);
}

static struct timeval tv(int64_t ms) { return (struct timeval){(time_t)(ms / 1000), (long)(ms % 1000) * 1000}; }

/* Runs a setup command on a fresh connection; false (connection dropped) on failure. */
static bool setup_command(hub_redis *r, const char *what, int argc, const char **argv) {
  hub_blocking_begin();
  redisReply *rep = redisCommandArgv(r->ctx, argc, argv, NULL);
  hub_blocking_end();
  bool ok = rep && rep->type != REDIS_REPLY_ERROR;
  if (!ok) hub_logf(HUB_LOG_WARN, "redis: %s failed at %s:%d", what, r->host, r->port);
  if (rep) freeReplyObject(rep);
  return ok;
}

static bool ensure_connected(hub_redis *r) {
  if (r->ctx && !r->ctx->err) return true;
  int64_t now = hub_clock_mono_us();
  if (now < r->next_attempt_us) return false;
  drop(r);
  hub_blocking_begin();
  r->ctx = redisConnectWithTimeout(r->host, r->port, tv(r->timeout_ms));
  hub_blocking_end();
  bool ok = r->ctx && !r->ctx->err;
  if (ok) {
    redisSetTimeout(r->ctx, tv(r->timeout_ms));
    redisEnableKeepAlive(r->ctx);
    if (r->password) ok = setup_command(r, "AUTH", 2, (const char *[]){"AUTH", r->password});
    if (ok && r->db) {
      char db[16];
      snprintf(db, sizeof db, "%d", r->db);
      ok = setup_command(r, "SELECT", 2, (const char *[]){"SELECT", db});
    }
  } else {
    hub_logf(HUB_LOG_WARN, "redis: cannot connect to %s:%d: %s", r->host, r->port,
             r->ctx ? r->ctx->errstr : "out of memory");
  }
  if (ok) {
    r->backoff_ms = 0;
    return true;
  }
  count_error(&metrics.connect);
  drop(r);
  r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : BACKOFF_FIRST_MS;
  if (r->backoff_ms > BACKOFF_MAX_MS) r->backoff_ms = BACKOFF_MAX_MS;
  r->next_attempt_us = now + r->backoff_ms * 1000;
  return false;
}

redisContext *hub_redis_connect_dedicated(const hub_redis *r) {
  redisContext *c = redisConnectWithTimeout(r->host, r->port, tv(r->timeout_ms));
  if (!c || c->err) {
    if (c) redisFree(c);
    return NULL;
  }
  redisSetTimeout(c, tv(r->timeout_ms));
  redisEnableKeepAlive(c);
  if (r->password) {
    redisReply *rep = redisCommandArgv(c, 2, (const char *[]){"AUTH", r->password}, NULL);
    bool ok = rep && rep->type != REDIS_REPLY_ERROR;
    if (rep) freeReplyObject(rep);
    if (!ok) {
      redisFree(c);
      return NULL;
    }
  }
  return c;
}

/* EVAL sends the whole script on every call (hundreds of bytes for Redis to hash and for us
 * to format); EVALSHA sends its 40-character digest. Scripts are static strings, so their
 * digests are cached per thread by address. */
#define SHA_CACHE 16
static __thread struct {
  const char *script;
  char sha[41];
} sha_cache[SHA_CACHE];

static const char *script_sha(const char *script) {
  unsigned slot = (unsigned)(((uintptr_t)script >> 4) % SHA_CACHE);
  if (sha_cache[slot].script != script) {
    unsigned char d[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)script, strlen(script), d);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++) snprintf(sha_cache[slot].sha + 2 * i, 3, "%02x", d[i]);
    sha_cache[slot].script = script;
  }
  return sha_cache[slot].sha;
}

static hub_status command(hub_redis *r, hub_arena *a, int argc, const char **argv, const size_t *argvlen,
                          redisReply **reply, bool *noscript);

hub_status hub_redis_command(hub_redis *r, hub_arena *a, int argc, const char **argv, const size_t *argvlen,
                             redisReply **reply) {
  bool noscript = false;
  if (argc < 3 || argc > 64 || argvlen || strcmp(argv[0], "EVAL") != 0)
    return command(r, a, argc, argv, argvlen, reply, &noscript);
  const char *sha_argv[64];
  memcpy(sha_argv, argv, (size_t)argc * sizeof *argv);
  sha_argv[0] = "EVALSHA";
  sha_argv[1] = script_sha(argv[1]);
  hub_status st = command(r, a, argc, sha_argv, NULL, reply, &noscript);
  if (noscript) st = command(r, a, argc, argv, NULL, reply, &noscript); /* first use on this Redis */
  return st;
}

static hub_status command(hub_redis *r, hub_arena *a, int argc, const char **argv, const size_t *argvlen,
                          redisReply **reply, bool *noscript) {
  if (reply) *reply = NULL;
  *noscript = false;
  if (!ensure_connected(r)) return hub_status_fixed(HUB_UNAVAILABLE, "the cache is unavailable; retry later");
  int64_t started = hub_clock_mono_us();
  hub_blocking_begin();
  redisReply *rep = redisCommandArgv(r->ctx, argc, argv, argvlen);
  hub_blocking_end();
  metrics_ready();
  hub_histogram_observe_us(metrics.command, hub_clock_mono_us() - started);
  if (!rep) { /* I/O error or timeout: the connection's state is unknown, so drop it */
    count_error(&metrics.io);
    hub_logf(HUB_LOG_WARN, "redis: %s at %s:%d", r->ctx->errstr, r->host, r->port);
    drop(r);
    r->next_attempt_us = 0;
    return hub_status_fixed(HUB_UNAVAILABLE, "the cache is unavailable; retry later");
  }
  if (rep->type == REDIS_REPLY_ERROR) {
    *noscript = strncmp(rep->str, "NOSCRIPT", 8) == 0;
    /* Redis's own text is for the operator, not the caller (NOSCRIPT is routine: the script
     * is loaded and the command sent again). */
    if (!*noscript) count_error(&metrics.reply);
    if (!*noscript) hub_logf(HUB_LOG_WARN, "redis: error reply: %.*s", (int)(rep->len < 200 ? rep->len : 200), rep->str);
    freeReplyObject(rep);
    return hub_status_fixed(HUB_INTERNAL, "cache error");
  }
  if (reply) *reply = rep;
  else freeReplyObject(rep);
  return HUB_STATUS_OK;
}

bool hub_redis_ping(hub_redis *r) {
  redisReply *rep;
  hub_status st = hub_redis_command(r, NULL, 1, (const char *[]){"PING"}, NULL, &rep);
  bool ok = hub_ok(st) && rep->type == REDIS_REPLY_STATUS;
  if (rep) freeReplyObject(rep);
  return ok;
}
