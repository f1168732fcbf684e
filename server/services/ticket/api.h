/* What other parts of the server may use of Ticket: the SLA sweeper hubd starts and stops
 * (sweeper.c). Nothing else of ticket/ is included from outside it. */
#ifndef HUB_SERVICES_TICKET_API_H
#define HUB_SERVICES_TICKET_API_H

#include <stdint.h>

/* Starts the background sweeper that fires SLA warnings and breaches (every `interval_ms`),
 * on its own PostgreSQL connection; stop it at shutdown. */
void hub_ticket_sweeper_start(const char *database_url, int64_t timeout_ms, int64_t interval_ms);
void hub_ticket_sweeper_stop(void);

#endif
