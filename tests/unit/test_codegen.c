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
#include "hub/descriptors.h"

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

static const hub_method_def *server_method(const char *name) {
  for (size_t i = 0; i < hub_gentest_v1_widgets_service.n_methods; i++)
    if (strcmp(hub_gentest_v1_widgets_service.methods[i].name, name) == 0) return &hub_gentest_v1_widgets_service.methods[i];
  return NULL;
}

static void test_dispatch_table(void **state) {
  (void)state;
  assert_string_equal(hub_gentest_v1_widgets_service.name, "gentest.v1.Widgets");
  assert_int_equal(hub_gentest_v1_widgets_service.n_methods, 4);
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
  assert_int_equal(f->n_deps, 1);
  assert_string_equal(f->deps[0], "hub/api/v1/access.proto");
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
      cmocka_unit_test(test_accepts_good_contract),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
