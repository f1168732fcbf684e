/* Fresh PostgreSQL databases for integration tests, on the cluster named by
 * HUB_TEST_PG_ADMIN_URL (a superuser URL; roles hub_owner, hub_app and hubd exist there,
 * made once by tools/dev). Each test program gets its own database, so tests run in
 * parallel without seeing each other's rows. */
#ifndef HUB_TEST_PGTEST_H
#define HUB_TEST_PGTEST_H

/* Creates a database owned by hub_owner, named hubtest_<label>_<pid>_<n>, and returns a URL
 * for hub_owner on it (malloc'd; the caller frees). Fails the running cmocka test
 * (fail_msg) when HUB_TEST_PG_ADMIN_URL is missing or the cluster does not answer. */
char *hub_pgtest_create_db(const char *label);

/* The same database's URL for another role, e.g. "hubd" (malloc'd; the caller frees). */
char *hub_pgtest_url(const char *owner_url, const char *role);

/* Drops the database (terminating its connections). */
void hub_pgtest_drop_db(const char *owner_url);

/* Runs one SQL statement as the admin (superuser) on the test database; returns 0 on
 * success, else prints the error and returns -1. */
int hub_pgtest_admin_exec(const char *owner_url, const char *sql);

/* Runs a query as the admin (which bypasses row-level security: for inspecting what the
 * server wrote) and returns the first column of the first row (malloc'd), or NULL. */
char *hub_pgtest_admin_query(const char *owner_url, const char *sql);

#endif
