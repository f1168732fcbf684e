/* See feature_store.h. The three layers are merged in one statement: DISTINCT ON keeps the
 * highest layer per flag. Brand keys that are not flag names or not booleans are ignored. */
#include "services/tenant/feature_store.h"

#include "identity/audit.h"
#include "services/tenant/json.h"

static const hub_pg_stmt effective_sql = {
    "tenant_features_effective",
    "SELECT DISTINCT ON (flag) flag, enabled FROM ("
    "  SELECT tf.flag, tf.enabled, 1 AS layer FROM tier_features tf JOIN tenants t ON t.tier = tf.tier "
    "   WHERE t.id = $1::uuid"
    "  UNION ALL"
    "  SELECT f.key, f.value = 'true'::jsonb, 2 FROM brands b, jsonb_each(b.features) f"
    "   WHERE b.id = $2 AND jsonb_typeof(f.value) = 'boolean' AND f.key ~ '^[a-z][a-z0-9_.]{1,63}$'"
    "  UNION ALL"
    "  SELECT flag, enabled, 3 FROM tenant_features WHERE tenant_id = $1::uuid"
    ") x ORDER BY flag, layer DESC",
    2};
static const hub_pg_stmt set_sql = {
    "tenant_features_set",
    "INSERT INTO tenant_features (tenant_id, flag, enabled) VALUES ($1::uuid, $2, $3::bool) "
    "ON CONFLICT (tenant_id, flag) DO UPDATE SET enabled = EXCLUDED.enabled",
    3};
static const hub_pg_stmt clear_sql = {
    "tenant_features_clear", "DELETE FROM tenant_features WHERE tenant_id = $1::uuid AND flag = $2", 2};

typedef struct eff_ctx {
  const char *tenant_id, *brand;
  tenant_flag *flags;
  size_t n;
} eff_ctx;

static hub_status eff_fn(hub_pg *pg, hub_arena *a, void *ud) {
  eff_ctx *c = ud;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &effective_sql, (const char *[]){c->tenant_id, c->brand}, &res);
  if (!hub_ok(st)) return st;
  c->n = (size_t)PQntuples(res);
  c->flags = hub_arena_calloc(a, c->n + 1, sizeof *c->flags);
  for (size_t i = 0; i < c->n; i++) {
    c->flags[i].name = hub_arena_strdup(a, PQgetvalue(res, (int)i, 0));
    c->flags[i].enabled = PQgetvalue(res, (int)i, 1)[0] == 't';
  }
  PQclear(res);
  return HUB_STATUS_OK;
}

hub_status tenant_features_effective(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id,
                                     const char *brand, tenant_flag **flags, size_t *n) {
  eff_ctx c = {tenant_id, brand, NULL, 0};
  hub_status st = hub_pg_tx(pg, a, tenant_id, timeout_ms, eff_fn, &c);
  *flags = c.flags;
  *n = c.n;
  return st;
}

typedef struct set_ctx {
  const char *tenant_id, *actor_id, *ip, *flag;
  bool enabled, clear;
} set_ctx;

static hub_status set_fn(hub_pg *pg, hub_arena *a, void *ud) {
  set_ctx *c = ud;
  hub_status st = c->clear ? hub_pg_exec(pg, a, &clear_sql, (const char *[]){c->tenant_id, c->flag}, NULL)
                           : hub_pg_exec(pg, a, &set_sql,
                                         (const char *[]){c->tenant_id, c->flag, c->enabled ? "true" : "false"}, NULL);
  if (!hub_ok(st)) return st;
  const char *value = c->clear ? "cleared" : c->enabled ? "true" : "false";
  return hub_audit_tenant(pg, a, c->tenant_id, c->actor_id, "feature.set", c->flag, c->ip,
                          tenant_json_object(a, "flag", c->flag, "value", value, NULL));
}

hub_status tenant_features_set(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *tenant_id,
                               const char *actor_id, const char *ip, const char *flag, bool enabled, bool clear) {
  set_ctx c = {tenant_id, actor_id, ip, flag, enabled, clear};
  return hub_pg_tx(pg, a, tenant_id, timeout_ms, set_fn, &c);
}
