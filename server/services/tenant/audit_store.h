/* SQL of the tenant audit trail (written by identity/audit.c inside each change). */
#ifndef HUB_TENANT_AUDIT_STORE_H
#define HUB_TENANT_AUDIT_STORE_H

#include <stdint.h>

#include "db/pg.h"
#include "hub/tenant/v1/tenant.pb-c.h"

/* One page, newest first: events with id below `before` (NULL: from the newest). When more
 * follow, *next_before is the last event's id, else NULL. */
hub_status tenant_audit_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id, int limit,
                             const char *before, Hub__Tenant__V1__ListAuditEventsResponse *out, char **next_before);

#endif
