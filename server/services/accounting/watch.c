/* WatchEntries: the journal as a stream (a BFF's live ledger, Billing's reconciliation). Each
 * poll reads, in (transaction, seq) order, the entries recorded and resolved by transactions
 * older than every transaction still running (migration 0014): those have all finished, so
 * nothing can later appear behind the position and a reconnect with the last token loses and
 * repeats nothing. Entries are read with their lines as they are when sent. Polls every 250 ms,
 * each in an arena of its own; the session is re-checked (identity/stream.h). */
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

static const hub_pg_stmt head_sql = {
    "accounting_watch_head", "SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS _horizon", 0};

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
} poll_ctx;

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
    snprintf(p.xid, sizeof p.xid, "%s", hub_rows_text(head, 0, "_horizon"));
    snprintf(p.seq, sizeof p.seq, "0");
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
