/* JSON-lines logger (see hub/log.h). Lines are assembled in a stack buffer and written
 * with a single write(2), so concurrent workers never interleave within a line. */
#include "hub/clock.h"
#include "hub/log.h"

#include "hub/utf8.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = HUB_LOG_INFO;

/* Per-thread batching (see hub_log_batch): whole lines only, so a flush never splits one. */
static __thread struct {
  bool on;
  size_t len;
  char buf[16384];
} tls_batch;

static void write_all(const char *p, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(STDERR_FILENO, p + off, len - off);
    if (w <= 0) break;
    off += (size_t)w;
  }
}
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

/* Anything but plain printable ASCII takes the slow path: escapes, and a check of each
 * non-ASCII character, because a value we log (a request field, a header) may be any bytes
 * and a line with ill-formed UTF-8 is no longer JSON. */
static bool needs_escape(unsigned char ch) { return ch < 0x20 || ch == '"' || ch == '\\' || ch >= 0x7F; }

bool hub_json_escape(char *buf, size_t cap, size_t *len, const char *s) {
  size_t n = *len;
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    /* Copy the run of characters that need no escaping in one go (the common case). */
    const unsigned char *run = p;
    while (*p && !needs_escape(*p)) p++;
    size_t k = (size_t)(p - run);
    if (n + k >= cap) {
      *len = n;
      return false;
    }
    memcpy(buf + n, run, k);
    n += k;
    if (!*p) break;
    char tmp[8];
    size_t olen = 2, step = 1;
    tmp[0] = '\\';
    if (*p >= 0x80) {
      step = hub_utf8_char_len(p, strnlen((const char *)p, 4));
      if (step) { /* a well-formed character: as it is */
        memcpy(tmp, p, step);
        olen = step;
      } else { /* an ill-formed byte: U+FFFD */
        memcpy(tmp, "\\ufffd", 6);
        olen = 6;
        step = 1;
      }
    } else switch (*p) {
      case '"': tmp[1] = '"'; break;
      case '\\': tmp[1] = '\\'; break;
      case '\n': tmp[1] = 'n'; break;
      case '\r': tmp[1] = 'r'; break;
      case '\t': tmp[1] = 't'; break;
      default: olen = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", *p);
    }
    if (n + olen >= cap) {
      *len = n;
      return false;
    }
    memcpy(buf + n, tmp, olen);
    n += olen;
    p += step;
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

/* Writes the decimal digits of v (v >= 0) ending at `end`; returns the first digit. */
static char *digits(char *end, uint64_t v, int min_width) {
  char *p = end;
  do {
    *--p = (char)('0' + v % 10);
    v /= 10;
  } while (v || end - p < min_width);
  return p;
}

void hub_log_begin(hub_log_line *l, hub_log_level level, const char *msg) {
  /* The date part changes once a second: format it then, per thread, not per line. */
  static __thread time_t cached_sec = -1;
  static __thread char cached[64];
  l->len = 0;
  l->truncated = false;
  const int64_t now_ns = hub_clock_wall_ns();
  const struct timespec ts = {.tv_sec = (time_t)(now_ns / 1000000000), .tv_nsec = (long)(now_ns % 1000000000)};
  if (ts.tv_sec != cached_sec) {
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_sec = ts.tv_sec;
  }
  char micros[8];
  char *m = digits(micros + 6, (uint64_t)(ts.tv_nsec / 1000), 6);
  micros[6] = '\0';
  raw(l, "{\"time\":\"");
  raw(l, cached);
  raw(l, m);
  raw(l, "Z\",\"level\":\"");
  raw(l, level_names[level]);
  raw(l, "\",\"msg\":");
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
  char buf[24];
  buf[23] = '\0';
  uint64_t mag = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
  char *num = digits(buf + 23, mag, 1);
  if (value < 0) *--num = '-';
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
  if (tls_batch.on) {
    if (tls_batch.len + l->len > sizeof tls_batch.buf) hub_log_flush();
    memcpy(tls_batch.buf + tls_batch.len, l->buf, l->len);
    tls_batch.len += l->len;
    return;
  }
  write_all(l->buf, l->len);
}

void hub_log_batch(bool on) {
  if (!on) hub_log_flush();
  tls_batch.on = on;
}

void hub_log_flush(void) {
  if (tls_batch.len) write_all(tls_batch.buf, tls_batch.len);
  tls_batch.len = 0;
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
