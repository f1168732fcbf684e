/* SQL of memberships and invitations, always in the call's tenant (row-level security hides
 * every other tenant's rows, so another tenant's member is simply NOT_FOUND). */
#ifndef HUB_TENANT_MEMBER_STORE_H
#define HUB_TENANT_MEMBER_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "db/pg.h"
#include "hub/tenant/v1/tenant.pb-c.h"

typedef struct tenant_invite {
  const char *tenant_id, *actor_id, *ip, *brand; /* brand: the mail's look */
  const char *email, *email_norm, *role;
  const char *brands, *permissions; /* text[] literals, validated */
  const char *token, *token_hash;   /* the token goes to the outbox only; its SHA-256 (hex) is kept */
} tenant_invite;

/* Stores the invitation (expiring in 7 days; a pending one to the same address is revoked),
 * queues its mail in the outbox and audits member.invited. The role is checked again against
 * the inviter's committed role. ALREADY_EXISTS when the address belongs to a member. *id and
 * *expires_micros are arena strings. */
hub_status tenant_member_invite(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_invite *in, char **id,
                                char **expires_micros);

/* Spends the invitation whose token hashes to token_hash in tenant_id and makes user_id a
 * member. NOT_FOUND: no such invitation (or the tenant is deleted); FAILED_PRECONDITION:
 * used, revoked or expired; PERMISSION_DENIED: it is for another address; ALREADY_EXISTS:
 * already a member. */
hub_status tenant_member_accept(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id,
                                const char *user_id, const char *ip, const char *token_hash,
                                Hub__Tenant__V1__Member **out);

/* One page of members by (normalised email, user id); when another page follows,
 * *next_email is the last row's normalised email (for the page token), else NULL. */
hub_status tenant_member_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, int limit,
                              const char *after_email, const char *after_id, Hub__Tenant__V1__ListMembersResponse *out,
                              char **next_email);

enum { TENANT_MEMBER_ROLE = 1u << 0, TENANT_MEMBER_BRANDS = 1u << 1, TENANT_MEMBER_PERMISSIONS = 1u << 2 };
typedef struct tenant_member_change {
  const char *tenant_id, *actor_id, *ip, *user_id;
  unsigned bits;
  int64_t etag; /* -1: no check */
  const char *role, *brands, *permissions; /* new values; text[] literals for the lists */
} tenant_member_change;

/* Applies the member rules (member_rules.h) with the tenant's owner rows, the target and the
 * actor locked (the actor's role is read there, not from their session), then the change;
 * audits member.updated. NOT_FOUND, ABORTED on a stale etag. */
hub_status tenant_member_update(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_member_change *c,
                                Hub__Tenant__V1__Member **out);

/* The same for removal; audits member.removed. */
hub_status tenant_member_remove(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id,
                                const char *actor_id, const char *ip, const char *user_id);

#endif
