/* Internals shared by the Ticket service's files: the workflow, enum names, custom fields, the
 * ticket row and its conversion, the event log, and the SLA bookkeeping. Handlers live in one
 * file per group of RPCs (tickets.c, list.c, comments.c, events.c, watch.c, merge.c, teams.c,
 * sla_admin.c, report.c); SQL sits next to the code that uses it. Every handler works in the
 * call's transactions (db/call.h): the helpers here queue statements (hub_tx_exec) so that
 * reads that do not depend on each other share a round trip, and writes go out with what
 * follows; results are the arena's and decode by column name. */
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
bool ticket_transition_allowed(Hub__Ticket__V1__Status from, Hub__Ticket__V1__Status to);
/* Does the status stop the SLA clock? (pending, on_hold) */
bool ticket_status_pauses(Hub__Ticket__V1__Status s);

/* ---- helpers (common.c) ---- */

/* The call's actor (the principal's user). */
const char *ticket_actor(hub_call *call);

/* A reference named by a request field, checked in the transaction's tenant: queued beside
 * the other reads of a change, judged after the flush that carried it. */
typedef enum { TICKET_REF_MEMBER, TICKET_REF_MEMBERS, TICKET_REF_TEAM } ticket_ref_kind;
typedef struct ticket_ref {
  hub_rows *rows; /* NULL: nothing was queued, nothing to check */
  const char *field;
  ticket_ref_kind kind;
} ticket_ref;
ticket_ref ticket_queue_member(hub_tx *tx, const char *user_id, const char *field);
ticket_ref ticket_queue_members(hub_tx *tx, const char *ids_literal, const char *field);
ticket_ref ticket_queue_team(hub_tx *tx, const char *team_id, const char *field);
/* NOT_FOUND "<field>: no such member|team" (for an array, "<field>[i]" of the first one
 * missing) when the id names nothing in the tenant — another tenant's object included. */
hub_status ticket_ref_check(hub_arena *a, const ticket_ref *ref);
/* The tenant's next ticket number, as column _number (gap-free: the counter row is updated in
 * the caller's transaction and rolls back with it). */
hub_rows *ticket_queue_next_number(hub_tx *tx);
/* A new ticket's or comment's id, minted here so the statements that name it go out in the
 * same round trip as its insert (NULL if the CSPRNG fails). */
char *ticket_new_id(hub_arena *a);
/* Tags as stored: lower case, each once, as a text[] literal. (Their length, count and
 * characters are rules of the contract, checked before the handler runs.) */
char *ticket_tags_literal(hub_arena *a, char **tags, size_t n);

/* ---- custom fields (custom_fields.c) ---- */

/* `json` when it is a JSON object of scalar values (keys at most 64 characters, 16 KiB in all),
 * "{}" when empty, as *out; else INVALID_ARGUMENT naming `field`. */
hub_status ticket_custom_fields_check(hub_arena *a, const char *field, const char *json, const char **out);

/* ---- the ticket row (rows.c) ---- */

/* The SELECT list every read of a ticket uses (alias t): each column is named for the
 * TicketInfo field it fills (db/tx.h), the SLA's stored due and met times included. */
#define TICKET_COLUMNS                                                                                              \
  "t.id, t.number, t.brand, t.subject, t.description, t.requester_user_id, t.requester_email, t.assignee_id, "      \
  "t.team_id, t.priority, t.status, t.tags, t.custom_fields AS custom_fields_json, t.channel, t.followers, "        \
  "t.merged_into, t.sla_policy_id AS \"sla.policy_id\", t.sla_paused AS \"sla.paused\", "                           \
  "t.sla_breached AS \"sla.breached\", t.sla_first_response_due AS \"sla.first_response.due_at\", "                 \
  "t.first_response_at AS \"sla.first_response.met_at\", t.sla_next_response_due AS \"sla.next_response.due_at\", " \
  "t.sla_resolution_due AS \"sla.resolution.due_at\", t.solved_at AS \"sla.resolution.met_at\", t.csat_score, "     \
  "(SELECT sum(c.time_spent_s) FROM ticket_comments c WHERE c.tenant_id = t.tenant_id AND c.ticket_id = t.id) "     \
  "AS time_spent_seconds, t.created_at, t.updated_at, t.deleted_at, t.version AS etag"

/* What a ticket's SLA targets say at `now` (time left, breached; a paused clock shows no due
 * time): the part of a TicketInfo that the stored columns cannot hold. */
void ticket_finish(Hub__Ticket__V1__TicketInfo *t, int64_t now);
/* Row `row` of a TICKET_COLUMNS result, finished as of now: into `out` (false when there is
 * no such row), or as a new message in the arena (NULL when there is none). */
bool ticket_decode(const hub_rows *r, int row, Hub__Ticket__V1__TicketInfo *out);
Hub__Ticket__V1__TicketInfo *ticket_row(const hub_rows *r, int row);

/* Queue the read of one ticket by id (TICKET_COLUMNS, optionally FOR UPDATE), or of its id
 * only (to tell NOT_FOUND beside another statement in the same round trip). Deleted tickets
 * are included; the caller decides. */
hub_rows *ticket_queue_load(hub_tx *tx, const char *id, bool for_update);
hub_rows *ticket_queue_exists(hub_tx *tx, const char *id);
/* OK when the result has a row, else NOT_FOUND "<field>: no such ticket". */
hub_status ticket_found(hub_arena *a, const hub_rows *r, const char *field);

/* The ticket of a queued load, once flushed: NOT_FOUND "<field>: no such ticket" when it is
 * not in the tenant (or is deleted, unless include_deleted). */
hub_status ticket_loaded(hub_arena *a, const hub_rows *r, bool include_deleted, const char *field,
                             Hub__Ticket__V1__TicketInfo **out);

/* ---- the event log (events.c) ---- */

/* Queues an event of one ticket, taking the tenant's next seq from its counter (whose row
 * lock orders commits, so readers of seq > n never miss one). field/old/new may be NULL. */
void ticket_event(hub_tx *tx, const char *ticket_id, const char *actor, const char *kind, const char *field,
                      const char *old_value, const char *new_value);
/* The SELECT list of an events list (alias e), named for TicketEvent's fields; events.c's list
 * and watch.c's poll share it. */
#define TICKET_EVENT_COLUMNS \
  "e.seq, e.ticket_id, e.actor_id, e.kind, e.field, e.old_value, e.new_value, e.created_at"
/* Queues {"ticket_id", "number"} for the tenant's outbox (topic "ticket.<kind>", the ticket as
 * aggregate) through the one writer (db/outbox.h). */
void ticket_outbox(hub_tx *tx, const char *topic, const char *ticket_id, int64_t number);

/* ---- SLA bookkeeping (sla_apply.c) ---- */

/* Queues the read of the tenant's policies in position order with their calendars, and the
 * transaction's now() (one row even when there is none). */
hub_rows *ticket_sla_queue_policies(hub_tx *tx);
/* The row of the first policy that applies to a ticket with these attributes, or -1. */
int ticket_sla_pick(hub_arena *a, const hub_rows *policies, Hub__Ticket__V1__Priority priority,
                         const char *brand, char **tags, size_t n_tags);
/* The id of that policy, or NULL. */
const char *ticket_sla_policy_id(const hub_rows *policies, int match);
/* A new ticket inserted in this transaction (created at the transaction's now(), nothing else
 * stored yet) under policy row `match` (-1: none): queues its SLA columns and timers without
 * reading anything back. *ticket becomes the store's RETURNING result when there is one. */
void ticket_sla_start(hub_tx *tx, const char *ticket_id, int64_t number, const hub_rows *policies, int match,
                          int64_t now_s, hub_rows **ticket);
/* Recomputes a ticket's SLA columns and timers from its stored timestamps, pauses, policy and
 * calendar, at `now_s`; call after any change that can move them (one flush to read them).
 * *ticket (may be NULL) becomes the store's RETURNING result when it stores. */
hub_status ticket_sla_refresh(hub_tx *tx, const char *ticket_id, int64_t now_s, hub_rows **ticket);
/* Queues the opening or closing of the pause record when the status moves into or out of a
 * pausing status. */
void ticket_sla_set_paused(hub_tx *tx, const char *ticket_id, bool pause);

/* One pass of the SLA sweeper (sweeper.c, started through Ticket's lifecycle): fires what is
 * due at now_s; *fired counts them. Global work: each timer in its own tenant's transaction. */
hub_status ticket_sweep_once(hub_pg *pg, hub_arena *a, int64_t now_s, int *fired);

/* ---- assignment (teams.c) ---- */

/* The automatic pick from a team: the team row (locked) and its available members, queued
 * with the other reads of the change. */
typedef struct ticket_pick {
  hub_rows *team, *candidates;
} ticket_pick;
ticket_pick ticket_queue_pick(hub_tx *tx, const char *team_id);
/* After the flush: NOT_FOUND "<field>: no such team", or the assignee by the team's mode (NULL
 * when manual or nobody is available); a pick queues the move of the team's cursor. */
hub_status ticket_picked(hub_tx *tx, const ticket_pick *p, const char *team_id, const char *field,
                             const char **assignee);

/* ---- long-running jobs (recompute.c) ---- */

/* Ticket's lifecycle init: registers its job kinds with Operations (ticket.recompute_sla). */
bool ticket_jobs_init(const hub_service_env *env);

#endif
