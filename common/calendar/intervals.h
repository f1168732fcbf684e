/* What the business-hours walk (calendar.c) shares with the business-day arithmetic (days.c);
 * internal to the calendar library. */
#ifndef HUB_CALENDAR_INTERVALS_H
#define HUB_CALENDAR_INTERVALS_H

#include "hub/calendar.h"

#define CALENDAR_SEARCH_DAYS (10 * 366) /* every search stops after ten years */

/* The business intervals of local day `day` as UTC [start, end) pairs, in order; how many
 * (0 on a holiday or a day without hours). */
int calendar_day_intervals(const hub_calendar *cal, int64_t day, int64_t out[][2]);
/* Does any weekday have working hours? */
bool calendar_has_hours(const hub_calendar *cal);

#endif
