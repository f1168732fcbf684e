/* Time zones, pure: offsets from a zone's transition table and the POSIX TZ rule of its footer
 * (for instants after the last transition), local wall time to UTC across gaps and overlaps,
 * and the TZif parser (RFC 8536) working on bytes. Reading the files is tz_load.c's job. */
#include <stdlib.h>
#include <string.h>

#include "calendar/zone.h"

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

/* ---- the zone ---- */

enum { RULE_JULIAN1 = 1, RULE_JULIAN0, RULE_MWD }; /* Jn (no Feb 29), n (0-based), Mm.w.d */

static int64_t rule_day(const tz_rule *r, int y) { /* days since epoch of the rule's day in year y */
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int64_t jan1 = hub_days_from_civil(y, 1, 1);
  switch (r->kind) {
  case RULE_JULIAN1: return jan1 + r->a - 1 + (leap && r->a >= 60 ? 1 : 0);
  case RULE_JULIAN0: return jan1 + r->a;
  default: {
    const int64_t first = hub_days_from_civil(y, r->a, 1);
    const int64_t next = r->a == 12 ? hub_days_from_civil(y + 1, 1, 1) : hub_days_from_civil(y, r->a + 1, 1);
    int64_t day = first + (r->c - hub_weekday(first) + 7) % 7 + 7 * (r->b - 1);
    while (day >= next) day -= 7;
    return day;
  }
  }
}

static int32_t posix_offset(const posix_tz *p, int64_t t) {
  if (!p->has_dst) return p->std_off;
  int y, m, d;
  hub_civil_from_days(floor_div(t + p->std_off, 86400), &y, &m, &d);
  const int64_t start = rule_day(&p->start, y) * 86400 + p->start.time - p->std_off;
  const int64_t end = rule_day(&p->end, y) * 86400 + p->end.time - p->dst_off;
  bool dst;
  if (start < end) dst = t >= start && t < end;
  else dst = !(t >= end && t < start);
  return dst ? p->dst_off : p->std_off;
}

int32_t hub_tz_offset(const hub_tz *tz, int64_t utc_s) {
  if (!tz) return 0;
  if (tz->n_trans == 0) return tz->has_footer ? posix_offset(&tz->footer, utc_s) : tz->initial;
  if (utc_s < tz->trans[0]) return tz->initial;
  if (utc_s >= tz->trans[tz->n_trans - 1]) {
    return tz->has_footer ? posix_offset(&tz->footer, utc_s) : tz->off_at[tz->n_trans - 1];
  }
  size_t lo = 0, hi = tz->n_trans - 1; /* trans[lo] <= utc_s < trans[hi] */
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    if (tz->trans[mid] <= utc_s) lo = mid;
    else hi = mid;
  }
  return tz->off_at[lo];
}

int64_t hub_tz_local_to_utc(const hub_tz *tz, int y, int m, int d, int sec_of_day) {
  const int64_t local = hub_days_from_civil(y, m, d) * 86400 + sec_of_day;
  if (!tz) return local;
  /* The offsets in effect well before and well after (a day either side covers any offset up to
   * +-26h around the wall time); zones do not change twice within two days. */
  const int32_t before = hub_tz_offset(tz, local - 86400), after = hub_tz_offset(tz, local + 86400);
  const int64_t t1 = local - before, t2 = local - after;
  const bool ok1 = hub_tz_offset(tz, t1) == before, ok2 = hub_tz_offset(tz, t2) == after;
  if (ok1 && ok2) return t1 < t2 ? t1 : t2; /* a repeated time (or no change): the earlier */
  if (ok1) return t1;
  if (ok2) return t2;
  if (before == after) return t1; /* cannot happen with sane data */
  /* A skipped time: the transition T lies in (local - after, local - before] when the clock
   * jumps forward; return T, the first instant after the gap. */
  int64_t lo = local - after, hi = local - before; /* offset(lo) != after ... offset(hi) == after */
  if (lo > hi) {
    const int64_t x = lo;
    lo = hi;
    hi = x;
  }
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (hub_tz_offset(tz, mid) == after) hi = mid;
    else lo = mid;
  }
  return hi;
}

/* ---- POSIX TZ strings (the TZif footer) ---- */

static const char *parse_name(const char *s) {
  if (*s == '<') {
    const char *e = strchr(s, '>');
    return e && e - s >= 4 ? e + 1 : NULL;
  }
  const char *p = s;
  while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) p++;
  return p - s >= 3 ? p : NULL;
}

static int parse_num(const char **s, int max) { /* digits, at most max; -1 when none or too big */
  const char *p = *s;
  int v = 0;
  if (*p < '0' || *p > '9') return -1;
  while (*p >= '0' && *p <= '9') {
    v = v * 10 + (*p++ - '0');
    if (v > max) return -1;
  }
  *s = p;
  return v;
}

/* [+-]hh[:mm[:ss]] in seconds; false when malformed. */
static bool parse_hms(const char **s, int max_h, int32_t *out) {
  const char *p = *s;
  int sign = 1;
  if (*p == '+' || *p == '-') sign = *p++ == '-' ? -1 : 1;
  const int h = parse_num(&p, max_h);
  if (h < 0) return false;
  int mm = 0, ss = 0;
  if (*p == ':') {
    p++;
    if ((mm = parse_num(&p, 59)) < 0) return false;
    if (*p == ':') {
      p++;
      if ((ss = parse_num(&p, 59)) < 0) return false;
    }
  }
  *out = sign * (h * 3600 + mm * 60 + ss);
  *s = p;
  return true;
}

static bool parse_rule(const char **s, tz_rule *r) {
  const char *p = *s;
  if (*p == 'J') {
    p++;
    r->kind = RULE_JULIAN1;
    if ((r->a = parse_num(&p, 365)) < 1) return false;
  } else if (*p == 'M') {
    p++;
    r->kind = RULE_MWD;
    if ((r->a = parse_num(&p, 12)) < 1 || *p++ != '.') return false;
    if ((r->b = parse_num(&p, 5)) < 1 || *p++ != '.') return false;
    if ((r->c = parse_num(&p, 6)) < 0) return false;
  } else {
    r->kind = RULE_JULIAN0;
    if ((r->a = parse_num(&p, 365)) < 0) return false;
  }
  r->time = 7200;
  if (*p == '/') {
    p++;
    if (!parse_hms(&p, 167, &r->time)) return false;
  }
  *s = p;
  return true;
}

/* "STD offset [DST [offset] [,start[/time],end[/time]]]". */
static bool parse_posix(const char *s, posix_tz *out) {
  posix_tz p = {0};
  int32_t v;
  if (!(s = parse_name(s)) || !parse_hms(&s, 24, &v)) return false;
  p.std_off = -v;
  if (*s == '\0') {
    *out = p;
    return true;
  }
  if (!(s = parse_name(s))) return false;
  p.has_dst = true;
  p.dst_off = p.std_off + 3600;
  if (*s != ',' && *s != '\0') {
    if (!parse_hms(&s, 24, &v)) return false;
    p.dst_off = -v;
  }
  if (*s == '\0') { /* no rule: the customary default (US rules since 2007) */
    p.start = (tz_rule){RULE_MWD, 3, 2, 0, 7200};
    p.end = (tz_rule){RULE_MWD, 11, 1, 0, 7200};
  } else {
    if (*s++ != ',' || !parse_rule(&s, &p.start) || *s++ != ',' || !parse_rule(&s, &p.end) || *s != '\0') return false;
  }
  *out = p;
  return true;
}

/* ---- TZif ---- */

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static int64_t be64(const unsigned char *p) { return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4)); }

typedef struct tzif_counts {
  uint32_t isut, isstd, leap, time, type, chars;
} tzif_counts;

static bool read_header(const unsigned char *p, size_t len, tzif_counts *c, char *version) {
  if (len < 44 || memcmp(p, "TZif", 4) != 0) return false;
  *version = (char)p[4];
  c->isut = be32(p + 20);
  c->isstd = be32(p + 24);
  c->leap = be32(p + 28);
  c->time = be32(p + 32);
  c->type = be32(p + 36);
  c->chars = be32(p + 40);
  if (c->type == 0 || c->type > 256 || c->chars == 0 || c->time > 100000 || c->leap > 100000) return false;
  if ((c->isut != 0 && c->isut != c->type) || (c->isstd != 0 && c->isstd != c->type)) return false;
  return true;
}

static size_t block_size(const tzif_counts *c, size_t tsize) {
  return c->time * tsize + c->time + c->type * 6 + c->chars + c->leap * (tsize + 4) + c->isstd + c->isut;
}

hub_tz *hub_tz_parse(const unsigned char *buf, size_t len) {
  tzif_counts c;
  char version;
  if (!buf || !read_header(buf, len, &c, &version)) return NULL;
  size_t tsize = 4;
  const unsigned char *p = buf + 44;
  size_t need = 44 + block_size(&c, 4);
  if (need > len) return NULL;
  if (version >= '2') { /* skip the 32-bit block, use the 64-bit one */
    const unsigned char *h2 = buf + need;
    if (!read_header(h2, len - need, &c, &version)) return NULL;
    tsize = 8;
    p = h2 + 44;
    need += 44 + block_size(&c, 8);
    if (need > len) return NULL;
  }
  if (c.leap != 0) return NULL; /* "right/" zones count leap seconds; Unix time does not */

  hub_tz *tz = calloc(1, sizeof *tz);
  if (!tz) return NULL;
  tz->n_trans = c.time;
  if (c.time) {
    tz->trans = malloc(c.time * sizeof *tz->trans);
    tz->off_at = malloc(c.time * sizeof *tz->off_at);
    if (!tz->trans || !tz->off_at) goto fail;
  }
  const unsigned char *times = p, *idx = p + c.time * tsize, *types = idx + c.time;
  int32_t offs[256];
  for (uint32_t i = 0; i < c.type; i++) {
    offs[i] = (int32_t)be32(types + 6 * i);
    if (offs[i] <= -25 * 3600 || offs[i] >= 26 * 3600) goto fail;
    if (types[6 * i + 5] >= c.chars) goto fail;
  }
  for (uint32_t i = 0; i < c.time; i++) {
    tz->trans[i] = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
    if (i > 0 && tz->trans[i] <= tz->trans[i - 1]) goto fail;
    if (idx[i] >= c.type) goto fail;
    tz->off_at[i] = offs[idx[i]];
  }
  tz->initial = offs[0];

  if (tsize == 8) { /* footer: "\n" TZ "\n" */
    const unsigned char *f = buf + need;
    const size_t flen = len - need;
    if (flen >= 2 && f[0] == '\n') {
      const unsigned char *nl = memchr(f + 1, '\n', flen - 1);
      if (nl && nl - f - 1 < 128) {
        char s[128];
        memcpy(s, f + 1, (size_t)(nl - f - 1));
        s[nl - f - 1] = '\0';
        tz->has_footer = s[0] && parse_posix(s, &tz->footer);
      }
    }
  }
  return tz;
fail:
  free(tz->trans);
  free(tz->off_at);
  free(tz);
  return NULL;
}

void hub_tz_free(hub_tz *tz) {
  if (!tz) return;
  free(tz->trans);
  free(tz->off_at);
  free(tz);
}

const char *hub_tz_name(const hub_tz *tz) { return tz ? tz->name : ""; }

int64_t hub_tz_local_day(const hub_tz *tz, int64_t t) { return floor_div(t + hub_tz_offset(tz, t), 86400); }
