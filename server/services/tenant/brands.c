/* Brand RPCs: ResolveBrand (public, for BFFs), Get/ListBrandConfigs and UpdateBrandConfig
 * (platform administrators; the middleware checked that). The brands table is global (no
 * tenant, no row-level security). A brand's etag is its version column; every update bumps
 * it. The theme, mail parts, SEO and white-label settings are jsonb (json.c). */
#include <string.h>

#include "aip/fields.h"
#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/acl.h"
#include "identity/brands.h"
#include "services/context.h"
#include "services/tenant/tenant.h"

#define BRAND_COLS                                                                                       \
  "id, name, domains, modules, version AS etag, theme::text AS _theme, email::text AS _email, seo::text AS _seo, " \
  "white_label::text AS _white_label"

static const hub_pg_stmt get_sql = {"tenant_brand_get", "SELECT " BRAND_COLS " FROM brands WHERE id = $1", 1};
static const hub_pg_stmt list_sql = {"tenant_brand_list", "SELECT " BRAND_COLS " FROM brands ORDER BY id", 0};
static const hub_pg_stmt lock_sql = {"tenant_brand_lock", "SELECT version FROM brands WHERE id = $1 FOR UPDATE", 1};
static const hub_pg_stmt domain_taken_sql = {
    "tenant_brand_domain_taken",
    "SELECT b.id, d AS domain FROM brands b, unnest(b.domains) d WHERE b.id <> $1 AND lower(d) = ANY($2::text[]) "
    "LIMIT 1",
    2};
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

/* Row `i` as the response's brand (columns by name, the JSON settings through json.c). */
static void brand_of(hub_arena *a, const hub_rows *r, int i, Hub__Tenant__V1__Brand *b) {
  hub_rows_decode(r, i, &b->base);
  b->theme = tenant_theme_from_json(a, hub_rows_text(r, i, "_theme"));
  b->email = tenant_email_from_json(a, hub_rows_text(r, i, "_email"));
  b->seo = tenant_seo_from_json(a, hub_rows_text(r, i, "_seo"));
  b->white_label = tenant_white_label_from_json(a, hub_rows_text(r, i, "_white_label"));
}

static hub_status get_brand(hub_call *call, const char *id, Hub__Tenant__V1__Brand *response) {
  hub_rows *rows;
  hub_status st = hub_call_query(call, &get_sql, (const char *[]){id}, &rows);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(rows) != 1) return hub_status_fixed(HUB_NOT_FOUND, "no such brand");
  brand_of(hub_call_arena(call), rows, 0, response);
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_resolve_brand(hub_call *call, const Hub__Tenant__V1__ResolveBrandRequest *request,
                                              Hub__Tenant__V1__Brand *response) {
  char id[32];
  hub_status st = hub_brands_resolve(hub_ctx_of(call)->pg, hub_call_arena(call), request->host, id);
  return hub_ok(st) ? get_brand(call, id, response) : st;
}

hub_status hub_tenant_v1_tenant_get_brand_config(hub_call *call, const Hub__Tenant__V1__GetBrandConfigRequest *request,
                                                 Hub__Tenant__V1__Brand *response) {
  return get_brand(call, request->brand_id, response);
}

hub_status hub_tenant_v1_tenant_list_brand_configs(hub_call *call, const Hub__Tenant__V1__ListBrandConfigsRequest *request,
                                                   Hub__Tenant__V1__ListBrandConfigsResponse *response) {
  (void)request;
  hub_arena *a = hub_call_arena(call);
  hub_rows *rows;
  hub_status st = hub_call_query(call, &list_sql, NULL, &rows);
  if (!hub_ok(st)) return st;
  int n = hub_rows_count(rows);
  response->n_brands = 0;
  response->brands = hub_arena_calloc(a, (size_t)n + 1, sizeof *response->brands);
  for (int i = 0; i < n; i++) {
    Hub__Tenant__V1__Brand *b = hub_arena_alloc(a, sizeof *b);
    hub__tenant__v1__brand__init(b);
    brand_of(a, rows, i, b);
    response->brands[response->n_brands++] = b;
  }
  return HUB_STATUS_OK;
}

/* ---- UpdateBrandConfig ---- */

enum {
  BRAND_NAME = 1u << 0,
  BRAND_DOMAINS = 1u << 1,
  BRAND_THEME = 1u << 2,
  BRAND_EMAIL = 1u << 3,
  BRAND_SEO = 1u << 4,
  BRAND_MODULES = 1u << 5,
  BRAND_WHITE_LABEL = 1u << 6,
};

/* Which columns an update writes (bits), with their new values checked and in SQL form:
 * text[] literals for domains and modules, JSON text for the objects. */
typedef struct update {
  const char *id;
  unsigned bits;
  int64_t etag; /* -1: no check */
  const char *name, *domains, *theme, *email, *seo, *modules, *white_label;
  hub_rows *out;
} update;

static const char *bit(unsigned bits, unsigned b) { return (bits & b) ? "true" : "false"; }

/* NOT_FOUND, ABORTED on a stale etag, ALREADY_EXISTS when another brand serves one of the new
 * domains. The lock and the domain check go out together. */
static hub_status update_fn(hub_tx *tx, void *ud) {
  update *u = ud;
  hub_rows *lock = hub_tx_exec(tx, &lock_sql, (const char *[]){u->id});
  hub_rows *taken =
      (u->bits & BRAND_DOMAINS) ? hub_tx_exec(tx, &domain_taken_sql, (const char *[]){u->id, u->domains}) : NULL;
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(lock) != 1) return hub_status_fixed(HUB_NOT_FOUND, "no such brand");
  if (u->etag >= 0 && u->etag != hub_rows_int(lock, 0, "version"))
    return hub_status_fixed(HUB_ABORTED, "the brand changed since it was read; read it again");
  if (taken && hub_rows_count(taken) > 0)
    return hub_status_new(hub_tx_arena(tx), HUB_ALREADY_EXISTS, "domain %s is already served by brand %s",
                          hub_rows_text(taken, 0, "domain"), hub_rows_text(taken, 0, "id"));
  unsigned b = u->bits;
  const char *p[] = {u->id,
                     bit(b, BRAND_NAME),        u->name,
                     bit(b, BRAND_DOMAINS),     u->domains,
                     bit(b, BRAND_THEME),       u->theme,
                     bit(b, BRAND_EMAIL),       u->email,
                     bit(b, BRAND_SEO),         u->seo,
                     bit(b, BRAND_MODULES),     u->modules,
                     bit(b, BRAND_WHITE_LABEL), u->white_label};
  u->out = hub_tx_exec(tx, &update_sql, p);
  return HUB_STATUS_OK;
}

/* What the field rules cannot say: URLs, colours and host names. */
static hub_status check_url(hub_arena *a, const char *field, const char *v) {
  return !v[0] || hub_https_url_ok(v) ? HUB_STATUS_OK : hub_status_invalid(a, field, "must be an https URL");
}
static hub_status check_colour(hub_arena *a, const char *field, const char *v) {
  return !v[0] || tenant_colour_ok(v) ? HUB_STATUS_OK : hub_status_invalid(a, field, "must be #RRGGBB");
}

static hub_status check_settings(hub_arena *a, const Hub__Tenant__V1__Brand *b, unsigned bits) {
  hub_status st = HUB_STATUS_OK;
  const Hub__Tenant__V1__Theme *t = (bits & BRAND_THEME) ? b->theme : NULL;
  if (t) {
    st = check_colour(a, "brand.theme.primary_color", t->primary_color);
    if (hub_ok(st)) st = check_colour(a, "brand.theme.secondary_color", t->secondary_color);
    if (hub_ok(st)) st = check_url(a, "brand.theme.logo_url", t->logo_url);
    if (hub_ok(st)) st = check_url(a, "brand.theme.favicon_url", t->favicon_url);
    if (hub_ok(st) && strchr(t->custom_css, '<'))
      st = hub_status_invalid(a, "brand.theme.custom_css", "CSS without \"<\"");
  }
  const Hub__Tenant__V1__EmailTemplate *e = (bits & BRAND_EMAIL) ? b->email : NULL;
  if (hub_ok(st) && e) st = check_url(a, "brand.email.header_logo_url", e->header_logo_url);
  if (hub_ok(st) && (bits & BRAND_DOMAINS))
    st = tenant_check_items(a, "brand.domains", b->domains, b->n_domains, tenant_host_ok,
                            "not a lower-case host name");
  if (hub_ok(st) && (bits & BRAND_MODULES))
    st = tenant_check_items(a, "brand.modules", b->modules, b->n_modules, hub_acl_is_module, "not a module");
  return st;
}

hub_status hub_tenant_v1_tenant_update_brand_config(hub_call *call, const Hub__Tenant__V1__UpdateBrandConfigRequest *request,
                                                    Hub__Tenant__V1__Brand *response) {
  static const char *const paths[] = {"name", "domains", "theme", "email", "seo", "modules", "white_label", NULL};
  hub_arena *a = hub_call_arena(call);
  const Hub__Tenant__V1__Brand *b = request->brand;
  update u = {.id = b->id};
  hub_status st = hub_update_mask(a, request->update_mask, paths, &u.bits);
  if (hub_ok(st)) st = tenant_etag(a, request->etag, &u.etag);
  if (hub_ok(st) && (u.bits & BRAND_NAME) && !b->name[0]) st = hub_status_invalid(a, "brand.name", "required");
  if (hub_ok(st)) st = check_settings(a, b, u.bits);
  if (!hub_ok(st)) return st;
  u.name = b->name;
  u.domains = hub_pg_array_literal(a, b->domains, b->n_domains);
  u.theme = tenant_theme_json(a, b->theme);
  u.email = tenant_email_json(a, b->email);
  u.seo = tenant_seo_json(a, b->seo);
  u.modules = hub_pg_array_literal(a, b->modules, b->n_modules);
  u.white_label = tenant_white_label_json(a, b->white_label);
  st = hub_call_tx(call, update_fn, &u);
  if (!hub_ok(st)) return st;
  hub_brands_invalidate(); /* this process resolves hosts with the new domains at once */
  brand_of(a, u.out, 0, response);
  return HUB_STATUS_OK;
}
