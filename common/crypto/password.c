/* See password.h. The concurrency cap is a counting semaphore with a timed wait: a burst of
 * logins queues briefly and then gets RESOURCE_EXHAUSTED, instead of every worker burning
 * 19 MiB and tens of milliseconds at once. */
#include "hub/clock.h"
#include "password.h"

#include "hub/blocking.h"
#include "hub/cpu.h"

#include <argon2.h>
#include <errno.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define SALT_BYTES 16
#define HASH_BYTES 32

const hub_password_params HUB_PASSWORD_OWASP = {19456, 2, 1};

/* Generated from data/common-passwords.txt (sorted, lower case). */
extern const char *const hub_common_passwords[];
extern const size_t hub_common_passwords_count;

static hub_password_params current = {19456, 2, 1};
static sem_t slots;
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;
static int configured_slots;

static void init_slots(void) {
  int n = configured_slots;
  if (n <= 0) n = hub_cpu_count();
  sem_init(&slots, 0, (unsigned)n);
}

void hub_password_configure(const hub_password_params *params, int max_concurrent) {
  if (params) current = *params;
  configured_slots = max_concurrent;
  pthread_once(&slots_once, init_slots);
}

static bool take_slot(int64_t wait_ms) {
  pthread_once(&slots_once, init_slots);
  const struct timespec until = hub_clock_wall_after(wait_ms);
  while (sem_timedwait(&slots, &until) != 0)
    if (errno != EINTR) return false;
  return true;
}

static void give_slot(void) { sem_post(&slots); }

static hub_status busy(hub_arena *a) {
  return hub_status_new(a, HUB_RESOURCE_EXHAUSTED, "the server is busy checking passwords; retry shortly");
}

/* Code points of valid UTF-8, or -1. */
static long utf8_chars(const char *s) {
  long n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; n++) {
    int len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
    if (!len) return -1;
    for (int i = 1; i < len; i++)
      if ((p[i] & 0xC0) != 0x80) return -1;
    p += len;
  }
  return n;
}

static int cmp_str(const void *key, const void *elem) { return strcmp(key, *(const char *const *)elem); }

static bool is_common(const char *password) {
  char lower[HUB_PASSWORD_MAX_BYTES + 1];
  size_t n = strlen(password);
  for (size_t i = 0; i <= n; i++) lower[i] = (char)((password[i] >= 'A' && password[i] <= 'Z') ? password[i] + 32 : password[i]);
  return bsearch(lower, hub_common_passwords, hub_common_passwords_count, sizeof *hub_common_passwords, cmp_str) != NULL;
}

hub_status hub_password_check_policy(hub_arena *a, const char *password, const char *email) {
  if (!password) return hub_status_invalid(a, "password", "is required");
  size_t bytes = strlen(password);
  if (bytes > HUB_PASSWORD_MAX_BYTES)
    return hub_status_invalid(a, "password", "must be at most %d bytes", HUB_PASSWORD_MAX_BYTES);
  long chars = utf8_chars(password);
  if (chars < 0) return hub_status_invalid(a, "password", "must be valid UTF-8");
  if (chars < HUB_PASSWORD_MIN_CHARS)
    return hub_status_invalid(a, "password", "must be at least %d characters", HUB_PASSWORD_MIN_CHARS);
  if (is_common(password)) return hub_status_invalid(a, "password", "is too common; choose another");
  const char *at = email ? strchr(email, '@') : NULL;
  if (at && (size_t)(at - email) == bytes && strncasecmp(email, password, bytes) == 0)
    return hub_status_invalid(a, "password", "must not be the email address's name");
  return HUB_STATUS_OK;
}

hub_status hub_password_hash(hub_arena *a, const char *password, int64_t wait_ms, char **phc) {
  *phc = NULL;
  size_t len = strlen(password);
  if (len > HUB_PASSWORD_MAX_BYTES)
    return hub_status_invalid(a, "password", "must be at most %d bytes", HUB_PASSWORD_MAX_BYTES);
  unsigned char salt[SALT_BYTES];
  if (RAND_bytes(salt, sizeof salt) != 1) return hub_status_new(a, HUB_INTERNAL, "no randomness for a salt");
  hub_password_params p = current;
  size_t cap = argon2_encodedlen(p.t, p.m_kib, p.p, SALT_BYTES, HASH_BYTES, Argon2_id);
  char *out = hub_arena_alloc(a, cap);
  hub_blocking_begin(); /* ~25 ms of CPU, or a wait for a slot: let another worker serve meanwhile */
  bool slot = take_slot(wait_ms);
  int rc = slot ? argon2id_hash_encoded(p.t, p.m_kib, p.p, password, len, salt, SALT_BYTES, HASH_BYTES, out, cap)
                : ARGON2_OK;
  if (slot) give_slot();
  hub_blocking_end();
  if (!slot) return busy(a);
  if (rc != ARGON2_OK) return hub_status_new(a, HUB_INTERNAL, "hashing failed: %s", argon2_error_message(rc));
  *phc = out;
  return HUB_STATUS_OK;
}

/* Reads m, t and p back out of "$argon2id$v=19$m=19456,t=2,p=1$...". */
static bool params_of(const char *phc, hub_password_params *out) {
  unsigned m, t, p;
  if (sscanf(phc, "$argon2id$v=%*u$m=%u,t=%u,p=%u$", &m, &t, &p) != 3) return false;
  *out = (hub_password_params){m, t, p};
  return true;
}

hub_status hub_password_verify(hub_arena *a, const char *phc, const char *password, int64_t wait_ms,
                               bool *needs_rehash) {
  if (needs_rehash) *needs_rehash = false;
  size_t len = strlen(password);
  if (len > HUB_PASSWORD_MAX_BYTES) return hub_status_new(a, HUB_UNAUTHENTICATED, "wrong email or password");
  hub_blocking_begin();
  bool slot = take_slot(wait_ms);
  int rc = slot ? argon2id_verify(phc, password, len) : ARGON2_OK; /* compares in constant time */
  if (slot) give_slot();
  hub_blocking_end();
  if (!slot) return busy(a);
  if (rc == ARGON2_VERIFY_MISMATCH) return hub_status_new(a, HUB_UNAUTHENTICATED, "wrong email or password");
  if (rc != ARGON2_OK) return hub_status_new(a, HUB_INTERNAL, "stored password hash is unreadable");
  hub_password_params used;
  if (needs_rehash)
    *needs_rehash = !params_of(phc, &used) || used.m_kib != current.m_kib || used.t != current.t || used.p != current.p;
  return HUB_STATUS_OK;
}

hub_status hub_password_dummy_verify(hub_arena *a, const char *password, int64_t wait_ms) {
  /* Made with the current parameters (again whenever they change), so it costs what a real
   * verification costs. */
  static char *dummy;
  static hub_password_params made_with;
  static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&mu);
  if (dummy && memcmp(&made_with, &current, sizeof current) != 0) {
    free(dummy);
    dummy = NULL;
  }
  if (!dummy) {
    made_with = current;
    hub_arena *own = hub_arena_new(0);
    char *phc;
    if (hub_ok(hub_password_hash(own, "a password nobody has: dummy for timing", 60000, &phc))) dummy = strdup(phc);
    hub_arena_free(own);
  }
  pthread_mutex_unlock(&mu);
  if (dummy) hub_password_verify(a, dummy, password, wait_ms, NULL);
  return hub_status_new(a, HUB_UNAUTHENTICATED, "wrong email or password");
}
