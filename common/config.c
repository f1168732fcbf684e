/* The configuration table: every HUB_* variable once, with its default, its kind and its
 * meaning. hub_config_load, hub_config_help and hub_config_markdown all walk this table. */
#include "hub/config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef enum { K_STR, K_BOOL, K_INT, K_I64, K_MS } kind;

typedef struct var {
  const char *name;
  const char *def;
  kind kind;
  size_t offset;
  int64_t min, max; /* numeric kinds */
  const char *help;
} var;

#define F(field) offsetof(hub_config, field)
static const var vars[] = {
    {"HUB_LISTEN", "127.0.0.1:50051", K_STR, F(listen), 0, 0, "address hubd listens on (host:port)"},
    {"HUB_HTTP_LISTEN", "", K_STR, F(http_listen), 0, 0,
     "address of the HTTP side port (host:port, [v6]:port): Prometheus metrics on /metrics, probes on /healthz "
     "and /readyz (empty: no side port)"},
    {"HUB_DATABASE_URL", "postgresql:///hub", K_STR, F(database_url), 0, 0,
     "PostgreSQL URL of the server's role (member of hub_app, no BYPASSRLS)"},
    {"HUB_MIGRATE_DATABASE_URL", "", K_STR, F(migrate_database_url), 0, 0,
     "PostgreSQL URL of the schema owner used by migrations (empty: HUB_DATABASE_URL)"},
    {"HUB_REDIS_URL", "redis://127.0.0.1:6379/0", K_STR, F(redis_url), 0, 0,
     "Redis URL: redis://[:password@]host:port[/db]"},
    {"HUB_MIGRATE_ON_START", "true", K_BOOL, F(migrate_on_start), 0, 0,
     "apply pending migrations when hubd starts"},
    {"HUB_MIGRATIONS_DIR", "", K_STR, F(migrations_dir), 0, 0,
     "read migrations from this directory instead of those built into hubd"},
    {"HUB_WORKERS", "0", K_INT, F(workers), 0, 1024,
     "worker threads, i.e. unary calls that can wait on PostgreSQL or Redis at once (0: 2 x the CPUs hubd may run on, i.e. its affinity mask)"},
    {"HUB_RUNNING_WORKERS", "0", K_INT, F(running_workers), 0, 1024,
     "workers that run at once (0: the CPUs hubd may run on); the others stand by until one waits on PostgreSQL, Redis or a "
     "password hash"},
    {"HUB_TLS_CERT", "", K_STR, F(tls_cert), 0, 0, "PEM certificate chain; with HUB_TLS_KEY enables TLS"},
    {"HUB_TLS_KEY", "", K_STR, F(tls_key), 0, 0, "PEM private key for HUB_TLS_CERT"},
    {"HUB_LOG_LEVEL", "info", K_STR, F(log_level), 0, 0, "debug, info, warn or error"},
    {"HUB_MAX_RECV_BYTES", "4194304", K_I64, F(max_recv_bytes), 1024, INT32_MAX,
     "largest request message accepted (larger: RESOURCE_EXHAUSTED)"},
    {"HUB_MAX_SEND_BYTES", "4194304", K_I64, F(max_send_bytes), 1024, INT32_MAX,
     "largest response message sent"},
    {"HUB_MAX_HEADER_BYTES", "16384", K_I64, F(max_header_bytes), 1024, 1048576,
     "largest request metadata (HTTP/2 header list) accepted"},
    {"HUB_MAX_CONCURRENT_STREAMS", "100", K_INT, F(max_concurrent_streams), 1, 65536,
     "concurrent calls per HTTP/2 connection"},
    {"HUB_MAX_STREAMING_CALLS", "256", K_INT, F(max_streaming_calls), 1, 65536,
     "streaming calls in flight server-wide (each holds a thread); more: RESOURCE_EXHAUSTED"},
    {"HUB_KEEPALIVE_TIME_MS", "120000", K_MS, F(keepalive_time_ms), 1000, INT32_MAX,
     "ping a connection idle this long"},
    {"HUB_KEEPALIVE_TIMEOUT_MS", "20000", K_MS, F(keepalive_timeout_ms), 100, INT32_MAX,
     "close a connection whose ping is not answered within this"},
    {"HUB_MIN_PING_INTERVAL_MS", "60000", K_MS, F(min_ping_interval_ms), 1000, INT32_MAX,
     "client pings closer together than this (without data) count as strikes"},
    {"HUB_MAX_PING_STRIKES", "2", K_INT, F(max_ping_strikes), 0, 100,
     "strikes before the connection is closed with GOAWAY"},
    {"HUB_MAX_CONNECTION_IDLE_MS", "1800000", K_MS, F(max_connection_idle_ms), 1000, INT32_MAX,
     "close connections idle this long"},
    {"HUB_MAX_CONNECTION_AGE_MS", "0", K_MS, F(max_connection_age_ms), 0, INT32_MAX,
     "recycle connections after this long (0: never; useful behind load balancers)"},
    {"HUB_HANDSHAKE_TIMEOUT_MS", "10000", K_MS, F(handshake_timeout_ms), 100, INT32_MAX,
     "close a connection that has not completed its HTTP/2 (and TLS) handshake within this"},
    {"HUB_MEMORY_QUOTA_BYTES", "67108864", K_I64, F(memory_quota_bytes), 0, INT64_MAX,
     "memory the gRPC core may hold for connection and call buffers (its resource quota); when it runs out the "
     "core closes idle connections, then cancels streams with RESOURCE_EXHAUSTED (0: unbounded)"},
    {"HUB_MALLOC_ARENAS", "2", K_INT, F(malloc_arenas), 0, 1024,
     "glibc malloc arenas (M_ARENA_MAX); fewer keeps freed memory from being stranded per thread (0: glibc's "
     "default, 8 x cores)"},
    {"HUB_MALLOC_TRIM_IDLE_MS", "1000", K_MS, F(malloc_trim_idle_ms), 0, 600000,
     "when the workers have been idle this long, give freed heap memory back to the kernel (malloc_trim; 0: never)"},
    {"HUB_SHUTDOWN_GRACE_MS", "10000", K_MS, F(shutdown_grace_ms), 0, 600000,
     "on SIGTERM, how long in-flight calls may finish before they are cancelled"},
    {"HUB_DEFAULT_DEADLINE_MS", "30000", K_MS, F(default_deadline_ms), 1, INT32_MAX,
     "deadline applied to unary calls that carry none"},
    {"HUB_DB_TIMEOUT_MS", "5000", K_MS, F(db_timeout_ms), 100, INT32_MAX,
     "PostgreSQL connect timeout and upper bound of statement_timeout"},
    {"HUB_REDIS_TIMEOUT_MS", "1000", K_MS, F(redis_timeout_ms), 10, INT32_MAX,
     "Redis connect and command timeout"},
    {"HUB_HEALTH_INTERVAL_MS", "1000", K_MS, F(health_interval_ms), 50, 600000,
     "how often health probes PostgreSQL and Redis"},
    {"HUB_SLA_SWEEP_INTERVAL_MS", "15000", K_MS, F(sla_sweep_interval_ms), 0, 60000,
     "how often SLA warnings and breaches that came due are fired into the outbox (0: never, e.g. a replica)"},
    {"HUB_OPERATIONS_INTERVAL_MS", "1000", K_MS, F(operations_interval_ms), 0, 60000,
     "how often the operations runner looks for long-running operations to step (0: no runner in this process)"},
    {"HUB_ACCOUNTING_EXPIRY_INTERVAL_MS", "10000", K_MS, F(accounting_expiry_interval_ms), 0, 600000,
     "how often pending accounting entries past their expiry are voided, releasing their holds (0: never here)"},
    {"HUB_NOTIFY_INTERVAL_MS", "1000", K_MS, F(notify_interval_ms), 0, 60000,
     "how often the delivery worker routes new outbox events and sends due mail (0: no worker in this process)"},
    {"HUB_NOTIFY_SENDERS", "4", K_INT, F(notify_senders), 0, 64,
     "threads sending mail at once, each with its own PostgreSQL and SMTP connection (0: this process sends none)"},
    {"HUB_NOTIFY_MAX_ATTEMPTS", "8", K_INT, F(notify_max_attempts), 1, 100,
     "mail delivery attempts before a delivery is dead (ListDeliveries shows it, RetryDelivery replays it)"},
    {"HUB_NOTIFY_RETRY_BASE_MS", "30000", K_MS, F(notify_retry_base_ms), 10, 3600000,
     "wait before the second attempt of a failed mail; doubled for each further one, capped at six hours"},
    {"HUB_NOTIFY_DIGEST_WINDOW_S", "86400", K_I64, F(notify_digest_window_s), 0, 604800,
     "how long the oldest event of a user's digest waits before the digest mail is sent (seconds)"},
    {"HUB_NOTIFY_RETENTION_DAYS", "30", K_INT, F(notify_retention_days), 1, 3650,
     "days delivered (and dead) deliveries and delivered outbox events are kept"},
    {"HUB_SMTP_URL", "", K_STR, F(smtp_url), 0, 0,
     "mail server: smtp://host:587 (STARTTLS per HUB_SMTP_STARTTLS) or smtps://host:465 (empty: mail is queued, "
     "not sent, by this process)"},
    {"HUB_SMTP_STARTTLS", "required", K_STR, F(smtp_starttls), 0, 0,
     "for smtp:// URLs: required (refuse a server without STARTTLS), optional, or off"},
    {"HUB_SMTP_CA_FILE", "", K_STR, F(smtp_ca_file), 0, 0,
     "PEM CA bundle the mail server's certificate is verified against (empty: the system's)"},
    {"HUB_SMTP_USERNAME", "", K_STR, F(smtp_username), 0, 0, "SMTP AUTH user (empty: no AUTH)"},
    {"HUB_SMTP_PASSWORD_FILE", "", K_STR, F(smtp_password_file), 0, 0,
     "file holding the SMTP AUTH password (its first line)"},
    {"HUB_SMTP_FROM", "notifications@smbhub.com", K_STR, F(smtp_from), 0, 0,
     "the envelope and From address of mail (the display name is the brand's sender name)"},
    {"HUB_PUSH_URL", "", K_STR, F(push_url), 0, 0,
     "base URL of an FCM-style HTTP v1 push API, e.g. https://fcm.googleapis.com (empty: push is queued, not sent, "
     "by this process)"},
    {"HUB_PUSH_PROJECT", "", K_STR, F(push_project), 0, 0, "the push API's project id (the path's projects/<id>)"},
    {"HUB_PUSH_TOKEN_FILE", "", K_STR, F(push_token_file), 0, 0,
     "file holding the bearer token for the push API (its first line; kept fresh by the operator)"},
    {"HUB_PUSH_CA_FILE", "", K_STR, F(push_ca_file), 0, 0,
     "PEM CA bundle the push API's certificate is verified against (empty: the system's)"},
    {"HUB_PUBLIC_URL", "", K_STR, F(public_url), 0, 0,
     "base URL of links in notifications, e.g. http://localhost:3000 (empty: https:// and each brand's app domain)"},
    {"HUB_JWT_ISSUER", "smbhub", K_STR, F(jwt_issuer), 0, 0, "the iss claim of access tokens"},
    {"HUB_JWT_AUDIENCE", "smbhub-api", K_STR, F(jwt_audience), 0, 0, "the aud claim of access tokens"},
    {"HUB_JWT_KEY_FILES", "", K_STR, F(jwt_key_files), 0, 0,
     "comma-separated P-256 private key PEM files; the file name (less .pem) is the kid, the last one signs "
     "(empty: one key made at start, tokens die with the process; hubd refuses to start, exit 2, without the key "
     "that signed access tokens still valid)"},
    {"HUB_DATA_KEY_FILE", "", K_STR, F(data_key_file), 0, 0,
     "file holding 64 hex digits, the AES-256 key sealing TOTP secrets at rest (empty: a key made at start; hubd "
     "refuses to start, exit 2, when the database holds secrets sealed with another key)"},
    {"HUB_OIDC_PROVIDERS_FILE", "", K_STR, F(oidc_providers_file), 0, 0,
     "JSON file naming the OIDC providers (issuer, audiences, JWKS file) LoginWithIdToken accepts (empty: none)"},
    {"HUB_ACCESS_TOKEN_TTL_MS", "900000", K_MS, F(access_token_ttl_ms), 10000, 900000,
     "lifetime of access tokens (at most 15 minutes)"},
    {"HUB_REFRESH_TOKEN_TTL_MS", "2592000000", K_MS, F(refresh_token_ttl_ms), 60000, INT64_MAX,
     "lifetime of refresh tokens"},
    {"HUB_SESSION_IDLE_MS", "86400000", K_MS, F(session_idle_ms), 60000, INT64_MAX,
     "a session unused this long ends"},
    {"HUB_SESSION_ABSOLUTE_MS", "2592000000", K_MS, F(session_absolute_ms), 60000, INT64_MAX,
     "every session ends this long after sign-in"},
    {"HUB_LOGIN_LIMIT_PER_IP", "100", K_I64, F(login_limit_per_ip), 1, INT64_MAX,
     "login attempts per client address per 15 minutes"},
    {"HUB_LOGIN_LIMIT_PER_ACCOUNT", "10", K_I64, F(login_limit_per_account), 1, INT64_MAX,
     "login attempts per account per 15 minutes (cleared by a successful login)"},
    {"HUB_REFRESH_GRACE_MS", "30000", K_MS, F(refresh_grace_ms), 0, 30000,
     "a retried refresh within this window gets the same pair back instead of revoking the session"},
    {"HUB_ACCOUNT_DELETION_GRACE_MS", "1209600000", K_MS, F(account_deletion_grace_ms), 1000, INT64_MAX,
     "how long after DeleteMyAccount the deletion can still be cancelled before the account is purged"},
    {"HUB_ACCOUNT_PURGE_INTERVAL_MS", "60000", K_MS, F(account_purge_interval_ms), 0, 3600000,
     "how often accounts whose deletion came due are purged (0: never, e.g. a replica)"},
};
#undef F
#define NVARS (sizeof vars / sizeof vars[0])

const char *hub_env_getenv(const char *name, void *ud) {
  (void)ud;
  return getenv(name);
}

static bool parse_i64(const char *s, int64_t *out) {
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end) return false;
  *out = v;
  return true;
}

static bool set_var(hub_config *cfg, const var *v, const char *text, char *err, size_t errlen) {
  char *field = (char *)cfg + v->offset;
  switch (v->kind) {
    case K_STR: {
      char **dst = (char **)field;
      free(*dst);
      *dst = strdup(text);
      return true;
    }
    case K_BOOL:
      if (!strcmp(text, "1") || !strcmp(text, "true") || !strcmp(text, "yes") || !strcmp(text, "on")) {
        *(bool *)field = true;
      } else if (!strcmp(text, "0") || !strcmp(text, "false") || !strcmp(text, "no") ||
                 !strcmp(text, "off")) {
        *(bool *)field = false;
      } else {
        snprintf(err, errlen, "%s: expected true or false, got \"%s\"", v->name, text);
        return false;
      }
      return true;
    default: {
      int64_t n;
      if (!parse_i64(text, &n)) {
        snprintf(err, errlen, "%s: expected a whole number, got \"%s\"", v->name, text);
        return false;
      }
      if (n < v->min || n > v->max) {
        snprintf(err, errlen, "%s: %lld is out of range [%lld, %lld]", v->name, (long long)n,
                 (long long)v->min, (long long)v->max);
        return false;
      }
      if (v->kind == K_INT) *(int *)field = (int)n;
      else *(int64_t *)field = n;
      return true;
    }
  }
}

/* host:port or [v6]:port, the port a number from 0 to 65535 (0: any free port). */
static bool listen_address_ok(const char *s) {
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s || !colon[1]) return false;
  if (s[0] == '[' && colon[-1] != ']') return false;
  int64_t port;
  return parse_i64(colon + 1, &port) && port >= 0 && port <= 65535 && colon[1] != '-' && colon[1] != '+';
}

bool hub_config_load(hub_config *cfg, hub_env_lookup lookup, void *ud, char *err, size_t errlen) {
  memset(cfg, 0, sizeof *cfg);
  for (size_t i = 0; i < NVARS; i++) {
    const char *text = lookup(vars[i].name, ud);
    if (!set_var(cfg, &vars[i], vars[i].def, err, errlen)) return false;
    if (text && !set_var(cfg, &vars[i], text, err, errlen)) {
      hub_config_free(cfg);
      return false;
    }
  }
  if (!*cfg->listen || !strchr(cfg->listen, ':')) {
    snprintf(err, errlen, "HUB_LISTEN: expected host:port, got \"%s\"", cfg->listen);
    goto fail;
  }
  if (*cfg->http_listen && !listen_address_ok(cfg->http_listen)) {
    snprintf(err, errlen, "HUB_HTTP_LISTEN: expected host:port with a port from 0 to 65535, got \"%s\"",
             cfg->http_listen);
    goto fail;
  }
  if (*cfg->http_listen && !strcmp(cfg->http_listen, cfg->listen)) {
    snprintf(err, errlen, "HUB_HTTP_LISTEN: must differ from HUB_LISTEN (%s)", cfg->listen);
    goto fail;
  }
  if (!!*cfg->tls_cert != !!*cfg->tls_key) {
    snprintf(err, errlen, "HUB_TLS_CERT and HUB_TLS_KEY: set both or neither");
    goto fail;
  }
  if (strncmp(cfg->redis_url, "redis://", 8) != 0) {
    snprintf(err, errlen, "HUB_REDIS_URL: expected redis://host:port[/db], got \"%s\"", cfg->redis_url);
    goto fail;
  }
  if (strncmp(cfg->database_url, "postgres", 8) != 0 && !strchr(cfg->database_url, '=')) {
    snprintf(err, errlen, "HUB_DATABASE_URL: expected a postgresql:// URL or key=value string");
    goto fail;
  }
  static const char *const levels[] = {"debug", "info", "warn", "error"};
  bool level_ok = false;
  for (int i = 0; i < 4; i++) level_ok |= !strcmp(cfg->log_level, levels[i]);
  if (!level_ok) {
    snprintf(err, errlen, "HUB_LOG_LEVEL: expected debug, info, warn or error, got \"%s\"", cfg->log_level);
    goto fail;
  }
  if (!*cfg->migrate_database_url) {
    free(cfg->migrate_database_url);
    cfg->migrate_database_url = strdup(cfg->database_url);
  }
  return true;
fail:
  hub_config_free(cfg);
  return false;
}

void hub_config_free(hub_config *cfg) {
  for (size_t i = 0; i < NVARS; i++) {
    if (vars[i].kind == K_STR) {
      char **p = (char **)((char *)cfg + vars[i].offset);
      free(*p);
      *p = NULL;
    }
  }
}

void hub_config_help(FILE *out) {
  fprintf(out, "Environment (default in brackets):\n");
  for (size_t i = 0; i < NVARS; i++)
    fprintf(out, "  %-27s %s [%s]\n", vars[i].name, vars[i].help, vars[i].def);
}

void hub_config_markdown(FILE *out) {
  fprintf(out, "| variable | default | meaning |\n| --- | --- | --- |\n");
  for (size_t i = 0; i < NVARS; i++)
    fprintf(out, "| `%s` | `%s` | %s |\n", vars[i].name, vars[i].def, vars[i].help);
}

/* A URL's password ("scheme://user:password@host") as "***"; anything else as it is. No
 * variable holds a secret itself (keys and passwords come from files), but a database or Redis
 * URL may carry one. */
static void print_masked(FILE *out, const char *value) {
  const char *scheme = strstr(value, "://");
  const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
  const char *colon = scheme && at ? memchr(scheme + 3, ':', (size_t)(at - (scheme + 3))) : NULL;
  if (!colon) {
    fputs(value, out);
    return;
  }
  fprintf(out, "%.*s***%s", (int)(colon + 1 - value), value, at);
}

void hub_config_print(FILE *out, const hub_config *cfg, hub_env_lookup lookup, void *ud) {
  for (size_t i = 0; i < NVARS; i++) {
    const var *v = &vars[i];
    const char *field = (const char *)cfg + v->offset;
    fprintf(out, "%-30s ", v->name);
    switch (v->kind) {
      case K_STR: print_masked(out, *(char *const *)field ? *(char *const *)field : ""); break;
      case K_BOOL: fputs(*(const bool *)field ? "true" : "false", out); break;
      case K_INT: fprintf(out, "%d", *(const int *)field); break;
      default: fprintf(out, "%lld", (long long)*(const int64_t *)field); break;
    }
    const char *set = lookup(v->name, ud);
    fputs(set && *set ? "\n" : "   (default)\n", out);
  }
}
