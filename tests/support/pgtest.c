/* See pgtest.h. URLs are built from HUB_TEST_PG_HOST/PORT so any role can be named. */
#include "support/pgtest.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *must_env(const char *name) {
  const char *v = getenv(name);
  if (!v || !*v) {
    fprintf(stderr, "%s is not set: run the integration tests with tools/dev test\n", name);
    exit(1);
  }
  return v;
}

static char *url_for(const char *role, const char *db) {
  char *u = NULL;
  if (asprintf(&u, "postgresql://%s@%s:%s/%s", role, must_env("HUB_TEST_PG_HOST"), must_env("HUB_TEST_PG_PORT"), db) < 0)
    abort();
  return u;
}

/* The database name is the URL's last path segment. */
static const char *db_of(const char *url) {
  const char *slash = strrchr(url, '/');
  return slash ? slash + 1 : url;
}

static int admin_exec(const char *db, const char *sql) {
  char *url = url_for("postgres", db);
  PGconn *c = PQconnectdb(url);
  free(url);
  int rc = -1;
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult *r = PQexec(c, sql);
    ExecStatusType s = PQresultStatus(r);
    rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : -1;
    if (rc) fprintf(stderr, "pgtest: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
  } else {
    fprintf(stderr, "pgtest: cannot connect as postgres: %s", PQerrorMessage(c));
  }
  PQfinish(c);
  return rc;
}

char *hub_pgtest_create_db(const char *label) {
  must_env("HUB_TEST_PG_ADMIN_URL");
  static int counter;
  char name[128], sql[256];
  snprintf(name, sizeof name, "hubtest_%s_%d_%d", label, (int)getpid(), ++counter);
  snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
  admin_exec("postgres", sql);
  snprintf(sql, sizeof sql, "CREATE DATABASE %s OWNER hub_owner", name);
  if (admin_exec("postgres", sql) != 0) {
    fprintf(stderr, "pgtest: cannot create database %s\n", name);
    exit(1);
  }
  return url_for("hub_owner", name);
}

char *hub_pgtest_url(const char *owner_url, const char *role) { return url_for(role, db_of(owner_url)); }

int hub_pgtest_admin_exec(const char *owner_url, const char *sql) { return admin_exec(db_of(owner_url), sql); }

void hub_pgtest_drop_db(const char *owner_url) {
  if (!owner_url) return;
  char sql[256];
  snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db_of(owner_url));
  admin_exec("postgres", sql);
}
