/* See convert.h. The text[] parser follows PostgreSQL's output rules: elements are bare, or
 * double-quoted with backslash escapes when they hold special characters. */
#include "services/tenant/convert.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

Google__Protobuf__Timestamp *tenant_timestamp(hub_arena *a, const char *micros) {
  Google__Protobuf__Timestamp *ts = hub_arena_alloc(a, sizeof *ts);
  google__protobuf__timestamp__init(ts);
  long long us = micros ? strtoll(micros, NULL, 10) : 0;
  long long s = us / 1000000, rem = us % 1000000;
  if (rem < 0) {
    rem += 1000000;
    s--;
  }
  ts->seconds = s;
  ts->nanos = (int32_t)(rem * 1000);
  return ts;
}
