/* Civil dates: the proleptic Gregorian calendar as days since 1970-01-01 (Howard Hinnant's
 * days_from_civil and its inverse, exact for any day number), weekdays and "YYYY-MM-DD". */
#include <string.h>

#include "hub/calendar.h"

int64_t hub_days_from_civil(int year, int m, int d) {
  const int64_t y = (int64_t)year - (m <= 2);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void hub_civil_from_days(int64_t z, int *y, int *m, int *d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
  const int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yoe + era * 400 + (mm <= 2));
  *m = mm;
  *d = dd;
}

int hub_weekday(int64_t days) { /* 1970-01-01 was a Thursday */
  const int64_t w = (days + 4) % 7;
  return (int)(w < 0 ? w + 7 : w);
}

bool hub_date_valid(int y, int m, int d) {
  static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= len[m - 1] + (m == 2 && leap);
}

bool hub_date_parse(const char *s, int64_t *days) {
  if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
  int v[3] = {0, 0, 0};
  static const int at[3] = {0, 5, 8}, width[3] = {4, 2, 2};
  for (int f = 0; f < 3; f++) {
    for (int i = 0; i < width[f]; i++) {
      const char ch = s[at[f] + i];
      if (ch < '0' || ch > '9') return false;
      v[f] = v[f] * 10 + (ch - '0');
    }
  }
  if (!hub_date_valid(v[0], v[1], v[2])) return false;
  *days = hub_days_from_civil(v[0], v[1], v[2]);
  return true;
}
