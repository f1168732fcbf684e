/* The Tenant service's pure modules (services/tenant/tenant.h), without a database: the
 * membership rules (hierarchy, last owner), the access matrix's wildcard expansion, brand
 * settings through their stored JSON, and the values the field rules cannot express. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "services/tenant/tenant.h"

static void test_member_change(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  assert_true(hub_ok(tenant_rule_member_change(a, "owner", "admin", "member", false, 1)));
  assert_int_equal(tenant_rule_member_change(a, "admin", "owner", "member", false, 2).code, HUB_PERMISSION_DENIED);
  assert_int_equal(tenant_rule_member_change(a, "admin", "member", "owner", false, 1).code, HUB_PERMISSION_DENIED);
  /* the last owner stays */
  assert_int_equal(tenant_rule_member_change(a, "owner", "owner", "admin", false, 1).code, HUB_FAILED_PRECONDITION);
  assert_int_equal(tenant_rule_member_change(a, "owner", "owner", NULL, true, 1).code, HUB_FAILED_PRECONDITION);
  assert_true(hub_ok(tenant_rule_member_change(a, "owner", "owner", NULL, true, 2)));
  assert_int_equal(tenant_rule_role(a, "admin", "role", "boss").code, HUB_INVALID_ARGUMENT);
  assert_int_equal(tenant_rule_role(a, "admin", "role", "owner").code, HUB_PERMISSION_DENIED);
  assert_true(hub_ok(tenant_rule_role(a, "admin", "role", "viewer")));
  hub_arena_free(a);
}

static void test_grants(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  static hub_acl granter;
  strcpy(granter.perms[0], "ticket.*.*");
  granter.n_perms = 1;
  char *ok[] = {"ticket.tickets.view"}, *bad[] = {"ticket..view"}, *platform[] = {"platform.tenants.manage"},
       *not_held[] = {"crm.deals.view"};
  assert_true(hub_ok(tenant_rule_grants(a, &granter, "permissions", ok, 1)));
  hub_status st = tenant_rule_grants(a, &granter, "permissions", bad, 1);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(st.violations->field, "permissions[0]");
  assert_int_equal(tenant_rule_grants(a, &granter, "permissions", platform, 1).code, HUB_INVALID_ARGUMENT);
  assert_int_equal(tenant_rule_grants(a, &granter, "permissions", not_held, 1).code, HUB_PERMISSION_DENIED);
  hub_arena_free(a);
}

static void test_access_matrix(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *mods[] = {"ticket"};
  tenant_access_brand b = {.brand = "exakeep", .modules = mods, .n_modules = 1};
  char *perms[] = {"*.*.view", "crm.deals.view", "platform.tenants.manage", "tenant.members.manage"};
  tenant_access_tenant t = {.tenant_id = "t", .name = "T", .role = "viewer", .perms = perms, .n_perms = 4,
                            .brands = &b, .n_brands = 1};
  Hub__Tenant__V1__TenantAccess out = HUB__TENANT__V1__TENANT_ACCESS__INIT;
  tenant_access_brands(a, &t, &out);
  assert_int_equal(out.n_brands, 1);
  Hub__Tenant__V1__BrandAccess *ba = out.brands[0];
  /* crm is not entitled on the brand and platform is no tenant's: tenant and ticket remain */
  assert_int_equal(ba->n_services, 2);
  assert_string_equal(ba->services[0]->service, "tenant");
  assert_int_equal(ba->services[0]->n_permissions, 2);
  assert_string_equal(ba->services[0]->permissions[0], "tenant.*.view");
  assert_string_equal(ba->services[0]->permissions[1], "tenant.members.manage");
  assert_string_equal(ba->services[1]->service, "ticket");
  assert_string_equal(ba->services[1]->permissions[0], "ticket.*.view");
  hub_arena_free(a);
}

static void test_brand_json(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__Seo seo = HUB__TENANT__V1__SEO__INIT;
  char *kw[] = {"homes", "say \"hi\""};
  seo.title = "Homes";
  seo.keywords = kw;
  seo.n_keywords = 2;
  char *json = tenant_seo_json(a, &seo);
  assert_string_equal(json, "{\"keywords\":[\"homes\",\"say \\\"hi\\\"\"],\"title\":\"Homes\"}");
  Hub__Tenant__V1__Seo *back = tenant_seo_from_json(a, json);
  assert_string_equal(back->title, "Homes");
  assert_string_equal(back->description, "");
  assert_int_equal(back->n_keywords, 2);
  assert_string_equal(back->keywords[1], "say \"hi\"");
  assert_string_equal(tenant_theme_json(a, NULL), "{}");
  assert_string_equal(tenant_theme_from_json(a, "[1]")->primary_color, ""); /* not an object: ignored */
  assert_string_equal(tenant_json_object(a, "b", "2", "skip", NULL, "a", "1", NULL), "{\"a\":\"1\",\"b\":\"2\"}");
  hub_arena_free(a);
}

static void test_values(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  assert_true(tenant_host_ok("app.exakeep.com"));
  assert_false(tenant_host_ok("Homes.Example"));
  assert_false(tenant_host_ok("nodot"));
  assert_false(tenant_host_ok("a-.example.com"));
  assert_true(tenant_colour_ok("#0B5FFF"));
  assert_false(tenant_colour_ok("#12345G"));
  assert_true(tenant_flag_ok("beta.reports_v2"));
  assert_false(tenant_flag_ok("Beta"));
  assert_string_equal(tenant_slug_from_name(a, "Acme & Sons, Ltd."), "acme-sons-ltd");
  assert_null(tenant_slug_from_name(a, "!!"));
  int64_t etag;
  assert_true(hub_ok(tenant_etag(a, "", &etag)));
  assert_int_equal(etag, -1);
  assert_true(hub_ok(tenant_etag(a, "42", &etag)));
  assert_int_equal(etag, 42);
  assert_int_equal(tenant_etag(a, "0", &etag).code, HUB_INVALID_ARGUMENT);
  char *hosts[] = {"a.example.com", "B.example.com"};
  hub_status st = tenant_check_items(a, "brand.domains", hosts, 2, tenant_host_ok, "not a host name");
  assert_string_equal(st.violations->field, "brand.domains[1]");
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_member_change), cmocka_unit_test(test_grants), cmocka_unit_test(test_access_matrix),
      cmocka_unit_test(test_brand_json),    cmocka_unit_test(test_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
