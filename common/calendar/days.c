/* Business days: which local dates are working days, how long one is, and counting whole
 * business days forward and back (due dates in days, payroll and invoice dates, leave). A day
 * counts when it is not a holiday and its weekday has working hours that exist that day. */
#include <limits.h>

#include "calendar/intervals.h"

bool hub_calendar_is_business_day(const hub_calendar *cal, int64_t day) {
  int64_t iv[HUB_CALENDAR_MAX_INTERVALS][2];
  return calendar_day_intervals(cal, day, iv) > 0;
}

int64_t hub_calendar_day_seconds(const hub_calendar *cal, int64_t day) {
  int64_t iv[HUB_CALENDAR_MAX_INTERVALS][2], total = 0;
  const int n = calendar_day_intervals(cal, day, iv);
  for (int i = 0; i < n; i++) total += iv[i][1] - iv[i][0];
  return total;
}

int64_t hub_calendar_add_business_days(const hub_calendar *cal, int64_t day, int n) {
  if (!calendar_has_hours(cal)) return INT64_MIN;
  const int step = n < 0 ? -1 : 1;
  int left = n < 0 ? -n : n;
  /* n = 0 is "this day or the next one"; otherwise move first, then count each business day. */
  if (left == 0 && hub_calendar_is_business_day(cal, day)) return day;
  for (int64_t walked = 0; walked <= CALENDAR_SEARCH_DAYS; walked++) {
    day += step;
    if (!hub_calendar_is_business_day(cal, day)) continue;
    if (left <= 1) return day;
    left--;
  }
  return INT64_MIN;
}

int hub_calendar_business_days(const hub_calendar *cal, int64_t from_day, int64_t to_day) {
  if (to_day <= from_day) return 0;
  if (to_day - from_day > CALENDAR_SEARCH_DAYS) to_day = from_day + CALENDAR_SEARCH_DAYS;
  int n = 0;
  for (int64_t d = from_day; d < to_day; d++) n += hub_calendar_is_business_day(cal, d);
  return n;
}
