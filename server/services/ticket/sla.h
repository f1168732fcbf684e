/* SLA arithmetic for the Ticket service, pure and clock-free (every function takes the
 * instants it needs), so it is unit-tested with fixed times: business-hours calendars in an
 * IANA time zone with holidays, clocks that pause (pending, on_hold), due times, and which
 * policy applies to a ticket.
 *
 * Instants are Unix seconds (UTC). Business hours are local wall-clock intervals per weekday;
 * DST is handled by converting through the zone's own transition table (TZif files under
 * /usr/share/zoneinfo, read once), so a 09:00-17:00 day is 8 business hours on both sides of
 * a change, and a day on which 02:00-03:00 does not exist simply has less of it. */
#ifndef HUB_TICKET_SLA_H
#define HUB_TICKET_SLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- time zones ---- */

typedef struct hub_tz hub_tz;

/* Loads an IANA zone ("Europe/Berlin", "UTC") from the system's tzdata; NULL when unknown or
 * unreadable. Zones are cached process-wide and never freed (there are a few hundred). */
const hub_tz *hub_tz_get(const char *name);
/* Seconds east of UTC in effect at `utc_s`. */
int32_t hub_tz_offset(const hub_tz *tz, int64_t utc_s);
/* The UTC instant of local wall-clock time (y, m 1-12, d, seconds since local midnight). For a
 * time skipped by a DST change, the instant just after the gap; for a repeated time, the
 * earlier one. */
int64_t hub_tz_local_to_utc(const hub_tz *tz, int y, int m, int d, int sec_of_day);
/* Proleptic Gregorian dates <-> days since 1970-01-01 (any day number, m 1-12). */
int64_t hub_days_from_civil(int y, int m, int d);
void hub_civil_from_days(int64_t days, int *y, int *m, int *d);

/* ---- calendars ---- */

#define HUB_SLA_MAX_INTERVALS 4
#define HUB_SLA_MAX_HOLIDAYS 128

typedef struct hub_sla_interval {
  int start_min, end_min; /* minutes since local midnight, 0 <= start < end <= 1440 */
} hub_sla_interval;

typedef struct hub_sla_calendar {
  const hub_tz *tz;
  struct {
    int n;
    hub_sla_interval iv[HUB_SLA_MAX_INTERVALS]; /* sorted, non-overlapping */
  } week[7];                                   /* 0 = Sunday ... 6 = Saturday */
  int n_holidays;
  struct {
    int y, m, d;
  } holidays[HUB_SLA_MAX_HOLIDAYS];            /* local dates without business hours */
} hub_sla_calendar;

/* A calendar open all the time in UTC (SLA without business hours). */
void hub_sla_calendar_24x7(hub_sla_calendar *cal);
/* Parses "mon-fri 09:00-17:00; sat 10:00-14:00" style week specs into cal->week (days:
 * sun mon tue wed thu fri sat, ranges like mon-fri, lists like mon,wed; several intervals per
 * day separated by commas "09:00-12:00,13:00-17:00"; "24:00" allowed as an end). False (and
 * a short reason in err) when malformed. */
bool hub_sla_parse_week(hub_sla_calendar *cal, const char *spec, char *err, size_t errlen);

/* Business seconds in [from_s, to_s) (0 if to_s <= from_s). Like every search here, a range
 * longer than ten years is cut to its first ten years (so to_s = INT64_MAX is safe). */
int64_t hub_sla_business_seconds(const hub_sla_calendar *cal, int64_t from_s, int64_t to_s);
/* The earliest instant t >= from_s with business_seconds(from_s, t) == budget_s. A budget of
 * 0 gives the first business instant at or after from_s. INT64_MAX if the calendar has no
 * business hours at all (within ten years). */
int64_t hub_sla_add_business(const hub_sla_calendar *cal, int64_t from_s, int64_t budget_s);

/* ---- clocks with pauses ---- */

typedef struct hub_sla_pause {
  int64_t start_s, end_s; /* end_s = INT64_MAX while still paused */
} hub_sla_pause;

/* Business seconds counted from start_s to now_s, minus the business seconds inside pauses
 * (which may overlap each other or extend past now). */
int64_t hub_sla_elapsed(const hub_sla_calendar *cal, int64_t start_s, int64_t now_s, const hub_sla_pause *pauses,
                        size_t n_pauses);

typedef struct hub_sla_state {
  int64_t due_s;      /* when the target is (or was) reached; INT64_MAX while paused */
  int64_t elapsed_s;  /* business seconds counted so far */
  int64_t remaining_s; /* target - elapsed (negative once breached) */
  bool paused;        /* a pause is open at now_s */
  bool breached;      /* elapsed > target (or completed after due) */
  bool warning;       /* not breached, and remaining <= warn_before_s */
} hub_sla_state;

/* One SLA target for one ticket: started at start_s, target_s business seconds, completed at
 * done_s (0 while running), with pauses. Evaluated at now_s. */
hub_sla_state hub_sla_evaluate(const hub_sla_calendar *cal, int64_t start_s, int64_t target_s, int64_t done_s,
                               const hub_sla_pause *pauses, size_t n_pauses, int64_t warn_before_s, int64_t now_s);

/* ---- policies ---- */

typedef enum { HUB_PRIORITY_LOW = 1, HUB_PRIORITY_NORMAL, HUB_PRIORITY_HIGH, HUB_PRIORITY_URGENT } hub_priority;

typedef struct hub_sla_condition {
  int priority;          /* 0 = any */
  const char *brand;     /* NULL or "" = any */
  const char *const *tags; /* all of these must be on the ticket; NULL-terminated; NULL = none */
} hub_sla_condition;

/* The index of the first policy (in position order) whose condition matches, or -1. */
int hub_sla_match(const hub_sla_condition *conditions, size_t n, int priority, const char *brand,
                  const char *const *ticket_tags, size_t n_tags);

#endif
