/* The account lifecycle end to end (real PostgreSQL, Redis and hubd through the generated C
 * client): the profile and its refusals, a change of email (password proof, no enumeration,
 * single-use expiring token to the new address, notice to the old one, other sessions ended,
 * the race with a sign-up), the data export (content present, secrets and other users' data
 * absent), and deletion: refusals (password, second factor, last owner), cancel, sign-in
 * during the grace period, the purge for real (grace of seconds) and a purge postponed
 * because the account became a tenant's last owner again. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/totp.h"
#include "google/protobuf/field_mask.pb-c.h"
#include "hub/auth/v1/auth.hub-client.h"
#include "support/world.h"

#define PASSWORD "purple-otter-galaxy-42"
#define GRACE_MS 6000

static hub_world w;

static int setup(void **state) {
  (void)state;
  static const char *const env[] = {"HUB_ACCOUNT_DELETION_GRACE_MS=6000", "HUB_ACCOUNT_PURGE_INTERVAL_MS=200", NULL};
  return hub_world_up(&w, "account", env) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

static const char *field_of(hub_status st) { return st.violations ? st.violations->field : ""; }

static void expect_invalid(hub_status st, const char *field) {
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(field_of(st), field);
}

/* The first value of a query, compared and freed. */
static void expect_query(const char *want, const char *sql) {
  char *got = hub_world_query(&w, "%s", sql);
  if (!got || strcmp(got, want) != 0) fail_msg("%s\n  want %s, got %s", sql, want, got ? got : "(null)");
  free(got);
}

static long query_long(const char *sql) {
  char *got = hub_world_query(&w, "%s", sql);
  long v = got ? atol(got) : -1;
  free(got);
  return v;
}

static hub_code whoami_code(const char *token) {
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = {.timeout_ms = 5000, .bearer_token = token, .no_retry = true};
  Hub__Auth__V1__WhoAmIRequest req = HUB__AUTH__V1__WHO_AM_IREQUEST__INIT;
  Hub__Auth__V1__WhoAmIResponse *resp = NULL;
  hub_code c = hub_auth_v1_auth_who_am_i_call(w.ch, &o, a, &req, &resp).code;
  hub_arena_free(a);
  return c;
}

/* Login that keeps the whole response (the world's helper keeps only the tokens). */
static hub_status login(hub_arena *a, const char *email, const char *password, Hub__Auth__V1__LoginResponse **out) {
  Hub__Auth__V1__LoginRequest req = HUB__AUTH__V1__LOGIN_REQUEST__INIT;
  req.email = (char *)email;
  req.password = (char *)password;
  hub_call_options o = {.timeout_ms = 10000, .no_retry = true};
  return hub_auth_v1_auth_login_call(w.ch, &o, a, &req, out);
}

static hub_status get_profile(hub_arena *a, const hub_test_user *u, Hub__Auth__V1__Profile **out) {
  hub_call_options o = hub_world_opts(u);
  Hub__Auth__V1__GetProfileRequest req = HUB__AUTH__V1__GET_PROFILE_REQUEST__INIT;
  return hub_auth_v1_auth_get_profile_call(w.ch, &o, a, &req, out);
}

/* UpdateProfile with the comma-separated mask `paths` and the values in `in`. */
static hub_status update_profile(hub_arena *a, const hub_test_user *u, const char *paths, Hub__Auth__V1__Profile *in,
                                 Hub__Auth__V1__Profile **out) {
  hub_call_options o = hub_world_opts(u);
  Hub__Auth__V1__UpdateProfileRequest req = HUB__AUTH__V1__UPDATE_PROFILE_REQUEST__INIT;
  Google__Protobuf__FieldMask *mask = hub_arena_alloc(a, sizeof *mask);
  google__protobuf__field_mask__init(mask);
  char *copy = hub_arena_strdup(a, paths);
  mask->paths = hub_arena_calloc(a, 8, sizeof(char *));
  for (char *save = NULL, *t = strtok_r(copy, ",", &save); t && mask->n_paths < 8; t = strtok_r(NULL, ",", &save))
    mask->paths[mask->n_paths++] = t;
  req.update_mask = mask;
  req.profile = in;
  Hub__Auth__V1__Profile *ignored;
  return hub_auth_v1_auth_update_profile_call(w.ch, &o, a, &req, out ? out : &ignored);
}

static hub_status request_change(hub_arena *a, const hub_test_user *u, const char *password, const char *new_email) {
  hub_call_options o = hub_world_opts(u);
  Hub__Auth__V1__RequestEmailChangeRequest req = HUB__AUTH__V1__REQUEST_EMAIL_CHANGE_REQUEST__INIT;
  req.current_password = (char *)password;
  req.new_email = (char *)new_email;
  Hub__Auth__V1__RequestEmailChangeResponse *resp;
  return hub_auth_v1_auth_request_email_change_call(w.ch, &o, a, &req, &resp);
}

static hub_status confirm_change(hub_arena *a, const hub_test_user *u, const char *token,
                                 Hub__Auth__V1__ConfirmEmailChangeResponse **out) {
  hub_call_options o = hub_world_opts(u);
  Hub__Auth__V1__ConfirmEmailChangeRequest req = HUB__AUTH__V1__CONFIRM_EMAIL_CHANGE_REQUEST__INIT;
  req.token = (char *)token;
  Hub__Auth__V1__ConfirmEmailChangeResponse *ignored;
  return hub_auth_v1_auth_confirm_email_change_call(w.ch, &o, a, &req, out ? out : &ignored);
}

/* The newest change-of-email token mailed for the user (malloc'd) or NULL. */
static char *mailed_change_token(const hub_test_user *u) {
  return hub_world_query(&w,
                         "SELECT payload->>'token' FROM account_outbox WHERE user_id = '%s' AND topic = "
                         "'account.email_change' ORDER BY id DESC LIMIT 1",
                         u->user_id);
}

static hub_status delete_account(hub_arena *a, const hub_test_user *u, const char *password, const char *totp,
                                 Hub__Auth__V1__DeleteMyAccountResponse **out) {
  hub_call_options o = hub_world_opts(u);
  Hub__Auth__V1__DeleteMyAccountRequest req = HUB__AUTH__V1__DELETE_MY_ACCOUNT_REQUEST__INIT;
  req.password = (char *)password;
  req.totp_code = (char *)(totp ? totp : "");
  Hub__Auth__V1__DeleteMyAccountResponse *ignored;
  return hub_auth_v1_auth_delete_my_account_call(w.ch, &o, a, &req, out ? out : &ignored);
}

static hub_status cancel_deletion(hub_arena *a, const hub_test_user *u) {
  hub_call_options o = hub_world_opts(u);
  Hub__Auth__V1__CancelAccountDeletionRequest req = HUB__AUTH__V1__CANCEL_ACCOUNT_DELETION_REQUEST__INIT;
  Hub__Auth__V1__CancelAccountDeletionResponse *resp;
  return hub_auth_v1_auth_cancel_account_deletion_call(w.ch, &o, a, &req, &resp);
}

static hub_status export_data(hub_arena *a, const hub_test_user *u, Hub__Auth__V1__ExportMyDataResponse **out) {
  hub_call_options o = hub_world_opts(u);
  Hub__Auth__V1__ExportMyDataRequest req = HUB__AUTH__V1__EXPORT_MY_DATA_REQUEST__INIT;
  return hub_auth_v1_auth_export_my_data_call(w.ch, &o, a, &req, out);
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- profile */

static void test_profile_get_and_update(void **state) {
  (void)state;
  hub_test_user u;
  hub_world_signup_login(&w, "pat@example.com", NULL, NULL, &u);
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__Profile *p;
  assert_int_equal(get_profile(a, &u, &p).code, HUB_OK);
  assert_string_equal(p->user_id, u.user_id);
  assert_string_equal(p->email, "pat@example.com");
  assert_string_equal(p->display_name, "Test User");
  assert_string_equal(p->locale, "");
  assert_string_equal(p->time_zone, "");
  assert_string_equal(p->avatar_url, "");
  assert_null(p->deletion_due_at);
  assert_non_null(p->created_at);

  Hub__Auth__V1__Profile in = HUB__AUTH__V1__PROFILE__INIT;
  in.display_name = "Pat Müller";
  in.locale = "de-ch"; /* stored in canonical case */
  in.time_zone = "Europe/Zurich";
  in.avatar_url = "https://cdn.example.com/avatars/pat.png";
  in.email = "ignored@example.com"; /* not in the mask, not changeable here */
  assert_int_equal(update_profile(a, &u, "display_name,locale,time_zone,avatar_url", &in, &p).code, HUB_OK);
  assert_string_equal(p->display_name, "Pat Müller");
  assert_string_equal(p->locale, "de-CH");
  assert_string_equal(p->time_zone, "Europe/Zurich");
  assert_string_equal(p->avatar_url, "https://cdn.example.com/avatars/pat.png");
  assert_string_equal(p->email, "pat@example.com");
  assert_int_equal(get_profile(a, &u, &p).code, HUB_OK);
  assert_string_equal(p->locale, "de-CH");
  assert_string_equal(p->time_zone, "Europe/Zurich");
  /* WhoAmI (answered from the session) shows the new name at once. */
  hub_call_options o = hub_world_opts(&u);
  Hub__Auth__V1__WhoAmIRequest wreq = HUB__AUTH__V1__WHO_AM_IREQUEST__INIT;
  Hub__Auth__V1__WhoAmIResponse *me;
  assert_int_equal(hub_auth_v1_auth_who_am_i_call(w.ch, &o, a, &wreq, &me).code, HUB_OK);
  assert_string_equal(me->display_name, "Pat Müller");

  /* Only the masked fields change; a masked empty field is cleared. */
  Hub__Auth__V1__Profile clear = HUB__AUTH__V1__PROFILE__INIT;
  clear.display_name = "not applied";
  assert_int_equal(update_profile(a, &u, "locale", &clear, &p).code, HUB_OK);
  assert_string_equal(p->locale, "");
  assert_string_equal(p->display_name, "Pat Müller");
  assert_string_equal(p->time_zone, "Europe/Zurich");

  /* Well-formed tags of every shape are accepted. */
  const char *good[] = {"en", "zh-Hant-TW", "sr-latn-rs", "es-419", "de-DE-1996", "en-US-x-twain", "gsw", "ca-ES-valencia",
                        "en-a-bbb-x-a-ccc"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    Hub__Auth__V1__Profile l = HUB__AUTH__V1__PROFILE__INIT;
    l.locale = (char *)good[i];
    hub_status st = update_profile(a, &u, "locale", &l, &p);
    if (!hub_ok(st)) fail_msg("locale %s refused: %s", good[i], st.message);
  }
  assert_string_equal(p->locale, "en-a-bbb-x-a-ccc");
  Hub__Auth__V1__Profile l = HUB__AUTH__V1__PROFILE__INIT;
  l.locale = "SR-LATN-RS";
  assert_int_equal(update_profile(a, &u, "locale", &l, &p).code, HUB_OK);
  assert_string_equal(p->locale, "sr-Latn-RS");

  /* Audited with the fields' names (never their values). */
  char *n = hub_world_query(&w, "SELECT count(*) FROM account_events WHERE user_id = '%s' AND action = 'profile.updated'",
                            u.user_id);
  assert_true(atoi(n) >= 12);
  free(n);
  expect_query("[\"display_name\", \"locale\", \"time_zone\", \"avatar_url\"]",
               hub_arena_sprintf(a, "SELECT detail->>'fields' FROM account_events WHERE user_id = '%s' AND action = "
                                    "'profile.updated' ORDER BY id LIMIT 1", u.user_id));
  expect_query("0", hub_arena_sprintf(a, "SELECT count(*) FROM account_events WHERE user_id = '%s' AND "
                                         "detail::text LIKE '%%Zurich%%'", u.user_id));
  hub_arena_free(a);
}

static void test_profile_refusals(void **state) {
  (void)state;
  hub_test_user u;
  hub_world_signup_login(&w, "quinn@example.com", NULL, NULL, &u);
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__Profile in = HUB__AUTH__V1__PROFILE__INIT;
  expect_invalid(update_profile(a, &u, "", &in, NULL), "update_mask");
  expect_invalid(update_profile(a, &u, "email", &in, NULL), "update_mask");
  expect_invalid(update_profile(a, &u, "user_id", &in, NULL), "update_mask");
  expect_invalid(update_profile(a, &u, "locale,locale", &in, NULL), "update_mask");

  const char *bad_locales[] = {"english", "en_US", "e", "en--us", "de-CH-", "-de", "x", "x-private", "en-a",
                               "en-US-a-x-b", "<script>", "de CH", "abcdefghi", "en-Latn-Latn-Latn-Latn", "12"};
  for (size_t i = 0; i < sizeof bad_locales / sizeof *bad_locales; i++) {
    Hub__Auth__V1__Profile p = HUB__AUTH__V1__PROFILE__INIT;
    p.locale = (char *)bad_locales[i];
    hub_status st = update_profile(a, &u, "locale", &p, NULL);
    if (st.code != HUB_INVALID_ARGUMENT) fail_msg("locale \"%s\" accepted", bad_locales[i]);
    assert_string_equal(field_of(st), "profile.locale");
  }
  const char *bad_zones[] = {"Mars/Olympus_Mons", "../../etc/passwd", "Europe/../../etc/passwd", "/etc/localtime",
                             "Europe//Zurich", "Europe/Zurich ", "europe zurich", "Europe/"};
  for (size_t i = 0; i < sizeof bad_zones / sizeof *bad_zones; i++) {
    Hub__Auth__V1__Profile p = HUB__AUTH__V1__PROFILE__INIT;
    p.time_zone = (char *)bad_zones[i];
    hub_status st = update_profile(a, &u, "time_zone", &p, NULL);
    if (st.code != HUB_INVALID_ARGUMENT) fail_msg("time zone \"%s\" accepted", bad_zones[i]);
    assert_string_equal(field_of(st), "profile.time_zone");
  }
  char *long_url = hub_arena_alloc(a, 2100);
  strcpy(long_url, "https://cdn.example.com/");
  memset(long_url + strlen(long_url), 'a', 2049 - strlen(long_url));
  long_url[2049] = '\0';
  const char *bad_urls[] = {"http://cdn.example.com/a.png", "https://", "javascript:alert(1)", "//cdn.example.com/a",
                            "https://user:pw@cdn.example.com/a.png", "https://cdn.example.com/a b.png",
                            "https://cdn.example.com/\"onerror=", long_url};
  for (size_t i = 0; i < sizeof bad_urls / sizeof *bad_urls; i++) {
    Hub__Auth__V1__Profile p = HUB__AUTH__V1__PROFILE__INIT;
    p.avatar_url = (char *)bad_urls[i];
    hub_status st = update_profile(a, &u, "avatar_url", &p, NULL);
    if (st.code != HUB_INVALID_ARGUMENT) fail_msg("avatar URL \"%.40s\" accepted", bad_urls[i]);
    assert_string_equal(field_of(st), "profile.avatar_url");
  }
  char *long_name = hub_arena_alloc(a, 202);
  memset(long_name, 'n', 201);
  long_name[201] = '\0';
  const char *bad_names[] = {"two\nlines", "tab\there", long_name, "\xff\xfe bad utf-8"};
  for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
    Hub__Auth__V1__Profile p = HUB__AUTH__V1__PROFILE__INIT;
    p.display_name = (char *)bad_names[i];
    expect_invalid(update_profile(a, &u, "display_name", &p, NULL), "profile.display_name");
  }
  /* One bad field refuses the whole update: nothing changed. */
  Hub__Auth__V1__Profile mixed = HUB__AUTH__V1__PROFILE__INIT;
  mixed.display_name = "Quinn";
  mixed.time_zone = "Nowhere/Land";
  expect_invalid(update_profile(a, &u, "display_name,time_zone", &mixed, NULL), "profile.time_zone");
  Hub__Auth__V1__Profile *p;
  assert_int_equal(get_profile(a, &u, &p).code, HUB_OK);
  assert_string_equal(p->display_name, "Test User");
  expect_query("0", hub_arena_sprintf(a, "SELECT count(*) FROM account_events WHERE user_id = '%s' AND action = "
                                         "'profile.updated'", u.user_id));
  /* No profile message at all; and no token. */
  expect_invalid(update_profile(a, &u, "display_name", NULL, NULL), "profile");
  hub_call_options plain = {.timeout_ms = 5000, .no_retry = true};
  Hub__Auth__V1__GetProfileRequest req = HUB__AUTH__V1__GET_PROFILE_REQUEST__INIT;
  assert_int_equal(hub_auth_v1_auth_get_profile_call(w.ch, &plain, a, &req, &p).code, HUB_UNAUTHENTICATED);
  hub_arena_free(a);
}

/* ---------------------------------------------------------------- change of email */

static void test_email_change_flow(void **state) {
  (void)state;
  hub_test_user u, other_session, someone, x;
  hub_world_signup_login(&w, "rita@example.com", "Rita Bakes", NULL, &u);
  assert_int_equal(hub_world_login(&w, "rita@example.com", PASSWORD, NULL, &other_session).code, HUB_OK);
  hub_world_signup_login(&w, "sam@example.com", NULL, NULL, &someone);
  hub_arena *a = hub_arena_new(0);

  /* Refusals first: nothing is mailed for any of them. */
  hub_status st = request_change(a, &u, "wrong-password-for-rita", "rita.new@example.org");
  assert_int_equal(st.code, HUB_UNAUTHENTICATED);
  expect_invalid(request_change(a, &u, "", "rita.new@example.org"), "current_password");
  expect_invalid(request_change(a, &u, PASSWORD, "not an address"), "new_email");
  expect_invalid(request_change(a, &u, PASSWORD, ""), "new_email");
  expect_invalid(request_change(a, &u, PASSWORD, "RITA@example.com"), "new_email"); /* already hers */
  expect_query("0", hub_arena_sprintf(a, "SELECT count(*) FROM account_outbox WHERE user_id = '%s' AND topic = "
                                         "'account.email_change'", u.user_id));
  expect_query("1", hub_arena_sprintf(a, "SELECT count(*) FROM account_events WHERE user_id = '%s' AND action = "
                                         "'password.check_failed'", u.user_id));

  /* A reset link mailed to the old address before the change must not work after it. */
  Hub__Auth__V1__RequestPasswordResetRequest rreq = HUB__AUTH__V1__REQUEST_PASSWORD_RESET_REQUEST__INIT;
  Hub__Auth__V1__RequestPasswordResetResponse *rresp;
  hub_call_options plain = {.timeout_ms = 5000, .no_retry = true};
  rreq.email = "rita@example.com";
  assert_int_equal(hub_auth_v1_auth_request_password_reset_call(w.ch, &plain, a, &rreq, &rresp).code, HUB_OK);
  char *reset = hub_world_query(&w, "SELECT payload->>'token' FROM account_outbox WHERE user_id = '%s' AND topic = "
                                    "'account.password_reset'", u.user_id);
  assert_non_null(reset);

  assert_int_equal(request_change(a, &u, PASSWORD, "Rita.New@example.org").code, HUB_OK);
  char *token = mailed_change_token(&u);
  assert_non_null(token);
  /* Mailed to the NEW address; only the token's SHA-256 is stored. */
  expect_query("Rita.New@example.org", hub_arena_sprintf(a, "SELECT payload->>'to' FROM account_outbox WHERE user_id = "
                                                            "'%s' AND topic = 'account.email_change'", u.user_id));
  expect_query("1", hub_arena_sprintf(a, "SELECT count(*) FROM account_tokens WHERE token_hash = sha256('%s'::bytea) "
                                         "AND purpose = 'email_change'", token));
  expect_query("0", hub_arena_sprintf(a, "SELECT count(*) FROM account_tokens WHERE encode(token_hash, 'escape') LIKE "
                                         "'%%%s%%'", token));
  /* Nothing changed yet. */
  expect_query("rita@example.com", hub_arena_sprintf(a, "SELECT email FROM users WHERE id = '%s'", u.user_id));

  /* Another account cannot spend it; a malformed token is refused. */
  expect_invalid(confirm_change(a, &someone, token, NULL), "token");
  expect_invalid(confirm_change(a, &u, "", NULL), "token");
  expect_invalid(confirm_change(a, &u, "no-such-token", NULL), "token");

  Hub__Auth__V1__ConfirmEmailChangeResponse *done;
  assert_int_equal(confirm_change(a, &u, token, &done).code, HUB_OK);
  assert_string_equal(done->email, "Rita.New@example.org");
  assert_int_equal(done->sessions_revoked, 1);
  assert_int_equal(whoami_code(other_session.access), HUB_UNAUTHENTICATED);
  assert_int_equal(whoami_code(u.access), HUB_OK);
  Hub__Auth__V1__Profile *p;
  assert_int_equal(get_profile(a, &u, &p).code, HUB_OK);
  assert_string_equal(p->email, "Rita.New@example.org");
  assert_true(p->email_verified);
  /* The old address hears of it, with where to report it; the new one is only hinted at. */
  expect_query("rita@example.com", hub_arena_sprintf(a, "SELECT payload->>'to' FROM account_outbox WHERE user_id = '%s' "
                                                        "AND topic = 'account.email_changed'", u.user_id));
  expect_query("support@smbhub.com", hub_arena_sprintf(a, "SELECT payload->>'report_to' FROM account_outbox WHERE "
                                                          "user_id = '%s' AND topic = 'account.email_changed'",
                                                          u.user_id));
  expect_query("Ri***@example.org", hub_arena_sprintf(a, "SELECT payload->>'new_email_hint' FROM account_outbox WHERE "
                                                         "user_id = '%s' AND topic = 'account.email_changed'",
                                                         u.user_id));
  expect_query("1", hub_arena_sprintf(a, "SELECT count(*) FROM account_events WHERE user_id = '%s' AND action = "
                                         "'email.changed'", u.user_id));
  /* Single use. */
  assert_int_equal(confirm_change(a, &u, token, NULL).code, HUB_FAILED_PRECONDITION);
  /* The old address no longer signs in; the new one does (case-insensitively). */
  assert_int_equal(hub_world_login(&w, "rita@example.com", PASSWORD, NULL, &x).code, HUB_UNAUTHENTICATED);
  assert_int_equal(hub_world_login(&w, "rita.new@EXAMPLE.org", PASSWORD, NULL, &x).code, HUB_OK);
  /* The reset link mailed to the old address was spent by the change. */
  Hub__Auth__V1__ResetPasswordRequest rp = HUB__AUTH__V1__RESET_PASSWORD_REQUEST__INIT;
  Hub__Auth__V1__ResetPasswordResponse *rpr;
  rp.token = reset;
  rp.new_password = "a-brand-new-passphrase-7";
  expect_invalid(hub_auth_v1_auth_reset_password_call(w.ch, &plain, a, &rp, &rpr), "token");
  free(reset);
  free(token);
  hub_arena_free(a);
}

static void test_email_change_taken_address_no_enumeration(void **state) {
  (void)state;
  hub_test_user u, holder;
  hub_world_signup_login(&w, "tara@example.com", NULL, NULL, &u);
  hub_world_signup_login(&w, "uma@example.com", NULL, NULL, &holder);
  hub_arena *a = hub_arena_new(0);
  /* A taken address and a free one: the same answer, the same audit trail for the caller. */
  struct timespec t0, t1, t2, t3;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  hub_status taken = request_change(a, &u, PASSWORD, "UMA@example.com");
  clock_gettime(CLOCK_MONOTONIC, &t1);
  assert_int_equal(taken.code, HUB_OK);
  expect_query("0", hub_arena_sprintf(a, "SELECT count(*) FROM account_tokens WHERE user_id = '%s' AND purpose = "
                                         "'email_change'", u.user_id));
  expect_query("0", hub_arena_sprintf(a, "SELECT count(*) FROM account_outbox WHERE user_id = '%s' AND topic = "
                                         "'account.email_change'", u.user_id));
  /* The holder of the address is told; nothing about who asked. */
  expect_query("1", hub_arena_sprintf(a, "SELECT count(*) FROM account_outbox WHERE user_id = '%s' AND topic = "
                                         "'account.email_change_attempted'", holder.user_id));
  expect_query("0", hub_arena_sprintf(a, "SELECT count(*) FROM account_outbox WHERE user_id = '%s' AND "
                                         "payload::text LIKE '%%tara%%'", holder.user_id));
  clock_gettime(CLOCK_MONOTONIC, &t2);
  hub_status free_one = request_change(a, &u, PASSWORD, "tara@example.net");
  clock_gettime(CLOCK_MONOTONIC, &t3);
  assert_int_equal(free_one.code, HUB_OK);
  /* Both spent the Argon2 proof of the password: no fast path gives a taken address away. */
  double ms_taken = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  double ms_free = (double)(t3.tv_sec - t2.tv_sec) * 1e3 + (double)(t3.tv_nsec - t2.tv_nsec) / 1e6;
  print_message("email change: taken address %.1f ms, free address %.1f ms\n", ms_taken, ms_free);
  assert_true(ms_taken > 10.0 && ms_free > 10.0);
  expect_query("{} {}", hub_arena_sprintf(a, "SELECT string_agg(detail::text, ' ') FROM account_events WHERE user_id = "
                                             "'%s' AND action = 'email_change.requested'", u.user_id));
  /* The caller's export does not tell the two apart either. */
  Hub__Auth__V1__ExportMyDataResponse *ex;
  assert_int_equal(export_data(a, &u, &ex).code, HUB_OK);
  assert_null(strstr(ex->json, "uma@example.com"));
  assert_null(strstr(ex->json, holder.user_id));
  hub_arena_free(a);
}

static void test_email_change_race_expiry_and_supersede(void **state) {
  (void)state;
  hub_test_user u;
  hub_world_signup_login(&w, "vera@example.com", NULL, NULL, &u);
  hub_arena *a = hub_arena_new(0);

  /* The address is free when asked for, taken by a sign-up before the link is used. */
  assert_int_equal(request_change(a, &u, PASSWORD, "contested@example.com").code, HUB_OK);
  char *token = mailed_change_token(&u);
  Hub__Auth__V1__SignUpRequest sreq = HUB__AUTH__V1__SIGN_UP_REQUEST__INIT;
  Hub__Auth__V1__SignUpResponse *sresp;
  hub_call_options plain = {.timeout_ms = 10000, .no_retry = true};
  sreq.email = "Contested@example.com";
  sreq.password = "another-long-passphrase-3";
  assert_int_equal(hub_auth_v1_auth_sign_up_call(w.ch, &plain, a, &sreq, &sresp).code, HUB_OK);
  hub_status st = confirm_change(a, &u, token, NULL);
  assert_int_equal(st.code, HUB_ALREADY_EXISTS);
  assert_non_null(strstr(st.message, "another account took this address"));
  expect_query("vera@example.com", hub_arena_sprintf(a, "SELECT email FROM users WHERE id = '%s'", u.user_id));
  free(token);

  /* Expired. */
  assert_int_equal(request_change(a, &u, PASSWORD, "vera.late@example.com").code, HUB_OK);
  token = mailed_change_token(&u);
  assert_int_equal(hub_world_sql(&w, "UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE "
                                      "token_hash = sha256('%s'::bytea)", token),
                   0);
  st = confirm_change(a, &u, token, NULL);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "expired"));
  free(token);

  /* Superseded by a newer request: only the newest link works. */
  assert_int_equal(request_change(a, &u, PASSWORD, "vera.one@example.com").code, HUB_OK);
  char *first = mailed_change_token(&u);
  assert_int_equal(request_change(a, &u, PASSWORD, "vera.two@example.com").code, HUB_OK);
  char *second = mailed_change_token(&u);
  assert_string_not_equal(first, second);
  assert_int_equal(confirm_change(a, &u, first, NULL).code, HUB_FAILED_PRECONDITION);
  Hub__Auth__V1__ConfirmEmailChangeResponse *done;
  assert_int_equal(confirm_change(a, &u, second, &done).code, HUB_OK);
  assert_string_equal(done->email, "vera.two@example.com");
  free(first);
  free(second);
  hub_arena_free(a);
}

/* ---------------------------------------------------------------- export */

static void test_export_contents(void **state) {
  (void)state;
  hub_test_user u, other;
  hub_world_signup_login(&w, "wendy@example.com", "Alpha Export Co", "exakeep", &u);
  hub_world_signup_login(&w, "xavier-secret@example.com", "Beta Export Co", NULL, &other);
  hub_arena *a = hub_arena_new(0);
  /* Wendy is also a viewer of Xavier's tenant, on one brand; she has an SSO link, a second
   * factor and recovery codes; Xavier demoted her there and did things of his own. */
  assert_int_equal(hub_world_sql(&w, "INSERT INTO members (tenant_id, user_id, role, brands) VALUES ('%s', '%s', "
                                      "'viewer', '{smb_hub}')", other.tenant_id, u.user_id),
                   0);
  assert_int_equal(hub_world_sql(&w, "INSERT INTO external_identities (issuer, subject, user_id, email) VALUES "
                                      "('https://accounts.google.com', 'google-subject-4711', '%s', 'w@gmail.test')",
                                 u.user_id),
                   0);
  assert_int_equal(hub_world_sql(&w, "UPDATE users SET totp_sealed = '\\xdeadbeefcafe' WHERE id = '%s'", u.user_id), 0);
  assert_int_equal(hub_world_sql(&w, "INSERT INTO recovery_codes (user_id, code_hash) VALUES ('%s', "
                                      "'recoveryhash0001'), ('%s', 'recoveryhash0002')", u.user_id, u.user_id),
                   0);
  assert_int_equal(hub_world_sql(&w, "INSERT INTO audit_events (tenant_id, actor_id, action, target, ip, detail) VALUES "
                                      "('%s', '%s', 'member.updated', '%s', '203.0.113.77', "
                                      "'{\"old_role\":\"member\",\"new_role\":\"viewer\",\"note\":\"xavier-private\"}'), "
                                      "('%s', '%s', 'member.invited', 'stranger@example.com', '203.0.113.77', "
                                      "'{\"email\":\"stranger@example.com\",\"role\":\"admin\"}')",
                                 other.tenant_id, other.user_id, u.user_id, other.tenant_id, other.user_id),
                   0);
  Hub__Auth__V1__ExportMyDataResponse *ex;
  assert_int_equal(export_data(a, &u, &ex).code, HUB_OK);
  assert_non_null(ex->generated_at);
  json_error_t err;
  json_t *doc = json_loads(ex->json, 0, &err);
  assert_non_null(doc);
  assert_string_equal(json_string_value(json_object_get(doc, "format")), "smbhub.account_export.v1");
  json_t *profile = json_object_get(doc, "profile");
  assert_string_equal(json_string_value(json_object_get(profile, "email")), "wendy@example.com");
  assert_string_equal(json_string_value(json_object_get(profile, "user_id")), u.user_id);
  json_t *mem = json_object_get(json_object_get(doc, "memberships"), "items");
  assert_int_equal(json_array_size(mem), 2);
  assert_true(json_is_false(json_object_get(json_object_get(doc, "memberships"), "truncated")));
  bool alpha = false, beta = false;
  for (size_t i = 0; i < json_array_size(mem); i++) {
    json_t *m = json_array_get(mem, i);
    const char *name = json_string_value(json_object_get(m, "tenant_name"));
    const char *role = json_string_value(json_object_get(m, "role"));
    if (!strcmp(name, "Alpha Export Co")) alpha = !strcmp(role, "owner");
    if (!strcmp(name, "Beta Export Co"))
      beta = !strcmp(role, "viewer") &&
             !strcmp(json_string_value(json_array_get(json_object_get(m, "brands"), 0)), "smb_hub");
  }
  assert_true(alpha && beta);
  json_t *ids = json_object_get(doc, "external_identities");
  assert_int_equal(json_array_size(ids), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(ids, 0), "issuer")), "https://accounts.google.com");
  json_t *second = json_object_get(doc, "second_factor");
  assert_true(json_is_true(json_object_get(second, "totp_enabled")));
  assert_int_equal(json_integer_value(json_object_get(second, "recovery_codes_left")), 2);
  json_t *sessions = json_object_get(doc, "sessions");
  assert_int_equal(json_array_size(sessions), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(sessions, 0), "id")), u.session_id);
  json_t *events = json_object_get(json_object_get(doc, "account_events"), "items");
  assert_true(json_array_size(events) >= 2); /* signup, login */
  /* The tenant event about her: her part only. Xavier's own event is not hers at all. */
  json_t *audit = json_object_get(json_object_get(doc, "tenant_audit_events"), "items");
  int demoted = 0;
  for (size_t i = 0; i < json_array_size(audit); i++) {
    json_t *e = json_array_get(audit, i);
    assert_string_not_equal(json_string_value(json_object_get(e, "action")), "member.invited");
    if (!strcmp(json_string_value(json_object_get(e, "action")), "member.updated")) {
      demoted++;
      assert_string_equal(json_string_value(json_object_get(e, "as")), "target");
      assert_string_equal(json_string_value(json_object_get(json_object_get(e, "detail"), "new_role")), "viewer");
      assert_null(json_object_get(e, "ip"));
    }
  }
  assert_int_equal(demoted, 1);
  json_decref(doc);

  /* No secret, hash or other person's data anywhere in the text. */
  char *hash = hub_world_query(&w, "SELECT password_hash FROM users WHERE id = '%s'", u.user_id);
  const char *absent[] = {hash, "$argon2", "deadbeefcafe", "recoveryhash", "google-subject-4711", "xavier-secret",
                          other.user_id, "203.0.113.77", "stranger@example.com", "xavier-private", u.refresh,
                          "password_hash", "token_hash"};
  for (size_t i = 0; i < sizeof absent / sizeof *absent; i++)
    if (strstr(ex->json, absent[i])) fail_msg("the export contains \"%s\"", absent[i]);
  free(hash);
  char *verify = hub_world_query(&w, "SELECT payload->>'token' FROM account_outbox WHERE user_id = '%s' AND topic = "
                                     "'account.verify_email'", u.user_id);
  assert_null(strstr(ex->json, verify));
  free(verify);
  /* Audited; and another user's export holds nothing of hers. */
  expect_query("1", hub_arena_sprintf(a, "SELECT count(*) FROM account_events WHERE user_id = '%s' AND action = "
                                         "'account.exported'", u.user_id));
  assert_int_equal(export_data(a, &other, &ex).code, HUB_OK);
  assert_null(strstr(ex->json, "wendy@example.com"));
  assert_null(strstr(ex->json, u.user_id));
  hub_call_options plain = {.timeout_ms = 5000, .no_retry = true};
  Hub__Auth__V1__ExportMyDataRequest req = HUB__AUTH__V1__EXPORT_MY_DATA_REQUEST__INIT;
  assert_int_equal(hub_auth_v1_auth_export_my_data_call(w.ch, &plain, a, &req, &ex).code, HUB_UNAUTHENTICATED);
  hub_arena_free(a);
}

/* ---------------------------------------------------------------- deletion */

static size_t base32_decode(const char *in, uint8_t *out) {
  size_t n = 0;
  unsigned buf = 0;
  int bits = 0;
  for (const char *p = in; *p; p++) {
    const char *f = strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", *p);
    if (!f || !*f) continue;
    buf = (buf << 5) | (unsigned)(f - "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    bits += 5;
    if (bits >= 8) {
      out[n++] = (uint8_t)(buf >> (bits - 8));
      bits -= 8;
    }
  }
  return n;
}

static void test_delete_refusals(void **state) {
  (void)state;
  hub_test_user owner, u;
  hub_world_signup_login(&w, "yara@example.com", "Yara Sole Owner Ltd", NULL, &owner);
  hub_world_signup_login(&w, "zeno@example.com", NULL, NULL, &u);
  hub_arena *a = hub_arena_new(0);
  expect_invalid(delete_account(a, &u, "", NULL, NULL), "password");
  assert_int_equal(delete_account(a, &u, "not-zenos-password", NULL, NULL).code, HUB_UNAUTHENTICATED);
  expect_invalid(delete_account(a, &u, PASSWORD, "12", NULL), "totp_code");

  /* The last owner of a tenant must hand it over first; the message names the tenant. */
  hub_status st = delete_account(a, &owner, PASSWORD, NULL, NULL);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "Yara Sole Owner Ltd"));
  assert_non_null(strstr(st.message, "last owner"));
  assert_int_equal(whoami_code(owner.access), HUB_OK); /* nothing happened */
  expect_query("0", hub_arena_sprintf(a, "SELECT count(*) FROM users WHERE id = '%s' AND deletion_due_at IS NOT NULL",
                                      owner.user_id));
  /* A deleted tenant does not hold anyone back. */
  assert_int_equal(hub_world_sql(&w, "UPDATE tenants SET deleted_at = now() WHERE id = '%s'", owner.tenant_id), 0);
  assert_int_equal(delete_account(a, &owner, PASSWORD, NULL, NULL).code, HUB_OK);

  /* With a second factor on, the password alone is not enough. */
  hub_call_options o = hub_world_opts(&u);
  Hub__Auth__V1__EnrollTotpRequest ereq = HUB__AUTH__V1__ENROLL_TOTP_REQUEST__INIT;
  Hub__Auth__V1__EnrollTotpResponse *enr;
  assert_int_equal(hub_auth_v1_auth_enroll_totp_call(w.ch, &o, a, &ereq, &enr).code, HUB_OK);
  uint8_t secret[64];
  size_t slen = base32_decode(enr->secret, secret);
  char code[8];
  Hub__Auth__V1__ConfirmTotpRequest creq = HUB__AUTH__V1__CONFIRM_TOTP_REQUEST__INIT;
  Hub__Auth__V1__ConfirmTotpResponse *conf;
  snprintf(code, sizeof code, "%06u", hub_totp_code(secret, slen, (int64_t)time(NULL) - 30, 6));
  creq.code = code;
  assert_int_equal(hub_auth_v1_auth_confirm_totp_call(w.ch, &o, a, &creq, &conf).code, HUB_OK);
  expect_invalid(delete_account(a, &u, PASSWORD, NULL, NULL), "totp_code");
  assert_int_equal(delete_account(a, &u, PASSWORD, "000000", NULL).code, HUB_UNAUTHENTICATED);
  expect_query("0", hub_arena_sprintf(a, "SELECT count(*) FROM users WHERE id = '%s' AND deletion_due_at IS NOT NULL",
                                      u.user_id));
  snprintf(code, sizeof code, "%06u", hub_totp_code(secret, slen, (int64_t)time(NULL), 6));
  Hub__Auth__V1__DeleteMyAccountResponse *del;
  assert_int_equal(delete_account(a, &u, PASSWORD, code, &del).code, HUB_OK);
  assert_non_null(del->deletion_due_at);
  /* Both are cancelled again so the purge leaves them be. */
  Hub__Auth__V1__LoginResponse *lr;
  assert_int_equal(login(a, "yara@example.com", PASSWORD, &lr).code, HUB_OK);
  hub_test_user again = owner;
  snprintf(again.access, sizeof again.access, "%s", lr->tokens->access_token);
  assert_int_equal(cancel_deletion(a, &again).code, HUB_OK);
  Hub__Auth__V1__LoginRequest lreq = HUB__AUTH__V1__LOGIN_REQUEST__INIT;
  lreq.email = "zeno@example.com";
  lreq.password = PASSWORD;
  lreq.recovery_code = conf->recovery_codes[0];
  hub_call_options plain = {.timeout_ms = 10000, .no_retry = true};
  assert_int_equal(hub_auth_v1_auth_login_call(w.ch, &plain, a, &lreq, &lr).code, HUB_OK);
  hub_test_user zeno = u;
  snprintf(zeno.access, sizeof zeno.access, "%s", lr->tokens->access_token);
  assert_int_equal(cancel_deletion(a, &zeno).code, HUB_OK);
  hub_arena_free(a);
}

static void test_delete_sign_in_during_grace_and_cancel(void **state) {
  (void)state;
  hub_test_user u, second;
  hub_world_signup_login(&w, "abel@example.com", NULL, NULL, &u);
  assert_int_equal(hub_world_login(&w, "abel@example.com", PASSWORD, NULL, &second).code, HUB_OK);
  hub_arena *a = hub_arena_new(0);
  assert_int_equal(cancel_deletion(a, &u).code, HUB_FAILED_PRECONDITION); /* nothing scheduled */
  Hub__Auth__V1__DeleteMyAccountResponse *del;
  time_t before = time(NULL);
  assert_int_equal(delete_account(a, &u, PASSWORD, NULL, &del).code, HUB_OK);
  assert_int_equal(del->sessions_revoked, 2);
  assert_true(del->deletion_due_at->seconds >= before + GRACE_MS / 1000 - 1);
  assert_true(del->deletion_due_at->seconds <= time(NULL) + GRACE_MS / 1000 + 1);
  /* Every session and refresh token ended at once. */
  assert_int_equal(whoami_code(u.access), HUB_UNAUTHENTICATED);
  assert_int_equal(whoami_code(second.access), HUB_UNAUTHENTICATED);
  Hub__Auth__V1__RefreshRequest rreq = HUB__AUTH__V1__REFRESH_REQUEST__INIT;
  Hub__Auth__V1__TokenPair *pair;
  hub_call_options plain = {.timeout_ms = 5000, .no_retry = true};
  rreq.refresh_token = second.refresh;
  assert_int_equal(hub_auth_v1_auth_refresh_call(w.ch, &plain, a, &rreq, &pair).code, HUB_UNAUTHENTICATED);
  expect_query("0", hub_arena_sprintf(a, "SELECT count(*) FROM refresh_tokens WHERE user_id = '%s' AND revoked_at IS "
                                         "NULL", u.user_id));
  expect_query("1", hub_arena_sprintf(a, "SELECT count(*) FROM account_outbox WHERE user_id = '%s' AND topic = "
                                         "'account.deletion_scheduled'", u.user_id));
  /* Signing in during the grace period works and says a deletion is pending. */
  Hub__Auth__V1__LoginResponse *lr;
  assert_int_equal(login(a, "abel@example.com", PASSWORD, &lr).code, HUB_OK);
  assert_non_null(lr->tokens);
  assert_non_null(lr->account_deletion_due_at);
  assert_int_equal(lr->account_deletion_due_at->seconds, del->deletion_due_at->seconds);
  hub_test_user back = u;
  snprintf(back.access, sizeof back.access, "%s", lr->tokens->access_token);
  Hub__Auth__V1__Profile *p;
  assert_int_equal(get_profile(a, &back, &p).code, HUB_OK);
  assert_non_null(p->deletion_due_at);
  /* Once is enough. */
  hub_status st = delete_account(a, &back, PASSWORD, NULL, NULL);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "already scheduled"));
  /* Cancel: the account stays, past the grace period and the purge. */
  assert_int_equal(cancel_deletion(a, &back).code, HUB_OK);
  assert_int_equal(cancel_deletion(a, &back).code, HUB_FAILED_PRECONDITION);
  assert_int_equal(login(a, "abel@example.com", PASSWORD, &lr).code, HUB_OK);
  assert_null(lr->account_deletion_due_at);
  sleep_ms(GRACE_MS + 1000);
  expect_query("abel@example.com", hub_arena_sprintf(a, "SELECT email FROM users WHERE id = '%s' AND deleted_at IS "
                                                        "NULL", u.user_id));
  assert_int_equal(whoami_code(back.access), HUB_OK);
  expect_query("account.deletion_scheduled,account.deletion_cancelled",
               hub_arena_sprintf(a, "SELECT string_agg(action, ',' ORDER BY id) FROM account_events WHERE user_id = "
                                    "'%s' AND action LIKE 'account.deletion%%'", u.user_id));
  hub_arena_free(a);
}

/* Polls until the query answers `want` (at most 30 s). */
static void wait_for(const char *want, const char *sql) {
  for (int i = 0; i < 300; i++) {
    char *got = hub_world_query(&w, "%s", sql);
    bool ok = got && strcmp(got, want) == 0;
    free(got);
    if (ok) return;
    sleep_ms(100);
  }
  expect_query(want, sql);
}

static void test_delete_then_purge(void **state) {
  (void)state;
  hub_test_user u, co, during;
  hub_world_signup_login(&w, "bella@example.com", "Bella Shared Tenant", NULL, &u);
  hub_world_signup_login(&w, "carlo@example.com", "Carlo Tenant", NULL, &co);
  hub_arena *a = hub_arena_new(0);
  /* Carlo co-owns Bella's tenant; Bella is a viewer in Carlo's; she has a linked provider,
   * recovery codes and a profile. */
  assert_int_equal(hub_world_sql(&w, "INSERT INTO members (tenant_id, user_id, role) VALUES ('%s', '%s', 'owner'), "
                                      "('%s', '%s', 'viewer')",
                                 u.tenant_id, co.user_id, co.tenant_id, u.user_id),
                   0);
  assert_int_equal(hub_world_sql(&w, "INSERT INTO external_identities (issuer, subject, user_id) VALUES "
                                      "('https://appleid.apple.com', 'apple-bella', '%s')", u.user_id),
                   0);
  assert_int_equal(hub_world_sql(&w, "INSERT INTO recovery_codes (user_id, code_hash) VALUES ('%s', 'bella-code')",
                                 u.user_id),
                   0);
  Hub__Auth__V1__Profile in = HUB__AUTH__V1__PROFILE__INIT;
  in.locale = "it-IT";
  in.time_zone = "Europe/Rome";
  in.avatar_url = "https://cdn.example.com/bella.png";
  assert_int_equal(update_profile(a, &u, "locale,time_zone,avatar_url", &in, NULL).code, HUB_OK);
  assert_int_equal(delete_account(a, &u, PASSWORD, NULL, NULL).code, HUB_OK);
  /* Signed in again during the grace period: the purge ends that session too. */
  assert_int_equal(hub_world_login(&w, "bella@example.com", PASSWORD, NULL, &during).code, HUB_OK);
  assert_int_equal(whoami_code(during.access), HUB_OK);

  wait_for("1", hub_arena_sprintf(a, "SELECT count(*) FROM users WHERE id = '%s' AND deleted_at IS NOT NULL", u.user_id));
  /* The tombstone: same id, nothing personal, the address freed. */
  expect_query(hub_arena_sprintf(a, "deleted-%s@deleted.invalid||true|true|true|true|false", u.user_id),
               hub_arena_sprintf(a, "SELECT email_norm || '|' || display_name || '|' || (password_hash IS NULL) || '|' "
                                    "|| (locale IS NULL AND time_zone IS NULL AND avatar_url IS NULL) || '|' || "
                                    "(totp_sealed IS NULL) || '|' || (email_verified_at IS NULL) || '|' || "
                                    "is_platform_admin FROM users WHERE id = '%s'", u.user_id));
  expect_query("0|0|0|0|0|0",
               hub_arena_sprintf(a, "SELECT (SELECT count(*) FROM members WHERE user_id = '%1$s') || '|' || "
                                    "(SELECT count(*) FROM external_identities WHERE user_id = '%1$s') || '|' || "
                                    "(SELECT count(*) FROM recovery_codes WHERE user_id = '%1$s') || '|' || "
                                    "(SELECT count(*) FROM account_tokens WHERE user_id = '%1$s') || '|' || "
                                    "(SELECT count(*) FROM refresh_tokens WHERE user_id = '%1$s') || '|' || "
                                    "(SELECT count(*) FROM account_outbox WHERE user_id = '%1$s')", u.user_id));
  /* The trail still names the account (now the tombstone), without client addresses. */
  assert_true(query_long(hub_arena_sprintf(a, "SELECT count(*) FROM account_events WHERE user_id = '%s'", u.user_id)) >= 4);
  expect_query("0", hub_arena_sprintf(a, "SELECT count(*) FROM account_events WHERE user_id = '%s' AND ip <> ''",
                                      u.user_id));
  expect_query("1", hub_arena_sprintf(a, "SELECT count(*) FROM account_events WHERE user_id = '%s' AND action = "
                                         "'account.deleted'", u.user_id));
  expect_query("2", hub_arena_sprintf(a, "SELECT count(*) FROM audit_events WHERE target = '%s' AND action = "
                                         "'member.removed' AND detail->>'reason' = 'account_deleted'", u.user_id));
  /* Carlo still owns the tenant they shared. */
  expect_query("owner", hub_arena_sprintf(a, "SELECT role FROM members WHERE tenant_id = '%s' AND user_id = '%s'",
                                          u.tenant_id, co.user_id));
  /* Her sessions are over and her address no longer signs in, but can sign up afresh. */
  assert_int_equal(whoami_code(during.access), HUB_UNAUTHENTICATED);
  hub_test_user x;
  assert_int_equal(hub_world_login(&w, "bella@example.com", PASSWORD, NULL, &x).code, HUB_UNAUTHENTICATED);
  hub_world_signup_login(&w, "bella@example.com", NULL, NULL, &x);
  assert_string_not_equal(x.user_id, u.user_id);
  hub_arena_free(a);
}

static void test_purge_postponed_for_a_last_owner(void **state) {
  (void)state;
  hub_test_user u, co;
  hub_world_signup_login(&w, "dora@example.com", "Dora Tenant", NULL, &u);
  hub_world_signup_login(&w, "emil@example.com", "Emil Tenant", NULL, &co);
  hub_arena *a = hub_arena_new(0);
  assert_int_equal(hub_world_sql(&w, "INSERT INTO members (tenant_id, user_id, role) VALUES ('%s', '%s', 'owner'), "
                                      "('%s', '%s', 'viewer')",
                                 u.tenant_id, co.user_id, co.tenant_id, u.user_id),
                   0);
  hub_test_user co2;
  assert_int_equal(hub_world_login(&w, "emil@example.com", PASSWORD, NULL, &co2).code, HUB_OK);
  assert_int_equal(delete_account(a, &u, PASSWORD, NULL, NULL).code, HUB_OK);
  /* The other owner cannot leave now: Dora is leaving herself. */
  hub_status st = delete_account(a, &co2, PASSWORD, NULL, NULL);
  assert_int_equal(st.code, HUB_FAILED_PRECONDITION);
  assert_non_null(strstr(st.message, "Dora Tenant"));
  /* Emil steps down before the grace period ends: Dora is the last owner again. */
  assert_int_equal(hub_world_sql(&w, "UPDATE members SET role = 'admin' WHERE tenant_id = '%s' AND user_id = '%s'",
                                 u.tenant_id, co.user_id),
                   0);
  wait_for("1", hub_arena_sprintf(a, "SELECT count(*) FROM account_events WHERE user_id = '%s' AND action = "
                                     "'account.deletion_blocked'", u.user_id));
  expect_query("dora@example.com|owner|true",
               hub_arena_sprintf(a, "SELECT u.email || '|' || m.role || '|' || (u.deletion_due_at > now() + interval "
                                    "'23 hours') FROM users u JOIN members m ON m.user_id = u.id WHERE u.id = '%s' AND "
                                    "u.deleted_at IS NULL", u.user_id));
  expect_query("[\"Dora Tenant\"]", hub_arena_sprintf(a, "SELECT payload->>'tenants' FROM account_outbox WHERE user_id = "
                                                         "'%s' AND topic = 'account.deletion_blocked'", u.user_id));
  /* An account that cannot go keeps every membership meanwhile, not only the blocking one. */
  expect_query("viewer", hub_arena_sprintf(a, "SELECT role FROM members WHERE tenant_id = '%s' AND user_id = '%s'",
                                           co.tenant_id, u.user_id));
  /* Emil's membership was not touched either. */
  expect_query("admin", hub_arena_sprintf(a, "SELECT role FROM members WHERE tenant_id = '%s' AND user_id = '%s'",
                                          u.tenant_id, co.user_id));
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_profile_get_and_update),
      cmocka_unit_test(test_profile_refusals),
      cmocka_unit_test(test_email_change_flow),
      cmocka_unit_test(test_email_change_taken_address_no_enumeration),
      cmocka_unit_test(test_email_change_race_expiry_and_supersede),
      cmocka_unit_test(test_export_contents),
      cmocka_unit_test(test_delete_refusals),
      cmocka_unit_test(test_delete_sign_in_during_grace_and_cancel),
      cmocka_unit_test(test_delete_then_purge),
      cmocka_unit_test(test_purge_postponed_for_a_last_owner),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
