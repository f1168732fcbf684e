/* SLA arithmetic for the Ticket service, pure and clock-free (every function takes the
 * instants it needs), so it is unit-tested with fixed times: clocks that pause (pending,
 * on_hold), due times, and which policy applies to a ticket. Business hours, holidays and time
 * zones are the shared calendar's (hub/calendar.h). Instants are Unix seconds (UTC). */
#ifndef HUB_SERVICES_TICKET_SLA_H
#define HUB_SERVICES_TICKET_SLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub/calendar.h"

/* ---- clocks with pauses ---- */

typedef struct ticket_sla_pause {
  int64_t start_s, end_s; /* end_s = INT64_MAX while still paused */
} ticket_sla_pause;

/* Business seconds counted from start_s to now_s, minus the business seconds inside pauses
 * (which may overlap each other or extend past now). */
int64_t ticket_sla_elapsed(const hub_calendar *cal, int64_t start_s, int64_t now_s, const ticket_sla_pause *pauses,
                        size_t n_pauses);

typedef struct ticket_sla_state {
  int64_t due_s;      /* when the target is (or was) reached; INT64_MAX while paused */
  int64_t elapsed_s;  /* business seconds counted so far */
  int64_t remaining_s; /* target - elapsed (negative once breached) */
  bool paused;        /* a pause is open at now_s */
  bool breached;      /* elapsed > target (or completed after due) */
  bool warning;       /* not breached, and remaining <= warn_before_s */
} ticket_sla_state;

/* One SLA target for one ticket: started at start_s, target_s business seconds, completed at
 * done_s (0 while running), with pauses. Evaluated at now_s. */
ticket_sla_state ticket_sla_evaluate(const hub_calendar *cal, int64_t start_s, int64_t target_s, int64_t done_s,
                               const ticket_sla_pause *pauses, size_t n_pauses, int64_t warn_before_s, int64_t now_s);

/* ---- policies ---- */

typedef enum { TICKET_PRIORITY_LOW = 1, TICKET_PRIORITY_NORMAL, TICKET_PRIORITY_HIGH, TICKET_PRIORITY_URGENT } ticket_sla_priority;

typedef struct ticket_sla_condition {
  int priority;          /* 0 = any */
  const char *brand;     /* NULL or "" = any */
  const char *const *tags; /* all of these must be on the ticket; NULL-terminated; NULL = none */
} ticket_sla_condition;

/* The index of the first policy (in position order) whose condition matches, or -1. */
int ticket_sla_match(const ticket_sla_condition *conditions, size_t n, int priority, const char *brand,
                  const char *const *ticket_tags, size_t n_tags);

#endif
