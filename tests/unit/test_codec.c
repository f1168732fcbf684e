/* The codec: split message fields merged the way the protobuf spec says (protobuf-c 1.4.1
 * loses enums there; proto/codec/merge.c works around it), and the UTF-8 check that every
 * request's strings go through, with the path of each bad field. */
#include <grpc/grpc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "hub/clock.h"
#include "hub/ticket/v1/ticket.pb-c.h"
#include "hub/utf8.h"

typedef Hub__Ticket__V1__UpdateTicketRequest Req;
typedef Hub__Ticket__V1__TicketInfo Info;

/* Packs the requests one after another: one message on the wire, in parts. */
static grpc_byte_buffer *concat(const Req *const *parts, size_t n) {
  uint8_t buf[4096];
  size_t len = 0;
  for (size_t i = 0; i < n; i++) len += hub__ticket__v1__update_ticket_request__pack(parts[i], buf + len);
  grpc_slice s = grpc_slice_from_copied_buffer((const char *)buf, len);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  return bb;
}

static Req *decode(hub_arena *a, const Req *const *parts, size_t n) {
  grpc_byte_buffer *bb = concat(parts, n);
  Req *r = (Req *)hub_codec_decode(a, bb, &hub__ticket__v1__update_ticket_request__descriptor);
  grpc_byte_buffer_destroy(bb);
  return r;
}

static void test_split_message_keeps_enums_in_either_order(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Info i1 = HUB__TICKET__V1__TICKET_INFO__INIT, i2 = HUB__TICKET__V1__TICKET_INFO__INIT;
  i1.id = "0190a0a0-0000-7000-8000-000000000001";
  i2.priority = HUB__TICKET__V1__PRIORITY__PRIORITY_HIGH;
  i2.status = HUB__TICKET__V1__STATUS__STATUS_PENDING;
  i2.subject = "printer on fire";
  Req r1 = HUB__TICKET__V1__UPDATE_TICKET_REQUEST__INIT, r2 = HUB__TICKET__V1__UPDATE_TICKET_REQUEST__INIT;
  r1.ticket = &i1;
  r2.ticket = &i2;
  r2.etag = "7";
  const Req *orders[2][2] = {{&r1, &r2}, {&r2, &r1}};
  for (int o = 0; o < 2; o++) {
    Req *m = decode(a, orders[o], 2);
    assert_non_null(m);
    assert_string_equal(m->ticket->id, i1.id);
    assert_string_equal(m->ticket->subject, "printer on fire");
    assert_int_equal(m->ticket->priority, HUB__TICKET__V1__PRIORITY__PRIORITY_HIGH);
    assert_int_equal(m->ticket->status, HUB__TICKET__V1__STATUS__STATUS_PENDING);
    assert_string_equal(m->etag, "7");
  }
  hub_arena_free(a);
}

/* Parts split at three depths at once; scalars: the last wins; repeated: appended. */
static void test_split_at_every_depth(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Google__Protobuf__Timestamp due = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  due.seconds = 1700000000;
  Hub__Ticket__V1__SlaTarget t1 = HUB__TICKET__V1__SLA_TARGET__INIT, t2 = HUB__TICKET__V1__SLA_TARGET__INIT;
  t1.due_at = &due;
  t2.breached = true;
  t2.remaining_seconds = -5;
  Hub__Ticket__V1__SlaState s1 = HUB__TICKET__V1__SLA_STATE__INIT, s2 = HUB__TICKET__V1__SLA_STATE__INIT;
  s1.first_response = &t1;
  s1.policy_id = "p1";
  s2.first_response = &t2;
  s2.paused = true;
  char *tags1[] = {"a"}, *tags2[] = {"b", "c"};
  Info i1 = HUB__TICKET__V1__TICKET_INFO__INIT, i2 = HUB__TICKET__V1__TICKET_INFO__INIT, i3 = HUB__TICKET__V1__TICKET_INFO__INIT;
  i1.sla = &s1;
  i1.subject = "first";
  i1.n_tags = 1;
  i1.tags = tags1;
  i1.priority = HUB__TICKET__V1__PRIORITY__PRIORITY_URGENT;
  i2.sla = &s2;
  i2.subject = "second";
  i2.n_tags = 2;
  i2.tags = tags2;
  i3.status = HUB__TICKET__V1__STATUS__STATUS_SOLVED;
  Req r1 = HUB__TICKET__V1__UPDATE_TICKET_REQUEST__INIT, r2 = HUB__TICKET__V1__UPDATE_TICKET_REQUEST__INIT,
      r3 = HUB__TICKET__V1__UPDATE_TICKET_REQUEST__INIT;
  r1.ticket = &i1;
  r2.ticket = &i2;
  r3.ticket = &i3;
  const Req *parts[3] = {&r1, &r2, &r3};
  Req *m = decode(a, parts, 3);
  assert_non_null(m);
  Info *t = m->ticket;
  assert_string_equal(t->subject, "second");
  assert_int_equal(t->priority, HUB__TICKET__V1__PRIORITY__PRIORITY_URGENT);
  assert_int_equal(t->status, HUB__TICKET__V1__STATUS__STATUS_SOLVED);
  assert_int_equal(t->n_tags, 3);
  assert_string_equal(t->tags[0], "a");
  assert_string_equal(t->tags[2], "c");
  assert_non_null(t->sla);
  assert_string_equal(t->sla->policy_id, "p1");
  assert_true(t->sla->paused);
  assert_non_null(t->sla->first_response);
  assert_true(t->sla->first_response->breached);
  assert_int_equal(t->sla->first_response->remaining_seconds, -5);
  assert_non_null(t->sla->first_response->due_at);
  assert_int_equal(t->sla->first_response->due_at->seconds, 1700000000);
  hub_arena_free(a);
}

static void test_unsplit_and_garbage(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Info i = HUB__TICKET__V1__TICKET_INFO__INIT;
  i.priority = HUB__TICKET__V1__PRIORITY__PRIORITY_LOW;
  Req r = HUB__TICKET__V1__UPDATE_TICKET_REQUEST__INIT;
  r.ticket = &i;
  const Req *one[1] = {&r};
  Req *m = decode(a, one, 1);
  assert_non_null(m);
  assert_int_equal(m->ticket->priority, HUB__TICKET__V1__PRIORITY__PRIORITY_LOW);
  /* A field 1 whose length runs past the end, then one claiming 4 GiB: refused, not read. */
  static const uint8_t bad1[] = {0x0a, 0x05, 0x22, 0x01}, bad2[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
  const uint8_t *bads[2] = {bad1, bad2};
  size_t lens[2] = {sizeof bad1, sizeof bad2};
  for (int k = 0; k < 2; k++) {
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)bads[k], lens[k]);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    assert_null(hub_codec_decode(a, bb, &hub__ticket__v1__update_ticket_request__descriptor));
    grpc_byte_buffer_destroy(bb);
  }
  hub_arena_free(a);
}

static Req *decode_bytes(hub_arena *a, const uint8_t *bytes, size_t len) {
  grpc_slice s = grpc_slice_from_copied_buffer((const char *)bytes, len);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  Req *r = (Req *)hub_codec_decode(a, bb, &hub__ticket__v1__update_ticket_request__descriptor);
  grpc_byte_buffer_destroy(bb);
  return r;
}

/* Parts that are all empty merge into one empty message (found by fuzz_request: the merge
 * then rewrote "no bytes" from a NULL buffer). */
static void test_empty_parts(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  static const uint8_t two_empty[] = {0x0a, 0x00, 0x0a, 0x00};
  Req *m = decode_bytes(a, two_empty, sizeof two_empty);
  assert_non_null(m);
  assert_non_null(m->ticket);
  assert_int_equal(m->ticket->priority, 0);
  hub_arena_free(a);
}

/* A request's parts cost time in proportion to their number: a million parts of `ticket` (2 MB,
 * half of the default HUB_MAX_RECV_BYTES) merge in well under a second. Merging used to look
 * ahead for a later part at every part, and this request took hours. */
static void test_many_parts_in_linear_time(void **state) {
  (void)state;
  enum { PARTS = 1000000 };
  hub_arena *a = hub_arena_new(0);
  Info last = HUB__TICKET__V1__TICKET_INFO__INIT;
  last.priority = HUB__TICKET__V1__PRIORITY__PRIORITY_HIGH;
  size_t tail = hub__ticket__v1__ticket_info__get_packed_size(&last);
  uint8_t *buf = malloc(2 * PARTS + 2 + tail);
  assert_non_null(buf);
  for (size_t i = 0; i < PARTS; i++) buf[2 * i] = 0x0a, buf[2 * i + 1] = 0x00;
  buf[2 * PARTS] = 0x0a, buf[2 * PARTS + 1] = (uint8_t)tail;
  hub__ticket__v1__ticket_info__pack(&last, buf + 2 * PARTS + 2);
  int64_t t0 = hub_clock_mono_us();
  Req *m = decode_bytes(a, buf, 2 * PARTS + 2 + tail);
  int64_t took_us = hub_clock_mono_us() - t0;
  free(buf);
  assert_non_null(m);
  assert_int_equal(m->ticket->priority, HUB__TICKET__V1__PRIORITY__PRIORITY_HIGH);
  assert_true(took_us < 10 * 1000000); /* about 0.1 s; a sanitizer build is slower */
  hub_arena_free(a);
}

static void test_utf8_rules(void **state) {
  (void)state;
  static const struct {
    const char *s;
    bool ok;
  } cases[] = {
      {"plain", true}, {"gr\xC3\xBC\xC3\x9F" "e", true}, {"\xE2\x82\xAC", true}, {"\xF0\x9F\x98\x80", true},
      {"\xC0\xAF", false},          /* overlong '/' */
      {"\xE0\x80\xAF", false},      /* overlong, 3 bytes */
      {"\xED\xA0\x80", false},      /* a surrogate */
      {"\xF4\x90\x80\x80", false},  /* past U+10FFFF */
      {"\xC3", false},              /* truncated */
      {"\x80", false},              /* a lone continuation byte */
      {"\xFF", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_int_equal(hub_utf8_valid(cases[i].s, strlen(cases[i].s)), cases[i].ok);
  char out[64 + 4];
  hub_utf8_clip(out, "ab\x01\xFF" "cd", 10, 64);
  assert_string_equal(out, "ab??cd");
  hub_utf8_clip(out, "\xC3\xBC\xC3\xBC\xC3\xBC", 2, 64);
  assert_string_equal(out, "\xC3\xBC\xC3\xBC\xE2\x80\xA6");
  hub_utf8_clip(out, "abc\xC3\xBC", 10, 4); /* never splits a character */
  assert_string_equal(out, "abc\xE2\x80\xA6");
}

static void test_request_strings_checked_with_paths(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *tags[] = {"ok", "bad\xC3"};
  Info i = HUB__TICKET__V1__TICKET_INFO__INIT;
  i.subject = "caf\xE9"; /* Latin-1, not UTF-8 */
  i.n_tags = 2;
  i.tags = tags;
  i.description = "\xF0\x9F\x93\x8E attached";
  Req r = HUB__TICKET__V1__UPDATE_TICKET_REQUEST__INIT;
  r.ticket = &i;
  r.etag = "\xED\xA0\x80";
  hub_status st = HUB_STATUS_OK;
  assert_false(hub_codec_check_utf8(a, &r.base, &st));
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  const char *want[] = {"ticket.subject", "ticket.tags[1]", "etag"};
  size_t n = 0;
  for (hub_violation *v = st.violations; v; v = v->next, n++) {
    assert_true(n < 3);
    assert_string_equal(v->field, want[n]);
    assert_string_equal(v->description, "not valid UTF-8");
  }
  assert_int_equal(n, 3);
  assert_string_equal(st.message, "ticket.subject: not valid UTF-8");

  i.subject = "caf\xC3\xA9";
  tags[1] = "fine";
  r.etag = "1";
  hub_status ok = HUB_STATUS_OK;
  assert_true(hub_codec_check_utf8(a, &r.base, &ok));
  assert_true(hub_ok(ok));
  hub_arena_free(a);
}

static void test_timestamps_in_range(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  Hub__Ticket__V1__SlaTarget t = HUB__TICKET__V1__SLA_TARGET__INIT;
  t.due_at = &ts;
  const int64_t ok_seconds[] = {0, -62135596800LL, 253402300799LL, 1700000000};
  for (size_t i = 0; i < 4; i++) {
    ts.seconds = ok_seconds[i];
    hub_status st = HUB_STATUS_OK;
    assert_true(hub_codec_check_utf8(a, &t.base, &st));
  }
  const int64_t bad_seconds[] = {INT64_MAX - 5, 253402300800LL, -62135596801LL};
  for (size_t i = 0; i < 3; i++) {
    ts.seconds = bad_seconds[i];
    hub_status st = HUB_STATUS_OK;
    assert_false(hub_codec_check_utf8(a, &t.base, &st));
    assert_string_equal(st.violations->field, "due_at");
  }
  ts.seconds = 0;
  ts.nanos = 1000000000;
  hub_status st = HUB_STATUS_OK;
  assert_false(hub_codec_check_utf8(a, &t.base, &st));
  hub_arena_free(a);
}

int main(void) {
  grpc_init();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_split_message_keeps_enums_in_either_order),
      cmocka_unit_test(test_split_at_every_depth),
      cmocka_unit_test(test_unsplit_and_garbage),
      cmocka_unit_test(test_empty_parts),
      cmocka_unit_test(test_many_parts_in_linear_time),
      cmocka_unit_test(test_utf8_rules),
      cmocka_unit_test(test_request_strings_checked_with_paths),
      cmocka_unit_test(test_timestamps_in_range),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  grpc_shutdown();
  return rc;
}
