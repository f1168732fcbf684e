/* Mail out over SMTP through libcurl: STARTTLS (required, when offered, or off) or implicit TLS
 * (smtps://), the server's certificate verified (against HUB_SMTP_CA_FILE when set), AUTH when
 * a user is configured. One handle per sender thread, so consecutive messages reuse the
 * connection. A 5xx reply is permanent (no retry); anything else that fails is retried. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/notify/notify.h"

struct notify_smtp {
  CURL *curl;
};

notify_smtp *notify_smtp_new(void) {
  notify_smtp *s = calloc(1, sizeof *s);
  if (s && !(s->curl = curl_easy_init())) {
    free(s);
    s = NULL;
  }
  return s;
}

void notify_smtp_free(notify_smtp *s) {
  if (!s) return;
  curl_easy_cleanup(s->curl);
  free(s);
}

typedef struct upload {
  const char *p;
  size_t left;
} upload;

static size_t read_message(char *buf, size_t size, size_t n, void *ud) {
  upload *u = ud;
  size_t take = size * n < u->left ? size * n : u->left;
  memcpy(buf, u->p, take);
  u->p += take;
  u->left -= take;
  return take;
}

void notify_smtp_send(notify_smtp *h, const notify_settings *s, const char *from, const char *to, const char *message,
                      notify_smtp_result *out) {
  memset(out, 0, sizeof *out);
  CURL *c = h->curl;
  char err[CURL_ERROR_SIZE] = "", mail_from[320];
  snprintf(mail_from, sizeof mail_from, "<%s>", from);
  struct curl_slist *rcpt = curl_slist_append(NULL, to);
  upload u = {message, strlen(message)};
  curl_easy_setopt(c, CURLOPT_URL, s->smtp_url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from);
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
  curl_easy_setopt(c, CURLOPT_READDATA, &u);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)u.left);
  curl_easy_setopt(c, CURLOPT_USE_SSL,
                   s->smtp_starttls == 2   ? (long)CURLUSESSL_ALL
                   : s->smtp_starttls == 1 ? (long)CURLUSESSL_TRY
                                           : (long)CURLUSESSL_NONE);
  if (s->smtp_ca_file && *s->smtp_ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, s->smtp_ca_file);
  if (s->smtp_user && *s->smtp_user) {
    curl_easy_setopt(c, CURLOPT_USERNAME, s->smtp_user);
    curl_easy_setopt(c, CURLOPT_PASSWORD, s->smtp_password ? s->smtp_password : "");
  }
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  CURLcode rc = curl_easy_perform(c);
  long reply = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, NULL);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
  curl_slist_free_all(rcpt);
  out->ok = rc == CURLE_OK;
  out->permanent = !out->ok && reply >= 500 && reply < 600;
  if (!out->ok)
    snprintf(out->detail, sizeof out->detail, "%.200s (reply %ld)", *err ? err : curl_easy_strerror(rc), reply);
}
