/* One delivery as an RFC 5322 message, built by GMime: multipart/alternative with a
 * quoted-printable UTF-8 text part and HTML part, encoded-word headers for non-ASCII names and
 * subjects, the delivery's id as Message-ID (a copy sent again after a crash is the same
 * message), and, for mail that can be turned off, List-Unsubscribe with one-click POST
 * (RFC 8058). CRLF line ends, as SMTP carries them. */
#include <gmime/gmime.h>
#include <pthread.h>
#include <string.h>

#include "services/notify/notify.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init_gmime(void) { g_mime_init(); }

static GMimeObject *text_part(const char *subtype, const char *content) {
  GMimeTextPart *p = g_mime_text_part_new_with_subtype(subtype);
  g_mime_text_part_set_text(p, content);
  g_mime_part_set_content_encoding(GMIME_PART(p), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  return GMIME_OBJECT(p);
}

char *notify_mime_message(hub_arena *a, const char *from_name, const char *from, const char *to, const char *reply_to,
                          const char *subject, const char *text, const char *html, const char *message_id,
                          const char *unsubscribe_url) {
  pthread_once(&once, init_gmime);
  GMimeMessage *m = g_mime_message_new(TRUE);
  g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, from_name, from);
  g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, to);
  if (reply_to && *reply_to) g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_REPLY_TO, NULL, reply_to);
  g_mime_message_set_subject(m, subject, "utf-8");
  g_mime_message_set_message_id(m, message_id);
  GDateTime *now = g_date_time_new_now_utc();
  g_mime_message_set_date(m, now);
  g_date_time_unref(now);
  if (unsubscribe_url && *unsubscribe_url) {
    char *value = hub_arena_sprintf(a, "<%s>", unsubscribe_url);
    g_mime_object_set_header(GMIME_OBJECT(m), "List-Unsubscribe", value, NULL);
    g_mime_object_set_header(GMIME_OBJECT(m), "List-Unsubscribe-Post", "List-Unsubscribe=One-Click", NULL);
  }
  GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
  GMimeObject *plain = text_part("plain", text), *rich = text_part("html", html);
  g_mime_multipart_add(alt, plain);
  g_mime_multipart_add(alt, rich);
  g_object_unref(plain);
  g_object_unref(rich);
  g_mime_message_set_mime_part(m, GMIME_OBJECT(alt));
  g_object_unref(alt);
  GMimeFormatOptions *opts = g_mime_format_options_clone(NULL);
  g_mime_format_options_set_newline_format(opts, GMIME_NEWLINE_FORMAT_DOS);
  char *s = g_mime_object_to_string(GMIME_OBJECT(m), opts);
  g_mime_format_options_free(opts);
  g_object_unref(m);
  char *out = hub_arena_strdup(a, s ? s : "");
  g_free(s);
  return out;
}
