/* GetProfile and UpdateProfile, and what the lifecycle files share (lifecycle.h): the profile
 * row, timestamps and the password proof. GetProfile is its own RPC rather than more WhoAmI
 * fields: WhoAmI answers from the session's access snapshot with no query, and that snapshot
 * rides in every session and is parsed on every call, so it carries only what authorization
 * needs; locale, time zone, avatar and a pending deletion are read from PostgreSQL on request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aip/fields.h"
#include "crypto/password.h"
#include "hub/auth/v1/auth.hub-server.h"
#include "identity/audit.h"
#include "services/auth/lifecycle.h"

#define DISPLAY_NAME_MAX 200

static const hub_pg_stmt get_sql = {
    "auth_profile_get", "SELECT " AUTH_PROFILE_COLS " FROM users WHERE id = $1::uuid AND deleted_at IS NULL", 1};
static const hub_pg_stmt update_sql = {
    "auth_profile_update",
    "UPDATE users SET display_name = CASE WHEN $2::bool THEN $3 ELSE display_name END, "
    "locale = CASE WHEN $4::bool THEN NULLIF($5, '') ELSE locale END, "
    "time_zone = CASE WHEN $6::bool THEN NULLIF($7, '') ELSE time_zone END, "
    "avatar_url = CASE WHEN $8::bool THEN NULLIF($9, '') ELSE avatar_url END, updated_at = now() "
    "WHERE id = $1::uuid AND deleted_at IS NULL RETURNING " AUTH_PROFILE_COLS,
    9};
static const hub_pg_stmt proof_sql = {
    "auth_profile_proof", "SELECT password_hash, email_norm, totp_sealed IS NOT NULL FROM users WHERE id = $1::uuid", 1};

char *auth_json(hub_arena *a, json_t *o) {
  char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(o);
  char *out = hub_arena_strdup(a, text ? text : "{}");
  free(text);
  return out;
}

Google__Protobuf__Timestamp *auth_timestamp(hub_arena *a, int64_t seconds) {
  Google__Protobuf__Timestamp *ts = hub_arena_alloc(a, sizeof *ts);
  google__protobuf__timestamp__init(ts);
  ts->seconds = seconds;
  return ts;
}

void auth_profile_row(hub_arena *a, const PGresult *res, int row, Hub__Auth__V1__Profile *out) {
  out->user_id = hub_arena_strdup(a, PQgetvalue(res, row, 0));
  out->email = hub_arena_strdup(a, PQgetvalue(res, row, 1));
  out->email_verified = PQgetvalue(res, row, 2)[0] == 't';
  out->display_name = hub_arena_strdup(a, PQgetvalue(res, row, 3));
  out->locale = hub_arena_strdup(a, PQgetvalue(res, row, 4));
  out->time_zone = hub_arena_strdup(a, PQgetvalue(res, row, 5));
  out->avatar_url = hub_arena_strdup(a, PQgetvalue(res, row, 6));
  out->created_at = auth_timestamp(a, strtoll(PQgetvalue(res, row, 7), NULL, 10));
  int64_t due = strtoll(PQgetvalue(res, row, 8), NULL, 10);
  out->deletion_due_at = due ? auth_timestamp(a, due) : NULL;
}

/* ---- the password proof ---- */

typedef struct proof_ctx {
  const char *user_id;
  char *phc, *email_norm;
  bool found, has_mfa;
} proof_ctx;

static hub_status proof_fn(hub_pg *pg, hub_arena *a, void *ud) {
  proof_ctx *c = ud;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &proof_sql, (const char *[]){c->user_id}, &res);
  if (!hub_ok(st)) return st;
  c->found = PQntuples(res) == 1;
  if (c->found) {
    c->phc = PQgetisnull(res, 0, 0) ? NULL : hub_arena_strdup(a, PQgetvalue(res, 0, 0));
    c->email_norm = hub_arena_strdup(a, PQgetvalue(res, 0, 1));
    c->has_mfa = PQgetvalue(res, 0, 2)[0] == 't';
  }
  PQclear(res);
  return HUB_STATUS_OK;
}

hub_status auth_prove_password(hub_call *call, const char *user_id, const char *password, const char *purpose,
                               auth_proof *out) {
  hub_arena *a = hub_call_arena(call);
  proof_ctx c = {.user_id = user_id};
  hub_status st = hub_pg_tx(hub_ctx_of(call)->pg, a, NULL, hub_call_remaining_ms(call), proof_fn, &c);
  if (!hub_ok(st)) return st;
  if (!c.found) return hub_status_new(a, HUB_UNAUTHENTICATED, "the account no longer exists");
  hub_rate_limit by_account = auth_limit_login_account();
  st = auth_limit(call, &by_account, c.email_norm);
  if (!hub_ok(st)) return st;
  if (!c.phc) return hub_status_new(a, HUB_FAILED_PRECONDITION, "this account signs in without a password");
  bool rehash;
  st = hub_password_verify(a, c.phc, password, hub_call_remaining_ms(call), &rehash);
  if (st.code == HUB_RESOURCE_EXHAUSTED || st.code == HUB_INTERNAL) return st;
  if (!hub_ok(st)) {
    auth_audit(call, user_id, "password.check_failed", auth_json(a, json_pack("{ss}", "purpose", purpose)));
    return hub_status_new(a, HUB_UNAUTHENTICATED, "wrong password");
  }
  out->email_norm = c.email_norm;
  out->has_mfa = c.has_mfa;
  return HUB_STATUS_OK;
}

/* ---- the RPCs ---- */

typedef struct profile_ctx {
  const char *user_id, *ip;
  const char *const *params; /* update_sql's, NULL for a read */
  const char *audit_detail;
  Hub__Auth__V1__Profile *out;
  bool found;
} profile_ctx;

static hub_status profile_fn(hub_pg *pg, hub_arena *a, void *ud) {
  profile_ctx *c = ud;
  PGresult *res = NULL;
  hub_status st = c->params ? hub_pg_exec(pg, a, &update_sql, c->params, &res)
                            : hub_pg_exec(pg, a, &get_sql, (const char *[]){c->user_id}, &res);
  if (!hub_ok(st)) return st;
  c->found = PQntuples(res) == 1;
  if (c->found) auth_profile_row(a, res, 0, c->out);
  PQclear(res);
  if (c->found && c->params) st = hub_audit_account(pg, a, c->user_id, "profile.updated", c->ip, c->audit_detail);
  return st;
}

static hub_status run(hub_call *call, profile_ctx *c) {
  hub_status st = hub_pg_tx(hub_ctx_of(call)->pg, hub_call_arena(call), NULL, hub_call_remaining_ms(call), profile_fn, c);
  if (hub_ok(st) && !c->found) return hub_status_new(hub_call_arena(call), HUB_UNAUTHENTICATED, "the account no longer exists");
  return st;
}

hub_status hub_auth_v1_auth_get_profile(hub_call *call, const Hub__Auth__V1__GetProfileRequest *request,
                                        Hub__Auth__V1__Profile *response) {
  (void)request;
  const hub_principal *p = hub_principal_of(call);
  profile_ctx c = {.user_id = p->user_id, .out = response};
  return run(call, &c);
}

enum { F_DISPLAY_NAME = 1u << 0, F_LOCALE = 1u << 1, F_TIME_ZONE = 1u << 2, F_AVATAR_URL = 1u << 3 };

hub_status hub_auth_v1_auth_update_profile(hub_call *call, const Hub__Auth__V1__UpdateProfileRequest *request,
                                           Hub__Auth__V1__Profile *response) {
  static const char *const paths[] = {"display_name", "locale", "time_zone", "avatar_url", NULL};
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  unsigned bits;
  hub_status st = hub_update_mask(a, request->update_mask, paths, &bits);
  if (!hub_ok(st)) return st;
  const Hub__Auth__V1__Profile *in = request->profile;
  if (!in) return hub_status_invalid(a, "profile", "required");
  const char *locale = "";
  if ((bits & F_DISPLAY_NAME) && !hub_text_ok(in->display_name, DISPLAY_NAME_MAX, false))
    return hub_status_invalid(a, "profile.display_name", "one line of at most %d bytes of UTF-8", DISPLAY_NAME_MAX);
  if ((bits & F_LOCALE) && *in->locale && !(locale = auth_locale_canonical(a, in->locale)))
    return hub_status_invalid(a, "profile.locale", "not a BCP 47 language tag (e.g. \"en\", \"de-CH\")");
  if ((bits & F_TIME_ZONE) && *in->time_zone && !auth_time_zone_ok(in->time_zone))
    return hub_status_invalid(a, "profile.time_zone", "not an IANA time zone (e.g. \"Europe/Zurich\")");
  if ((bits & F_AVATAR_URL) && *in->avatar_url && !hub_https_url_ok(in->avatar_url))
    return hub_status_invalid(a, "profile.avatar_url", "an https URL of at most 2048 bytes");

  json_t *fields = json_array();
  for (int i = 0; paths[i]; i++)
    if (bits & (1u << i)) json_array_append_new(fields, json_string(paths[i]));
  const char *params[] = {p->user_id,
                          bits & F_DISPLAY_NAME ? "true" : "false", in->display_name,
                          bits & F_LOCALE ? "true" : "false", locale,
                          bits & F_TIME_ZONE ? "true" : "false", in->time_zone,
                          bits & F_AVATAR_URL ? "true" : "false", in->avatar_url};
  profile_ctx c = {.user_id = p->user_id, .ip = p->ip, .params = params,
                   .audit_detail = auth_json(a, json_pack("{so}", "fields", fields)), .out = response};
  st = run(call, &c);
  /* WhoAmI shows the display name from the session's snapshot: rebuild it. */
  if (hub_ok(st) && (bits & F_DISPLAY_NAME)) hub_session_clear_acl(hub_ctx_of(call)->redis, a, p->user_id, NULL);
  return st;
}
