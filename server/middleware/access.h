/* The interceptor that runs before every handler and enforces the access the RPC declares in
 * the contract (access.c chains the steps, one file each):
 *   authn.c       bearer token (ES256, through the verified-token cache) and its Redis session,
 *                 still alive; or an API key of a service account (apikey.c, cached in Redis)
 *   tenant.c      the session's tenant and access snapshot, or x-tenant-id when the caller is a
 *                 member there
 *   brand.c       the brand the call acts for: x-brand, x-forwarded-host or the session's
 *   permission.c  the declared permission: a membership of the tenant, the brand entitled there
 *                 and on the member's list, the RPC's module enabled on it, and a granted
 *                 pattern (role defaults from role_permissions plus the member's own grants)
 * Public RPCs skip every step (Auth's public RPCs that change something refuse a caller that
 * presents an API key). Every other RPC runs authn, tenant and brand; only those that declare a
 * permission run the permission step, and the others ({authenticated: true}: a person's own
 * things, such as sessions, password, MFA, tenants they join) are refused to service accounts.
 * On success the call carries a hub_principal (identity/principal.h). */
#ifndef HUB_MIDDLEWARE_ACCESS_H
#define HUB_MIDDLEWARE_ACCESS_H

#include "identity/principal.h"
#include "runtime/call.h"

hub_status hub_access_check(hub_call *call, void *ud);

/* The steps, for tests and for the chain in access.c. Each fills part of *p. */
hub_status hub_authn(hub_call *call, hub_principal *p, const char **session_acl);
/* Does the call present an API key (x-api-key, or a bearer value starting "hub_")? No I/O. */
bool hub_authn_presents_api_key(hub_call *call);
/* The API-key branch of hub_authn (apikey.c). */
hub_status hub_authn_api_key(hub_call *call, const char *key, hub_principal *p, const char **acl_text);
hub_status hub_resolve_tenant(hub_call *call, hub_principal *p, const char *session_acl);
hub_status hub_resolve_brand(hub_call *call, hub_principal *p);
hub_status hub_check_permission(hub_call *call, const hub_principal *p, const char *permission);

#endif
