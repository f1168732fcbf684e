/* SLA arithmetic: clocks with pauses, due times and policy matching, on top of the shared
 * calendar's business seconds (hub/calendar.h). */
#include <string.h>

#include "services/ticket/sla.h"

/* ---- pauses ---- */

/* The next maximal run of (merged) pauses, clipped to [lo, hi], that ends after `cursor`:
 * false when there is none. O(n) per pass, O(n^2) overall, without allocating. */
static bool next_pause(const ticket_sla_pause *p, size_t n, int64_t lo, int64_t hi, int64_t cursor, int64_t *out_s,
                       int64_t *out_e) {
  int64_t best = INT64_MAX;
  for (size_t i = 0; i < n; i++) {
    int64_t s = p[i].start_s < lo ? lo : p[i].start_s, e = p[i].end_s > hi ? hi : p[i].end_s;
    if (s < cursor) s = cursor;
    if (s < e && s < best) best = s;
  }
  if (best == INT64_MAX) return false;
  int64_t end = best;
  for (bool grew = true; grew;) {
    grew = false;
    for (size_t i = 0; i < n; i++) {
      const int64_t e = p[i].end_s > hi ? hi : p[i].end_s;
      if (p[i].start_s <= end && e > end) {
        end = e;
        grew = true;
      }
    }
  }
  *out_s = best;
  *out_e = end;
  return true;
}

int64_t ticket_sla_elapsed(const hub_calendar *cal, int64_t start_s, int64_t now_s, const ticket_sla_pause *pauses,
                        size_t n_pauses) {
  if (now_s <= start_s) return 0;
  int64_t total = hub_calendar_business_seconds(cal, start_s, now_s), cursor = start_s, ps, pe;
  while (next_pause(pauses, n_pauses, start_s, now_s, cursor, &ps, &pe)) {
    total -= hub_calendar_business_seconds(cal, ps, pe);
    cursor = pe;
  }
  return total;
}

/* When the clock reaches target_s, counting pauses that started by `upto` (those still open are
 * taken as closed at `upto`) and none after. */
static int64_t due_time(const hub_calendar *cal, int64_t start_s, int64_t target_s, const ticket_sla_pause *pauses,
                        size_t n_pauses, int64_t upto) {
  if (target_s <= 0) return start_s;
  int64_t left = target_s, cursor = start_s, ps, pe;
  while (upto > start_s && next_pause(pauses, n_pauses, start_s, upto, cursor, &ps, &pe)) {
    const int64_t run = hub_calendar_business_seconds(cal, cursor, ps);
    if (run >= left) return hub_calendar_add_business(cal, cursor, left);
    left -= run;
    cursor = pe;
  }
  return hub_calendar_add_business(cal, cursor, left);
}

ticket_sla_state ticket_sla_evaluate(const hub_calendar *cal, int64_t start_s, int64_t target_s, int64_t done_s,
                               const ticket_sla_pause *pauses, size_t n_pauses, int64_t warn_before_s, int64_t now_s) {
  ticket_sla_state st = {0};
  const bool done = done_s != 0;
  const int64_t at = done ? done_s : now_s;
  if (!done) {
    for (size_t i = 0; i < n_pauses; i++) {
      if (pauses[i].start_s <= now_s && now_s < pauses[i].end_s) st.paused = true;
    }
  }
  st.elapsed_s = ticket_sla_elapsed(cal, start_s, at, pauses, n_pauses);
  st.remaining_s = target_s - st.elapsed_s;
  st.breached = st.elapsed_s > target_s;
  st.warning = !st.breached && !done && st.remaining_s <= warn_before_s;
  st.due_s = st.paused ? INT64_MAX : due_time(cal, start_s, target_s, pauses, n_pauses, at);
  return st;
}

/* ---- policies ---- */

int ticket_sla_match(const ticket_sla_condition *conditions, size_t n, int priority, const char *brand,
                  const char *const *ticket_tags, size_t n_tags) {
  for (size_t i = 0; i < n; i++) {
    const ticket_sla_condition *c = &conditions[i];
    if (c->priority != 0 && c->priority != priority) continue;
    if (c->brand && c->brand[0] && (!brand || strcmp(c->brand, brand) != 0)) continue;
    bool all = true;
    for (const char *const *t = c->tags; all && t && *t; t++) {
      bool found = false;
      for (size_t j = 0; !found && j < n_tags; j++) found = ticket_tags[j] && strcmp(ticket_tags[j], *t) == 0;
      all = found;
    }
    if (all) return (int)i;
  }
  return -1;
}
