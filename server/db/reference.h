/* Reference tables that mirror an enum of the contract. The enum is the one list; the table
 * exists so SQL can refuse a value the contract does not declare (brands.modules and
 * entitlements.modules against `modules`, 0007_modules.sql), and hub_migrate rewrites it from
 * the enum's descriptor after every run, so the two cannot drift. */
#ifndef HUB_DB_REFERENCE_H
#define HUB_DB_REFERENCE_H

#include <libpq-fe.h>

#include "hub/arena.h"
#include "hub/status.h"

/* Makes `modules` hold exactly the stored texts of hub.api.v1.Module (a no-op while the
 * table does not exist yet, e.g. before 0007). Runs as the owner, inside the migration lock. */
hub_status hub_reference_sync(PGconn *c, hub_arena *a);

#endif
