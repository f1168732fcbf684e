/* The Tenant service's row shapes: the column lists its statements select and the one
 * function per message that reads them back, so every RPC answers the same fields the same
 * way. Timestamps are selected as epoch microseconds (TENANT_MICROS). */
#ifndef HUB_TENANT_ROWS_H
#define HUB_TENANT_ROWS_H

#include <libpq-fe.h>

#include "hub/arena.h"
#include "hub/tenant/v1/tenant.pb-c.h"

#define TENANT_MICROS(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

/* Tenant columns (8), for "FROM tenants t". */
#define TENANT_COLS                                                                                      \
  "t.id, t.name, t.slug, t.subscription_type, t.tier, t.home_brand, " TENANT_MICROS("t.created_at") ", " \
  "t.version"
#define TENANT_NCOLS 8

/* Member columns (8), for "FROM members m JOIN users u ON u.id = m.user_id". */
#define TENANT_MEMBER_COLS                                                                                   \
  "m.user_id, u.email, u.display_name, m.role, m.brands, m.permissions, " TENANT_MICROS("m.created_at") ", " \
  "m.version"
#define TENANT_MEMBER_NCOLS 8

/* Reads TENANT_COLS starting at column `col` of `row` (no entitlements). */
Hub__Tenant__V1__TenantInfo *tenant_row_tenant(hub_arena *a, const PGresult *res, int row, int col);
/* Reads TENANT_MEMBER_COLS starting at column `col` of `row`. */
Hub__Tenant__V1__Member *tenant_row_member(hub_arena *a, const PGresult *res, int row, int col);
/* Reads (brand, modules text[]) rows [from, to) of `res` into t->entitlements. */
void tenant_rows_entitlements(hub_arena *a, const PGresult *res, int from, int to, int col,
                              Hub__Tenant__V1__TenantInfo *t);

#endif
