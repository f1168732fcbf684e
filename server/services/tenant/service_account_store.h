/* SQL of service accounts and their API keys, always in the call's tenant (row-level
 * security hides every other tenant's rows, so another tenant's account or key is simply
 * NOT_FOUND). Every change locks the account row, reads the actor's role as committed (a
 * member's or, when a service account acts, its own), applies the hierarchy (nobody grants a
 * role above their own or manages an account above them), and audits in the same
 * transaction. Changes that end keys return their prefixes, so the handler retires their
 * cached grants after the commit (identity/apikey.h). */
#ifndef HUB_TENANT_SERVICE_ACCOUNT_STORE_H
#define HUB_TENANT_SERVICE_ACCOUNT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/pg.h"
#include "hub/tenant/v1/tenant.pb-c.h"
#include "identity/acl.h"

#define TENANT_KEYS_PER_ACCOUNT 20 /* live (not revoked, not expired) keys per service account */

/* Key prefixes whose cached grants must go (arena strings). */
typedef struct tenant_prefixes {
  char **items;
  size_t n;
} tenant_prefixes;

typedef struct tenant_sa_new {
  const char *tenant_id, *actor_id, *ip;
  const char *name, *description, *role;
  const char *brands, *permissions; /* text[] literals, validated */
} tenant_sa_new;

/* ALREADY_EXISTS when the tenant has an account of that name (case-insensitively). */
hub_status tenant_sa_create(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_sa_new *in,
                            Hub__Tenant__V1__ServiceAccount **out);
hub_status tenant_sa_get(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, const char *id,
                         Hub__Tenant__V1__ServiceAccount **out);
/* One page by id (time-ordered); *more when another page follows. */
hub_status tenant_sa_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, int limit,
                          const char *after_id, Hub__Tenant__V1__ListServiceAccountsResponse *out, bool *more);

enum {
  TENANT_SA_NAME = 1u << 0,
  TENANT_SA_DESCRIPTION = 1u << 1,
  TENANT_SA_ROLE = 1u << 2,
  TENANT_SA_BRANDS = 1u << 3,
  TENANT_SA_PERMISSIONS = 1u << 4,
  TENANT_SA_DISABLED = 1u << 5,
};
typedef struct tenant_sa_change {
  const char *tenant_id, *actor_id, *ip, *id;
  unsigned bits;
  int64_t etag; /* -1: no check */
  const char *name, *description, *role, *brands, *permissions;
  bool disabled;
} tenant_sa_change;

/* Audits service_account.updated. Any change but name or description retires the account's
 * cached grants (*retire); disabling also revokes its keys. NOT_FOUND, ABORTED (stale etag). */
hub_status tenant_sa_update(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_sa_change *c,
                            Hub__Tenant__V1__ServiceAccount **out, tenant_prefixes *retire);
/* Deletes the account and its keys; audits service_account.deleted. */
hub_status tenant_sa_delete(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, const char *actor_id,
                            const char *ip, const char *id, tenant_prefixes *retire);

typedef struct tenant_key_new {
  const char *tenant_id, *actor_id, *ip;
  const hub_acl *actor_acl; /* what the actor holds: a key's scopes may not exceed it */
  const char *account_id;   /* create only; rotation takes the old key's */
  const char *name;
  char **scopes;            /* create only; rotation copies the old key's */
  size_t n_scopes;
  const char *expires_micros; /* NULL: never */
  const char *rate_per_min;   /* create only */
  const char *prefix, *hash_hex;
} tenant_key_new;

/* The account must exist and be enabled (FAILED_PRECONDITION), have fewer than
 * TENANT_KEYS_PER_ACCOUNT live keys, and every scope must be one of its permissions
 * (INVALID_ARGUMENT "scopes[i]") that the actor holds too (PERMISSION_DENIED). Audits
 * api_key.created. */
hub_status tenant_key_create(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_key_new *in,
                             Hub__Tenant__V1__ApiKey **out);
/* The account's keys that are not revoked, newest first. NOT_FOUND for an unknown account. */
hub_status tenant_key_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, const char *account_id,
                           Hub__Tenant__V1__ListApiKeysResponse *out);
/* A new key for the old key's account with its scopes and rate limit; the old one now
 * expires at old_expires_micros (never later than it already did). The old key must be live
 * (FAILED_PRECONDITION). Audits api_key.rotated; *old_prefix is the old key's. */
hub_status tenant_key_rotate(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *key_id,
                             const char *old_expires_micros, const tenant_key_new *in, Hub__Tenant__V1__ApiKey **out,
                             char **old_prefix);
/* Revokes a key (again is fine); audits api_key.revoked; *prefix is the key's. */
hub_status tenant_key_revoke(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, const char *actor_id,
                             const char *ip, const char *key_id, char **prefix);

/* Rows as the statements here select them: an account (id, name, description, role, brands,
 * permissions, disabled, created_by, created micros, version) and a key (id, account, name,
 * prefix, scopes, expires, last used and created micros, rate, rotated_from). */
Hub__Tenant__V1__ServiceAccount *tenant_row_service_account(hub_arena *a, const PGresult *res, int row);
Hub__Tenant__V1__ApiKey *tenant_row_api_key(hub_arena *a, const PGresult *res, int row);

/* ---- platform service accounts (platform_account_store.c): global, no tenant; changes are
 * audited as account events of the acting platform administrator. ---- */
hub_status tenant_psa_create(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *actor_id, const char *ip,
                             const char *name, const char *description, Hub__Tenant__V1__ServiceAccount **out);
hub_status tenant_psa_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms, int limit, const char *after_id,
                           Hub__Tenant__V1__ListServiceAccountsResponse *out, bool *more);
hub_status tenant_psa_delete(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *actor_id, const char *ip,
                             const char *id, tenant_prefixes *retire);
/* in: account_id, name, expires_micros, rate_per_min, prefix, hash_hex, actor_id, ip. */
hub_status tenant_pkey_create(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_key_new *in,
                              Hub__Tenant__V1__ApiKey **out);
hub_status tenant_pkey_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *account_id,
                            Hub__Tenant__V1__ListApiKeysResponse *out);
hub_status tenant_pkey_rotate(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *key_id,
                              const char *old_expires_micros, const tenant_key_new *in, Hub__Tenant__V1__ApiKey **out,
                              char **old_prefix);
hub_status tenant_pkey_revoke(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *actor_id, const char *ip,
                              const char *key_id, char **prefix);

#endif
