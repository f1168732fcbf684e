/* The purge of deleted accounts: those whose scheduled deletion came due lose their memberships
 * and are reduced to a tombstone. hubd runs it periodically on a thread of its own and once
 * with `hubd purge-accounts` (Auth's lifecycle, at the end of this file). Safe with many hubd
 * processes: each step is idempotent and the tombstone is written by whoever updates the row
 * first. Its scope is the user's own: the due accounts
 * are found in the global users table; each account's memberships are read as that user
 * (hub.user_id, the *_mine policies show their own rows in every tenant) and removed one
 * tenant at a time in that tenant's own transaction, under its row-level security — so the
 * purge needs no cross-tenant policy of its own. Per account:
 *   1. every membership goes (audited member.removed in the tenant, reason account_deleted),
 *      with the tenant's owner rows locked as Tenant's RemoveMember does, so the last owner
 *      of a live tenant is never removed: such an account is postponed by a day instead (a
 *      first pass checks every tenant, so it keeps its memberships meanwhile);
 *   2. the users row becomes a tombstone: email deleted-<id>@deleted.invalid (the address is
 *      free again), no name, password, second factor, profile or admin flag; its sign-in
 *      providers, tokens, recovery codes and queued mail are deleted; its account events keep
 *      their action and time but lose the client address; audited account.deleted;
 *   3. its Redis sessions end (it may have signed in during the grace period). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/outbox.h"
#include "cache/session.h"
#include "hub/auth/v1/auth.hub-server.h"
#include "hub/config.h"
#include "hub/log.h"
#include "hub/periodic.h"
#include "services/auth/auth.h"

#define BATCH "100"

static const hub_pg_stmt due_sql = {
    "auth_purge_due",
    "SELECT id FROM users WHERE deletion_due_at <= now() AND deleted_at IS NULL ORDER BY deletion_due_at LIMIT " BATCH,
    0};
static const hub_pg_stmt memberships_sql = {
    "auth_purge_memberships",
    "SELECT m.tenant_id, t.name, t.deleted_at IS NOT NULL AS tenant_deleted FROM members m JOIN tenants t ON t.id = m.tenant_id "
    "WHERE m.user_id = $1::uuid ORDER BY m.tenant_id",
    1};
static const hub_pg_stmt lock_sql = {
    "auth_purge_lock",
    "SELECT user_id, role FROM members WHERE tenant_id = hub_current_tenant() "
    "AND (role = 'owner' OR user_id = $1::uuid) ORDER BY user_id FOR UPDATE",
    1};
static const hub_pg_stmt remove_sql = {
    "auth_purge_remove", "DELETE FROM members WHERE tenant_id = hub_current_tenant() AND user_id = $1::uuid", 1};
static const hub_pg_stmt postpone_sql = {
    "auth_purge_postpone",
    "UPDATE users SET deletion_due_at = now() + interval '1 day' WHERE id = $1::uuid AND deleted_at IS NULL "
    "AND deletion_due_at <= now() RETURNING 1",
    1};
static const hub_pg_stmt tombstone_sql = {
    "auth_purge_tombstone",
    "UPDATE users SET email = 'deleted-' || id || '@deleted.invalid', email_norm = 'deleted-' || id || '@deleted.invalid', "
    "display_name = '', password_hash = NULL, email_verified_at = NULL, is_platform_admin = false, "
    "totp_sealed = NULL, totp_pending = NULL, locale = NULL, time_zone = NULL, avatar_url = NULL, "
    "deleted_at = now(), updated_at = now() "
    "WHERE id = $1::uuid AND deleted_at IS NULL AND deletion_due_at <= now() RETURNING 1",
    1};
static const hub_pg_stmt wipe_sql[] = {
    {"auth_purge_wipe_recovery", "DELETE FROM recovery_codes WHERE user_id = $1::uuid", 1},
    {"auth_purge_wipe_identities", "DELETE FROM external_identities WHERE user_id = $1::uuid", 1},
    {"auth_purge_wipe_tokens", "DELETE FROM account_tokens WHERE user_id = $1::uuid", 1},
    {"auth_purge_wipe_refresh", "DELETE FROM refresh_tokens WHERE user_id = $1::uuid", 1},
    {"auth_purge_wipe_outbox", "DELETE FROM account_outbox WHERE user_id = $1::uuid", 1},
    {"auth_purge_wipe_event_ips", "UPDATE account_events SET ip = '' WHERE user_id = $1::uuid", 1},
};

typedef struct rows_ctx {
  const hub_pg_stmt *stmt;
  const char *const *params;
  hub_rows *rows;
} rows_ctx;

static hub_status rows_fn(hub_tx *tx, void *ud) {
  rows_ctx *c = ud;
  c->rows = hub_tx_exec(tx, c->stmt, c->params);
  return HUB_STATUS_OK;
}

typedef struct leave_ctx {
  const char *user_id, *tenant_id;
  bool tenant_deleted, check_only, blocked;
} leave_ctx;

/* In the membership's tenant: remove it unless it is the last owner of a live tenant (with
 * check_only, only say whether it is). */
static hub_status leave_fn(hub_tx *tx, void *ud) {
  leave_ctx *c = ud;
  hub_rows *r;
  c->blocked = false;
  hub_status st = hub_tx_query(tx, &lock_sql, (const char *[]){c->user_id}, &r);
  if (!hub_ok(st)) return st;
  int owners = 0;
  const char *role = NULL;
  for (int i = 0; i < hub_rows_count(r); i++) {
    if (strcmp(hub_rows_text(r, i, "role"), "owner") == 0) owners++;
    if (strcmp(hub_rows_text(r, i, "user_id"), c->user_id) == 0) role = hub_rows_text(r, i, "role");
  }
  if (!role) return HUB_STATUS_OK; /* gone already */
  if (strcmp(role, "owner") == 0 && owners <= 1 && !c->tenant_deleted) {
    c->blocked = true;
    return HUB_STATUS_OK;
  }
  if (c->check_only) return HUB_STATUS_OK;
  hub_tx_exec(tx, &remove_sql, (const char *[]){c->user_id});
  hub_audit_tenant_write(tx, c->tenant_id, NULL, "member.removed", c->user_id, "",
                         auth_json(hub_tx_arena(tx), json_pack("{ssss}", "role", role, "reason", "account_deleted")));
  return HUB_STATUS_OK;
}

typedef struct postpone_ctx {
  const char *user_id, *names;
} postpone_ctx;

static hub_status postpone_fn(hub_tx *tx, void *ud) {
  postpone_ctx *c = ud;
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &postpone_sql, (const char *[]){c->user_id}, &r);
  if (!hub_ok(st) || hub_rows_count(r) != 1) return st;
  hub_outbox_write(tx, HUB_OUTBOX_ACCOUNT, "account.deletion_blocked", c->user_id, c->names);
  hub_audit_account_write(tx, c->user_id, "account.deletion_blocked", NULL, c->names);
  return HUB_STATUS_OK;
}

typedef struct tomb_ctx {
  const char *user_id;
  bool written;
} tomb_ctx;

static hub_status tomb_fn(hub_tx *tx, void *ud) {
  tomb_ctx *c = ud;
  hub_rows *r;
  const char *id[] = {c->user_id};
  hub_status st = hub_tx_query(tx, &tombstone_sql, id, &r);
  if (!hub_ok(st)) return st;
  c->written = hub_rows_count(r) == 1;
  if (!c->written) return HUB_STATUS_OK; /* another purge was first, or the row changed */
  for (size_t i = 0; i < sizeof wipe_sql / sizeof *wipe_sql; i++) hub_tx_exec(tx, &wipe_sql[i], id);
  hub_audit_account_write(tx, c->user_id, "account.deleted", NULL, NULL);
  return HUB_STATUS_OK;
}

/* Every membership of the account, in its own tenant's transaction; the names of the tenants
 * where it is the last owner collect in `blocked`. A first pass only checks, so an account
 * that cannot go keeps all its memberships (bar a race with a demotion in between). */
static hub_status leave_all(hub_pg *pg, hub_redis *redis, hub_arena *a, const char *user_id, const hub_rows *m,
                            bool check_only, json_t *blocked) {
  hub_status st = HUB_STATUS_OK;
  for (int i = 0; i < hub_rows_count(m) && hub_ok(st); i++) {
    leave_ctx c = {user_id, hub_rows_text(m, i, "tenant_id"), hub_rows_bool(m, i, "tenant_deleted"), check_only, false};
    st = hub_tx_run(pg, a, c.tenant_id, NULL, 30000, leave_fn, &c);
    if (hub_ok(st) && c.blocked) json_array_append_new(blocked, json_string(hub_rows_text(m, i, "name")));
    if (hub_ok(st) && !c.blocked && !check_only)
      hub_session_clear_acl(redis, a, user_id, c.tenant_id); /* best effort: the sessions end below */
  }
  return st;
}

/* One account; *done when its tombstone was written here. */
static hub_status purge_one(hub_pg *pg, hub_redis *redis, hub_arena *a, const char *user_id, bool *done) {
  *done = false;
  rows_ctx m = {&memberships_sql, (const char *[]){user_id}, NULL};
  hub_status st = hub_tx_run(pg, a, NULL, user_id, 30000, rows_fn, &m);
  if (!hub_ok(st)) return st;
  json_t *blocked = json_array();
  st = leave_all(pg, redis, a, user_id, m.rows, true, blocked);
  if (hub_ok(st) && json_array_size(blocked) == 0) st = leave_all(pg, redis, a, user_id, m.rows, false, blocked);
  if (!hub_ok(st)) {
    json_decref(blocked);
    return st;
  }
  if (json_array_size(blocked) > 0) {
    postpone_ctx p = {user_id, auth_json(a, json_pack("{so}", "tenants", blocked))};
    hub_logf(HUB_LOG_INFO, "account purge: an account is the last owner of a tenant; postponed by a day");
    return hub_tx_run(pg, a, NULL, NULL, 30000, postpone_fn, &p);
  }
  json_decref(blocked);
  tomb_ctx t = {user_id, false};
  st = hub_tx_run(pg, a, NULL, NULL, 30000, tomb_fn, &t);
  if (!hub_ok(st) || !t.written) return st;
  *done = true;
  int n = 0;
  hub_status rs = hub_session_revoke_all(redis, a, user_id, NULL, &n);
  if (!hub_ok(rs)) hub_logf(HUB_LOG_WARN, "account purge: could not end the sessions of a purged account: %s", rs.message);
  return HUB_STATUS_OK;
}

/* Purges up to 100 accounts that are due; *purged counts the tombstones written. An account
 * that is (still, or again) the last owner of a live tenant is not purged: its deletion moves
 * a day on, and it is audited and told by mail (account.deletion_blocked). Global work: the
 * tenant (and user) of each transaction is named here, none comes from a call. */
static hub_status purge_once(hub_pg *pg, hub_redis *redis, hub_arena *a, int *purged) {
  *purged = 0;
  rows_ctx d = {&due_sql, NULL, NULL};
  hub_status st = hub_tx_run(pg, a, NULL, NULL, 30000, rows_fn, &d);
  if (!hub_ok(st)) return st;
  for (int i = 0; i < hub_rows_count(d.rows); i++) {
    bool done = false;
    hub_status ps = purge_one(pg, redis, a, hub_rows_text(d.rows, i, "id"), &done);
    if (!hub_ok(ps)) hub_logf(HUB_LOG_WARN, "account purge: an account could not be purged: %s", ps.message);
    *purged += done;
  }
  return HUB_STATUS_OK;
}

/* ---- the periodic thread and `hubd purge-accounts`, through Auth's lifecycle ---- */

typedef struct purger {
  hub_pg *pg;
  hub_redis *redis;
} purger;

static hub_periodic *thread;
static purger own; /* the purge's own connections, never a worker's */

static void purge_tick(hub_periodic *p, void *ud) {
  (void)p;
  purger *c = ud;
  hub_arena *a = hub_arena_new(0);
  int purged = 0;
  hub_status st = purge_once(c->pg, c->redis, a, &purged);
  if (!hub_ok(st)) hub_logf(HUB_LOG_WARN, "account purge: %s", st.message);
  else if (purged) hub_logf(HUB_LOG_INFO, "account purge: %d accounts purged", purged);
  hub_arena_free(a);
}

static void connect_own(const hub_config *cfg) {
  own.pg = hub_pg_new(cfg->database_url, cfg->db_timeout_ms);
  own.redis = hub_redis_new(cfg->redis_url, cfg->redis_timeout_ms);
}

static void disconnect_own(void) {
  hub_redis_free(own.redis);
  hub_pg_free(own.pg);
  own = (purger){0};
}

static bool auth_start(const hub_service_env *env) {
  if (env->config->account_purge_interval_ms <= 0) return true; /* another process purges */
  connect_own(env->config);
  thread = hub_periodic_start("account purge", env->config->account_purge_interval_ms, purge_tick, &own);
  return thread != NULL;
}

static void auth_stop(void) {
  hub_periodic_stop(thread);
  thread = NULL;
  disconnect_own();
}

/* `hubd purge-accounts`: one pass, for operators and cron. */
static int purge_command(const hub_service_env *env) {
  connect_own(env->config);
  hub_arena *a = hub_arena_new(0);
  int purged = 0;
  hub_status st = purge_once(own.pg, own.redis, a, &purged);
  if (hub_ok(st)) hub_logf(HUB_LOG_INFO, "account purge: %d accounts purged", purged);
  else hub_logf(HUB_LOG_ERROR, "account purge failed: %s", st.message);
  hub_arena_free(a);
  disconnect_own();
  return hub_ok(st) ? 0 : 1;
}

static const hub_service_command auth_commands[] = {
    {"purge-accounts", "purge the accounts whose scheduled deletion came due, once, and exit", purge_command},
    {"platform-admin", "EMAIL: make that account a platform admin (audited), and exit", auth_platform_admin_command},
    {"sessions", "EMAIL: list that account's live sessions, and exit", auth_sessions_command},
    {"revoke-sessions", "EMAIL: end every session of that account now (audited), and exit", auth_revoke_sessions_command},
    {NULL, NULL, NULL},
};

const hub_service_lifecycle hub_auth_v1_auth_lifecycle = {.start = auth_start, .stop = auth_stop, .commands = auth_commands};
