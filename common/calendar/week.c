/* Week specs: "mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00" -> a calendar's working
 * hours per weekday, with a reason (and its position) for anything malformed. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hub/calendar.h"

static const char *const day_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const char *skip_ws(const char *s) {
  while (*s == ' ' || *s == '\t') s++;
  return s;
}

static int parse_day(const char **s) {
  for (int i = 0; i < 7; i++) {
    if (strncasecmp(*s, day_names[i], 3) == 0 && !isalpha((unsigned char)(*s)[3])) {
      *s += 3;
      return i;
    }
  }
  return -1;
}

/* HH:MM -> minutes; -1 when malformed. 24:00 is allowed (the caller decides where). */
static int parse_hhmm(const char **s) {
  const char *p = *s;
  if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2] != ':' || !isdigit((unsigned char)p[3]) ||
      !isdigit((unsigned char)p[4]))
    return -1;
  const int h = (p[0] - '0') * 10 + (p[1] - '0'), m = (p[3] - '0') * 10 + (p[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  *s = p + 5;
  return h * 60 + m;
}

#define FAIL(...)                                     \
  do {                                                \
    if (err && errlen) snprintf(err, errlen, __VA_ARGS__); \
    return false;                                     \
  } while (0)

bool hub_calendar_parse_week(hub_calendar *cal, const char *spec, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (!spec) FAIL("no week spec");
  hub_calendar tmp; /* cal is only written on success */
  memset(&tmp, 0, sizeof tmp);
  int groups = 0;
  const char *s = spec;
  for (;;) {
    s = skip_ws(s);
    if (*s == '\0') break;
    if (*s == ';') { /* an empty group */
      s++;
      continue;
    }
    bool days[7] = {0};
    for (;;) { /* day, day-day, joined by commas */
      const int pos = (int)(s - spec);
      const int a = parse_day(&s);
      if (a < 0) FAIL("expected a day (sun..sat) at %d", pos);
      int b = a;
      if (*s == '-') {
        s++;
        if ((b = parse_day(&s)) < 0) FAIL("expected a day after '-' at %d", (int)(s - spec));
      }
      for (int d = a;; d = (d + 1) % 7) { /* sat-sun wraps */
        days[d] = true;
        if (d == b) break;
      }
      if (*s != ',') break;
      s++;
    }
    if (*s != ' ' && *s != '\t') FAIL("expected hours after the days at %d", (int)(s - spec));
    s = skip_ws(s);
    for (;;) { /* HH:MM-HH:MM, joined by commas */
      const int pos = (int)(s - spec);
      const int a = parse_hhmm(&s);
      if (a < 0 || *s != '-') FAIL("expected HH:MM-HH:MM at %d", pos);
      s++;
      const int b = parse_hhmm(&s);
      if (b < 0) FAIL("expected HH:MM-HH:MM at %d", pos);
      if (a >= 1440) FAIL("24:00 only ends an interval (at %d)", pos);
      if (a >= b) FAIL("empty or reversed interval at %d", pos);
      for (int d = 0; d < 7; d++) {
        if (!days[d]) continue;
        if (tmp.week[d].n == HUB_CALENDAR_MAX_INTERVALS) FAIL("more than %d intervals on %s", HUB_CALENDAR_MAX_INTERVALS, day_names[d]);
        int k = tmp.week[d].n++; /* insertion keeps them sorted */
        while (k > 0 && tmp.week[d].iv[k - 1].start_min > a) {
          tmp.week[d].iv[k] = tmp.week[d].iv[k - 1];
          k--;
        }
        tmp.week[d].iv[k] = (hub_calendar_interval){a, b};
        if ((k > 0 && tmp.week[d].iv[k - 1].end_min > a) || (k + 1 < tmp.week[d].n && tmp.week[d].iv[k + 1].start_min < b))
          FAIL("overlapping intervals on %s", day_names[d]);
      }
      s = skip_ws(s);
      if (*s != ',') break;
      s = skip_ws(s + 1);
    }
    groups++;
    if (*s == ';') s++;
    else if (*s != '\0') FAIL("unexpected '%c' at %d", *s, (int)(s - spec));
  }
  if (groups == 0) FAIL("empty week spec");
  memcpy(cal->week, tmp.week, sizeof tmp.week);
  return true;
}
