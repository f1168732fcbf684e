/* Internals shared by the Ticket service's files: the workflow, enum names, the ticket row
 * and its conversion, the event log, and the SLA bookkeeping. Handlers live in one file per
 * group of RPCs (tickets.c, list.c, comments.c, events.c, watch.c, merge.c, teams.c,
 * sla_admin.c, report.c); SQL sits next to the code that uses it. */
#ifndef HUB_SERVICES_TICKET_H
#define HUB_SERVICES_TICKET_H

#include <stdbool.h>
#include <stdint.h>

#include "aip/paging.h"
#include "crypto/random.h"
#include "db/array.h"
#include "db/call.h"
#include "hub/clock.h"
#include "hub/ticket/v1/ticket.pb-c.h"
#include "hub/enum_text.h"
#include "hub/uuid.h"
#include "identity/principal.h"
#include "services/context.h"

/* ---- workflow (workflow.c) ---- */

/* Status and priority as stored ("new", "on_hold", "urgent"), from the enums' descriptors
 * (hub/enum_text.h): NULL for unspecified; unknown text reads as unspecified. */
static inline const char *ticket_status_text(hub_arena *a, Hub__Ticket__V1__Status s) {
  return hub_enum_to_text(a, &hub__ticket__v1__status__descriptor, (int)s);
}
static inline Hub__Ticket__V1__Status ticket_status_from_text(const char *text) {
  return (Hub__Ticket__V1__Status)hub_enum_from_text(&hub__ticket__v1__status__descriptor, text);
}
static inline const char *ticket_priority_text(hub_arena *a, Hub__Ticket__V1__Priority p) {
  return hub_enum_to_text(a, &hub__ticket__v1__priority__descriptor, (int)p);
}
static inline Hub__Ticket__V1__Priority ticket_priority_from_text(const char *text) {
  return (Hub__Ticket__V1__Priority)hub_enum_from_text(&hub__ticket__v1__priority__descriptor, text);
}
/* Is the move from -> to allowed by the workflow? (Same status is not a move.) */
bool hub_ticket_transition_allowed(Hub__Ticket__V1__Status from, Hub__Ticket__V1__Status to);
/* Does the status stop the SLA clock? (pending, on_hold) */
bool hub_ticket_status_pauses(Hub__Ticket__V1__Status s);

/* ---- helpers (common.c) ---- */

Google__Protobuf__Timestamp *hub_ticket_ts(hub_arena *a, int64_t unix_s);
/* A PostgreSQL timestamptz text (as returned with extract(epoch)) -> Unix seconds. */
int64_t hub_ticket_epoch(const char *text);
/* The call's tenant and actor. */
const char *hub_ticket_tenant(hub_call *call);
const char *hub_ticket_actor(hub_call *call);
/* Is the user a member of the transaction's tenant? */
hub_status hub_ticket_is_member(hub_pg *pg, hub_arena *a, const char *user_id, bool *member);
/* References named by request fields, checked in the transaction's tenant: NOT_FOUND
 * "<field>: no such member|team" (for an array, "<field>[i]" of the first one missing) when
 * the id names nothing there — another tenant's object included. */
hub_status hub_ticket_require_member(hub_pg *pg, hub_arena *a, const char *user_id, const char *field);
hub_status hub_ticket_require_members(hub_pg *pg, hub_arena *a, const char *ids_literal, const char *field);
hub_status hub_ticket_require_team(hub_pg *pg, hub_arena *a, const char *team_id, const char *field);
/* The tenant's next ticket number (gap-free: the counter row is updated in the caller's
 * transaction and rolls back with it). */
hub_status hub_ticket_next_number(hub_pg *pg, hub_arena *a, char **number);
/* Tags as stored: lower case, each once, as a text[] literal. (Their length, count and
 * characters are rules of the contract, checked before the handler runs.) */
char *hub_ticket_tags_literal(hub_arena *a, char **tags, size_t n);

/* ---- the ticket row (rows.c) ---- */

/* The SELECT list every read of a ticket uses (alias t): each column is named for the
 * TicketInfo field it fills (db/tx.h), the SLA's stored due and met times included. */
#define HUB_TICKET_COLUMNS                                                                                     \
  "t.id, t.number, t.brand, t.subject, t.description, t.requester_user_id, t.requester_email, t.assignee_id, " \
  "t.team_id, t.priority, t.status, t.tags, t.custom_fields AS custom_fields_json, t.channel, t.followers, "   \
  "t.merged_into, t.sla_policy_id AS \"sla.policy_id\", t.sla_paused AS \"sla.paused\", "                     \
  "t.sla_breached AS \"sla.breached\", t.sla_first_response_due AS \"sla.first_response.due_at\", "           \
  "t.first_response_at AS \"sla.first_response.met_at\", t.sla_next_response_due AS \"sla.next_response.due_at\", " \
  "t.sla_resolution_due AS \"sla.resolution.due_at\", t.solved_at AS \"sla.resolution.met_at\", t.csat_score, " \
  "(SELECT sum(c.time_spent_s) FROM ticket_comments c WHERE c.tenant_id = t.tenant_id AND c.ticket_id = t.id) "  \
  "AS time_spent_seconds, t.created_at, t.updated_at, t.deleted_at, t.version AS etag"

/* What a ticket's SLA targets say at `now` (time left, breached; a paused clock shows no due
 * time): the part of a TicketInfo that the stored columns cannot hold. */
void hub_ticket_finish(Hub__Ticket__V1__TicketInfo *t, int64_t now);
/* Row `row` of a HUB_TICKET_COLUMNS result, finished as of now: into `out` (false when there is
 * no such row), or as a new message in the arena (NULL when there is none). */
bool hub_ticket_decode(const hub_rows *r, int row, Hub__Ticket__V1__TicketInfo *out);
Hub__Ticket__V1__TicketInfo *hub_ticket_row(const hub_rows *r, int row);
/* Copies a converted ticket into a response message (the generated type is the same). */
void hub_ticket_copy(Hub__Ticket__V1__TicketInfo *dst, const Hub__Ticket__V1__TicketInfo *src);

/* Queue the read of one ticket by id (HUB_TICKET_COLUMNS, optionally FOR UPDATE), or of its id
 * only (to tell NOT_FOUND beside another statement in the same round trip). Deleted tickets
 * are included; the caller decides. */
hub_rows *hub_ticket_queue_load(hub_tx *tx, const char *id, bool for_update);
hub_rows *hub_ticket_queue_exists(hub_tx *tx, const char *id);
/* OK when the result has a row, else NOT_FOUND "<field>: no such ticket". */
hub_status hub_ticket_found(hub_arena *a, const hub_rows *r, const char *field);

/* Loads one ticket by id inside a transaction (one flush; optionally FOR UPDATE); NOT_FOUND
 * when it is not in the tenant (or is deleted, unless include_deleted). */
hub_status hub_ticket_load_tx(hub_tx *tx, const char *id, bool for_update, bool include_deleted,
                              Hub__Ticket__V1__TicketInfo **out);
hub_status hub_ticket_load(hub_pg *pg, hub_arena *a, const char *id, bool for_update, bool include_deleted,
                           Hub__Ticket__V1__TicketInfo **out);

/* ---- the event log (events.c) ---- */

/* Appends events for one ticket, taking consecutive seqs from the tenant's counter (whose row
 * lock orders commits, so readers of seq > n never miss one). field/old/new may be NULL. */
hub_status hub_ticket_event(hub_pg *pg, hub_arena *a, const char *tenant, const char *ticket_id, const char *actor,
                            const char *kind, const char *field, const char *old_value, const char *new_value);
/* The SELECT list of an events list (alias e), named for TicketEvent's fields; events.c's list
 * and watch.c's poll share it. */
#define HUB_TICKET_EVENT_COLUMNS \
  "e.seq, e.ticket_id, e.actor_id, e.kind, e.field, e.old_value, e.new_value, e.created_at"
/* Writes {"ticket_id", "number"} to the tenant's outbox (topic "ticket.<kind>", the ticket as
 * aggregate) in the same transaction, through the one writer (db/outbox.h). */
hub_status hub_ticket_outbox(hub_pg *pg, hub_arena *a, const char *tenant, const char *topic, const char *ticket_id,
                             int64_t number);

/* ---- SLA bookkeeping (sla_apply.c) ---- */

/* Recomputes a ticket's SLA columns and timers from its stored timestamps, pauses, policy and
 * calendar, at `now_s`; call after any change that can move them, inside the transaction. */
hub_status hub_ticket_sla_refresh(hub_pg *pg, hub_arena *a, const char *tenant, const char *ticket_id, int64_t now_s);
/* Picks the policy for a ticket (first match in position order) and stores it; *applies (may
 * be NULL) tells whether one matched, so a new ticket without a policy skips the refresh. */
hub_status hub_ticket_sla_assign_policy(hub_pg *pg, hub_arena *a, const char *tenant, const char *ticket_id,
                                        bool *applies);
/* Opens or closes the pause record when the status moves into or out of a pausing status. */
hub_status hub_ticket_sla_pause(hub_pg *pg, hub_arena *a, const char *ticket_id, bool pause);

/* One pass of the SLA sweeper (sweeper.c, started through Ticket's lifecycle): fires what is
 * due at now_s; *fired counts them. */
hub_status hub_ticket_sweep_once(hub_pg *pg, hub_arena *a, int64_t now_s, int *fired);

/* ---- assignment (teams.c) ---- */

/* Picks an assignee from the team by its mode (NULL/"" when manual or nobody is available). */
hub_status hub_ticket_pick_assignee(hub_pg *pg, hub_arena *a, const char *team_id, char **assignee);

#endif
