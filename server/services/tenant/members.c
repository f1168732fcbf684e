/* Member RPCs: InviteMember, AcceptInvitation, ListMembers, UpdateMember and RemoveMember,
 * always in one tenant (row-level security hides every other tenant's rows, so another
 * tenant's member is simply NOT_FOUND). The rules are member_rules.c's; every change clears
 * the affected user's access snapshot after its commit.
 *
 * Invitation tokens are "<tenant id>.<43 base64url characters>" (256 random bits): the prefix
 * lets AcceptInvitation act in the right tenant under row-level security; only the token's
 * SHA-256 is stored, and the token itself leaves only through the outbox (mail).
 *
 * Races:
 *   - the last owner: every change or removal first locks, in user-id order, the tenant's
 *     owner rows together with the target's and the actor's rows (one statement), so two
 *     owners demoting each other at once are serialised and the second sees one owner left;
 *   - a stale role: the actor's role is read under that lock, not taken from the session's
 *     access snapshot, so someone demoted a moment ago cannot act with their old role;
 *   - invitations: the row is locked and spent with "UPDATE ... WHERE accepted_at IS NULL",
 *     so one token makes at most one member. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache/session.h"
#include "crypto/random.h"
#include "db/outbox.h"
#include "hub/clock.h"
#include "hub/log.h"
#include "aip/fields.h"
#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/apikey.h"
#include "identity/audit.h"
#include "identity/brands.h"
#include "identity/principal.h"
#include "services/context.h"
#include "services/tenant/tenant.h"

#define TOKEN_SECRET_LEN 43
#define INVITATION_TTL_S (7 * 86400)

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
    "INSERT INTO invitations (id, tenant_id, email_norm, role, brands, permissions, token_hash, invited_by, "
    "expires_at) VALUES ($8::uuid, $1::uuid, $2, $3, $4::text[], $5::text[], decode($6, 'hex'), $7::uuid, "
    "to_timestamp($9::bigint)) RETURNING id AS invitation_id, expires_at",
    9};
static const hub_pg_stmt find_invitation_sql = {
    "tenant_member_find_invitation",
    "SELECT i.id, i.email_norm, i.role, i.brands, i.permissions, i.revoked_at IS NOT NULL AS revoked, "
    "i.accepted_at IS NOT NULL AS used, i.expires_at <= now() AS expired, t.deleted_at IS NOT NULL AS tenant_deleted "
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

/* A member as the messages show it, for "FROM m JOIN users u ON u.id = m.user_id". */
#define MEMBER_COLS                                                                                  \
  "m.user_id, u.email, u.display_name, m.role, m.brands, m.permissions, m.created_at AS joined_at, " \
  "m.version AS etag"

static const hub_pg_stmt add_member_sql = {
    "tenant_member_add",
    "WITH m AS (INSERT INTO members (tenant_id, user_id, role, brands, permissions) "
    "VALUES ($1::uuid, $2::uuid, $3, $4::text[], $5::text[]) RETURNING *) "
    "SELECT " MEMBER_COLS " FROM m JOIN users u ON u.id = m.user_id",
    5};
static const hub_pg_stmt list_sql = {
    "tenant_member_list",
    "SELECT " MEMBER_COLS ", u.email_norm AS _email_norm FROM members m JOIN users u ON u.id = m.user_id "
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
    "WITH m AS (UPDATE members SET role = CASE WHEN $3::bool THEN $4::text ELSE role END, "
    "brands = CASE WHEN $5::bool THEN $6::text[] ELSE brands END, "
    "permissions = CASE WHEN $7::bool THEN $8::text[] ELSE permissions END, "
    "version = version + 1, updated_at = now() WHERE tenant_id = $1::uuid AND user_id = $2::uuid RETURNING *) "
    "SELECT " MEMBER_COLS " FROM m JOIN users u ON u.id = m.user_id",
    8};
static const hub_pg_stmt remove_sql = {
    "tenant_member_remove", "DELETE FROM members WHERE tenant_id = $1::uuid AND user_id = $2::uuid", 2};

/* ---- shared with tenants.c and service_accounts.c ---- */

void tenant_refresh_access(hub_call *call, const char *tenant_id, char *const *users, size_t n) {
  hub_ctx *ctx = hub_ctx_of(call);
  hub_arena *a = hub_call_arena(call);
  /* Service accounts' API keys cache the same kind of snapshot: the tenant's generation
   * retires every one of them (one round trip, whoever changed). */
  if (tenant_id && *tenant_id) {
    hub_status st = hub_apikey_invalidate_tenant(ctx->redis, a, tenant_id);
    if (!hub_ok(st)) st = hub_apikey_invalidate_tenant(ctx->redis, a, tenant_id);
    if (!hub_ok(st)) hub_logf(HUB_LOG_ERROR, "tenant: could not retire the API key caches: %s", st.message);
  }
  /* One Redis round trip per affected user (their sessions share a slot). */
  for (size_t i = 0; i < n; i++) {
    hub_status st = hub_session_clear_acl(ctx->redis, a, users[i], tenant_id);
    if (!hub_ok(st)) st = hub_session_clear_acl(ctx->redis, a, users[i], tenant_id);
    if (!hub_ok(st)) {
      hub_log_line l;
      hub_log_begin(&l, HUB_LOG_ERROR, "tenant: could not clear a session access snapshot");
      hub_log_str(&l, "user", users[i]);
      hub_log_str(&l, "tenant", tenant_id);
      hub_log_str(&l, "error", st.message);
      hub_log_end(&l, HUB_LOG_ERROR);
    }
  }
}

hub_status tenant_check_brands(hub_call *call, const char *field, char **brands, size_t n) {
  hub_arena *a = hub_call_arena(call);
  hub_status st = tenant_check_list(a, field, brands, n, 16, tenant_brand_id_ok);
  for (size_t i = 0; i < n && hub_ok(st); i++) {
    bool exists = false;
    st = hub_brands_exists(hub_ctx_of(call)->pg, a, brands[i], &exists);
    if (hub_ok(st) && !exists) st = hub_status_invalid(a, hub_arena_sprintf(a, "%s[%zu]", field, i), "no such brand");
  }
  return st;
}

/* ---- InviteMember ---- */

typedef struct invite {
  hub_call *call;
  const Hub__Tenant__V1__InviteMemberRequest *r;
  const char *email_norm, *brands, *permissions, *token, *token_hash;
  char id[37];
  int64_t expires_s;
  hub_rows *row;
} invite;

/* Stores the invitation (expiring in 7 days; a pending one to the same address is revoked),
 * queues its mail in the outbox and audits member.invited. The role is checked again against
 * the inviter's committed role. ALREADY_EXISTS when the address belongs to a member. */
static hub_status invite_fn(hub_tx *tx, void *ud) {
  invite *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  const Hub__Tenant__V1__InviteMemberRequest *r = c->r;
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *tenant = hub_tx_exec(tx, &tenant_name_sql, (const char *[]){p->tenant_id});
  hub_rows *actor = hub_tx_exec(tx, &actor_role_sql, (const char *[]){p->tenant_id, p->user_id});
  hub_rows *member = hub_tx_exec(tx, &email_is_member_sql, (const char *[]){p->tenant_id, c->email_norm});
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(tenant) != 1) return hub_status_fixed(HUB_NOT_FOUND, "no such tenant");
  if (hub_rows_count(actor) != 1) return hub_status_fixed(HUB_PERMISSION_DENIED, "not a member of this tenant");
  st = tenant_rule_role(a, hub_rows_text(actor, 0, "role"), "role", r->role);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(member) > 0)
    return hub_status_fixed(HUB_ALREADY_EXISTS, "this address belongs to a member already");
  /* The id and the expiry are minted here, so the insert, the mail and the audit all go out
   * with the COMMIT. */
  hub_tx_exec(tx, &revoke_pending_sql, (const char *[]){p->tenant_id, c->email_norm});
  const char *id = c->id, *expires = hub_arena_sprintf(a, "%lld", (long long)c->expires_s);
  const char *params[] = {p->tenant_id, c->email_norm, r->role, c->brands, c->permissions, c->token_hash, p->user_id,
                          id, expires};
  c->row = hub_tx_exec(tx, &invite_sql, params);
  char expires_text[32];
  time_t t = (time_t)c->expires_s;
  struct tm tm;
  strftime(expires_text, sizeof expires_text, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
  hub_outbox_write(tx, HUB_OUTBOX_TENANT, "tenant.invitation", id,
                   tenant_json_object(a, "invitation_id", id, "email", r->email, "tenant_name",
                                      hub_rows_text(tenant, 0, "name"), "role", r->role, "token", c->token,
                                      "expires_at", expires_text, "brand", p->brand, NULL));
  hub_audit_tenant_write(tx, p->tenant_id, p->user_id, "member.invited", c->email_norm, p->ip,
                         tenant_json_object(a, "invitation_id", id, "email", c->email_norm, "role", r->role, NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_invite_member(hub_call *call, const Hub__Tenant__V1__InviteMemberRequest *request,
                                              Hub__Tenant__V1__InviteMemberResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  hub_status st = tenant_rule_role(a, p->acl.role, "role", request->role);
  if (hub_ok(st)) st = tenant_check_brands(call, "brands", request->brands, request->n_brands);
  if (hub_ok(st)) st = tenant_rule_grants(a, &p->acl, "permissions", request->permissions, request->n_permissions);
  if (!hub_ok(st)) return st;
  char *secret = hub_random_token(a, 32);
  if (!secret || strlen(secret) != TOKEN_SECRET_LEN) return hub_status_fixed(HUB_INTERNAL, "no randomness available");
  char *token = hub_arena_sprintf(a, "%s.%s", p->tenant_id, secret);
  invite c = {.call = call,
              .r = request,
              .email_norm = tenant_lower(a, request->email),
              .brands = hub_pg_array_literal(a, request->brands, request->n_brands),
              .permissions = hub_pg_array_literal(a, request->permissions, request->n_permissions),
              .token = token,
              .token_hash = hub_sha256_hex(a, token),
              .expires_s = hub_clock_wall_s() + INVITATION_TTL_S};
  if (!hub_uuid_v7(c.id)) return hub_status_fixed(HUB_INTERNAL, "no randomness available");
  st = hub_call_tx(call, invite_fn, &c);
  if (hub_ok(st)) hub_rows_decode(c.row, 0, &response->base);
  return st;
}

/* ---- AcceptInvitation ---- */

typedef struct accept {
  const char *tenant_id, *user_id, *ip, *token_hash;
  hub_rows *member;
} accept;

/* Spends the invitation and makes the caller a member. NOT_FOUND: no such invitation (or the
 * tenant is deleted); FAILED_PRECONDITION: used, revoked or expired; PERMISSION_DENIED: it is
 * for another address; ALREADY_EXISTS: already a member. */
static hub_status accept_fn(hub_tx *tx, void *ud) {
  accept *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *inv = hub_tx_exec(tx, &find_invitation_sql, (const char *[]){c->tenant_id, c->token_hash});
  hub_rows *email = hub_tx_exec(tx, &user_email_sql, (const char *[]){c->user_id});
  hub_rows *member = hub_tx_exec(tx, &is_member_sql, (const char *[]){c->tenant_id, c->user_id});
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(inv) != 1 || hub_rows_bool(inv, 0, "tenant_deleted"))
    return hub_status_fixed(HUB_NOT_FOUND, "no such invitation");
  if (hub_rows_bool(inv, 0, "revoked")) return hub_status_fixed(HUB_FAILED_PRECONDITION, "this invitation was revoked");
  if (hub_rows_bool(inv, 0, "used")) return hub_status_fixed(HUB_FAILED_PRECONDITION, "this invitation has been used");
  if (hub_rows_bool(inv, 0, "expired"))
    return hub_status_fixed(HUB_FAILED_PRECONDITION, "this invitation has expired; ask for a new one");
  if (hub_rows_count(email) != 1 || strcmp(hub_rows_text(email, 0, "email_norm"), hub_rows_text(inv, 0, "email_norm")))
    return hub_status_fixed(HUB_PERMISSION_DENIED, "this invitation is for another email address");
  if (hub_rows_count(member) > 0) return hub_status_fixed(HUB_ALREADY_EXISTS, "you are a member of this tenant already");
  const char *id = hub_rows_text(inv, 0, "id"), *role = hub_rows_text(inv, 0, "role");
  /* The spend, the new member and the audit go out together; a spend that found nothing
   * (the row is locked above, so only a bug gets here) rolls all of it back. */
  hub_rows *spent = hub_tx_exec(tx, &spend_invitation_sql, (const char *[]){c->tenant_id, id, c->user_id});
  const char *add[] = {c->tenant_id, c->user_id, role, hub_rows_text(inv, 0, "brands"),
                       hub_rows_text(inv, 0, "permissions")};
  c->member = hub_tx_exec(tx, &add_member_sql, add);
  hub_audit_tenant_write(tx, c->tenant_id, c->user_id, "member.joined", c->user_id, c->ip,
                         tenant_json_object(a, "invitation_id", id, "role", role, NULL));
  st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(spent) != 1 || hub_rows_count(c->member) != 1)
    return hub_status_fixed(HUB_FAILED_PRECONDITION, "this invitation has been used");
  return HUB_STATUS_OK;
}

/* The tenant of "<tenant id>.<43 base64url characters>", lower case; NULL when it is not one. */
static const char *token_tenant(hub_arena *a, const char *token) {
  if (strlen(token) != 36 + 1 + TOKEN_SECRET_LEN || token[36] != '.') return NULL;
  for (const char *c = token + 37; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
      return NULL;
  return hub_uuid_lower(a, hub_arena_strndup(a, token, 36));
}

hub_status hub_tenant_v1_tenant_accept_invitation(hub_call *call,
                                                  const Hub__Tenant__V1__AcceptInvitationRequest *request,
                                                  Hub__Tenant__V1__Member *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  const char *token = request->token, *tenant_id = token_tenant(a, token);
  if (!tenant_id) return hub_status_invalid(a, "token", "not an invitation token");
  /* The tenant is the token's, not the caller's: the one transaction here with another tenant. */
  accept c = {tenant_id, p->user_id, p->ip, hub_sha256_hex(a, token), NULL};
  hub_status st = hub_tx_run(hub_ctx_of(call)->pg, a, tenant_id, p->user_id, hub_call_remaining_ms(call), accept_fn, &c);
  if (!hub_ok(st)) return st;
  tenant_refresh_access(call, tenant_id, (char *const[]){(char *)p->user_id}, 1);
  hub_rows_decode(c.member, 0, &response->base);
  return HUB_STATUS_OK;
}

/* ---- ListMembers ---- */

/* One page by (normalised email, user id); the page token carries the last row's pair. */
hub_status hub_tenant_v1_tenant_list_members(hub_call *call, const Hub__Tenant__V1__ListMembersRequest *request,
                                             Hub__Tenant__V1__ListMembersResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *after_id = NULL, *after_email = NULL;
  if (request->page_token[0] &&
      (!hub_page_token_parse(a, request->page_token, &after_id, &after_email) || !hub_uuid_lower(a, after_id) ||
       !hub_text_ok(after_email, 254, false)))
    return hub_status_invalid(a, "page_token", "not a page token of this list");
  const char *params[] = {hub_principal_of(call)->tenant_id, after_email, after_id, hub_arena_sprintf(a, "%d", limit + 1)};
  hub_rows *rows;
  st = hub_call_query(call, &list_sql, params, &rows);
  if (!hub_ok(st)) return st;
  response->n_members =
      hub_rows_messages(rows, &hub__tenant__v1__member__descriptor, limit, (void ***)&response->members);
  char *next = NULL;
  if (hub_rows_count(rows) > limit)
    next = hub_page_token(a, response->members[limit - 1]->user_id,
                          hub_rows_text(rows, limit - 1, "_email_norm"));
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}

/* ---- UpdateMember and RemoveMember ---- */

typedef struct locked {
  const char *role;       /* the target's */
  const char *actor_role; /* the actor's, as committed */
  int64_t version;        /* the target's */
  int owners;
} locked;

/* Locks the tenant's owners, the target and the actor (see the file comment). */
static hub_status lock_members(hub_tx *tx, const char *tenant_id, const char *user_id, const char *actor_id,
                               locked *out) {
  memset(out, 0, sizeof *out);
  hub_rows *rows;
  hub_status st = hub_tx_query(tx, &lock_sql, (const char *[]){tenant_id, user_id, actor_id}, &rows);
  if (!hub_ok(st)) return st;
  for (int i = 0; i < hub_rows_count(rows); i++) {
    const char *id = hub_rows_text(rows, i, "user_id"), *role = hub_rows_text(rows, i, "role");
    if (strcmp(role, "owner") == 0) out->owners++;
    if (strcmp(id, actor_id) == 0) out->actor_role = role;
    if (strcmp(id, user_id) == 0) {
      out->role = role;
      out->version = hub_rows_int(rows, i, "version");
    }
  }
  if (!out->actor_role) return hub_status_fixed(HUB_PERMISSION_DENIED, "not a member of this tenant");
  return out->role ? HUB_STATUS_OK : hub_status_fixed(HUB_NOT_FOUND, "no such member");
}

enum { MEMBER_ROLE = 1u << 0, MEMBER_BRANDS = 1u << 1, MEMBER_PERMISSIONS = 1u << 2 };

typedef struct change {
  hub_call *call;
  const char *user_id;
  unsigned bits;
  int64_t etag; /* -1: no check */
  const char *role, *brands, *permissions; /* new values; text[] literals for the lists */
  hub_rows *out;
} change;

/* Applies the member rules with the owner rows, the target and the actor locked, then the
 * change; audits member.updated. NOT_FOUND, ABORTED on a stale etag. */
static hub_status update_fn(hub_tx *tx, void *ud) {
  change *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  hub_arena *a = hub_tx_arena(tx);
  locked t;
  hub_status st = lock_members(tx, p->tenant_id, c->user_id, p->user_id, &t);
  if (!hub_ok(st)) return st;
  if (c->etag >= 0 && c->etag != t.version)
    return hub_status_fixed(HUB_ABORTED, "the member changed since it was read; read it again");
  bool set_role = c->bits & MEMBER_ROLE, set_brands = c->bits & MEMBER_BRANDS,
       set_perms = c->bits & MEMBER_PERMISSIONS;
  st = tenant_rule_member_change(a, t.actor_role, t.role, set_role ? c->role : NULL, false, t.owners);
  if (!hub_ok(st)) return st;
  const char *params[] = {p->tenant_id,  c->user_id, set_role ? "true" : "false", c->role,
                          set_brands ? "true" : "false", c->brands, set_perms ? "true" : "false", c->permissions};
  c->out = hub_tx_exec(tx, &update_sql, params);
  const char *changed = hub_arena_sprintf(a, "%s%s%s", set_role ? "role " : "", set_brands ? "brands " : "",
                                          set_perms ? "permissions " : "");
  hub_audit_tenant_write(tx, p->tenant_id, p->user_id, "member.updated", c->user_id, p->ip,
                         tenant_json_object(a, "old_role", t.role, "new_role", set_role ? c->role : t.role, "brands",
                                            set_brands ? c->brands : NULL, "permissions",
                                            set_perms ? c->permissions : NULL, "changed", changed, NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_update_member(hub_call *call, const Hub__Tenant__V1__UpdateMemberRequest *request,
                                              Hub__Tenant__V1__Member *response) {
  static const char *const paths[] = {"role", "brands", "permissions", NULL};
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  const Hub__Tenant__V1__Member *m = request->member;
  change c = {.call = call, .user_id = m->user_id};
  hub_status st = hub_update_mask(a, request->update_mask, paths, &c.bits);
  if (hub_ok(st)) st = tenant_etag(a, request->etag, &c.etag);
  if (!hub_ok(st)) return st;
  if (c.bits & MEMBER_ROLE) {
    if (!hub_ok(st = tenant_rule_role(a, p->acl.role, "member.role", m->role))) return st;
    c.role = m->role;
  }
  if (c.bits & MEMBER_BRANDS) {
    if (!hub_ok(st = tenant_check_brands(call, "member.brands", m->brands, m->n_brands))) return st;
    c.brands = hub_pg_array_literal(a, m->brands, m->n_brands);
  }
  if (c.bits & MEMBER_PERMISSIONS) {
    if (!hub_ok(st = tenant_rule_grants(a, &p->acl, "member.permissions", m->permissions, m->n_permissions))) return st;
    c.permissions = hub_pg_array_literal(a, m->permissions, m->n_permissions);
  }
  st = hub_status_at_field(a, hub_call_tx(call, update_fn, &c), "member.user_id");
  if (!hub_ok(st)) return st;
  tenant_refresh_access(call, p->tenant_id, (char *const[]){(char *)c.user_id}, 1);
  hub_rows_decode(c.out, 0, &response->base);
  return HUB_STATUS_OK;
}

typedef struct removal {
  hub_call *call;
  const char *user_id;
} removal;

/* The same rules for removal; audits member.removed. */
static hub_status remove_fn(hub_tx *tx, void *ud) {
  removal *c = ud;
  const hub_principal *p = hub_principal_of(c->call);
  hub_arena *a = hub_tx_arena(tx);
  locked t;
  hub_status st = lock_members(tx, p->tenant_id, c->user_id, p->user_id, &t);
  if (hub_ok(st)) st = tenant_rule_member_change(a, t.actor_role, t.role, NULL, true, t.owners);
  if (!hub_ok(st)) return st;
  hub_tx_exec(tx, &remove_sql, (const char *[]){p->tenant_id, c->user_id});
  hub_audit_tenant_write(tx, p->tenant_id, p->user_id, "member.removed", c->user_id, p->ip,
                         tenant_json_object(a, "role", t.role, NULL));
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_remove_member(hub_call *call, const Hub__Tenant__V1__RemoveMemberRequest *request,
                                              Hub__Tenant__V1__RemoveMemberResponse *response) {
  (void)response;
  const hub_principal *p = hub_principal_of(call);
  removal c = {call, request->user_id};
  hub_status st = hub_status_at_field(hub_call_arena(call), hub_call_tx(call, remove_fn, &c), "user_id");
  if (hub_ok(st)) tenant_refresh_access(call, p->tenant_id, (char *const[]){(char *)request->user_id}, 1);
  return st;
}
