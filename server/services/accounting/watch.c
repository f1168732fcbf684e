/* WatchEntries: the journal as a stream (a BFF's live ledger, Billing's reconciliation). Each
 * poll reads, in (transaction, seq) order, the entries recorded and resolved by transactions
 * older than every transaction still running (migration 0014): those have all finished, so
 * nothing can later appear behind the position and a reconnect with the last token loses and
 * repeats nothing. Entries are read with their lines as they are when sent. Polls every 250 ms,
 * each in an arena of its own; the session is re-checked (identity/stream.h).
 * "From now" (no token) starts at the horizon of one snapshot and skips the changes that snapshot
 * already saw: a transaction of anyone, in any tenant, still open keeps the horizon behind
 * changes committed before the watch began, and those are not new. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/clock.h"
#include "identity/principal.h"
#include "identity/stream.h"
#include "services/accounting/accounting.h"
#include "services/context.h"

#define POLL_MS 250
#define BATCH 200

/* In one statement, so one snapshot: its horizon (the row of _ev 'head') and the changes at or
 * past the horizon that it already sees. */
static const hub_pg_stmt head_sql = {
    "accounting_watch_head",
    "WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon) "
    "SELECT (SELECT horizon FROM h)::text AS _xid, '0' AS _seq, 'head' AS _ev "
    "UNION ALL (SELECT e.xid::text, e.seq::text, 'recorded' FROM accounting_entries e WHERE e.tenant_id = hub_current_tenant() "
    "  AND e.xid >= (SELECT horizon FROM h) LIMIT 10000) "
    "UNION ALL (SELECT e.resolved_xid::text, e.seq::text, 'resolved' FROM accounting_entries e "
    "  WHERE e.tenant_id = hub_current_tenant() AND e.resolved_xid >= (SELECT horizon FROM h) LIMIT 10000)",
    0};

#define WATCH_BRANCH(x, ev, extra)                                                                            \
  "(SELECT e." x " AS x, e.seq, e.id, '" ev "' AS ev FROM accounting_entries e WHERE e.tenant_id = hub_current_tenant() " \
  extra " AND e." x " < (SELECT horizon FROM h) AND (e." x ", e.seq) > ($1::xid8, $2::bigint) ORDER BY e." x ", e.seq LIMIT 200)"

static const hub_pg_stmt since_sql = {
    "accounting_watch_since",
    "WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon) "
    "SELECT q.x::text AS _xid, q.seq AS _seq, q.id::text AS _id, q.ev AS _ev FROM (" WATCH_BRANCH("xid", "recorded", "")
    " UNION ALL " WATCH_BRANCH("resolved_xid", "resolved", "AND e.resolved_xid IS NOT NULL")
    ") q ORDER BY q.x, q.seq LIMIT 200",
    2};

typedef struct poll_ctx {
  char xid[24], seq[24];
  hub_rows *rows;
  accounting_entry_read *entries;
  const char **seen; /* "ev xid-seq" of the changes the start saw, sorted; n_seen of them */
  size_t n_seen;
} poll_ctx;

static int by_text(const void *x, const void *y) { return strcmp(*(const char *const *)x, *(const char *const *)y); }

static bool seen_at_start(const poll_ctx *p, hub_arena *a, const char *ev, const char *xid, const char *seq) {
  if (!p->n_seen) return false;
  const char *key = hub_arena_sprintf(a, "%s %s-%s", ev, xid, seq);
  return bsearch(&key, p->seen, p->n_seen, sizeof *p->seen, by_text) != NULL;
}

static hub_status poll_fn(hub_tx *tx, void *ud) {
  poll_ctx *p = ud;
  hub_status st = hub_tx_query(tx, &since_sql, (const char *[]){p->xid, p->seq}, &p->rows);
  if (!hub_ok(st)) return st;
  int n = hub_rows_count(p->rows);
  p->entries = hub_arena_alloc(hub_tx_arena(tx), (size_t)(n ? n : 1) * sizeof *p->entries);
  for (int i = 0; i < n; i++) accounting_entry_queue(tx, hub_rows_text(p->rows, i, "_id"), &p->entries[i]);
  return HUB_STATUS_OK;
}

/* "<xid>-<seq>", both decimal. */
static bool parse_token(const char *t, poll_ctx *p) {
  size_t x = strspn(t, "0123456789");
  if (x < 1 || x > 20 || t[x] != '-') return false;
  size_t s = strspn(t + x + 1, "0123456789");
  if (s < 1 || s > 19 || t[x + 1 + s]) return false;
  snprintf(p->xid, sizeof p->xid, "%.*s", (int)x, t);
  snprintf(p->seq, sizeof p->seq, "%s", t + x + 1);
  return true;
}

hub_status hub_accounting_v1_accounting_watch_entries(hub_call *call, const Hub__Accounting__V1__WatchEntriesRequest *request,
                                                      hub_stream *stream) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *pr = hub_principal_of(call);
  hub_ctx *ctx = hub_ctx_of(call);
  poll_ctx p = {0};
  if (*request->resume_token) {
    if (!parse_token(request->resume_token, &p)) return hub_status_invalid(a, "resume_token", "not a token from this stream");
  } else {
    hub_rows *head;
    hub_status st = hub_call_query(call, &head_sql, NULL, &head);
    if (!hub_ok(st)) return st;
    int n = hub_rows_count(head);
    p.seen = hub_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *p.seen);
    for (int i = 0; i < n; i++) {
      const char *ev = hub_rows_text(head, i, "_ev"), *xid = hub_rows_text(head, i, "_xid"), *seq = hub_rows_text(head, i, "_seq");
      if (!strcmp(ev, "head")) snprintf(p.xid, sizeof p.xid, "%s", xid), snprintf(p.seq, sizeof p.seq, "0");
      else p.seen[p.n_seen++] = hub_arena_sprintf(a, "%s %s-%s", ev, xid, seq);
    }
    qsort(p.seen, p.n_seen, sizeof *p.seen, by_text);
  }
  int64_t checked = hub_clock_wall_s();
  for (;;) {
    hub_arena *round = hub_arena_new(0);
    hub_status st = hub_tx_run(ctx->pg, round, pr->tenant_id, pr->user_id, 5000, poll_fn, &p);
    int n = hub_ok(st) ? hub_rows_count(p.rows) : 0;
    for (int i = 0; i < n && hub_ok(st); i++) {
      Hub__Accounting__V1__Entry entry = HUB__ACCOUNTING__V1__ENTRY__INIT;
      Hub__Accounting__V1__EntryEvent ev = HUB__ACCOUNTING__V1__ENTRY_EVENT__INIT;
      const char *xid = hub_rows_text(p.rows, i, "_xid"), *seq = hub_rows_text(p.rows, i, "_seq");
      if (seen_at_start(&p, round, hub_rows_text(p.rows, i, "_ev"), xid, seq)) { /* older than the watch: passed over */
        snprintf(p.xid, sizeof p.xid, "%s", xid), snprintf(p.seq, sizeof p.seq, "%s", seq);
        continue;
      }
      if (!accounting_entry_decode(&p.entries[i], &entry)) continue; /* cannot happen: entries are never deleted */
      ev.resume_token = hub_arena_sprintf(round, "%s-%s", xid, seq);
      ev.kind = !strcmp(hub_rows_text(p.rows, i, "_ev"), "resolved") ? HUB__ACCOUNTING__V1__ENTRY_EVENT_KIND__ENTRY_EVENT_KIND_RESOLVED
                                                                     : HUB__ACCOUNTING__V1__ENTRY_EVENT_KIND__ENTRY_EVENT_KIND_RECORDED;
      ev.entry = &entry;
      st = hub_stream_write(stream, &ev.base);
      if (hub_ok(st)) snprintf(p.xid, sizeof p.xid, "%s", xid), snprintf(p.seq, sizeof p.seq, "%s", seq);
    }
    hub_arena_free(round);
    if (!hub_ok(st)) return st.code == HUB_CANCELLED ? HUB_STATUS_OK : st;
    st = hub_stream_session_alive(call, ctx->redis, &checked);
    if (!hub_ok(st)) return st;
    if (n < BATCH && !hub_call_sleep_ms(call, POLL_MS)) return HUB_STATUS_OK; /* cancelled or deadline */
  }
}
