/* SQL of tenants and their entitlements. Every transaction sets the tenant it acts on (RLS
 * shows nothing else), except listing, which sets only the user: the members_mine and
 * tenants_mine policies then show the caller's own tenants across the platform. */
#ifndef HUB_TENANT_TENANT_STORE_H
#define HUB_TENANT_TENANT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "db/pg.h"
#include "hub/tenant/v1/tenant.pb-c.h"
#include "services/tenant/api.h"

/* Creates the tenant with its owner and the home brand entitled with all of that brand's
 * modules, or, when a tenant with this id exists already (a repeated request), returns it.
 * ALREADY_EXISTS when the slug is taken; NOT_FOUND when the existing tenant is deleted or
 * the caller is no longer its member. */
hub_status tenant_create(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const hub_tenant_new *in,
                         Hub__Tenant__V1__TenantInfo **out);

/* tenant_create inside the caller's transaction: hub_tenant_create_in_tx, in api.h. */

/* The tenant with its entitlements; NOT_FOUND when deleted or not there. */
hub_status tenant_get(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id,
                      Hub__Tenant__V1__TenantInfo **out);

/* One page (limit rows) of the user's live tenants by (name, id) after (after_name,
 * after_id) when those are set; *more tells whether another page follows. */
hub_status tenant_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *user_id, int limit,
                       const char *after_name, const char *after_id, Hub__Tenant__V1__ListTenantsResponse *out,
                       bool *more);

enum { TENANT_NAME = 1u << 0, TENANT_SLUG = 1u << 1 };
typedef struct tenant_update {
  const char *tenant_id, *actor_id, *ip;
  unsigned bits;
  int64_t etag; /* -1: no check */
  const char *name, *slug;
} tenant_update;

/* ABORTED on a stale etag, ALREADY_EXISTS when the slug is taken. Audits tenant.updated. */
hub_status tenant_update_apply(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_update *u,
                               Hub__Tenant__V1__TenantInfo **out);

/* Soft-deletes the tenant when the actor is an owner (else PERMISSION_DENIED) and
 * confirm_slug is its slug (else INVALID_ARGUMENT "confirm_slug"), revokes its pending
 * invitations and audits tenant.deleted. *members
 * receives every member's user id (their sessions must forget their access). */
hub_status tenant_delete(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, const char *actor_id,
                         const char *ip, const char *confirm_slug, char ***members, size_t *n_members);

typedef struct tenant_entitlements {
  const char *tenant_id, *actor_id, *ip;
  size_t n;
  char **brands;  /* validated: existing, distinct */
  char **modules; /* text[] literals, validated module names */
  const char *tier, *subscription_type; /* NULL: unchanged */
} tenant_entitlements;

/* Replaces the tenant's entitlements (and tier / subscription type), audits
 * entitlements.set. NOT_FOUND for an unknown or deleted tenant. *members as for delete;
 * *tier_changed tells whether the tier differs from before. */
hub_status tenant_set_entitlements(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_entitlements *e,
                                   Hub__Tenant__V1__TenantInfo **out, char ***members, size_t *n_members,
                                   bool *tier_changed);

#endif
