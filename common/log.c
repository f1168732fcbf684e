/* JSON-lines logger (see hub/log.h). Lines are assembled in a stack buffer and written
 * with a single write(2), so concurrent workers never interleave within a line. */
#include "hub/log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = HUB_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void hub_log_set_level(hub_log_level min) { atomic_store(&min_level, (int)min); }

bool hub_log_enabled(hub_log_level level) { return (int)level >= atomic_load(&min_level); }

bool hub_log_parse_level(const char *text, hub_log_level *out) {
  for (int i = 0; i < 4; i++) {
    if (strcmp(text, level_names[i]) == 0) {
      *out = (hub_log_level)i;
      return true;
    }
  }
  return false;
}

bool hub_json_escape(char *buf, size_t cap, size_t *len, const char *s) {
  size_t n = *len;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    char tmp[8];
    const char *out = tmp;
    size_t olen;
    switch (*p) {
      case '"': out = "\\\""; olen = 2; break;
      case '\\': out = "\\\\"; olen = 2; break;
      case '\n': out = "\\n"; olen = 2; break;
      case '\r': out = "\\r"; olen = 2; break;
      case '\t': out = "\\t"; olen = 2; break;
      default:
        if (*p < 0x20) {
          snprintf(tmp, sizeof tmp, "\\u%04x", *p);
          olen = 6;
        } else {
          tmp[0] = (char)*p;
          olen = 1;
        }
    }
    if (n + olen >= cap) {
      *len = n;
      return false;
    }
    memcpy(buf + n, out, olen);
    n += olen;
  }
  *len = n;
  return true;
}

static void raw(hub_log_line *l, const char *s) {
  size_t n = strlen(s);
  if (l->len + n >= sizeof l->buf - 40) { /* room kept for the closing fields */
    l->truncated = true;
    return;
  }
  memcpy(l->buf + l->len, s, n);
  l->len += n;
}

static void quoted(hub_log_line *l, const char *s) {
  raw(l, "\"");
  if (!hub_json_escape(l->buf, sizeof l->buf - 48, &l->len, s)) l->truncated = true;
  raw(l, "\"");
}

void hub_log_begin(hub_log_line *l, hub_log_level level, const char *msg) {
  l->len = 0;
  l->truncated = false;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char t[160];
  snprintf(t, sizeof t, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ\",\"level\":\"%s\",\"msg\":",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           ts.tv_nsec / 1000, level_names[level]);
  raw(l, t);
  quoted(l, msg);
}

/* A field starts only if its key and some value surely fit; once a value is cut short the
 * line takes no further fields, so it always stays valid JSON. */
static bool field_fits(hub_log_line *l, const char *key) {
  if (!l->truncated && l->len + 2 * strlen(key) + 40 < sizeof l->buf - 48) return true;
  l->truncated = true;
  return false;
}

void hub_log_str(hub_log_line *l, const char *key, const char *value) {
  if (!field_fits(l, key)) return;
  raw(l, ",");
  quoted(l, key);
  raw(l, ":");
  if (value) quoted(l, value);
  else raw(l, "null");
}

void hub_log_int(hub_log_line *l, const char *key, int64_t value) {
  char num[32];
  snprintf(num, sizeof num, "%" PRId64, value);
  if (!field_fits(l, key)) return;
  raw(l, ",");
  quoted(l, key);
  raw(l, ":");
  raw(l, num);
}

void hub_log_end(hub_log_line *l, hub_log_level level) {
  if (!hub_log_enabled(level)) return;
  if (l->truncated) {
    /* Pieces are added whole or not at all, so the line is still valid JSON here. */
    static const char mark[] = ",\"truncated\":true";
    memcpy(l->buf + l->len, mark, sizeof mark - 1);
    l->len += sizeof mark - 1;
  }
  l->buf[l->len++] = '}';
  l->buf[l->len++] = '\n';
  ssize_t off = 0;
  while ((size_t)off < l->len) {
    ssize_t w = write(STDERR_FILENO, l->buf + off, l->len - (size_t)off);
    if (w <= 0) break;
    off += w;
  }
}

void hub_logf(hub_log_level level, const char *fmt, ...) {
  if (!hub_log_enabled(level)) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  hub_log_line l;
  hub_log_begin(&l, level, msg);
  hub_log_end(&l, level);
}
