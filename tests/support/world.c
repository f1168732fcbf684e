/* See world.h. */
#include "support/world.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/rand.h>

#include "auth/token.h"
#include "hub/auth/v1/auth.hub-client.h"
#include "support/pgtest.h"

#define TEST_PASSWORD "purple-otter-galaxy-42"

/* hubd on the world's environment, and a channel to it. */
static bool start_hubd(hub_world *w) {
  w->hubd = hub_hubd_start(w->env, &w->port);
  if (!w->hubd) return false;
  snprintf(w->target, sizeof w->target, "127.0.0.1:%d", w->port);
  w->ch = hub_channel_new(w->target, NULL);
  return w->ch != NULL;
}

bool hub_world_up(hub_world *w, const char *label, const char *const *extra_env) {
  memset(w, 0, sizeof *w);
  if (!hub_stack_up(&w->stack, label)) return false;
  w->key_pem = hub_keyring_generate_pem();
  char dir[128];
  snprintf(dir, sizeof dir, "/tmp/hubtest-keys-%d-%s", (int)getpid(), label);
  {
    char cmd[200];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    if (system(cmd) != 0) return false;
  }
  snprintf(w->key_path, sizeof w->key_path, "%s/test-k1.pem", dir);
  FILE *f = fopen(w->key_path, "w");
  if (!f) return false;
  fputs(w->key_pem, f);
  fclose(f);
  snprintf(w->data_key_path, sizeof w->data_key_path, "%s/data.key", dir);
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1 || !(f = fopen(w->data_key_path, "w"))) return false;
  for (int i = 0; i < 32; i++) fprintf(f, "%02x", raw[i]);
  fclose(f);
  snprintf(w->key_env, sizeof w->key_env, "HUB_JWT_KEY_FILES=%s", w->key_path);
  snprintf(w->data_key_env, sizeof w->data_key_env, "HUB_DATA_KEY_FILE=%s", w->data_key_path);
  size_t n = 0;
  for (int i = 0; w->stack.env[i] && n < 20; i++) w->env[n++] = w->stack.env[i];
  w->env[n++] = w->key_env;
  w->env[n++] = w->data_key_env;
  w->env[n++] = "HUB_WORKERS=4";
  /* No delivery worker unless a test asks for one (extra_env comes later and wins): tests read
   * tokens from the outbox as a mailer would, and routing scrubs them. */
  w->env[n++] = "HUB_NOTIFY_INTERVAL_MS=0";
  for (const char *const *e = extra_env; e && *e && n < 31; e++) w->env[n++] = *e;
  w->env[n] = NULL;
  return start_hubd(w);
}

bool hub_world_restart(hub_world *w) {
  hub_proc_stop(w->hubd, SIGKILL);
  w->hubd = NULL;
  hub_channel_free(w->ch);
  w->ch = NULL;
  return start_hubd(w);
}

void hub_world_down(hub_world *w) {
  if (w->ch) hub_channel_free(w->ch);
  if (w->hubd) hub_proc_stop(w->hubd, SIGKILL);
  hub_stack_down(&w->stack);
  if (w->key_path[0]) unlink(w->key_path);
  if (w->data_key_path[0]) unlink(w->data_key_path);
  free(w->key_pem);
}

hub_status hub_world_login(hub_world *w, const char *email, const char *password, const char *tenant_id,
                           hub_test_user *u) {
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__LoginRequest req = HUB__AUTH__V1__LOGIN_REQUEST__INIT;
  req.email = (char *)email;
  req.password = (char *)password;
  req.tenant_id = (char *)(tenant_id ? tenant_id : "");
  Hub__Auth__V1__LoginResponse *resp = NULL;
  hub_call_options o = {.timeout_ms = 10000};
  hub_status st = hub_auth_v1_auth_login_call(w->ch, &o, a, &req, &resp);
  if (hub_ok(st) && (!resp->tokens || resp->mfa_required)) st = hub_status_fixed(HUB_FAILED_PRECONDITION, "mfa");
  if (hub_ok(st)) {
    /* Callers may pass u->email or u->password themselves: copy through the arena, since
     * snprintf onto its own source is undefined. */
    email = hub_arena_strdup(a, email);
    password = hub_arena_strdup(a, password);
    snprintf(u->email, sizeof u->email, "%s", email);
    snprintf(u->password, sizeof u->password, "%s", password);
    snprintf(u->access, sizeof u->access, "%s", resp->tokens->access_token);
    snprintf(u->refresh, sizeof u->refresh, "%s", resp->tokens->refresh_token);
    snprintf(u->session_id, sizeof u->session_id, "%s", resp->tokens->session_id);
    snprintf(u->tenant_id, sizeof u->tenant_id, "%s", resp->tokens->tenant_id);
    snprintf(u->brand, sizeof u->brand, "%s", resp->tokens->brand);
    char *id = hub_world_query(w, "SELECT id FROM users WHERE email_norm = lower('%s')", email);
    snprintf(u->user_id, sizeof u->user_id, "%s", id ? id : "");
    free(id);
  } else {
    st.message = NULL; /* the arena goes away */
    st.violations = NULL;
  }
  hub_arena_free(a);
  return st;
}

void hub_world_signup_login(hub_world *w, const char *email, const char *tenant_name, const char *brand,
                            hub_test_user *u) {
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__SignUpRequest req = HUB__AUTH__V1__SIGN_UP_REQUEST__INIT;
  req.email = (char *)email;
  req.password = TEST_PASSWORD;
  req.display_name = "Test User";
  req.tenant_name = (char *)(tenant_name ? tenant_name : "");
  req.brand = (char *)(brand ? brand : "");
  Hub__Auth__V1__SignUpResponse *resp = NULL;
  hub_call_options o = {.timeout_ms = 10000};
  hub_status st = hub_auth_v1_auth_sign_up_call(w->ch, &o, a, &req, &resp);
  if (!hub_ok(st)) fail_msg("SignUp %s: %s %s", email, hub_code_name(st.code), st.message);
  hub_arena_free(a);
  st = hub_world_login(w, email, TEST_PASSWORD, NULL, u);
  if (!hub_ok(st)) fail_msg("Login %s: %s", email, hub_code_name(st.code));
}

hub_call_options hub_world_opts(const hub_test_user *u) {
  hub_call_options o = {.timeout_ms = 10000, .bearer_token = u->access, .no_retry = true};
  return o;
}

static char *vformat(const char *fmt, va_list ap) {
  char *out = NULL;
  if (vasprintf(&out, fmt, ap) < 0) return NULL;
  return out;
}

int hub_world_sql(hub_world *w, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *sql = vformat(fmt, ap);
  va_end(ap);
  int rc = hub_pgtest_admin_exec(w->stack.owner_url, sql);
  free(sql);
  return rc;
}

char *hub_world_query(hub_world *w, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *sql = vformat(fmt, ap);
  va_end(ap);
  char *out = hub_pgtest_admin_query(w->stack.owner_url, sql);
  free(sql);
  return out;
}

int hub_world_command(hub_world *w, const char *command, const char *arg, char *out, size_t cap) {
  char log[256];
  snprintf(log, sizeof log, "/tmp/hub-world-cmd-%d.log", (int)getpid());
  const char *argv[] = {getenv("HUBD_BIN"), command, arg, NULL};
  hub_proc *p = hub_proc_spawn(argv, w->env, log);
  assert_non_null(p);
  int code = -1;
  if (hub_proc_wait(p, 20000, &code) != 0) {
    hub_proc_stop(p, SIGKILL);
    fail_msg("hubd %s did not finish", command);
  }
  FILE *f = fopen(log, "r");
  assert_non_null(f);
  size_t n = fread(out, 1, cap - 1, f);
  out[n] = '\0';
  fclose(f);
  unlink(log);
  return code;
}
