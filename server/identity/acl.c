/* Access snapshots (see acl.h): format, parse, match, and the one place they are built
 * from PostgreSQL. */
#include "identity/acl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/array.h"
#include "hub/api/v1/module.pb-c.h"
#include "hub/enum_text.h"
#include "hub/log.h"

static void put(char *buf, size_t cap, size_t *n, const char *s) {
  size_t l = strlen(s);
  if (*n + l < cap) {
    memcpy(buf + *n, s, l);
    *n += l;
    buf[*n] = '\0';
  }
}

/* Percent-encodes everything but [A-Za-z0-9.@_+-] (so '|' ',' ':' '%' never appear raw). */
static void put_escaped(char *buf, size_t cap, size_t *n, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    char one[4];
    bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                 *p == '@' || *p == '_' || *p == '+' || *p == '-';
    if (plain) snprintf(one, sizeof one, "%c", *p);
    else snprintf(one, sizeof one, "%%%02X", *p);
    put(buf, cap, n, one);
  }
}

static bool take_unescaped(char *dst, size_t cap, const char *s, const char *e) {
  size_t k = 0;
  for (const char *p = s; p < e; p++) {
    if (k + 1 >= cap) return false;
    unsigned v;
    if (*p == '%' && e - p >= 3 && sscanf(p + 1, "%2x", &v) == 1) {
      dst[k++] = (char)v;
      p += 2;
    } else {
      dst[k++] = *p;
    }
  }
  dst[k] = '\0';
  return true;
}

char *hub_acl_format(const hub_acl *acl, hub_arena *a) {
  size_t cap = 128 + 3 * (strlen(acl->email) + strlen(acl->display_name)) +
               (size_t)acl->n_brands * (32 + HUB_ACL_MAX_MODULES * 25) + (size_t)acl->n_perms * 65;
  char *buf = hub_arena_alloc(a, cap);
  size_t n = 0;
  buf[0] = '\0';
  put(buf, cap, &n, "v1|role=");
  put(buf, cap, &n, acl->role);
  put(buf, cap, &n, acl->platform_admin ? "|pa=1" : "|pa=0");
  put(buf, cap, &n, acl->email_verified ? "|ev=1" : "|ev=0");
  put(buf, cap, &n, acl->mfa_enabled ? "|mfa=1|email=" : "|mfa=0|email=");
  put_escaped(buf, cap, &n, acl->email);
  put(buf, cap, &n, "|name=");
  put_escaped(buf, cap, &n, acl->display_name);
  put(buf, cap, &n, "|b=");
  for (int i = 0; i < acl->n_brands; i++) {
    if (i) put(buf, cap, &n, ",");
    put(buf, cap, &n, acl->brands[i].id);
    put(buf, cap, &n, ":");
    for (int k = 0; k < acl->brands[i].n_modules; k++) {
      if (k) put(buf, cap, &n, "+");
      put(buf, cap, &n, acl->brands[i].modules[k]);
    }
  }
  put(buf, cap, &n, "|p=");
  for (int i = 0; i < acl->n_perms; i++) {
    if (i) put(buf, cap, &n, ",");
    put(buf, cap, &n, acl->perms[i]);
  }
  return buf;
}

/* Copies [s, e) into dst (cap bytes); false if it does not fit. */
static bool take(char *dst, size_t cap, const char *s, const char *e) {
  size_t l = (size_t)(e - s);
  if (l >= cap) return false;
  memcpy(dst, s, l);
  dst[l] = '\0';
  return true;
}

static const char *field(const char *text, const char *key) {
  const char *p = strstr(text, key);
  return p ? p + strlen(key) : NULL;
}

static const char *end_of(const char *p) {
  const char *e = strchr(p, '|');
  return e ? e : p + strlen(p);
}

bool hub_acl_parse(const char *text, hub_acl *out) {
  memset(out, 0, sizeof *out);
  if (!text || strncmp(text, "v1|", 3) != 0) return false;
  const char *role = field(text, "|role="), *pa = field(text, "|pa="), *b = field(text, "|b="),
             *p = field(text, "|p="), *ev = field(text, "|ev="), *mfa = field(text, "|mfa="),
             *email = field(text, "|email="), *name = field(text, "|name=");
  if (!role || !pa || !b || !p || !ev || !mfa || !email || !name) return false;
  if (!take(out->role, sizeof out->role, role, end_of(role))) return false;
  out->platform_admin = *pa == '1';
  out->email_verified = *ev == '1';
  out->mfa_enabled = *mfa == '1';
  if (!take_unescaped(out->email, sizeof out->email, email, end_of(email)) ||
      !take_unescaped(out->display_name, sizeof out->display_name, name, end_of(name)))
    return false;
  const char *be = end_of(b);
  while (b < be) {
    if (out->n_brands == HUB_ACL_MAX_BRANDS) return false;
    hub_acl_brand *br = &out->brands[out->n_brands++];
    const char *colon = memchr(b, ':', (size_t)(be - b));
    const char *comma = memchr(b, ',', (size_t)(be - b));
    const char *item_end = comma ? comma : be;
    if (!colon || colon > item_end || !take(br->id, sizeof br->id, b, colon)) return false;
    const char *m = colon + 1;
    while (m < item_end) {
      const char *plus = memchr(m, '+', (size_t)(item_end - m));
      const char *me = plus ? plus : item_end;
      if (br->n_modules == HUB_ACL_MAX_MODULES) return false;
      if (!take(br->modules[br->n_modules++], sizeof br->modules[0], m, me)) return false;
      m = me + 1;
    }
    b = item_end + 1;
  }
  const char *pe = end_of(p);
  while (p < pe) {
    const char *comma = memchr(p, ',', (size_t)(pe - p));
    const char *e = comma ? comma : pe;
    if (out->n_perms == HUB_ACL_MAX_PERMS) return false;
    if (!take(out->perms[out->n_perms++], sizeof out->perms[0], p, e)) return false;
    p = e + 1;
  }
  return true;
}

bool hub_acl_pattern_matches(const char *pattern, const char *perm) {
  /* Three dot-separated parts; "*" in the pattern matches any one part. */
  for (int part = 0; part < 3; part++) {
    const char *pe = strchr(pattern, '.'), *qe = strchr(perm, '.');
    if (part < 2 && (!pe || !qe)) return false;
    size_t pl = part < 2 ? (size_t)(pe - pattern) : strlen(pattern);
    size_t ql = part < 2 ? (size_t)(qe - perm) : strlen(perm);
    if (!(pl == 1 && pattern[0] == '*') && (pl != ql || memcmp(pattern, perm, pl) != 0)) return false;
    if (part < 2) {
      pattern = pe + 1;
      perm = qe + 1;
    }
  }
  return true;
}

bool hub_acl_grants(const hub_acl *acl, const char *perm) {
  if (strncmp(perm, "platform.", 9) == 0) return acl->platform_admin;
  if (!acl->role[0]) return false;
  for (int i = 0; i < acl->n_perms; i++)
    if (hub_acl_pattern_matches(acl->perms[i], perm)) return true;
  return false;
}

const hub_acl_brand *hub_acl_find_brand(const hub_acl *acl, const char *brand) {
  for (int i = 0; i < acl->n_brands; i++)
    if (strcmp(acl->brands[i].id, brand) == 0) return &acl->brands[i];
  return NULL;
}

bool hub_acl_brand_has_module(const hub_acl_brand *b, const char *module) {
  for (int i = 0; i < b->n_modules; i++)
    if (strcmp(b->modules[i], module) == 0) return true;
  return false;
}

bool hub_acl_is_module(const char *domain) {
  return hub_enum_from_text(&hub__api__v1__module__descriptor, domain) != 0;
}

/* The patterns both `x` and `y` match, part by part ("*" takes the other side's part);
 * false when they share no permission. */
static bool intersect(const char *x, const char *y, char *out, size_t cap) {
  size_t n = 0;
  out[0] = '\0';
  for (int part = 0; part < 3; part++) {
    const char *xe = strchr(x, '.'), *ye = strchr(y, '.');
    if (part < 2 && (!xe || !ye)) return false;
    size_t xl = part < 2 ? (size_t)(xe - x) : strlen(x), yl = part < 2 ? (size_t)(ye - y) : strlen(y);
    const char *take_p = x;
    size_t take_l = xl;
    if (xl == 1 && x[0] == '*') take_p = y, take_l = yl;
    else if (!(yl == 1 && y[0] == '*') && (xl != yl || memcmp(x, y, xl) != 0)) return false;
    if (n + take_l + 2 > cap) return false;
    if (part) out[n++] = '.';
    memcpy(out + n, take_p, take_l);
    n += take_l;
    out[n] = '\0';
    if (part < 2) x = xe + 1, y = ye + 1;
  }
  return true;
}

void hub_acl_narrow(hub_acl *acl, char *const *scopes, size_t n) {
  if (n == 0) return;
  char kept[HUB_ACL_MAX_PERMS][64];
  int k = 0;
  for (int i = 0; i < acl->n_perms; i++)
    for (size_t s = 0; s < n && k < HUB_ACL_MAX_PERMS; s++) {
      char both[64];
      if (!intersect(acl->perms[i], scopes[s], both, sizeof both)) continue;
      bool dup = false;
      for (int d = 0; d < k && !dup; d++) dup = strcmp(kept[d], both) == 0;
      if (!dup) memcpy(kept[k++], both, sizeof both);
    }
  memcpy(acl->perms, kept, sizeof kept[0] * (size_t)k);
  acl->n_perms = k;
}

/* ---- loading from PostgreSQL ---- */

static const hub_pg_stmt admin_sql = {
    "acl_account",
    "SELECT is_platform_admin, email, display_name, email_verified_at IS NOT NULL AS email_verified, "
    "totp_sealed IS NOT NULL AS mfa_enabled FROM users WHERE id = $1::uuid",
    1};

/* The member's role, extra permissions and brand list; nothing when not a member or the
 * tenant is deleted. */
static const hub_pg_stmt member_sql = {
    "acl_member",
    "SELECT m.role, m.permissions, m.brands FROM members m JOIN tenants t ON t.id = m.tenant_id "
    "WHERE m.tenant_id = $1::uuid AND m.user_id = $2::uuid AND t.deleted_at IS NULL",
    2};

static const hub_pg_stmt role_sql = {"acl_role_perms",
                                     "SELECT permission FROM role_permissions WHERE role = $1 ORDER BY permission", 1};

/* Entitled brands with the modules both the entitlement and the brand's offer include,
 * narrowed to the member's brand list when it is not empty ($2). */
static const hub_pg_stmt brands_sql = {
    "acl_brands",
    "SELECT e.brand, array_to_string(ARRAY(SELECT unnest(e.modules) INTERSECT SELECT unnest(b.modules) ORDER BY 1), "
    "'+') AS modules FROM entitlements e JOIN brands b ON b.id = e.brand "
    "WHERE e.tenant_id = $1::uuid AND (cardinality($2::text[]) = 0 OR e.brand = ANY($2::text[])) ORDER BY e.brand",
    2};

/* Adds the elements of a text[] value to the permissions, skipping ones already there. */
static void add_array(hub_arena *a, hub_acl *acl, const char *lit) {
  char **items;
  size_t n = hub_pg_array_parse(a, lit, &items);
  for (size_t i = 0; i < n && acl->n_perms < HUB_ACL_MAX_PERMS; i++) {
    bool dup = strlen(items[i]) >= sizeof acl->perms[0];
    for (int k = 0; k < acl->n_perms && !dup; k++) dup = strcmp(acl->perms[k], items[i]) == 0;
    if (!dup) strcpy(acl->perms[acl->n_perms++], items[i]);
  }
}

/* Two round trips: the account with the membership, then the role's defaults with the brands. */
hub_status hub_acl_load_tx(hub_tx *tx, const char *user_id, const char *tenant_id, hub_acl *out) {
  memset(out, 0, sizeof *out);
  bool in_tenant = tenant_id && *tenant_id;
  hub_rows *account = hub_tx_exec(tx, &admin_sql, (const char *[]){user_id});
  hub_rows *member = in_tenant ? hub_tx_exec(tx, &member_sql, (const char *[]){tenant_id, user_id}) : NULL;
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(account) == 1) {
    out->platform_admin = hub_rows_bool(account, 0, "is_platform_admin");
    snprintf(out->email, sizeof out->email, "%s", hub_rows_text(account, 0, "email"));
    snprintf(out->display_name, sizeof out->display_name, "%s", hub_rows_text(account, 0, "display_name"));
    out->email_verified = hub_rows_bool(account, 0, "email_verified");
    out->mfa_enabled = hub_rows_bool(account, 0, "mfa_enabled");
  }
  if (!member || hub_rows_count(member) != 1) return HUB_STATUS_OK; /* not a member: empty role */
  return hub_acl_load_grant_tx(tx, tenant_id, hub_rows_text(member, 0, "role"), hub_rows_text(member, 0, "permissions"),
                               hub_rows_text(member, 0, "brands"), out);
}

hub_status hub_acl_load_grant_tx(hub_tx *tx, const char *tenant_id, const char *role, const char *extra,
                                 const char *member_brands, hub_acl *out) {
  snprintf(out->role, sizeof out->role, "%s", role);
  hub_rows *perms = hub_tx_exec(tx, &role_sql, (const char *[]){out->role});
  hub_rows *brands = hub_tx_exec(tx, &brands_sql, (const char *[]){tenant_id, member_brands});
  hub_status st = hub_tx_flush(tx);
  if (!hub_ok(st)) return st;
  for (int i = 0; i < hub_rows_count(perms) && out->n_perms < HUB_ACL_MAX_PERMS; i++)
    snprintf(out->perms[out->n_perms++], sizeof out->perms[0], "%s", hub_rows_text(perms, i, "permission"));
  add_array(hub_tx_arena(tx), out, extra);
  for (int i = 0; i < hub_rows_count(brands) && out->n_brands < HUB_ACL_MAX_BRANDS; i++) {
    hub_acl_brand *b = &out->brands[out->n_brands++];
    snprintf(b->id, sizeof b->id, "%s", hub_rows_text(brands, i, "brand"));
    const char *m = hub_rows_text(brands, i, "modules");
    while (*m && b->n_modules < HUB_ACL_MAX_MODULES) {
      const char *e = strchr(m, '+');
      if (!e) e = m + strlen(m);
      take(b->modules[b->n_modules++], sizeof b->modules[0], m, e);
      m = *e ? e + 1 : e;
    }
  }
  return HUB_STATUS_OK;
}

typedef struct load_ctx {
  const char *user_id, *tenant_id;
  hub_acl *out;
} load_ctx;

static hub_status load_fn(hub_tx *tx, void *ud) {
  load_ctx *c = ud;
  return hub_acl_load_tx(tx, c->user_id, c->tenant_id, c->out);
}

hub_status hub_acl_load(hub_pg *pg, hub_arena *a, const char *user_id, const char *tenant_id, int64_t timeout_ms,
                        hub_acl *out) {
  load_ctx c = {user_id, tenant_id, out};
  return hub_tx_run(pg, a, hub_sql_opt(tenant_id), user_id, timeout_ms, load_fn, &c);
}
