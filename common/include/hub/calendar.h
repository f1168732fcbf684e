/* Time zones and business calendars (libhub_calendar, common/calendar/), for every service that
 * reckons in local time: Ticket's SLA clocks, and business days, holidays and working hours for
 * HRMS and Billing. Pure and clock-free (every function takes the instants it needs) except
 * hub_tz_get, the one edge that reads the system's tzdata.
 *
 * Instants are Unix seconds (UTC). Business hours are local wall-clock intervals per weekday;
 * DST is handled by converting through the zone's own transition table, so a 09:00-17:00 day is
 * 8 business hours on both sides of a change, and a day on which 02:00-03:00 does not exist
 * simply has less of it. Dates are proleptic Gregorian, counted as days since 1970-01-01. */
#ifndef HUB_CALENDAR_H
#define HUB_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- civil dates (civil.c) ---- */

/* Proleptic Gregorian dates <-> days since 1970-01-01 (any day number, m 1-12). */
int64_t hub_days_from_civil(int y, int m, int d);
void hub_civil_from_days(int64_t days, int *y, int *m, int *d);
/* 0 = Sunday ... 6 = Saturday. */
int hub_weekday(int64_t days);
/* Is y-m-d a real date (m 1-12, d within the month, leap years counted)? */
bool hub_date_valid(int y, int m, int d);
/* "YYYY-MM-DD" (exactly that) -> days since 1970-01-01; false when malformed or not a real date. */
bool hub_date_parse(const char *text, int64_t *days);

/* ---- time zones (tz.c: pure; tz_load.c: the tzdata reader) ---- */

typedef struct hub_tz hub_tz;

/* The zone ("Europe/Berlin", "UTC") when the name is safe (letters, digits, "_+-/", no "..")
 * and its TZif file under /usr/share/zoneinfo parses; NULL otherwise. "UTC" is built in.
 * Zones are cached process-wide and never freed (there are a few hundred); thread-safe. */
const hub_tz *hub_tz_get(const char *name);
/* A zone from the bytes of a TZif file (RFC 8536: version 1, and the 64-bit data of versions 2
 * and later, with the footer's POSIX rule past the last transition); NULL when malformed. The
 * caller frees it with hub_tz_free. */
hub_tz *hub_tz_parse(const unsigned char *buf, size_t len);
void hub_tz_free(hub_tz *tz);
/* The zone's name ("" for one made by hub_tz_parse). */
const char *hub_tz_name(const hub_tz *tz);
/* Seconds east of UTC in effect at `utc_s` (0 for a NULL zone). */
int32_t hub_tz_offset(const hub_tz *tz, int64_t utc_s);
/* The UTC instant of local wall-clock time (y, m 1-12, d, seconds since local midnight). For a
 * time skipped by a DST change, the instant just after the gap; for a repeated time, the
 * earlier one. */
int64_t hub_tz_local_to_utc(const hub_tz *tz, int y, int m, int d, int sec_of_day);
/* The local date of an instant, as days since 1970-01-01. */
int64_t hub_tz_local_day(const hub_tz *tz, int64_t utc_s);

/* ---- business calendars (calendar.c, week.c) ---- */

#define HUB_CALENDAR_MAX_INTERVALS 4
#define HUB_CALENDAR_MAX_HOLIDAYS 128

typedef struct hub_calendar_interval {
  int start_min, end_min; /* minutes since local midnight, 0 <= start < end <= 1440 */
} hub_calendar_interval;

/* Working hours per weekday in a zone, and local dates without any (holidays). A plain value:
 * zero it, set tz, then hub_calendar_parse_week and hub_calendar_add_holiday. */
typedef struct hub_calendar {
  const hub_tz *tz;
  struct {
    int n;
    hub_calendar_interval iv[HUB_CALENDAR_MAX_INTERVALS]; /* sorted, non-overlapping */
  } week[7];                                             /* 0 = Sunday ... 6 = Saturday */
  int n_holidays;
  int64_t holidays[HUB_CALENDAR_MAX_HOLIDAYS]; /* local dates, days since 1970-01-01 */
} hub_calendar;

/* A calendar open all the time in UTC (an SLA without business hours). */
void hub_calendar_24x7(hub_calendar *cal);
/* Parses "mon-fri 09:00-17:00; sat 10:00-14:00" style week specs into cal->week (days:
 * sun mon tue wed thu fri sat, ranges like mon-fri, lists like mon,wed; several intervals per
 * day separated by commas "09:00-12:00,13:00-17:00"; "24:00" allowed as an end). False (and
 * a short reason in err) when malformed; cal is only written on success. */
bool hub_calendar_parse_week(hub_calendar *cal, const char *spec, char *err, size_t errlen);
/* Adds a holiday (a local date, days since 1970-01-01); false when the calendar is full. */
bool hub_calendar_add_holiday(hub_calendar *cal, int64_t day);

/* Business seconds in [from_s, to_s) (0 if to_s <= from_s). Like every search here, a range
 * longer than ten years is cut to its first ten years (so to_s = INT64_MAX is safe). */
int64_t hub_calendar_business_seconds(const hub_calendar *cal, int64_t from_s, int64_t to_s);
/* The earliest instant t >= from_s with business_seconds(from_s, t) == budget_s. A budget of
 * 0 gives the first business instant at or after from_s. INT64_MAX if the calendar has no
 * business hours at all (within ten years). */
int64_t hub_calendar_add_business(const hub_calendar *cal, int64_t from_s, int64_t budget_s);

/* ---- business days (days.c) ---- */

/* Is the local date a business day (not a holiday, and its weekday has working hours)? */
bool hub_calendar_is_business_day(const hub_calendar *cal, int64_t day);
/* Working seconds of one local date (a DST day's 00:00-24:00 is 23 or 25 hours; 0 on a holiday). */
int64_t hub_calendar_day_seconds(const hub_calendar *cal, int64_t day);
/* The business day n business days after `day` (n < 0: before; n = 0: `day` itself when it is
 * one, else the next). INT64_MIN when none exists within ten years. */
int64_t hub_calendar_add_business_days(const hub_calendar *cal, int64_t day, int n);
/* Business days in [from_day, to_day) (0 if to_day <= from_day; ten years at most). */
int hub_calendar_business_days(const hub_calendar *cal, int64_t from_day, int64_t to_day);

#endif
