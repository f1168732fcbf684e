/* The code generator, tested on its real output: tests/unit/proto/gentest is compiled by
 * protoc + protoc-gen-hub at build time and linked here; the refusals run protoc on the
 * bad contracts and expect the build to fail with a message naming the RPC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gentest/v1/gentest.hub-server.h"
#include "gentest/v1/gentest.hub.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "hub/api/v1/rules.pb-c.h"
#include "hub/descriptors.h"
#include "hub/validate.h"

extern const hub_message_rules hub_rules_gentest__v1__rule_case; /* generated in hub_rules.c */

/* The handlers the dispatch table points at (never called here). */
hub_status hub_gentest_v1_widgets_get_widget(hub_call *c, const Gentest__V1__GetWidgetRequest *q, Gentest__V1__Widget *r) {
  (void)c, (void)q, (void)r;
  return HUB_STATUS_OK;
}
hub_status hub_gentest_v1_widgets_watch_widgets(hub_call *c, const Gentest__V1__GetWidgetRequest *q, hub_stream *s) {
  (void)c, (void)q, (void)s;
  return HUB_STATUS_OK;
}
hub_status hub_gentest_v1_widgets_upload_widgets(hub_call *c, hub_stream *s, Gentest__V1__GetWidgetRequest *r) {
  (void)c, (void)s, (void)r;
  return HUB_STATUS_OK;
}
hub_status hub_gentest_v1_widgets_chat_widgets(hub_call *c, hub_stream *s) {
  (void)c, (void)s;
  return HUB_STATUS_OK;
}
/* Counts the requests that reach it, to show the adapter stops an invalid one before. */
static int check_rules_calls;
hub_status hub_gentest_v1_widgets_check_rules(hub_call *c, const Gentest__V1__RuleCase *q, Gentest__V1__Widget *r) {
  (void)c, (void)q, (void)r;
  check_rules_calls++;
  return HUB_STATUS_OK;
}

/* The adapter takes the call's arena; this test's calls are all this one arena. */
static hub_arena *test_arena;
hub_arena *hub_call_arena(hub_call *call) {
  (void)call;
  return test_arena;
}

static const hub_method_def *server_method(const char *name) {
  for (size_t i = 0; i < hub_gentest_v1_widgets_service.n_methods; i++)
    if (strcmp(hub_gentest_v1_widgets_service.methods[i].name, name) == 0) return &hub_gentest_v1_widgets_service.methods[i];
  return NULL;
}

static void test_dispatch_table(void **state) {
  (void)state;
  assert_string_equal(hub_gentest_v1_widgets_service.name, "gentest.v1.Widgets");
  assert_int_equal(hub_gentest_v1_widgets_service.n_methods, 5);
  const hub_method_def *get = server_method("GetWidget");
  assert_non_null(get);
  assert_string_equal(get->path, "/gentest.v1.Widgets/GetWidget");
  assert_int_equal(get->streaming, HUB_UNARY);
  assert_ptr_equal(get->input, &gentest__v1__get_widget_request__descriptor);
  assert_ptr_equal(get->output, &gentest__v1__widget__descriptor);
  assert_string_equal(get->access.permission, "gentest.widgets.view");
  assert_false(get->access.is_public);
  assert_true(get->idempotent);
  assert_non_null(get->invoke);

  const hub_method_def *watch = server_method("WatchWidgets");
  assert_int_equal(watch->streaming, HUB_SERVER_STREAMING);
  assert_true(watch->access.is_public);
  assert_null(watch->access.permission);
  assert_false(watch->idempotent);
  assert_int_equal(server_method("UploadWidgets")->streaming, HUB_CLIENT_STREAMING);
  assert_int_equal(server_method("ChatWidgets")->streaming, HUB_BIDI_STREAMING);
  assert_string_equal(server_method("ChatWidgets")->access.permission, "gentest.widgets.update");
}

static void test_client_view_and_lookup(void **state) {
  (void)state;
  assert_null(hub_gentest_v1_widgets_get_widget_method.invoke);
  assert_ptr_equal(hub_method_find("/gentest.v1.Widgets/GetWidget"), &hub_gentest_v1_widgets_get_widget_method);
  assert_ptr_equal(hub_method_find("gentest.v1.Widgets/GetWidget"), &hub_gentest_v1_widgets_get_widget_method);
  assert_ptr_equal(hub_method_find("gentest.v1.Widgets.ChatWidgets"), &hub_gentest_v1_widgets_chat_widgets_method);
  assert_null(hub_method_find("gentest.v1.Widgets/Nope"));
  assert_null(hub_method_find("nonsense"));
  /* The table is sorted by path, which hub_method_find's binary search relies on. */
  for (size_t i = 1; i < hub_all_methods_count; i++)
    assert_true(strcmp(hub_all_methods[i - 1]->path, hub_all_methods[i]->path) < 0);
}

static void test_reflection_data(void **state) {
  (void)state;
  const hub_file_descriptor *f = hub_descriptor_by_symbol("gentest.v1.Widgets");
  assert_non_null(f);
  assert_string_equal(f->name, "gentest/v1/gentest.proto");
  assert_ptr_equal(hub_descriptor_by_symbol(".gentest.v1.Widget.Part"), f);
  assert_ptr_equal(hub_descriptor_by_symbol("gentest.v1.Widgets.GetWidget"), f);
  assert_ptr_equal(hub_descriptor_by_symbol("gentest.v1.Widget.parts"), f); /* a field: its message's file */
  assert_null(hub_descriptor_by_symbol("gentest.v2.Widgets"));
  assert_int_equal(f->n_deps, 3);
  assert_string_equal(f->deps[0], "hub/api/v1/access.proto");
  assert_string_equal(f->deps[1], "hub/api/v1/rules.proto");
  const hub_file_descriptor *acc = hub_descriptor_by_file("hub/api/v1/access.proto");
  assert_non_null(acc);
  assert_non_null(hub_descriptor_by_file("google/protobuf/descriptor.proto"));
  assert_ptr_equal(hub_descriptor_by_symbol("hub.api.v1.access"), acc); /* the extension */
  /* The bytes are a FileDescriptorProto that carries the source comments. */
  assert_true(f->len > 100);
  assert_non_null(memmem(f->bytes, f->len, "GetWidget is unary and idempotent.", 34));
  /* ... and the access option, kept as the unknown field protoc gave us. */
  assert_non_null(memmem(f->bytes, f->len, "gentest.widgets.view", 20));
}


/* ---- field rules (proto/hub/api/v1/rules.proto) ---- */

/* A RuleCase that meets every rule; tests spoil one field or several. */
typedef struct rule_case {
  Gentest__V1__RuleCase msg;
  Gentest__V1__Inner inner, item;
  Gentest__V1__Inner *items[1];
  Hub__Api__V1__Money price;
  char *tags[3], *ids[2];
  char id[37], id0[37], pick[37];
} rule_case;

static void valid_case(rule_case *c) {
  memset(c, 0, sizeof *c);
  gentest__v1__rule_case__init(&c->msg);
  gentest__v1__inner__init(&c->inner);
  gentest__v1__inner__init(&c->item);
  hub__api__v1__money__init(&c->price);
  c->inner.code = "ok_1";
  c->item.code = "also";
  c->items[0] = &c->item;
  c->price.currency_code = "EUR";
  c->price.amount_minor = -1999;
  strcpy(c->id, "0190A2B4-C5D6-7E8F-9A0B-1C2D3E4F5A6B");
  strcpy(c->id0, "0190a2b4-c5d6-7e8f-9a0b-1c2d3e4f5a6C");
  strcpy(c->pick, "ABCDEF01-2345-6789-ABCD-EF0123456789");
  c->tags[0] = "a-b", c->tags[1] = "x:Y", c->tags[2] = "z_9";
  c->ids[0] = c->id0;
  c->msg.name = "héllo"; /* 5 characters, 6 bytes */
  c->msg.id = c->id;
  c->msg.email = "a@example.com";
  c->msg.slug = "my-slug1";
  c->msg.day = "2024-02-29"; /* a leap day */
  c->msg.ident = "my_id2";
  c->msg.n_tags = 3, c->msg.tags = c->tags;
  c->msg.count = 10;
  c->msg.offset = 0;
  c->msg.small = 3;
  c->msg.colour = GENTEST__V1__COLOUR__COLOUR_RED;
  c->msg.shade = GENTEST__V1__COLOUR__COLOUR_UNSPECIFIED;
  c->msg.n_ids = 1, c->msg.ids = c->ids;
  c->msg.inner = &c->inner;
  c->msg.n_inners = 1, c->msg.inners = c->items;
  c->msg.price = &c->price;
  c->msg.text = "two\nlines";
  c->msg.pick_case = GENTEST__V1__RULE_CASE__PICK_PICK_ID;
  c->msg.pick_id = c->pick;
}

/* "field=description; ..." of every violation, for one comparison per case. */
static const char *violations(hub_arena *a, hub_status st) {
  char *out = "";
  for (hub_violation *v = st.violations; v; v = v->next)
    out = hub_arena_sprintf(a, "%s%s%s=%s", out, *out ? "; " : "", v->field, v->description);
  return out;
}

static hub_status check(hub_arena *a, rule_case *c) {
  return hub_validate(a, &hub_rules_gentest__v1__rule_case, &c->msg.base);
}

static void test_rules_tables(void **state) {
  (void)state;
  assert_ptr_equal(server_method("CheckRules")->rules, &hub_rules_gentest__v1__rule_case);
  assert_ptr_equal(hub_gentest_v1_widgets_check_rules_method.rules, &hub_rules_gentest__v1__rule_case);
  assert_null(server_method("GetWidget")->rules); /* GetWidgetRequest declares none */
  assert_ptr_equal(hub_rules_gentest__v1__rule_case.descriptor, &gentest__v1__rule_case__descriptor);
}

static void test_rules_accept_a_valid_request_and_lower_uuids(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(4096);
  rule_case c;
  valid_case(&c);
  hub_status st = check(a, &c);
  assert_int_equal(st.code, HUB_OK);
  assert_string_equal(c.msg.id, "0190a2b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b");
  assert_string_equal(c.msg.ids[0], "0190a2b4-c5d6-7e8f-9a0b-1c2d3e4f5a6c");
  assert_string_equal(c.msg.pick_id, "abcdef01-2345-6789-abcd-ef0123456789");
  /* Empty optional values skip their rules; an unset oneof member is not looked at. */
  c.msg.id = "", c.msg.email = "", c.msg.slug = "", c.msg.price = NULL, c.msg.n_inners = 0;
  c.msg.pick_case = GENTEST__V1__RULE_CASE__PICK_PICK_NAME, c.msg.pick_name = "NOT-A-UUID";
  assert_int_equal(check(a, &c).code, HUB_OK);
  hub_arena_free(a);
}

static void test_rules_report_every_violation_at_once(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(4096);
  rule_case c;
  valid_case(&c);
  char *tags[4] = {"ok", "toolong", "ok", "b@d"};
  char *ids[1] = {"0190a2b4-c5d6-7e8f-9a0b-1c2d3e4f5a6"};
  c.msg.name = "x";
  c.msg.id = "not-a-uuid";
  c.msg.email = "nobody";
  c.msg.slug = "-lead";
  c.msg.ident = "9x";
  c.msg.n_tags = 4, c.msg.tags = tags;
  c.msg.count = 0;
  c.msg.offset = -1;
  c.msg.small = 4;
  c.msg.colour = GENTEST__V1__COLOUR__COLOUR_UNSPECIFIED;
  c.msg.shade = (Gentest__V1__Colour)7;
  c.msg.n_ids = 1, c.msg.ids = ids;
  c.msg.inner = NULL;
  c.item.code = "Upper";
  c.price.currency_code = "eur";
  c.msg.text = "tab\tand\x01";
  c.msg.pick_id = "nope";
  c.msg.day = "2026-02-29";
  hub_status st = check(a, &c);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(violations(a, st),
                      "name=at least 2 characters; id=not a UUID; email=not an email address; "
                      "slug=lower-case letters, digits and '-', not first; "
                      "ident=a lower-case letter, then letters, digits and '_'; tags=at most 3 items; "
                      "count=must be 1 to 10; offset=must be at least 0; small=must be at most 3; colour=required; "
                      "shade=not a value of the enum; ids[0]=not a UUID; inner=required; "
                      "inners[0].code=a lower-case letter, then letters, digits and '_'; "
                      "price.currency_code=an ISO-4217 code: three upper-case letters; "
                      "text=no control characters but tab and line breaks; pick_id=not a UUID; "
                      "day=not a date (YYYY-MM-DD, a day that exists)");
  assert_string_equal(st.message, "name: at least 2 characters (and 17 more violations)");

  /* Items of a list within bounds are checked one by one, repeats included. */
  valid_case(&c);
  char *tags2[3] = {"ok", "toolong", "ok"};
  c.msg.n_tags = 3, c.msg.tags = tags2;
  c.msg.name = "abcdef";
  c.msg.n_ids = 0;
  c.msg.text = "0123456789é";
  st = check(a, &c);
  assert_string_equal(violations(a, st), "name=at most 5 characters; tags[1]=at most 4 characters; "
                                         "tags[2]=repeats an earlier item; ids=at least one item is required; "
                                         "text=at most 10 characters");
  /* A required string that is empty, and an empty item of a list. */
  valid_case(&c);
  char *tags3[1] = {""};
  c.msg.name = "";
  c.msg.n_tags = 1, c.msg.tags = tags3;
  st = check(a, &c);
  assert_string_equal(violations(a, st), "name=required; tags[0]=must not be empty");
  assert_string_equal(st.message, "name: required (and 1 more violation)");
  hub_arena_free(a);
}

static void test_adapter_checks_before_the_handler(void **state) {
  (void)state;
  test_arena = hub_arena_new(4096);
  const hub_method_def *d = server_method("CheckRules");
  rule_case c;
  valid_case(&c);
  Gentest__V1__Widget out = GENTEST__V1__WIDGET__INIT;
  check_rules_calls = 0;
  c.msg.count = 11;
  hub_status st = d->invoke(NULL, &c.msg.base, &out.base, NULL);
  assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
  assert_string_equal(st.violations->field, "count");
  assert_int_equal(check_rules_calls, 0);
  c.msg.count = 1;
  assert_int_equal(d->invoke(NULL, &c.msg.base, &out.base, NULL).code, HUB_OK);
  assert_int_equal(check_rules_calls, 1);
  assert_string_equal(c.msg.id, "0190a2b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b"); /* the handler saw lower case */
  hub_arena_free(test_arena);
}

/* Reflection serves the file as protoc gave it: the rules ride as the option's bytes. */
static void test_reflection_serves_the_rules(void **state) {
  (void)state;
  const hub_file_descriptor *f = hub_descriptor_by_file("gentest/v1/gentest.proto");
  Google__Protobuf__FileDescriptorProto *fd = google__protobuf__file_descriptor_proto__unpack(NULL, f->len, f->bytes);
  assert_non_null(fd);
  const Google__Protobuf__FieldDescriptorProto *name = NULL;
  for (size_t i = 0; i < fd->n_message_type; i++)
    if (strcmp(fd->message_type[i]->name, "RuleCase") == 0) name = fd->message_type[i]->field[0];
  assert_non_null(name);
  assert_string_equal(name->name, "name");
  assert_non_null(name->options);
  const ProtobufCMessageUnknownField *u = NULL;
  for (size_t i = 0; i < name->options->base.n_unknown_fields; i++)
    if (name->options->base.unknown_fields[i].tag == 51001) u = &name->options->base.unknown_fields[i];
  assert_non_null(u);
  size_t skip = 0; /* protobuf-c keeps the length varint in front */
  while (u->data[skip] & 0x80) skip++;
  skip++;
  Hub__Api__V1__Rules *r = hub__api__v1__rules__unpack(NULL, u->len - skip, u->data + skip);
  assert_non_null(r);
  assert_true(r->required);
  assert_int_equal(r->min_len, 2);
  assert_int_equal(r->max_len, 5);
  assert_int_equal(r->chars, HUB__API__V1__CHAR_CLASS__CHAR_CLASS_LINE);
  hub__api__v1__rules__free_unpacked(r, NULL);
  google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
}

/* Runs protoc with our plugin on a contract; returns its exit status, output in `out`. The
 * plugin is a short-lived build tool that leaves freeing to exit, so leak checks are off. */
static int run_generator(const char *proto, char *out, size_t cap) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "ASAN_OPTIONS=detect_leaks=0 %s -I%s -I%s -I%s --plugin=protoc-gen-hub=%s --hub_out=%s %s 2>&1", HUB_PROTOC, HUB_TEST_PROTO_DIR,
           HUB_PROTO_DIR, HUB_PROTOBUF_INCLUDE, HUB_PLUGIN, HUB_TEST_TMP_DIR, proto);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t n = fread(out, 1, cap - 1, p);
  out[n] = '\0';
  return pclose(p);
}

static void test_refuses_rpc_without_access(void **state) {
  (void)state;
  char out[4096];
  assert_int_not_equal(run_generator("bad/noaccess.proto", out, sizeof out), 0);
  assert_non_null(strstr(out, "bad.v1.Forgetful/Forgot: no access declared"));
}

static void test_refuses_both_forms(void **state) {
  (void)state;
  char out[4096];
  assert_int_not_equal(run_generator("bad/both.proto", out, sizeof out), 0);
  assert_non_null(strstr(out, "bad.v1.Greedy/Both: access must declare exactly one"));
}

static void test_refuses_malformed_permission(void **state) {
  (void)state;
  char out[4096];
  assert_int_not_equal(run_generator("bad/badperm.proto", out, sizeof out), 0);
  assert_non_null(strstr(out, "must read domain.resource.verb"));
}

static void test_refuses_misplaced_rule(void **state) {
  (void)state;
  char out[4096];
  assert_int_not_equal(run_generator("bad/badrule.proto", out, sizeof out), 0);
  assert_non_null(strstr(out, "bad.v1.Odd.count: min_len, max_len, chars, uuid, email and date apply to strings"));
}

static void test_accepts_good_contract(void **state) {
  (void)state;
  char out[4096];
  assert_int_equal(run_generator("gentest/v1/gentest.proto", out, sizeof out), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dispatch_table),
      cmocka_unit_test(test_client_view_and_lookup),
      cmocka_unit_test(test_reflection_data),
      cmocka_unit_test(test_refuses_rpc_without_access),
      cmocka_unit_test(test_refuses_both_forms),
      cmocka_unit_test(test_refuses_malformed_permission),
      cmocka_unit_test(test_refuses_misplaced_rule),
      cmocka_unit_test(test_rules_tables),
      cmocka_unit_test(test_rules_accept_a_valid_request_and_lower_uuids),
      cmocka_unit_test(test_rules_report_every_violation_at_once),
      cmocka_unit_test(test_adapter_checks_before_the_handler),
      cmocka_unit_test(test_reflection_serves_the_rules),
      cmocka_unit_test(test_accepts_good_contract),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
