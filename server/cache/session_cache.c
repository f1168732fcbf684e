/* The local copy of live sessions (see session.h, hub_session_touch_cached): an authenticated
 * call's session check without a Redis round trip, while keeping "revocation takes effect on
 * the next call". Three things keep a copy honest:
 *   - every change a hubd makes to a user's sessions (session.c: revoke, revoke-all, switching
 *     tenant, clearing or storing an access snapshot) drops that user's copies here before it
 *     returns, and publishes the user's id on HUB_SESSION_CHANNEL from inside the same Redis
 *     script, so every other hubd drops them when the message arrives;
 *   - copies are used only while this process's subscriber is connected and subscribed
 *     (a message missed while it was not is a copy dropped: reconnecting drops them all);
 *   - a copy is confirmed with Redis (a real touch, which also slides the idle timeout) once
 *     it is HUB_SESSION_RECHECK_MS old, so nothing is served longer than that whatever happens
 *     to the messages, and a session's idle and absolute timeouts are checked here too.
 * A copy filled from a touch that raced a drop is not stored: every drop bumps `seq`, and a
 * store is refused when `seq` moved since its touch began. */
#include "session_cache.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/log.h"

#define SLOTS 4096 /* one copy per slot, by the session id's first hex digits */

typedef struct entry {
  hub_session s;      /* acl: owned (malloc), or NULL when the slot is empty */
  int64_t checked_ms; /* the `now` of the Redis touch that filled it */
} entry;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static entry *table;        /* SLOTS entries once started */
static uint64_t seq;        /* bumped by every drop; under mu */
static atomic_bool live;    /* the subscriber is subscribed: copies may be used */
static atomic_bool stopping;
static pthread_t thread;
static bool started;
static hub_redis *sub_redis; /* the server to subscribe to (its URL and timeouts) */

static size_t slot_of(const char *sid) {
  size_t h = 0;
  for (int i = 0; i < 8 && sid[i]; i++) h = h * 16 + (size_t)(sid[i] <= '9' ? sid[i] - '0' : (sid[i] | 32) - 'a' + 10);
  return h % SLOTS;
}

static void clear_slot(entry *e) {
  free((char *)e->s.acl);
  memset(e, 0, sizeof *e);
}

/* Under mu. */
static void drop_all_locked(void) {
  seq++;
  if (!table) return;
  for (size_t i = 0; i < SLOTS; i++)
    if (table[i].s.acl) clear_slot(&table[i]);
}

void hub_session_cache_forget_user(const char *user_id) {
  pthread_mutex_lock(&mu);
  seq++;
  if (table && user_id)
    for (size_t i = 0; i < SLOTS; i++)
      if (table[i].s.acl && strcmp(table[i].s.user_id, user_id) == 0) clear_slot(&table[i]);
  pthread_mutex_unlock(&mu);
}

uint64_t hub_session_cache_seq(void) {
  pthread_mutex_lock(&mu);
  uint64_t v = seq;
  pthread_mutex_unlock(&mu);
  return v;
}

bool hub_session_cache_get(const char *user_id, const char *sid, int64_t now_ms, int64_t recheck_ms,
                           const hub_session_policy *p, hub_arena *a, hub_session *out) {
  if (!atomic_load(&live)) return false;
  bool hit = false;
  pthread_mutex_lock(&mu);
  entry *e = table ? &table[slot_of(sid)] : NULL;
  if (e && e->s.acl && strcmp(e->s.id, sid) == 0 && strcmp(e->s.user_id, user_id) == 0 &&
      now_ms >= e->checked_ms && now_ms - e->checked_ms < recheck_ms && now_ms - e->s.created_ms < p->absolute_ms &&
      now_ms - e->s.last_seen_ms < p->idle_ms) {
    *out = e->s;
    out->acl = hub_arena_strdup(a, e->s.acl);
    hit = true;
  }
  pthread_mutex_unlock(&mu);
  return hit;
}

void hub_session_cache_put(const hub_session *s, int64_t now_ms, uint64_t seq_before) {
  if (!atomic_load(&live)) return;
  char *acl = strdup(s->acl ? s->acl : "");
  if (!acl) return;
  pthread_mutex_lock(&mu);
  if (table && seq == seq_before && atomic_load(&live)) {
    entry *e = &table[slot_of(s->id)];
    clear_slot(e);
    e->s = *s;
    e->s.acl = acl;
    e->checked_ms = now_ms;
    acl = NULL;
  }
  pthread_mutex_unlock(&mu);
  free(acl);
}

/* ---- the subscriber ---- */

static void set_live(bool on) {
  pthread_mutex_lock(&mu);
  drop_all_locked(); /* going live or not, whatever was missed in between is forgotten */
  atomic_store(&live, on);
  pthread_mutex_unlock(&mu);
}

static void on_reply(redisReply *rep) {
  if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 3 || rep->element[0]->type != REDIS_REPLY_STRING) return;
  const char *kind = rep->element[0]->str;
  if (strcmp(kind, "subscribe") == 0) {
    set_live(true);
  } else if (strcmp(kind, "message") == 0 && rep->element[2]->type == REDIS_REPLY_STRING) {
    hub_session_cache_forget_user(rep->element[2]->str);
  }
}

/* Reads messages until the connection fails or the cache stops. */
static void listen_on(redisContext *c) {
  redisReply *rep = NULL;
  if (redisAppendCommand(c, "SUBSCRIBE %s", HUB_SESSION_CHANNEL) != REDIS_OK) return;
  int done = 0;
  while (!done)
    if (redisBufferWrite(c, &done) != REDIS_OK) return;
  while (!atomic_load(&stopping)) {
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    int n = poll(&pfd, 1, 200);
    if (n < 0) continue;
    if (n == 0) continue;
    if (redisBufferRead(c) != REDIS_OK) return;
    for (;;) {
      if (redisGetReplyFromReader(c, (void **)&rep) != REDIS_OK) return;
      if (!rep) break;
      on_reply(rep);
      freeReplyObject(rep);
    }
  }
}

static void *subscriber_main(void *arg) {
  (void)arg;
  int64_t backoff_ms = 100;
  bool warned = false;
  while (!atomic_load(&stopping)) {
    redisContext *c = hub_redis_connect_dedicated(sub_redis);
    if (c) {
      backoff_ms = 100;
      warned = false;
      listen_on(c);
      redisFree(c);
      set_live(false);
      if (atomic_load(&stopping)) break;
      hub_logf(HUB_LOG_WARN, "session cache: lost the invalidation subscription; sessions are checked in Redis");
    } else if (!warned) {
      hub_logf(HUB_LOG_WARN, "session cache: cannot subscribe to invalidations; sessions are checked in Redis");
      warned = true;
    }
    for (int64_t slept = 0; slept < backoff_ms && !atomic_load(&stopping); slept += 50) poll(NULL, 0, 50);
    if (backoff_ms < 5000) backoff_ms *= 2;
  }
  return NULL;
}

bool hub_session_cache_start(const char *redis_url, int64_t timeout_ms) {
  if (started) return true;
  sub_redis = hub_redis_new(redis_url, timeout_ms);
  if (!sub_redis) return false;
  pthread_mutex_lock(&mu);
  if (!table) table = calloc(SLOTS, sizeof *table);
  pthread_mutex_unlock(&mu);
  if (!table) abort();
  atomic_store(&stopping, false);
  if (pthread_create(&thread, NULL, subscriber_main, NULL) != 0) {
    hub_redis_free(sub_redis);
    sub_redis = NULL;
    return false;
  }
  started = true;
  return true;
}

bool hub_session_cache_live(void) { return atomic_load(&live); }

void hub_session_cache_stop(void) {
  if (!started) return;
  atomic_store(&stopping, true);
  pthread_join(thread, NULL);
  started = false;
  set_live(false);
  hub_redis_free(sub_redis);
  sub_redis = NULL;
  pthread_mutex_lock(&mu);
  free(table);
  table = NULL;
  pthread_mutex_unlock(&mu);
}
