/* hubd's configuration, read from the environment. One table (config.c) names every
 * variable, its default, its parser and its help text, so `hubd --help`, the parser and the
 * docs cannot drift apart. */
#ifndef HUB_CONFIG_H
#define HUB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct hub_config {
  char *listen;               /* HUB_LISTEN host:port */
  char *http_listen;          /* HUB_HTTP_LISTEN host:port of the HTTP side port; empty = none */
  char *database_url;         /* HUB_DATABASE_URL: the server's role (no BYPASSRLS) */
  char *migrate_database_url; /* HUB_MIGRATE_DATABASE_URL: the schema owner; default database_url */
  char *redis_url;            /* HUB_REDIS_URL redis://[:password@]host:port[/db] */
  char *migrations_dir;       /* HUB_MIGRATIONS_DIR: empty = the migrations built into hubd */
  char *tls_cert;             /* HUB_TLS_CERT / HUB_TLS_KEY: PEM files; both or neither */
  char *tls_key;
  char *log_level;            /* HUB_LOG_LEVEL */
  bool migrate_on_start;      /* HUB_MIGRATE_ON_START */
  int workers;                /* HUB_WORKERS: 0 = 2 x cores */
  int running_workers;        /* HUB_RUNNING_WORKERS: workers running at once; 0 = cores */
  int64_t max_recv_bytes;     /* HUB_MAX_RECV_BYTES */
  int64_t max_send_bytes;     /* HUB_MAX_SEND_BYTES */
  int64_t max_header_bytes;   /* HUB_MAX_HEADER_BYTES */
  int max_concurrent_streams; /* HUB_MAX_CONCURRENT_STREAMS per connection */
  int max_streaming_calls;    /* HUB_MAX_STREAMING_CALLS: streaming calls in flight, server-wide */
  int64_t keepalive_time_ms;  /* HUB_KEEPALIVE_TIME_MS: server pings an idle connection */
  int64_t keepalive_timeout_ms;
  int64_t min_ping_interval_ms; /* HUB_MIN_PING_INTERVAL_MS: client pings closer than this are strikes */
  int max_ping_strikes;         /* HUB_MAX_PING_STRIKES: then GOAWAY */
  int64_t max_connection_idle_ms;
  int64_t max_connection_age_ms;
  int64_t handshake_timeout_ms; /* HUB_HANDSHAKE_TIMEOUT_MS: a connection must finish its HTTP/2 preface within */
  int64_t memory_quota_bytes; /* HUB_MEMORY_QUOTA_BYTES: the C core's resource quota; 0 = unbounded */
  int malloc_arenas;          /* HUB_MALLOC_ARENAS: glibc M_ARENA_MAX; 0 = glibc's default */
  int64_t malloc_trim_idle_ms;/* HUB_MALLOC_TRIM_IDLE_MS: idle time before freed heap goes back; 0 = never */
  int64_t shutdown_grace_ms;  /* HUB_SHUTDOWN_GRACE_MS */
  int64_t default_deadline_ms;/* HUB_DEFAULT_DEADLINE_MS: applied to calls that carry none */
  int64_t db_timeout_ms;      /* HUB_DB_TIMEOUT_MS: connect timeout and statement cap */
  int64_t redis_timeout_ms;   /* HUB_REDIS_TIMEOUT_MS: connect and command timeout */
  int64_t health_interval_ms; /* HUB_HEALTH_INTERVAL_MS: how often PostgreSQL and Redis are probed */
  int64_t sla_sweep_interval_ms; /* HUB_SLA_SWEEP_INTERVAL_MS: 0 = no SLA sweeper in this process */
  int64_t operations_interval_ms; /* HUB_OPERATIONS_INTERVAL_MS: 0 = no operations runner in this process */
  int64_t accounting_expiry_interval_ms; /* HUB_ACCOUNTING_EXPIRY_INTERVAL_MS: 0 = no expiry sweeper here */
  int64_t notify_interval_ms; /* HUB_NOTIFY_INTERVAL_MS: 0 = no delivery worker in this process */
  int notify_senders;         /* HUB_NOTIFY_SENDERS: mail sender threads */
  int notify_max_attempts;    /* HUB_NOTIFY_MAX_ATTEMPTS: then the delivery is dead */
  int64_t notify_retry_base_ms; /* HUB_NOTIFY_RETRY_BASE_MS: doubled per attempt */
  int notify_retention_days;  /* HUB_NOTIFY_RETENTION_DAYS */
  int64_t notify_digest_window_s; /* HUB_NOTIFY_DIGEST_WINDOW_S: a digest's oldest event waits this long */
  char *smtp_url;             /* HUB_SMTP_URL: smtp:// or smtps://; empty = mail not sent here */
  char *smtp_starttls;        /* HUB_SMTP_STARTTLS: required, optional or off */
  char *smtp_ca_file;         /* HUB_SMTP_CA_FILE */
  char *smtp_username;        /* HUB_SMTP_USERNAME / HUB_SMTP_PASSWORD_FILE: AUTH */
  char *smtp_password_file;
  char *smtp_from;            /* HUB_SMTP_FROM */
  char *public_url;           /* HUB_PUBLIC_URL: base of links in notifications; empty = per brand */
  char *push_url;             /* HUB_PUSH_URL: FCM-style push API; empty = push not sent here */
  char *push_project;         /* HUB_PUSH_PROJECT */
  char *push_token_file;      /* HUB_PUSH_TOKEN_FILE: its bearer token */
  char *push_ca_file;         /* HUB_PUSH_CA_FILE */
  char *jwt_issuer;           /* HUB_JWT_ISSUER / HUB_JWT_AUDIENCE: iss and aud of access tokens */
  char *jwt_audience;
  char *jwt_key_files;        /* HUB_JWT_KEY_FILES: PEM files, last signs; empty = ephemeral key */
  char *data_key_file;        /* HUB_DATA_KEY_FILE: 64 hex digits sealing secrets at rest */
  char *oidc_providers_file;  /* HUB_OIDC_PROVIDERS_FILE: SSO providers and their JWKS files */
  int64_t access_token_ttl_ms;
  int64_t refresh_token_ttl_ms;
  int64_t session_idle_ms;
  int64_t session_absolute_ms;
  int64_t refresh_grace_ms;
  int64_t login_limit_per_ip;      /* HUB_LOGIN_LIMIT_PER_IP per 15 minutes */
  int64_t login_limit_per_account; /* HUB_LOGIN_LIMIT_PER_ACCOUNT per 15 minutes */
  int64_t account_deletion_grace_ms; /* HUB_ACCOUNT_DELETION_GRACE_MS: DeleteMyAccount until the purge */
  int64_t account_purge_interval_ms; /* HUB_ACCOUNT_PURGE_INTERVAL_MS: 0 = no purge in this process */
} hub_config;

/* Looks a variable up; getenv-compatible. Tests pass their own. */
typedef const char *(*hub_env_lookup)(const char *name, void *ud);

/* Fills `cfg` from the environment. On error returns false and writes one line naming the
 * variable and what is wrong into err. The caller frees with hub_config_free. */
bool hub_config_load(hub_config *cfg, hub_env_lookup lookup, void *ud, char *err, size_t errlen);
void hub_config_free(hub_config *cfg);

/* Prints every variable with its default and meaning. */
void hub_config_help(FILE *out);

/* Prints every variable's effective value (passwords in URLs masked), marking those left at
 * their default: `hubd config`. */
void hub_config_print(FILE *out, const hub_config *cfg, hub_env_lookup lookup, void *ud);

/* Writes a markdown table of the variables (docs/configuration.md is checked against it). */
void hub_config_markdown(FILE *out);

/* The getenv-backed lookup. */
const char *hub_env_getenv(const char *name, void *ud);

#endif
