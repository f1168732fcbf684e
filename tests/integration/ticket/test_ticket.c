/* The Ticket service end to end, through the full authn chain of a real hubd: gap-free
 * numbers, idempotent create (also under a race), etags (two updates with one etag: one
 * wins, one ABORTED), the workflow over the API, mass-assignment refusals, the thread and
 * first response, events, assignment (round-robin, least-loaded, away), merge and split that
 * keep every comment and event, SLA warning and breach reaching the outbox through the
 * sweeper, pauses, ReportSla, CSAT, trash, keyset pages, and WatchTickets in order with a
 * resume token that neither loses nor repeats; the contract's field rules (every violation in
 * one BadRequest, UUIDs in either case stored lower case). */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "google/protobuf/field_mask.pb-c.h"

#include "hub/ticket/v1/ticket.hub-client.h"
#include "support/world.h"

typedef Hub__Ticket__V1__TicketInfo Ticket;

static hub_world w;
static hub_test_user owner, agent1, agent2, requester;

static int setup(void **state) {
  (void)state;
  const char *extra[] = {"HUB_SLA_SWEEP_INTERVAL_MS=200", NULL};
  if (!hub_world_up(&w, "ticket", extra)) return -1;
  hub_world_signup_login(&w, "helpdesk-owner@example.com", "Helpdesk Co", "exakeep", &owner);
  const char *emails[] = {"agent1@example.com", "agent2@example.com", "requester@example.com"};
  hub_test_user *users[] = {&agent1, &agent2, &requester};
  const char *roles[] = {"admin", "admin", "member"};
  for (int i = 0; i < 3; i++) {
    hub_world_signup_login(&w, emails[i], NULL, NULL, users[i]);
    if (hub_world_sql(&w, "INSERT INTO members (tenant_id, user_id, role) VALUES ('%s', '%s', '%s')", owner.tenant_id,
                      users[i]->user_id, roles[i]))
      return -1;
    if (!hub_ok(hub_world_login(&w, emails[i], users[i]->password, owner.tenant_id, users[i]))) return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

static Ticket *create(hub_arena *a, const hub_test_user *u, const char *subject, const char *team, const char *request_id,
                      hub_status *st_out) {
  Hub__Ticket__V1__CreateTicketRequest req = HUB__TICKET__V1__CREATE_TICKET_REQUEST__INIT;
  req.subject = (char *)subject;
  req.team_id = (char *)(team ? team : "");
  req.request_id = (char *)(request_id ? request_id : "");
  Ticket *t = NULL;
  hub_call_options o = hub_world_opts(u);
  hub_status st = hub_ticket_v1_ticket_create_ticket_call(w.ch, &o, a, &req, &t);
  if (st_out) *st_out = st;
  else if (!hub_ok(st)) fail_msg("CreateTicket: %s %s", hub_code_name(st.code), st.message);
  return t;
}

static hub_status update(hub_arena *a, const hub_test_user *u, Ticket *in, const char *path, const char *etag,
                         Ticket **out) {
  Hub__Ticket__V1__UpdateTicketRequest req = HUB__TICKET__V1__UPDATE_TICKET_REQUEST__INIT;
  Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
  char *paths[] = {(char *)path};
  mask.n_paths = 1;
  mask.paths = paths;
  req.ticket = in;
  req.update_mask = &mask;
  req.etag = (char *)etag;
  hub_call_options o = hub_world_opts(u);
  return hub_ticket_v1_ticket_update_ticket_call(w.ch, &o, a, &req, out);
}

static hub_status set_status(hub_arena *a, Ticket **t, Hub__Ticket__V1__Status s) {
  Ticket in = **t;
  in.status = s;
  Ticket *out = NULL;
  hub_status st = update(a, &agent1, &in, "status", (*t)->etag, &out);
  if (hub_ok(st)) *t = out;
  return st;
}

static Hub__Ticket__V1__Comment *comment(hub_arena *a, const hub_test_user *u, const char *ticket, const char *body,
                                         bool public_) {
  Hub__Ticket__V1__AddCommentRequest req = HUB__TICKET__V1__ADD_COMMENT_REQUEST__INIT;
  req.ticket_id = (char *)ticket;
  req.body = (char *)body;
  req.public_ = public_;
  req.time_spent_seconds = 60;
  Hub__Ticket__V1__Comment *c = NULL;
  hub_call_options o = hub_world_opts(u);
  hub_status st = hub_ticket_v1_ticket_add_comment_call(w.ch, &o, a, &req, &c);
  if (!hub_ok(st)) fail_msg("AddComment: %s %s", hub_code_name(st.code), st.message);
  return c;
}

static Ticket *get(hub_arena *a, const char *id) {
  Hub__Ticket__V1__GetTicketRequest req = HUB__TICKET__V1__GET_TICKET_REQUEST__INIT;
  req.id = (char *)id;
  Ticket *t = NULL;
  hub_call_options o = hub_world_opts(&agent1);
  hub_status st = hub_ticket_v1_ticket_get_ticket_call(w.ch, &o, a, &req, &t);
  if (!hub_ok(st)) fail_msg("GetTicket: %s %s", hub_code_name(st.code), st.message);
  return t;
}

static char *count(const char *fmt, const char *arg) {
  return hub_world_query(&w, fmt, arg);
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- create, numbers, idempotency */

static void test_numbers_are_gap_free_and_create_is_idempotent(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Ticket *t1 = create(a, &owner, "Printer jammed", NULL, NULL, NULL);
  hub_status st;
  /* A create that fails inside its transaction (an unknown team) gives its number back. */
  assert_null(create(a, &owner, "Doomed", "0190a000-0000-7000-8000-00000000dead", NULL, &st));
  assert_int_equal(st.code, HUB_NOT_FOUND);
  Ticket *t2 = create(a, &owner, "VPN down", NULL, NULL, NULL);
  assert_int_equal(t2->number, t1->number + 1);
  assert_string_equal(t1->status == HUB__TICKET__V1__STATUS__STATUS_NEW ? "new" : "?", "new");
  assert_string_equal(t1->requester_user_id, owner.user_id);
  assert_string_equal(t1->brand, "exakeep");
  /* Same request_id: the same ticket, not a second one. */
  const char *rid = "0190a000-0000-7000-8000-0000000000aa";
  Ticket *r1 = create(a, &owner, "Once only", NULL, rid, NULL);
  Ticket *r2 = create(a, &owner, "Once only (retry)", NULL, rid, NULL);
  assert_string_equal(r1->id, r2->id);
  assert_string_equal(r2->subject, "Once only");
  /* By number too. */
  Hub__Ticket__V1__GetTicketRequest g = HUB__TICKET__V1__GET_TICKET_REQUEST__INIT;
  g.number = t2->number;
  Ticket *by_number;
  hub_call_options o = hub_world_opts(&agent1);
  assert_int_equal(hub_ticket_v1_ticket_get_ticket_call(w.ch, &o, a, &g, &by_number).code, HUB_OK);
  assert_string_equal(by_number->id, t2->id);
  /* Refusals name the field. */
  assert_null(create(a, &owner, "", NULL, NULL, &st));
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(st.violations->field, "subject");
  assert_null(create(a, &owner, "x", NULL, "not-a-uuid", &st));
  assert_string_equal(st.violations->field, "request_id");
  hub_arena_free(a);
}

typedef struct race {
  const char *request_id;
  char id[40];
  hub_code code;
} race;

static void *create_racer(void *p) {
  race *r = p;
  hub_arena *a = hub_arena_new(0);
  hub_status st;
  Ticket *t = create(a, &agent2, "Raced", NULL, r->request_id, &st);
  r->code = st.code;
  if (t) snprintf(r->id, sizeof r->id, "%s", t->id);
  hub_arena_free(a);
  return NULL;
}

static void test_concurrent_creates_with_one_request_id_make_one_ticket(void **state) {
  (void)state;
  enum { N = 6 };
  race r[N];
  pthread_t th[N];
  for (int i = 0; i < N; i++) {
    memset(&r[i], 0, sizeof r[i]);
    r[i].request_id = "0190a000-0000-7000-8000-0000000000bb";
    pthread_create(&th[i], NULL, create_racer, &r[i]);
  }
  for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < N; i++) {
    assert_int_equal(r[i].code, HUB_OK);
    assert_string_equal(r[i].id, r[0].id);
  }
  char *n = count("SELECT count(*) FROM tickets WHERE request_id = '%s'", "0190a000-0000-7000-8000-0000000000bb");
  assert_string_equal(n, "1");
  free(n);
}

/* ---------------------------------------------------------------- updates and workflow */

typedef struct upd_race {
  Ticket *t;
  const char *subject;
  hub_code code;
} upd_race;

static void *update_racer(void *p) {
  upd_race *r = p;
  hub_arena *a = hub_arena_new(0);
  Ticket in = *r->t;
  in.subject = (char *)r->subject;
  Ticket *out;
  r->code = update(a, &agent1, &in, "subject", r->t->etag, &out).code;
  hub_arena_free(a);
  return NULL;
}

static void test_etag_one_wins_one_aborted(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Ticket *t = create(a, &owner, "Etag race", NULL, NULL, NULL);
  upd_race r1 = {t, "First writer", 0}, r2 = {t, "Second writer", 0};
  pthread_t a1, a2;
  pthread_create(&a1, NULL, update_racer, &r1);
  pthread_create(&a2, NULL, update_racer, &r2);
  pthread_join(a1, NULL);
  pthread_join(a2, NULL);
  if (!((r1.code == HUB_OK && r2.code == HUB_ABORTED) || (r1.code == HUB_ABORTED && r2.code == HUB_OK)))
    fail_msg("two writers with one etag answered %s and %s, not OK and ABORTED", hub_code_name(r1.code),
             hub_code_name(r2.code));
  Ticket *now = get(a, t->id);
  assert_string_equal(now->subject, r1.code == HUB_OK ? "First writer" : "Second writer");
  /* Stale etag after the fact, and the mass-assignment refusals. */
  Ticket in = *t;
  in.subject = "Late";
  Ticket *out;
  assert_int_equal(update(a, &agent1, &in, "subject", t->etag, &out).code, HUB_ABORTED);
  const char *forbidden[] = {"assignee_id", "number", "sla", "csat_score", "created_at", "brand"};
  for (size_t i = 0; i < 6; i++) {
    hub_status st = update(a, &agent1, &in, forbidden[i], now->etag, &out);
    assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
    assert_string_equal(st.violations->field, "update_mask");
  }
  hub_arena_free(a);
}

static void test_workflow_over_the_api(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Ticket *t = create(a, &requester, "Workflow", NULL, NULL, NULL);
  assert_int_equal(set_status(a, &t, HUB__TICKET__V1__STATUS__STATUS_OPEN).code, HUB_OK);
  assert_int_equal(set_status(a, &t, HUB__TICKET__V1__STATUS__STATUS_NEW).code, HUB_FAILED_PRECONDITION);
  assert_int_equal(set_status(a, &t, HUB__TICKET__V1__STATUS__STATUS_CLOSED).code, HUB_FAILED_PRECONDITION);
  assert_int_equal(set_status(a, &t, HUB__TICKET__V1__STATUS__STATUS_SOLVED).code, HUB_OK);
  /* The requester replies: the solved ticket reopens. */
  comment(a, &requester, t->id, "Still broken", true);
  t = get(a, t->id);
  assert_int_equal(t->status, HUB__TICKET__V1__STATUS__STATUS_OPEN);
  assert_int_equal(set_status(a, &t, HUB__TICKET__V1__STATUS__STATUS_SOLVED).code, HUB_OK);
  assert_int_equal(set_status(a, &t, HUB__TICKET__V1__STATUS__STATUS_CLOSED).code, HUB_OK);
  /* Closed is final. */
  assert_int_equal(set_status(a, &t, HUB__TICKET__V1__STATUS__STATUS_OPEN).code, HUB_FAILED_PRECONDITION);
  char *events = count("SELECT string_agg(coalesce(old_value, '') || '>' || new_value, ',' ORDER BY seq) FROM ticket_events "
                       "WHERE ticket_id = '%s' AND field = 'status'",
                       t->id);
  assert_string_equal(events, "new>open,open>solved,solved>open,open>solved,solved>closed");
  free(events);
  hub_arena_free(a);
}

/* ---------------------------------------------------------------- thread and assignment */

static void test_first_response_and_events(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Ticket *t = create(a, &requester, "Need help", NULL, NULL, NULL);
  comment(a, &agent1, t->id, "Internal: looks like the router", false);
  assert_string_equal(get(a, t->id)->sla->policy_id, ""); /* no policy yet */
  char *fr = count("SELECT (first_response_at IS NULL)::text FROM tickets WHERE id = '%s'", t->id);
  assert_string_equal(fr, "true"); /* an internal note is not a response */
  free(fr);
  comment(a, &agent1, t->id, "We are on it", true);
  fr = count("SELECT (first_response_at IS NOT NULL)::text FROM tickets WHERE id = '%s'", t->id);
  assert_string_equal(fr, "true");
  free(fr);
  Hub__Ticket__V1__ListCommentsRequest lc = HUB__TICKET__V1__LIST_COMMENTS_REQUEST__INIT;
  lc.ticket_id = t->id;
  lc.page_size = 1;
  Hub__Ticket__V1__ListCommentsResponse *page;
  hub_call_options o = hub_world_opts(&agent1);
  assert_int_equal(hub_ticket_v1_ticket_list_comments_call(w.ch, &o, a, &lc, &page).code, HUB_OK);
  assert_int_equal(page->n_comments, 1);
  assert_false(page->comments[0]->public_);
  lc.page_token = page->page->next_page_token;
  assert_int_equal(hub_ticket_v1_ticket_list_comments_call(w.ch, &o, a, &lc, &page).code, HUB_OK);
  assert_int_equal(page->n_comments, 1);
  assert_string_equal(page->comments[0]->body, "We are on it");
  Hub__Ticket__V1__ListTicketEventsRequest le = HUB__TICKET__V1__LIST_TICKET_EVENTS_REQUEST__INIT;
  le.ticket_id = t->id;
  Hub__Ticket__V1__ListTicketEventsResponse *ev;
  assert_int_equal(hub_ticket_v1_ticket_list_ticket_events_call(w.ch, &o, a, &le, &ev).code, HUB_OK);
  assert_int_equal(ev->n_events, 3);
  assert_string_equal(ev->events[0]->kind, "created");
  assert_string_equal(ev->events[2]->field, "public");
  assert_true(ev->events[1]->seq < ev->events[2]->seq);
  assert_string_equal(get(a, t->id)->etag, "3"); /* created, note, reply */
  hub_arena_free(a);
}

static char *make_team(hub_arena *a, const char *name, const char *mode) {
  Hub__Ticket__V1__Team team = HUB__TICKET__V1__TEAM__INIT;
  team.name = (char *)name;
  team.assignment = (char *)mode;
  char *members[] = {agent1.user_id, agent2.user_id};
  team.member_ids = members;
  team.n_member_ids = 2;
  Hub__Ticket__V1__UpsertTeamRequest req = HUB__TICKET__V1__UPSERT_TEAM_REQUEST__INIT;
  req.team = &team;
  Hub__Ticket__V1__Team *out;
  hub_call_options o = hub_world_opts(&owner);
  hub_status st = hub_ticket_v1_ticket_upsert_team_call(w.ch, &o, a, &req, &out);
  if (!hub_ok(st)) fail_msg("UpsertTeam: %s %s", hub_code_name(st.code), st.message);
  return out->id;
}

static void set_away(hub_arena *a, const hub_test_user *u, bool away) {
  Hub__Ticket__V1__SetAgentAwayRequest req = HUB__TICKET__V1__SET_AGENT_AWAY_REQUEST__INIT;
  req.user_id = (char *)u->user_id;
  req.away = away;
  Hub__Ticket__V1__SetAgentAwayResponse *resp;
  hub_call_options o = hub_world_opts(&owner);
  assert_int_equal(hub_ticket_v1_ticket_set_agent_away_call(w.ch, &o, a, &req, &resp).code, HUB_OK);
}

static void test_assignment_round_robin_least_loaded_and_away(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *rr = make_team(a, "Round robin", "round_robin");
  const char *got[4];
  for (int i = 0; i < 4; i++) got[i] = create(a, &requester, "RR", rr, NULL, NULL)->assignee_id;
  assert_string_equal(got[0], agent1.user_id);
  assert_string_equal(got[1], agent2.user_id);
  assert_string_equal(got[2], agent1.user_id);
  assert_string_equal(got[3], agent2.user_id);
  set_away(a, &agent1, true);
  assert_string_equal(create(a, &requester, "RR away", rr, NULL, NULL)->assignee_id, agent2.user_id);
  assert_string_equal(create(a, &requester, "RR away", rr, NULL, NULL)->assignee_id, agent2.user_id);
  set_away(a, &agent1, false);
  /* Least loaded: agent1 now has fewer open tickets than agent2. */
  char *ll = make_team(a, "Least loaded", "least_loaded");
  assert_string_equal(create(a, &requester, "LL", ll, NULL, NULL)->assignee_id, agent1.user_id);
  /* Manual assignment and refusals. */
  Ticket *t = create(a, &requester, "Manual", NULL, NULL, NULL);
  Hub__Ticket__V1__AssignTicketRequest req = HUB__TICKET__V1__ASSIGN_TICKET_REQUEST__INIT;
  req.id = t->id;
  req.assignee_id = agent2.user_id;
  Ticket *out;
  hub_call_options o = hub_world_opts(&agent1);
  assert_int_equal(hub_ticket_v1_ticket_assign_ticket_call(w.ch, &o, a, &req, &out).code, HUB_OK);
  assert_string_equal(out->assignee_id, agent2.user_id);
  req.assignee_id = "0190a000-0000-7000-8000-0000000000cc"; /* not a member */
  hub_status st = hub_ticket_v1_ticket_assign_ticket_call(w.ch, &o, a, &req, &out);
  assert_int_equal(st.code, HUB_NOT_FOUND);
  assert_string_equal(st.message, "assignee_id: no such member");
  /* A member (role "member") may not assign: ticket.tickets.assign is not in the role. */
  hub_call_options m = hub_world_opts(&requester);
  req.assignee_id = agent1.user_id;
  assert_int_equal(hub_ticket_v1_ticket_assign_ticket_call(w.ch, &m, a, &req, &out).code, HUB_PERMISSION_DENIED);
  hub_arena_free(a);
}

/* ---------------------------------------------------------------- merge and split */

static void test_merge_and_split_keep_history(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Ticket *src = create(a, &requester, "Duplicate report", NULL, NULL, NULL);
  Ticket *dst = create(a, &requester, "Original report", NULL, NULL, NULL);
  comment(a, &agent1, src->id, "src 1", true);
  comment(a, &requester, src->id, "src 2", true);
  comment(a, &agent1, dst->id, "dst 1", true);
  Ticket in = *src;
  char *tags[] = {"vip"};
  in.tags = tags;
  in.n_tags = 1;
  Ticket *tagged;
  assert_int_equal(update(a, &agent1, &in, "tags", get(a, src->id)->etag, &tagged).code, HUB_OK);
  char *events_before = count("SELECT count(*) FROM ticket_events WHERE ticket_id = '%s'", src->id);
  Hub__Ticket__V1__MergeTicketsRequest mreq = HUB__TICKET__V1__MERGE_TICKETS_REQUEST__INIT;
  mreq.source_id = src->id;
  mreq.target_id = dst->id;
  Ticket *merged;
  hub_call_options o = hub_world_opts(&agent1);
  assert_int_equal(hub_ticket_v1_ticket_merge_tickets_call(w.ch, &o, a, &mreq, &merged).code, HUB_OK);
  assert_int_equal(merged->n_tags, 1);
  assert_string_equal(merged->tags[0], "vip");
  assert_int_equal(merged->time_spent_seconds, 180); /* 3 comments x 60 s moved with them */
  Ticket *closed = get(a, src->id);
  assert_int_equal(closed->status, HUB__TICKET__V1__STATUS__STATUS_CLOSED);
  assert_string_equal(closed->merged_into, dst->id);
  char *n = count("SELECT count(*) FROM ticket_comments WHERE ticket_id = '%s'", dst->id);
  assert_string_equal(n, "3");
  free(n);
  n = count("SELECT count(*) FROM ticket_comments WHERE moved_from = '%s'", src->id);
  assert_string_equal(n, "2");
  free(n);
  /* The source's own log is kept (plus the merge and its closing), and the target logs the merge. */
  char *events_after = count("SELECT count(*) FROM ticket_events WHERE ticket_id = '%s'", src->id);
  assert_int_equal(atoi(events_after), atoi(events_before) + 2);
  n = count("SELECT count(*) FROM ticket_events WHERE ticket_id = '%s' AND field = 'merged_from'", dst->id);
  assert_string_equal(n, "1");
  free(n);
  free(events_before);
  free(events_after);
  /* Merging again, or into itself: refused. */
  assert_int_equal(hub_ticket_v1_ticket_merge_tickets_call(w.ch, &o, a, &mreq, &merged).code, HUB_FAILED_PRECONDITION);
  mreq.source_id = dst->id;
  assert_int_equal(hub_ticket_v1_ticket_merge_tickets_call(w.ch, &o, a, &mreq, &merged).code, HUB_INVALID_ARGUMENT);

  /* Split the requester's comment off into a new ticket. */
  char *cid = count("SELECT id FROM ticket_comments WHERE ticket_id = '%s' AND body = 'src 2'", dst->id);
  Hub__Ticket__V1__SplitTicketRequest sreq = HUB__TICKET__V1__SPLIT_TICKET_REQUEST__INIT;
  sreq.id = dst->id;
  sreq.subject = "A separate problem";
  char *ids[] = {cid};
  sreq.comment_ids = ids;
  sreq.n_comment_ids = 1;
  Ticket *split;
  assert_int_equal(hub_ticket_v1_ticket_split_ticket_call(w.ch, &o, a, &sreq, &split).code, HUB_OK);
  n = count("SELECT count(*) FROM ticket_comments WHERE ticket_id = '%s'", split->id);
  assert_string_equal(n, "1");
  free(n);
  n = count("SELECT count(*) FROM ticket_comments WHERE ticket_id = '%s'", dst->id);
  assert_string_equal(n, "2");
  free(n);
  /* A comment of another ticket cannot be split off this one. */
  sreq.id = split->id;
  char *other = count("SELECT id FROM ticket_comments WHERE ticket_id = '%s' LIMIT 1", dst->id);
  ids[0] = other;
  hub_status sst = hub_ticket_v1_ticket_split_ticket_call(w.ch, &o, a, &sreq, &split);
  assert_int_equal(sst.code, HUB_NOT_FOUND);
  assert_non_null(strstr(sst.message, "comment_ids"));
  free(cid);
  free(other);
  hub_arena_free(a);
}

/* ---------------------------------------------------------------- SLA, end to end */

static char *make_policy(hub_arena *a, int position, int64_t first_response, int64_t resolution, int64_t warn,
                         Hub__Ticket__V1__Priority prio) {
  Hub__Ticket__V1__SlaPolicy p = HUB__TICKET__V1__SLA_POLICY__INIT;
  p.name = "Test policy";
  p.position = position;
  p.priority = prio;
  p.first_response_seconds = first_response;
  p.resolution_seconds = resolution;
  p.warn_before_seconds = warn;
  Hub__Ticket__V1__UpsertSlaPolicyRequest req = HUB__TICKET__V1__UPSERT_SLA_POLICY_REQUEST__INIT;
  req.policy = &p;
  Hub__Ticket__V1__SlaPolicy *out;
  hub_call_options o = hub_world_opts(&owner);
  hub_status st = hub_ticket_v1_ticket_upsert_sla_policy_call(w.ch, &o, a, &req, &out);
  if (!hub_ok(st)) fail_msg("UpsertSlaPolicy: %s %s", hub_code_name(st.code), st.message);
  return out->id;
}

static void test_sla_warning_breach_pause_and_report(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  int64_t t0 = (int64_t)time(NULL);
  /* Urgent tickets: first response in 3 s, warned 2 s before. */
  make_policy(a, 10, 3, 3600, 2, HUB__TICKET__V1__PRIORITY__PRIORITY_URGENT);
  Hub__Ticket__V1__CreateTicketRequest req = HUB__TICKET__V1__CREATE_TICKET_REQUEST__INIT;
  req.subject = "Site down";
  req.priority = HUB__TICKET__V1__PRIORITY__PRIORITY_URGENT;
  Ticket *late, *met;
  hub_call_options o = hub_world_opts(&requester);
  assert_int_equal(hub_ticket_v1_ticket_create_ticket_call(w.ch, &o, a, &req, &late).code, HUB_OK);
  assert_non_null(late->sla);
  assert_non_null(late->sla->first_response);
  assert_non_null(late->sla->first_response->due_at);
  int64_t due = late->sla->first_response->due_at->seconds;
  assert_true(due >= t0 + 2 && due <= t0 + 5);
  assert_int_equal(hub_ticket_v1_ticket_create_ticket_call(w.ch, &o, a, &req, &met).code, HUB_OK);
  comment(a, &agent1, met->id, "On it", true); /* answered in time */
  /* Nobody touches `late`: the sweeper must warn and then record the breach, with outbox rows. */
  char *n = NULL;
  for (int i = 0; i < 60; i++) {
    free(n);
    n = count("SELECT count(*) FROM outbox WHERE topic = 'ticket.sla_breach' AND payload->>'ticket_id' = '%s'", late->id);
    if (!strcmp(n, "1")) break;
    sleep_ms(100);
  }
  assert_string_equal(n, "1");
  free(n);
  n = count("SELECT string_agg(kind, ',' ORDER BY seq) FROM ticket_events WHERE ticket_id = '%s' AND kind LIKE 'sla_%%'",
            late->id);
  assert_string_equal(n, "sla_warning,sla_breach");
  free(n);
  n = count("SELECT count(*) FROM outbox WHERE topic = 'ticket.sla_warning' AND payload->>'ticket_id' = '%1$s' "
            "AND aggregate_id = '%1$s'", late->id); /* the ticket is the message's aggregate */
  assert_string_equal(n, "1");
  free(n);
  Ticket *now = get(a, late->id);
  assert_true(now->sla->breached);
  assert_true(now->sla->first_response->breached);
  assert_false(get(a, met->id)->sla->breached);
  /* The breached filter. */
  Hub__Ticket__V1__ListTicketsRequest lr = HUB__TICKET__V1__LIST_TICKETS_REQUEST__INIT;
  lr.breached = true;
  Hub__Ticket__V1__ListTicketsResponse *list;
  hub_call_options ao = hub_world_opts(&agent1);
  assert_int_equal(hub_ticket_v1_ticket_list_tickets_call(w.ch, &ao, a, &lr, &list).code, HUB_OK);
  assert_int_equal(list->n_tickets, 1);
  assert_string_equal(list->tickets[0]->id, late->id);

  /* Pending pauses the resolution clock: no due time while paused. */
  Ticket *p = get(a, met->id);
  assert_int_equal(set_status(a, &p, HUB__TICKET__V1__STATUS__STATUS_PENDING).code, HUB_OK);
  assert_true(p->sla->paused);
  assert_true(!p->sla->resolution || !p->sla->resolution->due_at); /* no due time while paused */
  assert_int_equal(set_status(a, &p, HUB__TICKET__V1__STATUS__STATUS_OPEN).code, HUB_OK);
  assert_false(p->sla->paused);
  assert_non_null(p->sla->resolution->due_at);
  n = count("SELECT count(*) FROM ticket_sla_pauses WHERE ticket_id = '%s' AND ended_at IS NOT NULL", met->id);
  assert_string_equal(n, "1");
  free(n);

  /* ReportSla from stored timestamps: urgent first responses, one met, one missed. */
  Hub__Ticket__V1__ReportSlaRequest rr = HUB__TICKET__V1__REPORT_SLA_REQUEST__INIT;
  Google__Protobuf__Timestamp from = GOOGLE__PROTOBUF__TIMESTAMP__INIT, to = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  from.seconds = t0 - 5;
  to.seconds = t0 + 3600;
  rr.from = &from;
  rr.to = &to;
  Hub__Ticket__V1__ReportSlaResponse *rep;
  hub_call_options so = hub_world_opts(&owner);
  assert_int_equal(hub_ticket_v1_ticket_report_sla_call(w.ch, &so, a, &rr, &rep).code, HUB_OK);
  bool seen = false;
  for (size_t i = 0; i < rep->n_rows; i++)
    if (!strcmp(rep->rows[i]->dimension, "priority") && !strcmp(rep->rows[i]->key, "urgent")) {
      assert_int_equal(rep->rows[i]->targets, 2);
      assert_int_equal(rep->rows[i]->met, 1);
      assert_true(rep->rows[i]->met_percent > 49.9 && rep->rows[i]->met_percent < 50.1);
      seen = true;
    }
  assert_true(seen);
  /* Members may not read SLA reports (ticket.sla.manage). */
  assert_int_equal(hub_ticket_v1_ticket_report_sla_call(w.ch, &o, a, &rr, &rep).code, HUB_PERMISSION_DENIED);
  hub_arena_free(a);
}

/* ---------------------------------------------------------------- CSAT, trash, pages */

static void test_csat_trash_and_keyset_pages(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Ticket *t = create(a, &requester, "Rate me", NULL, NULL, NULL);
  Hub__Ticket__V1__RateTicketRequest rq = HUB__TICKET__V1__RATE_TICKET_REQUEST__INIT;
  rq.id = t->id;
  rq.score = 5;
  Ticket *out;
  hub_call_options ro = hub_world_opts(&requester), ao = hub_world_opts(&agent1);
  assert_int_equal(hub_ticket_v1_ticket_rate_ticket_call(w.ch, &ro, a, &rq, &out).code, HUB_FAILED_PRECONDITION);
  assert_int_equal(set_status(a, &t, HUB__TICKET__V1__STATUS__STATUS_SOLVED).code, HUB_OK);
  assert_int_equal(hub_ticket_v1_ticket_rate_ticket_call(w.ch, &ao, a, &rq, &out).code, HUB_PERMISSION_DENIED);
  assert_int_equal(hub_ticket_v1_ticket_rate_ticket_call(w.ch, &ro, a, &rq, &out).code, HUB_OK);
  assert_int_equal(out->csat_score, 5);
  assert_int_equal(hub_ticket_v1_ticket_rate_ticket_call(w.ch, &ro, a, &rq, &out).code, HUB_FAILED_PRECONDITION);

  /* Trash. */
  Hub__Ticket__V1__DeleteTicketRequest dq = HUB__TICKET__V1__DELETE_TICKET_REQUEST__INIT;
  dq.id = t->id;
  assert_int_equal(hub_ticket_v1_ticket_delete_ticket_call(w.ch, &ro, a, &dq, &out).code, HUB_PERMISSION_DENIED);
  hub_call_options oo = hub_world_opts(&owner);
  assert_int_equal(hub_ticket_v1_ticket_delete_ticket_call(w.ch, &oo, a, &dq, &out).code, HUB_OK);
  assert_non_null(out->deleted_at);
  Hub__Ticket__V1__GetTicketRequest gq = HUB__TICKET__V1__GET_TICKET_REQUEST__INIT;
  gq.id = t->id;
  Ticket *g;
  assert_int_equal(hub_ticket_v1_ticket_get_ticket_call(w.ch, &ao, a, &gq, &g).code, HUB_OK); /* still readable */
  Hub__Ticket__V1__ListTicketsRequest lq = HUB__TICKET__V1__LIST_TICKETS_REQUEST__INIT;
  lq.deleted = true;
  Hub__Ticket__V1__ListTicketsResponse *lr;
  assert_int_equal(hub_ticket_v1_ticket_list_tickets_call(w.ch, &ao, a, &lq, &lr).code, HUB_OK);
  assert_int_equal(lr->n_tickets, 1);
  Hub__Ticket__V1__UndeleteTicketRequest uq = HUB__TICKET__V1__UNDELETE_TICKET_REQUEST__INIT;
  uq.id = t->id;
  assert_int_equal(hub_ticket_v1_ticket_undelete_ticket_call(w.ch, &oo, a, &uq, &out).code, HUB_OK);
  assert_null(out->deleted_at);

  /* Keyset pages by number: every ticket exactly once, in order. */
  char *total_text = count("SELECT count(*) FROM tickets WHERE tenant_id = '%s' AND deleted_at IS NULL", owner.tenant_id);
  int total = atoi(total_text), seen = 0;
  free(total_text);
  int64_t last = 0;
  Hub__Ticket__V1__ListTicketsRequest pq = HUB__TICKET__V1__LIST_TICKETS_REQUEST__INIT;
  pq.page_size = 4;
  pq.order_by = "number asc";
  for (int page = 0; page < 100; page++) {
    assert_int_equal(hub_ticket_v1_ticket_list_tickets_call(w.ch, &ao, a, &pq, &lr).code, HUB_OK);
    for (size_t i = 0; i < lr->n_tickets; i++) {
      assert_true(lr->tickets[i]->number > last);
      last = lr->tickets[i]->number;
      seen++;
    }
    if (!*lr->page->next_page_token) break;
    pq.page_token = lr->page->next_page_token;
  }
  assert_int_equal(seen, total);
  pq.page_token = "garbage!";
  assert_int_equal(hub_ticket_v1_ticket_list_tickets_call(w.ch, &ao, a, &pq, &lr).code, HUB_INVALID_ARGUMENT);
  pq.page_token = "";
  pq.order_by = "subject";
  assert_int_equal(hub_ticket_v1_ticket_list_tickets_call(w.ch, &ao, a, &pq, &lr).code, HUB_INVALID_ARGUMENT);
  hub_arena_free(a);
}

/* ---------------------------------------------------------------- WatchTickets */

static int read_events(hub_arena *a, int64_t resume, int want, int64_t *seqs, const char *mutate_ticket) {
  Hub__Ticket__V1__WatchTicketsRequest req = HUB__TICKET__V1__WATCH_TICKETS_REQUEST__INIT;
  req.resume_after_seq = resume;
  hub_call_options o = hub_world_opts(&agent1);
  o.timeout_ms = 15000;
  hub_client_stream *s;
  hub_status st = hub_ticket_v1_ticket_watch_tickets_start(w.ch, &o, a, &req, &s);
  if (!hub_ok(st)) fail_msg("WatchTickets: %s", hub_code_name(st.code));
  if (mutate_ticket) { /* changes made after the stream is open */
    sleep_ms(300);
    for (int i = 0; i < want; i++) comment(a, &agent1, mutate_ticket, "live", false);
  }
  int got = 0;
  while (got < want) {
    ProtobufCMessage *m = NULL;
    st = hub_client_stream_recv(s, &m);
    if (!hub_ok(st) || !m) break;
    seqs[got++] = ((Hub__Ticket__V1__TicketEvent *)m)->seq;
  }
  hub_client_stream_cancel(s);
  hub_client_stream_finish(s);
  return got;
}

static void test_watch_in_order_and_resume(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Ticket *t = create(a, &requester, "Watched", NULL, NULL, NULL);
  int64_t live[5];
  assert_int_equal(read_events(a, 0, 5, live, t->id), 5);
  for (int i = 1; i < 5; i++) assert_int_equal(live[i], live[i - 1] + 1);
  /* Reconnect after the second: exactly the rest, then what happened meanwhile. */
  comment(a, &agent1, t->id, "while away", false);
  int64_t resumed[4];
  assert_int_equal(read_events(a, live[1], 4, resumed, NULL), 4);
  for (int i = 0; i < 3; i++) assert_int_equal(resumed[i], live[i + 2]);
  assert_int_equal(resumed[3], live[4] + 1);
  hub_arena_free(a);
}

/* ---------------------------------------------------------------- refusals of the rest */

/* The call's status must be `code` and name `field`: as the violation of INVALID_ARGUMENT,
 * at the start of the message of NOT_FOUND ("policy.calendar_id: no such calendar"). */
static void refused(hub_status st, hub_code code, const char *field, const char *what) {
  if (st.code != code) fail_msg("%s: got %s, want %s", what, hub_code_name(st.code), hub_code_name(code));
  if (field && code == HUB_NOT_FOUND) {
    size_t n = strlen(field);
    if (!st.message || strncmp(st.message, field, n) != 0 || st.message[n] != ':')
      fail_msg("%s: the message \"%s\" does not name %s", what, st.message ? st.message : "", field);
    return;
  }
  if (field && (!st.violations || strcmp(st.violations->field, field) != 0))
    fail_msg("%s: the violation names %s, want %s", what, st.violations ? st.violations->field : "nothing", field);
}

/* What driving hubd from outside found, through the real server: every refusal has its
 * right code and a finished message (never a format) naming the field, and stays small
 * enough for a default client's 8 KiB metadata limit. */
static void test_found_from_outside(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_call_options oo = hub_world_opts(&owner);
  /* A second team of the same name. */
  Hub__Ticket__V1__Team team = HUB__TICKET__V1__TEAM__INIT;
  team.name = "Twins";
  team.assignment = "manual";
  Hub__Ticket__V1__UpsertTeamRequest treq = HUB__TICKET__V1__UPSERT_TEAM_REQUEST__INIT;
  treq.team = &team;
  Hub__Ticket__V1__Team *tout;
  assert_int_equal(hub_ticket_v1_ticket_upsert_team_call(w.ch, &oo, a, &treq, &tout).code, HUB_OK);
  hub_status st = hub_ticket_v1_ticket_upsert_team_call(w.ch, &oo, a, &treq, &tout);
  assert_int_equal(st.code, HUB_ALREADY_EXISTS);
  assert_string_equal(st.message, "team.name: another team has this name");
  /* A subject that is not UTF-8 (Latin-1 "café"), refused as the request is decoded. */
  Hub__Ticket__V1__CreateTicketRequest creq = HUB__TICKET__V1__CREATE_TICKET_REQUEST__INIT;
  creq.subject = "caf\xE9";
  Ticket *t;
  refused(hub_ticket_v1_ticket_create_ticket_call(w.ch, &oo, a, &creq, &t), HUB_INVALID_ARGUMENT, "subject",
          "Latin-1 subject");
  /* A timestamp near INT64_MAX seconds. */
  Google__Protobuf__Timestamp far = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  far.seconds = INT64_MAX - 5;
  Hub__Ticket__V1__ListTicketsRequest lreq = HUB__TICKET__V1__LIST_TICKETS_REQUEST__INIT;
  lreq.updated_since = &far;
  Hub__Ticket__V1__ListTicketsResponse *lout;
  refused(hub_ticket_v1_ticket_list_tickets_call(w.ch, &oo, a, &lreq, &lout), HUB_INVALID_ARGUMENT, "updated_since",
          "updated_since near INT64_MAX");
  /* A 20,000-character update_mask path: the real error, small, not a metadata overflow. */
  Ticket *mine = create(a, &requester, "Masked", NULL, NULL, NULL);
  char *path = hub_arena_alloc(a, 20001);
  memset(path, 'p', 20000);
  path[20000] = '\0';
  Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
  mask.n_paths = 1;
  mask.paths = &path;
  Ticket info = HUB__TICKET__V1__TICKET_INFO__INIT;
  info.id = mine->id;
  Hub__Ticket__V1__UpdateTicketRequest ureq = HUB__TICKET__V1__UPDATE_TICKET_REQUEST__INIT;
  ureq.ticket = &info;
  ureq.update_mask = &mask;
  ureq.etag = mine->etag;
  st = hub_ticket_v1_ticket_update_ticket_call(w.ch, &oo, a, &ureq, &t);
  refused(st, HUB_INVALID_ARGUMENT, "update_mask", "20,000-character mask path");
  assert_true(strlen(st.message) <= HUB_STATUS_MESSAGE_MAX + 3);
  size_t details = 0;
  for (hub_violation *v = st.violations; v; v = v->next) details += strlen(v->field) + strlen(v->description);
  assert_true(details <= HUB_STATUS_VIOLATION_BYTES);
  /* Another tenant's team, or a team of nobody, on an update: NOT_FOUND naming the field. */
  char *team_path = "team_id";
  mask.paths = &team_path;
  info.team_id = "0190a000-0000-7000-8000-0000000000ee";
  refused(hub_ticket_v1_ticket_update_ticket_call(w.ch, &oo, a, &ureq, &t), HUB_NOT_FOUND, "ticket.team_id",
          "team of nobody");
  hub_arena_free(a);
}

static void test_input_refusals(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  hub_call_options oo = hub_world_opts(&owner);
  Ticket *t = create(a, &requester, "Refusals", NULL, NULL, NULL);

  Hub__Ticket__V1__BusinessCalendar cal = HUB__TICKET__V1__BUSINESS_CALENDAR__INIT;
  Hub__Ticket__V1__UpsertBusinessCalendarRequest creq = HUB__TICKET__V1__UPSERT_BUSINESS_CALENDAR_REQUEST__INIT;
  Hub__Ticket__V1__BusinessCalendar *cout;
  creq.calendar = &cal;
  cal.name = "Bad";
  cal.time_zone = "Mars/Olympus";
  cal.week = "mon-fri 09:00-17:00";
  refused(hub_ticket_v1_ticket_upsert_business_calendar_call(w.ch, &oo, a, &creq, &cout), HUB_INVALID_ARGUMENT,
          "calendar.time_zone", "calendar zone");
  cal.time_zone = "Europe/Berlin";
  cal.week = "mon-fri 17:00-09:00";
  refused(hub_ticket_v1_ticket_upsert_business_calendar_call(w.ch, &oo, a, &creq, &cout), HUB_INVALID_ARGUMENT,
          "calendar.week", "calendar week");
  cal.week = "mon-fri 09:00-17:00";
  char *bad_day[] = {"2026-13-01"};
  cal.holidays = bad_day;
  cal.n_holidays = 1;
  refused(hub_ticket_v1_ticket_upsert_business_calendar_call(w.ch, &oo, a, &creq, &cout), HUB_INVALID_ARGUMENT,
          "calendar.holidays", "calendar holiday");
  cal.n_holidays = 0;
  cal.id = "0190a000-0000-7000-8000-0000000000f1";
  refused(hub_ticket_v1_ticket_upsert_business_calendar_call(w.ch, &oo, a, &creq, &cout), HUB_NOT_FOUND, NULL,
          "calendar unknown id");

  Hub__Ticket__V1__SlaPolicy pol = HUB__TICKET__V1__SLA_POLICY__INIT;
  Hub__Ticket__V1__UpsertSlaPolicyRequest preq = HUB__TICKET__V1__UPSERT_SLA_POLICY_REQUEST__INIT;
  Hub__Ticket__V1__SlaPolicy *pout;
  preq.policy = &pol;
  pol.name = "No target";
  pol.position = 900;
  refused(hub_ticket_v1_ticket_upsert_sla_policy_call(w.ch, &oo, a, &preq, &pout), HUB_INVALID_ARGUMENT,
          "policy.resolution_seconds", "policy without target");
  pol.resolution_seconds = 60;
  pol.calendar_id = "0190a000-0000-7000-8000-0000000000f2";
  refused(hub_ticket_v1_ticket_upsert_sla_policy_call(w.ch, &oo, a, &preq, &pout), HUB_NOT_FOUND,
          "policy.calendar_id", "policy unknown calendar");
  pol.calendar_id = "";
  pol.first_response_seconds = -1;
  refused(hub_ticket_v1_ticket_upsert_sla_policy_call(w.ch, &oo, a, &preq, &pout), HUB_INVALID_ARGUMENT,
          "policy.first_response_seconds", "policy negative target");
  pol.first_response_seconds = 0;
  assert_int_equal(hub_ticket_v1_ticket_upsert_sla_policy_call(w.ch, &oo, a, &preq, &pout).code, HUB_OK);
  pol.name = "Same position";
  refused(hub_ticket_v1_ticket_upsert_sla_policy_call(w.ch, &oo, a, &preq, &pout), HUB_INVALID_ARGUMENT,
          "policy.position", "policy duplicate position");
  Hub__Ticket__V1__DeleteSlaPolicyRequest dreq = HUB__TICKET__V1__DELETE_SLA_POLICY_REQUEST__INIT;
  Hub__Ticket__V1__DeleteSlaPolicyResponse *dresp;
  dreq.id = "0190a000-0000-7000-8000-0000000000f3";
  refused(hub_ticket_v1_ticket_delete_sla_policy_call(w.ch, &oo, a, &dreq, &dresp), HUB_NOT_FOUND, NULL, "delete unknown policy");
  dreq.id = "nope";
  refused(hub_ticket_v1_ticket_delete_sla_policy_call(w.ch, &oo, a, &dreq, &dresp), HUB_INVALID_ARGUMENT, "id",
          "delete policy bad id");

  Hub__Ticket__V1__Team team = HUB__TICKET__V1__TEAM__INIT;
  Hub__Ticket__V1__UpsertTeamRequest treq = HUB__TICKET__V1__UPSERT_TEAM_REQUEST__INIT;
  Hub__Ticket__V1__Team *tout;
  treq.team = &team;
  team.name = "Bad mode";
  team.assignment = "random";
  refused(hub_ticket_v1_ticket_upsert_team_call(w.ch, &oo, a, &treq, &tout), HUB_INVALID_ARGUMENT, "team.assignment",
          "team mode");
  team.assignment = "manual";
  char *bad_ids[] = {"agent-one"};
  team.member_ids = bad_ids;
  team.n_member_ids = 1;
  refused(hub_ticket_v1_ticket_upsert_team_call(w.ch, &oo, a, &treq, &tout), HUB_INVALID_ARGUMENT,
          "team.member_ids[0]", "team member id");

  Hub__Ticket__V1__SetAgentAwayRequest areq = HUB__TICKET__V1__SET_AGENT_AWAY_REQUEST__INIT;
  Hub__Ticket__V1__SetAgentAwayResponse *aresp;
  areq.user_id = "nope";
  refused(hub_ticket_v1_ticket_set_agent_away_call(w.ch, &oo, a, &areq, &aresp), HUB_INVALID_ARGUMENT, "user_id",
          "away bad id");
  areq.user_id = "0190a000-0000-7000-8000-0000000000f4";
  refused(hub_ticket_v1_ticket_set_agent_away_call(w.ch, &oo, a, &areq, &aresp), HUB_NOT_FOUND, NULL, "away non-member");

  Hub__Ticket__V1__AddCommentRequest com = HUB__TICKET__V1__ADD_COMMENT_REQUEST__INIT;
  Hub__Ticket__V1__Comment *cm;
  com.ticket_id = t->id;
  com.body = "";
  refused(hub_ticket_v1_ticket_add_comment_call(w.ch, &oo, a, &com, &cm), HUB_INVALID_ARGUMENT, "body", "empty comment");
  com.body = "x";
  com.time_spent_seconds = -5;
  refused(hub_ticket_v1_ticket_add_comment_call(w.ch, &oo, a, &com, &cm), HUB_INVALID_ARGUMENT, "time_spent_seconds",
          "negative time");
  com.time_spent_seconds = 0;
  com.ticket_id = "0190a000-0000-7000-8000-0000000000f5";
  refused(hub_ticket_v1_ticket_add_comment_call(w.ch, &oo, a, &com, &cm), HUB_NOT_FOUND, NULL, "comment unknown ticket");

  Hub__Ticket__V1__ListCommentsRequest lc = HUB__TICKET__V1__LIST_COMMENTS_REQUEST__INIT;
  Hub__Ticket__V1__ListCommentsResponse *lcr;
  lc.ticket_id = t->id;
  lc.page_token = "not a token";
  refused(hub_ticket_v1_ticket_list_comments_call(w.ch, &oo, a, &lc, &lcr), HUB_INVALID_ARGUMENT, "page_token",
          "comments token");
  lc.page_token = "";
  lc.page_size = -1;
  refused(hub_ticket_v1_ticket_list_comments_call(w.ch, &oo, a, &lc, &lcr), HUB_INVALID_ARGUMENT, "page_size",
          "comments page size");
  Hub__Ticket__V1__ListTicketEventsRequest le = HUB__TICKET__V1__LIST_TICKET_EVENTS_REQUEST__INIT;
  Hub__Ticket__V1__ListTicketEventsResponse *ler;
  le.ticket_id = "nope";
  refused(hub_ticket_v1_ticket_list_ticket_events_call(w.ch, &oo, a, &le, &ler), HUB_INVALID_ARGUMENT, "ticket_id",
          "events bad id");

  Hub__Ticket__V1__GetTicketRequest g = HUB__TICKET__V1__GET_TICKET_REQUEST__INIT;
  Ticket *out;
  refused(hub_ticket_v1_ticket_get_ticket_call(w.ch, &oo, a, &g, &out), HUB_INVALID_ARGUMENT, "id", "get neither");
  g.number = 999999;
  refused(hub_ticket_v1_ticket_get_ticket_call(w.ch, &oo, a, &g, &out), HUB_NOT_FOUND, NULL, "get unknown number");
  Hub__Ticket__V1__RateTicketRequest rq = HUB__TICKET__V1__RATE_TICKET_REQUEST__INIT;
  rq.id = t->id;
  rq.score = 6;
  refused(hub_ticket_v1_ticket_rate_ticket_call(w.ch, &oo, a, &rq, &out), HUB_INVALID_ARGUMENT, "score", "score 6");
  Hub__Ticket__V1__SplitTicketRequest sq = HUB__TICKET__V1__SPLIT_TICKET_REQUEST__INIT;
  sq.id = t->id;
  sq.subject = "Split";
  refused(hub_ticket_v1_ticket_split_ticket_call(w.ch, &oo, a, &sq, &out), HUB_INVALID_ARGUMENT, "comment_ids",
          "split without comments");
  Hub__Ticket__V1__DeleteTicketRequest dq = HUB__TICKET__V1__DELETE_TICKET_REQUEST__INIT;
  Hub__Ticket__V1__UndeleteTicketRequest uq = HUB__TICKET__V1__UNDELETE_TICKET_REQUEST__INIT;
  uq.id = t->id;
  refused(hub_ticket_v1_ticket_undelete_ticket_call(w.ch, &oo, a, &uq, &out), HUB_FAILED_PRECONDITION, NULL,
          "undelete a live ticket");
  dq.id = "nope";
  refused(hub_ticket_v1_ticket_delete_ticket_call(w.ch, &oo, a, &dq, &out), HUB_INVALID_ARGUMENT, "id", "delete bad id");

  Hub__Ticket__V1__ReportSlaRequest rr = HUB__TICKET__V1__REPORT_SLA_REQUEST__INIT;
  Hub__Ticket__V1__ReportSlaResponse *rep;
  Google__Protobuf__Timestamp from = GOOGLE__PROTOBUF__TIMESTAMP__INIT, to = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  from.seconds = 2000;
  to.seconds = 1000;
  rr.from = &from;
  rr.to = &to;
  refused(hub_ticket_v1_ticket_report_sla_call(w.ch, &oo, a, &rr, &rep), HUB_INVALID_ARGUMENT, "to", "report range");

  Hub__Ticket__V1__WatchTicketsRequest wq = HUB__TICKET__V1__WATCH_TICKETS_REQUEST__INIT;
  wq.resume_after_seq = -1;
  hub_client_stream *s;
  hub_call_options wo = hub_world_opts(&owner);
  hub_status st = hub_ticket_v1_ticket_watch_tickets_start(w.ch, &wo, a, &wq, &s);
  if (hub_ok(st)) {
    ProtobufCMessage *m = NULL;
    while (hub_ok(st = hub_client_stream_recv(s, &m)) && m) {
    }
    st = hub_client_stream_finish(s);
  }
  refused(st, HUB_INVALID_ARGUMENT, NULL, "watch negative resume");
  hub_arena_free(a);
}

/* ---------------------------------------------------------------- the contract's field rules */

static char *upper(hub_arena *a, const char *s) {
  char *u = hub_arena_strdup(a, s);
  for (char *p = u; *p; p++) *p = (char)toupper((unsigned char)*p);
  return u;
}

/* The rules of ticket.proto refuse a request before the handler, naming every bad field in
 * one google.rpc.BadRequest (decoded from the status details by the client). */
static void test_rules_report_every_violation(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Hub__Ticket__V1__CreateTicketRequest req = HUB__TICKET__V1__CREATE_TICKET_REQUEST__INIT;
  char *tags[] = {"fine", "not fine!"};
  req.subject = "";
  req.priority = (Hub__Ticket__V1__Priority)9;
  req.n_tags = 2, req.tags = tags;
  req.team_id = "team-seven";
  req.requester_email = "nobody";
  Ticket *t = NULL;
  hub_call_options o = hub_world_opts(&agent1);
  hub_status st = hub_ticket_v1_ticket_create_ticket_call(w.ch, &o, a, &req, &t);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  const char *want[] = {"subject", "requester_email", "priority", "tags[1]", "team_id"};
  size_t n = 0;
  for (hub_violation *v = st.violations; v; v = v->next, n++) {
    assert_true(n < 5);
    assert_string_equal(v->field, want[n]);
  }
  assert_int_equal(n, 5);
  assert_string_equal(st.message, "subject: required (and 4 more violations)");
  char *none = count("SELECT count(*) FROM tickets WHERE subject = '%s'", "");
  assert_string_equal(none, "0");
  free(none);
  hub_arena_free(a);
}

/* A UUID in upper case names the same thing as in lower case, and what is stored and
 * answered is lower case: a request_id sent both ways is one ticket. */
static void test_upper_case_uuids_are_taken_and_stored_lower(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  const char *request_id = "0190ABCD-0000-7000-8000-00000000C0DE";
  Hub__Ticket__V1__CreateTicketRequest req = HUB__TICKET__V1__CREATE_TICKET_REQUEST__INIT;
  req.subject = "Upper-case ids";
  req.request_id = (char *)request_id;
  req.requester_user_id = upper(a, requester.user_id);
  Ticket *t = NULL;
  hub_call_options o = hub_world_opts(&agent1);
  hub_status st = hub_ticket_v1_ticket_create_ticket_call(w.ch, &o, a, &req, &t);
  if (!hub_ok(st)) fail_msg("CreateTicket: %s %s", hub_code_name(st.code), st.message);
  assert_string_equal(t->requester_user_id, requester.user_id);
  char *stored = count("SELECT request_id::text FROM tickets WHERE id = '%s'", t->id);
  assert_string_equal(stored, "0190abcd-0000-7000-8000-00000000c0de");
  free(stored);
  Ticket *again = create(a, &agent1, "Upper-case ids", NULL, "0190abcd-0000-7000-8000-00000000c0de", NULL);
  assert_string_equal(again->id, t->id);
  Ticket *got = get(a, upper(a, t->id));
  assert_string_equal(got->id, t->id);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_numbers_are_gap_free_and_create_is_idempotent),
      cmocka_unit_test(test_concurrent_creates_with_one_request_id_make_one_ticket),
      cmocka_unit_test(test_etag_one_wins_one_aborted),
      cmocka_unit_test(test_workflow_over_the_api),
      cmocka_unit_test(test_first_response_and_events),
      cmocka_unit_test(test_assignment_round_robin_least_loaded_and_away),
      cmocka_unit_test(test_merge_and_split_keep_history),
      cmocka_unit_test(test_sla_warning_breach_pause_and_report),
      cmocka_unit_test(test_csat_trash_and_keyset_pages),
      cmocka_unit_test(test_watch_in_order_and_resume),
      cmocka_unit_test(test_input_refusals),
      cmocka_unit_test(test_found_from_outside),
      cmocka_unit_test(test_rules_report_every_violation),
      cmocka_unit_test(test_upper_case_uuids_are_taken_and_stored_lower),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
