/* Operator commands on accounts, run as `hubd <command> EMAIL` with the server's settings:
 *   platform-admin EMAIL   make the account (which must exist: sign up first) a platform admin;
 *   sessions EMAIL         list the account's live sessions (id prefix, tenant, brand, address,
 *                          sign-in and last use);
 *   revoke-sessions EMAIL  end every session of the account now (its access tokens are
 *                          refused from the next call, its refresh tokens at once).
 * Each change is written to the account's audit trail. Exit 0 done, 1 the database or Redis
 * could not answer, 2 a wrong argument or no such account. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache/session.h"
#include "hub/clock.h"
#include "hub/config.h"
#include "hub/email.h"
#include "identity/audit.h"
#include "services/auth/auth.h"

static const hub_pg_stmt find_sql = {
    "auth_cmd_find", "SELECT id::text AS id FROM users WHERE email_norm = lower($1) AND deleted_at IS NULL", 1};

static const hub_pg_stmt grant_sql = {
    "auth_cmd_grant", "UPDATE users SET is_platform_admin = true, updated_at = now() WHERE id = $1::uuid", 1};

typedef struct find_ctx {
  const char *email, *id;
  bool grant;
  const char *action;
} find_ctx;

static hub_status find_fn(hub_tx *tx, void *ud) {
  find_ctx *c = ud;
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &find_sql, (const char *[]){c->email}, &r);
  if (!hub_ok(st) || hub_rows_count(r) != 1) return st;
  c->id = hub_arena_strdup(hub_tx_arena(tx), hub_rows_text(r, 0, "id"));
  if (c->grant) hub_tx_exec(tx, &grant_sql, (const char *[]){c->id});
  if (c->action) hub_audit_account_write(tx, c->id, c->action, "", "{\"by\":\"hubd command\"}");
  return HUB_STATUS_OK;
}

/* The account of the one EMAIL argument, with `action` audited (and the grant made) in the same
 * transaction; 0, or the exit code to stop with. */
static int account_of(const hub_service_env *env, hub_pg *pg, hub_arena *a, find_ctx *c) {
  if (env->argc != 1 || !hub_email_valid(env->argv[0])) {
    fprintf(stderr, "hubd: give one account's email address\n");
    return 2;
  }
  c->email = env->argv[0];
  hub_status st = hub_tx_run(pg, a, NULL, NULL, 30000, find_fn, c);
  if (!hub_ok(st)) {
    fprintf(stderr, "hubd: %s\n", st.message);
    return 1;
  }
  if (!c->id) {
    fprintf(stderr, "hubd: no account %s\n", c->email);
    return 2;
  }
  return 0;
}

static void when(int64_t ms, char out[32]) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

typedef enum command { GRANT, LIST, REVOKE } command;

static int run(const hub_service_env *env, command what) {
  hub_pg *pg = hub_pg_new(env->config->database_url, env->config->db_timeout_ms);
  hub_redis *redis = hub_redis_new(env->config->redis_url, env->config->redis_timeout_ms);
  hub_arena *a = hub_arena_new(0);
  find_ctx c = {.grant = what == GRANT,
                .action = what == GRANT ? "platform_admin.granted" : what == REVOKE ? "sessions.revoked_by_operator" : NULL};
  int rc = account_of(env, pg, a, &c);
  if (rc == 0 && c.grant) {
    printf("%s (%s) is a platform admin; their next sign-in carries it\n", c.email, c.id);
  } else if (rc == 0 && what == REVOKE) {
    int n = 0;
    hub_status st = hub_session_revoke_all(redis, a, c.id, NULL, &n);
    if (hub_ok(st)) {
      printf("%d sessions of %s ended\n", n, c.email);
    } else {
      fprintf(stderr, "hubd: %s\n", st.message);
      rc = 1;
    }
  } else if (rc == 0) {
    hub_session *s = NULL;
    size_t n = 0;
    hub_status st = hub_session_list(redis, a, c.id, hub_clock_wall_ms(), &s, &n);
    if (!hub_ok(st)) {
      fprintf(stderr, "hubd: %s\n", st.message);
      rc = 1;
    }
    for (size_t i = 0; hub_ok(st) && i < n; i++) {
      char created[32], seen[32];
      when(s[i].created_ms, created);
      when(s[i].last_seen_ms, seen);
      printf("session %.8s tenant %s brand %s from %s, signed in %s, last used %s\n", s[i].id,
             *s[i].tenant_id ? s[i].tenant_id : "-", *s[i].brand ? s[i].brand : "-", *s[i].ip ? s[i].ip : "-", created,
             seen);
    }
    if (hub_ok(st)) printf("%zu live sessions of %s\n", n, c.email);
  }
  hub_arena_free(a);
  hub_redis_free(redis);
  hub_pg_free(pg);
  return rc;
}

int auth_platform_admin_command(const hub_service_env *env) { return run(env, GRANT); }
int auth_sessions_command(const hub_service_env *env) { return run(env, LIST); }
int auth_revoke_sessions_command(const hub_service_env *env) { return run(env, REVOKE); }
