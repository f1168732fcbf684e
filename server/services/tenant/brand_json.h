/* The brands table keeps a brand's theme, mail parts, SEO and white-label settings as jsonb
 * objects whose keys are the proto's snake_case field names. This converts both ways. */
#ifndef HUB_TENANT_BRAND_JSON_H
#define HUB_TENANT_BRAND_JSON_H

#include "hub/arena.h"
#include "hub/tenant/v1/tenant.pb-c.h"

/* Compact JSON of the message; empty strings are left out. A NULL message gives "{}". */
char *tenant_theme_json(hub_arena *a, const Hub__Tenant__V1__Theme *m);
char *tenant_email_json(hub_arena *a, const Hub__Tenant__V1__EmailTemplate *m);
char *tenant_seo_json(hub_arena *a, const Hub__Tenant__V1__Seo *m);
char *tenant_white_label_json(hub_arena *a, const Hub__Tenant__V1__WhiteLabel *m);

/* Messages from stored JSON; unknown keys and values of the wrong type are ignored. */
Hub__Tenant__V1__Theme *tenant_theme_from_json(hub_arena *a, const char *json);
Hub__Tenant__V1__EmailTemplate *tenant_email_from_json(hub_arena *a, const char *json);
Hub__Tenant__V1__Seo *tenant_seo_from_json(hub_arena *a, const char *json);
Hub__Tenant__V1__WhiteLabel *tenant_white_label_from_json(hub_arena *a, const char *json);

#endif
