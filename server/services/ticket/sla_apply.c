/* SLA bookkeeping in the database: which policy applies to a ticket, the pause records, and
 * the stored due times and flags (so Get, List and ReportSla read them, and lists can filter
 * on breaches) — recomputed from stored timestamps with the calendar arithmetic of sla.c on
 * every change. Upcoming warnings and breaches become rows in ticket_sla_timers, which the
 * sweeper (sweeper.c) fires. A new ticket's inputs are known without reading anything back
 * (ticket_sla_start); a change reads them once (ticket_sla_refresh). Either way the
 * writes are queued, to go out with what follows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/ticket/sla.h"
#include "services/ticket/ticket.h"

/* The tenant's policies (with their calendars) in position order and the transaction's now():
 * one row with NULL policy columns when there is none. */
static const hub_pg_stmt policies_sql = {
    "ticket_sla_policies",
    "SELECT extract(epoch FROM now())::bigint AS _now, p.id AS _id, p.priority AS _priority, p.brand AS _brand, "
    "  p.tags AS _tags, coalesce(p.first_response_s, 0) AS _fr, coalesce(p.next_response_s, 0) AS _nr, "
    "  coalesce(p.resolution_s, 0) AS _res, coalesce(p.warn_before_s, 0) AS _warn, coalesce(c.time_zone, '') AS _tz, "
    "  coalesce(c.week, '') AS _week, "
    "  coalesce((SELECT string_agg(to_char(h, 'YYYY-MM-DD'), ',') FROM unnest(c.holidays) h), '') AS _holidays "
    "FROM (SELECT 1) one LEFT JOIN ticket_sla_policies p ON p.tenant_id = hub_current_tenant() "
    "LEFT JOIN ticket_calendars c ON c.tenant_id = p.tenant_id AND c.id = p.calendar_id ORDER BY p.position",
    0};
static const hub_pg_stmt pause_sql = {
    "ticket_sla_pause_open",
    "INSERT INTO ticket_sla_pauses (tenant_id, ticket_id, started_at) VALUES (hub_current_tenant(), $1::uuid, now()) "
    "ON CONFLICT DO NOTHING",
    1};
static const hub_pg_stmt resume_sql = {
    "ticket_sla_pause_close",
    "UPDATE ticket_sla_pauses SET ended_at = now() WHERE tenant_id = hub_current_tenant() AND ticket_id = $1::uuid "
    "AND ended_at IS NULL",
    1};
/* Everything the arithmetic needs, in one statement. */
static const hub_pg_stmt state_sql = {
    "ticket_sla_state",
    "SELECT t.number AS _number, extract(epoch FROM t.created_at)::bigint AS _created, "
    "  coalesce(extract(epoch FROM t.first_response_at)::bigint, 0) AS _first_response, "
    "  coalesce(extract(epoch FROM t.last_requester_reply_at)::bigint, 0) AS _requester_reply, "
    "  coalesce(extract(epoch FROM t.last_agent_reply_at)::bigint, 0) AS _agent_reply, "
    "  coalesce(extract(epoch FROM t.solved_at)::bigint, 0) AS _solved, t.status AS _status, "
    "  t.sla_breached AS _breached, t.sla_warned AS _warned, p.id IS NOT NULL AS _has_policy, "
    "  coalesce(p.first_response_s, 0) AS _fr, coalesce(p.next_response_s, 0) AS _nr, "
    "  coalesce(p.resolution_s, 0) AS _res, coalesce(p.warn_before_s, 0) AS _warn, "
    "  coalesce(c.time_zone, '') AS _tz, coalesce(c.week, '') AS _week, "
    "  coalesce((SELECT string_agg(to_char(h, 'YYYY-MM-DD'), ',') FROM unnest(c.holidays) h), '') AS _holidays, "
    "  coalesce((SELECT string_agg(extract(epoch FROM s.started_at)::bigint || ':' || "
    "                    coalesce(extract(epoch FROM s.ended_at)::bigint, -1), ',') "
    "            FROM ticket_sla_pauses s WHERE s.tenant_id = t.tenant_id AND s.ticket_id = t.id), '') AS _pauses, "
    "  (t.sla_first_response_due IS NOT NULL OR t.sla_next_response_due IS NOT NULL OR t.sla_resolution_due IS NOT NULL "
    "   OR t.sla_paused OR t.sla_warned OR EXISTS (SELECT 1 FROM ticket_sla_timers x WHERE x.tenant_id = t.tenant_id "
    "   AND x.ticket_id = t.id)) AS _stored "
    "FROM tickets t LEFT JOIN ticket_sla_policies p ON p.tenant_id = t.tenant_id AND p.id = t.sla_policy_id "
    "LEFT JOIN ticket_calendars c ON c.tenant_id = p.tenant_id AND c.id = p.calendar_id "
    "WHERE t.tenant_id = hub_current_tenant() AND t.id = $1::uuid",
    1};
static const hub_pg_stmt store_sql = {
    "ticket_sla_store",
    "UPDATE tickets t SET sla_first_response_due = to_timestamp(nullif($2::bigint, 0)), "
    "  sla_next_response_due = to_timestamp(nullif($3::bigint, 0)), sla_resolution_due = to_timestamp(nullif($4::bigint, 0)), "
    "  sla_paused = $5::boolean, sla_breached = t.sla_breached OR $6::boolean, sla_warned = $7::boolean "
    "WHERE t.tenant_id = hub_current_tenant() AND t.id = $1::uuid RETURNING " TICKET_COLUMNS,
    7};
static const hub_pg_stmt clear_timers_sql = {
    "ticket_sla_timers_clear",
    "DELETE FROM ticket_sla_timers WHERE tenant_id = hub_current_tenant() AND ticket_id = $1::uuid", 1};
static const hub_pg_stmt add_timer_sql = {
    "ticket_sla_timer_add",
    "INSERT INTO ticket_sla_timers (tenant_id, ticket_id, kind, fire_at) "
    "VALUES (hub_current_tenant(), $1::uuid, $2, to_timestamp($3::bigint)) "
    "ON CONFLICT (tenant_id, ticket_id, kind) DO UPDATE SET fire_at = EXCLUDED.fire_at",
    3};

/* ---- policies ---- */

hub_rows *ticket_sla_queue_policies(hub_tx *tx) { return hub_tx_exec(tx, &policies_sql, NULL); }

int ticket_sla_pick(hub_arena *a, const hub_rows *policies, Hub__Ticket__V1__Priority priority, const char *brand,
                         char **tags, size_t n_tags) {
  int n = hub_rows_count(policies);
  if (n > 0 && !hub_rows_text(policies, 0, "_id")) n = 0; /* the one row of a tenant without policies */
  ticket_sla_condition *conds = hub_arena_calloc(a, n ? (size_t)n : 1, sizeof *conds);
  for (int i = 0; i < n; i++) {
    conds[i].priority = (int)ticket_priority_from_text(hub_rows_text(policies, i, "_priority"));
    conds[i].brand = hub_rows_text(policies, i, "_brand");
    char **ptags;
    size_t np = hub_pg_array_parse(a, hub_rows_text(policies, i, "_tags"), &ptags);
    char **term = hub_arena_calloc(a, np + 1, sizeof *term);
    for (size_t k = 0; k < np; k++) term[k] = ptags[k];
    conds[i].tags = (const char *const *)term;
  }
  return ticket_sla_match(conds, (size_t)n, (int)priority, brand, (const char *const *)tags, n_tags);
}

const char *ticket_sla_policy_id(const hub_rows *policies, int match) {
  return match >= 0 ? hub_rows_text(policies, match, "_id") : NULL;
}

void ticket_sla_set_paused(hub_tx *tx, const char *ticket_id, bool pause) {
  hub_tx_exec(tx, pause ? &pause_sql : &resume_sql, (const char *[]){ticket_id});
}

/* ---- the arithmetic's inputs ---- */

typedef struct sla_input {
  int64_t number, created, first_response, requester_reply, agent_reply, solved;
  Hub__Ticket__V1__Status status;
  bool was_breached, was_warned, has_policy, stored;
  int64_t fr_target, nr_target, res_target, warn;
  const char *tz, *week, *holidays, *pauses;
} sla_input;

/* The policy's part (the _fr .. _holidays columns, which both statements name alike). */
static void policy_input(const hub_rows *r, int row, sla_input *in) {
  in->fr_target = hub_rows_int(r, row, "_fr");
  in->nr_target = hub_rows_int(r, row, "_nr");
  in->res_target = hub_rows_int(r, row, "_res");
  in->warn = hub_rows_int(r, row, "_warn");
  in->tz = hub_rows_text(r, row, "_tz");
  in->week = hub_rows_text(r, row, "_week");
  in->holidays = hub_rows_text(r, row, "_holidays");
}

/* "start:end,start:-1" -> pauses (end -1 = still open). */
static size_t parse_pauses(hub_arena *a, const char *text, ticket_sla_pause **out) {
  size_t n = *text ? 1 : 0;
  for (const char *p = text; *p; p++) n += *p == ',';
  ticket_sla_pause *ps = hub_arena_calloc(a, n ? n : 1, sizeof *ps);
  size_t k = 0;
  for (const char *p = text; *p && k < n;) {
    long long s = 0, e = 0;
    if (sscanf(p, "%lld:%lld", &s, &e) == 2) {
      ps[k].start_s = s;
      ps[k].end_s = e < 0 ? INT64_MAX : e;
      k++;
    }
    const char *comma = strchr(p, ',');
    if (!comma) break;
    p = comma + 1;
  }
  *out = ps;
  return k;
}

static bool load_calendar(hub_arena *a, const char *tz, const char *week, const char *holidays, hub_calendar *cal) {
  if (!*tz || !*week) {
    hub_calendar_24x7(cal);
    return true;
  }
  memset(cal, 0, sizeof *cal);
  char err[128];
  cal->tz = hub_tz_get(tz);
  if (!cal->tz || !hub_calendar_parse_week(cal, week, err, sizeof err)) return false;
  char *copy = hub_arena_strdup(a, holidays), *save = NULL;
  for (char *h = strtok_r(copy, ",", &save); h; h = strtok_r(NULL, ",", &save)) {
    int64_t day;
    if (hub_date_parse(h, &day) && !hub_calendar_add_holiday(cal, day)) break;
  }
  return true;
}

static const char *text_of(hub_arena *a, int64_t v) { return hub_arena_sprintf(a, "%lld", (long long)v); }
static const char *bool_text(bool b) { return b ? "true" : "false"; }

/* Computes the SLA from `in` at `now` and queues what changes: the stored columns (their
 * RETURNING into *ticket), the events and outbox messages of a first breach or warning, and
 * the timers of the next ones. */
static void apply(hub_tx *tx, const char *ticket_id, const sla_input *in, int64_t now, hub_rows **ticket) {
  hub_arena *a = hub_tx_arena(tx);
  if (!in->has_policy && !in->stored) return; /* nothing to compute, nothing to clear */
  hub_tx_exec(tx, &clear_timers_sql, (const char *[]){ticket_id});
  hub_rows *stored;
  if (!in->has_policy) {
    stored = hub_tx_exec(tx, &store_sql, (const char *[]){ticket_id, "0", "0", "0", "false", "false", "false"});
    if (ticket) *ticket = stored;
    return;
  }
  hub_calendar *cal = hub_arena_alloc(a, sizeof *cal);
  if (!load_calendar(a, in->tz, in->week, in->holidays, cal)) hub_calendar_24x7(cal); /* a broken calendar must not stop tickets */
  ticket_sla_pause *pauses;
  size_t n_pauses = parse_pauses(a, in->pauses, &pauses);
  bool closed = in->status == HUB__TICKET__V1__STATUS__STATUS_CLOSED;

  /* The three clocks. Next response runs while a requester's reply waits for an agent's. */
  struct {
    int64_t start, target, done;
  } clocks[3] = {
      {in->created, in->fr_target, in->first_response},
      {in->requester_reply, in->requester_reply && in->requester_reply > in->agent_reply ? in->nr_target : 0, 0},
      {in->created, in->res_target, in->solved ? in->solved : (closed ? now : 0)},
  };
  int64_t due[3] = {0, 0, 0}, next_fire = INT64_MAX;
  bool paused = false, breached = false, warning = false;
  for (int i = 0; i < 3; i++) {
    if (!clocks[i].target || !clocks[i].start) continue;
    ticket_sla_state s =
        ticket_sla_evaluate(cal, clocks[i].start, clocks[i].target, clocks[i].done, pauses, n_pauses, in->warn, now);
    due[i] = s.due_s == INT64_MAX ? 0 : s.due_s;
    paused = paused || (s.paused && !clocks[i].done);
    breached = breached || s.breached;
    warning = warning || (s.warning && !clocks[i].done);
    if (!clocks[i].done && !s.paused && !s.breached && s.due_s < next_fire) next_fire = s.due_s;
  }
  /* The warning is sent once per stretch of time a target sits inside its warning window. */
  stored = hub_tx_exec(tx, &store_sql,
                       (const char *[]){ticket_id, text_of(a, due[0]), text_of(a, due[1]), text_of(a, due[2]),
                                        bool_text(paused), bool_text(breached), bool_text(warning)});
  if (ticket) *ticket = stored;
  /* Whoever notices first (a change, or the sweeper's timer) records it, exactly once. */
  if (breached && !in->was_breached) {
    ticket_event(tx, ticket_id, NULL, "sla_breach", NULL, NULL, NULL);
    ticket_outbox(tx, "ticket.sla_breach", ticket_id, in->number);
  } else if (warning && !in->was_warned && !breached) {
    ticket_event(tx, ticket_id, NULL, "sla_warning", NULL, NULL, NULL);
    ticket_outbox(tx, "ticket.sla_warning", ticket_id, in->number);
  }
  if (next_fire == INT64_MAX) return;
  hub_tx_exec(tx, &add_timer_sql, (const char *[]){ticket_id, "breach", text_of(a, next_fire)});
  if (in->warn > 0 && next_fire - in->warn > now)
    hub_tx_exec(tx, &add_timer_sql, (const char *[]){ticket_id, "warning", text_of(a, next_fire - in->warn)});
}

void ticket_sla_start(hub_tx *tx, const char *ticket_id, int64_t number, const hub_rows *policies, int match,
                          int64_t now, hub_rows **ticket) {
  if (match < 0) return; /* nothing stored, no policy: nothing to do */
  sla_input in = {.number = number, .created = hub_rows_int(policies, 0, "_now"),
                  .status = HUB__TICKET__V1__STATUS__STATUS_NEW, .has_policy = true, .pauses = ""};
  policy_input(policies, match, &in);
  apply(tx, ticket_id, &in, now, ticket);
}

hub_status ticket_sla_refresh(hub_tx *tx, const char *ticket_id, int64_t now, hub_rows **ticket) {
  hub_rows *r;
  hub_status st = hub_tx_query(tx, &state_sql, (const char *[]){ticket_id}, &r);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(r) != 1) return hub_status_new(hub_tx_arena(tx), HUB_NOT_FOUND, "no such ticket");
  sla_input in = {
      .number = hub_rows_int(r, 0, "_number"),
      .created = hub_rows_int(r, 0, "_created"),
      .first_response = hub_rows_int(r, 0, "_first_response"),
      .requester_reply = hub_rows_int(r, 0, "_requester_reply"),
      .agent_reply = hub_rows_int(r, 0, "_agent_reply"),
      .solved = hub_rows_int(r, 0, "_solved"),
      .status = ticket_status_from_text(hub_rows_text(r, 0, "_status")),
      .was_breached = hub_rows_bool(r, 0, "_breached"),
      .was_warned = hub_rows_bool(r, 0, "_warned"),
      .has_policy = hub_rows_bool(r, 0, "_has_policy"),
      .stored = hub_rows_bool(r, 0, "_stored"),
      .pauses = hub_rows_text(r, 0, "_pauses"),
  };
  policy_input(r, 0, &in);
  apply(tx, ticket_id, &in, now, ticket);
  return HUB_STATUS_OK;
}
