/* Key safety at start (server/hubd/key_check.c), against the real hubd on a database that
 * holds what a key change would lose: a TOTP secret sealed under the data key, and access
 * tokens signed moments ago. Each refused start must exit 2 with one "hubd: ..." line on
 * stderr naming the variable; each start with the right keys must serve, and what was sealed
 * or signed before must still work through it. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth/token.h"
#include "crypto/encoding.h"
#include "crypto/totp.h"
#include "hub/auth/v1/auth.hub-client.h"
#include "hub/clock.h"
#include "support/world.h"

static hub_world w;
static hub_test_user alice;
static char dir[128], other_data_key[256], k2_path[256];
static char k1_env[300];

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/hubtest-keycheck-%d", (int)getpid());
  if (mkdir(dir, 0700) != 0) return -1;
  snprintf(other_data_key, sizeof other_data_key, "%s/other-data.key", dir);
  write_file(other_data_key, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  if (!hub_world_up(&w, "keys", NULL)) return -1;
  snprintf(k1_env, sizeof k1_env, "HUB_JWT_KEY_FILES=%s", w.key_path);
  snprintf(k2_path, sizeof k2_path, "%s/test-k2.pem", dir);
  char *pem = hub_keyring_generate_pem();
  write_file(k2_path, pem);
  free(pem);
  /* Alice signs in (an access token signed now) and starts enrolling TOTP (a sealed secret). */
  hub_world_signup_login(&w, "alice-keys@example.com", "Alice Keys", NULL, &alice);
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(&alice);
  Hub__Auth__V1__EnrollTotpRequest req = HUB__AUTH__V1__ENROLL_TOTP_REQUEST__INIT;
  Hub__Auth__V1__EnrollTotpResponse *resp;
  hub_status st = hub_auth_v1_auth_enroll_totp_call(w.ch, &o, a, &req, &resp);
  hub_arena_free(a);
  if (!hub_ok(st)) return -1;
  /* From here on each test starts hubd its own way. */
  hub_channel_free(w.ch);
  w.ch = NULL;
  hub_proc_stop(w.hubd, SIGTERM);
  w.hubd = NULL;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  unlink(other_data_key);
  unlink(k2_path);
  rmdir(dir);
  hub_world_down(&w);
  return 0;
}

/* hubd's environment as the world started it (its database, Redis, signing key k1 and the
 * data key), with `overrides` ("K=V", NULL-terminated) after it: the later wins. */
static void env_with(const char **env, size_t cap, const char *const *overrides) {
  size_t n = 0;
  for (int i = 0; w.env[i] && n + 2 < cap; i++) env[n++] = w.env[i];
  for (const char *const *o = overrides; o && *o && n + 2 < cap; o++) env[n++] = *o;
  env[n] = NULL;
}

/* hubd with `overrides` must exit 2 at start, its one "hubd: " line containing `want`. */
static void refused(const char *const *overrides, const char *want) {
  const char *env[48];
  env_with(env, 48, overrides);
  size_t n = 0;
  while (env[n]) n++;
  static char listen[64];
  snprintf(listen, sizeof listen, "HUB_LISTEN=127.0.0.1:%d", hub_free_port());
  env[n++] = listen;
  env[n] = NULL;
  char log[256];
  snprintf(log, sizeof log, "%s/refused.log", dir);
  const char *argv[] = {getenv("HUBD_BIN"), NULL};
  hub_proc *p = hub_proc_spawn(argv, env, log);
  assert_non_null(p);
  int code = -1;
  if (hub_proc_wait(p, 20000, &code) != 0) {
    hub_proc_stop(p, SIGKILL);
    fail_msg("hubd did not stop at start (want: %s)", want);
  }
  FILE *f = fopen(log, "r");
  assert_non_null(f);
  char line[2048], found[2048] = "";
  int lines = 0;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "hubd: ", 6) == 0) lines++, snprintf(found, sizeof found, "%s", line);
  fclose(f);
  unlink(log);
  print_message("refused (exit %d): %s", code, found);
  assert_int_equal(code, 2);
  assert_int_equal(lines, 1);
  if (!strstr(found, want)) fail_msg("the line \"%s\" does not say \"%s\"", found, want);
}

/* hubd with `overrides` must serve; the world's channel then points at it. */
static void serves(const char *const *overrides) {
  const char *env[48];
  env_with(env, 48, overrides);
  w.hubd = hub_hubd_start(env, &w.port);
  assert_non_null(w.hubd);
  snprintf(w.target, sizeof w.target, "127.0.0.1:%d", w.port);
  w.ch = hub_channel_new(w.target, NULL);
  assert_non_null(w.ch);
}

static void stop(void) {
  hub_channel_free(w.ch);
  w.ch = NULL;
  hub_proc_stop(w.hubd, SIGTERM);
  w.hubd = NULL;
}

static char *data_key_env(const char *path) {
  static char buf[2][300];
  static int i;
  i ^= 1;
  snprintf(buf[i], sizeof buf[i], "HUB_DATA_KEY_FILE=%s", path);
  return buf[i];
}

/* Alice's pending TOTP secret, opened with the world's data key as the test reads it. */
static size_t alice_secret(hub_arena *a, uint8_t **secret) {
  char *hex = hub_world_query(&w, "SELECT encode(totp_pending, 'hex') FROM users WHERE id = '%s'", alice.user_id);
  FILE *f = fopen(w.data_key_path, "r");
  char key_hex[65] = "";
  assert_non_null(f);
  assert_int_equal(fread(key_hex, 1, 64, f), 64);
  fclose(f);
  size_t n, kn, len = 0;
  uint8_t *sealed = hub_hex_decode(a, hex, &n), *key = hub_hex_decode(a, key_hex, &kn);
  assert_true(hub_ok(hub_aead_open(a, key, sealed, n, hub_arena_sprintf(a, "totp:%s", alice.user_id), secret, &len)));
  free(hex);
  return len;
}

static void test_data_key(void **state) {
  (void)state;
  /* No key, or another key, while a secret is sealed: refused. */
  refused((const char *[]){"HUB_DATA_KEY_FILE=", NULL}, "HUB_DATA_KEY_FILE is not set, but the database holds 1 TOTP secret(s)");
  refused((const char *[]){data_key_env(other_data_key), NULL}, "is not the data key this database's secrets");
  /* The right key: hubd serves, and Alice's pending secret still confirms through it. */
  serves(NULL);
  hub_arena *a = hub_arena_new(0);
  uint8_t *secret;
  size_t len = alice_secret(a, &secret);
  char code[8];
  snprintf(code, sizeof code, "%06u", hub_totp_code(secret, len, hub_clock_wall_ms() / 1000, 6));
  Hub__Auth__V1__ConfirmTotpRequest req = HUB__AUTH__V1__CONFIRM_TOTP_REQUEST__INIT;
  req.code = code;
  Hub__Auth__V1__ConfirmTotpResponse *resp;
  hub_call_options o = hub_world_opts(&alice);
  hub_status st = hub_auth_v1_auth_confirm_totp_call(w.ch, &o, a, &req, &resp);
  if (!hub_ok(st)) fail_msg("ConfirmTotp after the restart: %s %s", hub_code_name(st.code), st.message);
  hub_arena_free(a);
  stop();
  char *n = hub_world_query(&w, "SELECT count(*) FROM key_checks WHERE purpose = 'data_key'");
  assert_string_equal(n, "1");
  free(n);
  /* A database sealed before the check existed: one secret decides, then it is recorded. */
  assert_int_equal(hub_world_sql(&w, "DELETE FROM key_checks WHERE purpose = 'data_key'"), 0);
  refused((const char *[]){data_key_env(other_data_key), NULL}, "1 TOTP secret(s) are sealed with (they do not open");
  serves(NULL);
  stop();
  n = hub_world_query(&w, "SELECT count(*) FROM key_checks WHERE purpose = 'data_key'");
  assert_string_equal(n, "1");
  free(n);
  /* No secret sealed any more, but the database has a data key: still refused without one. */
  assert_int_equal(hub_world_sql(&w, "UPDATE users SET totp_sealed = NULL, totp_pending = NULL"), 0);
  refused((const char *[]){"HUB_DATA_KEY_FILE=", NULL}, "this database seals secrets with a data key");
}

static hub_code who_am_i(const hub_test_user *u) {
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__WhoAmIRequest req = HUB__AUTH__V1__WHO_AM_IREQUEST__INIT;
  Hub__Auth__V1__WhoAmIResponse *resp;
  hub_call_options o = hub_world_opts(u);
  hub_code code = hub_auth_v1_auth_who_am_i_call(w.ch, &o, a, &req, &resp).code;
  hub_arena_free(a);
  return code;
}

static void test_signing_keys(void **state) {
  (void)state;
  char both_env[600], k2_env[300];
  snprintf(both_env, sizeof both_env, "HUB_JWT_KEY_FILES=%s,%s", w.key_path, k2_path);
  snprintf(k2_env, sizeof k2_env, "HUB_JWT_KEY_FILES=%s", k2_path);
  /* Alice's token (kid test-k1) is minutes old: a throwaway key, or k2 alone, would refuse it. */
  refused((const char *[]){"HUB_JWT_KEY_FILES=", NULL}, "HUB_JWT_KEY_FILES is not set, but access tokens signed with key \"test-k1\"");
  refused((const char *[]){k2_env, NULL}, "HUB_JWT_KEY_FILES lacks the key \"test-k1\"");
  /* The rotation's first step: k1 verifies, k2 signs; Alice's token still works. */
  serves((const char *[]){both_env, NULL});
  assert_int_equal(who_am_i(&alice), HUB_OK);
  hub_test_user bob;
  hub_world_signup_login(&w, "bob-keys@example.com", NULL, NULL, &bob); /* signed by k2 */
  stop();
  /* Dropping k1 before its tokens expired: refused. Back to k1 alone: k2's are live. */
  refused((const char *[]){k2_env, NULL}, "HUB_JWT_KEY_FILES lacks the key \"test-k1\"");
  refused((const char *[]){k1_env, NULL}, "HUB_JWT_KEY_FILES lacks the key \"test-k2\"");
  /* Once k1's tokens have expired (as if 16 minutes had passed for them), k2 alone serves. */
  assert_int_equal(hub_world_sql(&w, "UPDATE key_checks SET signed_until = now() - interval '1 minute' "
                                     "WHERE purpose = 'jwt_signing_key' AND kid = 'test-k1'"),
                   0);
  serves((const char *[]){k2_env, NULL});
  assert_int_equal(who_am_i(&bob), HUB_OK);
  assert_int_equal(who_am_i(&alice), HUB_UNAUTHENTICATED); /* what the refusals protected */
  stop();
  /* No token live at all: a throwaway key is what the operator asked for, and serves. */
  assert_int_equal(hub_world_sql(&w, "UPDATE refresh_tokens SET created_at = now() - interval '1 hour'"), 0);
  serves((const char *[]){"HUB_JWT_KEY_FILES=", NULL});
  stop();
  /* It retired k2 and recorded nothing of its own: k1 alone serves again. */
  serves((const char *[]){k1_env, NULL});
  stop();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_data_key),
      cmocka_unit_test(test_signing_keys),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
