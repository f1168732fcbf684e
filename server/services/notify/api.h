/* What other services may use of Notify: nothing yet. When one needs it (a lookup inside its
 * own transaction, say), the function is declared here, written in a .c of this folder, and the
 * caller names notify under SERVICES on its hub_service() line; nothing else of server/services/notify/
 * is included from outside it (tests/shape checks). */
#ifndef HUB_SERVICES_NOTIFY_API_H
#define HUB_SERVICES_NOTIFY_API_H

#endif
