/* Access snapshots (server/identity/acl.c): the string kept in each Redis session must survive
 * a round trip byte for byte (names and emails with the separators in them), refuse what it
 * did not write, and the permission patterns must match exactly what the role table means. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "identity/acl.h"
#include "identity/apikey.h"

static hub_acl sample(void) {
  hub_acl acl;
  memset(&acl, 0, sizeof acl);
  strcpy(acl.role, "admin");
  strcpy(acl.email, "o'brien|ops,100%@example.com");
  strcpy(acl.display_name, "Zoë | Ops, 100% = ok");
  acl.email_verified = true;
  acl.n_brands = 2;
  strcpy(acl.brands[0].id, "exakeep");
  acl.brands[0].n_modules = 2;
  strcpy(acl.brands[0].modules[0], "accounting");
  strcpy(acl.brands[0].modules[1], "ticket");
  strcpy(acl.brands[1].id, "addvive"); /* a brand with no module entitled */
  acl.n_perms = 3;
  strcpy(acl.perms[0], "ticket.*.*");
  strcpy(acl.perms[1], "tenant.members.*");
  strcpy(acl.perms[2], "crm.contacts.view");
  return acl;
}

static void test_round_trip(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_acl in = sample(), out;
  char *text = hub_acl_format(&in, a);
  assert_null(strstr(text, "Zoë | Ops")); /* the separators are escaped */
  assert_true(hub_acl_parse(text, &out));
  assert_string_equal(out.role, "admin");
  assert_string_equal(out.email, in.email);
  assert_string_equal(out.display_name, in.display_name);
  assert_true(out.email_verified);
  assert_false(out.mfa_enabled);
  assert_false(out.platform_admin);
  assert_int_equal(out.n_brands, 2);
  assert_int_equal(out.brands[0].n_modules, 2);
  assert_string_equal(out.brands[0].modules[1], "ticket");
  assert_int_equal(out.brands[1].n_modules, 0);
  assert_int_equal(out.n_perms, 3);
  assert_string_equal(out.perms[2], "crm.contacts.view");
  /* An empty snapshot (no tenant) round-trips too. */
  hub_acl none, none_out;
  memset(&none, 0, sizeof none);
  none.platform_admin = true;
  assert_true(hub_acl_parse(hub_acl_format(&none, a), &none_out));
  assert_true(none_out.platform_admin);
  assert_string_equal(none_out.role, "");
  assert_int_equal(none_out.n_brands, 0);
  hub_arena_free(a);
}

static void test_refuses_what_it_did_not_write(void **state) {
  (void)state;
  hub_acl out;
  assert_false(hub_acl_parse(NULL, &out));
  assert_false(hub_acl_parse("", &out));
  assert_false(hub_acl_parse("v0|role=owner|pa=1|ev=1|mfa=0|email=x|name=y|b=|p=*.*.*", &out));
  assert_false(hub_acl_parse("v1|role=owner|pa=1|b=|p=*.*.*", &out)); /* fields missing */
  char big[4096] = "v1|role=owner|pa=0|ev=0|mfa=0|email=a|name=b|b=|p=";
  for (int i = 0; i < HUB_ACL_MAX_PERMS + 1; i++) strcat(big, i ? ",x.y.z" : "x.y.z");
  assert_false(hub_acl_parse(big, &out)); /* more permissions than a snapshot holds */
}

static void test_patterns(void **state) {
  (void)state;
  assert_true(hub_acl_pattern_matches("*.*.*", "ticket.tickets.view"));
  assert_true(hub_acl_pattern_matches("ticket.*.*", "ticket.sla.manage"));
  assert_true(hub_acl_pattern_matches("*.*.view", "crm.contacts.view"));
  assert_false(hub_acl_pattern_matches("*.*.view", "crm.contacts.update"));
  assert_false(hub_acl_pattern_matches("ticket.*.*", "tickets.x.y"));   /* whole parts, not prefixes */
  assert_false(hub_acl_pattern_matches("ticket.tickets.view", "ticket.tickets.viewer"));
  assert_false(hub_acl_pattern_matches("ticket.*", "ticket.tickets.view")); /* three parts or nothing */
  assert_false(hub_acl_pattern_matches("*.*.*", "ticket.tickets"));
}

static void test_grants_brands_and_modules(void **state) {
  (void)state;
  hub_acl acl = sample();
  assert_true(hub_acl_grants(&acl, "ticket.tickets.assign"));
  assert_true(hub_acl_grants(&acl, "tenant.members.invite"));
  assert_false(hub_acl_grants(&acl, "tenant.tenants.delete"));
  assert_false(hub_acl_grants(&acl, "platform.brands.update")); /* not a platform admin */
  acl.platform_admin = true;
  assert_true(hub_acl_grants(&acl, "platform.brands.update"));
  acl.role[0] = '\0'; /* not a member: no tenant permission, whatever the patterns say */
  assert_false(hub_acl_grants(&acl, "ticket.tickets.view"));
  const hub_acl_brand *b = hub_acl_find_brand(&acl, "exakeep");
  assert_non_null(b);
  assert_true(hub_acl_brand_has_module(b, "ticket"));
  assert_false(hub_acl_brand_has_module(b, "crm"));
  assert_null(hub_acl_find_brand(&acl, "blog"));
  assert_true(hub_acl_is_module("ticket"));
  assert_false(hub_acl_is_module("tenant"));
  assert_false(hub_acl_is_module("platform"));
}

/* An API key's scopes narrow the account's patterns to exactly the permissions both grant. */
static void test_narrow_to_scopes(void **state) {
  (void)state;
  hub_acl acl = sample();
  hub_acl_narrow(&acl, NULL, 0); /* no scopes: unchanged */
  assert_int_equal(acl.n_perms, 3);
  char *scopes[] = {"ticket.tickets.view", "*.members.invite", "crm.*.*", "hrms.*.*"};
  hub_acl_narrow(&acl, scopes, 4);
  assert_true(hub_acl_grants(&acl, "ticket.tickets.view"));
  assert_false(hub_acl_grants(&acl, "ticket.tickets.update")); /* the account may, the key may not */
  assert_true(hub_acl_grants(&acl, "tenant.members.invite"));
  assert_false(hub_acl_grants(&acl, "tenant.members.remove"));
  assert_true(hub_acl_grants(&acl, "crm.contacts.view"));
  assert_false(hub_acl_grants(&acl, "crm.contacts.update")); /* the scope may, the account may not */
  assert_false(hub_acl_grants(&acl, "hrms.staff.view"));     /* a scope outside the account adds nothing */
  /* A scope matching nothing leaves nothing. */
  acl = sample();
  char *none[] = {"billing.invoices.view"};
  hub_acl_narrow(&acl, none, 1);
  assert_int_equal(acl.n_perms, 0);
  assert_false(hub_acl_grants(&acl, "ticket.tickets.view"));
}

/* The key's shape is checked without any I/O; the prefix comes out. */
static void test_api_key_shape(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *key = NULL, prefix[HUB_APIKEY_PREFIX_LEN + 1], parsed[HUB_APIKEY_PREFIX_LEN + 1];
  assert_true(hub_apikey_generate(a, &key, prefix));
  assert_true(hub_apikey_claimed(key));
  assert_true(hub_apikey_parse(key, parsed));
  assert_string_equal(parsed, prefix);
  char *other = NULL;
  assert_true(hub_apikey_generate(a, &other, parsed));
  assert_string_not_equal(key, other);
  assert_false(hub_apikey_claimed("eyJhbGciOiJFUzI1NiJ9.e30.sig"));
  const char *bad[] = {"", "hub_live_", "hub_live_abcdefgh", "hub_live_ABCDEFGH_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                       "hub_test_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                       "hub_live_abcdefgh-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                       "hub_live_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                       "hub_live_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) assert_false(hub_apikey_parse(bad[i], parsed));
  assert_true(hub_apikey_parse("hub_live_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_-", parsed));
  assert_string_equal(parsed, "abcdefgh");
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_refuses_what_it_did_not_write),
      cmocka_unit_test(test_patterns),
      cmocka_unit_test(test_grants_brands_and_modules),
      cmocka_unit_test(test_narrow_to_scopes),
      cmocka_unit_test(test_api_key_shape),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
