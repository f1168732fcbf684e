/* The operator's account commands, run as `hubd <command> EMAIL` against a real hubd's
 * database and Redis: sessions lists the account's live sessions, revoke-sessions ends them
 * (the access token is refused at once), platform-admin grants the role (audited; a new
 * sign-in carries it); a wrong argument or an unknown account exits 2. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hub/auth/v1/auth.hub-client.h"
#include "support/procs.h"
#include "support/world.h"

static hub_world w;
static hub_test_user vic;

static int setup(void **state) {
  (void)state;
  if (!hub_world_up(&w, "admincmd", NULL)) return -1;
  hub_world_signup_login(&w, "vic-admin@example.com", "Vic Co", "smb_hub", &vic);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

static hub_status whoami(hub_arena *a, const hub_test_user *u, Hub__Auth__V1__WhoAmIResponse **out) {
  Hub__Auth__V1__WhoAmIRequest req = HUB__AUTH__V1__WHO_AM_IREQUEST__INIT;
  hub_call_options o = hub_world_opts(u);
  return hub_auth_v1_auth_who_am_i_call(w.ch, &o, a, &req, out);
}

static void test_sessions_listed_and_revoked(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char out[8192];
  assert_int_equal(hub_world_command(&w, "sessions", "Vic-Admin@Example.com", out, sizeof out), 0);
  assert_non_null(strstr(out, "1 live sessions of Vic-Admin@Example.com"));
  assert_non_null(strstr(out, hub_arena_sprintf(a, "session %.8s tenant %s", vic.session_id, vic.tenant_id)));
  Hub__Auth__V1__WhoAmIResponse *me = NULL;
  assert_int_equal(whoami(a, &vic, &me).code, HUB_OK);
  assert_int_equal(hub_world_command(&w, "revoke-sessions", "vic-admin@example.com", out, sizeof out), 0);
  assert_non_null(strstr(out, "1 sessions of vic-admin@example.com ended"));
  assert_int_equal(whoami(a, &vic, &me).code, HUB_UNAUTHENTICATED);
  char *n = hub_world_query(&w, "SELECT count(*) FROM account_events WHERE user_id = '%s' AND action = "
                                "'sessions.revoked_by_operator'",
                            vic.user_id);
  assert_string_equal(n, "1");
  free(n);
  hub_arena_free(a);
}

static void test_platform_admin_granted(void **state) {
  (void)state;
  char out[8192];
  assert_int_equal(hub_world_command(&w, "platform-admin", "vic-admin@example.com", out, sizeof out), 0);
  assert_non_null(strstr(out, "is a platform admin"));
  char *v = hub_world_query(&w, "SELECT is_platform_admin FROM users WHERE id = '%s'", vic.user_id);
  assert_string_equal(v, "t");
  free(v);
  v = hub_world_query(&w, "SELECT count(*) FROM account_events WHERE user_id = '%s' AND action = 'platform_admin.granted'",
                      vic.user_id);
  assert_string_equal(v, "1");
  free(v);
  /* Refusals: no such account, not an address, no argument. */
  assert_int_equal(hub_world_command(&w, "platform-admin", "nobody-here@example.com", out, sizeof out), 2);
  assert_non_null(strstr(out, "no account nobody-here@example.com"));
  assert_int_equal(hub_world_command(&w, "sessions", "not-an-address", out, sizeof out), 2);
  assert_int_equal(hub_world_command(&w, "revoke-sessions", NULL, out, sizeof out), 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sessions_listed_and_revoked),
      cmocka_unit_test(test_platform_admin_granted),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
