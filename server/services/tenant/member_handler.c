/* Member RPCs of hub.tenant.v1.Tenant: InviteMember, AcceptInvitation, ListMembers,
 * UpdateMember and RemoveMember. Handlers validate and map; the rules are in member_rules.c
 * and the SQL in member_store.c. Every change clears the affected user's access snapshot.
 *
 * Invitation tokens are "<tenant id>.<43 base64url characters>" (256 random bits): the
 * prefix lets AcceptInvitation act in the right tenant under row-level security; only the
 * token's SHA-256 is stored, and the token itself leaves only through the outbox (mail). */
#include <string.h>

#include "crypto/random.h"
#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/brands.h"
#include "identity/principal.h"
#include "services/context.h"
#include "services/tenant/convert.h"
#include "services/tenant/tenant.h"
#include "services/tenant/member_store.h"
#include "services/tenant/refresh.h"

#define TOKEN_SECRET_LEN 43

static void copy_member(Hub__Tenant__V1__Member *dst, const Hub__Tenant__V1__Member *src) {
  ProtobufCMessage base = dst->base;
  *dst = *src;
  dst->base = base;
}

/* Brands a member (or service account) may be limited to: see validate.h. */
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

hub_status hub_tenant_v1_tenant_invite_member(hub_call *call, const Hub__Tenant__V1__InviteMemberRequest *request,
                                              Hub__Tenant__V1__InviteMemberResponse *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  if (!hub_email_valid(request->email)) return hub_status_invalid(a, "email", "not an email address");
  hub_status st = tenant_rule_role(a, p->acl.role, "role", request->role);
  if (hub_ok(st)) st = tenant_check_brands(call, "brands", request->brands, request->n_brands);
  if (hub_ok(st)) st = tenant_rule_grants(a, &p->acl, "permissions", request->permissions, request->n_permissions);
  if (!hub_ok(st)) return st;

  char *secret = hub_random_token(a, 32);
  if (!secret || strlen(secret) != TOKEN_SECRET_LEN) return hub_status_new(a, HUB_INTERNAL, "no randomness available");
  char *token = hub_arena_sprintf(a, "%s.%s", p->tenant_id, secret);
  tenant_invite in = {.tenant_id = p->tenant_id,
                      .actor_id = p->user_id,
                      .ip = p->ip,
                      .brand = p->brand,
                      .email = request->email,
                      .email_norm = tenant_lower(a, request->email),
                      .role = request->role,
                      .brands = hub_pg_array_literal(a, request->brands, request->n_brands),
                      .permissions = hub_pg_array_literal(a, request->permissions, request->n_permissions),
                      .token = token,
                      .token_hash = hub_sha256_hex(a, token)};
  char *id = NULL, *expires = NULL;
  st = tenant_member_invite(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), &in, &id, &expires);
  if (!hub_ok(st)) return st;
  response->invitation_id = id;
  response->expires_at = tenant_timestamp(a, expires);
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_accept_invitation(hub_call *call,
                                                  const Hub__Tenant__V1__AcceptInvitationRequest *request,
                                                  Hub__Tenant__V1__Member *response) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  const char *token = request->token;
  if (strlen(token) != 36 + 1 + TOKEN_SECRET_LEN || token[36] != '.')
    return hub_status_invalid(a, "token", "not an invitation token");
  const char *tenant_id = hub_uuid_lower(a, hub_arena_strndup(a, token, 36));
  if (!tenant_id) return hub_status_invalid(a, "token", "not an invitation token");
  for (const char *c = token + 37; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
      return hub_status_invalid(a, "token", "not an invitation token");
  Hub__Tenant__V1__Member *m;
  hub_status st = tenant_member_accept(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), tenant_id, p->user_id,
                                       p->ip, hub_sha256_hex(a, token), &m);
  if (!hub_ok(st)) return st;
  tenant_refresh_access(call, tenant_id, (char *const[]){(char *)p->user_id}, 1);
  copy_member(response, m);
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_list_members(hub_call *call, const Hub__Tenant__V1__ListMembersRequest *request,
                                             Hub__Tenant__V1__ListMembersResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *after_id = NULL, *after_email = NULL;
  if (request->page_token[0] &&
      (!hub_page_token_parse(a, request->page_token, &after_id, &after_email) || !hub_uuid_lower(a, after_id) ||
       !tenant_text_ok(after_email, 254, false)))
    return hub_status_invalid(a, "page_token", "not a page token of this list");
  char *next_email = NULL;
  st = tenant_member_list(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), hub_principal_of(call)->tenant_id,
                          limit, after_email, after_id, response, &next_email);
  if (!hub_ok(st)) return st;
  response->page = hub_arena_alloc(a, sizeof *response->page);
  hub__api__v1__page_info__init(response->page);
  if (next_email && response->n_members)
    response->page->next_page_token =
        hub_page_token(a, response->members[response->n_members - 1]->user_id, next_email);
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_update_member(hub_call *call, const Hub__Tenant__V1__UpdateMemberRequest *request,
                                              Hub__Tenant__V1__Member *response) {
  static const char *const paths[] = {"role", "brands", "permissions", NULL};
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  tenant_member_change c = {.tenant_id = p->tenant_id, .actor_id = p->user_id, .ip = p->ip};
  hub_status st = tenant_mask(a, request->update_mask, paths, &c.bits);
  if (hub_ok(st)) st = tenant_etag(a, request->etag, &c.etag);
  if (!hub_ok(st)) return st;
  const Hub__Tenant__V1__Member *m = request->member;
  if (!m) return hub_status_invalid(a, "member", "required");
  if (!(c.user_id = hub_uuid_lower(a, m->user_id))) return hub_status_invalid(a, "member.user_id", "not a user id");
  if (c.bits & TENANT_MEMBER_ROLE) {
    if (!hub_ok(st = tenant_rule_role(a, p->acl.role, "member.role", m->role))) return st;
    c.role = m->role;
  }
  if (c.bits & TENANT_MEMBER_BRANDS) {
    if (!hub_ok(st = tenant_check_brands(call, "member.brands", m->brands, m->n_brands))) return st;
    c.brands = hub_pg_array_literal(a, m->brands, m->n_brands);
  }
  if (c.bits & TENANT_MEMBER_PERMISSIONS) {
    if (!hub_ok(st = tenant_rule_grants(a, &p->acl, "member.permissions", m->permissions, m->n_permissions))) return st;
    c.permissions = hub_pg_array_literal(a, m->permissions, m->n_permissions);
  }
  Hub__Tenant__V1__Member *out;
  st = hub_status_at_field(a, tenant_member_update(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), &c, &out),
                           "member.user_id");
  if (!hub_ok(st)) return st;
  tenant_refresh_access(call, p->tenant_id, (char *const[]){(char *)c.user_id}, 1);
  copy_member(response, out);
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_remove_member(hub_call *call, const Hub__Tenant__V1__RemoveMemberRequest *request,
                                              Hub__Tenant__V1__RemoveMemberResponse *response) {
  (void)response;
  hub_arena *a = hub_call_arena(call);
  const hub_principal *p = hub_principal_of(call);
  const char *user_id = hub_uuid_lower(a, request->user_id);
  if (!user_id) return hub_status_invalid(a, "user_id", "not a user id");
  hub_status st = hub_status_at_field(a,
                                      tenant_member_remove(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call),
                                                           p->tenant_id, p->user_id, p->ip, user_id),
                                      "user_id");
  if (hub_ok(st)) tenant_refresh_access(call, p->tenant_id, (char *const[]){(char *)user_id}, 1);
  return st;
}
