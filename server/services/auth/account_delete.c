/* DeleteMyAccount and CancelAccountDeletion: deletion is scheduled, not immediate. The
 * request proves the account (password, and a current code when a second factor is on), is
 * refused while the caller is the last owner of a live tenant (counting only owners who are
 * not leaving themselves, so two owners cannot schedule their way out of a tenant together),
 * and ends every session and refresh token at once. The purge (account_purge.c) runs once the
 * grace period has passed; until then CancelAccountDeletion undoes it, and signing in works
 * and reports the date. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/outbox.h"
#include "crypto/password.h"
#include "hub/auth/v1/auth.hub-server.h"
#include "services/auth/auth.h"

#define NAMES_SHOWN 3 /* the message stays within HUB_STATUS_MESSAGE_MAX */

static const hub_pg_stmt owned_sql = {
    "auth_delete_owned",
    "SELECT t.id, t.name FROM members m JOIN tenants t ON t.id = m.tenant_id "
    "WHERE m.user_id = $1::uuid AND m.role = 'owner' AND t.deleted_at IS NULL ORDER BY t.name, t.id",
    1};
/* Run in the tenant: is there an owner besides the caller who is not leaving too? */
static const hub_pg_stmt other_owner_sql = {
    "auth_delete_other_owner",
    "SELECT 1 FROM members m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = hub_current_tenant() "
    "AND m.role = 'owner' AND m.user_id <> $1::uuid AND u.deletion_due_at IS NULL AND u.deleted_at IS NULL LIMIT 1",
    1};
static const hub_pg_stmt schedule_sql = {
    "auth_delete_schedule",
    "UPDATE users SET deletion_requested_at = now(), "
    "deletion_due_at = now() + make_interval(secs => $2::bigint / 1000.0), updated_at = now() "
    "WHERE id = $1::uuid AND deletion_due_at IS NULL AND deleted_at IS NULL "
    "RETURNING extract(epoch FROM deletion_due_at)::bigint AS due_s, "
    "to_char(deletion_due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS due_text",
    2};
static const hub_pg_stmt revoke_refresh_sql = {
    "auth_delete_revoke_refresh",
    "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1::uuid AND revoked_at IS NULL", 1};
static const hub_pg_stmt spend_change_sql = {
    "auth_delete_spend_change",
    "UPDATE account_tokens SET used_at = now() WHERE user_id = $1::uuid AND purpose = 'email_change' AND used_at IS NULL",
    1};
static const hub_pg_stmt cancel_sql = {
    "auth_delete_cancel",
    "UPDATE users SET deletion_requested_at = NULL, deletion_due_at = NULL, updated_at = now() "
    "WHERE id = $1::uuid AND deletion_due_at > now() AND deleted_at IS NULL RETURNING 1",
    1};
static const hub_pg_stmt due_sql = {
    "auth_delete_due",
    "SELECT coalesce(extract(epoch FROM deletion_due_at)::bigint, 0) AS due_s FROM users WHERE id = $1::uuid", 1};

/* ---- when a deletion falls due ---- */

hub_rows *auth_queue_deletion_due(hub_tx *tx, const char *user_id) {
  return hub_tx_exec(tx, &due_sql, (const char *[]){user_id});
}

/* ---- the last-owner rule ---- */

typedef struct owner_ctx {
  const hub_pg_stmt *stmt;
  const char *user_id;
  hub_rows *rows;
} owner_ctx;

static hub_status owner_fn(hub_tx *tx, void *ud) {
  owner_ctx *c = ud;
  c->rows = hub_tx_exec(tx, c->stmt, (const char *[]){c->user_id});
  return HUB_STATUS_OK;
}

/* FAILED_PRECONDITION naming (the first few of) the live tenants whose only staying owner is
 * the caller. The memberships are read as the user (their own rows, every tenant); each
 * tenant's owners in that tenant's own transaction, under its row-level security. */
static hub_status check_not_last_owner(hub_call *call, const char *user_id) {
  hub_arena *a = hub_call_arena(call);
  owner_ctx o = {&owned_sql, user_id, NULL};
  hub_status st = hub_call_tx_as(call, NULL, user_id, owner_fn, &o);
  if (!hub_ok(st)) return st;
  char *names = "";
  int blocked = 0;
  for (int i = 0; i < hub_rows_count(o.rows) && hub_ok(st); i++) {
    owner_ctx c = {&other_owner_sql, user_id, NULL};
    st = hub_call_tx_as(call, hub_rows_text(o.rows, i, "id"), NULL, owner_fn, &c);
    if (hub_ok(st) && hub_rows_count(c.rows) == 0 && blocked++ < NAMES_SHOWN)
      names = hub_arena_sprintf(a, "%s%s\"%s\"", names, blocked > 1 ? ", " : "",
                                hub_status_quote(a, hub_rows_text(o.rows, i, "name")));
  }
  if (!hub_ok(st) || !blocked) return st;
  return hub_status_new(a, HUB_FAILED_PRECONDITION,
                        "you are the last owner of %s%s: make another member owner (or delete the tenant) first", names,
                        blocked > NAMES_SHOWN ? hub_arena_sprintf(a, " and %d more", blocked - NAMES_SHOWN) : "");
}

/* ---- DeleteMyAccount ---- */

typedef struct schedule_ctx {
  const char *user_id, *ip, *brand, *grace_ms;
  int64_t due_s;
  bool scheduled;
} schedule_ctx;

static hub_status schedule_fn(hub_tx *tx, void *ud) {
  schedule_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &schedule_sql, (const char *[]){c->user_id, c->grace_ms}, &r);
  if (!hub_ok(st)) return st;
  c->scheduled = hub_rows_count(r) == 1;
  if (!c->scheduled) return HUB_STATUS_OK;
  c->due_s = hub_rows_int(r, 0, "due_s");
  const char *due_text = hub_rows_text(r, 0, "due_text");
  hub_tx_exec(tx, &revoke_refresh_sql, (const char *[]){c->user_id});
  hub_tx_exec(tx, &spend_change_sql, (const char *[]){c->user_id});
  hub_outbox_write(tx, HUB_OUTBOX_ACCOUNT, "account.deletion_scheduled", c->user_id,
                   auth_json(a, json_pack("{ssss}", "due_at", due_text, "brand", c->brand)));
  hub_audit_account_write(tx, c->user_id, "account.deletion_scheduled", c->ip,
                          auth_json(a, json_pack("{ss}", "due_at", due_text)));
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_delete_my_account(hub_call *call, const Hub__Auth__V1__DeleteMyAccountRequest *request,
                                              Hub__Auth__V1__DeleteMyAccountResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  if (strlen(request->password) > HUB_PASSWORD_MAX_BYTES) /* bytes: the rules bound characters */
    return hub_status_invalid(a, "password", "at most %d bytes", HUB_PASSWORD_MAX_BYTES);
  auth_proof proof;
  hub_status st = auth_prove_password(call, p->user_id, request->password, "account_deletion", &proof);
  if (!hub_ok(st)) return st;
  if (proof.has_mfa) {
    if (!*request->totp_code && !*request->recovery_code)
      return hub_status_invalid(a, "totp_code", "a second factor is on: a current code is required");
    st = auth_check_second_factor(call, p->user_id, request->totp_code, request->recovery_code);
    if (!hub_ok(st)) return st;
  }
  st = check_not_last_owner(call, p->user_id);
  if (!hub_ok(st)) return st;
  schedule_ctx c = {.user_id = p->user_id, .ip = p->ip, .brand = p->brand,
                    .grace_ms = hub_arena_sprintf(a, "%lld", (long long)hub_identity_get()->deletion_grace_ms)};
  st = hub_call_tx(call, schedule_fn, &c);
  if (!hub_ok(st)) return st;
  if (!c.scheduled)
    return hub_status_new(a, HUB_FAILED_PRECONDITION, "a deletion of this account is already scheduled");
  int n = 0;
  /* Every refresh token went with the schedule; what is left are the sessions in Redis. */
  st = hub_session_revoke_all(hub_ctx_of(call)->redis, a, p->user_id, NULL, &n);
  response->deletion_due_at = auth_timestamp(a, c.due_s);
  response->sessions_revoked = n;
  return st;
}

/* ---- CancelAccountDeletion ---- */

typedef struct cancel_ctx {
  const char *user_id, *ip, *brand;
  bool cancelled;
  int64_t due_s;
} cancel_ctx;

static hub_status cancel_fn(hub_tx *tx, void *ud) {
  cancel_ctx *c = ud;
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &cancel_sql, (const char *[]){c->user_id}, &r);
  if (!hub_ok(st)) return st;
  c->cancelled = hub_rows_count(r) == 1;
  if (!c->cancelled) { /* why not: past the grace period, or nothing scheduled */
    r = auth_queue_deletion_due(tx, c->user_id);
    st = hub_tx_flush(tx);
    c->due_s = hub_ok(st) && hub_rows_count(r) == 1 ? hub_rows_int(r, 0, "due_s") : 0;
    return st;
  }
  hub_outbox_write(tx, HUB_OUTBOX_ACCOUNT, "account.deletion_cancelled", c->user_id,
                   auth_json(hub_tx_arena(tx), json_pack("{ss}", "brand", c->brand)));
  hub_audit_account_write(tx, c->user_id, "account.deletion_cancelled", c->ip, NULL);
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_cancel_account_deletion(hub_call *call,
                                                    const Hub__Auth__V1__CancelAccountDeletionRequest *request,
                                                    Hub__Auth__V1__CancelAccountDeletionResponse *response) {
  (void)request;
  (void)response;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  cancel_ctx c = {.user_id = p->user_id, .ip = p->ip, .brand = p->brand};
  hub_status st = hub_call_tx(call, cancel_fn, &c);
  if (!hub_ok(st) || c.cancelled) return st;
  if (c.due_s) return hub_status_new(a, HUB_FAILED_PRECONDITION, "the grace period is over: the account is being deleted");
  return hub_status_new(a, HUB_FAILED_PRECONDITION, "no deletion of this account is scheduled");
}
