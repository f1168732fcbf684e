/* Business hours: business seconds between instants and due times. Everything walks local
 * dates one day at a time: a day's business intervals are converted to UTC through the zone (so
 * a DST day is 23 or 25 hours long and a 09:00-17:00 day is 8 hours either way) and intersected
 * with the range. Holidays are skipped, searches stop after ten years. */
#include <string.h>

#include "calendar/intervals.h"

#define MAX_OFFSET (26 * 3600) /* no zone is further than this from UTC */
#define SEARCH_DAYS CALENDAR_SEARCH_DAYS
#define SEARCH_SPAN ((int64_t)SEARCH_DAYS * 86400)
#define T_LIMIT ((int64_t)1 << 40) /* instants beyond ~34,800 years either way are clamped */

static int64_t clamp_t(int64_t t) { return t < -T_LIMIT ? -T_LIMIT : t > T_LIMIT ? T_LIMIT : t; }

static bool is_holiday(const hub_calendar *cal, int64_t day) {
  const int n = cal->n_holidays < HUB_CALENDAR_MAX_HOLIDAYS ? cal->n_holidays : HUB_CALENDAR_MAX_HOLIDAYS;
  for (int i = 0; i < n; i++) {
    if (cal->holidays[i] == day) return true;
  }
  return false;
}

bool hub_calendar_add_holiday(hub_calendar *cal, int64_t day) {
  if (cal->n_holidays < 0 || cal->n_holidays >= HUB_CALENDAR_MAX_HOLIDAYS) return false;
  cal->holidays[cal->n_holidays++] = day;
  return true;
}

/* (intervals.h) */
int calendar_day_intervals(const hub_calendar *cal, int64_t day, int64_t out[][2]) {
  const int wd = hub_weekday(day);
  int n = cal->week[wd].n;
  if (n <= 0) return 0;
  if (n > HUB_CALENDAR_MAX_INTERVALS) n = HUB_CALENDAR_MAX_INTERVALS;
  if (cal->n_holidays > 0 && is_holiday(cal, day)) return 0;
  int y, m, d;
  hub_civil_from_days(day, &y, &m, &d);
  int k = 0;
  for (int i = 0; i < n; i++) {
    const hub_calendar_interval *iv = &cal->week[wd].iv[i];
    const int s = iv->start_min < 0 ? 0 : iv->start_min, e = iv->end_min > 1440 ? 1440 : iv->end_min;
    if (s >= e) continue;
    out[k][0] = hub_tz_local_to_utc(cal->tz, y, m, d, s * 60);
    out[k][1] = hub_tz_local_to_utc(cal->tz, y, m, d, e * 60);
    if (out[k][0] < out[k][1]) k++; /* an interval entirely inside a DST gap is empty */
  }
  return k;
}

bool calendar_has_hours(const hub_calendar *cal) {
  for (int wd = 0; wd < 7; wd++) {
    const int n = cal->week[wd].n > HUB_CALENDAR_MAX_INTERVALS ? HUB_CALENDAR_MAX_INTERVALS : cal->week[wd].n;
    for (int i = 0; i < n; i++) {
      if (cal->week[wd].iv[i].start_min < cal->week[wd].iv[i].end_min) return true;
    }
  }
  return false;
}

/* Open every second of every local day and no holidays: business time is wall time. */
static bool always_open(const hub_calendar *cal) {
  if (cal->n_holidays > 0) return false;
  for (int wd = 0; wd < 7; wd++) {
    if (cal->week[wd].n < 1 || cal->week[wd].iv[0].start_min > 0 || cal->week[wd].iv[0].end_min < 1440) return false;
  }
  return true;
}

void hub_calendar_24x7(hub_calendar *cal) {
  memset(cal, 0, sizeof *cal);
  cal->tz = hub_tz_get("UTC");
  for (int wd = 0; wd < 7; wd++) {
    cal->week[wd].n = 1;
    cal->week[wd].iv[0] = (hub_calendar_interval){0, 1440};
  }
}

int64_t hub_calendar_business_seconds(const hub_calendar *cal, int64_t from_s, int64_t to_s) {
  if (to_s <= from_s) return 0;
  if (always_open(cal)) return to_s - from_s;
  /* Like every search here, bounded to ten years past from_s (an open-ended range must not walk
   * to the end of time). */
  from_s = clamp_t(from_s);
  to_s = clamp_t(to_s);
  if (to_s - from_s > SEARCH_SPAN) to_s = from_s + SEARCH_SPAN;
  int64_t total = 0, iv[HUB_CALENDAR_MAX_INTERVALS][2];
  /* Days before from_s's local date end at or before from_s; a day starts no earlier than its
   * local midnight minus the largest offset. */
  for (int64_t day = hub_tz_local_day(cal->tz, from_s); day * 86400 - MAX_OFFSET < to_s; day++) {
    const int n = calendar_day_intervals(cal, day, iv);
    for (int i = 0; i < n; i++) {
      const int64_t s = iv[i][0] > from_s ? iv[i][0] : from_s, e = iv[i][1] < to_s ? iv[i][1] : to_s;
      if (s < e) total += e - s;
    }
  }
  return total;
}

int64_t hub_calendar_add_business(const hub_calendar *cal, int64_t from_s, int64_t budget_s) {
  if (budget_s < 0) budget_s = 0;
  if (always_open(cal)) return budget_s > INT64_MAX - from_s ? INT64_MAX : from_s + budget_s;
  if (!calendar_has_hours(cal) || from_s > T_LIMIT) return INT64_MAX;
  from_s = clamp_t(from_s);
  int64_t left = budget_s, iv[HUB_CALENDAR_MAX_INTERVALS][2];
  const int64_t first = hub_tz_local_day(cal->tz, from_s);
  for (int64_t day = first; day <= first + SEARCH_DAYS; day++) {
    const int n = calendar_day_intervals(cal, day, iv);
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

