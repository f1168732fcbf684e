/* The signed-in caller's own things: WhoAmI, Logout, SwitchTenant, sessions, and the JWKS
 * (public). */
#include <stdio.h>
#include <string.h>

#include "hub/auth/v1/auth.hub-server.h"
#include "crypto/random.h"
#include "services/auth/auth.h"

static const hub_pg_stmt retire_sql = {
    "auth_retire_refresh",
    "UPDATE refresh_tokens SET revoked_at = now() WHERE session_id = $1 AND spent_at IS NULL AND revoked_at IS NULL", 1};

/* Answered from the principal alone: the access snapshot in the session carries the account
 * facts WhoAmI reports, so this is the cost of the authn path itself (no PostgreSQL). */
hub_status hub_auth_v1_auth_who_am_i(hub_call *call, const Hub__Auth__V1__WhoAmIRequest *request,
                                     Hub__Auth__V1__WhoAmIResponse *response) {
  (void)request;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  response->user_id = hub_arena_strdup(a, p->user_id);
  response->email = hub_arena_strdup(a, p->acl.email);
  response->display_name = hub_arena_strdup(a, p->acl.display_name);
  response->session_id = hub_arena_strdup(a, p->session_id);
  response->tenant_id = hub_arena_strdup(a, p->tenant_id);
  response->brand = hub_arena_strdup(a, p->brand);
  response->role = hub_arena_strdup(a, p->acl.role);
  response->email_verified = p->acl.email_verified;
  response->mfa_enabled = p->acl.mfa_enabled;
  response->platform_admin = p->acl.platform_admin;
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_logout(hub_call *call, const Hub__Auth__V1__LogoutRequest *request,
                                   Hub__Auth__V1__LogoutResponse *response) {
  (void)request;
  (void)response;
  const hub_principal *p = hub_principal_of(call);
  hub_status st = auth_end_session(call, p->user_id, p->session_id);
  if (st.code == HUB_NOT_FOUND) st = HUB_STATUS_OK; /* already over: logging out twice is fine */
  if (hub_ok(st)) auth_audit(call, p->user_id, "logout", NULL);
  return st;
}

typedef struct switched {
  const hub_principal *p;
  const auth_grant *g;
} switched;

/* With the new pair's refresh token, in one round trip: the session's older refresh tokens
 * retire (not a replay: they simply stop working), so only the pair acting in the new tenant
 * lives on; and the audit. */
static hub_status switched_fn(hub_tx *tx, void *ud) {
  switched *s = ud;
  hub_tx_exec(tx, &retire_sql, (const char *[]){s->p->session_id});
  hub_audit_account_write(tx, s->p->user_id, "session.switched_tenant", s->p->ip,
                          hub_arena_sprintf(hub_tx_arena(tx), "{\"tenant_id\":\"%s\",\"brand\":\"%s\"}",
                                            s->g->tenant_id, s->g->brand));
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_switch_tenant(hub_call *call, const Hub__Auth__V1__SwitchTenantRequest *request,
                                          Hub__Auth__V1__TokenPair *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  auth_grant g = {0};
  hub_status st = auth_choose_context(call, p->user_id, request->tenant_id, request->brand, &g);
  if (!hub_ok(st)) return st;
  st = hub_session_set_context(hub_ctx_of(call)->redis, a, p->user_id, p->session_id, g.tenant_id, g.brand,
                               hub_acl_format(&g.acl, a));
  if (st.code == HUB_NOT_FOUND) return hub_status_new(a, HUB_UNAUTHENTICATED, "the session has ended; sign in again");
  if (!hub_ok(st)) return st;
  switched s = {p, &g};
  Hub__Auth__V1__TokenPair *pair;
  st = auth_mint_pair(call, p->user_id, p->session_id, g.tenant_id, g.brand, switched_fn, &s, &pair);
  if (!hub_ok(st)) return st;
  *response = *pair;
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_get_jwks(hub_call *call, const Hub__Auth__V1__GetJwksRequest *request,
                                     Hub__Auth__V1__GetJwksResponse *response) {
  (void)request;
  const hub_identity *id = hub_identity_get();
  response->jwks_json = hub_keyring_jwks(id->keys, hub_call_arena(call));
  response->issuer = (char *)id->issuer;
  response->audience = (char *)id->audience;
  return response->jwks_json ? HUB_STATUS_OK : hub_status_new(hub_call_arena(call), HUB_INTERNAL, "no keys");
}

hub_status hub_auth_v1_auth_list_sessions(hub_call *call, const Hub__Auth__V1__ListSessionsRequest *request,
                                          Hub__Auth__V1__ListSessionsResponse *response) {
  (void)request;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  hub_session *s;
  size_t n;
  hub_status st = hub_session_list(hub_ctx_of(call)->redis, a, p->user_id, hub_clock_wall_ms(), &s, &n);
  if (!hub_ok(st)) return st;
  response->sessions = hub_arena_calloc(a, n ? n : 1, sizeof *response->sessions);
  for (size_t i = 0; i < n; i++) {
    Hub__Auth__V1__Session *m = hub_arena_alloc(a, sizeof *m);
    hub__auth__v1__session__init(m);
    m->id = hub_arena_strdup(a, s[i].id);
    m->tenant_id = hub_arena_strdup(a, s[i].tenant_id);
    m->brand = hub_arena_strdup(a, s[i].brand);
    m->ip = hub_arena_strdup(a, s[i].ip);
    m->user_agent = hub_arena_strdup(a, s[i].user_agent);
    Google__Protobuf__Timestamp *c = hub_arena_alloc(a, sizeof *c), *l = hub_arena_alloc(a, sizeof *l);
    google__protobuf__timestamp__init(c);
    google__protobuf__timestamp__init(l);
    c->seconds = s[i].created_ms / 1000;
    l->seconds = s[i].last_seen_ms / 1000;
    m->created_at = c;
    m->last_seen_at = l;
    m->current = strcmp(s[i].id, p->session_id) == 0;
    response->sessions[response->n_sessions++] = m;
  }
  return HUB_STATUS_OK;
}

hub_status hub_auth_v1_auth_revoke_session(hub_call *call, const Hub__Auth__V1__RevokeSessionRequest *request,
                                           Hub__Auth__V1__RevokeSessionResponse *response) {
  (void)response;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  const char *sid = request->session_id;
  size_t n = strlen(sid);
  if (n != 32 || strspn(sid, "0123456789abcdef") != n) return hub_status_invalid(a, "session_id", "not a session id");
  hub_status st = auth_end_session(call, p->user_id, sid);
  if (st.code == HUB_NOT_FOUND) return hub_status_fixed(HUB_NOT_FOUND, "session_id: no such session");
  if (hub_ok(st)) auth_audit(call, p->user_id, "session.revoked", hub_arena_sprintf(a, "{\"session_id\":\"%s\"}", sid));
  return st;
}

hub_status hub_auth_v1_auth_revoke_all_sessions(hub_call *call, const Hub__Auth__V1__RevokeAllSessionsRequest *request,
                                                Hub__Auth__V1__RevokeAllSessionsResponse *response) {
  (void)request;
  const hub_principal *p = hub_principal_of(call);
  int n = 0;
  hub_status st = auth_end_other_sessions(call, p->user_id, p->session_id, &n);
  response->sessions_revoked = n;
  if (hub_ok(st))
    auth_audit(call, p->user_id, "session.revoked_all",
               hub_arena_sprintf(hub_call_arena(call), "{\"count\":%d}", n));
  return st;
}
