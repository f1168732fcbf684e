/* See access_matrix.h. */
#include "services/tenant/tenant.h"

#include <stdlib.h>
#include <string.h>

#include "identity/acl.h"

typedef struct pair {
  const char *service, *perm;
} pair;

static int cmp_pair(const void *x, const void *y) {
  const pair *p = x, *q = y;
  int c = strcmp(p->service, q->service);
  return c ? c : strcmp(p->perm, q->perm);
}

static bool has_module(const tenant_access_brand *b, const char *m) {
  for (size_t i = 0; i < b->n_modules; i++)
    if (strcmp(b->modules[i], m) == 0) return true;
  return false;
}

static Hub__Tenant__V1__BrandAccess *brand_access(hub_arena *a, const tenant_access_tenant *t,
                                                  const tenant_access_brand *b) {
  /* Every (service, permission) the patterns yield on this brand. */
  size_t cap = t->n_perms * (b->n_modules + 1) + 1, n = 0;
  pair *pairs = hub_arena_calloc(a, cap, sizeof *pairs);
  for (size_t i = 0; i < t->n_perms; i++) {
    const char *perm = t->perms[i], *dot = strchr(perm, '.');
    if (!dot) continue;
    char *domain = hub_arena_strndup(a, perm, (size_t)(dot - perm));
    if (strcmp(domain, "*") == 0) {
      for (size_t k = 0; k <= b->n_modules; k++) {
        const char *service = k < b->n_modules ? b->modules[k] : "tenant";
        pairs[n++] = (pair){service, hub_arena_sprintf(a, "%s%s", service, dot)};
      }
    } else if (strcmp(domain, "platform") != 0 && (!hub_acl_is_module(domain) || has_module(b, domain))) {
      pairs[n++] = (pair){domain, perm};
    }
  }
  qsort(pairs, n, sizeof *pairs, cmp_pair);

  Hub__Tenant__V1__BrandAccess *out = hub_arena_alloc(a, sizeof *out);
  hub__tenant__v1__brand_access__init(out);
  out->brand = b->brand;
  out->services = hub_arena_calloc(a, n + 1, sizeof *out->services);
  Hub__Tenant__V1__ServiceAccess *cur = NULL;
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && cmp_pair(&pairs[i], &pairs[i - 1]) == 0) continue;
    if (!cur || strcmp(cur->service, pairs[i].service) != 0) {
      cur = hub_arena_alloc(a, sizeof *cur);
      hub__tenant__v1__service_access__init(cur);
      cur->service = (char *)pairs[i].service;
      cur->permissions = hub_arena_calloc(a, n + 1, sizeof *cur->permissions);
      out->services[out->n_services++] = cur;
    }
    cur->permissions[cur->n_permissions++] = (char *)pairs[i].perm;
  }
  return out;
}

void tenant_access_brands(hub_arena *a, const tenant_access_tenant *t, Hub__Tenant__V1__TenantAccess *out) {
  out->n_brands = 0;
  out->brands = hub_arena_calloc(a, t->n_brands + 1, sizeof *out->brands);
  for (size_t i = 0; i < t->n_brands; i++) out->brands[out->n_brands++] = brand_access(a, t, &t->brands[i]);
}
