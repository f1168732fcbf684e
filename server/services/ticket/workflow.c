/* The ticket workflow: which status may follow which. One table, so the rule is read in one
 * place and tested exhaustively (tests/unit/test_ticket_workflow.c). */
#include <string.h>

#include "services/ticket/ticket.h"

typedef Hub__Ticket__V1__Status S;

static const char *const status_names[] = {NULL, "new", "open", "pending", "on_hold", "solved", "closed"};
static const char *const priority_names[] = {NULL, "low", "normal", "high", "urgent"};

/* allowed[from][to]: the moves of the documented workflow; closed is final. */
static const bool allowed[7][7] = {
    /*             -  new    open   pend   hold   solved closed */
    /* -      */ {0, 0, 0, 0, 0, 0, 0},
    /* new    */ {0, 0, 1, 1, 1, 1, 0},
    /* open   */ {0, 0, 0, 1, 1, 1, 0},
    /* pending*/ {0, 0, 1, 0, 1, 1, 0},
    /* onhold */ {0, 0, 1, 1, 0, 1, 0},
    /* solved */ {0, 0, 1, 0, 0, 0, 1},
    /* closed */ {0, 0, 0, 0, 0, 0, 0},
};

const char *hub_ticket_status_name(S s) { return s >= 1 && s <= 6 ? status_names[s] : NULL; }

S hub_ticket_status_parse(const char *name) {
  for (int i = 1; i <= 6; i++)
    if (name && !strcmp(name, status_names[i])) return (S)i;
  return HUB__TICKET__V1__STATUS__STATUS_UNSPECIFIED;
}

const char *hub_ticket_priority_name(Hub__Ticket__V1__Priority p) { return p >= 1 && p <= 4 ? priority_names[p] : NULL; }

Hub__Ticket__V1__Priority hub_ticket_priority_parse(const char *name) {
  for (int i = 1; i <= 4; i++)
    if (name && !strcmp(name, priority_names[i])) return (Hub__Ticket__V1__Priority)i;
  return HUB__TICKET__V1__PRIORITY__PRIORITY_UNSPECIFIED;
}

bool hub_ticket_transition_allowed(S from, S to) {
  if (from < 1 || from > 6 || to < 1 || to > 6) return false;
  return allowed[from][to];
}

bool hub_ticket_status_pauses(S s) {
  return s == HUB__TICKET__V1__STATUS__STATUS_PENDING || s == HUB__TICKET__V1__STATUS__STATUS_ON_HOLD;
}
