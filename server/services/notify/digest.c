/* Digests: mail a user chose to get as a digest is collected at routing (notify_digest_items),
 * and here, once the oldest collected event of a user in a tenant has waited digest_window_s
 * (HUB_NOTIFY_DIGEST_WINDOW_S, a day), all of them become one mail, queued as a delivery like
 * any other (source 'digest', numbered from notify_digest_seq), in the same transaction that
 * takes the items, so a digest is made once and lost never. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/notify/notify.h"

enum { DIGESTS_PER_PASS = 50, DIGEST_LINES = 200 };


static const hub_pg_stmt due_sql = {
    "notify_digest_due",
    "SELECT tenant_id::text AS tenant_id, user_id::text AS user_id FROM notify_digest_items GROUP BY tenant_id, "
    "user_id "
    "HAVING min(created_at) <= now() - $1::bigint * interval '1 second' ORDER BY min(created_at) LIMIT $2::int",
    2};

static const hub_pg_stmt take_sql = {
    "notify_digest_take",
    "WITH t AS (DELETE FROM notify_digest_items WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM "
    "notify_digest_items "
    "  WHERE tenant_id = hub_current_tenant() AND user_id = $1::uuid ORDER BY id LIMIT $2::int FOR UPDATE SKIP LOCKED) "
    "  RETURNING id, brand, subject, summary, link) "
    "SELECT * FROM t ORDER BY id",
    2};

static const hub_pg_stmt user_sql = {"notify_digest_user",
                                     "SELECT email FROM users WHERE id = $1::uuid AND deleted_at IS NULL", 1};

static const hub_pg_stmt queue_sql = {
    "notify_digest_queue",
    "INSERT INTO notify_deliveries (tenant_id, source, source_id, channel, recipient, user_id, topic, brand, "
    "  sender_name, reply_to, subject, body_text, body_html, link) "
    "VALUES (hub_current_tenant(), 'digest', nextval('notify_digest_seq'), 'email', lower($2), $1::uuid, "
    "'notify.digest', "
    "  $3, $4, $5, $6, $7, $8, $9)",
    9};

typedef struct due_ctx {
  const char *window, *limit;
  hub_rows *due, *brands;
} due_ctx;

static hub_status due_fn(hub_tx *tx, void *ud) {
  due_ctx *c = ud;
  hub_tx_exec(tx, &notify_scope_sql, NULL);
  c->due = hub_tx_exec(tx, &due_sql, (const char *[]){c->window, c->limit});
  c->brands = hub_tx_exec(tx, &notify_brands_sql, NULL);
  return HUB_STATUS_OK;
}

typedef struct one_ctx {
  const char *user;
  const notify_brands *brands;
  bool queued;
} one_ctx;

static hub_status one_fn(hub_tx *tx, void *ud) {
  one_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  char limit[16];
  snprintf(limit, sizeof limit, "%d", DIGEST_LINES);
  hub_rows *items = hub_tx_exec(tx, &take_sql, (const char *[]){c->user, limit});
  hub_rows *user = hub_tx_exec(tx, &user_sql, (const char *[]){c->user});
  hub_status st = hub_tx_flush(tx);
  c->queued = false;
  int n = hub_rows_count(items);
  if (!hub_ok(st) || n == 0 || hub_rows_count(user) == 0) return st; /* a deleted account: its items just go */
  notify_digest_line *lines = hub_arena_calloc(a, (size_t)n, sizeof *lines);
  for (int i = 0; i < n; i++)
    lines[i] = (notify_digest_line){hub_rows_text(items, i, "subject"), hub_rows_text(items, i, "summary"),
                                    hub_rows_text(items, i, "link")};
  const notify_brand *b = notify_brand_find(c->brands, hub_rows_text(items, 0, "brand"));
  notify_mail m;
  notify_compose_digest(a, b, n, lines, &m);
  hub_tx_exec(tx, &queue_sql,
              (const char *[]){c->user, hub_rows_text(user, 0, "email"), b->id, b->sender_name, b->support_address,
                               m.subject, m.text, m.html, m.link});
  c->queued = true;
  return HUB_STATUS_OK;
}

hub_status notify_digest_once(hub_pg *pg, hub_arena *a, const notify_settings *s, notify_pass *out) {
  due_ctx d = {hub_arena_sprintf(a, "%lld", (long long)s->digest_window_s),
               hub_arena_sprintf(a, "%d", DIGESTS_PER_PASS), NULL, NULL};
  hub_status st = hub_tx_run(pg, a, NULL, NULL, 30000, due_fn, &d);
  if (!hub_ok(st)) return st;
  notify_brands bs;
  notify_brands_load(d.brands, a, s, &bs);
  for (int i = 0; i < hub_rows_count(d.due); i++) {
    one_ctx c = {hub_rows_text(d.due, i, "user_id"), &bs, false};
    st = hub_tx_run(pg, a, hub_rows_text(d.due, i, "tenant_id"), NULL, 30000, one_fn, &c);
    if (!hub_ok(st)) return st;
    out->digests += c.queued;
  }
  return HUB_STATUS_OK;
}
