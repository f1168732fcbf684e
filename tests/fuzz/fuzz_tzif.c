/* The TZif reader (hub_tz_parse, RFC 8536) on arbitrary bytes, and a parsed zone's lookups:
 * offsets across the years a google.protobuf.Timestamp can hold, local days, and wall times
 * (a DST gap or overlap included) back to UTC. An offset must stay within the ±26 h that the
 * reader admits, and a day's midnight must map to an instant whose local day is near it. */
#include <stdlib.h>

#include "hub/calendar.h"

#define OFFSET_MAX (26 * 3600)

static void lookups(const hub_tz *tz) {
  static const int64_t instants[] = {-62135596800LL, -2208988800LL, -1, 0, 1, 1711846800LL, 1729990800LL,
                                     1798761600LL, 4102444800LL, 253402300799LL};
  for (size_t i = 0; i < sizeof instants / sizeof *instants; i++) {
    int32_t off = hub_tz_offset(tz, instants[i]);
    if (off <= -OFFSET_MAX || off >= OFFSET_MAX) abort();
    (void)hub_tz_local_day(tz, instants[i]);
  }
  static const int years[] = {1, 1900, 1970, 2026, 2100, 9999};
  for (size_t y = 0; y < sizeof years / sizeof *years; y++)
    for (int m = 1; m <= 12; m++) {
      int64_t t = hub_tz_local_to_utc(tz, years[y], m, 1, 2 * 3600 + 30 * 60); /* 02:30: inside most gaps */
      int64_t want = hub_days_from_civil(years[y], m, 1), day = hub_tz_local_day(tz, t);
      if (day < want - 2 || day > want + 2) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  hub_tz *tz = hub_tz_parse(data, size);
  if (tz) lookups(tz);
  hub_tz_free(tz);
  return 0;
}
