/* See pgtest.h. The admin connects with HUB_TEST_PG_ADMIN_URL (switching database when
 * needed); URLs for the project's roles are built from HUB_TEST_PG_HOST/PORT, or from the
 * admin URL's host and port when those are unset, since trust auth needs no password. */
#include "support/pgtest.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static const char *admin_url(void) {
  const char *v = getenv("HUB_TEST_PG_ADMIN_URL");
  if (!v || !*v) fail_msg("HUB_TEST_PG_ADMIN_URL is not set: run the integration tests with tools/dev test");
  return v;
}

/* Host and port of the test cluster: the variables, else the admin URL's. Malloc'd. */
static void host_port(char **host, char **port) {
  const char *h = getenv("HUB_TEST_PG_HOST"), *p = getenv("HUB_TEST_PG_PORT");
  char *err = NULL;
  PQconninfoOption *opts = PQconninfoParse(admin_url(), &err);
  if (!opts) fail_msg("HUB_TEST_PG_ADMIN_URL does not parse: %s", err ? err : "?");
  for (PQconninfoOption *o = opts; o->keyword; o++) {
    if (!(h && *h) && !strcmp(o->keyword, "host") && o->val) h = o->val;
    if (!(p && *p) && !strcmp(o->keyword, "port") && o->val) p = o->val;
  }
  *host = strdup(h && *h ? h : "127.0.0.1");
  *port = strdup(p && *p ? p : "5432");
  PQconninfoFree(opts);
}

/* postgresql://role@host:port/db; a socket directory as host is percent-encoded. */
static char *url_for(const char *role, const char *db) {
  char *host, *port, enc[512] = "";
  host_port(&host, &port);
  size_t n = 0;
  for (const char *c = host; *c && n + 4 < sizeof enc; c++) {
    if (*c == '/') n += (size_t)snprintf(enc + n, sizeof enc - n, "%%2F");
    else enc[n++] = *c;
  }
  enc[n] = '\0';
  char *u = NULL;
  if (asprintf(&u, "postgresql://%s@%s:%s/%s", role, enc, port, db) < 0) abort();
  free(host);
  free(port);
  return u;
}

/* The database name is the URL's last path segment (our URLs carry no query). */
static char *db_of(const char *url) {
  const char *slash = strrchr(url, '/');
  const char *db = slash ? slash + 1 : url;
  return strndup(db, strcspn(db, "?"));
}

static void quiet(void *ud, const char *message) {
  (void)ud;
  (void)message; /* "... does not exist, skipping" is expected noise here */
}

/* Runs `sql` as the admin on database `db`; 0 on success, else prints why. */
static int admin_exec(const char *db, const char *sql) {
  /* The first "dbname" expands the admin URL; the second replaces just the database. */
  const char *keys[] = {"dbname", "dbname", NULL};
  const char *vals[] = {admin_url(), db, NULL};
  PGconn *c = PQconnectdbParams(keys, vals, 1);
  int rc = -1;
  if (PQstatus(c) == CONNECTION_OK) {
    PQsetNoticeProcessor(c, quiet, NULL);
    PGresult *r = PQexec(c, sql);
    ExecStatusType s = PQresultStatus(r);
    rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : -1;
    if (rc) fprintf(stderr, "pgtest: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
  } else {
    fprintf(stderr, "pgtest: cannot connect as the admin to %s: %s", db, PQerrorMessage(c));
  }
  PQfinish(c);
  return rc;
}

char *hub_pgtest_admin_query(const char *owner_url, const char *sql) {
  char *db = db_of(owner_url);
  const char *keys[] = {"dbname", "dbname", NULL};
  const char *vals[] = {admin_url(), db, NULL};
  PGconn *c = PQconnectdbParams(keys, vals, 1);
  char *out = NULL;
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
      out = strdup(PQgetvalue(r, 0, 0));
    else if (PQresultStatus(r) != PGRES_TUPLES_OK)
      fprintf(stderr, "pgtest: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
  }
  PQfinish(c);
  free(db);
  return out;
}

char *hub_pgtest_create_db(const char *label) {
  static int counter; /* per process; the pid keeps parallel test programs apart */
  char safe[40], name[128], sql[256];
  size_t n = 0;
  for (const char *c = label ? label : "t"; *c && n + 1 < sizeof safe; c++)
    safe[n++] = isalnum((unsigned char)*c) ? (char)tolower((unsigned char)*c) : '_';
  safe[n] = '\0';
  snprintf(name, sizeof name, "hubtest_%s_%d_%d", safe, (int)getpid(), __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST));
  snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
  admin_exec("postgres", sql);
  snprintf(sql, sizeof sql, "CREATE DATABASE %s OWNER hub_owner", name);
  if (admin_exec("postgres", sql) != 0)
    fail_msg("pgtest: cannot create database %s (is the cluster up, and does role hub_owner exist?)", name);
  return url_for("hub_owner", name);
}

char *hub_pgtest_url(const char *owner_url, const char *role) {
  char *db = db_of(owner_url);
  char *u = url_for(role, db);
  free(db);
  return u;
}

int hub_pgtest_admin_exec(const char *owner_url, const char *sql) {
  char *db = db_of(owner_url);
  int rc = admin_exec(db, sql);
  free(db);
  return rc;
}

void hub_pgtest_drop_db(const char *owner_url) {
  if (!owner_url) return;
  char *db = db_of(owner_url);
  char sql[256];
  snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
  free(db);
  admin_exec("postgres", sql);
}
