/* Brand resolution by host name, from a process-wide copy of the brands' domains refreshed
 * from PostgreSQL at most every 30 s (and at once after UpdateBrandConfig on this process),
 * so resolving a brand on a call costs no query. Another process sees a change within 30 s. */
#ifndef HUB_IDENTITY_BRANDS_H
#define HUB_IDENTITY_BRANDS_H

#include <stdbool.h>

#include "db/pg.h"

/* The brand serving `host`: an exact domain first, then the nearest parent domain
 * ("x.app.exakeep.com" -> exakeep.com's brand). A ":port" suffix and case are ignored.
 * NOT_FOUND when no brand serves it. `out` holds 32 bytes. */
hub_status hub_brands_resolve(hub_pg *pg, hub_arena *a, const char *host, char *out);
/* Is `id` a brand? */
hub_status hub_brands_exists(hub_pg *pg, hub_arena *a, const char *id, bool *exists);
/* Forces the next lookup to reload. */
void hub_brands_invalidate(void);

#endif
