/* SQL of the System service. */
#ifndef HUB_SYSTEM_STORE_H
#define HUB_SYSTEM_STORE_H

#include <stdint.h>

#include "db/pg.h"

/* The highest applied migration (0 when none). */
hub_status system_schema_version(hub_pg *pg, hub_arena *a, int64_t timeout_ms, int64_t *version);

#endif
