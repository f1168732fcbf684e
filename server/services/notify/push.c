/* Push notifications through an FCM-style HTTP v1 API, over libcurl: one POST per device to
 * <HUB_PUSH_URL>/v1/projects/<HUB_PUSH_PROJECT>/messages:send with the bearer token of
 * HUB_PUSH_TOKEN_FILE (an OAuth access token kept fresh outside hubd), the server's certificate
 * verified. The provider's answer decides: 200 delivered; 404 or an UNREGISTERED error status
 * (the app was uninstalled, the token rotated) is permanent and the device is forgotten; 400
 * (a malformed message) and 403 are permanent; 401, 429 and 5xx are retried with the usual
 * backoff. The body is JSON built with jansson. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/notify/notify.h"

struct notify_push {
  CURL *curl;
};

notify_push *notify_push_new(void) {
  notify_push *p = calloc(1, sizeof *p);
  if (p && !(p->curl = curl_easy_init())) {
    free(p);
    p = NULL;
  }
  return p;
}

void notify_push_free(notify_push *p) {
  if (!p) return;
  curl_easy_cleanup(p->curl);
  free(p);
}

typedef struct reply {
  char buf[4096];
  size_t len;
} reply;

static size_t keep(char *data, size_t size, size_t n, void *ud) {
  reply *r = ud;
  size_t room = sizeof r->buf - 1 - r->len, take = size * n < room ? size * n : room;
  memcpy(r->buf + r->len, data, take);
  r->len += take;
  r->buf[r->len] = '\0';
  return size * n; /* the rest of a long answer is read and dropped */
}

/* The error status of an FCM-style error answer ("UNREGISTERED", "INVALID_ARGUMENT"), or "". */
static void error_status(const char *body, char *out, size_t cap) {
  *out = '\0';
  json_t *o = json_loads(body, 0, NULL), *details = json_object_get(json_object_get(o, "error"), "details");
  const char *status = json_string_value(json_object_get(json_object_get(o, "error"), "status"));
  size_t i;
  json_t *d;
  json_array_foreach(details, i, d) { /* FCM puts the precise code (UNREGISTERED) in the details */
    const char *code = json_string_value(json_object_get(d, "errorCode"));
    if (code) status = code;
  }
  if (status) snprintf(out, cap, "%s", status);
  json_decref(o);
}

void notify_push_send(notify_push *h, const notify_settings *s, const char *device_token, const char *title,
                      const char *body, const char *link, const char *topic, notify_push_result *out) {
  memset(out, 0, sizeof *out);
  json_t *msg = json_pack("{s:{s:s, s:{s:s, s:s}, s:{s:s, s:s}}}", "message", "token", device_token, "notification",
                          "title", title, "body", body, "data", "link", link, "topic", topic);
  char *json = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
  json_decref(msg);
  if (!json) {
    snprintf(out->detail, sizeof out->detail, "the notification could not be encoded");
    out->permanent = true;
    return;
  }
  char url[1024], auth[4200];
  snprintf(url, sizeof url, "%s/v1/projects/%s/messages:send", s->push_url, s->push_project);
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", s->push_token ? s->push_token : "");
  struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
  headers = curl_slist_append(headers, auth);
  reply r = {.len = 0};
  char err[CURL_ERROR_SIZE] = "";
  CURL *c = h->curl;
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
  if (s->push_ca_file && *s->push_ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, s->push_ca_file);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
  curl_slist_free_all(headers);
  free(json);
  if (rc != CURLE_OK) { /* no answer: retried */
    snprintf(out->detail, sizeof out->detail, "%.200s", *err ? err : curl_easy_strerror(rc));
    return;
  }
  char code[64];
  error_status(r.buf, code, sizeof code);
  out->ok = status == 200;
  out->unregistered = status == 404 || !strcmp(code, "UNREGISTERED");
  out->permanent = !out->ok && (out->unregistered || status == 400 || status == 403);
  if (!out->ok) snprintf(out->detail, sizeof out->detail, "HTTP %ld%s%s", status, *code ? " " : "", code);
}
