/* Migration runner (see migrate.h). It uses libpq directly rather than hub_pg: it runs
 * once, as the schema owner, with multi-statement SQL files that the extended protocol of
 * prepared statements cannot carry. */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/reference.h"
#include "hub/fs.h"
#include "hub/log.h"

/* pg_advisory_lock key: the bytes of "hubmigr\\0" read as a big-endian integer. */
#define MIGRATION_LOCK_KEY "7527030574278996480"

bool hub_migration_parse_name(const char *f, int *version) {
  size_t n = strlen(f);
  if (n < 10 || strcmp(f + n - 4, ".sql") != 0) return false;
  for (int i = 0; i < 4; i++)
    if (!isdigit((unsigned char)f[i])) return false;
  if (f[4] != '_' || n == 9) return false;
  for (size_t i = 5; i < n - 4; i++)
    if (!islower((unsigned char)f[i]) && !isdigit((unsigned char)f[i]) && f[i] != '_') return false;
  *version = (f[0] - '0') * 1000 + (f[1] - '0') * 100 + (f[2] - '0') * 10 + (f[3] - '0');
  return *version > 0;
}

static int by_version(const void *a, const void *b) {
  return ((const hub_migration *)a)->version - ((const hub_migration *)b)->version;
}

hub_status hub_migrations_check(hub_migration *m, size_t n, hub_arena *a) {
  if (n == 0) return HUB_STATUS_OK; /* (qsort of NULL is undefined even for no elements) */
  for (size_t i = 0; i < n; i++) {
    int v = 0;
    if (!m[i].name || !hub_migration_parse_name(m[i].name, &v) || v != m[i].version)
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "migration file %s is not named NNNN_name.sql",
                            m[i].name ? m[i].name : "(unnamed)");
  }
  qsort(m, n, sizeof *m, by_version);
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && m[i].version == m[i - 1].version)
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "migrations %s and %s share version %04d", m[i - 1].name,
                            m[i].name, m[i].version);
    if (m[i].version != (int)i + 1)
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "migration %04d is missing (found %s next)", (int)i + 1,
                            m[i].name);
  }
  return HUB_STATUS_OK;
}

void hub_migration_checksum(const char *text, size_t len, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(text, len, md, &md_len, EVP_sha256(), NULL);
  for (unsigned i = 0; i < md_len && i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
  out[64] = '\0';
}

/* Reads NNNN_name.sql files from `dir` into the arena. */
static hub_status load_dir(const char *dir, hub_arena *a, hub_migration **out, size_t *n) {
  DIR *d = opendir(dir);
  if (!d) return hub_status_new(a, HUB_FAILED_PRECONDITION, "cannot open migrations directory %s", dir);
  size_t cap = 16;
  *out = hub_arena_alloc(a, cap * sizeof **out);
  *n = 0;
  hub_status st = HUB_STATUS_OK;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && hub_ok(st)) {
    size_t len = strlen(e->d_name);
    if (len < 4 || strcmp(e->d_name + len - 4, ".sql") != 0) continue;
    int version;
    if (!hub_migration_parse_name(e->d_name, &version)) {
      st = hub_status_new(a, HUB_FAILED_PRECONDITION, "migration file %s is not named NNNN_name.sql", e->d_name);
      break;
    }
    char *path = hub_arena_sprintf(a, "%s/%s", dir, e->d_name);
    size_t text_len = 0;
    char *text = hub_read_file(path, &text_len);
    if (!text) {
      st = hub_status_new(a, HUB_FAILED_PRECONDITION, "cannot read %s", path);
      break;
    }
    if (*n == cap) {
      hub_migration *bigger = hub_arena_alloc(a, 2 * cap * sizeof *bigger);
      memcpy(bigger, *out, cap * sizeof *bigger);
      *out = bigger;
      cap *= 2;
    }
    (*out)[(*n)++] = (hub_migration){version, hub_arena_strdup(a, e->d_name), hub_arena_strndup(a, text, text_len),
                                     text_len};
    free(text);
  }
  closedir(d);
  return st;
}

/* Server NOTICEs ("... already exists, skipping") go to the log, not stderr. */
static void on_notice(void *ud, const char *message) {
  (void)ud;
  hub_logf(HUB_LOG_DEBUG, "migrations: notice: %.*s", (int)strcspn(message, "\n"), message);
}

static hub_status sql_error(hub_arena *a, PGconn *c, PGresult *r, const char *what) {
  const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  if (!msg) msg = PQerrorMessage(c);
  char *one = hub_arena_strdup(a, msg ? msg : "unknown error");
  one[strcspn(one, "\n")] = '\0';
  return hub_status_new(a, HUB_FAILED_PRECONDITION, "%s: %s", what, one);
}

static hub_status exec_ok(hub_arena *a, PGconn *c, const char *sql, const char *what) {
  PGresult *r = PQexec(c, sql);
  ExecStatusType s = PQresultStatus(r);
  hub_status st = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? HUB_STATUS_OK : sql_error(a, c, r, what);
  PQclear(r);
  return st;
}

static const char *const setup_sql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now());"
    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN"
    " GRANT SELECT ON schema_migrations TO hub_app; END IF; END $$;";

/* Checks applied migrations against the files; returns the count already applied. */
static hub_status verify_applied(PGconn *c, hub_arena *a, const hub_migration *m, size_t n, size_t *done) {
  PGresult *r = PQexec(c, "SELECT version, name, checksum FROM schema_migrations ORDER BY version");
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    hub_status st = sql_error(a, c, r, "reading schema_migrations");
    PQclear(r);
    return st;
  }
  hub_status st = HUB_STATUS_OK;
  int rows = PQntuples(r);
  for (int i = 0; i < rows && hub_ok(st); i++) {
    int version = atoi(PQgetvalue(r, i, 0));
    const char *name = PQgetvalue(r, i, 1), *sum = PQgetvalue(r, i, 2);
    if ((size_t)version > n) {
      st = hub_status_new(a, HUB_FAILED_PRECONDITION,
                          "the database has migration %04d (%s) but this build has no such file: refusing to run an "
                          "older build against a newer schema",
                          version, name);
      break;
    }
    if (version != i + 1) {
      st = hub_status_new(a, HUB_FAILED_PRECONDITION,
                          "schema_migrations is damaged: it has %04d (%s) but not %04d; repair it by hand",
                          version, name, i + 1);
      break;
    }
    const hub_migration *f = &m[version - 1];
    char now[65];
    hub_migration_checksum(f->text, f->len, now);
    if (strcmp(now, sum) != 0)
      st = hub_status_new(a, HUB_FAILED_PRECONDITION,
                          "migration %s was applied with checksum %s but the file now has %s: applied "
                          "migrations must never change; add a new migration instead",
                          f->name, sum, now);
  }
  *done = (size_t)rows;
  PQclear(r);
  return st;
}

static hub_status apply_one(PGconn *c, hub_arena *a, const hub_migration *f) {
  char what[300];
  snprintf(what, sizeof what, "migration %s failed", f->name);
  hub_status st = exec_ok(a, c, "BEGIN", what);
  if (hub_ok(st)) st = exec_ok(a, c, f->text, what);
  /* A file with its own COMMIT would be half-recorded; catch it (its effects so far stay). */
  if (hub_ok(st) && PQtransactionStatus(c) != PQTRANS_INTRANS)
    st = hub_status_new(a, HUB_FAILED_PRECONDITION, "migration %s ends the transaction itself (BEGIN/COMMIT "
                        "inside a migration is not allowed)", f->name);
  if (hub_ok(st)) {
    char sum[65], version[16];
    hub_migration_checksum(f->text, f->len, sum);
    snprintf(version, sizeof version, "%d", f->version);
    const char *params[3] = {version, f->name, sum};
    PGresult *r = PQexecParams(c, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3,
                               NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) st = sql_error(a, c, r, what);
    PQclear(r);
  }
  if (hub_ok(st)) st = exec_ok(a, c, "COMMIT", what);
  if (!hub_ok(st)) PQclear(PQexec(c, "ROLLBACK"));
  return st;
}

hub_status hub_migrate(const char *conninfo, const char *dir, hub_arena *a, int *applied) {
  if (applied) *applied = 0;
  hub_migration *m = NULL;
  size_t n = 0;
  if (dir && *dir) {
    hub_status st = load_dir(dir, a, &m, &n);
    if (!hub_ok(st)) return st;
  } else {
    n = hub_embedded_migrations_count;
    m = hub_arena_alloc(a, (n ? n : 1) * sizeof *m);
    memcpy(m, hub_embedded_migrations, n * sizeof *m);
  }
  hub_status st = hub_migrations_check(m, n, a);
  if (!hub_ok(st)) return st;

  /* connect_timeout before dbname: the caller's conninfo may override it. */
  const char *keys[] = {"connect_timeout", "dbname", "application_name", NULL};
  const char *vals[] = {"10", conninfo ? conninfo : "", "hubd-migrate", NULL};
  PGconn *c = PQconnectdbParams(keys, vals, 1);
  PQsetNoticeProcessor(c, on_notice, NULL);
  if (PQstatus(c) != CONNECTION_OK) {
    st = sql_error(a, c, NULL, "cannot connect to run migrations");
    st.code = HUB_UNAVAILABLE;
    PQfinish(c);
    return st;
  }
  st = exec_ok(a, c, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", "taking the migration lock");
  if (hub_ok(st)) st = exec_ok(a, c, setup_sql, "creating schema_migrations");
  size_t done = 0;
  if (hub_ok(st)) st = verify_applied(c, a, m, n, &done);
  for (size_t i = done; hub_ok(st) && i < n; i++) {
    st = apply_one(c, a, &m[i]);
    if (hub_ok(st)) {
      hub_logf(HUB_LOG_INFO, "migrations: applied %s", m[i].name);
      if (applied) (*applied)++;
    }
  }
  if (hub_ok(st)) st = hub_reference_sync(c, a); /* tables that mirror contract enums */
  PQclear(PQexec(c, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")"));
  PQfinish(c);
  return st;
}
