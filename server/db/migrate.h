/* Schema migrations: migrations/NNNN_name.sql, forward-only, applied in order, each in its
 * own transaction, recorded with a SHA-256 checksum in schema_migrations, under an advisory
 * lock so servers starting together apply each migration once. An applied migration whose
 * text changed is refused loudly: deployed databases already ran the old text. */
#ifndef HUB_DB_MIGRATE_H
#define HUB_DB_MIGRATE_H

#include <stddef.h>

#include "hub/arena.h"
#include "hub/status.h"

typedef struct hub_migration {
  int version;      /* NNNN */
  const char *name; /* file name, "0001_foundation.sql" */
  const char *text;
  size_t len;
} hub_migration;

/* The migrations built into the binary (generated from migrations/ at build time). */
extern const hub_migration hub_embedded_migrations[];
extern const size_t hub_embedded_migrations_count;

/* Applies pending migrations as the owner `conninfo`. `dir` NULL or "" uses the embedded
 * ones. *applied (may be NULL) counts what this call applied. The status message is one
 * line naming the file at fault. */
hub_status hub_migrate(const char *conninfo, const char *dir, hub_arena *a, int *applied);

/* ---- the pure parts, unit-tested ---- */

/* Parses "NNNN_name.sql" (four digits, '_', [a-z0-9_]+, ".sql"); false if malformed. */
bool hub_migration_parse_name(const char *file, int *version);

/* Checks the set: every name is NNNN_name.sql agreeing with its version, and the versions
 * are 1..n with no gap and no duplicate. Sorts `m` by version (in place). The message
 * names the file at fault. */
hub_status hub_migrations_check(hub_migration *m, size_t n, hub_arena *a);

/* SHA-256 of the text, lower-case hex. */
void hub_migration_checksum(const char *text, size_t len, char out_hex[65]);

#endif
