/* The demo tenant: "Demo Company" on every brand (the SMB Hub bundle) with every module, tier
 * pro, an owner who is also a platform administrator, and a month of books (seed_books.c), so
 * every RPC in the docs can be tried. Idempotent: running it again resets the owner's password to the printed one. Runs
 * through the server's own role, so row-level security applies as for any request. */
#include "hubd/seed.h"

#include <stdio.h>
#include <stdlib.h>

#include "crypto/password.h"
#include "db/tx.h"
#include "hub/log.h"

#define DEMO_TENANT "0190a000-0000-7000-8000-000000000001"
#define DEMO_EMAIL "owner@demo.smbhub.test"
#define DEMO_PASSWORD_DEFAULT "demo-owner-passphrase-2026"

static const hub_pg_stmt user_sql = {
    "seed_user",
    "INSERT INTO users (email, email_norm, display_name, password_hash, email_verified_at, is_platform_admin) "
    "VALUES ($1, lower($1), 'Demo Owner', $2, now(), true) "
    "ON CONFLICT (email_norm) DO UPDATE SET password_hash = EXCLUDED.password_hash RETURNING id",
    2};
static const hub_pg_stmt tenant_sql = {
    "seed_tenant",
    "INSERT INTO tenants (id, name, slug, subscription_type, tier, home_brand) "
    "VALUES ($1::uuid, 'Demo Company', 'demo', 'standalone', 'pro', 'smb_hub') ON CONFLICT (id) DO NOTHING",
    1};
static const hub_pg_stmt member_sql = {
    "seed_member",
    "INSERT INTO members (tenant_id, user_id, role) VALUES ($1::uuid, $2::uuid, 'owner') ON CONFLICT DO NOTHING", 2};
static const hub_pg_stmt entitle_sql = {
    "seed_entitle",
    "INSERT INTO entitlements (tenant_id, brand, modules) SELECT $1::uuid, id, modules FROM brands "
    "ON CONFLICT (tenant_id, brand) DO UPDATE SET modules = EXCLUDED.modules",
    1};

typedef struct seed_ctx {
  const char *phc;
  const char *user; /* the owner's id, for the books */
} seed_ctx;

/* Two round trips: the owner (whose id the rest needs), then the tenant, membership and
 * entitlements with the COMMIT. */
static hub_status seed_fn(hub_tx *tx, void *ud) {
  seed_ctx *c = ud;
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &user_sql, (const char *[]){DEMO_EMAIL, c->phc}, &r);
  if (!hub_ok(st)) return st;
  const char *user = c->user = hub_arena_strdup(hub_tx_arena(tx), hub_rows_text(r, 0, "id"));
  hub_tx_exec(tx, &tenant_sql, (const char *[]){DEMO_TENANT});
  hub_tx_exec(tx, &member_sql, (const char *[]){DEMO_TENANT, user});
  hub_tx_exec(tx, &entitle_sql, (const char *[]){DEMO_TENANT});
  return HUB_STATUS_OK;
}

int hub_seed_demo(const hub_config *cfg) {
  const char *password = getenv("HUB_DEMO_PASSWORD");
  if (!password || !*password) password = DEMO_PASSWORD_DEFAULT;
  hub_arena *a = hub_arena_new(0);
  seed_ctx c = {0};
  char *phc = NULL;
  hub_status st = hub_password_check_policy(a, password, DEMO_EMAIL);
  if (hub_ok(st)) st = hub_password_hash(a, password, 10000, &phc);
  c.phc = phc;
  hub_pg *pg = hub_pg_new(cfg->database_url, cfg->db_timeout_ms);
  if (hub_ok(st)) st = hub_tx_run(pg, a, DEMO_TENANT, NULL, 10000, seed_fn, &c); /* global work: the tenant by hand */
  if (hub_ok(st)) st = hub_seed_demo_books(pg, a, DEMO_TENANT, c.user);
  if (hub_ok(st)) {
    printf("demo tenant %s (Demo Company, every brand)\n", DEMO_TENANT);
    printf("demo owner  %s / %s\n", DEMO_EMAIL, password);
  } else {
    hub_logf(HUB_LOG_ERROR, "seed-demo failed: %s", st.message);
  }
  hub_pg_free(pg);
  hub_arena_free(a);
  return hub_ok(st) ? 0 : 1;
}
