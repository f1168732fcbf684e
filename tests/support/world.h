/* A running SMB Hub for identity-aware integration tests: fresh database, private Redis,
 * hubd with a signing key the test also holds (so it can mint expired or forged tokens) and a
 * data key of its own (so sealed secrets survive hub_world_restart, which hubd insists on), a
 * channel, and helpers to sign users up and in through the real Auth RPCs. */
#ifndef HUB_TEST_WORLD_H
#define HUB_TEST_WORLD_H

#include <stdbool.h>

#include "hub/client.h"
#include "support/stack.h"

typedef struct hub_world {
  hub_stack stack;
  hub_proc *hubd;
  int port;
  hub_channel *ch;
  char target[64];
  char key_path[256];      /* the signing key hubd uses (kid "test-k1") */
  char data_key_path[256]; /* the data key sealing secrets at rest (64 hex digits) */
  char *key_pem;
  char key_env[300], data_key_env[300];
  const char *env[32]; /* hubd's environment, kept for hub_world_restart */
} hub_world;

/* Starts everything; `extra_env` (NULL-terminated, may be NULL) adds hubd settings. */
bool hub_world_up(hub_world *w, const char *label, const char *const *extra_env);
void hub_world_down(hub_world *w);
/* SIGKILLs hubd and starts it again on the same database, Redis, keys and settings (so tokens
 * and sealed secrets stay valid); the channel is replaced. */
bool hub_world_restart(hub_world *w);

typedef struct hub_test_user {
  char email[128];
  char password[64];
  char user_id[40];
  char tenant_id[40];
  char session_id[40];
  char brand[32];
  char access[2048];
  char refresh[128];
} hub_test_user;

/* SignUp (with a first tenant when tenant_name is set) then Login; fails the cmocka test on
 * any error. */
void hub_world_signup_login(hub_world *w, const char *email, const char *tenant_name, const char *brand,
                            hub_test_user *u);
/* Login only; returns the status (u filled on OK). */
hub_status hub_world_login(hub_world *w, const char *email, const char *password, const char *tenant_id,
                           hub_test_user *u);
/* Call options carrying u's token (and nothing else). */
hub_call_options hub_world_opts(const hub_test_user *u);
/* Runs `hubd <command> [arg]` (arg may be NULL) with the world's settings, waits for it (20 s,
 * else the cmocka test fails) and returns its exit code, its output (stdout and stderr) in out. */
int hub_world_command(hub_world *w, const char *command, const char *arg, char *out, size_t cap);
/* Runs SQL as the admin on the world's database (bypasses RLS): 0 on success. */
int hub_world_sql(hub_world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* First value of a query as the admin (malloc'd) or NULL. */
char *hub_world_query(hub_world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
