/* The ticket workflow: which status may follow which. One table, so the rule is read in one
 * place and tested exhaustively (tests/unit/test_ticket_workflow.c). */
#include "services/ticket/ticket.h"

typedef Hub__Ticket__V1__Status S;

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

bool ticket_transition_allowed(S from, S to) {
  if (from < 1 || from > 6 || to < 1 || to > 6) return false;
  return allowed[from][to];
}

bool ticket_status_pauses(S s) {
  return s == HUB__TICKET__V1__STATUS__STATUS_PENDING || s == HUB__TICKET__V1__STATUS__STATUS_ON_HOLD;
}
