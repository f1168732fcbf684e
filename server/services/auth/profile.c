/* GetProfile and UpdateProfile, and the password proof the lifecycle RPCs share (auth.h). GetProfile is its own RPC rather than more WhoAmI
 * fields: WhoAmI answers from the session's access snapshot with no query, and that snapshot
 * rides in every session and is parsed on every call, so it carries only what authorization
 * needs; locale, time zone, avatar and a pending deletion are read from PostgreSQL on request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aip/fields.h"
#include "crypto/password.h"
#include "hub/auth/v1/auth.hub-server.h"
#include "services/auth/auth.h"

#define DISPLAY_NAME_MAX 200

/* A profile's columns, named for the fields of Profile they fill. */
#define PROFILE_COLUMNS                                                                                     \
  "id AS user_id, email, email_verified_at IS NOT NULL AS email_verified, display_name, locale, time_zone, " \
  "avatar_url, date_trunc('second', created_at) AS created_at, "                                           \
  "date_trunc('second', deletion_due_at) AS deletion_due_at"

static const hub_pg_stmt get_sql = {
    "auth_profile_get", "SELECT " PROFILE_COLUMNS " FROM users WHERE id = $1::uuid AND deleted_at IS NULL", 1};
static const hub_pg_stmt update_sql = {
    "auth_profile_update",
    "UPDATE users SET display_name = CASE WHEN $2::bool THEN $3 ELSE display_name END, "
    "locale = CASE WHEN $4::bool THEN NULLIF($5, '') ELSE locale END, "
    "time_zone = CASE WHEN $6::bool THEN NULLIF($7, '') ELSE time_zone END, "
    "avatar_url = CASE WHEN $8::bool THEN NULLIF($9, '') ELSE avatar_url END, updated_at = now() "
    "WHERE id = $1::uuid AND deleted_at IS NULL RETURNING " PROFILE_COLUMNS,
    9};
static const hub_pg_stmt proof_sql = {
    "auth_profile_proof", "SELECT password_hash, email_norm, totp_sealed IS NOT NULL AS has_mfa FROM users WHERE id = $1::uuid", 1};

/* ---- the password proof ---- */

hub_status auth_prove_password(hub_call *call, const char *user_id, const char *password, const char *purpose,
                               auth_proof *out) {
  hub_arena *a = hub_call_arena(call);
  hub_rows *r;
  hub_status st = hub_call_query(call, &proof_sql, (const char *[]){user_id}, &r);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(r) != 1) return hub_status_new(a, HUB_UNAUTHENTICATED, "the account no longer exists");
  const char *phc = hub_rows_text(r, 0, "password_hash"), *email_norm = hub_rows_text(r, 0, "email_norm");
  hub_rate_limit by_account = auth_limit_login_account();
  st = auth_limit(call, &by_account, email_norm);
  if (!hub_ok(st)) return st;
  if (!phc) return hub_status_new(a, HUB_FAILED_PRECONDITION, "this account signs in without a password");
  bool rehash;
  st = hub_password_verify(a, phc, password, hub_call_remaining_ms(call), &rehash);
  if (st.code == HUB_RESOURCE_EXHAUSTED || st.code == HUB_INTERNAL) return st;
  if (!hub_ok(st)) {
    auth_audit(call, user_id, "password.check_failed", auth_json(a, json_pack("{ss}", "purpose", purpose)));
    return hub_status_new(a, HUB_UNAUTHENTICATED, "wrong password");
  }
  out->email_norm = (char *)email_norm;
  out->has_mfa = hub_rows_bool(r, 0, "has_mfa");
  return HUB_STATUS_OK;
}

/* ---- the RPCs ---- */

typedef struct update_ctx {
  const char *user_id, *ip;
  const char *const *params; /* update_sql's */
  const char *audit_detail;
  Hub__Auth__V1__Profile *out;
  bool found;
} update_ctx;

static hub_status update_fn(hub_tx *tx, void *ud) {
  update_ctx *c = ud;
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &update_sql, c->params, &r);
  if (!hub_ok(st)) return st;
  c->found = hub_rows_count(r) == 1;
  if (!c->found) return HUB_STATUS_OK;
  hub_rows_decode(r, 0, &c->out->base);
  hub_audit_account_write(tx, c->user_id, "profile.updated", c->ip, c->audit_detail);
  return HUB_STATUS_OK;
}

static hub_status gone(hub_call *call) {
  return hub_status_new(hub_call_arena(call), HUB_UNAUTHENTICATED, "the account no longer exists");
}

hub_status hub_auth_v1_auth_get_profile(hub_call *call, const Hub__Auth__V1__GetProfileRequest *request,
                                        Hub__Auth__V1__Profile *response) {
  (void)request;
  hub_rows *r;
  hub_status st = hub_call_query(call, &get_sql, (const char *[]){hub_principal_of(call)->user_id}, &r);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(r) != 1) return gone(call);
  hub_rows_decode(r, 0, &response->base);
  return HUB_STATUS_OK;
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
  const Hub__Auth__V1__Profile *in = request->profile; /* required by the contract */
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
  update_ctx c = {.user_id = p->user_id, .ip = p->ip, .params = params,
                  .audit_detail = auth_json(a, json_pack("{so}", "fields", fields)), .out = response};
  st = hub_call_tx(call, update_fn, &c);
  if (hub_ok(st) && !c.found) return gone(call);
  /* WhoAmI shows the display name from the session's snapshot: rebuild it. */
  if (hub_ok(st) && (bits & F_DISPLAY_NAME)) hub_session_clear_acl(hub_ctx_of(call)->redis, a, p->user_id, NULL);
  return st;
}
