/* Long-running operations end to end through a real hubd and libhubclient, with the built-in
 * probe kind "operations.count" (its rows written as another service's start would write them):
 * progress to done seen through Get, List (kind and done filters, pages) and Watch; a step that
 * fails ends the operation with its status; a kind no server registered stays pending; resume
 * after hubd is killed mid-run (progress never goes back, the count ends exact); cancel between
 * steps (done, CANCELLED, no step after it); another tenant's operation is NOT_FOUND. And the
 * first real job, Ticket's RecomputeSla, started through its RPC. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hub/operations/v1/operations.hub-client.h"
#include "hub/ticket/v1/ticket.hub-client.h"
#include "support/world.h"

typedef Hub__Operations__V1__Operation Operation;

static hub_world w;
static hub_test_user alice, bob; /* owners of two tenants */
static const char *const extra_env[] = {"HUB_OPERATIONS_INTERVAL_MS=50", NULL};

static int setup(void **state) {
  (void)state;
  if (!hub_world_up(&w, "operations", extra_env)) return -1;
  hub_world_signup_login(&w, "alice-ops@example.com", "Alice Ops Co", "smb_hub", &alice);
  hub_world_signup_login(&w, "bob-ops@example.com", "Bob Ops Co", "smb_hub", &bob);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

/* An operation of `kind` in u's tenant, as hub_operations_start writes it; its name. */
static char *start(const hub_test_user *u, const char *kind, const char *input) {
  char *id = hub_world_query(&w,
                             "INSERT INTO operations (tenant_id, kind, input, created_by) "
                             "VALUES ('%s', '%s', '%s', '%s') RETURNING id",
                             u->tenant_id, kind, input, u->user_id);
  assert_non_null(id);
  char *name = malloc(64);
  snprintf(name, 64, "operations/%s", id);
  free(id);
  return name;
}

static hub_status get(hub_arena *a, const hub_test_user *u, const char *name, Operation **out) {
  Hub__Operations__V1__GetOperationRequest req = HUB__OPERATIONS__V1__GET_OPERATION_REQUEST__INIT;
  req.name = (char *)name;
  hub_call_options o = hub_world_opts(u);
  return hub_operations_v1_operations_get_operation_call(w.ch, &o, a, &req, out);
}

static Operation *must_get(hub_arena *a, const char *name) {
  Operation *op = NULL;
  hub_status st = get(a, &alice, name, &op);
  if (!hub_ok(st)) fail_msg("GetOperation: %s %s", hub_code_name(st.code), st.message);
  return op;
}

static hub_status cancel(hub_arena *a, const hub_test_user *u, const char *name, Operation **out) {
  Hub__Operations__V1__CancelOperationRequest req = HUB__OPERATIONS__V1__CANCEL_OPERATION_REQUEST__INIT;
  req.name = (char *)name;
  hub_call_options o = hub_world_opts(u);
  return hub_operations_v1_operations_cancel_operation_call(w.ch, &o, a, &req, out);
}

static Hub__Operations__V1__ListOperationsResponse *list(hub_arena *a, const hub_test_user *u, const char *kind,
                                                         Hub__Operations__V1__DoneFilter done, int page_size,
                                                         const char *token) {
  Hub__Operations__V1__ListOperationsRequest req = HUB__OPERATIONS__V1__LIST_OPERATIONS_REQUEST__INIT;
  req.kind = (char *)(kind ? kind : "");
  req.done = done;
  req.page_size = page_size;
  req.page_token = (char *)(token ? token : "");
  Hub__Operations__V1__ListOperationsResponse *resp = NULL;
  hub_call_options o = hub_world_opts(u);
  hub_status st = hub_operations_v1_operations_list_operations_call(w.ch, &o, a, &req, &resp);
  if (!hub_ok(st)) fail_msg("ListOperations: %s %s", hub_code_name(st.code), st.message);
  return resp;
}

/* Waits (up to 20 s) until the operation is done, or its progress reached at least `done`. */
static Operation *wait_for(hub_arena *a, const char *name, int64_t done) {
  for (int i = 0; i < 400; i++) {
    Operation *op = must_get(a, name);
    if (op->done || op->metadata->progress_done >= done) return op;
    sleep_ms(50);
  }
  fail_msg("%s did not get to %lld", name, (long long)done);
  return NULL;
}

static void test_progress_to_done(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *name = start(&alice, "operations.count", "{\"total\": 5, \"step_ms\": 40}");
  /* Watch from the start: every message one step further (or the same), the last one done. */
  Hub__Operations__V1__WatchOperationRequest wreq = HUB__OPERATIONS__V1__WATCH_OPERATION_REQUEST__INIT;
  wreq.name = name;
  hub_call_options o = hub_world_opts(&alice);
  o.timeout_ms = 20000;
  hub_client_stream *s = NULL;
  assert_true(hub_ok(hub_operations_v1_operations_watch_operation_start(w.ch, &o, a, &wreq, &s)));
  int64_t seen = -1;
  int n = 0;
  Operation *last = NULL;
  ProtobufCMessage *m = NULL;
  while (hub_ok(hub_client_stream_recv(s, &m)) && m) {
    last = (Operation *)m;
    assert_true(last->metadata->progress_done >= seen);
    seen = last->metadata->progress_done;
    n++;
  }
  assert_true(hub_ok(hub_client_stream_finish(s)));
  assert_non_null(last);
  assert_true(n >= 2);
  assert_true(last->done);
  assert_int_equal(last->metadata->state, HUB__OPERATIONS__V1__STATE__STATE_SUCCEEDED);
  assert_int_equal(last->metadata->progress_done, 5);
  assert_int_equal(last->metadata->progress_total, 5);
  assert_null(last->error);
  assert_non_null(last->metadata->end_time);
  assert_string_equal(last->response_json, "{\"counted\": 5}");
  Operation *got = must_get(a, name);
  assert_string_equal(got->name, name);
  assert_string_equal(got->metadata->kind, "operations.count");
  /* Lists: by kind, done or not, in pages. */
  char *second = start(&alice, "operations.count", "{\"total\": 1}");
  wait_for(a, second, 1);
  Hub__Operations__V1__ListOperationsResponse *p1 =
      list(a, &alice, "operations.count", HUB__OPERATIONS__V1__DONE_FILTER__DONE_FILTER_DONE, 1, NULL);
  assert_int_equal(p1->n_operations, 1);
  assert_string_equal(p1->operations[0]->name, second); /* newest first */
  assert_string_not_equal(p1->page->next_page_token, "");
  Hub__Operations__V1__ListOperationsResponse *p2 = list(
      a, &alice, "operations.count", HUB__OPERATIONS__V1__DONE_FILTER__DONE_FILTER_DONE, 1, p1->page->next_page_token);
  assert_int_equal(p2->n_operations, 1);
  assert_string_equal(p2->operations[0]->name, name);
  assert_int_equal(list(a, &alice, "nobody.else", 0, 50, NULL)->n_operations, 0);
  assert_int_equal(list(a, &alice, NULL, HUB__OPERATIONS__V1__DONE_FILTER__DONE_FILTER_NOT_DONE, 50, NULL)->n_operations,
                   0);
  free(second);
  free(name);
  hub_arena_free(a);
}

static void test_failed_step_and_unknown_kind(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *bad = start(&alice, "operations.count", "{\"total\": 0}");
  Operation *op = wait_for(a, bad, 1);
  assert_true(op->done);
  assert_int_equal(op->metadata->state, HUB__OPERATIONS__V1__STATE__STATE_FAILED);
  assert_non_null(op->error);
  assert_int_equal(op->error->code, HUB_INVALID_ARGUMENT);
  assert_non_null(strstr(op->error->message, "total"));
  /* No server runs this kind: it waits, and can still be cancelled. */
  char *orphan = start(&alice, "nobody.knows", "{}");
  sleep_ms(300);
  op = must_get(a, orphan);
  assert_false(op->done);
  assert_int_equal(op->metadata->state, HUB__OPERATIONS__V1__STATE__STATE_PENDING);
  assert_int_equal(list(a, &alice, NULL, HUB__OPERATIONS__V1__DONE_FILTER__DONE_FILTER_NOT_DONE, 50, NULL)->n_operations,
                   1);
  assert_true(hub_ok(cancel(a, &alice, orphan, &op)));
  assert_true(op->done);
  assert_int_equal(op->metadata->state, HUB__OPERATIONS__V1__STATE__STATE_CANCELLED);
  free(orphan);
  free(bad);
  hub_arena_free(a);
}

/* hubd again on the same database, Redis and signing key (tokens stay valid). */
static void restart_hubd(void) {
  assert_true(hub_world_restart(&w));
}

static void test_resume_after_restart(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *name = start(&alice, "operations.count", "{\"total\": 20, \"step_ms\": 100}");
  wait_for(a, name, 3);
  restart_hubd(); /* killed, most likely in the middle of a step: that step rolls back */
  char *kept = hub_world_query(&w, "SELECT progress_done FROM operations WHERE id = '%s'", name + 11);
  int64_t before = atoll(kept);
  free(kept);
  assert_true(before >= 3 && before < 20);
  int64_t seen = before;
  Operation *op = NULL;
  for (int i = 0; i < 400 && !(op && op->done); i++) {
    op = must_get(a, name);
    assert_true(op->metadata->progress_done >= seen); /* never back to the start */
    seen = op->metadata->progress_done;
    sleep_ms(50);
  }
  assert_true(op->done);
  assert_int_equal(op->metadata->state, HUB__OPERATIONS__V1__STATE__STATE_SUCCEEDED);
  assert_string_equal(op->response_json, "{\"counted\": 20}");
  free(name);
  hub_arena_free(a);
}

static void test_cancel_between_steps(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *name = start(&alice, "operations.count", "{\"total\": 1000, \"step_ms\": 20}");
  wait_for(a, name, 2);
  Operation *op = NULL;
  assert_true(hub_ok(cancel(a, &alice, name, &op)));
  assert_true(op->done);
  assert_int_equal(op->metadata->state, HUB__OPERATIONS__V1__STATE__STATE_CANCELLED);
  assert_int_equal(op->error->code, HUB_CANCELLED);
  int64_t at = op->metadata->progress_done;
  assert_true(at >= 2 && at < 1000);
  sleep_ms(300);
  op = must_get(a, name);
  assert_int_equal(op->metadata->progress_done, at); /* no step after the cancel */
  assert_true(hub_ok(cancel(a, &alice, name, &op)));  /* again: nothing changes */
  assert_int_equal(op->metadata->state, HUB__OPERATIONS__V1__STATE__STATE_CANCELLED);
  assert_int_equal(op->metadata->progress_done, at);
  free(name);
  hub_arena_free(a);
}

static void test_other_tenant_is_not_found(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *name = start(&alice, "nobody.knows", "{}");
  Operation *op = NULL;
  assert_int_equal(get(a, &bob, name, &op).code, HUB_NOT_FOUND);
  assert_int_equal(cancel(a, &bob, name, &op).code, HUB_NOT_FOUND);
  assert_false(must_get(a, name)->done); /* bob's cancel touched nothing */
  Hub__Operations__V1__ListOperationsResponse *theirs = list(a, &bob, NULL, 0, 500, NULL);
  for (size_t i = 0; i < theirs->n_operations; i++) assert_string_not_equal(theirs->operations[i]->name, name);
  Hub__Operations__V1__WatchOperationRequest wreq = HUB__OPERATIONS__V1__WATCH_OPERATION_REQUEST__INIT;
  wreq.name = name;
  hub_call_options o = hub_world_opts(&bob);
  hub_client_stream *s = NULL;
  hub_status st = hub_operations_v1_operations_watch_operation_start(w.ch, &o, a, &wreq, &s);
  if (hub_ok(st)) {
    ProtobufCMessage *m = NULL;
    while (hub_ok(st = hub_client_stream_recv(s, &m)) && m) fail_msg("bob saw alice's operation");
    st = hub_client_stream_finish(s);
  }
  assert_int_equal(st.code, HUB_NOT_FOUND);
  /* A name that is no operation's: INVALID_ARGUMENT on the field. */
  st = get(a, &bob, "tickets/123", &op);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_non_null(st.violations);
  assert_string_equal(st.violations->field, "name");
  free(name);
  hub_arena_free(a);
}

/* The first real job: Ticket's RecomputeSla. Tickets opened before any policy existed get the
 * one made afterwards, with their due times, through one operation that counts them. */
static void test_ticket_recompute_sla(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(&bob);
  char *ids[3];
  for (int i = 0; i < 3; i++) {
    Hub__Ticket__V1__CreateTicketRequest req = HUB__TICKET__V1__CREATE_TICKET_REQUEST__INIT;
    req.subject = "Before the policy";
    Hub__Ticket__V1__TicketInfo *t = NULL;
    hub_status st = hub_ticket_v1_ticket_create_ticket_call(w.ch, &o, a, &req, &t);
    if (!hub_ok(st)) fail_msg("CreateTicket: %s %s", hub_code_name(st.code), st.message);
    assert_string_equal(t->sla ? t->sla->policy_id : "", "");
    ids[i] = t->id;
  }
  Hub__Ticket__V1__SlaPolicy pol = HUB__TICKET__V1__SLA_POLICY__INIT;
  pol.name = "Everything";
  pol.position = 1;
  pol.first_response_seconds = 3600;
  Hub__Ticket__V1__UpsertSlaPolicyRequest preq = HUB__TICKET__V1__UPSERT_SLA_POLICY_REQUEST__INIT;
  preq.policy = &pol;
  Hub__Ticket__V1__SlaPolicy *made = NULL;
  assert_true(hub_ok(hub_ticket_v1_ticket_upsert_sla_policy_call(w.ch, &o, a, &preq, &made)));
  Hub__Ticket__V1__RecomputeSlaRequest rreq = HUB__TICKET__V1__RECOMPUTE_SLA_REQUEST__INIT;
  Operation *op = NULL;
  hub_status st = hub_ticket_v1_ticket_recompute_sla_call(w.ch, &o, a, &rreq, &op);
  if (!hub_ok(st)) fail_msg("RecomputeSla: %s %s", hub_code_name(st.code), st.message);
  assert_false(op->done);
  assert_string_equal(op->metadata->kind, "ticket.recompute_sla");
  Operation *end = NULL;
  for (int i = 0; i < 400 && !(end && end->done); i++) {
    sleep_ms(50);
    assert_true(hub_ok(get(a, &bob, op->name, &end)));
  }
  assert_true(end->done);
  assert_int_equal(end->metadata->state, HUB__OPERATIONS__V1__STATE__STATE_SUCCEEDED);
  assert_int_equal(end->metadata->progress_done, 3);
  assert_int_equal(end->metadata->progress_total, 3);
  assert_string_equal(end->response_json, "{\"tickets\": 3}");
  for (int i = 0; i < 3; i++) {
    Hub__Ticket__V1__GetTicketRequest g = HUB__TICKET__V1__GET_TICKET_REQUEST__INIT;
    g.id = ids[i];
    Hub__Ticket__V1__TicketInfo *t = NULL;
    assert_true(hub_ok(hub_ticket_v1_ticket_get_ticket_call(w.ch, &o, a, &g, &t)));
    assert_string_equal(t->sla->policy_id, made->id);
    assert_non_null(t->sla->first_response);
    assert_non_null(t->sla->first_response->due_at);
  }
  /* Alice cannot see Bob's operation. */
  assert_int_equal(get(a, &alice, op->name, &end).code, HUB_NOT_FOUND);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_progress_to_done),
      cmocka_unit_test(test_failed_step_and_unknown_kind),
      cmocka_unit_test(test_cancel_between_steps),
      cmocka_unit_test(test_other_tenant_is_not_found),
      cmocka_unit_test(test_resume_after_restart),
      cmocka_unit_test(test_ticket_recompute_sla),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
