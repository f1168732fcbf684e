/* The outbox: changes other systems react to (mail, webhooks, cross-service sync), written in
 * the transaction of the change, so a message exists exactly when the change committed, and
 * delivered at least once by a relay that keeps each aggregate's messages in order. One writer
 * for both outboxes: a tenant's (`outbox`, in the transaction's tenant under row-level
 * security) and an account's mail, which belongs to no tenant (`account_outbox`, by user). */
#ifndef HUB_DB_OUTBOX_H
#define HUB_DB_OUTBOX_H

#include "db/tx.h"

typedef enum hub_outbox_scope {
  HUB_OUTBOX_TENANT,  /* the transaction's tenant (hub.tenant_id must be set) */
  HUB_OUTBOX_ACCOUNT, /* one user's account mail; aggregate_id is the user's id */
} hub_outbox_scope;

/* Queues one message in tx: it costs no round trip of its own, goes out with the next flush or
 * the COMMIT, and a failure fails the transaction. topic names the event ("ticket.created",
 * "account.password_reset"); aggregate_id is the UUID of what changed (a ticket, an
 * invitation; the user for an account message; NULL for none on a tenant message);
 * payload_json is a JSON object (NULL for {}). The strings are copied. */
void hub_outbox_write(hub_tx *tx, hub_outbox_scope scope, const char *topic, const char *aggregate_id,
                      const char *payload_json);

#endif
