/* Notify's pure parts: the topic table (sorted, so found by bsearch; security notices e-mail
 * only), the template engine (values escaped for HTML and percent-encoded in links, malformed
 * blanks left as written), a notification composed in a brand's dress, and the MIME message
 * GMime builds of it, parsed back by GMime. */
#include <gmime/gmime.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "services/notify/notify.h"

static const char *vars(const char *name, size_t len, void *ud) {
  (void)ud;
  if (len == 4 && !strncmp(name, "name", 4)) return "Tom & <Jerry> \"Co\"";
  if (len == 5 && !strncmp(name, "token", 5)) return "a b/c?d=e&f";
  return NULL;
}

static void test_topics_sorted_and_found(void **state) {
  (void)state;
  size_t n;
  const notify_topic *ts = notify_topics(&n);
  assert_true(n > 5);
  for (size_t i = 1; i < n; i++) assert_true(strcmp(ts[i - 1].topic, ts[i].topic) < 0);
  for (size_t i = 0; i < n; i++) {
    assert_ptr_equal(notify_topic_find(ts[i].topic), &ts[i]);
    if (ts[i].security) assert_int_equal(ts[i].channels, NOTIFY_EMAIL);
    assert_int_equal(ts[i].defaults & ~ts[i].channels, 0);
  }
  assert_null(notify_topic_find("accounting.entry_posted"));
  assert_null(notify_topic_find(NULL));
  assert_true(notify_topic_find("account.password_reset")->security);
  assert_false(notify_topic_find("ticket.assigned")->security);
  assert_int_equal(notify_channel_parse(notify_channel_text(NOTIFY_EMAIL)), NOTIFY_EMAIL);
  assert_int_equal(notify_channel_parse("sms"), 0);
}

static void test_render_escapes(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  assert_string_equal(notify_render(a, "Hi {{name}}!", NOTIFY_AS_TEXT, vars, NULL), "Hi Tom & <Jerry> \"Co\"!");
  assert_string_equal(notify_render(a, "Hi {{name}}!", NOTIFY_AS_HTML, vars, NULL),
                      "Hi Tom &amp; &lt;Jerry&gt; &quot;Co&quot;!");
  assert_string_equal(notify_render(a, "/x?token={{token}}", NOTIFY_AS_URL_PART, vars, NULL),
                      "/x?token=a%20b%2Fc%3Fd%3De%26f");
  /* Unknown names render as nothing; what is not a blank stays as written. */
  assert_string_equal(notify_render(a, "[{{nope}}]", NOTIFY_AS_TEXT, vars, NULL), "[]");
  assert_string_equal(notify_render(a, "{{ name }} {{Name}} {name} {{name", NOTIFY_AS_TEXT, vars, NULL),
                      "{{ name }} {{Name}} {name} {{name");
  assert_string_equal(notify_render(a, "", NOTIFY_AS_HTML, vars, NULL), "");
  assert_string_equal(notify_html_escape(a, "'x'"), "&#39;x&#39;");
  hub_arena_free(a);
}

static const notify_brand brand = {"exakeep",
                                   "ExaKeep",
                                   "https://app.exakeep.com",
                                   "https://cdn.test/logo.png",
                                   "ExaKeep Ltd, 1 Ledger Lane",
                                   "support@exakeep.com",
                                   "ExaKeep Team",
                                   "#0B5FFF",
                                   false};

static void test_compose_invitation(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  const notify_topic *t = notify_topic_find("tenant.invitation");
  notify_mail m;
  const char *extra[] = {"tenant_name", "<script>alert(1)</script> Ltd", NULL};
  notify_compose(a, t, &brand, "{\"role\":\"member\",\"token\":\"tok_123\",\"expires_at\":\"2026-12-11T00:00:00Z\"}",
                 extra, "", &m);
  assert_string_equal(m.subject, "<script>alert(1)</script> Ltd invited you to ExaKeep");
  assert_string_equal(m.path, "/invitations/accept?token=tok_123");
  assert_string_equal(m.link, "https://app.exakeep.com/invitations/accept?token=tok_123");
  assert_non_null(strstr(m.text, "Accept the invitation: https://app.exakeep.com/invitations/accept?token=tok_123"));
  assert_non_null(strstr(m.text, "ExaKeep Ltd, 1 Ledger Lane"));
  assert_null(strstr(m.html, "<script>"));
  assert_non_null(strstr(m.html, "&lt;script&gt;alert(1)&lt;/script&gt; Ltd"));
  assert_non_null(strstr(m.html, "src=\"https://cdn.test/logo.png\""));
  assert_non_null(strstr(m.html, "Powered by SMB Hub"));
  assert_null(strstr(m.text, "Stop these mails"));
  hub_arena_free(a);
}

static void test_mime_round_trip(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  char *msg = notify_mime_message(a, "Zoë's Bakery", "mail@smbhub.test", "ivan@example.com", "support@exakeep.com",
                                  "Grüße from Zoë", "Hello\nline two é", "<p>Hello</p>", "0190-abc@smbhub.test",
                                  "https://app.test/unsubscribe?token=x");
  assert_non_null(strstr(msg, "\r\n"));
  assert_null(strstr(msg, "Grüße")); /* encoded-word, not raw 8-bit */
  GMimeStream *s = g_mime_stream_mem_new_with_buffer(msg, strlen(msg));
  GMimeParser *p = g_mime_parser_new_with_stream(s);
  GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
  assert_non_null(m);
  assert_string_equal(g_mime_message_get_subject(m), "Grüße from Zoë");
  assert_string_equal(g_mime_message_get_message_id(m), "0190-abc@smbhub.test");
  assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(m), "List-Unsubscribe"),
                      "<https://app.test/unsubscribe?token=x>");
  GMimeObject *body = g_mime_message_get_mime_part(m);
  assert_true(GMIME_IS_MULTIPART(body));
  assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(body)), 2);
  GMimeTextPart *plain = GMIME_TEXT_PART(g_mime_multipart_get_part(GMIME_MULTIPART(body), 0));
  char *text = g_mime_text_part_get_text(plain);
  assert_non_null(strstr(text, "line two é"));
  g_free(text);
  InternetAddressList *from = g_mime_message_get_from(m);
  assert_string_equal(internet_address_get_name(internet_address_list_get_address(from, 0)), "Zoë's Bakery");
  g_object_unref(m);
  g_object_unref(p);
  g_object_unref(s);
  hub_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_topics_sorted_and_found),
      cmocka_unit_test(test_render_escapes),
      cmocka_unit_test(test_compose_invitation),
      cmocka_unit_test(test_mime_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
