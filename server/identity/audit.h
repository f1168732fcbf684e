/* The audit trail: tenant events (role changes, invitations, removals, tenant changes) and
 * account events (sign-up, logins, MFA and password changes, session revocations). Appended
 * inside the transaction of the change they record, so the trail never disagrees with the
 * data. Never pass secrets in `detail_json`. */
#ifndef HUB_IDENTITY_AUDIT_H
#define HUB_IDENTITY_AUDIT_H

#include "db/pg.h"

/* Appends to audit_events of the transaction's tenant (hub.tenant_id must be set).
 * actor_id may be NULL; detail_json NULL means {}. */
hub_status hub_audit_tenant(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *actor_id, const char *action,
                            const char *target, const char *ip, const char *detail_json);

/* Appends to account_events. user_id may be NULL (a failed login on an unknown email). */
hub_status hub_audit_account(hub_pg *pg, hub_arena *a, const char *user_id, const char *action, const char *ip,
                             const char *detail_json);

#endif
