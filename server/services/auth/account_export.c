/* ExportMyData: what SMB Hub holds about the caller, as one JSON document. PostgreSQL shapes
 * each section (jsonb_build_object, so values are escaped by the database, never spliced) and
 * jansson puts the document together with the sessions from Redis.
 *
 * What it leaves out, by construction: password hashes, TOTP secrets, recovery-code and token
 * hashes (only counts, purposes and dates), external subjects and provider tokens (issuers
 * only), queued mail (it holds tokens). Tenant audit events are those naming the caller as
 * actor or target; of those, only the action, the time, the caller's part, the client address
 * when the caller acted, and role fields of the detail are kept, because the rest of a row
 * (targets, invitees' addresses, other actors) is about other people.
 *
 * Bounded: at most 500 account events, 200 memberships, 1000 tenant audit events over at most
 * 50 tenants (newest first); a cut list says "truncated": true. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "hub/auth/v1/auth.hub-server.h"
#include "services/auth/auth.h"

#define EXPORT_MAX_BYTES (3 * 1024 * 1024)
#define AUDIT_TOTAL 1000
#define AUDIT_PER_TENANT "100"
#define AUDIT_TENANTS "50"

static const hub_pg_stmt profile_sql = {
    "auth_export_profile",
    "SELECT jsonb_build_object('user_id', u.id, 'email', u.email, 'email_verified_at', u.email_verified_at, "
    "'display_name', u.display_name, 'locale', u.locale, 'time_zone', u.time_zone, 'avatar_url', u.avatar_url, "
    "'platform_admin', u.is_platform_admin, 'created_at', u.created_at, 'updated_at', u.updated_at, "
    "'deletion_requested_at', u.deletion_requested_at, 'deletion_due_at', u.deletion_due_at) AS profile, "
    "jsonb_build_object('totp_enabled', u.totp_sealed IS NOT NULL, 'totp_enrolment_pending', u.totp_pending IS NOT NULL, "
    "'recovery_codes_left', (SELECT count(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL)) "
    "AS second_factor "
    "FROM users u WHERE u.id = $1::uuid AND u.deleted_at IS NULL",
    1};
static const hub_pg_stmt identities_sql = {
    "auth_export_identities",
    "SELECT coalesce(jsonb_agg(jsonb_build_object('issuer', issuer, 'linked_at', created_at) ORDER BY created_at), "
    "'[]') AS items FROM external_identities WHERE user_id = $1::uuid",
    1};
static const hub_pg_stmt memberships_sql = {
    "auth_export_memberships",
    "SELECT coalesce(jsonb_agg(jsonb_build_object('tenant_id', x.tenant_id, 'tenant_name', x.name, "
    "'tenant_deleted', x.deleted, 'role', x.role, 'brands', x.brands, 'extra_permissions', x.permissions, "
    "'joined_at', x.created_at) ORDER BY x.name, x.tenant_id) FILTER (WHERE x.n <= 200), '[]') AS items, "
    "count(*) > 200 AS truncated "
    "FROM (SELECT m.tenant_id, t.name, t.deleted_at IS NOT NULL AS deleted, m.role, m.brands, m.permissions, "
    "m.created_at, row_number() OVER (ORDER BY t.name, m.tenant_id) AS n "
    "FROM members m JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = $1::uuid "
    "ORDER BY t.name, m.tenant_id LIMIT 201) x",
    1};
static const hub_pg_stmt tenants_sql = {
    "auth_export_tenants",
    "SELECT tenant_id FROM members WHERE user_id = $1::uuid ORDER BY created_at DESC, tenant_id LIMIT " AUDIT_TENANTS, 1};
static const hub_pg_stmt tokens_sql = {
    "auth_export_tokens",
    "SELECT coalesce(jsonb_agg(jsonb_build_object('purpose', purpose, 'created_at', created_at, 'expires_at', "
    "expires_at, 'new_email', new_email) ORDER BY created_at), '[]') AS items FROM account_tokens "
    "WHERE user_id = $1::uuid AND used_at IS NULL AND expires_at > now()",
    1};
static const hub_pg_stmt events_sql = {
    "auth_export_events",
    "SELECT coalesce(jsonb_agg(jsonb_build_object('action', e.action, 'ip', e.ip, 'detail', e.detail, 'at', "
    "e.created_at) ORDER BY e.id DESC) FILTER (WHERE e.n <= 500), '[]') AS items, "
    "count(*) > 500 AS truncated "
    "FROM (SELECT id, action, ip, detail, created_at, row_number() OVER (ORDER BY id DESC) AS n FROM account_events "
    "WHERE user_id = $1::uuid ORDER BY id DESC LIMIT 501) e",
    1};
/* In one tenant's transaction: the events naming the caller, reduced to the caller's part. */
static const hub_pg_stmt audit_sql = {
    "auth_export_audit",
    "SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('tenant_id', e.tenant_id, 'action', e.action, "
    "'as', CASE WHEN e.actor_id = $1::uuid THEN 'actor' ELSE 'target' END, "
    "'ip', CASE WHEN e.actor_id = $1::uuid THEN e.ip END, 'at', e.created_at, "
    "'detail', jsonb_strip_nulls(jsonb_build_object('role', e.detail->'role', 'old_role', e.detail->'old_role', "
    "'new_role', e.detail->'new_role', 'reason', e.detail->'reason')))) ORDER BY e.id DESC), '[]') AS items, "
    "count(*) AS count "
    "FROM (SELECT * FROM audit_events WHERE tenant_id = hub_current_tenant() "
    "AND (actor_id = $1::uuid OR target = $1::text) ORDER BY id DESC LIMIT $2::int) e",
    2};

/* The account's sections, read as the user in one round trip. */
typedef struct account_ctx {
  const char *user_id;
  hub_rows *profile, *identities, *memberships, *tokens, *events, *tenants;
} account_ctx;

static hub_status account_fn(hub_tx *tx, void *ud) {
  account_ctx *c = ud;
  const char *const id[] = {c->user_id};
  c->profile = hub_tx_exec(tx, &profile_sql, id);
  c->identities = hub_tx_exec(tx, &identities_sql, id);
  c->memberships = hub_tx_exec(tx, &memberships_sql, id);
  c->tokens = hub_tx_exec(tx, &tokens_sql, id);
  c->events = hub_tx_exec(tx, &events_sql, id);
  c->tenants = hub_tx_exec(tx, &tenants_sql, id);
  return HUB_STATUS_OK;
}

/* Parses a jsonb column of a one-row result; an unparsable one is an internal error. */
static hub_status parse(hub_arena *a, const hub_rows *r, const char *column, json_t **out) {
  json_error_t err;
  *out = hub_rows_count(r) == 1 ? json_loads(hub_rows_text(r, 0, column), 0, &err) : NULL;
  return *out ? HUB_STATUS_OK : hub_status_new(a, HUB_INTERNAL, "export section unreadable");
}

/* doc[key] = the section's jsonb column (when `wrap`, as {"items": ..., "truncated": <the
 * truncated column>}); nothing when the section has no row. */
static hub_status take(hub_arena *a, const hub_rows *r, const char *column, bool wrap, json_t *doc, const char *key) {
  if (hub_rows_count(r) != 1) return HUB_STATUS_OK;
  json_t *v;
  hub_status st = parse(a, r, column, &v);
  if (!hub_ok(st)) return st;
  if (wrap) v = json_pack("{sosb}", "items", v, "truncated", hub_rows_bool(r, 0, "truncated"));
  json_object_set_new(doc, key, v);
  return HUB_STATUS_OK;
}

/* In one tenant's transaction: the events naming the caller, up to `limit`. */
typedef struct audit_ctx {
  const char *user_id, *limit;
  hub_rows *rows;
} audit_ctx;

static hub_status audit_fn(hub_tx *tx, void *ud) {
  audit_ctx *c = ud;
  c->rows = hub_tx_exec(tx, &audit_sql, (const char *[]){c->user_id, c->limit});
  return HUB_STATUS_OK;
}

static json_t *iso(int64_t ms) {
  char buf[32];
  time_t s = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&s, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return json_string(buf);
}

/* The caller's live sessions, from Redis. */
static hub_status sessions(hub_call *call, const char *user_id, json_t **out) {
  hub_arena *a = hub_call_arena(call);
  hub_session *s;
  size_t n;
  hub_status st = hub_session_list(hub_ctx_of(call)->redis, a, user_id, hub_clock_wall_ms(), &s, &n);
  if (!hub_ok(st)) return st;
  *out = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(*out, json_pack("{sssssssssssoso}", "id", s[i].id, "tenant_id", s[i].tenant_id, "brand",
                                          s[i].brand, "ip", s[i].ip, "user_agent", s[i].user_agent, "created_at",
                                          iso(s[i].created_ms), "last_seen_at", iso(s[i].last_seen_ms)));
  return HUB_STATUS_OK;
}

static hub_status build(hub_call *call, const char *user_id, json_t *doc) {
  hub_arena *a = hub_call_arena(call);
  account_ctx c = {.user_id = user_id};
  hub_status st = hub_call_tx_as(call, NULL, user_id, account_fn, &c);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(c.profile) != 1) return hub_status_new(a, HUB_UNAUTHENTICATED, "the account no longer exists");
  st = take(a, c.profile, "profile", false, doc, "profile");
  if (hub_ok(st)) st = take(a, c.profile, "second_factor", false, doc, "second_factor");
  if (hub_ok(st)) st = take(a, c.identities, "items", false, doc, "external_identities");
  if (hub_ok(st)) st = take(a, c.memberships, "items", true, doc, "memberships");
  if (hub_ok(st)) st = take(a, c.tokens, "items", false, doc, "pending_tokens");
  if (hub_ok(st)) st = take(a, c.events, "items", true, doc, "account_events");
  if (!hub_ok(st)) return st;
  json_t *audit = json_array();
  int n_tenants = hub_rows_count(c.tenants);
  bool truncated = n_tenants >= atoi(AUDIT_TENANTS);
  int total = 0;
  for (int i = 0; i < n_tenants && hub_ok(st); i++) {
    int room = AUDIT_TOTAL - total;
    if (room <= 0) {
      truncated = true;
      break;
    }
    int per = atoi(AUDIT_PER_TENANT) < room ? atoi(AUDIT_PER_TENANT) : room;
    audit_ctx ac = {user_id, hub_arena_sprintf(a, "%d", per), NULL};
    st = hub_call_tx_as(call, hub_rows_text(c.tenants, i, "tenant_id"), NULL, audit_fn, &ac);
    json_t *items = NULL;
    if (hub_ok(st)) st = parse(a, ac.rows, "items", &items);
    if (hub_ok(st)) {
      int count = (int)hub_rows_int(ac.rows, 0, "count");
      json_array_extend(audit, items);
      total += count;
      truncated = truncated || count == per;
    }
    json_decref(items);
  }
  json_object_set_new(doc, "tenant_audit_events", json_pack("{sosb}", "items", audit, "truncated", truncated));
  if (!hub_ok(st)) return st;
  json_t *live = NULL;
  st = sessions(call, user_id, &live);
  if (hub_ok(st)) json_object_set_new(doc, "sessions", live);
  return st;
}

hub_status hub_auth_v1_auth_export_my_data(hub_call *call, const Hub__Auth__V1__ExportMyDataRequest *request,
                                           Hub__Auth__V1__ExportMyDataResponse *response) {
  (void)request;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  int64_t now_ms = hub_clock_wall_ms();
  json_t *doc = json_object();
  hub_status st = build(call, p->user_id, doc);
  json_object_set_new(doc, "format", json_string("smbhub.account_export.v1"));
  json_object_set_new(doc, "generated_at", iso(now_ms));
  char *text = hub_ok(st) ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(doc);
  if (!hub_ok(st)) return st;
  if (!text) return hub_status_new(a, HUB_INTERNAL, "the export could not be written");
  size_t len = strlen(text);
  if (len > EXPORT_MAX_BYTES) {
    free(text);
    return hub_status_new(a, HUB_RESOURCE_EXHAUSTED, "the export is larger than %d bytes", EXPORT_MAX_BYTES);
  }
  response->json = hub_arena_strndup(a, text, len);
  free(text);
  response->generated_at = auth_timestamp(a, now_ms / 1000);
  auth_audit(call, p->user_id, "account.exported", hub_arena_sprintf(a, "{\"bytes\":%zu}", len));
  return HUB_STATUS_OK;
}
