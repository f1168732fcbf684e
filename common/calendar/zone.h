/* The zone's representation, shared by the pure reader (tz.c) and the tzdata cache
 * (tz_load.c) only; everyone else sees hub_tz as opaque (hub/calendar.h). */
#ifndef HUB_CALENDAR_ZONE_H
#define HUB_CALENDAR_ZONE_H

#include "hub/calendar.h"

#define HUB_TZ_MAX_NAME 255

typedef struct tz_rule {
  int kind, a, b, c; /* Jn: a=n; n: a=n; Mm.w.d: a=m b=w c=d */
  int32_t time;      /* seconds after local midnight (may be negative or beyond 24h) */
} tz_rule;

typedef struct posix_tz {
  int32_t std_off, dst_off; /* seconds east of UTC */
  bool has_dst;
  tz_rule start, end;
} posix_tz;

struct hub_tz {
  char name[HUB_TZ_MAX_NAME + 1];
  size_t n_trans;
  int64_t *trans;   /* ascending transition instants */
  int32_t *off_at;  /* offset in effect from trans[i] on */
  int32_t initial;  /* offset before the first transition (time type 0) */
  bool has_footer;  /* footer rule governs instants at/after the last transition (or all, if none) */
  posix_tz footer;
  struct hub_tz *next; /* the cache's list (tz_load.c) */
};

#endif
