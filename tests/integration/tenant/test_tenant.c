/* The Tenant service against a real hubd (PostgreSQL, Redis, gRPC), through the generated
 * client stubs, with users made by the real Auth RPCs: brands and their resolution, tenants
 * (idempotent creation, also under concurrency), entitlements, invitations through the
 * outbox, member rules (roles, last owner, etags, masks), feature-flag precedence and its
 * cache, the access matrix, the audit trail, pagination, and every refusal the contract
 * promises. Tests share one hubd; each works on tenants of its own. */
#include <ctype.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "google/protobuf/field_mask.pb-c.h"
#include "hub/tenant/v1/tenant.hub-client.h"
#include "support/world.h"

static hub_world w;
static hub_test_user owner, admin_u, member_u, other, pa, bob, carol, frank, lister;
static char acme_id[40]; /* owner's tenant (from SignUp), where admin_u and member_u join */

/* ---- helpers ---- */

#define CHECK(st)                                                                                              \
  do {                                                                                                         \
    hub_status st_ = (st);                                                                                     \
    if (!hub_ok(st_)) fail_msg("line %d: %s %s", __LINE__, hub_code_name(st_.code), st_.message ? st_.message : ""); \
  } while (0)
#define EXPECT(st, code) expect_status((st), (code), NULL, __LINE__)
#define EXPECT_FIELD(st, field) expect_status((st), HUB_INVALID_ARGUMENT, (field), __LINE__)

static void expect_status(hub_status st, hub_code code, const char *field, int line) {
  if (st.code != code)
    fail_msg("line %d: got %s (%s), want %s", line, hub_code_name(st.code), st.message ? st.message : "",
             hub_code_name(code));
  if (!field) return;
  for (hub_violation *v = st.violations; v; v = v->next)
    if (v->field && strcmp(v->field, field) == 0) return;
  fail_msg("line %d: INVALID_ARGUMENT without a violation for \"%s\" (%s)", line, field, st.message ? st.message : "");
}

/* Options acting as u in `tenant` (NULL: the session's) and optionally on `brand`. */
static hub_call_options as(const hub_test_user *u, const char *tenant) {
  hub_call_options o = hub_world_opts(u);
  o.tenant_id = tenant;
  return o;
}

static Google__Protobuf__FieldMask *mask(hub_arena *a, const char *p1, const char *p2) {
  Google__Protobuf__FieldMask *m = hub_arena_alloc(a, sizeof *m);
  google__protobuf__field_mask__init(m);
  m->paths = hub_arena_calloc(a, 2, sizeof *m->paths);
  if (p1) m->paths[m->n_paths++] = (char *)p1;
  if (p2) m->paths[m->n_paths++] = (char *)p2;
  return m;
}

static char **strs(hub_arena *a, size_t *n, int count, ...) {
  char **out = hub_arena_calloc(a, (size_t)count + 1, sizeof *out);
  va_list ap;
  va_start(ap, count);
  for (int i = 0; i < count; i++) out[i] = va_arg(ap, char *);
  va_end(ap);
  *n = (size_t)count;
  return out;
}

static long count_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long count_sql(const char *fmt, ...) {
  char sql[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  char *v = hub_world_query(&w, "%s", sql);
  long n = v ? strtol(v, NULL, 10) : -1;
  free(v);
  return n;
}

static hub_status create_tenant(hub_arena *a, const hub_test_user *u, const char *name, const char *slug,
                                const char *brand, const char *request_id, Hub__Tenant__V1__TenantInfo **out) {
  Hub__Tenant__V1__CreateTenantRequest req = HUB__TENANT__V1__CREATE_TENANT_REQUEST__INIT;
  req.name = (char *)name;
  req.slug = (char *)(slug ? slug : "");
  req.brand = (char *)(brand ? brand : "");
  req.request_id = (char *)(request_id ? request_id : "");
  hub_call_options o = as(u, NULL);
  Hub__Tenant__V1__TenantInfo *t = NULL;
  hub_status st = hub_tenant_v1_tenant_create_tenant_call(w.ch, &o, a, &req, &t);
  if (out) *out = t;
  return st;
}

/* Creates a tenant owned by u and returns its id (arena). */
static char *new_tenant(hub_arena *a, const hub_test_user *u, const char *name) {
  Hub__Tenant__V1__TenantInfo *t;
  CHECK(create_tenant(a, u, name, NULL, NULL, NULL, &t));
  return t->id;
}

static hub_status invite(hub_arena *a, const hub_test_user *by, const char *tenant, const char *email, const char *role,
                         Hub__Tenant__V1__InviteMemberResponse **out) {
  Hub__Tenant__V1__InviteMemberRequest req = HUB__TENANT__V1__INVITE_MEMBER_REQUEST__INIT;
  req.email = (char *)email;
  req.role = (char *)role;
  hub_call_options o = as(by, tenant);
  Hub__Tenant__V1__InviteMemberResponse *r = NULL;
  hub_status st = hub_tenant_v1_tenant_invite_member_call(w.ch, &o, a, &req, &r);
  if (out) *out = r;
  return st;
}

/* The token mailed for an invitation, read from the outbox as the mailer would. */
static char *mailed_token(hub_arena *a, const char *invitation_id) {
  char *v = hub_world_query(&w, "SELECT payload->>'token' FROM outbox WHERE topic = 'tenant.invitation' "
                                "AND payload->>'invitation_id' = '%1$s' AND aggregate_id = '%1$s'", invitation_id);
  if (!v) fail_msg("no outbox row for invitation %s", invitation_id);
  char *out = hub_arena_strdup(a, v);
  free(v);
  return out;
}

static hub_status accept(hub_arena *a, const hub_test_user *u, const char *token, Hub__Tenant__V1__Member **out) {
  Hub__Tenant__V1__AcceptInvitationRequest req = HUB__TENANT__V1__ACCEPT_INVITATION_REQUEST__INIT;
  req.token = (char *)token;
  hub_call_options o = as(u, NULL);
  Hub__Tenant__V1__Member *m = NULL;
  hub_status st = hub_tenant_v1_tenant_accept_invitation_call(w.ch, &o, a, &req, &m);
  if (out) *out = m;
  return st;
}

/* by invites u with role into tenant and u accepts: the real flow. */
static void join(hub_arena *a, const hub_test_user *by, const char *tenant, const hub_test_user *u, const char *role) {
  Hub__Tenant__V1__InviteMemberResponse *inv;
  CHECK(invite(a, by, tenant, u->email, role, &inv));
  CHECK(accept(a, u, mailed_token(a, inv->invitation_id), NULL));
}

static hub_status get_tenant(hub_arena *a, const hub_test_user *u, const char *tenant, const char *brand,
                             Hub__Tenant__V1__TenantInfo **out) {
  Hub__Tenant__V1__GetTenantRequest req = HUB__TENANT__V1__GET_TENANT_REQUEST__INIT;
  hub_call_options o = as(u, tenant);
  o.brand = brand;
  Hub__Tenant__V1__TenantInfo *t = NULL;
  hub_status st = hub_tenant_v1_tenant_get_tenant_call(w.ch, &o, a, &req, &t);
  if (out) *out = t;
  return st;
}

static hub_status update_member(hub_arena *a, const hub_test_user *by, const char *tenant, const char *user_id,
                                const char *path, const char *role, const char *etag, Hub__Tenant__V1__Member **out) {
  Hub__Tenant__V1__Member m = HUB__TENANT__V1__MEMBER__INIT;
  m.user_id = (char *)user_id;
  m.role = (char *)(role ? role : "");
  Hub__Tenant__V1__UpdateMemberRequest req = HUB__TENANT__V1__UPDATE_MEMBER_REQUEST__INIT;
  req.member = &m;
  req.update_mask = mask(a, path, NULL);
  req.etag = (char *)(etag ? etag : "");
  hub_call_options o = as(by, tenant);
  Hub__Tenant__V1__Member *r = NULL;
  hub_status st = hub_tenant_v1_tenant_update_member_call(w.ch, &o, a, &req, &r);
  if (out) *out = r;
  return st;
}

static hub_status remove_member(hub_arena *a, const hub_test_user *by, const char *tenant, const char *user_id) {
  Hub__Tenant__V1__RemoveMemberRequest req = HUB__TENANT__V1__REMOVE_MEMBER_REQUEST__INIT;
  req.user_id = (char *)user_id;
  hub_call_options o = as(by, tenant);
  Hub__Tenant__V1__RemoveMemberResponse *r;
  return hub_tenant_v1_tenant_remove_member_call(w.ch, &o, a, &req, &r);
}

static hub_status features(hub_arena *a, const hub_test_user *u, const char *tenant, const char *brand,
                           Hub__Tenant__V1__GetFeaturesResponse **out) {
  Hub__Tenant__V1__GetFeaturesRequest req = HUB__TENANT__V1__GET_FEATURES_REQUEST__INIT;
  req.brand = (char *)(brand ? brand : "");
  hub_call_options o = as(u, tenant);
  return hub_tenant_v1_tenant_get_features_call(w.ch, &o, a, &req, out);
}

static hub_status set_flag(hub_arena *a, const hub_test_user *u, const char *tenant, const char *flag, bool enabled,
                           bool clear, const char *brand, Hub__Tenant__V1__GetFeaturesResponse **out) {
  Hub__Tenant__V1__SetFeatureFlagRequest req = HUB__TENANT__V1__SET_FEATURE_FLAG_REQUEST__INIT;
  req.flag = (char *)flag;
  req.enabled = enabled;
  req.clear = clear;
  req.brand = (char *)(brand ? brand : "");
  hub_call_options o = as(u, tenant);
  Hub__Tenant__V1__GetFeaturesResponse *r = NULL;
  hub_status st = hub_tenant_v1_tenant_set_feature_flag_call(w.ch, &o, a, &req, &r);
  if (out) *out = r;
  return st;
}

/* The value of a flag in a response: 1, 0, or -1 when absent. */
static int flag_of(const Hub__Tenant__V1__GetFeaturesResponse *r, const char *flag) {
  for (size_t i = 0; i < r->n_features; i++)
    if (!strcmp(r->features[i]->key, flag)) return r->features[i]->value ? 1 : 0;
  return -1;
}

static bool has_audit(const char *tenant, const char *action) {
  return count_sql("SELECT count(*) FROM audit_events WHERE tenant_id = '%s' AND action = '%s'", tenant, action) > 0;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- setup ---- */

static int setup(void **state) {
  (void)state;
  const char *env[] = {"HUB_LOGIN_LIMIT_PER_IP=10000", "HUB_LOGIN_LIMIT_PER_ACCOUNT=10000", NULL};
  if (!hub_world_up(&w, "tenant", env)) return -1;
  hub_world_signup_login(&w, "owner@example.com", "Acme Corp", "smb_hub", &owner);
  hub_world_signup_login(&w, "admin@example.com", NULL, NULL, &admin_u);
  hub_world_signup_login(&w, "member@example.com", NULL, NULL, &member_u);
  hub_world_signup_login(&w, "other@example.com", "Other Co", "exakeep", &other);
  hub_world_signup_login(&w, "platform@example.com", NULL, NULL, &pa);
  hub_world_signup_login(&w, "bob@example.com", NULL, NULL, &bob);
  hub_world_signup_login(&w, "carol@example.com", NULL, NULL, &carol);
  hub_world_signup_login(&w, "frank@example.com", NULL, NULL, &frank);
  hub_world_signup_login(&w, "lister@example.com", NULL, NULL, &lister);
  snprintf(acme_id, sizeof acme_id, "%s", owner.tenant_id);
  if (hub_world_sql(&w, "UPDATE users SET is_platform_admin = true WHERE email_norm = 'platform@example.com'")) return -1;
  /* The platform flag is read at sign-in. */
  if (!hub_ok(hub_world_login(&w, pa.email, pa.password, NULL, &pa))) return -1;
  hub_arena *a = hub_arena_new(0);
  join(a, &owner, acme_id, &admin_u, "admin");
  join(a, &owner, acme_id, &member_u, "member");
  hub_arena_free(a);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

/* ---- brands ---- */

static void test_resolve_brand(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__ResolveBrandRequest req = HUB__TENANT__V1__RESOLVE_BRAND_REQUEST__INIT;
  Hub__Tenant__V1__Brand *b;
  hub_call_options o = {.timeout_ms = 5000}; /* public: no token */
  req.host = "app.exakeep.com";
  CHECK(hub_tenant_v1_tenant_resolve_brand_call(w.ch, &o, a, &req, &b));
  assert_string_equal(b->id, "exakeep");
  assert_string_equal(b->name, "ExaKeep");
  assert_string_equal(b->theme->primary_color, "#0B5FFF");
  assert_string_equal(b->email->support_address, "support@exakeep.com");
  assert_string_equal(b->seo->title, "ExaKeep accounting");
  assert_int_equal(b->n_modules, 3);
  assert_string_equal(b->etag, "1");
  req.host = "acme.exakeep.com"; /* nearest parent domain */
  CHECK(hub_tenant_v1_tenant_resolve_brand_call(w.ch, &o, a, &req, &b));
  assert_string_equal(b->id, "exakeep");
  req.host = "Deep.Sub.App.Addvive.com:8443"; /* case and port ignored */
  CHECK(hub_tenant_v1_tenant_resolve_brand_call(w.ch, &o, a, &req, &b));
  assert_string_equal(b->id, "addvive");
  req.host = "blog.smbhub.com"; /* exact beats the parent smbhub.com */
  CHECK(hub_tenant_v1_tenant_resolve_brand_call(w.ch, &o, a, &req, &b));
  assert_string_equal(b->id, "blog");
  req.host = "www.smbhub.com";
  CHECK(hub_tenant_v1_tenant_resolve_brand_call(w.ch, &o, a, &req, &b));
  assert_string_equal(b->id, "smb_hub");
  req.host = "example.org";
  EXPECT(hub_tenant_v1_tenant_resolve_brand_call(w.ch, &o, a, &req, &b), HUB_NOT_FOUND);
  req.host = "";
  EXPECT_FIELD(hub_tenant_v1_tenant_resolve_brand_call(w.ch, &o, a, &req, &b), "host");
  hub_arena_free(a);
}

static hub_status update_brand(hub_arena *a, const hub_test_user *u, Hub__Tenant__V1__Brand *b, const char *path,
                               const char *etag, Hub__Tenant__V1__Brand **out) {
  Hub__Tenant__V1__UpdateBrandConfigRequest req = HUB__TENANT__V1__UPDATE_BRAND_CONFIG_REQUEST__INIT;
  req.brand = b;
  req.update_mask = mask(a, path, NULL);
  req.etag = (char *)(etag ? etag : "");
  hub_call_options o = as(u, NULL);
  Hub__Tenant__V1__Brand *r = NULL;
  hub_status st = hub_tenant_v1_tenant_update_brand_config_call(w.ch, &o, a, &req, &r);
  if (out) *out = r;
  return st;
}

static void test_brand_configs(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__GetBrandConfigRequest get = HUB__TENANT__V1__GET_BRAND_CONFIG_REQUEST__INIT;
  get.brand_id = "realestate";
  Hub__Tenant__V1__Brand *b;
  hub_call_options o = as(&owner, NULL);
  EXPECT(hub_tenant_v1_tenant_get_brand_config_call(w.ch, &o, a, &get, &b), HUB_PERMISSION_DENIED);
  o = as(&pa, NULL);
  CHECK(hub_tenant_v1_tenant_get_brand_config_call(w.ch, &o, a, &get, &b));
  assert_string_equal(b->name, "SMB Real Estate");
  get.brand_id = "nosuch";
  EXPECT(hub_tenant_v1_tenant_get_brand_config_call(w.ch, &o, a, &get, &b), HUB_NOT_FOUND);
  get.brand_id = "Bad-Id";
  EXPECT_FIELD(hub_tenant_v1_tenant_get_brand_config_call(w.ch, &o, a, &get, &b), "brand_id");
  Hub__Tenant__V1__ListBrandConfigsRequest lreq = HUB__TENANT__V1__LIST_BRAND_CONFIGS_REQUEST__INIT;
  Hub__Tenant__V1__ListBrandConfigsResponse *list;
  CHECK(hub_tenant_v1_tenant_list_brand_configs_call(w.ch, &o, a, &lreq, &list));
  assert_int_equal(list->n_brands, 6);
  assert_string_equal(list->brands[0]->id, "addvive");

  /* Update realestate: refusals first. */
  Hub__Tenant__V1__Theme theme = HUB__TENANT__V1__THEME__INIT;
  theme.primary_color = "#12345G";
  Hub__Tenant__V1__Brand nb = HUB__TENANT__V1__BRAND__INIT;
  nb.id = "realestate";
  nb.theme = &theme;
  EXPECT(update_brand(a, &owner, &nb, "theme", NULL, NULL), HUB_PERMISSION_DENIED);
  EXPECT_FIELD(update_brand(a, &pa, &nb, "theme", NULL, NULL), "brand.theme.primary_color");
  theme.primary_color = "#112233";
  theme.logo_url = "http://realestate.smbhub.com/logo.png";
  EXPECT_FIELD(update_brand(a, &pa, &nb, "theme", NULL, NULL), "brand.theme.logo_url");
  theme.logo_url = "https://realestate.smbhub.com/logo.png";
  EXPECT_FIELD(update_brand(a, &pa, &nb, "features", NULL, NULL), "update_mask");
  EXPECT_FIELD(update_brand(a, &pa, &nb, "theme", "x1", NULL), "etag");
  EXPECT(update_brand(a, &pa, &nb, "theme", "99", NULL), HUB_ABORTED);
  nb.modules = strs(a, &nb.n_modules, 2, "crm", "payroll");
  EXPECT_FIELD(update_brand(a, &pa, &nb, "modules", NULL, NULL), "brand.modules[1]");
  nb.domains = strs(a, &nb.n_domains, 2, "realestate.smbhub.com", "Homes.Example");
  EXPECT_FIELD(update_brand(a, &pa, &nb, "domains", NULL, NULL), "brand.domains[1]");
  nb.domains = strs(a, &nb.n_domains, 2, "realestate.smbhub.com", "app.exakeep.com");
  EXPECT(update_brand(a, &pa, &nb, "domains", NULL, NULL), HUB_ALREADY_EXISTS);
  nb.name = "";
  EXPECT_FIELD(update_brand(a, &pa, &nb, "name", NULL, NULL), "brand.name");

  /* A valid change with the current etag; only the masked field changes. */
  Hub__Tenant__V1__Brand *after;
  CHECK(update_brand(a, &pa, &nb, "theme", "1", &after));
  assert_string_equal(after->etag, "2");
  assert_string_equal(after->theme->primary_color, "#112233");
  assert_string_equal(after->theme->logo_url, "https://realestate.smbhub.com/logo.png");
  assert_string_equal(after->theme->secondary_color, ""); /* the theme is replaced as a whole */
  assert_string_equal(after->name, "SMB Real Estate");
  EXPECT(update_brand(a, &pa, &nb, "theme", "1", NULL), HUB_ABORTED); /* that etag is stale now */
  nb.domains = strs(a, &nb.n_domains, 2, "realestate.smbhub.com", "homes.example.net");
  CHECK(update_brand(a, &pa, &nb, "domains", after->etag, &after));
  assert_int_equal(after->n_domains, 2);
  /* The resolver sees the new domain at once. */
  Hub__Tenant__V1__ResolveBrandRequest rreq = HUB__TENANT__V1__RESOLVE_BRAND_REQUEST__INIT;
  rreq.host = "shop.homes.example.net";
  hub_call_options pub = {.timeout_ms = 5000};
  CHECK(hub_tenant_v1_tenant_resolve_brand_call(w.ch, &pub, a, &rreq, &b));
  assert_string_equal(b->id, "realestate");
  hub_arena_free(a);
}

/* ---- tenants ---- */

typedef struct create_job {
  const char *name, *slug, *request_id;
  hub_status st;
  char id[40];
} create_job;

static void *create_thread(void *p) {
  create_job *j = p;
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__TenantInfo *t = NULL;
  j->st = create_tenant(a, &lister, j->name, j->slug, NULL, j->request_id, &t);
  if (hub_ok(j->st)) snprintf(j->id, sizeof j->id, "%s", t->id);
  j->st.message = NULL;
  j->st.violations = NULL;
  hub_arena_free(a);
  return NULL;
}

static void test_create_tenant(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__TenantInfo *t;
  CHECK(create_tenant(a, &owner, "Ünïcode & Sons, Ltd.  2024!", NULL, "exakeep", NULL, &t));
  assert_string_equal(t->slug, "n-code-sons-ltd-2024"); /* non-ASCII letters separate words */
  assert_string_equal(t->home_brand, "exakeep");
  assert_string_equal(t->tier, "free");
  assert_string_equal(t->subscription_type, "standalone");
  assert_string_equal(t->etag, "1");
  assert_non_null(t->created_at);
  assert_int_equal(t->n_entitlements, 1);
  assert_string_equal(t->entitlements[0]->brand, "exakeep");
  assert_int_equal(t->entitlements[0]->n_modules, 3); /* all of exakeep's modules */
  assert_int_equal(count_sql("SELECT count(*) FROM members WHERE tenant_id = '%s' AND user_id = '%s' AND role = 'owner'",
                             t->id, owner.user_id), 1);
  assert_true(has_audit(t->id, "tenant.created"));
  /* Default brand: the caller's. */
  CHECK(create_tenant(a, &owner, "Default Brand Co", "default-brand-co", NULL, NULL, &t));
  assert_string_equal(t->home_brand, owner.brand);

  EXPECT(create_tenant(a, &other, "Someone Else", "default-brand-co", NULL, NULL, NULL), HUB_ALREADY_EXISTS);
  EXPECT_FIELD(create_tenant(a, &owner, "", NULL, NULL, NULL, NULL), "name");
  EXPECT_FIELD(create_tenant(a, &owner, "   ", NULL, NULL, NULL, NULL), "name");
  EXPECT_FIELD(create_tenant(a, &owner, "Line\nbreak", NULL, NULL, NULL, NULL), "name");
  EXPECT_FIELD(create_tenant(a, &owner, "!!", NULL, NULL, NULL, NULL), "slug"); /* nothing to derive */
  EXPECT_FIELD(create_tenant(a, &owner, "Fine", "-bad", NULL, NULL, NULL), "slug");
  EXPECT_FIELD(create_tenant(a, &owner, "Fine", "UPPER", NULL, NULL, NULL), "slug");
  EXPECT_FIELD(create_tenant(a, &owner, "Fine", NULL, "nosuch", NULL, NULL), "brand");
  EXPECT_FIELD(create_tenant(a, &owner, "Fine", NULL, NULL, "not-a-uuid", NULL), "request_id");
  hub_call_options anon = {.timeout_ms = 5000};
  Hub__Tenant__V1__CreateTenantRequest req = HUB__TENANT__V1__CREATE_TENANT_REQUEST__INIT;
  req.name = "Anonymous";
  EXPECT(hub_tenant_v1_tenant_create_tenant_call(w.ch, &anon, a, &req, &t), HUB_UNAUTHENTICATED);

  /* Idempotent by request id: a repeat returns the same tenant, even with other values. */
  const char *rid = "0190b5e2-7a3c-7d4e-8f00-00000000a001";
  Hub__Tenant__V1__TenantInfo *first, *again;
  CHECK(create_tenant(a, &owner, "Retry Ltd", NULL, NULL, rid, &first));
  CHECK(create_tenant(a, &owner, "Retry Ltd", NULL, NULL, rid, &again));
  assert_string_equal(first->id, again->id);
  CHECK(create_tenant(a, &owner, "Renamed Retry", "renamed-retry", NULL, rid, &again));
  assert_string_equal(first->id, again->id);
  assert_string_equal(again->slug, "retry-ltd");
  assert_int_equal(count_sql("SELECT count(*) FROM tenants WHERE slug IN ('retry-ltd', 'renamed-retry')"), 1);
  /* Another user's identical request id is another request. */
  CHECK(create_tenant(a, &other, "Retry Two", NULL, NULL, rid, &again));
  assert_string_not_equal(first->id, again->id);

  /* Eight concurrent identical requests: one tenant, the same answer for all. */
  enum { N = 8 };
  create_job jobs[N];
  pthread_t th[N];
  for (int i = 0; i < N; i++) {
    jobs[i] = (create_job){.name = "Race Corp", .request_id = "0190b5e2-7a3c-7d4e-8f00-00000000b002"};
    pthread_create(&th[i], NULL, create_thread, &jobs[i]);
  }
  for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < N; i++) {
    CHECK(jobs[i].st);
    assert_string_equal(jobs[i].id, jobs[0].id);
  }
  assert_int_equal(count_sql("SELECT count(*) FROM tenants WHERE slug = 'race-corp'"), 1);
  assert_int_equal(count_sql("SELECT count(*) FROM members WHERE tenant_id = '%s'", jobs[0].id), 1);
  assert_int_equal(count_sql("SELECT count(*) FROM audit_events WHERE tenant_id = '%s' AND action = 'tenant.created'",
                             jobs[0].id), 1);
  /* Eight different requests for one slug: exactly one wins. */
  char rids[N][40];
  int won = 0;
  for (int i = 0; i < N; i++) {
    snprintf(rids[i], sizeof rids[i], "0190b5e2-7a3c-7d4e-8f00-00000000c%03d", i);
    jobs[i] = (create_job){.name = "Slug Race", .slug = "slug-race", .request_id = rids[i]};
    pthread_create(&th[i], NULL, create_thread, &jobs[i]);
  }
  for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < N; i++) {
    if (hub_ok(jobs[i].st)) won++;
    else assert_int_equal(jobs[i].st.code, HUB_ALREADY_EXISTS);
  }
  assert_int_equal(won, 1);
  hub_arena_free(a);
}

static hub_status update_tenant(hub_arena *a, const hub_test_user *u, const char *tenant, const char *p1,
                                const char *p2, const char *name, const char *slug, const char *etag,
                                Hub__Tenant__V1__TenantInfo **out) {
  Hub__Tenant__V1__TenantInfo t = HUB__TENANT__V1__TENANT_INFO__INIT;
  t.name = (char *)(name ? name : "");
  t.slug = (char *)(slug ? slug : "");
  t.tier = "enterprise";
  Hub__Tenant__V1__UpdateTenantRequest req = HUB__TENANT__V1__UPDATE_TENANT_REQUEST__INIT;
  req.tenant = &t;
  req.update_mask = mask(a, p1, p2);
  req.etag = (char *)(etag ? etag : "");
  hub_call_options o = as(u, tenant);
  Hub__Tenant__V1__TenantInfo *r = NULL;
  hub_status st = hub_tenant_v1_tenant_update_tenant_call(w.ch, &o, a, &req, &r);
  if (out) *out = r;
  return st;
}

static void test_get_and_update_tenant(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *id = new_tenant(a, &owner, "Update Me");
  join(a, &owner, id, &admin_u, "admin");
  join(a, &owner, id, &member_u, "viewer");
  Hub__Tenant__V1__TenantInfo *t;
  CHECK(get_tenant(a, &member_u, id, NULL, &t));
  assert_string_equal(t->name, "Update Me");
  assert_int_equal(t->n_entitlements, 1);
  EXPECT(get_tenant(a, &other, id, NULL, NULL), HUB_PERMISSION_DENIED); /* not a member there */

  EXPECT_FIELD(update_tenant(a, &owner, id, "tier", NULL, NULL, NULL, NULL, NULL), "update_mask");
  EXPECT_FIELD(update_tenant(a, &owner, id, "subscription_type", NULL, NULL, NULL, NULL, NULL), "update_mask");
  EXPECT_FIELD(update_tenant(a, &owner, id, "id", NULL, NULL, NULL, NULL, NULL), "update_mask");
  EXPECT_FIELD(update_tenant(a, &owner, id, "name", "name", "X", NULL, NULL, NULL), "update_mask");
  EXPECT_FIELD(update_tenant(a, &owner, id, NULL, NULL, "X", NULL, NULL, NULL), "update_mask");
  EXPECT_FIELD(update_tenant(a, &owner, id, "name", NULL, "", NULL, NULL, NULL), "tenant.name");
  EXPECT_FIELD(update_tenant(a, &owner, id, "slug", NULL, NULL, "Not OK", NULL, NULL), "tenant.slug");
  EXPECT(update_tenant(a, &owner, id, "slug", NULL, NULL, "default-brand-co", NULL, NULL), HUB_ALREADY_EXISTS);
  EXPECT(update_tenant(a, &member_u, id, "name", NULL, "Viewer Was Here", NULL, NULL, NULL), HUB_PERMISSION_DENIED);

  Hub__Tenant__V1__TenantInfo *u1;
  CHECK(update_tenant(a, &admin_u, id, "name", "slug", "Updated Name", "updated-slug", t->etag, &u1));
  assert_string_equal(u1->name, "Updated Name");
  assert_string_equal(u1->slug, "updated-slug");
  assert_string_equal(u1->tier, "free"); /* not in the mask, and not maskable */
  assert_string_not_equal(u1->etag, t->etag);
  EXPECT(update_tenant(a, &admin_u, id, "name", NULL, "Stale", NULL, t->etag, NULL), HUB_ABORTED);
  CHECK(update_tenant(a, &admin_u, id, "name", NULL, "Without Etag", NULL, NULL, &u1));
  assert_true(has_audit(id, "tenant.updated"));
  /* A tenant id in the body must be the call's own: another tenant is NOT_FOUND. */
  Hub__Tenant__V1__TenantInfo body = HUB__TENANT__V1__TENANT_INFO__INIT;
  body.id = acme_id;
  body.name = "Hijack";
  Hub__Tenant__V1__UpdateTenantRequest req = HUB__TENANT__V1__UPDATE_TENANT_REQUEST__INIT;
  req.tenant = &body;
  req.update_mask = mask(a, "name", NULL);
  hub_call_options o = as(&admin_u, id);
  EXPECT(hub_tenant_v1_tenant_update_tenant_call(w.ch, &o, a, &req, &t), HUB_NOT_FOUND);
  assert_int_equal(count_sql("SELECT count(*) FROM tenants WHERE name = 'Hijack'"), 0);
  hub_arena_free(a);
}

static void test_list_tenants_pages(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  /* lister belongs to 150 tenants among 10,000 others (names collide on purpose). */
  if (hub_world_sql(&w,
                    "INSERT INTO tenants (id, name, slug, home_brand) SELECT hub_uuid_v7(), 'Bulk ' || (g %% 4000), "
                    "'bulk-' || g, 'smb_hub' FROM generate_series(1, 10000) g;"
                    "INSERT INTO entitlements (tenant_id, brand, modules) SELECT id, 'smb_hub', '{ticket,crm}' "
                    "FROM tenants WHERE slug LIKE 'bulk-%%';"
                    "INSERT INTO members (tenant_id, user_id, role) SELECT id, '%s', 'member' FROM tenants "
                    "WHERE slug LIKE 'bulk-%%' AND substr(slug, 6)::int %% 67 = 0;"
                    "ANALYZE",
                    lister.user_id))
    fail_msg("bulk insert");
  long mine = count_sql("SELECT count(*) FROM members WHERE user_id = '%s'", lister.user_id);
  assert_true(mine >= 149);
  Hub__Tenant__V1__ListTenantsRequest req = HUB__TENANT__V1__LIST_TENANTS_REQUEST__INIT;
  req.page_size = 7;
  hub_call_options o = as(&lister, NULL);
  long seen = 0;
  char prev_name[128] = "", prev_id[40] = "";
  int pages = 0;
  for (;;) {
    Hub__Tenant__V1__ListTenantsResponse *r;
    CHECK(hub_tenant_v1_tenant_list_tenants_call(w.ch, &o, a, &req, &r));
    pages++;
    for (size_t i = 0; i < r->n_tenants; i++) {
      const Hub__Tenant__V1__TenantInfo *t = r->tenants[i]->tenant;
      int c = strcmp(prev_name, t->name);
      assert_true(c < 0 || (c == 0 && strcmp(prev_id, t->id) < 0)); /* strictly increasing, no repeats */
      snprintf(prev_name, sizeof prev_name, "%s", t->name);
      snprintf(prev_id, sizeof prev_id, "%s", t->id);
      assert_true(!strcmp(r->tenants[i]->role, "member") || !strcmp(r->tenants[i]->role, "owner"));
      assert_int_equal(t->n_entitlements, 1);
      seen++;
    }
    if (!r->page->next_page_token[0]) break;
    assert_int_equal(r->n_tenants, 7);
    req.page_token = r->page->next_page_token;
  }
  assert_int_equal(seen, mine);
  assert_int_equal(pages, (int)((mine + 6) / 7));
  req.page_token = "";
  req.page_size = -1;
  Hub__Tenant__V1__ListTenantsResponse *all;
  EXPECT_FIELD(hub_tenant_v1_tenant_list_tenants_call(w.ch, &o, a, &req, &all), "page_size");
  req.page_size = 100000; /* clamped to 500 */
  CHECK(hub_tenant_v1_tenant_list_tenants_call(w.ch, &o, a, &req, &all));
  assert_int_equal((long)all->n_tenants, mine);
  req.page_size = 0;
  req.page_token = "garbage!";
  EXPECT_FIELD(hub_tenant_v1_tenant_list_tenants_call(w.ch, &o, a, &req, &all), "page_token");
  req.page_token = "djE6bm90LWEtdXVpZDp4"; /* "v1:not-a-uuid:x" */
  EXPECT_FIELD(hub_tenant_v1_tenant_list_tenants_call(w.ch, &o, a, &req, &all), "page_token");
  /* Another user sees only their own. */
  req.page_token = "";
  o = as(&carol, NULL);
  CHECK(hub_tenant_v1_tenant_list_tenants_call(w.ch, &o, a, &req, &all));
  assert_int_equal(all->n_tenants, 0);
  hub_arena_free(a);
}

static hub_status set_entitlements(hub_arena *a, const hub_test_user *u, const char *tenant, const char *tier,
                                   int n, Hub__Tenant__V1__Entitlement **ents, Hub__Tenant__V1__TenantInfo **out) {
  Hub__Tenant__V1__SetEntitlementsRequest req = HUB__TENANT__V1__SET_ENTITLEMENTS_REQUEST__INIT;
  req.tenant_id = (char *)tenant;
  req.tier = (char *)(tier ? tier : "");
  req.n_entitlements = (size_t)n;
  req.entitlements = ents;
  hub_call_options o = as(u, NULL);
  Hub__Tenant__V1__SetEntitlementsResponse *r = NULL;
  hub_status st = hub_tenant_v1_tenant_set_entitlements_call(w.ch, &o, a, &req, &r);
  if (out) *out = hub_ok(st) ? r->tenant : NULL;
  return st;
}

static Hub__Tenant__V1__Entitlement *ent(hub_arena *a, const char *brand, int n, ...) {
  Hub__Tenant__V1__Entitlement *e = hub_arena_alloc(a, sizeof *e);
  hub__tenant__v1__entitlement__init(e);
  e->brand = (char *)brand;
  e->modules = hub_arena_calloc(a, (size_t)n + 1, sizeof *e->modules);
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) e->modules[e->n_modules++] = va_arg(ap, char *);
  va_end(ap);
  return e;
}

static void test_set_entitlements(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *id = new_tenant(a, &owner, "Entitled Inc");
  join(a, &owner, id, &member_u, "member");
  Hub__Tenant__V1__Entitlement *e2[2] = {ent(a, "smb_hub", 2, "ticket", "crm"), ent(a, "exakeep", 1, "accounting")};
  EXPECT(set_entitlements(a, &owner, id, NULL, 2, e2, NULL), HUB_PERMISSION_DENIED);
  EXPECT_FIELD(set_entitlements(a, &pa, "nope", NULL, 2, e2, NULL), "tenant_id");
  EXPECT(set_entitlements(a, &pa, "0190b5e2-0000-7000-8000-000000000000", NULL, 2, e2, NULL), HUB_NOT_FOUND);
  EXPECT_FIELD(set_entitlements(a, &pa, id, "platinum", 2, e2, NULL), "tier");
  Hub__Tenant__V1__Entitlement *bad1[1] = {ent(a, "nosuch", 0)};
  EXPECT_FIELD(set_entitlements(a, &pa, id, NULL, 1, bad1, NULL), "entitlements[0].brand");
  Hub__Tenant__V1__Entitlement *bad2[1] = {ent(a, "smb_hub", 1, "payroll")};
  EXPECT_FIELD(set_entitlements(a, &pa, id, NULL, 1, bad2, NULL), "entitlements[0].modules[0]");
  Hub__Tenant__V1__Entitlement *dup[2] = {ent(a, "smb_hub", 0), ent(a, "smb_hub", 0)};
  EXPECT_FIELD(set_entitlements(a, &pa, id, NULL, 2, dup, NULL), "entitlements[1].brand");

  /* The member's live session in this tenant (snapshot cached): exakeep is not theirs yet. */
  hub_test_user m2;
  CHECK(hub_world_login(&w, member_u.email, member_u.password, id, &m2));
  CHECK(get_tenant(a, &m2, NULL, NULL, NULL));
  EXPECT(get_tenant(a, &m2, NULL, "exakeep", NULL), HUB_PERMISSION_DENIED);
  Hub__Tenant__V1__TenantInfo *t;
  CHECK(set_entitlements(a, &pa, id, "pro", 2, e2, &t));
  assert_string_equal(t->tier, "pro");
  assert_int_equal(t->n_entitlements, 2);
  assert_string_equal(t->entitlements[0]->brand, "exakeep"); /* by brand */
  assert_string_equal(t->entitlements[1]->brand, "smb_hub");
  assert_int_equal(t->entitlements[1]->n_modules, 2);
  /* ... and now it is, without signing in again. */
  CHECK(get_tenant(a, &m2, NULL, "exakeep", NULL));
  assert_true(has_audit(id, "entitlements.set"));
  /* Replacing the set removes what is left out; the tier stays when not given. */
  Hub__Tenant__V1__Entitlement *e1[1] = {ent(a, "smb_hub", 1, "ticket")};
  CHECK(set_entitlements(a, &pa, id, NULL, 1, e1, &t));
  assert_string_equal(t->tier, "pro");
  assert_int_equal(t->n_entitlements, 1);
  EXPECT(get_tenant(a, &m2, NULL, "exakeep", NULL), HUB_PERMISSION_DENIED);
  hub_arena_free(a);
}

/* ---- invitations and members ---- */

static void test_invitations(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *id = new_tenant(a, &owner, "Invite Co");
  join(a, &owner, id, &admin_u, "admin");
  /* Refusals. */
  EXPECT_FIELD(invite(a, &owner, id, "not-an-email", "member", NULL), "email");
  EXPECT_FIELD(invite(a, &owner, id, "x@example.com", "superuser", NULL), "role");
  EXPECT(invite(a, &admin_u, id, "x@example.com", "owner", NULL), HUB_PERMISSION_DENIED); /* above the inviter */
  Hub__Tenant__V1__InviteMemberRequest req = HUB__TENANT__V1__INVITE_MEMBER_REQUEST__INIT;
  req.email = "x@example.com";
  req.role = "member";
  req.permissions = strs(a, &req.n_permissions, 1, "tenant.tenants.delete");
  hub_call_options o = as(&admin_u, id);
  Hub__Tenant__V1__InviteMemberResponse *inv;
  EXPECT(hub_tenant_v1_tenant_invite_member_call(w.ch, &o, a, &req, &inv), HUB_PERMISSION_DENIED); /* not held */
  req.permissions = strs(a, &req.n_permissions, 1, "platform.brands.update");
  EXPECT_FIELD(hub_tenant_v1_tenant_invite_member_call(w.ch, &o, a, &req, &inv), "permissions[0]");
  req.permissions = strs(a, &req.n_permissions, 1, "ticket..view");
  EXPECT_FIELD(hub_tenant_v1_tenant_invite_member_call(w.ch, &o, a, &req, &inv), "permissions[0]");
  req.n_permissions = 0;
  req.brands = strs(a, &req.n_brands, 1, "nosuch");
  EXPECT_FIELD(hub_tenant_v1_tenant_invite_member_call(w.ch, &o, a, &req, &inv), "brands[0]");
  EXPECT(invite(a, &admin_u, id, "OWNER@example.com", "member", NULL), HUB_ALREADY_EXISTS); /* a member already */
  o = as(&member_u, acme_id); /* members may not invite */
  req.n_brands = 0;
  EXPECT(hub_tenant_v1_tenant_invite_member_call(w.ch, &o, a, &req, &inv), HUB_PERMISSION_DENIED);

  /* The happy path, with a grant the admin holds. */
  req.email = "Bob@Example.com";
  req.permissions = strs(a, &req.n_permissions, 1, "ticket.*.view");
  req.brands = strs(a, &req.n_brands, 1, "smb_hub");
  o = as(&admin_u, id);
  CHECK(hub_tenant_v1_tenant_invite_member_call(w.ch, &o, a, &req, &inv));
  assert_int_equal(strlen(inv->invitation_id), 36);
  time_t now = time(NULL);
  assert_true(inv->expires_at->seconds > now + 7 * 86400 - 120 && inv->expires_at->seconds < now + 7 * 86400 + 120);
  char *token = mailed_token(a, inv->invitation_id);
  assert_int_equal(strlen(token), 80);
  assert_memory_equal(token, id, 36);
  /* The mail carries what it needs; only the token's hash is stored, nowhere else the token. */
  assert_int_equal(count_sql("SELECT count(*) FROM outbox WHERE tenant_id = '%s' AND topic = 'tenant.invitation' AND "
                             "payload->>'email' = 'Bob@Example.com' AND payload->>'tenant_name' = 'Invite Co' AND "
                             "payload->>'role' = 'member' AND payload ? 'expires_at'", id), 1);
  assert_int_equal(count_sql("SELECT count(*) FROM invitations WHERE tenant_id = '%s' AND id = '%s' AND "
                             "token_hash = sha256(convert_to('%s', 'UTF8')) AND email_norm = 'bob@example.com'",
                             id, inv->invitation_id, token), 1);
  assert_int_equal(count_sql("SELECT count(*) FROM audit_events WHERE detail::text LIKE '%%%s%%'", token + 37), 0);
  assert_true(has_audit(id, "member.invited"));

  /* Someone else cannot use it; malformed and unknown tokens. */
  EXPECT(accept(a, &carol, token, NULL), HUB_PERMISSION_DENIED);
  EXPECT_FIELD(accept(a, &bob, "short", NULL), "token");
  char forged[81];
  snprintf(forged, sizeof forged, "%.37s%s", token, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  EXPECT(accept(a, &bob, forged, NULL), HUB_NOT_FOUND);
  snprintf(forged, sizeof forged, "%s%s", acme_id, token + 36); /* the right secret in another tenant */
  EXPECT(accept(a, &bob, forged, NULL), HUB_NOT_FOUND);
  /* Bob accepts (the address matches case-insensitively). */
  Hub__Tenant__V1__Member *m;
  CHECK(accept(a, &bob, token, &m));
  assert_string_equal(m->user_id, bob.user_id);
  assert_string_equal(m->role, "member");
  assert_int_equal(m->n_brands, 1);
  assert_int_equal(m->n_permissions, 1);
  assert_string_equal(m->permissions[0], "ticket.*.view");
  assert_true(has_audit(id, "member.joined"));
  EXPECT(accept(a, &bob, token, NULL), HUB_FAILED_PRECONDITION); /* single use */
  CHECK(get_tenant(a, &bob, id, NULL, NULL));                     /* and Bob is in */

  /* Expired. */
  CHECK(invite(a, &owner, id, carol.email, "viewer", &inv));
  token = mailed_token(a, inv->invitation_id);
  hub_world_sql(&w, "UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = '%s'",
                inv->invitation_id);
  EXPECT(accept(a, &carol, token, NULL), HUB_FAILED_PRECONDITION);
  /* A new invitation to the same address revokes the pending one. */
  CHECK(invite(a, &owner, id, "FRANK@example.COM", "viewer", &inv));
  char *old_token = mailed_token(a, inv->invitation_id);
  CHECK(invite(a, &owner, id, "frank@example.com", "member", &inv));
  token = mailed_token(a, inv->invitation_id);
  EXPECT(accept(a, &frank, old_token, NULL), HUB_FAILED_PRECONDITION);
  CHECK(accept(a, &frank, token, &m));
  assert_string_equal(m->role, "member");
  /* Already a member through another invitation: ALREADY_EXISTS, the token stays unspent. */
  hub_world_sql(&w,
                "INSERT INTO invitations (tenant_id, email_norm, role, token_hash, invited_by, expires_at) VALUES "
                "('%s', 'frank@example.com', 'viewer', sha256(convert_to('%s.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', "
                "'UTF8')), '%s', now() + interval '1 day')",
                id, id, owner.user_id);
  char dup_token[81];
  snprintf(dup_token, sizeof dup_token, "%s.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", id);
  EXPECT(accept(a, &frank, dup_token, NULL), HUB_ALREADY_EXISTS);
  hub_arena_free(a);
}

typedef struct demote_job {
  const hub_test_user *by;
  const char *tenant, *target;
  hub_status st;
} demote_job;

static void *demote_thread(void *p) {
  demote_job *j = p;
  hub_arena *a = hub_arena_new(0);
  j->st = update_member(a, j->by, j->tenant, j->target, "role", "admin", NULL, NULL);
  j->st.message = NULL;
  j->st.violations = NULL;
  hub_arena_free(a);
  return NULL;
}

static void test_member_rules(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *id = new_tenant(a, &owner, "Rules Ltd");
  join(a, &owner, id, &admin_u, "admin");
  join(a, &owner, id, &member_u, "member");

  /* Masks, ids and values. */
  EXPECT_FIELD(update_member(a, &owner, id, member_u.user_id, "email", NULL, NULL, NULL), "update_mask");
  EXPECT_FIELD(update_member(a, &owner, id, member_u.user_id, "user_id", NULL, NULL, NULL), "update_mask");
  EXPECT_FIELD(update_member(a, &owner, id, member_u.user_id, "tenant", NULL, NULL, NULL), "update_mask");
  EXPECT_FIELD(update_member(a, &owner, id, "not-a-uuid", "role", "viewer", NULL, NULL), "member.user_id");
  EXPECT_FIELD(update_member(a, &owner, id, member_u.user_id, "role", "boss", NULL, NULL), "member.role");
  EXPECT_FIELD(update_member(a, &owner, id, member_u.user_id, "role", "viewer", "abc", NULL), "etag");
  EXPECT_FIELD(remove_member(a, &owner, id, "12345"), "user_id");
  /* Escalation. */
  EXPECT(update_member(a, &admin_u, id, member_u.user_id, "role", "owner", NULL, NULL), HUB_PERMISSION_DENIED);
  EXPECT(update_member(a, &admin_u, id, owner.user_id, "role", "member", NULL, NULL), HUB_PERMISSION_DENIED);
  EXPECT(update_member(a, &admin_u, id, admin_u.user_id, "role", "owner", NULL, NULL), HUB_PERMISSION_DENIED);
  EXPECT(update_member(a, &member_u, id, member_u.user_id, "role", "admin", NULL, NULL), HUB_PERMISSION_DENIED);
  EXPECT(remove_member(a, &admin_u, id, owner.user_id), HUB_PERMISSION_DENIED);
  /* The last owner. */
  EXPECT(update_member(a, &owner, id, owner.user_id, "role", "admin", NULL, NULL), HUB_FAILED_PRECONDITION);
  EXPECT(remove_member(a, &owner, id, owner.user_id), HUB_FAILED_PRECONDITION);
  /* Another tenant's user: NOT_FOUND (here and the other way round). */
  EXPECT(update_member(a, &owner, id, other.user_id, "role", "viewer", NULL, NULL), HUB_NOT_FOUND);
  EXPECT(remove_member(a, &owner, id, other.user_id), HUB_NOT_FOUND);
  EXPECT(update_member(a, &other, other.tenant_id, member_u.user_id, "role", "viewer", NULL, NULL), HUB_NOT_FOUND);
  EXPECT(remove_member(a, &other, other.tenant_id, owner.user_id), HUB_NOT_FOUND);

  /* Brands and permissions. */
  Hub__Tenant__V1__Member mb = HUB__TENANT__V1__MEMBER__INIT;
  mb.user_id = member_u.user_id;
  mb.brands = strs(a, &mb.n_brands, 1, "nosuch");
  mb.permissions = strs(a, &mb.n_permissions, 2, "crm.*.delete", "crm.*.delete");
  Hub__Tenant__V1__UpdateMemberRequest req = HUB__TENANT__V1__UPDATE_MEMBER_REQUEST__INIT;
  req.member = &mb;
  req.update_mask = mask(a, "brands", NULL);
  hub_call_options o = as(&admin_u, id);
  Hub__Tenant__V1__Member *m;
  EXPECT_FIELD(hub_tenant_v1_tenant_update_member_call(w.ch, &o, a, &req, &m), "member.brands[0]");
  req.update_mask = mask(a, "permissions", NULL);
  EXPECT_FIELD(hub_tenant_v1_tenant_update_member_call(w.ch, &o, a, &req, &m), "member.permissions[1]");
  mb.permissions = strs(a, &mb.n_permissions, 1, "tenant.tenants.delete");
  EXPECT(hub_tenant_v1_tenant_update_member_call(w.ch, &o, a, &req, &m), HUB_PERMISSION_DENIED);
  mb.permissions = strs(a, &mb.n_permissions, 1, "crm.*.delete");
  mb.brands = strs(a, &mb.n_brands, 1, "smb_hub");
  req.update_mask = mask(a, "permissions", "brands");
  CHECK(hub_tenant_v1_tenant_update_member_call(w.ch, &o, a, &req, &m));
  assert_string_equal(m->permissions[0], "crm.*.delete");
  assert_string_equal(m->brands[0], "smb_hub");
  assert_string_equal(m->role, "member");

  /* Etags; a role change reaches the member's live session (signed in to this tenant, its
   * access snapshot cached in the session) at once. */
  hub_test_user m2;
  CHECK(hub_world_login(&w, member_u.email, member_u.password, id, &m2));
  EXPECT(invite(a, &m2, NULL, "z@example.com", "viewer", NULL), HUB_PERMISSION_DENIED);
  EXPECT(update_member(a, &owner, id, member_u.user_id, "role", "admin", "1", NULL), HUB_ABORTED);
  Hub__Tenant__V1__Member *up;
  CHECK(update_member(a, &owner, id, member_u.user_id, "role", "admin", m->etag, &up));
  assert_string_equal(up->role, "admin");
  assert_int_equal(count_sql("SELECT count(*) FROM audit_events WHERE tenant_id = '%s' AND action = 'member.updated' "
                             "AND detail->>'old_role' = 'member' AND detail->>'new_role' = 'admin'", id), 1);
  CHECK(invite(a, &m2, NULL, "z@example.com", "viewer", NULL)); /* now an admin */

  /* Two owners demoting each other at once: one wins, one owner is left. */
  for (int round = 0; round < 3; round++) {
    bool owner_owns = count_sql("SELECT count(*) FROM members WHERE tenant_id = '%s' AND role = 'owner' AND "
                                "user_id = '%s'", id, owner.user_id) == 1;
    if (owner_owns) CHECK(update_member(a, &owner, id, admin_u.user_id, "role", "owner", NULL, NULL));
    else CHECK(update_member(a, &admin_u, id, owner.user_id, "role", "owner", NULL, NULL));
    assert_int_equal(count_sql("SELECT count(*) FROM members WHERE tenant_id = '%s' AND role = 'owner'", id), 2);
    demote_job j[2] = {{&owner, id, admin_u.user_id, HUB_STATUS_OK}, {&admin_u, id, owner.user_id, HUB_STATUS_OK}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, demote_thread, &j[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    int ok = hub_ok(j[0].st) + hub_ok(j[1].st);
    assert_int_equal(ok, 1);
    hub_code lost = hub_ok(j[0].st) ? j[1].st.code : j[0].st.code;
    assert_true(lost == HUB_FAILED_PRECONDITION || lost == HUB_PERMISSION_DENIED);
    assert_int_equal(count_sql("SELECT count(*) FROM members WHERE tenant_id = '%s' AND role = 'owner'", id), 1);
  }
  /* Make owner the sole owner again, then removal. */
  if (count_sql("SELECT count(*) FROM members WHERE tenant_id = '%s' AND role = 'owner' AND user_id = '%s'", id,
                owner.user_id) == 0) {
    CHECK(update_member(a, &admin_u, id, owner.user_id, "role", "owner", NULL, NULL));
    CHECK(update_member(a, &owner, id, admin_u.user_id, "role", "admin", NULL, NULL));
  }
  CHECK(get_tenant(a, &m2, NULL, NULL, NULL));
  CHECK(remove_member(a, &owner, id, member_u.user_id));
  assert_true(has_audit(id, "member.removed"));
  EXPECT(get_tenant(a, &m2, NULL, NULL, NULL), HUB_PERMISSION_DENIED); /* at once */
  EXPECT(remove_member(a, &owner, id, member_u.user_id), HUB_NOT_FOUND);
  hub_arena_free(a);
}

static void test_list_members_pages(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *id = new_tenant(a, &owner, "Many Members");
  if (hub_world_sql(&w,
                    "INSERT INTO users (email, email_norm, display_name) SELECT 'Person' || g || '@Example.com', "
                    "'person' || g || '@example.com', 'Person ' || g FROM generate_series(10, 32) g;"
                    "INSERT INTO members (tenant_id, user_id, role) SELECT '%s', id, 'viewer' FROM users "
                    "WHERE email_norm LIKE 'person%%'",
                    id))
    fail_msg("insert members");
  Hub__Tenant__V1__ListMembersRequest req = HUB__TENANT__V1__LIST_MEMBERS_REQUEST__INIT;
  req.page_size = 5;
  hub_call_options o = as(&owner, id);
  int seen = 0;
  char prev[128] = "";
  for (;;) {
    Hub__Tenant__V1__ListMembersResponse *r;
    CHECK(hub_tenant_v1_tenant_list_members_call(w.ch, &o, a, &req, &r));
    for (size_t i = 0; i < r->n_members; i++) {
      char low[128];
      snprintf(low, sizeof low, "%s", r->members[i]->email);
      for (char *p = low; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
      assert_true(strcmp(prev, low) < 0);
      snprintf(prev, sizeof prev, "%s", low);
      assert_non_null(r->members[i]->joined_at);
      assert_string_equal(r->members[i]->etag, "1");
      seen++;
    }
    if (!r->page->next_page_token[0]) break;
    req.page_token = r->page->next_page_token;
  }
  assert_int_equal(seen, 23 + 1);
  req.page_token = "";
  req.page_size = -5;
  Hub__Tenant__V1__ListMembersResponse *none;
  EXPECT_FIELD(hub_tenant_v1_tenant_list_members_call(w.ch, &o, a, &req, &none), "page_size");
  hub_arena_free(a);
}

/* ---- feature flags ---- */

static void test_features(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *id = new_tenant(a, &owner, "Flags Co");
  join(a, &owner, id, &member_u, "member");
  /* Brand overrides, set before anything reads (and caches) them. */
  if (hub_world_sql(&w, "UPDATE brands SET features = '{\"sso\": true, \"beta.ui\": true, \"Bad Key\": true, "
                        "\"weird\": \"yes\"}' WHERE id = 'blog'"))
    fail_msg("brand features");
  Hub__Tenant__V1__GetFeaturesResponse *f;
  CHECK(features(a, &member_u, id, NULL, &f)); /* the call's brand: smb_hub, free tier */
  assert_int_equal(flag_of(f, "sso"), 0);
  assert_int_equal(flag_of(f, "api_access"), 1);
  assert_int_equal(flag_of(f, "sla_policies"), 0);
  assert_int_equal(flag_of(f, "beta.ui"), -1);
  CHECK(features(a, &member_u, id, "blog", &f)); /* brand over tier */
  assert_int_equal(flag_of(f, "sso"), 1);
  assert_int_equal(flag_of(f, "beta.ui"), 1);
  assert_int_equal(flag_of(f, "weird"), -1);
  assert_int_equal(flag_of(f, "Bad Key"), -1);
  EXPECT_FIELD(features(a, &member_u, id, "nosuch", &f), "brand");
  /* Tenant over brand; members may read, not write. */
  EXPECT(set_flag(a, &member_u, id, "sso", false, false, "blog", NULL), HUB_PERMISSION_DENIED);
  EXPECT_FIELD(set_flag(a, &owner, id, "Bad", true, false, NULL, NULL), "flag");
  EXPECT_FIELD(set_flag(a, &owner, id, "x", true, false, NULL, NULL), "flag");
  EXPECT_FIELD(set_flag(a, &owner, id, "ok_flag", true, false, "nosuch", NULL), "brand");
  CHECK(set_flag(a, &owner, id, "sso", false, false, "blog", &f));
  assert_int_equal(flag_of(f, "sso"), 0);
  CHECK(features(a, &member_u, id, "blog", &f)); /* not the cached "true" */
  assert_int_equal(flag_of(f, "sso"), 0);
  CHECK(set_flag(a, &owner, id, "sso", true, false, NULL, &f)); /* smb_hub: tenant over tier */
  assert_int_equal(flag_of(f, "sso"), 1);
  CHECK(set_flag(a, &owner, id, "sso", false, true, "blog", &f)); /* clear: the brand's value again */
  assert_int_equal(flag_of(f, "sso"), 1);
  CHECK(features(a, &member_u, id, NULL, &f));
  assert_int_equal(flag_of(f, "sso"), 0); /* smb_hub: back to the tier's */
  assert_true(has_audit(id, "feature.set"));
  /* The cache: a brand change directly in the database is not seen until the TTL or an
   * invalidation; a tenant change invalidates. */
  CHECK(features(a, &member_u, id, "addvive", &f));
  assert_int_equal(flag_of(f, "audit_export"), 0);
  hub_world_sql(&w, "UPDATE brands SET features = '{\"audit_export\": true}' WHERE id = 'addvive'");
  CHECK(features(a, &member_u, id, "addvive", &f));
  assert_int_equal(flag_of(f, "audit_export"), 0); /* cached */
  CHECK(set_flag(a, &owner, id, "new_flag", true, false, NULL, NULL));
  CHECK(features(a, &member_u, id, "addvive", &f));
  assert_int_equal(flag_of(f, "audit_export"), 1);
  assert_int_equal(flag_of(f, "new_flag"), 1);
  /* A tier change invalidates too. */
  CHECK(features(a, &member_u, id, NULL, &f));
  assert_int_equal(flag_of(f, "sla_policies"), 0);
  Hub__Tenant__V1__Entitlement *e1[1] = {ent(a, "smb_hub", 5, "ticket", "crm", "hrms", "accounting", "billing")};
  CHECK(set_entitlements(a, &pa, id, "pro", 1, e1, NULL));
  CHECK(features(a, &member_u, id, NULL, &f));
  assert_int_equal(flag_of(f, "sla_policies"), 1);
  hub_arena_free(a);
}

/* ---- access matrix ---- */

static const Hub__Tenant__V1__ServiceAccess *service(const Hub__Tenant__V1__BrandAccess *b, const char *name) {
  for (size_t i = 0; i < b->n_services; i++)
    if (!strcmp(b->services[i]->service, name)) return b->services[i];
  return NULL;
}

static void test_get_my_access(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__GetMyAccessRequest req = HUB__TENANT__V1__GET_MY_ACCESS_REQUEST__INIT;
  Hub__Tenant__V1__GetMyAccessResponse *r;
  hub_call_options o = as(&member_u, NULL);
  CHECK(hub_tenant_v1_tenant_get_my_access_call(w.ch, &o, a, &req, &r));
  assert_string_equal(r->user_id, member_u.user_id);
  assert_false(r->platform_admin);
  const Hub__Tenant__V1__TenantAccess *acme = NULL;
  for (size_t i = 0; i < r->n_tenants; i++)
    if (!strcmp(r->tenants[i]->tenant_id, acme_id)) acme = r->tenants[i];
  assert_non_null(acme);
  assert_string_equal(acme->tenant_name, "Acme Corp");
  assert_string_equal(acme->role, "member");
  assert_int_equal(acme->n_brands, 1);
  assert_string_equal(acme->brands[0]->brand, "smb_hub");
  const Hub__Tenant__V1__ServiceAccess *s = service(acme->brands[0], "ticket");
  assert_non_null(s);
  assert_int_equal(s->n_permissions, 3);
  assert_string_equal(s->permissions[0], "ticket.tickets.create");
  s = service(acme->brands[0], "crm");
  assert_non_null(s);
  assert_string_equal(s->permissions[0], "crm.*.create");
  s = service(acme->brands[0], "tenant");
  assert_non_null(s);
  assert_int_equal(s->n_permissions, 4);
  /* Members keep the books (view, post; not reverse) and raise documents (not finalize them). */
  s = service(acme->brands[0], "accounting");
  assert_non_null(s);
  assert_int_equal(s->n_permissions, 8);
  for (size_t i = 0; i < s->n_permissions; i++) assert_null(strstr(s->permissions[i], "reverse"));

  /* An owner: "*.*.*" per module of the brand, and tenant administration. */
  o = as(&owner, NULL);
  CHECK(hub_tenant_v1_tenant_get_my_access_call(w.ch, &o, a, &req, &r));
  acme = NULL;
  for (size_t i = 0; i < r->n_tenants; i++)
    if (!strcmp(r->tenants[i]->tenant_id, acme_id)) acme = r->tenants[i];
  assert_non_null(acme);
  assert_string_equal(acme->role, "owner");
  const char *expect[] = {"accounting", "billing", "crm", "hrms", "tenant", "ticket"};
  assert_int_equal(acme->brands[0]->n_services, 6);
  for (int i = 0; i < 6; i++) {
    assert_string_equal(acme->brands[0]->services[i]->service, expect[i]);
    assert_int_equal(acme->brands[0]->services[i]->n_permissions, 1);
    char want[64];
    snprintf(want, sizeof want, "%s.*.*", expect[i]);
    assert_string_equal(acme->brands[0]->services[i]->permissions[0], want);
  }
  /* The platform flag. */
  o = as(&pa, NULL);
  CHECK(hub_tenant_v1_tenant_get_my_access_call(w.ch, &o, a, &req, &r));
  assert_true(r->platform_admin);
  assert_int_equal(r->n_tenants, 0);

  /* Fast with 10,000 tenants in the database (the pagination test made them), for a user
   * in a few of them and for one in about 150. */
  o = as(&carol, NULL);
  int64_t best = INT64_MAX;
  for (int i = 0; i < 5; i++) {
    int64_t t0 = now_ms();
    CHECK(hub_tenant_v1_tenant_get_my_access_call(w.ch, &o, a, &req, &r));
    if (now_ms() - t0 < best) best = now_ms() - t0;
  }
  print_message("GetMyAccess, few tenants among 10,000: %lld ms\n", (long long)best);
  assert_true(best < 500);
  o = as(&lister, NULL);
  best = INT64_MAX;
  for (int i = 0; i < 5; i++) {
    int64_t t0 = now_ms();
    CHECK(hub_tenant_v1_tenant_get_my_access_call(w.ch, &o, a, &req, &r));
    if (now_ms() - t0 < best) best = now_ms() - t0;
  }
  print_message("GetMyAccess, %zu tenants: %lld ms\n", r->n_tenants, (long long)best);
  assert_true(r->n_tenants >= 149);
  assert_true(best < 1000);
  assert_string_equal(r->tenants[0]->brands[0]->brand, "smb_hub");
  assert_non_null(service(r->tenants[0]->brands[0], "ticket"));
  assert_null(service(r->tenants[0]->brands[0], "hrms")); /* not entitled */
  hub_arena_free(a);
}

/* ---- audit trail and deletion ---- */

static void test_audit_events(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *id = new_tenant(a, &owner, "Audit Co");
  for (int i = 0; i < 6; i++) {
    char flag[16];
    snprintf(flag, sizeof flag, "flag_%d", i);
    CHECK(set_flag(a, &owner, id, hub_arena_strdup(a, flag), i % 2, false, NULL, NULL));
  }
  Hub__Tenant__V1__ListAuditEventsRequest req = HUB__TENANT__V1__LIST_AUDIT_EVENTS_REQUEST__INIT;
  req.page_size = 4;
  hub_call_options o = as(&owner, id);
  int64_t prev = INT64_MAX;
  int seen = 0;
  const char *last_action = NULL;
  for (;;) {
    Hub__Tenant__V1__ListAuditEventsResponse *r;
    CHECK(hub_tenant_v1_tenant_list_audit_events_call(w.ch, &o, a, &req, &r));
    for (size_t i = 0; i < r->n_events; i++) {
      assert_true(r->events[i]->id < prev); /* newest first */
      prev = r->events[i]->id;
      assert_string_equal(r->events[i]->actor_id, owner.user_id);
      assert_true(r->events[i]->detail_json[0] == '{');
      assert_non_null(r->events[i]->created_at);
      last_action = r->events[i]->action;
      seen++;
    }
    if (!r->page->next_page_token[0]) break;
    req.page_token = r->page->next_page_token;
  }
  assert_int_equal(seen, 7);
  assert_string_equal(last_action, "tenant.created"); /* the oldest */
  req.page_token = "x";
  Hub__Tenant__V1__ListAuditEventsResponse *none;
  EXPECT_FIELD(hub_tenant_v1_tenant_list_audit_events_call(w.ch, &o, a, &req, &none), "page_token");
  req.page_token = "";
  o = as(&other, NULL); /* another tenant's trail does not mix in */
  Hub__Tenant__V1__ListAuditEventsResponse *r;
  CHECK(hub_tenant_v1_tenant_list_audit_events_call(w.ch, &o, a, &req, &r));
  for (size_t i = 0; i < r->n_events; i++) assert_string_not_equal(r->events[i]->actor_id, owner.user_id);
  hub_arena_free(a);
}

static void test_delete_tenant(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__TenantInfo *t;
  CHECK(create_tenant(a, &owner, "Doomed Co", "doomed-co", NULL, NULL, &t));
  char *id = t->id;
  join(a, &owner, id, &admin_u, "admin");
  join(a, &owner, id, &member_u, "member");
  Hub__Tenant__V1__InviteMemberResponse *inv;
  CHECK(invite(a, &owner, id, carol.email, "viewer", &inv));
  char *pending = mailed_token(a, inv->invitation_id);
  Hub__Tenant__V1__DeleteTenantRequest req = HUB__TENANT__V1__DELETE_TENANT_REQUEST__INIT;
  Hub__Tenant__V1__DeleteTenantResponse *r;
  hub_call_options o = as(&admin_u, id);
  req.confirm_slug = "doomed-co";
  EXPECT(hub_tenant_v1_tenant_delete_tenant_call(w.ch, &o, a, &req, &r), HUB_PERMISSION_DENIED); /* owners only */
  o = as(&owner, id);
  req.confirm_slug = "";
  EXPECT_FIELD(hub_tenant_v1_tenant_delete_tenant_call(w.ch, &o, a, &req, &r), "confirm_slug");
  req.confirm_slug = "doomed";
  EXPECT_FIELD(hub_tenant_v1_tenant_delete_tenant_call(w.ch, &o, a, &req, &r), "confirm_slug");
  hub_test_user m2; /* a session acting in the tenant, its snapshot cached */
  CHECK(hub_world_login(&w, member_u.email, member_u.password, id, &m2));
  CHECK(get_tenant(a, &m2, NULL, NULL, NULL));
  req.confirm_slug = "doomed-co";
  CHECK(hub_tenant_v1_tenant_delete_tenant_call(w.ch, &o, a, &req, &r));
  assert_true(has_audit(id, "tenant.deleted"));
  /* Every member loses access at once; it leaves lists and the access matrix. */
  EXPECT(get_tenant(a, &m2, NULL, NULL, NULL), HUB_PERMISSION_DENIED);
  EXPECT(get_tenant(a, &member_u, id, NULL, NULL), HUB_PERMISSION_DENIED);
  EXPECT(get_tenant(a, &owner, id, NULL, NULL), HUB_PERMISSION_DENIED);
  Hub__Tenant__V1__GetMyAccessRequest mreq = HUB__TENANT__V1__GET_MY_ACCESS_REQUEST__INIT;
  Hub__Tenant__V1__GetMyAccessResponse *acc;
  o = as(&admin_u, NULL);
  CHECK(hub_tenant_v1_tenant_get_my_access_call(w.ch, &o, a, &mreq, &acc));
  for (size_t i = 0; i < acc->n_tenants; i++) assert_string_not_equal(acc->tenants[i]->tenant_id, id);
  Hub__Tenant__V1__ListTenantsRequest lreq = HUB__TENANT__V1__LIST_TENANTS_REQUEST__INIT;
  Hub__Tenant__V1__ListTenantsResponse *list;
  CHECK(hub_tenant_v1_tenant_list_tenants_call(w.ch, &o, a, &lreq, &list));
  for (size_t i = 0; i < list->n_tenants; i++) assert_string_not_equal(list->tenants[i]->tenant->id, id);
  /* Its pending invitation is dead. */
  EXPECT(accept(a, &carol, pending, NULL), HUB_NOT_FOUND);
  hub_arena_free(a);
}

/* A UUID in upper case names the same tenant and member as in lower case (x-tenant-id and
 * request fields alike), and what is stored and answered is lower case. */
static void test_upper_case_uuids(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *id = new_tenant(a, &owner, "Upper Case Ltd");
  join(a, &owner, id, &member_u, "member");
  char *tenant_up = hub_arena_strdup(a, id), *user_up = hub_arena_strdup(a, member_u.user_id);
  for (char *p = tenant_up; *p; p++) *p = (char)toupper((unsigned char)*p);
  for (char *p = user_up; *p; p++) *p = (char)toupper((unsigned char)*p);
  Hub__Tenant__V1__TenantInfo *t = NULL;
  CHECK(get_tenant(a, &owner, tenant_up, NULL, &t));
  assert_string_equal(t->id, id);
  Hub__Tenant__V1__Member *m = NULL;
  CHECK(update_member(a, &owner, tenant_up, user_up, "role", "viewer", NULL, &m));
  assert_string_equal(m->user_id, member_u.user_id);
  assert_int_equal(count_sql("SELECT count(*) FROM members WHERE tenant_id = '%s' AND user_id::text = '%s' AND "
                             "role = 'viewer'", id, member_u.user_id), 1);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_resolve_brand),       cmocka_unit_test(test_brand_configs),
      cmocka_unit_test(test_create_tenant),       cmocka_unit_test(test_get_and_update_tenant),
      cmocka_unit_test(test_list_tenants_pages),  cmocka_unit_test(test_set_entitlements),
      cmocka_unit_test(test_invitations),         cmocka_unit_test(test_member_rules),
      cmocka_unit_test(test_list_members_pages),  cmocka_unit_test(test_features),
      cmocka_unit_test(test_get_my_access),       cmocka_unit_test(test_audit_events),
      cmocka_unit_test(test_delete_tenant),        cmocka_unit_test(test_upper_case_uuids),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
