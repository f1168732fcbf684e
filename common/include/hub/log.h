/* Structured logging: one JSON object per line on stderr. Callers pass key/value pairs, so
 * values are always escaped; there is deliberately no way to log a whole request or its
 * metadata, which is how tokens and passwords end up in logs. */
#ifndef HUB_LOG_H
#define HUB_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum hub_log_level { HUB_LOG_DEBUG, HUB_LOG_INFO, HUB_LOG_WARN, HUB_LOG_ERROR } hub_log_level;

/* Lines below `min` are dropped. Thread-safe; each line is written with one write(2). */
void hub_log_set_level(hub_log_level min);
bool hub_log_parse_level(const char *text, hub_log_level *out);
bool hub_log_enabled(hub_log_level level);

/* A line being built: fields are appended in order and escaped as JSON. */
typedef struct hub_log_line {
  char buf[2048];
  size_t len;
  bool truncated;
} hub_log_line;

/* Starts a line with "time", "level" and "msg". */
void hub_log_begin(hub_log_line *line, hub_log_level level, const char *msg);
void hub_log_str(hub_log_line *line, const char *key, const char *value); /* NULL -> null */
void hub_log_int(hub_log_line *line, const char *key, int64_t value);
void hub_log_end(hub_log_line *line, hub_log_level level); /* writes it */

/* Batching for hot threads: while on, this thread's lines collect in a 16 KiB buffer
 * written with one write(2) when full or on hub_log_flush (which the runtime's workers call
 * whenever their queue is idle for a moment, and when they exit). It turns a syscall per call
 * into one per few dozen calls; the price is that a crash can lose the lines of the last
 * moment. Lines are always whole. */
void hub_log_batch(bool on);
void hub_log_flush(void);

/* One-shot free-text line: {"time":..,"level":..,"msg":"<formatted>"}. */
void hub_logf(hub_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends `s` JSON-escaped (no quotes) to buf[*len..cap); returns false if it did not fit. */
bool hub_json_escape(char *buf, size_t cap, size_t *len, const char *s);

#endif
