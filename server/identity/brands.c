/* The brand-domain cache (see brands.h). One copy per process behind a rwlock: readers
 * never block each other; a reload swaps the table under the write lock. */
#include "identity/brands.h"

#include <ctype.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/tx.h"
#include "hub/clock.h"

#define REFRESH_MS 30000
#define MAX_ENTRIES 512

typedef struct entry {
  char domain[128];
  char brand[32];
} entry;

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static entry table[MAX_ENTRIES];
static int n_entries;
static char brand_ids[64][32];
static int n_brands;
static int64_t loaded_at; /* monotonic ms; 0: never, or invalidated */

static const hub_pg_stmt domains_sql = {
    "brands_domains",
    "SELECT b.id, lower(d) AS domain FROM brands b LEFT JOIN LATERAL unnest(b.domains) d ON true ORDER BY 1", 0};

static hub_status domains_fn(hub_tx *tx, void *ud) {
  *(hub_rows **)ud = hub_tx_exec(tx, &domains_sql, NULL);
  return HUB_STATUS_OK;
}

/* One read of a global table (no tenant, no user), bounded by the connection's own cap: a
 * lookup serves whichever call needed it first. */
static hub_status reload(hub_pg *pg, hub_arena *a) {
  hub_rows *r = NULL;
  hub_status st = hub_tx_run(pg, a, NULL, NULL, INT64_MAX / 4, domains_fn, &r);
  if (!hub_ok(st)) return st;
  pthread_rwlock_wrlock(&lock);
  n_entries = n_brands = 0;
  for (int i = 0; i < hub_rows_count(r); i++) {
    const char *id = hub_rows_text(r, i, "id"), *domain = hub_rows_text(r, i, "domain");
    if ((n_brands == 0 || strcmp(brand_ids[n_brands - 1], id) != 0) && n_brands < 64)
      snprintf(brand_ids[n_brands++], sizeof brand_ids[0], "%s", id);
    if (domain && n_entries < MAX_ENTRIES) {
      snprintf(table[n_entries].domain, sizeof table[0].domain, "%s", domain);
      snprintf(table[n_entries].brand, sizeof table[0].brand, "%s", id);
      n_entries++;
    }
  }
  loaded_at = hub_clock_mono_ms();
  pthread_rwlock_unlock(&lock);
  return HUB_STATUS_OK;
}

static hub_status fresh(hub_pg *pg, hub_arena *a) {
  pthread_rwlock_rdlock(&lock);
  bool stale = loaded_at == 0 || hub_clock_mono_ms() - loaded_at >= REFRESH_MS;
  pthread_rwlock_unlock(&lock);
  return stale ? reload(pg, a) : HUB_STATUS_OK;
}

void hub_brands_invalidate(void) {
  pthread_rwlock_wrlock(&lock);
  loaded_at = 0;
  pthread_rwlock_unlock(&lock);
}

static bool lookup(const char *host, char *out) {
  for (int i = 0; i < n_entries; i++)
    if (strcmp(table[i].domain, host) == 0) {
      snprintf(out, 32, "%s", table[i].brand);
      return true;
    }
  return false;
}

hub_status hub_brands_resolve(hub_pg *pg, hub_arena *a, const char *host, char *out) {
  out[0] = '\0';
  char h[256];
  size_t n = 0;
  for (const char *p = host ? host : ""; *p && *p != ':' && n + 1 < sizeof h; p++) h[n++] = (char)tolower((unsigned char)*p);
  h[n] = '\0';
  if (n == 0 || n >= 254) return hub_status_invalid(a, "host", "a host name is required");
  hub_status st = fresh(pg, a);
  if (!hub_ok(st)) return st;
  bool found = false;
  pthread_rwlock_rdlock(&lock);
  for (const char *p = h; p && *p && !found; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL) found = lookup(p, out);
  pthread_rwlock_unlock(&lock);
  return found ? HUB_STATUS_OK : hub_status_new(a, HUB_NOT_FOUND, "no brand serves this host");
}

hub_status hub_brands_exists(hub_pg *pg, hub_arena *a, const char *id, bool *exists) {
  *exists = false;
  hub_status st = fresh(pg, a);
  if (!hub_ok(st)) return st;
  pthread_rwlock_rdlock(&lock);
  for (int i = 0; i < n_brands && !*exists; i++) *exists = strcmp(brand_ids[i], id) == 0;
  pthread_rwlock_unlock(&lock);
  return HUB_STATUS_OK;
}
