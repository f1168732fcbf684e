/* WatchOperation: the operation now, then again after each change, until it is done. It polls
 * the row every 200 ms in the caller's tenant (a per-round arena, so a long watch does not grow
 * the call's) and sends only when the row changed (its update_time moves with every step,
 * cancel and failure). Ends OK once done, or when the caller cancels or its deadline passes. */
#include "identity/principal.h"
#include "services/context.h"
#include "services/operations/operations.h"

#define POLL_MS 200

static const hub_pg_stmt watch_sql = {
    "operations_watch",
    "SELECT " OPERATIONS_COLUMNS " FROM operations x WHERE x.tenant_id = hub_current_tenant() AND x.id = $1::uuid", 1};

typedef struct poll {
  const char *id;
  hub_rows *rows;
} poll;

static hub_status poll_fn(hub_tx *tx, void *ud) {
  poll *p = ud;
  p->rows = hub_tx_exec(tx, &watch_sql, (const char *[]){p->id});
  return HUB_STATUS_OK;
}

static bool same_time(const Google__Protobuf__Timestamp *x, const Google__Protobuf__Timestamp *y) {
  return x && y && x->seconds == y->seconds && x->nanos == y->nanos;
}

hub_status hub_operations_v1_operations_watch_operation(hub_call *call,
                                                        const Hub__Operations__V1__WatchOperationRequest *request,
                                                        hub_stream *stream) {
  hub_arena *a = hub_call_arena(call);
  const hub_principal *pr = hub_principal_of(call);
  poll p = {operations_id_of(a, request->name), NULL};
  if (!p.id) return operations_bad_name(a, "name");
  Google__Protobuf__Timestamp last = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  bool sent = false;
  for (;;) {
    hub_arena *round = hub_arena_new(0);
    hub_status st = hub_tx_run(hub_ctx_of(call)->pg, round, pr->tenant_id, pr->user_id[0] ? pr->user_id : NULL, 5000,
                                poll_fn, &p);
    bool done = false;
    if (hub_ok(st) && hub_rows_count(p.rows) == 0)
      st = hub_status_new(a, HUB_NOT_FOUND, "name: no such operation");
    if (hub_ok(st)) {
      Hub__Operations__V1__Operation *op =
          (Hub__Operations__V1__Operation *)hub_rows_message(p.rows, 0, &hub__operations__v1__operation__descriptor);
      done = op->done;
      const Google__Protobuf__Timestamp *t = op->metadata ? op->metadata->update_time : NULL;
      if (!sent || !same_time(t, &last)) {
        st = hub_stream_write(stream, &op->base);
        sent = true;
        if (t) last.seconds = t->seconds, last.nanos = t->nanos;
      }
    }
    if (!hub_ok(st) && st.message) st.message = hub_arena_strdup(a, st.message); /* outlives the round */
    hub_arena_free(round);
    if (!hub_ok(st)) return st.code == HUB_CANCELLED ? HUB_STATUS_OK : st;
    if (done || !hub_call_sleep_ms(call, POLL_MS)) return HUB_STATUS_OK;
  }
}
