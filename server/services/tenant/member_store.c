/* See member_store.h. Races:
 *   - the last owner: every change or removal first locks, in user-id order, the tenant's
 *     owner rows together with the target's and the actor's rows (one statement), so two
 *     owners demoting each other at once are serialised and the second sees one owner left;
 *   - a stale role: the actor's role is read under that lock, not taken from the session's
 *     access snapshot, so someone demoted a moment ago cannot act with their old role;
 *   - invitations: the row is locked and spent with "UPDATE ... WHERE accepted_at IS NULL",
 *     so one token makes at most one member. */
#include "services/tenant/member_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/outbox.h"
#include "identity/audit.h"
#include "services/tenant/tenant.h"
#include "services/tenant/rows.h"

static const hub_pg_stmt tenant_name_sql = {
    "tenant_member_tenant_name", "SELECT name FROM tenants WHERE id = $1::uuid AND deleted_at IS NULL", 1};
static const hub_pg_stmt email_is_member_sql = {
    "tenant_member_email_is_member",
    "SELECT 1 FROM members m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1::uuid AND u.email_norm = $2", 2};
static const hub_pg_stmt revoke_pending_sql = {
    "tenant_member_revoke_pending",
    "UPDATE invitations SET revoked_at = now() WHERE tenant_id = $1::uuid AND email_norm = $2 "
    "AND accepted_at IS NULL AND revoked_at IS NULL",
    2};
static const hub_pg_stmt invite_sql = {
    "tenant_member_invite",
    "INSERT INTO invitations (tenant_id, email_norm, role, brands, permissions, token_hash, invited_by, expires_at) "
    "VALUES ($1::uuid, $2, $3, $4::text[], $5::text[], decode($6, 'hex'), $7::uuid, now() + interval '7 days') "
    "RETURNING id, " TENANT_MICROS("expires_at") ", "
    "to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
    7};
static const hub_pg_stmt find_invitation_sql = {
    "tenant_member_find_invitation",
    "SELECT i.id, i.email_norm, i.role, i.brands, i.permissions, i.revoked_at IS NOT NULL, i.accepted_at IS NOT NULL, "
    "i.expires_at <= now(), t.deleted_at IS NOT NULL "
    "FROM invitations i JOIN tenants t ON t.id = i.tenant_id "
    "WHERE i.tenant_id = $1::uuid AND i.token_hash = decode($2, 'hex') FOR UPDATE OF i",
    2};
static const hub_pg_stmt user_email_sql = {"tenant_member_user_email",
                                           "SELECT email_norm FROM users WHERE id = $1::uuid", 1};
static const hub_pg_stmt is_member_sql = {
    "tenant_member_is_member", "SELECT 1 FROM members WHERE tenant_id = $1::uuid AND user_id = $2::uuid", 2};
static const hub_pg_stmt spend_invitation_sql = {
    "tenant_member_spend_invitation",
    "UPDATE invitations SET accepted_at = now(), accepted_by = $3::uuid WHERE tenant_id = $1::uuid AND id = $2::uuid "
    "AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now() RETURNING id",
    3};
static const hub_pg_stmt add_member_sql = {
    "tenant_member_add",
    "INSERT INTO members (tenant_id, user_id, role, brands, permissions) "
    "VALUES ($1::uuid, $2::uuid, $3, $4::text[], $5::text[])",
    5};
static const hub_pg_stmt get_member_sql = {
    "tenant_member_get",
    "SELECT " TENANT_MEMBER_COLS " FROM members m JOIN users u ON u.id = m.user_id "
    "WHERE m.tenant_id = $1::uuid AND m.user_id = $2::uuid",
    2};
static const hub_pg_stmt list_sql = {
    "tenant_member_list",
    "SELECT " TENANT_MEMBER_COLS ", u.email_norm FROM members m JOIN users u ON u.id = m.user_id "
    "WHERE m.tenant_id = $1::uuid AND ($2::text IS NULL OR (u.email_norm, m.user_id) > ($2::text, $3::uuid)) "
    "ORDER BY u.email_norm, m.user_id LIMIT $4::int",
    4};
static const hub_pg_stmt lock_sql = {
    "tenant_member_lock",
    "SELECT user_id, role, version FROM members WHERE tenant_id = $1::uuid "
    "AND (role = 'owner' OR user_id = $2::uuid OR user_id = $3::uuid) ORDER BY user_id FOR UPDATE",
    3};
static const hub_pg_stmt actor_role_sql = {
    "tenant_member_actor_role", "SELECT role FROM members WHERE tenant_id = $1::uuid AND user_id = $2::uuid", 2};
static const hub_pg_stmt update_sql = {
    "tenant_member_update",
    "UPDATE members SET role = CASE WHEN $3::bool THEN $4::text ELSE role END, "
    "brands = CASE WHEN $5::bool THEN $6::text[] ELSE brands END, "
    "permissions = CASE WHEN $7::bool THEN $8::text[] ELSE permissions END, "
    "version = version + 1, updated_at = now() WHERE tenant_id = $1::uuid AND user_id = $2::uuid",
    8};
static const hub_pg_stmt remove_sql = {
    "tenant_member_remove", "DELETE FROM members WHERE tenant_id = $1::uuid AND user_id = $2::uuid", 2};

static hub_status read_member(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *user_id,
                              Hub__Tenant__V1__Member **out) {
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &get_member_sql, (const char *[]){tenant_id, user_id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) == 1) *out = tenant_row_member(a, res, 0, 0);
  else st = hub_status_new(a, HUB_NOT_FOUND, "no such member");
  PQclear(res);
  return st;
}

/* Runs a statement and reports whether it returned any row. */
static hub_status exists(hub_pg *pg, hub_arena *a, const hub_pg_stmt *stmt, const char *const *params, bool *found) {
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, stmt, params, &res);
  *found = hub_ok(st) && PQntuples(res) > 0;
  PQclear(res);
  return st;
}

/* ---- invite ---- */

typedef struct invite_ctx {
  const tenant_invite *in;
  char *id, *expires_micros;
} invite_ctx;

static hub_status invite_fn(hub_pg *pg, hub_arena *a, void *ud) {
  invite_ctx *c = ud;
  const tenant_invite *in = c->in;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &tenant_name_sql, (const char *[]){in->tenant_id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return hub_status_new(a, HUB_NOT_FOUND, "no such tenant");
  }
  char *tenant_name = hub_arena_strdup(a, PQgetvalue(res, 0, 0));
  PQclear(res);
  st = hub_pg_exec(pg, a, &actor_role_sql, (const char *[]){in->tenant_id, in->actor_id}, &res);
  if (!hub_ok(st)) return st;
  st = PQntuples(res) == 1 ? tenant_rule_role(a, PQgetvalue(res, 0, 0), "role", in->role)
                           : hub_status_new(a, HUB_PERMISSION_DENIED, "not a member of this tenant");
  PQclear(res);
  if (!hub_ok(st)) return st;
  bool member = false;
  st = exists(pg, a, &email_is_member_sql, (const char *[]){in->tenant_id, in->email_norm}, &member);
  if (!hub_ok(st)) return st;
  if (member) return hub_status_new(a, HUB_ALREADY_EXISTS, "this address belongs to a member already");
  st = hub_pg_exec(pg, a, &revoke_pending_sql, (const char *[]){in->tenant_id, in->email_norm}, NULL);
  if (!hub_ok(st)) return st;
  const char *p[] = {in->tenant_id, in->email_norm, in->role, in->brands, in->permissions, in->token_hash,
                     in->actor_id};
  st = hub_pg_exec(pg, a, &invite_sql, p, &res);
  if (!hub_ok(st)) return st;
  c->id = hub_arena_strdup(a, PQgetvalue(res, 0, 0));
  c->expires_micros = hub_arena_strdup(a, PQgetvalue(res, 0, 1));
  char *expires_text = hub_arena_strdup(a, PQgetvalue(res, 0, 2));
  PQclear(res);
  hub_outbox_write(hub_pg_current_tx(pg), HUB_OUTBOX_TENANT, "tenant.invitation", c->id,
                   tenant_json_object(a, "invitation_id", c->id, "email", in->email, "tenant_name", tenant_name, "role",
                                      in->role, "token", in->token, "expires_at", expires_text, "brand", in->brand, NULL));
  return hub_audit_tenant(
      pg, a, in->tenant_id, in->actor_id, "member.invited", in->email_norm, in->ip,
      tenant_json_object(a, "invitation_id", c->id, "email", in->email_norm, "role", in->role, NULL));
}

hub_status tenant_member_invite(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_invite *in, char **id,
                                char **expires_micros) {
  invite_ctx c = {in, NULL, NULL};
  hub_status st = hub_pg_tx(pg, a, in->tenant_id, timeout_ms, invite_fn, &c);
  *id = c.id;
  *expires_micros = c.expires_micros;
  return st;
}

/* ---- accept ---- */

typedef struct accept_ctx {
  const char *tenant_id, *user_id, *ip, *token_hash;
  Hub__Tenant__V1__Member *out;
} accept_ctx;

static hub_status accept_fn(hub_pg *pg, hub_arena *a, void *ud) {
  accept_ctx *c = ud;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &find_invitation_sql, (const char *[]){c->tenant_id, c->token_hash}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) != 1 || PQgetvalue(res, 0, 8)[0] == 't') {
    PQclear(res);
    return hub_status_new(a, HUB_NOT_FOUND, "no such invitation");
  }
  char *id = hub_arena_strdup(a, PQgetvalue(res, 0, 0)), *email = hub_arena_strdup(a, PQgetvalue(res, 0, 1));
  char *role = hub_arena_strdup(a, PQgetvalue(res, 0, 2)), *brands = hub_arena_strdup(a, PQgetvalue(res, 0, 3));
  char *perms = hub_arena_strdup(a, PQgetvalue(res, 0, 4));
  bool revoked = PQgetvalue(res, 0, 5)[0] == 't', used = PQgetvalue(res, 0, 6)[0] == 't',
       expired = PQgetvalue(res, 0, 7)[0] == 't';
  PQclear(res);
  if (revoked) return hub_status_new(a, HUB_FAILED_PRECONDITION, "this invitation was revoked");
  if (used) return hub_status_new(a, HUB_FAILED_PRECONDITION, "this invitation has been used");
  if (expired) return hub_status_new(a, HUB_FAILED_PRECONDITION, "this invitation has expired; ask for a new one");

  st = hub_pg_exec(pg, a, &user_email_sql, (const char *[]){c->user_id}, &res);
  if (!hub_ok(st)) return st;
  bool same = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), email) == 0;
  PQclear(res);
  if (!same) return hub_status_new(a, HUB_PERMISSION_DENIED, "this invitation is for another email address");
  bool member = false;
  st = exists(pg, a, &is_member_sql, (const char *[]){c->tenant_id, c->user_id}, &member);
  if (!hub_ok(st)) return st;
  if (member) return hub_status_new(a, HUB_ALREADY_EXISTS, "you are a member of this tenant already");

  bool spent = false;
  st = exists(pg, a, &spend_invitation_sql, (const char *[]){c->tenant_id, id, c->user_id}, &spent);
  if (!hub_ok(st)) return st;
  if (!spent) return hub_status_new(a, HUB_FAILED_PRECONDITION, "this invitation has been used");
  st = hub_pg_exec(pg, a, &add_member_sql, (const char *[]){c->tenant_id, c->user_id, role, brands, perms}, NULL);
  if (hub_ok(st))
    st = hub_audit_tenant(pg, a, c->tenant_id, c->user_id, "member.joined", c->user_id, c->ip,
                          tenant_json_object(a, "invitation_id", id, "role", role, NULL));
  if (!hub_ok(st)) return st;
  return read_member(pg, a, c->tenant_id, c->user_id, &c->out);
}

hub_status tenant_member_accept(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id,
                                const char *user_id, const char *ip, const char *token_hash,
                                Hub__Tenant__V1__Member **out) {
  accept_ctx c = {tenant_id, user_id, ip, token_hash, NULL};
  hub_status st = hub_pg_tx_user(pg, a, tenant_id, user_id, timeout_ms, accept_fn, &c);
  if (hub_ok(st)) *out = c.out;
  return st;
}

/* ---- list ---- */

typedef struct list_ctx {
  const char *tenant_id, *after_email, *after_id;
  int limit;
  Hub__Tenant__V1__ListMembersResponse *out;
  bool more;
  char *last_email;
} list_ctx;

static hub_status list_fn(hub_pg *pg, hub_arena *a, void *ud) {
  list_ctx *c = ud;
  char limit[16];
  snprintf(limit, sizeof limit, "%d", c->limit + 1);
  PGresult *res = NULL;
  hub_status st =
      hub_pg_exec(pg, a, &list_sql, (const char *[]){c->tenant_id, c->after_email, c->after_id, limit}, &res);
  if (!hub_ok(st)) return st;
  int n = PQntuples(res);
  c->more = n > c->limit;
  if (c->more) n = c->limit;
  c->out->n_members = 0;
  c->out->members = n ? hub_arena_calloc(a, (size_t)n, sizeof *c->out->members) : NULL;
  for (int i = 0; i < n; i++) c->out->members[c->out->n_members++] = tenant_row_member(a, res, i, 0);
  if (n) c->last_email = hub_arena_strdup(a, PQgetvalue(res, n - 1, TENANT_MEMBER_NCOLS));
  PQclear(res);
  return HUB_STATUS_OK;
}

hub_status tenant_member_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, int limit,
                              const char *after_email, const char *after_id, Hub__Tenant__V1__ListMembersResponse *out,
                              char **next_email) {
  list_ctx c = {tenant_id, after_email, after_id, limit, out, false, NULL};
  hub_status st = hub_pg_tx(pg, a, tenant_id, timeout_ms, list_fn, &c);
  *next_email = hub_ok(st) && c.more ? c.last_email : NULL;
  return st;
}

/* ---- update and remove ---- */

typedef struct locked {
  char role[16];       /* the target's */
  char actor_role[16]; /* the actor's, as committed */
  long long version;   /* the target's */
  int owners;
} locked;

/* Locks the tenant's owners, the target and the actor (see the file comment). */
static hub_status lock_members(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *user_id,
                               const char *actor_id, locked *out) {
  memset(out, 0, sizeof *out);
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &lock_sql, (const char *[]){tenant_id, user_id, actor_id}, &res);
  if (!hub_ok(st)) return st;
  for (int i = 0; i < PQntuples(res); i++) {
    const char *id = PQgetvalue(res, i, 0), *role = PQgetvalue(res, i, 1);
    if (strcmp(role, "owner") == 0) out->owners++;
    if (strcmp(id, actor_id) == 0) snprintf(out->actor_role, sizeof out->actor_role, "%s", role);
    if (strcmp(id, user_id) == 0) {
      snprintf(out->role, sizeof out->role, "%s", role);
      out->version = strtoll(PQgetvalue(res, i, 2), NULL, 10);
    }
  }
  PQclear(res);
  if (!out->actor_role[0]) return hub_status_new(a, HUB_PERMISSION_DENIED, "not a member of this tenant");
  return out->role[0] ? HUB_STATUS_OK : hub_status_new(a, HUB_NOT_FOUND, "no such member");
}

typedef struct update_ctx {
  const tenant_member_change *c;
  Hub__Tenant__V1__Member *out;
} update_ctx;

static hub_status update_fn(hub_pg *pg, hub_arena *a, void *ud) {
  update_ctx *u = ud;
  const tenant_member_change *c = u->c;
  locked t;
  hub_status st = lock_members(pg, a, c->tenant_id, c->user_id, c->actor_id, &t);
  if (!hub_ok(st)) return st;
  if (c->etag >= 0 && c->etag != t.version)
    return hub_status_new(a, HUB_ABORTED, "the member changed since it was read; read it again");
  bool set_role = c->bits & TENANT_MEMBER_ROLE;
  st = tenant_rule_member_change(a, t.actor_role, t.role, set_role ? c->role : NULL, false, t.owners);
  if (!hub_ok(st)) return st;
  const char *p[] = {c->tenant_id, c->user_id,
                     set_role ? "true" : "false", c->role,
                     (c->bits & TENANT_MEMBER_BRANDS) ? "true" : "false", c->brands,
                     (c->bits & TENANT_MEMBER_PERMISSIONS) ? "true" : "false", c->permissions};
  st = hub_pg_exec(pg, a, &update_sql, p, NULL);
  if (!hub_ok(st)) return st;
  const char *changed = hub_arena_sprintf(a, "%s%s%s", set_role ? "role " : "",
                                          (c->bits & TENANT_MEMBER_BRANDS) ? "brands " : "",
                                          (c->bits & TENANT_MEMBER_PERMISSIONS) ? "permissions " : "");
  st = hub_audit_tenant(
      pg, a, c->tenant_id, c->actor_id, "member.updated", c->user_id, c->ip,
      tenant_json_object(a, "old_role", t.role, "new_role", set_role ? c->role : t.role, "brands",
                         (c->bits & TENANT_MEMBER_BRANDS) ? c->brands : NULL, "permissions",
                         (c->bits & TENANT_MEMBER_PERMISSIONS) ? c->permissions : NULL, "changed", changed, NULL));
  if (!hub_ok(st)) return st;
  return read_member(pg, a, c->tenant_id, c->user_id, &u->out);
}

hub_status tenant_member_update(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_member_change *c,
                                Hub__Tenant__V1__Member **out) {
  update_ctx u = {c, NULL};
  hub_status st = hub_pg_tx(pg, a, c->tenant_id, timeout_ms, update_fn, &u);
  if (hub_ok(st)) *out = u.out;
  return st;
}

typedef struct remove_ctx {
  const char *tenant_id, *actor_id, *ip, *user_id;
} remove_ctx;

static hub_status remove_fn(hub_pg *pg, hub_arena *a, void *ud) {
  remove_ctx *c = ud;
  locked t;
  hub_status st = lock_members(pg, a, c->tenant_id, c->user_id, c->actor_id, &t);
  if (!hub_ok(st)) return st;
  st = tenant_rule_member_change(a, t.actor_role, t.role, NULL, true, t.owners);
  if (!hub_ok(st)) return st;
  st = hub_pg_exec(pg, a, &remove_sql, (const char *[]){c->tenant_id, c->user_id}, NULL);
  if (!hub_ok(st)) return st;
  return hub_audit_tenant(pg, a, c->tenant_id, c->actor_id, "member.removed", c->user_id, c->ip,
                          tenant_json_object(a, "role", t.role, NULL));
}

hub_status tenant_member_remove(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id,
                                const char *actor_id, const char *ip, const char *user_id) {
  remove_ctx c = {tenant_id, actor_id, ip, user_id};
  return hub_pg_tx(pg, a, tenant_id, timeout_ms, remove_fn, &c);
}
