/* See brand_store.h. A brand's etag is its version column; every update bumps it. */
#include "services/tenant/brand_store.h"

#include <stdio.h>
#include <stdlib.h>

#include "services/tenant/brand_json.h"
#include "services/tenant/convert.h"

#define BRAND_COLS "id, name, domains, theme::text, email::text, seo::text, modules, white_label::text, version"

static const hub_pg_stmt get_sql = {"tenant_brand_get", "SELECT " BRAND_COLS " FROM brands WHERE id = $1", 1};
static const hub_pg_stmt list_sql = {"tenant_brand_list", "SELECT " BRAND_COLS " FROM brands ORDER BY id", 0};
static const hub_pg_stmt lock_sql = {"tenant_brand_lock", "SELECT version FROM brands WHERE id = $1 FOR UPDATE", 1};
static const hub_pg_stmt domain_taken_sql = {
    "tenant_brand_domain_taken",
    "SELECT b.id, d FROM brands b, unnest(b.domains) d WHERE b.id <> $1 AND lower(d) = ANY($2::text[]) LIMIT 1", 2};
static const hub_pg_stmt update_sql = {
    "tenant_brand_update",
    "UPDATE brands SET "
    "name = CASE WHEN $2::bool THEN $3::text ELSE name END, "
    "domains = CASE WHEN $4::bool THEN $5::text[] ELSE domains END, "
    "theme = CASE WHEN $6::bool THEN $7::jsonb ELSE theme END, "
    "email = CASE WHEN $8::bool THEN $9::jsonb ELSE email END, "
    "seo = CASE WHEN $10::bool THEN $11::jsonb ELSE seo END, "
    "modules = CASE WHEN $12::bool THEN $13::text[] ELSE modules END, "
    "white_label = CASE WHEN $14::bool THEN $15::jsonb ELSE white_label END, "
    "version = version + 1, updated_at = now() WHERE id = $1 RETURNING " BRAND_COLS,
    15};

static Hub__Tenant__V1__Brand *row_brand(hub_arena *a, const PGresult *res, int i) {
  Hub__Tenant__V1__Brand *b = hub_arena_alloc(a, sizeof *b);
  hub__tenant__v1__brand__init(b);
  b->id = hub_arena_strdup(a, PQgetvalue(res, i, 0));
  b->name = hub_arena_strdup(a, PQgetvalue(res, i, 1));
  b->n_domains = hub_pg_array_parse(a, PQgetvalue(res, i, 2), &b->domains);
  b->theme = tenant_theme_from_json(a, PQgetvalue(res, i, 3));
  b->email = tenant_email_from_json(a, PQgetvalue(res, i, 4));
  b->seo = tenant_seo_from_json(a, PQgetvalue(res, i, 5));
  b->n_modules = hub_pg_array_parse(a, PQgetvalue(res, i, 6), &b->modules);
  b->white_label = tenant_white_label_from_json(a, PQgetvalue(res, i, 7));
  b->etag = hub_arena_strdup(a, PQgetvalue(res, i, 8));
  return b;
}

typedef struct get_ctx {
  const char *id;
  Hub__Tenant__V1__Brand *out;
} get_ctx;

static hub_status get_fn(hub_pg *pg, hub_arena *a, void *ud) {
  get_ctx *c = ud;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &get_sql, (const char *[]){c->id}, &res);
  if (!hub_ok(st)) return st;
  c->out = PQntuples(res) == 1 ? row_brand(a, res, 0) : NULL;
  PQclear(res);
  return HUB_STATUS_OK;
}

hub_status tenant_brand_get(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const char *id,
                            Hub__Tenant__V1__Brand **out) {
  get_ctx c = {id, NULL};
  hub_status st = hub_pg_tx(pg, a, NULL, timeout_ms, get_fn, &c);
  if (!hub_ok(st)) return st;
  if (!c.out) return hub_status_new(a, HUB_NOT_FOUND, "no such brand");
  *out = c.out;
  return HUB_STATUS_OK;
}

static hub_status list_fn(hub_pg *pg, hub_arena *a, void *ud) {
  Hub__Tenant__V1__ListBrandConfigsResponse *out = ud;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &list_sql, NULL, &res);
  if (!hub_ok(st)) return st;
  int n = PQntuples(res);
  out->n_brands = 0;
  out->brands = n ? hub_arena_calloc(a, (size_t)n, sizeof *out->brands) : NULL;
  for (int i = 0; i < n; i++) out->brands[out->n_brands++] = row_brand(a, res, i);
  PQclear(res);
  return HUB_STATUS_OK;
}

hub_status tenant_brand_list(hub_pg *pg, hub_arena *a, int64_t timeout_ms,
                             Hub__Tenant__V1__ListBrandConfigsResponse *out) {
  return hub_pg_tx(pg, a, NULL, timeout_ms, list_fn, out);
}

typedef struct update_ctx {
  const tenant_brand_update *u;
  Hub__Tenant__V1__Brand *out;
} update_ctx;

static const char *flag(unsigned bits, unsigned bit) { return (bits & bit) ? "true" : "false"; }

static hub_status update_fn(hub_pg *pg, hub_arena *a, void *ud) {
  update_ctx *c = ud;
  const tenant_brand_update *u = c->u;
  c->out = NULL;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &lock_sql, (const char *[]){u->id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return hub_status_new(a, HUB_NOT_FOUND, "no such brand");
  }
  long long version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  PQclear(res);
  if (u->etag >= 0 && u->etag != version)
    return hub_status_new(a, HUB_ABORTED, "the brand changed since it was read; read it again");
  if (u->bits & TENANT_BRAND_DOMAINS) {
    st = hub_pg_exec(pg, a, &domain_taken_sql, (const char *[]){u->id, u->domains}, &res);
    if (!hub_ok(st)) return st;
    if (PQntuples(res) > 0) {
      st = hub_status_new(a, HUB_ALREADY_EXISTS, "domain %s is already served by brand %s", PQgetvalue(res, 0, 1),
                          PQgetvalue(res, 0, 0));
      PQclear(res);
      return st; /* a refusal rolls the (unwritten) transaction back */
    }
    PQclear(res);
  }
  unsigned b = u->bits;
  const char *p[] = {u->id,
                     flag(b, TENANT_BRAND_NAME),        u->name,
                     flag(b, TENANT_BRAND_DOMAINS),     u->domains,
                     flag(b, TENANT_BRAND_THEME),       u->theme,
                     flag(b, TENANT_BRAND_EMAIL),       u->email,
                     flag(b, TENANT_BRAND_SEO),         u->seo,
                     flag(b, TENANT_BRAND_MODULES),     u->modules,
                     flag(b, TENANT_BRAND_WHITE_LABEL), u->white_label};
  st = hub_pg_exec(pg, a, &update_sql, p, &res);
  if (!hub_ok(st)) return st;
  c->out = row_brand(a, res, 0);
  PQclear(res);
  return HUB_STATUS_OK;
}

hub_status tenant_brand_update_apply(hub_pg *pg, hub_arena *a, int64_t timeout_ms, const tenant_brand_update *u,
                                     Hub__Tenant__V1__Brand **out) {
  update_ctx c = {u, NULL};
  hub_status st = hub_pg_tx(pg, a, NULL, timeout_ms, update_fn, &c);
  if (!hub_ok(st)) return st;
  *out = c.out;
  return HUB_STATUS_OK;
}
