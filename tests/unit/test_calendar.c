/* The shared calendar (hub/calendar.h) with fixed instants: civil dates and "YYYY-MM-DD",
 * time zones from tzdata (offsets, the footer rule past the table, gaps and overlaps, names,
 * the cache across threads) and from TZif bytes, business-hours calendars across nights,
 * weekends, holidays, zones and DST days, add_business as the inverse of business_seconds,
 * business days (what HRMS and Billing count in) and week-spec parsing. */
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "calendar_fixture.h"

static void test_civil_dates(void **state) {
  (void)state;
  assert_int_equal(U(2024, 1, 15, 0, 0), 1705276800); /* a Monday */
  assert_int_equal(hub_days_from_civil(1970, 1, 1), 0);
  assert_int_equal(hub_days_from_civil(1969, 12, 31), -1);
  int y, m, d;
  hub_civil_from_days(hub_days_from_civil(2024, 2, 29), &y, &m, &d);
  assert_true(y == 2024 && m == 2 && d == 29);
  hub_civil_from_days(-719468, &y, &m, &d); /* 0000-03-01 */
  assert_true(y == 0 && m == 3 && d == 1);
}

static void test_tz_offsets(void **state) {
  (void)state;
  const hub_tz *utc = hub_tz_get("UTC"), *ber = hub_tz_get("Europe/Berlin"), *ny = hub_tz_get("America/New_York"),
               *kol = hub_tz_get("Asia/Kolkata"), *syd = hub_tz_get("Australia/Sydney");
  assert_true(utc && ber && ny && kol && syd);
  assert_int_equal(hub_tz_offset(utc, U(2024, 7, 1, 0, 0)), 0);
  assert_int_equal(hub_tz_offset(ber, U(2024, 1, 15, 12, 0)), 3600);
  assert_int_equal(hub_tz_offset(ber, U(2024, 7, 15, 12, 0)), 7200);
  assert_int_equal(hub_tz_offset(ber, U(2024, 3, 31, 1, 0) - 1), 3600); /* the table's transitions */
  assert_int_equal(hub_tz_offset(ber, U(2024, 3, 31, 1, 0)), 7200);
  assert_int_equal(hub_tz_offset(ber, U(2024, 10, 27, 1, 0) - 1), 7200);
  assert_int_equal(hub_tz_offset(ber, U(2024, 10, 27, 1, 0)), 3600);
  assert_int_equal(hub_tz_offset(ny, U(2024, 3, 10, 7, 0) - 1), -18000);
  assert_int_equal(hub_tz_offset(ny, U(2024, 3, 10, 7, 0)), -14400);
  assert_int_equal(hub_tz_offset(ny, U(2024, 11, 3, 6, 0)), -18000);
  assert_int_equal(hub_tz_offset(kol, U(2024, 7, 1, 0, 0)), 19800);
  /* history from the table */
  assert_int_equal(hub_tz_offset(ny, U(1990, 7, 1, 0, 0)), -14400);
  assert_int_equal(hub_tz_offset(ber, U(1980, 7, 1, 0, 0)), 7200);
  assert_int_equal(hub_tz_offset(kol, U(1943, 1, 1, 0, 0)), 23400);
  /* past the table: the footer's POSIX rule ("EST5EDT,M3.2.0,M11.1.0", "CET-1CEST,M3.5.0,M10.5.0/3") */
  assert_int_equal(hub_tz_offset(ny, U(2038, 3, 14, 7, 0) - 1), -18000);
  assert_int_equal(hub_tz_offset(ny, U(2038, 3, 14, 7, 0)), -14400);
  assert_int_equal(hub_tz_offset(ber, U(2100, 3, 28, 1, 0) - 1), 3600);
  assert_int_equal(hub_tz_offset(ber, U(2100, 3, 28, 1, 0)), 7200);
  assert_int_equal(hub_tz_offset(ber, U(2100, 10, 31, 1, 0) - 1), 7200); /* last Sunday of October 2100 */
  assert_int_equal(hub_tz_offset(ber, U(2100, 10, 31, 1, 0)), 3600);
  assert_int_equal(hub_tz_offset(syd, U(2100, 1, 15, 0, 0)), 39600); /* southern summer spans new year */
  assert_int_equal(hub_tz_offset(syd, U(2100, 7, 15, 0, 0)), 36000);
  assert_int_equal(hub_tz_offset(kol, U(2100, 7, 1, 0, 0)), 19800);
}

static void test_tz_names_and_cache(void **state) {
  (void)state;
  const char *bad[] = {"", "..", "../etc/passwd", "Europe/../UTC", "/etc/passwd", "Europe/Berlin;", "Europe Berlin",
                       "Europe/", "Europe//Berlin", "No/Such_Zone", "Europe", "zone.tab", "-x"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    if (hub_tz_get(bad[i])) fail_msg("accepted %s", bad[i]);
  }
  assert_null(hub_tz_get(NULL));
  const hub_tz *a = hub_tz_get("Europe/Berlin");
  assert_non_null(a);
  assert_ptr_equal(a, hub_tz_get("Europe/Berlin"));
  assert_ptr_equal(hub_tz_get("UTC"), hub_tz_get("UTC"));
  const hub_tz *gmt5 = hub_tz_get("Etc/GMT+5"); /* '+' is allowed; POSIX sign: 5h west */
  assert_non_null(gmt5);
  assert_int_equal(hub_tz_offset(gmt5, U(2024, 7, 1, 0, 0)), -18000);
}

static void *get_zones(void *arg) {
  const hub_tz **out = arg;
  out[0] = hub_tz_get("Asia/Tokyo");
  out[1] = hub_tz_get("America/Sao_Paulo");
  return NULL;
}

static void test_tz_cache_threads(void **state) {
  (void)state;
  pthread_t th[8];
  const hub_tz *got[8][2];
  for (int i = 0; i < 8; i++) assert_int_equal(pthread_create(&th[i], NULL, get_zones, got[i]), 0);
  for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 8; i++) {
    assert_non_null(got[i][0]);
    assert_ptr_equal(got[i][0], got[0][0]);
    assert_ptr_equal(got[i][1], got[0][1]);
  }
  assert_int_equal(hub_tz_offset(got[0][0], U(2024, 7, 1, 0, 0)), 9 * H);
}


static void test_local_to_utc_gaps_and_overlaps(void **state) {
  (void)state;
  const hub_tz *ber = hub_tz_get("Europe/Berlin"), *ny = hub_tz_get("America/New_York"), *kol = hub_tz_get("Asia/Kolkata");
  /* Berlin 2024-03-31: 02:00-03:00 does not exist; everything in it maps to 01:00Z (03:00 CEST) */
  assert_int_equal(hub_tz_local_to_utc(ber, 2024, 3, 31, 1 * H + 59 * M + 59), U(2024, 3, 31, 0, 59) + 59);
  assert_int_equal(hub_tz_local_to_utc(ber, 2024, 3, 31, 2 * H), U(2024, 3, 31, 1, 0));
  assert_int_equal(hub_tz_local_to_utc(ber, 2024, 3, 31, 2 * H + 30 * M), U(2024, 3, 31, 1, 0));
  assert_int_equal(hub_tz_local_to_utc(ber, 2024, 3, 31, 3 * H), U(2024, 3, 31, 1, 0));
  assert_int_equal(hub_tz_local_to_utc(ber, 2024, 3, 31, 3 * H + 1), U(2024, 3, 31, 1, 0) + 1);
  /* Berlin 2024-10-27: 02:00-03:00 happens twice; the earlier (CEST) one */
  assert_int_equal(hub_tz_local_to_utc(ber, 2024, 10, 27, 2 * H + 30 * M), U(2024, 10, 27, 0, 30));
  assert_int_equal(hub_tz_local_to_utc(ber, 2024, 10, 27, 3 * H), U(2024, 10, 27, 2, 0));
  assert_int_equal(hub_tz_local_to_utc(ber, 2024, 10, 27, 1 * H + 59 * M), U(2024, 10, 26, 23, 59));
  /* New York 2024-03-10 (02:00-03:00 skipped) and 2024-11-03 (01:00-02:00 repeated) */
  assert_int_equal(hub_tz_local_to_utc(ny, 2024, 3, 10, 2 * H + 30 * M), U(2024, 3, 10, 7, 0));
  assert_int_equal(hub_tz_local_to_utc(ny, 2024, 3, 10, 1 * H + 30 * M), U(2024, 3, 10, 6, 30));
  assert_int_equal(hub_tz_local_to_utc(ny, 2024, 11, 3, 1 * H + 30 * M), U(2024, 11, 3, 5, 30));
  assert_int_equal(hub_tz_local_to_utc(ny, 2024, 11, 3, 2 * H), U(2024, 11, 3, 7, 0));
  /* +05:30, and sec_of_day 86400 is the next midnight */
  assert_int_equal(hub_tz_local_to_utc(kol, 2024, 1, 15, 9 * H), U(2024, 1, 15, 3, 30));
  assert_int_equal(hub_tz_local_to_utc(kol, 2024, 1, 15, 86400), hub_tz_local_to_utc(kol, 2024, 1, 16, 0));
  /* round trip away from changes */
  const int64_t t = U(2024, 6, 1, 12, 34) + 56;
  assert_int_equal(hub_tz_local_to_utc(ny, 2024, 6, 1, 8 * H + 34 * M + 56), t);
}

static void test_business_hours_overnight(void **state) {
  (void)state;
  hub_calendar c;
  cal_make(&c, "UTC", "mon-fri 09:00-17:00");
  const int64_t mon = U(2024, 1, 15, 0, 0);
  assert_int_equal(hub_calendar_business_seconds(&c, mon + 8 * H, mon + 18 * H), 8 * H);
  assert_int_equal(hub_calendar_add_business(&c, mon + 16 * H, 4 * H), mon + 86400 + 12 * H); /* Tue 12:00 */
  assert_int_equal(hub_calendar_business_seconds(&c, mon + 16 * H, mon + 86400 + 12 * H), 4 * H);
  assert_int_equal(hub_calendar_add_business(&c, mon + 20 * H, H), mon + 86400 + 10 * H);
  assert_int_equal(hub_calendar_add_business(&c, mon + 20 * H, 0), mon + 86400 + 9 * H); /* first business instant */
  assert_int_equal(hub_calendar_add_business(&c, mon + 10 * H, 0), mon + 10 * H);
  assert_int_equal(hub_calendar_add_business(&c, mon + 9 * H, 8 * H), mon + 17 * H); /* the end, not next morning */
  assert_int_equal(hub_calendar_add_business(&c, mon + 9 * H, 8 * H + 1), mon + 86400 + 9 * H + 1);
}

static void test_business_hours_weekend(void **state) {
  (void)state;
  hub_calendar c;
  cal_make(&c, "UTC", "mon-fri 09:00-17:00");
  const int64_t fri = U(2024, 1, 19, 0, 0), mon = U(2024, 1, 22, 0, 0);
  assert_int_equal(hub_calendar_add_business(&c, fri + 16 * H, 4 * H), mon + 12 * H);
  assert_int_equal(hub_calendar_business_seconds(&c, fri + 16 * H, mon + 12 * H), 4 * H);
  assert_int_equal(hub_calendar_add_business(&c, fri + 86400 + 10 * H, 0), mon + 9 * H); /* Saturday */
  assert_int_equal(hub_calendar_business_seconds(&c, fri, fri + 7 * 86400), 40 * H);
  assert_int_equal(hub_calendar_add_business(&c, mon + 9 * H, 40 * H), mon + 4 * 86400 + 17 * H);
  assert_int_equal(hub_calendar_add_business(&c, mon + 9 * H, 41 * H), mon + 7 * 86400 + 10 * H);
  /* a whole year: 262 weekdays in 2024 */
  assert_int_equal(hub_calendar_business_seconds(&c, U(2024, 1, 1, 0, 0), U(2025, 1, 1, 0, 0)), 262 * 8 * H);
}

static void test_holidays(void **state) {
  (void)state;
  hub_calendar c;
  berlin_christmas(&c);
  /* Monday 23rd 16:00 CET (15:00Z) + 4h: 1h Monday, then Friday 27th 12:00 CET */
  assert_int_equal(hub_calendar_add_business(&c, U(2024, 12, 23, 15, 0), 4 * H), U(2024, 12, 27, 11, 0));
  assert_int_equal(hub_calendar_business_seconds(&c, U(2024, 12, 22, 0, 0), U(2024, 12, 29, 0, 0)), 16 * H);
  assert_int_equal(hub_calendar_add_business(&c, U(2024, 12, 24, 9, 0), 0), U(2024, 12, 27, 8, 0));
  /* the same week without holidays */
  c.n_holidays = 0;
  assert_int_equal(hub_calendar_business_seconds(&c, U(2024, 12, 22, 0, 0), U(2024, 12, 29, 0, 0)), 40 * H);
}

static void test_split_day_and_saturday(void **state) {
  (void)state;
  hub_calendar c;
  cal_make(&c, "UTC", "mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00");
  const int64_t mon = U(2024, 1, 15, 0, 0), fri = U(2024, 1, 19, 0, 0);
  assert_int_equal(hub_calendar_add_business(&c, mon + 11 * H, 2 * H), mon + 14 * H); /* lunch skipped */
  assert_int_equal(hub_calendar_add_business(&c, mon + 12 * H + 30 * M, 0), mon + 13 * H);
  assert_int_equal(hub_calendar_add_business(&c, fri + 16 * H, 3 * H), fri + 86400 + 12 * H); /* Saturday noon */
  assert_int_equal(hub_calendar_business_seconds(&c, mon, mon + 7 * 86400), 39 * H);
}

static void test_time_zones(void **state) {
  (void)state;
  hub_calendar ber, ny, kol;
  cal_make(&ber, "Europe/Berlin", "mon-fri 09:00-17:00");
  cal_make(&ny, "America/New_York", "mon-fri 09:00-17:00");
  cal_make(&kol, "Asia/Kolkata", "mon-fri 09:00-17:00");
  const int64_t t = U(2024, 1, 15, 12, 0); /* Monday: 13:00 Berlin, 07:00 New York, 17:30 Kolkata */
  assert_int_equal(hub_calendar_add_business(&ber, t, 2 * H), U(2024, 1, 15, 14, 0));
  assert_int_equal(hub_calendar_add_business(&ny, t, 2 * H), U(2024, 1, 15, 16, 0));
  assert_int_equal(hub_calendar_add_business(&kol, t, 2 * H), U(2024, 1, 16, 5, 30));
  assert_int_equal(hub_calendar_business_seconds(&kol, U(2024, 1, 15, 0, 0), U(2024, 1, 16, 0, 0)), 8 * H);
  assert_int_equal(hub_calendar_business_seconds(&kol, U(2024, 1, 15, 3, 0), U(2024, 1, 15, 4, 0)), 30 * M);
  /* summer in Berlin: 14:00 CEST + 4h = Tuesday 10:00 CEST */
  assert_int_equal(hub_calendar_add_business(&ber, U(2024, 7, 15, 12, 0), 4 * H), U(2024, 7, 16, 8, 0));
}

static int64_t day_hours(const char *zone, const char *spec, int y, int m, int d) {
  hub_calendar c;
  cal_make(&c, zone, spec);
  const int64_t mid = hub_days_from_civil(y, m, d) * 86400;
  return hub_calendar_business_seconds(&c, mid - 2 * 86400, mid + 2 * 86400);
}

static void test_dst_days_berlin(void **state) {
  (void)state;
  /* 2024-03-31 and 2024-10-27 are Sundays */
  assert_int_equal(day_hours("Europe/Berlin", "sun 01:00-05:00", 2024, 3, 31), 3 * H);
  assert_int_equal(day_hours("Europe/Berlin", "sun 09:00-17:00", 2024, 3, 31), 8 * H);
  assert_int_equal(day_hours("Europe/Berlin", "sun 00:00-24:00", 2024, 3, 31), 23 * H);
  assert_int_equal(day_hours("Europe/Berlin", "sun 02:15-02:45", 2024, 3, 31), 0); /* entirely skipped */
  assert_int_equal(day_hours("Europe/Berlin", "sun 01:00-05:00", 2024, 10, 27), 5 * H);
  assert_int_equal(day_hours("Europe/Berlin", "sun 09:00-17:00", 2024, 10, 27), 8 * H);
  assert_int_equal(day_hours("Europe/Berlin", "sun 00:00-24:00", 2024, 10, 27), 25 * H);
  hub_calendar c;
  cal_make(&c, "Europe/Berlin", "sun 01:00-05:00");
  assert_int_equal(hub_calendar_add_business(&c, U(2024, 10, 26, 12, 0), 5 * H), U(2024, 10, 27, 4, 0)); /* 05:00 CET */
  assert_int_equal(hub_calendar_add_business(&c, U(2024, 3, 30, 12, 0), 3 * H), U(2024, 3, 31, 3, 0));  /* 05:00 CEST */
}

static void test_dst_days_new_york(void **state) {
  (void)state;
  /* 2024-03-10 and 2024-11-03 are Sundays; the changes happen at 02:00 local */
  assert_int_equal(day_hours("America/New_York", "sun 01:00-05:00", 2024, 3, 10), 3 * H);
  assert_int_equal(day_hours("America/New_York", "sun 09:00-17:00", 2024, 3, 10), 8 * H);
  assert_int_equal(day_hours("America/New_York", "sun 00:00-24:00", 2024, 3, 10), 23 * H);
  assert_int_equal(day_hours("America/New_York", "sun 01:00-05:00", 2024, 11, 3), 5 * H);
  assert_int_equal(day_hours("America/New_York", "sun 09:00-17:00", 2024, 11, 3), 8 * H);
  assert_int_equal(day_hours("America/New_York", "sun 00:00-24:00", 2024, 11, 3), 25 * H);
  /* a holiday on the 25-hour day removes 25 hours from an all-day calendar */
  hub_calendar c;
  cal_make(&c, "America/New_York", "sun-sat 00:00-24:00");
  const int64_t from = hub_tz_local_to_utc(c.tz, 2024, 11, 2, 0), to = hub_tz_local_to_utc(c.tz, 2024, 11, 5, 0);
  assert_int_equal(hub_calendar_business_seconds(&c, from, to), 73 * H);
  holiday(&c, 2024, 11, 3);
  assert_int_equal(hub_calendar_business_seconds(&c, from, to), 48 * H);
  assert_int_equal(hub_calendar_add_business(&c, from + 23 * H, 2 * H), hub_tz_local_to_utc(c.tz, 2024, 11, 4, H));
}

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next_rand(void) { /* xorshift64*, fixed seed */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 2685821657736338717u;
}

static void test_add_business_inverse(void **state) {
  (void)state;
  hub_calendar cals[5];
  cal_make(&cals[0], "Europe/Berlin", "mon-fri 09:00-17:00");
  holiday(&cals[0], 2024, 12, 25);
  holiday(&cals[0], 2025, 4, 21);
  cal_make(&cals[1], "America/New_York", "mon-fri 01:00-05:00,08:30-12:00,13:00-17:30; sat 10:00-14:00");
  cal_make(&cals[2], "Asia/Kolkata", "mon-sat 10:00-19:00");
  cal_make(&cals[3], "Australia/Sydney", "sun-sat 00:00-03:00,22:00-24:00");
  holiday(&cals[3], 2025, 1, 1);
  hub_calendar_24x7(&cals[4]);
  const int64_t base = U(2023, 1, 1, 0, 0), span = U(2027, 1, 1, 0, 0) - base;
  for (int i = 0; i < 400; i++) {
    const hub_calendar *c = &cals[i % 5];
    const int64_t from = base + (int64_t)(next_rand() % (uint64_t)span);
    const uint64_t r = next_rand();
    const int64_t budget = r % 5 == 0 ? 0 : r % 5 == 1 ? (int64_t)(r / 5 % 60) * H : (int64_t)(r / 5 % (120 * H));
    const int64_t t = hub_calendar_add_business(c, from, budget);
    assert_true(t >= from && t < from + 400 * 86400);
    assert_int_equal(hub_calendar_business_seconds(c, from, t), budget);
    if (budget > 0) assert_int_equal(hub_calendar_business_seconds(c, from, t - 1), budget - 1); /* the earliest */
    else assert_int_equal(hub_calendar_business_seconds(c, t, t + 1), 1);                          /* a business instant */
    /* and the other way round */
    const int64_t to = from + (int64_t)(next_rand() % (30 * 86400));
    const int64_t k = hub_calendar_business_seconds(c, from, to);
    if (k > 0) { /* (with k == 0 it is the next opening, possibly after to) */
      const int64_t back = hub_calendar_add_business(c, from, k);
      assert_true(back <= to);
      assert_int_equal(hub_calendar_business_seconds(c, back, to), 0);
    }
  }
}

static void test_no_business_hours(void **state) {
  (void)state;
  hub_calendar c;
  cal_make(&c, "UTC", "mon 09:00-10:00");
  memset(c.week, 0, sizeof c.week);
  const int64_t t = U(2024, 1, 15, 0, 0);
  assert_int_equal(hub_calendar_add_business(&c, t, 0), INT64_MAX);
  assert_int_equal(hub_calendar_add_business(&c, t, H), INT64_MAX);
  assert_int_equal(hub_calendar_business_seconds(&c, t, INT64_MAX), 0);
  /* open-ended ranges stay bounded */
  cal_make(&c, "UTC", "mon-fri 09:00-17:00");
  assert_int_equal(hub_calendar_business_seconds(&c, t, INT64_MAX), hub_calendar_business_seconds(&c, t, t + 3660LL * 86400));
  assert_true(hub_calendar_business_seconds(&c, INT64_MIN, t) >= 0);
  assert_int_equal(hub_calendar_add_business(&c, INT64_MAX - 5, H), INT64_MAX);
}

static void test_parse_week(void **state) {
  (void)state;
  hub_calendar c;
  memset(&c, 0, sizeof c);
  char err[96];
  assert_true(hub_calendar_parse_week(&c, "mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00", err, sizeof err));
  assert_int_equal(c.week[0].n, 0);
  assert_int_equal(c.week[3].n, 2);
  assert_int_equal(c.week[3].iv[1].start_min, 13 * 60);
  assert_int_equal(c.week[6].n, 1);
  assert_int_equal(c.week[6].iv[0].end_min, 14 * 60);
  /* lists, wrap-around ranges, 24:00, case, unsorted intervals, whitespace, empty groups */
  assert_true(hub_calendar_parse_week(&c, "  SAT-Sun 00:00-24:00 ; mon,wed 13:00-14:00 , 08:00-09:00;;", err, sizeof err));
  assert_true(c.week[0].n == 1 && c.week[6].n == 1 && c.week[1].n == 2 && c.week[3].n == 2 && c.week[2].n == 0);
  assert_int_equal(c.week[0].iv[0].end_min, 1440);
  assert_int_equal(c.week[1].iv[0].start_min, 8 * 60); /* sorted */
  /* the same day in two groups accumulates */
  assert_true(hub_calendar_parse_week(&c, "mon-fri 09:00-12:00; mon 13:00-14:00", err, sizeof err));
  assert_int_equal(c.week[1].n, 2);
  assert_int_equal(c.week[2].n, 1);
}

static void test_parse_week_errors(void **state) {
  (void)state;
  const char *bad[] = {"",
                       "   ;",
                       "mon",
                       "mon-",
                       "xyz 09:00-17:00",
                       "monday 09:00-17:00",
                       "mon 9:00-17:00",
                       "mon 09:00",
                       "mon 09:00-",
                       "mon 17:00-09:00",
                       "mon 09:00-09:00",
                       "mon 09:00-25:00",
                       "mon 24:00-24:00",
                       "mon 09:60-10:00",
                       "mon 24:30-24:45",
                       "mon 09:00-12:00,11:00-13:00",
                       "mon 09:00-12:00; mon-tue 11:00-13:00",
                       "mon 01:00-02:00,03:00-04:00,05:00-06:00,07:00-08:00,09:00-10:00",
                       "mon 09:00-17:00 tue",
                       "mon 09:00-17:00,",
                       "mon,,tue 09:00-17:00",
                       "mon09:00-17:00"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    hub_calendar c;
    memset(&c, 0, sizeof c);
    c.week[2].n = 1;
    c.week[2].iv[0] = (hub_calendar_interval){60, 120};
    char err[96] = "";
    if (hub_calendar_parse_week(&c, bad[i], err, sizeof err)) fail_msg("accepted \"%s\"", bad[i]);
    if (!err[0]) fail_msg("no reason for \"%s\"", bad[i]);
    assert_int_equal(c.week[2].n, 1); /* untouched */
    assert_int_equal(c.week[1].n, 0);
  }
  char err[96];
  hub_calendar c;
  assert_false(hub_calendar_parse_week(&c, "mon 09:00-12:00,11:00-13:00", err, sizeof err));
  assert_non_null(strstr(err, "overlap"));
  assert_false(hub_calendar_parse_week(&c, "fri-xyz 09:00-10:00", NULL, 0)); /* no err buffer */
  assert_false(hub_calendar_parse_week(&c, NULL, err, sizeof err));
}

static void test_cost_seven_days(void **state) {
  (void)state;
  hub_calendar c;
  cal_make(&c, "Europe/Berlin", "mon-fri 09:00-17:00");
  holiday(&c, 2025, 12, 25);
  holiday(&c, 2025, 12, 26);
  const int64_t from = U(2025, 3, 24, 9, 0); /* Monday 10:00 CET; due a week later (past the DST change) */
  assert_int_equal(hub_calendar_add_business(&c, from, 40 * H), U(2025, 3, 31, 8, 0));
  enum { N = 20000 };
  struct timespec a, b;
  int64_t sink = 0;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < N; i++) sink += hub_calendar_add_business(&c, from + (i & 1), 40 * H);
  clock_gettime(CLOCK_MONOTONIC, &b);
  assert_true(sink > 0);
  const double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / N;
  print_message("hub_calendar_add_business, due 7 days ahead (Europe/Berlin, mon-fri, 2 holidays): %.0f ns/call\n", ns);
}

static void test_calendar_24x7(void **state) {
  (void)state;
  hub_calendar c;
  hub_calendar_24x7(&c);
  const int64_t t = U(2024, 3, 30, 22, 17) + 5;
  assert_int_equal(hub_calendar_business_seconds(&c, t, t + 3 * 86400 + 7), 3 * 86400 + 7);
  assert_int_equal(hub_calendar_business_seconds(&c, t, t), 0);
  assert_int_equal(hub_calendar_business_seconds(&c, t, t - 5), 0);
  assert_int_equal(hub_calendar_add_business(&c, t, 0), t);
  assert_int_equal(hub_calendar_add_business(&c, t, 90061), t + 90061);
  assert_int_equal(hub_calendar_add_business(&c, t, INT64_MAX), INT64_MAX);
}

static void test_date_parse(void **state) {
  (void)state;
  int64_t day = -1;
  assert_true(hub_date_parse("2024-02-29", &day));
  assert_int_equal(day, hub_days_from_civil(2024, 2, 29));
  assert_true(hub_date_parse("1970-01-01", &day));
  assert_int_equal(day, 0);
  const char *bad[] = {"2023-02-29", "2100-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-1-01",
                       "2024-01-1",  "2024/01/01", "2024-01-01x", "", "abcd-ef-gh", "2024-01-0a"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    if (hub_date_parse(bad[i], &day)) fail_msg("accepted \"%s\"", bad[i]);
  }
  assert_false(hub_date_parse(NULL, &day));
  assert_true(hub_date_valid(2000, 2, 29));
  assert_false(hub_date_valid(1900, 2, 29));
  assert_int_equal(hub_weekday(hub_days_from_civil(2024, 1, 15)), 1); /* a Monday */
  assert_int_equal(hub_weekday(-1), 3);                                /* 1969-12-31, a Wednesday */
}

/* A zone from bytes: the system's Berlin file read by hand gives what hub_tz_get gives; a minimal
 * version-1 file (one fixed type) parses; cut or foreign bytes are refused. */
static void test_tz_parse_bytes(void **state) {
  (void)state;
  FILE *f = fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
  assert_non_null(f);
  unsigned char *buf = malloc(1 << 20);
  assert_non_null(buf);
  const size_t len = fread(buf, 1, 1 << 20, f);
  fclose(f);
  hub_tz *ber = hub_tz_parse(buf, len);
  assert_non_null(ber);
  const hub_tz *cached = hub_tz_get("Europe/Berlin");
  for (int64_t t = U(1975, 1, 1, 0, 0); t < U(2120, 1, 1, 0, 0); t += 86400 * 13 + 3599)
    assert_int_equal(hub_tz_offset(ber, t), hub_tz_offset(cached, t));
  assert_string_equal(hub_tz_name(cached), "Europe/Berlin");
  assert_string_equal(hub_tz_name(ber), "");
  hub_tz_free(ber);
  for (size_t cut = 0; cut < 44 + 6; cut += 7) assert_null(hub_tz_parse(buf, cut));
  memcpy(buf, "TZix", 4);
  assert_null(hub_tz_parse(buf, len));
  free(buf);

  unsigned char v1[54] = {'T', 'Z', 'i', 'f', 0};
  v1[36 + 3] = 1;                    /* typecnt */
  v1[40 + 3] = 4;                    /* charcnt */
  v1[44 + 2] = 0x0e, v1[44 + 3] = 0x10; /* utoff 3600 */
  memcpy(v1 + 50, "CET", 4);
  hub_tz *fixed = hub_tz_parse(v1, sizeof v1);
  assert_non_null(fixed);
  assert_int_equal(hub_tz_offset(fixed, U(2024, 7, 1, 0, 0)), 3600);
  assert_int_equal(hub_tz_local_to_utc(fixed, 2024, 7, 1, 9 * H), U(2024, 7, 1, 8, 0));
  hub_tz_free(fixed);
  v1[44 + 5] = 9; /* an abbreviation index past the characters */
  assert_null(hub_tz_parse(v1, sizeof v1));
  assert_null(hub_tz_parse(NULL, 0));
}

static int64_t D(int y, int m, int d) { return hub_days_from_civil(y, m, d); }

/* Business days in Berlin over Christmas 2024 (24-26 December off). */
static void test_business_days(void **state) {
  (void)state;
  hub_calendar c;
  berlin_christmas(&c);
  assert_true(hub_calendar_is_business_day(&c, D(2024, 12, 23)));
  assert_false(hub_calendar_is_business_day(&c, D(2024, 12, 25)));
  assert_false(hub_calendar_is_business_day(&c, D(2024, 12, 21))); /* Saturday */
  /* Friday 20th + 1, 2, 3 business days: Monday 23rd, Friday 27th, Monday 30th */
  assert_int_equal(hub_calendar_add_business_days(&c, D(2024, 12, 20), 1), D(2024, 12, 23));
  assert_int_equal(hub_calendar_add_business_days(&c, D(2024, 12, 20), 2), D(2024, 12, 27));
  assert_int_equal(hub_calendar_add_business_days(&c, D(2024, 12, 20), 3), D(2024, 12, 30));
  /* backwards from Friday 27th: Monday 23rd, Friday 20th */
  assert_int_equal(hub_calendar_add_business_days(&c, D(2024, 12, 27), -1), D(2024, 12, 23));
  assert_int_equal(hub_calendar_add_business_days(&c, D(2024, 12, 27), -2), D(2024, 12, 20));
  /* zero: the day itself when it is one, else the next */
  assert_int_equal(hub_calendar_add_business_days(&c, D(2024, 12, 23), 0), D(2024, 12, 23));
  assert_int_equal(hub_calendar_add_business_days(&c, D(2024, 12, 24), 0), D(2024, 12, 27));
  assert_int_equal(hub_calendar_add_business_days(&c, D(2024, 12, 21), 0), D(2024, 12, 23));
  /* December 2024: 22 weekdays, 3 of them holidays */
  assert_int_equal(hub_calendar_business_days(&c, D(2024, 12, 1), D(2025, 1, 1)), 19);
  assert_int_equal(hub_calendar_business_days(&c, D(2024, 12, 23), D(2024, 12, 23)), 0);
  assert_int_equal(hub_calendar_business_days(&c, D(2024, 12, 27), D(2024, 12, 20)), 0);
  /* counting and adding agree */
  for (int n = 1; n < 40; n++) {
    const int64_t to = hub_calendar_add_business_days(&c, D(2024, 12, 20), n);
    assert_int_equal(hub_calendar_business_days(&c, D(2024, 12, 20) + 1, to + 1), n);
  }
  /* a calendar without hours has no business day at all */
  memset(c.week, 0, sizeof c.week);
  assert_int_equal(hub_calendar_add_business_days(&c, D(2024, 12, 20), 1), INT64_MIN);
  assert_int_equal(hub_calendar_business_days(&c, D(2024, 1, 1), D(2025, 1, 1)), 0);
}

/* Working hours of a day in a zone: DST days, holidays, and hours that do not exist that day. */
static void test_day_seconds(void **state) {
  (void)state;
  hub_calendar c;
  cal_make(&c, "Europe/Berlin", "sun 00:00-24:00; mon-fri 09:00-12:00,13:00-17:00");
  assert_int_equal(hub_calendar_day_seconds(&c, D(2024, 3, 31)), 23 * H);
  assert_int_equal(hub_calendar_day_seconds(&c, D(2024, 10, 27)), 25 * H);
  assert_int_equal(hub_calendar_day_seconds(&c, D(2024, 7, 14)), 24 * H);
  assert_int_equal(hub_calendar_day_seconds(&c, D(2024, 7, 15)), 7 * H);
  assert_int_equal(hub_calendar_day_seconds(&c, D(2024, 7, 13)), 0); /* Saturday */
  holiday(&c, 2024, 7, 15);
  assert_int_equal(hub_calendar_day_seconds(&c, D(2024, 7, 15)), 0);
  cal_make(&c, "Europe/Berlin", "sun 02:15-02:45");
  assert_false(hub_calendar_is_business_day(&c, D(2024, 3, 31))); /* skipped by the clock change */
  assert_true(hub_calendar_is_business_day(&c, D(2024, 4, 7)));
  /* a full calendar refuses more holidays */
  for (int i = 0; i < HUB_CALENDAR_MAX_HOLIDAYS; i++) assert_true(hub_calendar_add_holiday(&c, i));
  assert_false(hub_calendar_add_holiday(&c, 9999));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_civil_dates),
      cmocka_unit_test(test_date_parse),
      cmocka_unit_test(test_tz_offsets),
      cmocka_unit_test(test_tz_names_and_cache),
      cmocka_unit_test(test_tz_cache_threads),
      cmocka_unit_test(test_tz_parse_bytes),
      cmocka_unit_test(test_local_to_utc_gaps_and_overlaps),
      cmocka_unit_test(test_calendar_24x7),
      cmocka_unit_test(test_business_hours_overnight),
      cmocka_unit_test(test_business_hours_weekend),
      cmocka_unit_test(test_holidays),
      cmocka_unit_test(test_split_day_and_saturday),
      cmocka_unit_test(test_time_zones),
      cmocka_unit_test(test_dst_days_berlin),
      cmocka_unit_test(test_dst_days_new_york),
      cmocka_unit_test(test_add_business_inverse),
      cmocka_unit_test(test_no_business_hours),
      cmocka_unit_test(test_business_days),
      cmocka_unit_test(test_day_seconds),
      cmocka_unit_test(test_parse_week),
      cmocka_unit_test(test_parse_week_errors),
      cmocka_unit_test(test_cost_seven_days),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
