/* Service accounts and API keys end to end (real PostgreSQL, Redis and hubd over gRPC,
 * through the generated C client): the key is shown once and only its hash is stored, both
 * header forms, scopes narrowing the account's permissions, expiry, rotation with overlap,
 * revocation, disabling and deletion taking effect at once (on another connection too),
 * account and tenant changes reaching a cached key, the per-key rate limit with its retry hint,
 * last-used updates, the role hierarchy, input refusals, and the things a key must never do:
 * call the RPCs meant for people, act in another tenant, or get past a malformed key to the
 * database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hub/auth/v1/auth.hub-client.h"
#include "hub/tenant/v1/tenant.hub-client.h"
#include "support/world.h"

#define PASSWORD "purple-otter-galaxy-42" /* what hub_world_signup_login signs up with */

static hub_world w;
static hub_test_user owner, admin, other_owner;

static int setup(void **state) {
  (void)state;
  if (!hub_world_up(&w, "apikeys", NULL)) return -1;
  hub_world_signup_login(&w, "sa-owner@example.com", "Machine Co", "smb_hub", &owner);
  hub_world_signup_login(&w, "sa-other@example.com", "Other Co", "smb_hub", &other_owner);
  hub_world_signup_login(&w, "sa-admin@example.com", NULL, NULL, &admin);
  if (hub_world_sql(&w, "INSERT INTO members (tenant_id, user_id, role) VALUES ('%s', '%s', 'admin')", owner.tenant_id,
                    admin.user_id))
    return -1;
  /* (Names are passed as literals: the helper copies them into the user it fills.) */
  return hub_ok(hub_world_login(&w, "sa-admin@example.com", PASSWORD, owner.tenant_id, &admin)) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

/* ---- helpers ---- */

typedef struct key_opts {
  hub_call_options o;
  hub_metadata md[2];
} key_opts;

/* Call options sending `key` as "x-api-key" (header) or "authorization: Bearer" (bearer). */
static void with_key(key_opts *k, const char *key, bool bearer) {
  memset(k, 0, sizeof *k);
  k->o.timeout_ms = 10000;
  k->o.no_retry = true;
  if (bearer) {
    k->o.bearer_token = key;
  } else {
    k->md[0] = (hub_metadata){"x-api-key", key, strlen(key)};
    k->o.extra = k->md;
    k->o.n_extra = 1;
  }
}

static char *create_account(const hub_test_user *as, const char *name, const char *role, hub_code *code) {
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__CreateServiceAccountRequest req = HUB__TENANT__V1__CREATE_SERVICE_ACCOUNT_REQUEST__INIT;
  req.name = (char *)name;
  req.role = (char *)role;
  req.description = "made by a test";
  Hub__Tenant__V1__ServiceAccount *sa = NULL;
  hub_call_options o = hub_world_opts(as);
  hub_status st = hub_tenant_v1_tenant_create_service_account_call(w.ch, &o, a, &req, &sa);
  char *id = hub_ok(st) ? strdup(sa->id) : NULL;
  if (code) *code = st.code;
  else if (!hub_ok(st)) fail_msg("CreateServiceAccount %s: %s %s", name, hub_code_name(st.code), st.message);
  hub_arena_free(a);
  return id;
}

typedef struct made_key {
  char key[128], id[40], prefix[16];
} made_key;

static hub_status create_key(const hub_test_user *as, const char *account, char **scopes, size_t n, int rate,
                             int64_t expires_in_s, made_key *out) {
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__CreateApiKeyRequest req = HUB__TENANT__V1__CREATE_API_KEY_REQUEST__INIT;
  req.service_account_id = (char *)account;
  req.name = "test key";
  req.scopes = scopes;
  req.n_scopes = n;
  req.rate_limit_per_minute = rate;
  Google__Protobuf__Timestamp exp = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  if (expires_in_s) {
    exp.seconds = time(NULL) + expires_in_s;
    req.expires_at = &exp;
  }
  Hub__Tenant__V1__CreateApiKeyResponse *resp = NULL;
  hub_call_options o = hub_world_opts(as);
  hub_status st = hub_tenant_v1_tenant_create_api_key_call(w.ch, &o, a, &req, &resp);
  if (hub_ok(st)) {
    snprintf(out->key, sizeof out->key, "%s", resp->secret);
    snprintf(out->id, sizeof out->id, "%s", resp->api_key->id);
    snprintf(out->prefix, sizeof out->prefix, "%s", resp->api_key->prefix);
  }
  st.message = NULL;
  st.violations = NULL;
  hub_arena_free(a);
  return st;
}

static void must_key(const hub_test_user *as, const char *account, char **scopes, size_t n, int rate,
                     int64_t expires_in_s, made_key *out) {
  hub_status st = create_key(as, account, scopes, n, rate, expires_in_s, out);
  if (!hub_ok(st)) fail_msg("CreateApiKey: %s", hub_code_name(st.code));
}

/* GetTenant with a key: the simplest call a key with tenant.tenants.view may make. */
static hub_code get_tenant_on(hub_channel *ch, const char *key, bool bearer, char *tenant_out) {
  hub_arena *a = hub_arena_new(0);
  key_opts k;
  with_key(&k, key, bearer);
  Hub__Tenant__V1__GetTenantRequest req = HUB__TENANT__V1__GET_TENANT_REQUEST__INIT;
  Hub__Tenant__V1__TenantInfo *t = NULL;
  hub_status st = hub_tenant_v1_tenant_get_tenant_call(ch, &k.o, a, &req, &t);
  if (tenant_out && hub_ok(st)) snprintf(tenant_out, 40, "%s", t->id);
  hub_arena_free(a);
  return st.code;
}

static hub_code get_tenant(const char *key) { return get_tenant_on(w.ch, key, false, NULL); }

/* Any RPC by name with an empty request, as the key. */
static hub_status call_as_key(hub_arena *a, const char *method, const char *key, const char *tenant) {
  const hub_method_def *m = hub_method_find(method);
  if (!m) fail_msg("no method %s", method);
  ProtobufCMessage *req = hub_arena_alloc(a, m->input->sizeof_message);
  m->input->message_init(req);
  key_opts k;
  with_key(&k, key, true);
  k.o.tenant_id = tenant;
  ProtobufCMessage *resp = NULL;
  return hub_unary_call(w.ch, m, &k.o, a, req, &resp);
}

/* Does hubd's log hold `needle`? Worker threads batch their lines, so wait up to a second. */
static bool log_has(const char *needle) {
  for (int i = 0; i < 20; i++) {
    FILE *f = fopen(hub_proc_log_path(w.hubd), "r");
    if (f) {
      char line[4096];
      bool found = false;
      while (!found && fgets(line, sizeof line, f)) found = strstr(line, needle) != NULL;
      fclose(f);
      if (found) return true;
    }
    usleep(50000);
  }
  return false;
}

static char *sql_value(const char *fmt, const char *arg) {
  char q[512];
  snprintf(q, sizeof q, fmt, arg);
  return hub_world_query(&w, "%s", q);
}

/* ---- tests ---- */

static void test_key_is_shown_once_and_stored_hashed(void **state) {
  (void)state;
  char *sa = create_account(&owner, "billing-sync", "admin", NULL);
  made_key k;
  must_key(&owner, sa, NULL, 0, 0, 0, &k);
  /* hub_live_<8 of [a-z0-9]>_<43 base64url> */
  assert_int_equal(strlen(k.key), 9 + 8 + 1 + 43);
  assert_memory_equal(k.key, "hub_live_", 9);
  assert_memory_equal(k.key + 9, k.prefix, 8);
  assert_int_equal(k.key[17], '_');
  assert_int_equal(get_tenant(k.key), HUB_OK);

  /* The listing names the key by its prefix and never carries the secret. */
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__ListApiKeysRequest lreq = HUB__TENANT__V1__LIST_API_KEYS_REQUEST__INIT;
  lreq.service_account_id = sa;
  Hub__Tenant__V1__ListApiKeysResponse *list = NULL;
  hub_call_options o = hub_world_opts(&owner);
  assert_int_equal(hub_tenant_v1_tenant_list_api_keys_call(w.ch, &o, a, &lreq, &list).code, HUB_OK);
  assert_int_equal(list->n_api_keys, 1);
  assert_string_equal(list->api_keys[0]->prefix, k.prefix);
  assert_int_equal(list->api_keys[0]->rate_limit_per_minute, 600);
  size_t len = protobuf_c_message_get_packed_size(&list->base);
  uint8_t *buf = hub_arena_alloc(a, len + 1);
  protobuf_c_message_pack(&list->base, buf);
  assert_null(memmem(buf, len, k.key + 18, 43));

  /* The database holds SHA-256 of the key, and no row holds its secret. */
  char q[256];
  snprintf(q, sizeof q, "SELECT encode(secret_hash, 'hex') FROM api_keys WHERE id = '%s'", k.id);
  char *hash = hub_world_query(&w, "%s", q);
  char *expect = sql_value("SELECT encode(sha256(convert_to('%s', 'UTF8')), 'hex')", k.key);
  assert_string_equal(hash, expect);
  free(hash);
  free(expect);
  char *leaks;
  snprintf(q, sizeof q, "SELECT count(*) FROM api_keys k WHERE row(k.*)::text LIKE '%%%.43s%%'", k.key + 18);
  leaks = hub_world_query(&w, "%s", q);
  assert_string_equal(leaks, "0");
  free(leaks);
  snprintf(q, sizeof q, "SELECT count(*) FROM audit_events e WHERE row(e.*)::text LIKE '%%%.43s%%'", k.key + 18);
  leaks = hub_world_query(&w, "%s", q);
  assert_string_equal(leaks, "0");
  free(leaks);
  /* Logs name the key by its prefix, never by the key. */
  char logged[64];
  snprintf(logged, sizeof logged, "\"api_key\":\"%s\"", k.prefix);
  assert_true(log_has(logged));
  assert_false(log_has(k.key + 18));
  /* The creation is audited, with the prefix. */
  snprintf(q, sizeof q, "SELECT count(*) FROM audit_events WHERE action = 'api_key.created' AND detail->>'prefix' = '%s'",
           k.prefix);
  char *n = hub_world_query(&w, "%s", q);
  assert_string_equal(n, "1");
  free(n);
  hub_arena_free(a);
  free(sa);
}

static void test_both_header_forms_and_refusals_of_shape(void **state) {
  (void)state;
  char *sa = create_account(&owner, "forms", "viewer", NULL);
  made_key k;
  must_key(&owner, sa, NULL, 0, 0, 0, &k);
  char tenant[40] = "";
  assert_int_equal(get_tenant_on(w.ch, k.key, true, tenant), HUB_OK);
  assert_string_equal(tenant, owner.tenant_id);
  assert_int_equal(get_tenant_on(w.ch, k.key, false, NULL), HUB_OK);

  /* Both credentials at once: refused, not guessed at. */
  hub_arena *a = hub_arena_new(0);
  key_opts ko;
  with_key(&ko, k.key, false);
  ko.o.bearer_token = owner.access;
  Hub__Tenant__V1__GetTenantRequest req = HUB__TENANT__V1__GET_TENANT_REQUEST__INIT;
  Hub__Tenant__V1__TenantInfo *t = NULL;
  assert_int_equal(hub_tenant_v1_tenant_get_tenant_call(w.ch, &ko.o, a, &req, &t).code, HUB_UNAUTHENTICATED);

  /* A wrong secret with a real prefix, an unknown prefix, and shapes that are not keys. */
  char wrong[128];
  snprintf(wrong, sizeof wrong, "%.18s%s", k.key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  assert_int_equal(get_tenant(wrong), HUB_UNAUTHENTICATED);
  assert_int_equal(get_tenant("hub_live_zzzzzzzz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), HUB_UNAUTHENTICATED);
  const char *malformed[] = {"hub_live_", "hub_live_ABCDEFGH_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                             "hub_test_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "hub_live_abcdefgh_short",
                             "hub_live_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*"};
  for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
    assert_int_equal(get_tenant_on(w.ch, malformed[i], true, NULL), HUB_UNAUTHENTICATED);
    assert_int_equal(get_tenant_on(w.ch, malformed[i], false, NULL), HUB_UNAUTHENTICATED);
  }
  hub_arena_free(a);
  free(sa);
}

/* How often PostgreSQL has read api_keys (statistics, flushed within about a second). */
static long api_key_reads(void) {
  char *v = hub_world_query(&w, "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
                                "WHERE relname = 'api_keys'");
  long n = v ? atol(v) : -1;
  free(v);
  return n;
}

static void test_malformed_key_makes_no_query(void **state) {
  (void)state;
  sleep(2);
  long before = api_key_reads();
  for (int i = 0; i < 20; i++) assert_int_equal(get_tenant("hub_live_abcdefgh_not-a-key"), HUB_UNAUTHENTICATED);
  sleep(2);
  assert_int_equal(api_key_reads(), before);
  /* The measure can see a lookup: a well-formed unknown key is read from PostgreSQL (once:
   * the answer is cached for a minute). */
  assert_int_equal(get_tenant("hub_live_q9q9q9q9_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), HUB_UNAUTHENTICATED);
  long after = before;
  for (int i = 0; i < 40 && after == before; i++) {
    usleep(100000);
    after = api_key_reads();
  }
  assert_true(after > before);
}

static void test_scopes_narrow_the_account(void **state) {
  (void)state;
  char *sa = create_account(&owner, "scoped", "admin", NULL);
  made_key k;
  char *scopes[] = {"tenant.tenants.view", "tenant.members.*"};
  must_key(&owner, sa, scopes, 1, 0, 0, &k);
  hub_arena *a = hub_arena_new(0);
  assert_int_equal(get_tenant(k.key), HUB_OK);
  /* The account (admin) may list members; the key, scoped to viewing the tenant, may not. */
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/ListMembers", k.key, NULL).code, HUB_PERMISSION_DENIED);
  made_key k2;
  must_key(&owner, sa, scopes, 2, 0, 0, &k2);
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/ListMembers", k2.key, NULL).code, HUB_OK);
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/ListAuditEvents", k2.key, NULL).code, HUB_PERMISSION_DENIED);

  /* A scope outside the account's permissions is refused at creation, naming it. */
  char *viewer = create_account(&owner, "scoped-viewer", "viewer", NULL);
  char *beyond[] = {"tenant.tenants.view", "tenant.members.update"};
  made_key x;
  Hub__Tenant__V1__CreateApiKeyRequest req = HUB__TENANT__V1__CREATE_API_KEY_REQUEST__INIT;
  req.service_account_id = viewer;
  req.scopes = beyond;
  req.n_scopes = 2;
  Hub__Tenant__V1__CreateApiKeyResponse *resp = NULL;
  hub_call_options o = hub_world_opts(&owner);
  hub_status st = hub_tenant_v1_tenant_create_api_key_call(w.ch, &o, a, &req, &resp);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_non_null(st.violations);
  assert_string_equal(st.violations->field, "scopes[1]");
  char *platform[] = {"platform.brands.view"};
  assert_int_equal(create_key(&owner, sa, platform, 1, 0, 0, &x).code, HUB_INVALID_ARGUMENT);
  char *junk[] = {"not a permission"};
  assert_int_equal(create_key(&owner, sa, junk, 1, 0, 0, &x).code, HUB_INVALID_ARGUMENT);
  hub_arena_free(a);
  free(sa);
  free(viewer);
}

static void test_expiry(void **state) {
  (void)state;
  char *sa = create_account(&owner, "short-lived", "viewer", NULL);
  made_key k;
  must_key(&owner, sa, NULL, 0, 0, 2, &k);
  assert_int_equal(get_tenant(k.key), HUB_OK);
  sleep(3);
  assert_int_equal(get_tenant(k.key), HUB_UNAUTHENTICATED);
  /* An expiry in the past is refused. */
  made_key x;
  assert_int_equal(create_key(&owner, sa, NULL, 0, 0, -10, &x).code, HUB_INVALID_ARGUMENT);
  free(sa);
}

static hub_status rotate(const char *key_id, int64_t overlap_s, made_key *out) {
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__RotateApiKeyRequest req = HUB__TENANT__V1__ROTATE_API_KEY_REQUEST__INIT;
  req.key_id = (char *)key_id;
  Google__Protobuf__Timestamp until = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  if (overlap_s) {
    until.seconds = time(NULL) + overlap_s;
    req.old_key_expires_at = &until;
  }
  Hub__Tenant__V1__CreateApiKeyResponse *resp = NULL;
  hub_call_options o = hub_world_opts(&owner);
  hub_status st = hub_tenant_v1_tenant_rotate_api_key_call(w.ch, &o, a, &req, &resp);
  if (hub_ok(st)) {
    snprintf(out->key, sizeof out->key, "%s", resp->secret);
    snprintf(out->id, sizeof out->id, "%s", resp->api_key->id);
    snprintf(out->prefix, sizeof out->prefix, "%s", resp->api_key->prefix);
    assert_string_equal(resp->api_key->rotated_from, key_id);
    assert_int_equal(resp->api_key->rate_limit_per_minute, 1234);
  }
  st.message = NULL;
  st.violations = NULL;
  hub_arena_free(a);
  return st;
}

static void test_rotation_overlap(void **state) {
  (void)state;
  char *sa = create_account(&owner, "rotating", "viewer", NULL);
  made_key old, next;
  must_key(&owner, sa, NULL, 0, 1234, 0, &old);
  assert_int_equal(get_tenant(old.key), HUB_OK); /* cached now */
  assert_int_equal(rotate(old.id, 2, &next).code, HUB_OK);
  assert_string_not_equal(next.prefix, old.prefix);
  /* Both work during the overlap; afterwards only the new one. */
  assert_int_equal(get_tenant(old.key), HUB_OK);
  assert_int_equal(get_tenant(next.key), HUB_OK);
  sleep(3);
  assert_int_equal(get_tenant(old.key), HUB_UNAUTHENTICATED);
  assert_int_equal(get_tenant(next.key), HUB_OK);
  /* A key that has ended cannot be rotated; overlaps beyond 30 days are refused. */
  made_key x;
  assert_int_equal(rotate(old.id, 0, &x).code, HUB_FAILED_PRECONDITION);
  assert_int_equal(rotate(next.id, 31 * 86400, &x).code, HUB_INVALID_ARGUMENT);
  char *n = sql_value("SELECT count(*) FROM audit_events WHERE action = 'api_key.rotated' AND target = '%s'", old.id);
  assert_string_equal(n, "1");
  free(n);
  free(sa);
}

static hub_status revoke_key(const char *key_id) {
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__RevokeApiKeyRequest req = HUB__TENANT__V1__REVOKE_API_KEY_REQUEST__INIT;
  req.key_id = (char *)key_id;
  Hub__Tenant__V1__RevokeApiKeyResponse *resp = NULL;
  hub_call_options o = hub_world_opts(&owner);
  hub_status st = hub_tenant_v1_tenant_revoke_api_key_call(w.ch, &o, a, &req, &resp);
  st.message = NULL;
  st.violations = NULL;
  hub_arena_free(a);
  return st;
}

static void test_revocation_is_immediate(void **state) {
  (void)state;
  char *sa = create_account(&owner, "revoked", "viewer", NULL);
  made_key k;
  must_key(&owner, sa, NULL, 0, 0, 0, &k);
  /* Warm the cache on every worker's path (several calls), then revoke. */
  for (int i = 0; i < 8; i++) assert_int_equal(get_tenant(k.key), HUB_OK);
  assert_int_equal(revoke_key(k.id).code, HUB_OK);
  hub_channel *fresh = hub_channel_new(w.target, NULL);
  assert_int_equal(get_tenant_on(fresh, k.key, true, NULL), HUB_UNAUTHENTICATED);
  assert_int_equal(get_tenant_on(w.ch, k.key, false, NULL), HUB_UNAUTHENTICATED);
  hub_channel_free(fresh);
  assert_int_equal(revoke_key(k.id).code, HUB_OK); /* again is fine */
  char *n = sql_value("SELECT count(*) FROM audit_events WHERE action = 'api_key.revoked' AND target = '%s'", k.id);
  assert_string_equal(n, "1");
  free(n);
  /* A revoked key drops out of the listing. */
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__ListApiKeysRequest lreq = HUB__TENANT__V1__LIST_API_KEYS_REQUEST__INIT;
  lreq.service_account_id = sa;
  Hub__Tenant__V1__ListApiKeysResponse *list = NULL;
  hub_call_options o = hub_world_opts(&owner);
  assert_int_equal(hub_tenant_v1_tenant_list_api_keys_call(w.ch, &o, a, &lreq, &list).code, HUB_OK);
  assert_int_equal(list->n_api_keys, 0);
  hub_arena_free(a);
  free(sa);
}

static hub_status update_account(const hub_test_user *as, const char *id, const char *path, const char *role,
                                 bool disabled) {
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__ServiceAccount sa = HUB__TENANT__V1__SERVICE_ACCOUNT__INIT;
  sa.id = (char *)id;
  sa.role = (char *)(role ? role : "");
  sa.disabled = disabled;
  Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
  char *paths[] = {(char *)path};
  mask.paths = paths;
  mask.n_paths = 1;
  Hub__Tenant__V1__UpdateServiceAccountRequest req = HUB__TENANT__V1__UPDATE_SERVICE_ACCOUNT_REQUEST__INIT;
  req.service_account = &sa;
  req.update_mask = &mask;
  Hub__Tenant__V1__ServiceAccount *out = NULL;
  hub_call_options o = hub_world_opts(as);
  hub_status st = hub_tenant_v1_tenant_update_service_account_call(w.ch, &o, a, &req, &out);
  st.message = NULL;
  st.violations = NULL;
  hub_arena_free(a);
  return st;
}

static void test_account_changes_reach_cached_keys(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *sa = create_account(&owner, "changing", "admin", NULL);
  made_key k, k2;
  must_key(&owner, sa, NULL, 0, 0, 0, &k);
  must_key(&owner, sa, NULL, 0, 0, 0, &k2);
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/ListMembers", k.key, NULL).code, HUB_OK);
  /* Demoted to viewer: the cached key loses what admin gave, at once. */
  assert_int_equal(update_account(&owner, sa, "role", "viewer", false).code, HUB_OK);
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/InviteMember", k.key, NULL).code, HUB_PERMISSION_DENIED);
  assert_int_equal(get_tenant(k.key), HUB_OK);
  /* Disabled: every key of the account stops, and stays revoked after re-enabling. */
  assert_int_equal(update_account(&owner, sa, "disabled", NULL, true).code, HUB_OK);
  assert_int_equal(get_tenant(k.key), HUB_UNAUTHENTICATED);
  assert_int_equal(get_tenant(k2.key), HUB_UNAUTHENTICATED);
  made_key x;
  assert_int_equal(create_key(&owner, sa, NULL, 0, 0, 0, &x).code, HUB_FAILED_PRECONDITION);
  assert_int_equal(update_account(&owner, sa, "disabled", NULL, false).code, HUB_OK);
  assert_int_equal(get_tenant(k.key), HUB_UNAUTHENTICATED);
  /* Deleted: its keys stop and its id is NOT_FOUND. */
  made_key k3;
  must_key(&owner, sa, NULL, 0, 0, 0, &k3);
  assert_int_equal(get_tenant(k3.key), HUB_OK);
  Hub__Tenant__V1__DeleteServiceAccountRequest dreq = HUB__TENANT__V1__DELETE_SERVICE_ACCOUNT_REQUEST__INIT;
  dreq.service_account_id = sa;
  Hub__Tenant__V1__DeleteServiceAccountResponse *dresp = NULL;
  hub_call_options o = hub_world_opts(&owner);
  assert_int_equal(hub_tenant_v1_tenant_delete_service_account_call(w.ch, &o, a, &dreq, &dresp).code, HUB_OK);
  assert_int_equal(get_tenant(k3.key), HUB_UNAUTHENTICATED);
  Hub__Tenant__V1__GetServiceAccountRequest greq = HUB__TENANT__V1__GET_SERVICE_ACCOUNT_REQUEST__INIT;
  greq.service_account_id = sa;
  Hub__Tenant__V1__ServiceAccount *got = NULL;
  assert_int_equal(hub_tenant_v1_tenant_get_service_account_call(w.ch, &o, a, &greq, &got).code, HUB_NOT_FOUND);
  char *n = sql_value("SELECT count(*) FROM audit_events WHERE target = '%s' AND action LIKE 'service_account.%%'", sa);
  assert_string_equal(n, "5"); /* created, updated x3, deleted */
  free(n);
  hub_arena_free(a);
  free(sa);
}

static void test_rate_limit_per_key(void **state) {
  (void)state;
  char *sa = create_account(&owner, "limited", "viewer", NULL);
  made_key k;
  must_key(&owner, sa, NULL, 0, 3, 0, &k);
  /* Wrong secrets with its prefix do not spend the key's budget. */
  char wrong[128];
  snprintf(wrong, sizeof wrong, "%.18s%s", k.key, "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
  for (int i = 0; i < 5; i++) assert_int_equal(get_tenant(wrong), HUB_UNAUTHENTICATED);
  for (int i = 0; i < 3; i++) assert_int_equal(get_tenant(k.key), HUB_OK);
  hub_arena *a = hub_arena_new(0);
  key_opts ko;
  with_key(&ko, k.key, false);
  hub_metadata *trailers = NULL;
  size_t n_trailers = 0;
  ko.o.trailers_out = &trailers;
  ko.o.n_trailers_out = &n_trailers;
  Hub__Tenant__V1__GetTenantRequest req = HUB__TENANT__V1__GET_TENANT_REQUEST__INIT;
  Hub__Tenant__V1__TenantInfo *t = NULL;
  assert_int_equal(hub_tenant_v1_tenant_get_tenant_call(w.ch, &ko.o, a, &req, &t).code, HUB_RESOURCE_EXHAUSTED);
  long hint = 0;
  for (size_t i = 0; i < n_trailers; i++)
    if (strcmp(trailers[i].key, "retry-after-ms") == 0) hint = atol(trailers[i].value);
  assert_true(hint > 0 && hint <= 120000);
  /* Another key of the same account has a budget of its own. */
  made_key other;
  must_key(&owner, sa, NULL, 0, 3, 0, &other);
  assert_int_equal(get_tenant(other.key), HUB_OK);
  /* Out-of-range limits are refused. */
  assert_int_equal(create_key(&owner, sa, NULL, 0, -1, 0, &other).code, HUB_INVALID_ARGUMENT);
  assert_int_equal(create_key(&owner, sa, NULL, 0, 1000001, 0, &other).code, HUB_INVALID_ARGUMENT);
  hub_arena_free(a);
  free(sa);
}

static void test_last_used(void **state) {
  (void)state;
  char *sa = create_account(&owner, "used", "viewer", NULL);
  made_key k;
  must_key(&owner, sa, NULL, 0, 0, 0, &k);
  char *v = sql_value("SELECT last_used_at IS NULL FROM api_keys WHERE id = '%s'", k.id);
  assert_string_equal(v, "t");
  free(v);
  assert_int_equal(get_tenant(k.key), HUB_OK);
  v = sql_value("SELECT last_used_at IS NOT NULL AND last_used_at > now() - interval '1 minute' FROM api_keys "
                "WHERE id = '%s'",
                k.id);
  assert_string_equal(v, "t");
  free(v);
  /* At most once a minute: more calls leave the time alone. */
  char *first = sql_value("SELECT last_used_at::text FROM api_keys WHERE id = '%s'", k.id);
  usleep(20000);
  for (int i = 0; i < 5; i++) assert_int_equal(get_tenant(k.key), HUB_OK);
  char *later = sql_value("SELECT last_used_at::text FROM api_keys WHERE id = '%s'", k.id);
  assert_string_equal(first, later);
  free(first);
  free(later);
  /* ListApiKeys shows it. */
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__ListApiKeysRequest lreq = HUB__TENANT__V1__LIST_API_KEYS_REQUEST__INIT;
  lreq.service_account_id = sa;
  Hub__Tenant__V1__ListApiKeysResponse *list = NULL;
  hub_call_options o = hub_world_opts(&owner);
  assert_int_equal(hub_tenant_v1_tenant_list_api_keys_call(w.ch, &o, a, &lreq, &list).code, HUB_OK);
  assert_non_null(list->api_keys[0]->last_used_at);
  assert_true(list->api_keys[0]->last_used_at->seconds > time(NULL) - 120);
  hub_arena_free(a);
  free(sa);
}

static void test_keys_cannot_act_as_people_or_elsewhere(void **state) {
  (void)state;
  char *sa = create_account(&owner, "robot", "owner", NULL);
  made_key k;
  must_key(&owner, sa, NULL, 0, 0, 0, &k);
  hub_arena *a = hub_arena_new(0);
  static const char *const people_only[] = {
      "hub.auth.v1.Auth/ChangePassword", "hub.auth.v1.Auth/ListSessions", "hub.auth.v1.Auth/RevokeAllSessions",
      "hub.auth.v1.Auth/EnrollTotp",     "hub.auth.v1.Auth/SwitchTenant", "hub.auth.v1.Auth/Logout",
      "hub.auth.v1.Auth/WhoAmI",         "hub.tenant.v1.Tenant/CreateTenant",
      "hub.tenant.v1.Tenant/AcceptInvitation"};
  for (size_t i = 0; i < sizeof people_only / sizeof *people_only; i++) {
    hub_status st = call_as_key(a, people_only[i], k.key, NULL);
    if (st.code != HUB_PERMISSION_DENIED)
      fail_msg("%s with an API key: %s %s", people_only[i], hub_code_name(st.code), st.message ? st.message : "");
    assert_non_null(strstr(st.message, "service account"));
  }
  /* Auth's public sign-in RPCs refuse a caller presenting a key (in either form), with a
   * message saying why; read-only public RPCs stay open to it. */
  static const char *const sign_in[] = {"hub.auth.v1.Auth/Login", "hub.auth.v1.Auth/Refresh",
                                        "hub.auth.v1.Auth/SignUp", "hub.auth.v1.Auth/RequestPasswordReset"};
  for (size_t i = 0; i < sizeof sign_in / sizeof *sign_in; i++) {
    hub_status st = call_as_key(a, sign_in[i], k.key, NULL);
    if (st.code != HUB_PERMISSION_DENIED || !strstr(st.message, "service account"))
      fail_msg("%s with an API key: %s %s", sign_in[i], hub_code_name(st.code), st.message ? st.message : "");
  }
  Hub__Auth__V1__LoginRequest lreq = HUB__AUTH__V1__LOGIN_REQUEST__INIT;
  lreq.email = owner.email;
  lreq.password = owner.password;
  Hub__Auth__V1__LoginResponse *lresp = NULL;
  key_opts ko;
  with_key(&ko, k.key, false);
  assert_int_equal(hub_auth_v1_auth_login_call(w.ch, &ko.o, a, &lreq, &lresp).code, HUB_PERMISSION_DENIED);
  assert_int_equal(call_as_key(a, "hub.auth.v1.Auth/GetJwks", k.key, NULL).code, HUB_OK);
  /* Its own tenant, named or not, works; another tenant is refused. */
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/GetTenant", k.key, owner.tenant_id).code, HUB_OK);
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/GetTenant", k.key, other_owner.tenant_id).code,
                   HUB_PERMISSION_DENIED);
  /* Platform RPCs are not for service accounts, whatever their role. */
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/ListBrandConfigs", k.key, NULL).code, HUB_PERMISSION_DENIED);
  hub_arena_free(a);
  free(sa);
}

static void test_hierarchy_and_validation(void **state) {
  (void)state;
  hub_code code;
  /* An admin cannot make an owner account, nor manage one. */
  assert_null(create_account(&admin, "too-high", "owner", &code));
  assert_int_equal(code, HUB_PERMISSION_DENIED);
  char *top = create_account(&owner, "owned", "owner", NULL);
  assert_int_equal(update_account(&admin, top, "disabled", NULL, true).code, HUB_PERMISSION_DENIED);
  made_key x;
  assert_int_equal(create_key(&admin, top, NULL, 0, 0, 0, &x).code, HUB_PERMISSION_DENIED);
  char *mine = create_account(&admin, "admins-own", "admin", NULL);
  assert_int_equal(update_account(&admin, mine, "role", "owner", false).code, HUB_PERMISSION_DENIED);
  assert_int_equal(update_account(&admin, mine, "role", "member", false).code, HUB_OK);
  /* Input refusals name the field. */
  assert_null(create_account(&owner, "", "viewer", &code));
  assert_int_equal(code, HUB_INVALID_ARGUMENT);
  assert_null(create_account(&owner, "bad-role", "superuser", &code));
  assert_int_equal(code, HUB_INVALID_ARGUMENT);
  assert_null(create_account(&owner, "owned", "viewer", &code));
  assert_int_equal(code, HUB_ALREADY_EXISTS);
  assert_int_equal(create_key(&owner, "not-a-uuid", NULL, 0, 0, 0, &x).code, HUB_INVALID_ARGUMENT);
  assert_int_equal(create_key(&owner, "0190a000-0000-7000-8000-00000000abcd", NULL, 0, 0, 0, &x).code, HUB_NOT_FOUND);
  assert_int_equal(update_account(&owner, mine, "tenant_id", NULL, false).code, HUB_INVALID_ARGUMENT);
  /* Members (no manage permission) cannot create accounts; viewers may list them. */
  hub_test_user viewer;
  hub_world_signup_login(&w, "sa-viewer@example.com", NULL, NULL, &viewer);
  hub_world_sql(&w, "INSERT INTO members (tenant_id, user_id, role) VALUES ('%s', '%s', 'viewer')", owner.tenant_id,
                viewer.user_id);
  assert_int_equal(hub_world_login(&w, "sa-viewer@example.com", PASSWORD, owner.tenant_id, &viewer).code,
                   HUB_OK);
  assert_null(create_account(&viewer, "nope", "viewer", &code));
  assert_int_equal(code, HUB_PERMISSION_DENIED);
  hub_arena *a = hub_arena_new(0);
  Hub__Tenant__V1__ListServiceAccountsRequest req = HUB__TENANT__V1__LIST_SERVICE_ACCOUNTS_REQUEST__INIT;
  req.page_size = 2;
  Hub__Tenant__V1__ListServiceAccountsResponse *page = NULL;
  hub_call_options o = hub_world_opts(&viewer);
  assert_int_equal(hub_tenant_v1_tenant_list_service_accounts_call(w.ch, &o, a, &req, &page).code, HUB_OK);
  assert_int_equal(page->n_service_accounts, 2);
  assert_string_not_equal(page->page->next_page_token, "");
  req.page_token = page->page->next_page_token;
  Hub__Tenant__V1__ListServiceAccountsResponse *page2 = NULL;
  assert_int_equal(hub_tenant_v1_tenant_list_service_accounts_call(w.ch, &o, a, &req, &page2).code, HUB_OK);
  assert_true(page2->n_service_accounts >= 1);
  assert_string_not_equal(page2->service_accounts[0]->id, page->service_accounts[1]->id);
  hub_arena_free(a);
  free(top);
  free(mine);
}

/* Platform service accounts: made by platform administrators only; their keys pass platform
 * permissions and nothing of a tenant; rotation, revocation and deletion work as for tenant
 * keys; every change is an account event of the acting administrator. */
static void test_platform_service_accounts(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_test_user platform;
  hub_world_signup_login(&w, "sa-platform-admin@example.com", NULL, NULL, &platform);
  assert_int_equal(hub_world_sql(&w, "UPDATE users SET is_platform_admin = true WHERE id = '%s'", platform.user_id), 0);
  assert_int_equal(hub_world_login(&w, "sa-platform-admin@example.com", PASSWORD, NULL, &platform).code,
                   HUB_OK);
  Hub__Tenant__V1__CreatePlatformServiceAccountRequest creq = HUB__TENANT__V1__CREATE_PLATFORM_SERVICE_ACCOUNT_REQUEST__INIT;
  creq.name = "billing-backend";
  Hub__Tenant__V1__ServiceAccount *sa = NULL;
  hub_call_options o = hub_world_opts(&owner); /* a tenant owner is no platform administrator */
  assert_int_equal(hub_tenant_v1_tenant_create_platform_service_account_call(w.ch, &o, a, &creq, &sa).code,
                   HUB_PERMISSION_DENIED);
  o = hub_world_opts(&platform);
  assert_int_equal(hub_tenant_v1_tenant_create_platform_service_account_call(w.ch, &o, a, &creq, &sa).code, HUB_OK);
  assert_int_equal(hub_tenant_v1_tenant_create_platform_service_account_call(w.ch, &o, a, &creq, &sa).code,
                   HUB_ALREADY_EXISTS);
  Hub__Tenant__V1__ListPlatformServiceAccountsRequest lreq = HUB__TENANT__V1__LIST_PLATFORM_SERVICE_ACCOUNTS_REQUEST__INIT;
  Hub__Tenant__V1__ListServiceAccountsResponse *list = NULL;
  assert_int_equal(hub_tenant_v1_tenant_list_platform_service_accounts_call(w.ch, &o, a, &lreq, &list).code, HUB_OK);
  assert_int_equal(list->n_service_accounts, 1);
  char *sa_id = list->service_accounts[0]->id;

  Hub__Tenant__V1__CreatePlatformApiKeyRequest kreq = HUB__TENANT__V1__CREATE_PLATFORM_API_KEY_REQUEST__INIT;
  kreq.service_account_id = sa_id;
  Hub__Tenant__V1__CreateApiKeyResponse *k = NULL;
  assert_int_equal(hub_tenant_v1_tenant_create_platform_api_key_call(w.ch, &o, a, &kreq, &k).code, HUB_OK);
  char *key = k->secret;
  char *hash = sql_value("SELECT encode(sha256(convert_to('%s', 'UTF8')), 'hex')", key);
  char q[256];
  snprintf(q, sizeof q, "SELECT encode(secret_hash, 'hex') FROM platform_api_keys WHERE id = '%s'", k->api_key->id);
  char *stored = hub_world_query(&w, "%s", q);
  assert_string_equal(stored, hash);
  free(stored);
  free(hash);
  /* Platform RPCs pass; tenant RPCs have no tenant; no tenant can be named; people's RPCs stay closed. */
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/ListBrandConfigs", key, NULL).code, HUB_OK);
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/GetTenant", key, NULL).code, HUB_FAILED_PRECONDITION);
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/GetTenant", key, owner.tenant_id).code, HUB_PERMISSION_DENIED);
  assert_int_equal(call_as_key(a, "hub.auth.v1.Auth/WhoAmI", key, NULL).code, HUB_PERMISSION_DENIED);

  /* Rotation with overlap, then revocation of the new key and deletion of the account: at once. */
  Hub__Tenant__V1__RotatePlatformApiKeyRequest rreq = HUB__TENANT__V1__ROTATE_PLATFORM_API_KEY_REQUEST__INIT;
  rreq.key_id = k->api_key->id;
  Google__Protobuf__Timestamp until = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  until.seconds = time(NULL) + 600;
  rreq.old_key_expires_at = &until;
  Hub__Tenant__V1__CreateApiKeyResponse *k2 = NULL;
  assert_int_equal(hub_tenant_v1_tenant_rotate_platform_api_key_call(w.ch, &o, a, &rreq, &k2).code, HUB_OK);
  assert_string_equal(k2->api_key->rotated_from, k->api_key->id);
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/ListBrandConfigs", key, NULL).code, HUB_OK);
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/ListBrandConfigs", k2->secret, NULL).code, HUB_OK);
  Hub__Tenant__V1__RevokePlatformApiKeyRequest vreq = HUB__TENANT__V1__REVOKE_PLATFORM_API_KEY_REQUEST__INIT;
  vreq.key_id = k2->api_key->id;
  Hub__Tenant__V1__RevokeApiKeyResponse *vresp = NULL;
  assert_int_equal(hub_tenant_v1_tenant_revoke_platform_api_key_call(w.ch, &o, a, &vreq, &vresp).code, HUB_OK);
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/ListBrandConfigs", k2->secret, NULL).code, HUB_UNAUTHENTICATED);
  Hub__Tenant__V1__ListPlatformApiKeysRequest klreq = HUB__TENANT__V1__LIST_PLATFORM_API_KEYS_REQUEST__INIT;
  klreq.service_account_id = sa_id;
  Hub__Tenant__V1__ListApiKeysResponse *keys = NULL;
  assert_int_equal(hub_tenant_v1_tenant_list_platform_api_keys_call(w.ch, &o, a, &klreq, &keys).code, HUB_OK);
  assert_int_equal(keys->n_api_keys, 1); /* the old one, in its overlap */
  assert_string_equal(keys->api_keys[0]->prefix, k->api_key->prefix);
  Hub__Tenant__V1__DeletePlatformServiceAccountRequest dreq = HUB__TENANT__V1__DELETE_PLATFORM_SERVICE_ACCOUNT_REQUEST__INIT;
  dreq.service_account_id = sa_id;
  Hub__Tenant__V1__DeleteServiceAccountResponse *dresp = NULL;
  assert_int_equal(hub_tenant_v1_tenant_delete_platform_service_account_call(w.ch, &o, a, &dreq, &dresp).code, HUB_OK);
  assert_int_equal(call_as_key(a, "hub.tenant.v1.Tenant/ListBrandConfigs", key, NULL).code, HUB_UNAUTHENTICATED);
  assert_int_equal(hub_tenant_v1_tenant_delete_platform_service_account_call(w.ch, &o, a, &dreq, &dresp).code,
                   HUB_NOT_FOUND);
  char *n = sql_value("SELECT count(*) FROM account_events WHERE user_id = '%s' AND action LIKE 'platform_%%'",
                      platform.user_id);
  assert_string_equal(n, "5"); /* account created, key created, rotated, revoked, account deleted */
  free(n);
  hub_arena_free(a);
}

/* Changes to the tenant itself (its entitlements, its existence) reach a key whose grant is
 * cached, at once: they retire every cached grant of the tenant. Runs last: it ends tenant
 * "Other Co". */
static void test_tenant_changes_reach_cached_keys(void **state) {
  (void)state;
  hub_test_user platform;
  hub_world_signup_login(&w, "sa-platform@example.com", NULL, NULL, &platform);
  assert_int_equal(hub_world_sql(&w, "UPDATE users SET is_platform_admin = true WHERE id = '%s'", platform.user_id), 0);
  assert_int_equal(hub_world_login(&w, "sa-platform@example.com", PASSWORD, NULL, &platform).code, HUB_OK);
  char *sa = create_account(&other_owner, "other-robot", "admin", NULL);
  made_key k;
  must_key(&other_owner, sa, NULL, 0, 0, 0, &k);
  hub_arena *a = hub_arena_new(0);
  assert_int_equal(call_as_key(a, "hub.ticket.v1.Ticket/ListTickets", k.key, NULL).code, HUB_OK);
  /* The ticket module goes: the cached key loses it on its next call. */
  Hub__Tenant__V1__Entitlement ent = HUB__TENANT__V1__ENTITLEMENT__INIT;
  ent.brand = "smb_hub";
  char *modules[] = {"crm"};
  ent.modules = modules;
  ent.n_modules = 1;
  Hub__Tenant__V1__Entitlement *ents[] = {&ent};
  Hub__Tenant__V1__SetEntitlementsRequest sreq = HUB__TENANT__V1__SET_ENTITLEMENTS_REQUEST__INIT;
  sreq.tenant_id = other_owner.tenant_id;
  sreq.entitlements = ents;
  sreq.n_entitlements = 1;
  Hub__Tenant__V1__SetEntitlementsResponse *sresp = NULL;
  hub_call_options o = hub_world_opts(&platform);
  assert_int_equal(hub_tenant_v1_tenant_set_entitlements_call(w.ch, &o, a, &sreq, &sresp).code, HUB_OK);
  assert_int_equal(call_as_key(a, "hub.ticket.v1.Ticket/ListTickets", k.key, NULL).code, HUB_PERMISSION_DENIED);
  assert_int_equal(get_tenant(k.key), HUB_OK);
  /* The tenant is deleted: its keys stop. */
  char *slug = sql_value("SELECT slug FROM tenants WHERE id = '%s'", other_owner.tenant_id);
  Hub__Tenant__V1__DeleteTenantRequest dreq = HUB__TENANT__V1__DELETE_TENANT_REQUEST__INIT;
  dreq.confirm_slug = slug;
  Hub__Tenant__V1__DeleteTenantResponse *dresp = NULL;
  o = hub_world_opts(&other_owner);
  assert_int_equal(hub_tenant_v1_tenant_delete_tenant_call(w.ch, &o, a, &dreq, &dresp).code, HUB_OK);
  assert_int_equal(get_tenant(k.key), HUB_UNAUTHENTICATED);
  free(slug);
  hub_arena_free(a);
  free(sa);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_is_shown_once_and_stored_hashed),
      cmocka_unit_test(test_both_header_forms_and_refusals_of_shape),
      cmocka_unit_test(test_malformed_key_makes_no_query),
      cmocka_unit_test(test_scopes_narrow_the_account),
      cmocka_unit_test(test_expiry),
      cmocka_unit_test(test_rotation_overlap),
      cmocka_unit_test(test_revocation_is_immediate),
      cmocka_unit_test(test_account_changes_reach_cached_keys),
      cmocka_unit_test(test_rate_limit_per_key),
      cmocka_unit_test(test_last_used),
      cmocka_unit_test(test_keys_cannot_act_as_people_or_elsewhere),
      cmocka_unit_test(test_hierarchy_and_validation),
      cmocka_unit_test(test_platform_service_accounts),
      cmocka_unit_test(test_tenant_changes_reach_cached_keys),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
