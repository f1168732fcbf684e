/* The brands' dress for notifications, read once per pass: name, app domain (the first that
 * starts with "app.", else the first), theme colour, the email template's logo, footer and
 * support address, the white label's sender name and "powered by" switch. A brand an event
 * names but the table lacks falls back to SMB Hub's. */
#include <stdio.h>
#include <string.h>

#include "services/notify/notify.h"

const hub_pg_stmt notify_brands_sql = {
    "notify_brands",
    "SELECT id, name, coalesce((SELECT d FROM unnest(domains) d ORDER BY d NOT LIKE 'app.%', d LIMIT 1), '') AS "
    "domain, "
    "coalesce(theme->>'primary_color', '') AS color, coalesce(email->>'header_logo_url', '') AS logo, "
    "coalesce(email->>'footer_text', '') AS footer, coalesce(email->>'support_address', '') AS support, "
    "coalesce(white_label->>'sender_name', '') AS sender, coalesce((white_label->>'hide_powered_by')::boolean, false) "
    "AS hide "
    "FROM brands",
    0};

void notify_brands_load(const hub_rows *r, hub_arena *a, const notify_settings *s, notify_brands *out) {
  out->n = hub_rows_count(r);
  out->b = hub_arena_calloc(a, (size_t)(out->n ? out->n : 1), sizeof *out->b);
  for (int i = 0; i < out->n; i++) {
    notify_brand *b = &out->b[i];
    const char *domain = hub_rows_text(r, i, "domain");
    b->id = hub_rows_text(r, i, "id");
    b->name = hub_rows_text(r, i, "name");
    b->app_url = s->public_url && *s->public_url ? s->public_url : hub_arena_sprintf(a, "https://%s", domain);
    b->primary_color = hub_rows_text(r, i, "color");
    b->logo_url = hub_rows_text(r, i, "logo");
    b->footer = hub_rows_text(r, i, "footer");
    b->support_address = hub_rows_text(r, i, "support");
    const char *sender = hub_rows_text(r, i, "sender");
    b->sender_name = *sender ? sender : b->name;
    b->hide_powered_by = hub_rows_bool(r, i, "hide");
  }
}

const notify_brand *notify_brand_find(const notify_brands *bs, const char *id) {
  const notify_brand *fallback = NULL;
  for (int i = 0; i < bs->n; i++) {
    if (id && !strcmp(bs->b[i].id, id)) return &bs->b[i];
    if (!strcmp(bs->b[i].id, "smb_hub")) fallback = &bs->b[i];
  }
  static const notify_brand none = {"smb_hub", "SMB Hub", "https://smbhub.com", "", "", "", "SMB Hub", "", false};
  return fallback ? fallback : bs->n ? &bs->b[0] : &none;
}
