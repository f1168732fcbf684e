/* The in-app inbox: ListNotifications (newest first, keyset pages by id, which is time-ordered,
 * with the unread count), MarkRead and WatchNotifications. A user sees their own notifications
 * in the tenant of their token: the tenant by row-level security, the user by every statement's
 * user_id = hub_current_user(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/array.h"
#include "hub/clock.h"
#include "identity/stream.h"
#include "services/notify/notify.h"

static const hub_pg_stmt list_sql = {"notify_inbox_list",
                                     "SELECT " NOTIFY_INBOX_COLUMNS
                                     " FROM notify_inbox x WHERE x.tenant_id = hub_current_tenant() "
                                     "AND x.user_id = hub_current_user() AND ($1::uuid IS NULL OR x.id < $1::uuid) "
                                     "AND (NOT $3::boolean OR x.read_at IS NULL) ORDER BY x.id DESC LIMIT $2::int + 1",
                                     3};

static const hub_pg_stmt unread_sql = {
    "notify_inbox_unread",
    "SELECT count(*) AS n FROM notify_inbox x WHERE x.tenant_id = hub_current_tenant() "
    "AND x.user_id = hub_current_user() AND x.read_at IS NULL",
    0};

static const hub_pg_stmt mark_sql = {
    "notify_inbox_mark",
    "WITH m AS (UPDATE notify_inbox x SET read_at = now() WHERE x.tenant_id = hub_current_tenant() "
    "  AND x.user_id = hub_current_user() AND x.read_at IS NULL AND ($2::boolean OR x.id = ANY($1::uuid[])) RETURNING "
    "1) "
    "SELECT count(*) AS n FROM m",
    2};

typedef struct list_ctx {
  const char *const *params;
  hub_rows *rows, *unread;
} list_ctx;

static hub_status list_fn(hub_tx *tx, void *ud) {
  list_ctx *c = ud;
  c->rows = hub_tx_exec(tx, &list_sql, c->params);
  c->unread = hub_tx_exec(tx, &unread_sql, NULL);
  return HUB_STATUS_OK;
}

hub_status hub_notify_v1_notify_list_notifications(hub_call *call,
                                                   const Hub__Notify__V1__ListNotificationsRequest *request,
                                                   Hub__Notify__V1__ListNotificationsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  const char *before; /* the last id of the previous page */
  st = hub_page_token_id(a, request->page_token, &before);
  if (!hub_ok(st)) return st;
  const char *p[] = {before, hub_arena_sprintf(a, "%d", limit), request->unread_only ? "true" : "false"};
  list_ctx c = {p, NULL, NULL};
  st = hub_call_tx(call, list_fn, &c);
  if (!hub_ok(st)) return st;
  response->n_notifications =
      hub_rows_messages(c.rows, &hub__notify__v1__notification__descriptor, limit, (void ***)&response->notifications);
  response->page = hub_page_info(
      a, hub_rows_count(c.rows) > limit ? hub_page_token(a, response->notifications[limit - 1]->id, "") : NULL);
  response->unread_count = (int32_t)hub_rows_int(c.unread, 0, "n");
  return HUB_STATUS_OK;
}

typedef struct mark_ctx {
  const char *const *params;
  hub_rows *marked, *unread;
} mark_ctx;

static hub_status mark_fn(hub_tx *tx, void *ud) {
  mark_ctx *c = ud;
  c->marked = hub_tx_exec(tx, &mark_sql, c->params);
  c->unread = hub_tx_exec(tx, &unread_sql, NULL);
  return HUB_STATUS_OK;
}

hub_status hub_notify_v1_notify_mark_read(hub_call *call, const Hub__Notify__V1__MarkReadRequest *request,
                                          Hub__Notify__V1__MarkReadResponse *response) {
  hub_arena *a = hub_call_arena(call);
  if (!request->all && request->n_ids == 0) return hub_status_invalid(a, "ids", "name notifications, or set all");
  char *ids = hub_pg_array_literal(a, request->ids, request->n_ids);
  mark_ctx c = {(const char *[]){ids, request->all ? "true" : "false"}, NULL, NULL};
  hub_status st = hub_call_tx(call, mark_fn, &c);
  if (!hub_ok(st)) return st;
  response->marked = (int32_t)hub_rows_int(c.marked, 0, "n");
  response->unread_count = (int32_t)hub_rows_int(c.unread, 0, "n");
  return HUB_STATUS_OK;
}

/* ---- WatchNotifications ---- */

/* Inbox ids are UUID v7 minted when routed, and two routers' transactions may commit out of id
 * order; so each poll reads again the last WINDOW_MS of ids and skips those already sent (a
 * bounded list), rather than trusting "id > last" alone. */
#define POLL_MS 500
#define WINDOW_MS 15000
#define SENT_MAX 512

static const hub_pg_stmt since_sql = {"notify_inbox_since",
                                      "SELECT " NOTIFY_INBOX_COLUMNS
                                      " FROM notify_inbox x WHERE x.tenant_id = hub_current_tenant() "
                                      "AND x.user_id = hub_current_user() AND x.id > $1::uuid ORDER BY x.id LIMIT 200",
                                      1};

static const hub_pg_stmt head_sql = {
    "notify_inbox_head",
    "SELECT coalesce((SELECT x.id::text FROM notify_inbox x WHERE x.tenant_id = hub_current_tenant() "
    "AND x.user_id = hub_current_user() ORDER BY x.id DESC LIMIT 1), '00000000-0000-0000-0000-000000000000') AS _id",
    0};

/* The smallest UUID v7 of millisecond `ms`. */
static void uuid_floor(int64_t ms, char out[37]) {
  if (ms < 0) ms = 0;
  snprintf(out, 37, "%08llx-%04llx-7000-8000-000000000000", (unsigned long long)((ms >> 16) & 0xffffffffULL),
           (unsigned long long)(ms & 0xffff));
}

typedef struct watch_ctx {
  char from[37];
  hub_rows *rows;
} watch_ctx;

static hub_status watch_fn(hub_tx *tx, void *ud) {
  watch_ctx *w = ud;
  w->rows = hub_tx_exec(tx, &since_sql, (const char *[]){w->from});
  return HUB_STATUS_OK;
}

typedef struct sent_list {
  char ids[SENT_MAX][37];
  int n, next;
} sent_list;

static bool was_sent(const sent_list *s, const char *id) {
  for (int i = 0; i < s->n; i++)
    if (!strcmp(s->ids[i], id)) return true;
  return false;
}

static void remember(sent_list *s, const char *id) {
  snprintf(s->ids[s->next], 37, "%s", id);
  s->next = (s->next + 1) % SENT_MAX;
  if (s->n < SENT_MAX) s->n++;
}

hub_status hub_notify_v1_notify_watch_notifications(hub_call *call,
                                                    const Hub__Notify__V1__WatchNotificationsRequest *request,
                                                    hub_stream *stream) {
  const hub_principal *pr = hub_principal_of(call);
  hub_ctx *ctx = hub_ctx_of(call);
  char start[37], last[37];
  if (*request->after_id) {
    snprintf(start, sizeof start, "%s", request->after_id);
  } else {
    hub_rows *head;
    hub_status st = hub_call_query(call, &head_sql, NULL, &head);
    if (!hub_ok(st)) return st;
    snprintf(start, sizeof start, "%s", hub_rows_text(head, 0, "_id"));
  }
  snprintf(last, sizeof last, "%s", start);
  sent_list *sent = hub_arena_calloc(hub_call_arena(call), 1, sizeof *sent);
  int64_t checked = hub_clock_wall_s();
  for (;;) {
    hub_arena *round = hub_arena_new(0);
    watch_ctx w;
    char floor[37];
    uuid_floor(hub_clock_wall_ms() - WINDOW_MS, floor);
    /* From max(start, min(window's floor, last sent)): never before the start, never past a
     * notification not yet sent. */
    const char *from = strcmp(floor, last) < 0 ? floor : last;
    snprintf(w.from, sizeof w.from, "%s", strcmp(from, start) > 0 ? from : start);
    hub_status st = hub_tx_run(ctx->pg, round, pr->tenant_id, pr->user_id, 5000, watch_fn, &w);
    int n = hub_ok(st) ? hub_rows_count(w.rows) : 0;
    for (int i = 0; i < n && hub_ok(st); i++) {
      Hub__Notify__V1__Notification *m =
          (Hub__Notify__V1__Notification *)hub_rows_message(w.rows, i, &hub__notify__v1__notification__descriptor);
      if (was_sent(sent, m->id)) continue;
      st = hub_stream_write(stream, &m->base);
      if (hub_ok(st)) {
        remember(sent, m->id);
        if (strcmp(m->id, last) > 0) snprintf(last, sizeof last, "%s", m->id);
      }
    }
    hub_arena_free(round);
    if (!hub_ok(st)) return st.code == HUB_CANCELLED ? HUB_STATUS_OK : st;
    st = hub_stream_session_alive(call, ctx->redis, &checked);
    if (!hub_ok(st)) return st;
    if (!hub_call_sleep_ms(call, POLL_MS)) return HUB_STATUS_OK; /* cancelled or deadline */
  }
}
