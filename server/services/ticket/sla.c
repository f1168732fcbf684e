/* SLA arithmetic: business seconds between instants, due times, clocks with pauses, policy
 * matching. Everything walks local dates one day at a time: a day's business intervals are
 * converted to UTC through the zone (so a DST day is 23 or 25 hours long and a 09:00-17:00 day
 * is 8 hours either way) and intersected with the range. Holidays are skipped, searches stop
 * after ten years. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "services/ticket/sla.h"

#define MAX_OFFSET (26 * 3600) /* no zone is further than this from UTC */
#define SEARCH_DAYS (10 * 366)
#define SEARCH_SPAN ((int64_t)SEARCH_DAYS * 86400)
#define T_LIMIT ((int64_t)1 << 40) /* instants beyond ~34,800 years either way are clamped */

static int64_t clamp_t(int64_t t) { return t < -T_LIMIT ? -T_LIMIT : t > T_LIMIT ? T_LIMIT : t; }

static int weekday(int64_t days) { /* 0 = Sunday; 1970-01-01 was a Thursday */
  const int64_t w = (days + 4) % 7;
  return (int)(w < 0 ? w + 7 : w);
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

/* The local date of an instant, as days since 1970-01-01. */
static int64_t local_day(const hub_tz *tz, int64_t t) { return floor_div(t + hub_tz_offset(tz, t), 86400); }

static bool is_holiday(const hub_sla_calendar *cal, int y, int m, int d) {
  const int n = cal->n_holidays < HUB_SLA_MAX_HOLIDAYS ? cal->n_holidays : HUB_SLA_MAX_HOLIDAYS;
  for (int i = 0; i < n; i++) {
    if (cal->holidays[i].d == d && cal->holidays[i].m == m && cal->holidays[i].y == y) return true;
  }
  return false;
}

/* The business intervals of local day `day` in UTC, in order; returns how many. */
static int day_intervals(const hub_sla_calendar *cal, int64_t day, int64_t out[][2]) {
  const int wd = weekday(day);
  int n = cal->week[wd].n;
  if (n <= 0) return 0;
  if (n > HUB_SLA_MAX_INTERVALS) n = HUB_SLA_MAX_INTERVALS;
  int y, m, d;
  hub_civil_from_days(day, &y, &m, &d);
  if (cal->n_holidays > 0 && is_holiday(cal, y, m, d)) return 0;
  int k = 0;
  for (int i = 0; i < n; i++) {
    const hub_sla_interval *iv = &cal->week[wd].iv[i];
    const int s = iv->start_min < 0 ? 0 : iv->start_min, e = iv->end_min > 1440 ? 1440 : iv->end_min;
    if (s >= e) continue;
    out[k][0] = hub_tz_local_to_utc(cal->tz, y, m, d, s * 60);
    out[k][1] = hub_tz_local_to_utc(cal->tz, y, m, d, e * 60);
    if (out[k][0] < out[k][1]) k++; /* an interval entirely inside a DST gap is empty */
  }
  return k;
}

static bool has_hours(const hub_sla_calendar *cal) {
  for (int wd = 0; wd < 7; wd++) {
    const int n = cal->week[wd].n > HUB_SLA_MAX_INTERVALS ? HUB_SLA_MAX_INTERVALS : cal->week[wd].n;
    for (int i = 0; i < n; i++) {
      if (cal->week[wd].iv[i].start_min < cal->week[wd].iv[i].end_min) return true;
    }
  }
  return false;
}

/* Open every second of every local day and no holidays: business time is wall time. */
static bool always_open(const hub_sla_calendar *cal) {
  if (cal->n_holidays > 0) return false;
  for (int wd = 0; wd < 7; wd++) {
    if (cal->week[wd].n < 1 || cal->week[wd].iv[0].start_min > 0 || cal->week[wd].iv[0].end_min < 1440) return false;
  }
  return true;
}

void hub_sla_calendar_24x7(hub_sla_calendar *cal) {
  memset(cal, 0, sizeof *cal);
  cal->tz = hub_tz_get("UTC");
  for (int wd = 0; wd < 7; wd++) {
    cal->week[wd].n = 1;
    cal->week[wd].iv[0] = (hub_sla_interval){0, 1440};
  }
}

int64_t hub_sla_business_seconds(const hub_sla_calendar *cal, int64_t from_s, int64_t to_s) {
  if (to_s <= from_s) return 0;
  if (always_open(cal)) return to_s - from_s;
  /* Like every search here, bounded to ten years past from_s (an open-ended range must not walk
   * to the end of time). */
  from_s = clamp_t(from_s);
  to_s = clamp_t(to_s);
  if (to_s - from_s > SEARCH_SPAN) to_s = from_s + SEARCH_SPAN;
  int64_t total = 0, iv[HUB_SLA_MAX_INTERVALS][2];
  /* Days before from_s's local date end at or before from_s; a day starts no earlier than its
   * local midnight minus the largest offset. */
  for (int64_t day = local_day(cal->tz, from_s); day * 86400 - MAX_OFFSET < to_s; day++) {
    const int n = day_intervals(cal, day, iv);
    for (int i = 0; i < n; i++) {
      const int64_t s = iv[i][0] > from_s ? iv[i][0] : from_s, e = iv[i][1] < to_s ? iv[i][1] : to_s;
      if (s < e) total += e - s;
    }
  }
  return total;
}

int64_t hub_sla_add_business(const hub_sla_calendar *cal, int64_t from_s, int64_t budget_s) {
  if (budget_s < 0) budget_s = 0;
  if (always_open(cal)) return budget_s > INT64_MAX - from_s ? INT64_MAX : from_s + budget_s;
  if (!has_hours(cal) || from_s > T_LIMIT) return INT64_MAX;
  from_s = clamp_t(from_s);
  int64_t left = budget_s, iv[HUB_SLA_MAX_INTERVALS][2];
  const int64_t first = local_day(cal->tz, from_s);
  for (int64_t day = first; day <= first + SEARCH_DAYS; day++) {
    const int n = day_intervals(cal, day, iv);
    for (int i = 0; i < n; i++) {
      if (iv[i][1] <= from_s) continue;
      const int64_t s = iv[i][0] > from_s ? iv[i][0] : from_s;
      if (left == 0) return s; /* a zero budget: the first business instant */
      if (iv[i][1] - s >= left) return s + left;
      left -= iv[i][1] - s;
    }
  }
  return INT64_MAX;
}

/* ---- pauses ---- */

/* The next maximal run of (merged) pauses, clipped to [lo, hi], that ends after `cursor`:
 * false when there is none. O(n) per pass, O(n^2) overall, without allocating. */
static bool next_pause(const hub_sla_pause *p, size_t n, int64_t lo, int64_t hi, int64_t cursor, int64_t *out_s,
                       int64_t *out_e) {
  int64_t best = INT64_MAX;
  for (size_t i = 0; i < n; i++) {
    int64_t s = p[i].start_s < lo ? lo : p[i].start_s, e = p[i].end_s > hi ? hi : p[i].end_s;
    if (s < cursor) s = cursor;
    if (s < e && s < best) best = s;
  }
  if (best == INT64_MAX) return false;
  int64_t end = best;
  for (bool grew = true; grew;) {
    grew = false;
    for (size_t i = 0; i < n; i++) {
      const int64_t e = p[i].end_s > hi ? hi : p[i].end_s;
      if (p[i].start_s <= end && e > end) {
        end = e;
        grew = true;
      }
    }
  }
  *out_s = best;
  *out_e = end;
  return true;
}

int64_t hub_sla_elapsed(const hub_sla_calendar *cal, int64_t start_s, int64_t now_s, const hub_sla_pause *pauses,
                        size_t n_pauses) {
  if (now_s <= start_s) return 0;
  int64_t total = hub_sla_business_seconds(cal, start_s, now_s), cursor = start_s, ps, pe;
  while (next_pause(pauses, n_pauses, start_s, now_s, cursor, &ps, &pe)) {
    total -= hub_sla_business_seconds(cal, ps, pe);
    cursor = pe;
  }
  return total;
}

/* When the clock reaches target_s, counting pauses that started by `upto` (those still open are
 * taken as closed at `upto`) and none after. */
static int64_t due_time(const hub_sla_calendar *cal, int64_t start_s, int64_t target_s, const hub_sla_pause *pauses,
                        size_t n_pauses, int64_t upto) {
  if (target_s <= 0) return start_s;
  int64_t left = target_s, cursor = start_s, ps, pe;
  while (upto > start_s && next_pause(pauses, n_pauses, start_s, upto, cursor, &ps, &pe)) {
    const int64_t run = hub_sla_business_seconds(cal, cursor, ps);
    if (run >= left) return hub_sla_add_business(cal, cursor, left);
    left -= run;
    cursor = pe;
  }
  return hub_sla_add_business(cal, cursor, left);
}

hub_sla_state hub_sla_evaluate(const hub_sla_calendar *cal, int64_t start_s, int64_t target_s, int64_t done_s,
                               const hub_sla_pause *pauses, size_t n_pauses, int64_t warn_before_s, int64_t now_s) {
  hub_sla_state st = {0};
  const bool done = done_s != 0;
  const int64_t at = done ? done_s : now_s;
  if (!done) {
    for (size_t i = 0; i < n_pauses; i++) {
      if (pauses[i].start_s <= now_s && now_s < pauses[i].end_s) st.paused = true;
    }
  }
  st.elapsed_s = hub_sla_elapsed(cal, start_s, at, pauses, n_pauses);
  st.remaining_s = target_s - st.elapsed_s;
  st.breached = st.elapsed_s > target_s;
  st.warning = !st.breached && !done && st.remaining_s <= warn_before_s;
  st.due_s = st.paused ? INT64_MAX : due_time(cal, start_s, target_s, pauses, n_pauses, at);
  return st;
}

/* ---- policies ---- */

int hub_sla_match(const hub_sla_condition *conditions, size_t n, int priority, const char *brand,
                  const char *const *ticket_tags, size_t n_tags) {
  for (size_t i = 0; i < n; i++) {
    const hub_sla_condition *c = &conditions[i];
    if (c->priority != 0 && c->priority != priority) continue;
    if (c->brand && c->brand[0] && (!brand || strcmp(c->brand, brand) != 0)) continue;
    bool all = true;
    for (const char *const *t = c->tags; all && t && *t; t++) {
      bool found = false;
      for (size_t j = 0; !found && j < n_tags; j++) found = ticket_tags[j] && strcmp(ticket_tags[j], *t) == 0;
      all = found;
    }
    if (all) return (int)i;
  }
  return -1;
}

/* ---- week specs ---- */

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

bool hub_sla_parse_week(hub_sla_calendar *cal, const char *spec, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (!spec) FAIL("no week spec");
  hub_sla_calendar tmp; /* cal is only written on success */
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
        if (tmp.week[d].n == HUB_SLA_MAX_INTERVALS) FAIL("more than %d intervals on %s", HUB_SLA_MAX_INTERVALS, day_names[d]);
        int k = tmp.week[d].n++; /* insertion keeps them sorted */
        while (k > 0 && tmp.week[d].iv[k - 1].start_min > a) {
          tmp.week[d].iv[k] = tmp.week[d].iv[k - 1];
          k--;
        }
        tmp.week[d].iv[k] = (hub_sla_interval){a, b};
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
