/* The audit trail: tenant events (role changes, invitations, removals, tenant changes) and
 * account events (sign-up, logins, MFA and password changes, session revocations). Appended
 * inside the transaction of the change they record, so the trail never disagrees with the
 * data. Never pass secrets in `detail_json`. */
#ifndef HUB_IDENTITY_AUDIT_H
#define HUB_IDENTITY_AUDIT_H

#include "db/tx.h"

/* Queues an append to audit_events of the transaction's tenant (hub.tenant_id must be set) in
 * tx: no round trip of its own, a failure fails the transaction (as db/outbox.h). actor_id
 * may be NULL; detail_json NULL means {}. The strings are copied. */
void hub_audit_tenant_write(hub_tx *tx, const char *tenant_id, const char *actor_id, const char *action,
                            const char *target, const char *ip, const char *detail_json);

/* Queues an append to account_events in tx. user_id may be NULL (a failed login on an unknown
 * email). */
void hub_audit_account_write(hub_tx *tx, const char *user_id, const char *action, const char *ip,
                             const char *detail_json);

#endif
