/* What hubd uses of the Auth service: the account purge. Accounts whose scheduled deletion
 * came due lose their memberships and are reduced to a tombstone. hubd runs it periodically on
 * a thread of its own (like the SLA sweeper) and once with `hubd purge-accounts`. Safe with
 * many hubd processes: each step is idempotent and the tombstone is written by whoever updates
 * the row first. Nothing else of auth/ is included from outside it. */
#ifndef HUB_SERVICES_AUTH_API_H
#define HUB_SERVICES_AUTH_API_H

#include <stdint.h>

#include "cache/redis.h"
#include "db/pg.h"

/* Purges up to 100 accounts that are due; *purged counts the tombstones written. An account
 * that is (still, or again) the last owner of a live tenant is not purged: its deletion moves
 * a day on, and it is audited and told by mail (account.deletion_blocked). */
hub_status hub_account_purge_once(hub_pg *pg, hub_redis *redis, hub_arena *a, int *purged);

/* Starts the periodic purge (its own PostgreSQL and Redis connections) / stops and joins it. */
void hub_account_purger_start(const char *database_url, const char *redis_url, int64_t db_timeout_ms,
                              int64_t redis_timeout_ms, int64_t interval_ms);
void hub_account_purger_stop(void);

#endif
