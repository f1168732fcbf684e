/* Helpers the calendar and SLA unit tests share: UTC instants from civil time, and calendars
 * made from a zone name, a week spec and holidays (failing the test when one is refused). */
#ifndef HUB_TEST_CALENDAR_FIXTURE_H
#define HUB_TEST_CALENDAR_FIXTURE_H

#include <string.h>

#include "hub/calendar.h"

#define H 3600
#define M 60

/* A UTC instant. */
static inline int64_t U(int y, int mo, int d, int h, int mi) {
  return hub_days_from_civil(y, mo, d) * 86400 + h * H + mi * M;
}

static inline void cal_make(hub_calendar *c, const char *zone, const char *spec) {
  memset(c, 0, sizeof *c);
  c->tz = hub_tz_get(zone);
  assert_non_null(c->tz);
  char err[128];
  if (!hub_calendar_parse_week(c, spec, err, sizeof err)) fail_msg("%s: %s", spec, err);
}

static inline void holiday(hub_calendar *c, int y, int m, int d) {
  assert_true(hub_calendar_add_holiday(c, hub_days_from_civil(y, m, d)));
}

/* Berlin, Monday to Friday 09:00-17:00, with 24-26 December 2024 off: the calendar the holiday
 * and business-day tests share. */
static inline void berlin_christmas(hub_calendar *c) {
  cal_make(c, "Europe/Berlin", "mon-fri 09:00-17:00");
  holiday(c, 2024, 12, 24);
  holiday(c, 2024, 12, 25);
  holiday(c, 2024, 12, 26);
}

#endif
