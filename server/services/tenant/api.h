/* What other services may use of Tenant: creating a tenant inside the caller's transaction
 * (Auth's SignUp creates the account and its first tenant in one). Nothing else of tenant/ is
 * included from outside it. */
#ifndef HUB_SERVICES_TENANT_API_H
#define HUB_SERVICES_TENANT_API_H

#include "db/tx.h"

typedef struct hub_tenant_new {
  const char *id, *name, *slug, *brand; /* validated; the brand exists */
  const char *user_id, *ip;             /* the owner, for the member row and the audit */
} hub_tenant_new;

/* Creates the tenant with its owner and the home brand entitled with all of that brand's
 * modules, inside a transaction the caller runs with hub.tenant_id = in->id (the owner row,
 * the entitlement and the audit are queued behind the insert, for the caller's next flush or
 * its COMMIT); when a tenant with this id exists already (a repeated request), leaves it as it
 * is. ALREADY_EXISTS when the slug is taken; NOT_FOUND when the existing tenant is deleted or
 * the caller is no longer its member. */
hub_status hub_tenant_create_in_tx(hub_tx *tx, const hub_tenant_new *in);

#endif
