/* The outbox backlog for the metrics: hub_outbox_backlog{outbox} (messages not yet delivered)
 * and hub_outbox_oldest_age_seconds{outbox} (the delivery lag), for the tenant outbox and
 * account mail, read at scrape time on a connection of this module's own. */
#ifndef HUB_DB_OUTBOX_METRICS_H
#define HUB_DB_OUTBOX_METRICS_H

#include <stdint.h>

/* Registers the gauges and the scrape-time read (connecting on first use). Once per process. */
void hub_outbox_metrics_start(const char *database_url, int64_t connect_timeout_ms);
/* Closes the connection; scrapes after this keep the last values. Call once nothing scrapes
 * any more (the HTTP side port has stopped). */
void hub_outbox_metrics_stop(void);

#endif
