/* Brand RPCs of hub.tenant.v1.Tenant: ResolveBrand (public, for BFFs), Get/ListBrandConfigs
 * and UpdateBrandConfig (platform administrators; the middleware checked that). Handlers
 * validate and map; SQL is in brand_store.c. */
#include <string.h>

#include "hub/tenant/v1/tenant.hub-server.h"
#include "identity/acl.h"
#include "identity/brands.h"
#include "services/context.h"
#include "services/tenant/brand_json.h"
#include "services/tenant/brand_store.h"
#include "services/tenant/convert.h"
#include "services/tenant/validate.h"

static void copy_brand(Hub__Tenant__V1__Brand *dst, const Hub__Tenant__V1__Brand *src) {
  ProtobufCMessage base = dst->base;
  *dst = *src;
  dst->base = base;
}

hub_status hub_tenant_v1_tenant_resolve_brand(hub_call *call, const Hub__Tenant__V1__ResolveBrandRequest *request,
                                              Hub__Tenant__V1__Brand *response) {
  hub_arena *a = hub_call_arena(call);
  hub_pg *pg = hub_ctx_of(call)->pg;
  if (!request->host[0]) return hub_status_invalid(a, "host", "a host name is required");
  if (strlen(request->host) > 253 || !tenant_text_ok(request->host, 253, false))
    return hub_status_invalid(a, "host", "not a host name");
  char id[32];
  hub_status st = hub_brands_resolve(pg, a, request->host, id);
  if (!hub_ok(st)) return st;
  Hub__Tenant__V1__Brand *b;
  st = tenant_brand_get(pg, a, hub_call_remaining_ms(call), id, &b);
  if (hub_ok(st)) copy_brand(response, b);
  return st;
}

hub_status hub_tenant_v1_tenant_get_brand_config(hub_call *call, const Hub__Tenant__V1__GetBrandConfigRequest *request,
                                                 Hub__Tenant__V1__Brand *response) {
  hub_arena *a = hub_call_arena(call);
  if (!tenant_brand_id_ok(request->brand_id)) return hub_status_invalid(a, "brand_id", "not a brand id");
  Hub__Tenant__V1__Brand *b;
  hub_status st = tenant_brand_get(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), request->brand_id, &b);
  if (hub_ok(st)) copy_brand(response, b);
  return st;
}

hub_status hub_tenant_v1_tenant_list_brand_configs(hub_call *call, const Hub__Tenant__V1__ListBrandConfigsRequest *request,
                                                   Hub__Tenant__V1__ListBrandConfigsResponse *response) {
  (void)request;
  return tenant_brand_list(hub_ctx_of(call)->pg, hub_call_arena(call), hub_call_remaining_ms(call), response);
}

static bool keyword_ok(const char *s) { return s[0] && tenant_text_ok(s, 64, false); }

/* Optional values: empty is allowed (it unsets the key). */
static hub_status check_url(hub_arena *a, const char *field, const char *v) {
  return !v[0] || tenant_https_url_ok(v) ? HUB_STATUS_OK : hub_status_invalid(a, field, "must be an https URL");
}
static hub_status check_colour(hub_arena *a, const char *field, const char *v) {
  return !v[0] || tenant_colour_ok(v) ? HUB_STATUS_OK : hub_status_invalid(a, field, "must be #RRGGBB");
}

static hub_status check_theme(hub_arena *a, const Hub__Tenant__V1__Theme *t) {
  if (!t) return HUB_STATUS_OK;
  hub_status st = check_colour(a, "brand.theme.primary_color", t->primary_color);
  if (hub_ok(st)) st = check_colour(a, "brand.theme.secondary_color", t->secondary_color);
  if (hub_ok(st)) st = check_url(a, "brand.theme.logo_url", t->logo_url);
  if (hub_ok(st)) st = check_url(a, "brand.theme.favicon_url", t->favicon_url);
  if (hub_ok(st) && (!tenant_text_ok(t->custom_css, 65536, true) || strchr(t->custom_css, '<')))
    return hub_status_invalid(a, "brand.theme.custom_css", "at most 64 KiB of CSS, without \"<\"");
  return st;
}

static hub_status check_email(hub_arena *a, const Hub__Tenant__V1__EmailTemplate *e) {
  if (!e) return HUB_STATUS_OK;
  hub_status st = check_url(a, "brand.email.header_logo_url", e->header_logo_url);
  if (hub_ok(st) && !tenant_text_ok(e->footer_text, 2000, true))
    return hub_status_invalid(a, "brand.email.footer_text", "at most 2000 bytes of text");
  if (hub_ok(st) && e->support_address[0] && !hub_email_valid(e->support_address))
    return hub_status_invalid(a, "brand.email.support_address", "not an email address");
  return st;
}

static hub_status check_seo(hub_arena *a, const Hub__Tenant__V1__Seo *s) {
  if (!s) return HUB_STATUS_OK;
  if (!tenant_text_ok(s->title, 200, false))
    return hub_status_invalid(a, "brand.seo.title", "at most 200 bytes, one line");
  if (!tenant_text_ok(s->description, 500, false))
    return hub_status_invalid(a, "brand.seo.description", "at most 500 bytes, one line");
  return tenant_check_list(a, "brand.seo.keywords", s->keywords, s->n_keywords, 50, keyword_ok);
}

static hub_status check_white_label(hub_arena *a, const Hub__Tenant__V1__WhiteLabel *w) {
  if (w && !tenant_text_ok(w->sender_name, 100, false))
    return hub_status_invalid(a, "brand.white_label.sender_name", "at most 100 bytes, one line");
  return HUB_STATUS_OK;
}

hub_status hub_tenant_v1_tenant_update_brand_config(hub_call *call, const Hub__Tenant__V1__UpdateBrandConfigRequest *request,
                                                    Hub__Tenant__V1__Brand *response) {
  static const char *const paths[] = {"name", "domains", "theme", "email", "seo", "modules", "white_label", NULL};
  hub_arena *a = hub_call_arena(call);
  const Hub__Tenant__V1__Brand *b = request->brand;
  if (!b) return hub_status_invalid(a, "brand", "required");
  if (!tenant_brand_id_ok(b->id)) return hub_status_invalid(a, "brand.id", "not a brand id");
  tenant_brand_update u = {.id = b->id};
  hub_status st = tenant_mask(a, request->update_mask, paths, &u.bits);
  if (hub_ok(st)) st = tenant_etag(a, request->etag, &u.etag);
  if (!hub_ok(st)) return st;

  if (u.bits & TENANT_BRAND_NAME) {
    if (!b->name[0] || !tenant_text_ok(b->name, 100, false))
      return hub_status_invalid(a, "brand.name", "1 to 100 bytes, one line");
    u.name = b->name;
  }
  if (u.bits & TENANT_BRAND_DOMAINS) {
    st = tenant_check_list(a, "brand.domains", b->domains, b->n_domains, 32, tenant_host_ok);
    if (!hub_ok(st)) return st;
    u.domains = hub_pg_array_literal(a, b->domains, b->n_domains);
  }
  if (u.bits & TENANT_BRAND_THEME) {
    if (!hub_ok(st = check_theme(a, b->theme))) return st;
    u.theme = tenant_theme_json(a, b->theme);
  }
  if (u.bits & TENANT_BRAND_EMAIL) {
    if (!hub_ok(st = check_email(a, b->email))) return st;
    u.email = tenant_email_json(a, b->email);
  }
  if (u.bits & TENANT_BRAND_SEO) {
    if (!hub_ok(st = check_seo(a, b->seo))) return st;
    u.seo = tenant_seo_json(a, b->seo);
  }
  if (u.bits & TENANT_BRAND_MODULES) {
    st = tenant_check_list(a, "brand.modules", b->modules, b->n_modules, 5, hub_acl_is_module);
    if (!hub_ok(st)) return st;
    u.modules = hub_pg_array_literal(a, b->modules, b->n_modules);
  }
  if (u.bits & TENANT_BRAND_WHITE_LABEL) {
    if (!hub_ok(st = check_white_label(a, b->white_label))) return st;
    u.white_label = tenant_white_label_json(a, b->white_label);
  }

  Hub__Tenant__V1__Brand *out;
  st = tenant_brand_update_apply(hub_ctx_of(call)->pg, a, hub_call_remaining_ms(call), &u, &out);
  if (!hub_ok(st)) return st;
  hub_brands_invalidate(); /* this process resolves hosts with the new domains at once */
  copy_brand(response, out);
  return HUB_STATUS_OK;
}
