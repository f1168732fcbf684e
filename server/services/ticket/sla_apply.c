/* SLA bookkeeping in the database: which policy applies to a ticket, the pause records, and
 * the stored due times and flags (so Get, List and ReportSla read them, and lists can filter
 * on breaches) — recomputed from stored timestamps with the calendar arithmetic of sla.c on
 * every change. Upcoming warnings and breaches become rows in ticket_sla_timers, which the
 * sweeper (sweeper.c) fires. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/ticket/sla.h"
#include "services/ticket/ticket.h"

/* The ticket's attributes with every policy of the tenant, in position order (one row with
 * NULL policy columns when there is none): one round trip for the match. */
static const hub_pg_stmt candidates_sql = {
    "ticket_sla_candidates",
    "SELECT t.priority, t.brand, t.tags, coalesce(t.sla_policy_id::text, ''), p.id, coalesce(p.priority, ''), "
    "  coalesce(p.brand, ''), p.tags "
    "FROM tickets t LEFT JOIN ticket_sla_policies p ON p.tenant_id = t.tenant_id "
    "WHERE t.tenant_id = hub_current_tenant() AND t.id = $1::uuid ORDER BY p.position",
    1};
static const hub_pg_stmt set_policy_sql = {
    "ticket_sla_set_policy",
    "UPDATE tickets SET sla_policy_id = $2::uuid WHERE tenant_id = hub_current_tenant() AND id = $1::uuid", 2};
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
/* Everything the arithmetic needs, in one round trip. */
static const hub_pg_stmt state_sql = {
    "ticket_sla_state",
    "SELECT extract(epoch FROM t.created_at)::bigint, coalesce(extract(epoch FROM t.first_response_at)::bigint, 0), "
    "  coalesce(extract(epoch FROM t.last_requester_reply_at)::bigint, 0), "
    "  coalesce(extract(epoch FROM t.last_agent_reply_at)::bigint, 0), "
    "  coalesce(extract(epoch FROM t.solved_at)::bigint, 0), t.status, t.sla_breached, t.sla_warned, "
    "  p.id IS NOT NULL, coalesce(p.first_response_s, 0), coalesce(p.next_response_s, 0), coalesce(p.resolution_s, 0), "
    "  coalesce(p.warn_before_s, 0), coalesce(c.time_zone, ''), coalesce(c.week, ''), "
    "  coalesce((SELECT string_agg(to_char(h, 'YYYY-MM-DD'), ',') FROM unnest(c.holidays) h), ''), "
    "  coalesce((SELECT string_agg(extract(epoch FROM s.started_at)::bigint || ':' || "
    "                    coalesce(extract(epoch FROM s.ended_at)::bigint, -1), ',') "
    "            FROM ticket_sla_pauses s WHERE s.tenant_id = t.tenant_id AND s.ticket_id = t.id), ''), "
    "  (t.sla_first_response_due IS NOT NULL OR t.sla_next_response_due IS NOT NULL OR t.sla_resolution_due IS NOT NULL "
    "   OR t.sla_paused OR t.sla_warned OR EXISTS (SELECT 1 FROM ticket_sla_timers x WHERE x.tenant_id = t.tenant_id "
    "   AND x.ticket_id = t.id)) "
    "FROM tickets t LEFT JOIN ticket_sla_policies p ON p.tenant_id = t.tenant_id AND p.id = t.sla_policy_id "
    "LEFT JOIN ticket_calendars c ON c.tenant_id = p.tenant_id AND c.id = p.calendar_id "
    "WHERE t.tenant_id = hub_current_tenant() AND t.id = $1::uuid",
    1};
static const hub_pg_stmt store_sql = {
    "ticket_sla_store",
    "UPDATE tickets SET sla_first_response_due = to_timestamp(nullif($2::bigint, 0)), "
    "  sla_next_response_due = to_timestamp(nullif($3::bigint, 0)), sla_resolution_due = to_timestamp(nullif($4::bigint, 0)), "
    "  sla_paused = $5::boolean, sla_breached = sla_breached OR $6::boolean, sla_warned = $7::boolean "
    "WHERE tenant_id = hub_current_tenant() AND id = $1::uuid RETURNING number",
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

hub_status hub_ticket_sla_assign_policy(hub_pg *pg, hub_arena *a, const char *tenant, const char *ticket_id,
                                        bool *applies) {
  (void)tenant;
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &candidates_sql, (const char *[]){ticket_id}, &res);
  if (!hub_ok(st)) return st;
  int rows = PQntuples(res);
  if (rows == 0) {
    PQclear(res);
    return hub_status_new(a, HUB_NOT_FOUND, "no such ticket");
  }
  int priority = (int)ticket_priority_from_text(PQgetvalue(res, 0, 0));
  char *brand = hub_arena_strdup(a, PQgetvalue(res, 0, 1));
  char **tags;
  size_t n_tags = hub_pg_array_parse(a, PQgetvalue(res, 0, 2), &tags);
  char *current = hub_arena_strdup(a, PQgetvalue(res, 0, 3));
  int n = PQgetisnull(res, 0, 4) ? 0 : rows;
  hub_sla_condition *conds = hub_arena_calloc(a, n ? (size_t)n : 1, sizeof *conds);
  for (int i = 0; i < n; i++) {
    conds[i].priority = (int)ticket_priority_from_text(PQgetvalue(res, i, 5));
    conds[i].brand = hub_arena_strdup(a, PQgetvalue(res, i, 6));
    char **ptags;
    size_t np = hub_pg_array_parse(a, PQgetvalue(res, i, 7), &ptags);
    char **term = hub_arena_calloc(a, np + 1, sizeof *term);
    for (size_t k = 0; k < np; k++) term[k] = ptags[k];
    conds[i].tags = (const char *const *)term;
  }
  int match = hub_sla_match(conds, (size_t)n, priority, brand, (const char *const *)tags, n_tags);
  char *policy = match >= 0 ? hub_arena_strdup(a, PQgetvalue(res, match, 4)) : NULL;
  PQclear(res);
  if (applies) *applies = policy != NULL;
  if (!strcmp(current, policy ? policy : "")) return HUB_STATUS_OK; /* unchanged: no write */
  return hub_pg_exec(pg, a, &set_policy_sql, (const char *[]){ticket_id, policy}, NULL);
}

hub_status hub_ticket_sla_pause(hub_pg *pg, hub_arena *a, const char *ticket_id, bool pause) {
  return hub_pg_exec(pg, a, pause ? &pause_sql : &resume_sql, (const char *[]){ticket_id}, NULL);
}

/* "start:end,start:-1" -> pauses (end -1 = still open). */
static size_t parse_pauses(hub_arena *a, const char *text, hub_sla_pause **out) {
  size_t n = *text ? 1 : 0;
  for (const char *p = text; *p; p++) n += *p == ',';
  hub_sla_pause *ps = hub_arena_calloc(a, n ? n : 1, sizeof *ps);
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

hub_status hub_ticket_sla_refresh(hub_pg *pg, hub_arena *a, const char *tenant, const char *ticket_id, int64_t now) {
  PGresult *res = NULL;
  hub_status st = hub_pg_exec(pg, a, &state_sql, (const char *[]){ticket_id}, &res);
  if (!hub_ok(st)) return st;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return hub_status_new(a, HUB_NOT_FOUND, "no such ticket");
  }
#define I(c) strtoll(PQgetvalue(res, 0, c), NULL, 10)
  int64_t created = I(0), first_resp = I(1), req_reply = I(2), agent_reply = I(3), solved = I(4);
  Hub__Ticket__V1__Status status = ticket_status_from_text(PQgetvalue(res, 0, 5));
  bool was_breached = PQgetvalue(res, 0, 6)[0] == 't', was_warned = PQgetvalue(res, 0, 7)[0] == 't';
  bool has_policy = PQgetvalue(res, 0, 8)[0] == 't';
  int64_t fr_target = I(9), nr_target = I(10), res_target = I(11), warn = I(12);
#undef I
  char *tz = hub_arena_strdup(a, PQgetvalue(res, 0, 13)), *week = hub_arena_strdup(a, PQgetvalue(res, 0, 14));
  char *holidays = hub_arena_strdup(a, PQgetvalue(res, 0, 15)), *pause_text = hub_arena_strdup(a, PQgetvalue(res, 0, 16));
  bool stored = PQgetvalue(res, 0, 17)[0] == 't';
  PQclear(res);
  if (!has_policy && !stored) return HUB_STATUS_OK; /* nothing to compute, nothing to clear */
  st = hub_pg_exec(pg, a, &clear_timers_sql, (const char *[]){ticket_id}, NULL);
  if (!hub_ok(st)) return st;
  char *zero = "0";
  if (!has_policy)
    return hub_pg_exec(pg, a, &store_sql, (const char *[]){ticket_id, zero, zero, zero, "false", "false", "false"}, NULL);
  hub_calendar *cal = hub_arena_alloc(a, sizeof *cal);
  if (!load_calendar(a, tz, week, holidays, cal)) hub_calendar_24x7(cal); /* a broken calendar must not stop tickets */
  hub_sla_pause *pauses;
  size_t n_pauses = parse_pauses(a, pause_text, &pauses);
  bool closed = status == HUB__TICKET__V1__STATUS__STATUS_CLOSED;

  /* The three clocks. Next response runs while a requester's reply waits for an agent's. */
  struct {
    int64_t start, target, done;
  } clocks[3] = {
      {created, fr_target, first_resp},
      {req_reply, req_reply && req_reply > agent_reply ? nr_target : 0, 0},
      {created, res_target, solved ? solved : (closed ? now : 0)},
  };
  int64_t due[3] = {0, 0, 0}, next_fire = INT64_MAX;
  bool paused = false, breached = false, warning = false;
  for (int i = 0; i < 3; i++) {
    if (!clocks[i].target || !clocks[i].start) continue;
    hub_sla_state s = hub_sla_evaluate(cal, clocks[i].start, clocks[i].target, clocks[i].done, pauses, n_pauses, warn, now);
    due[i] = s.due_s == INT64_MAX ? 0 : s.due_s;
    paused = paused || (s.paused && !clocks[i].done);
    breached = breached || s.breached;
    warning = warning || (s.warning && !clocks[i].done);
    if (!clocks[i].done && !s.paused && !s.breached && s.due_s < next_fire) next_fire = s.due_s;
  }
  char d0[24], d1[24], d2[24];
  snprintf(d0, sizeof d0, "%lld", (long long)due[0]);
  snprintf(d1, sizeof d1, "%lld", (long long)due[1]);
  snprintf(d2, sizeof d2, "%lld", (long long)due[2]);
  /* The warning is sent once per stretch of time a target sits inside its warning window. */
  bool warned = warning ? true : false;
  st = hub_pg_exec(pg, a, &store_sql,
                   (const char *[]){ticket_id, d0, d1, d2, paused ? "true" : "false", breached ? "true" : "false",
                                    warned ? "true" : "false"},
                   &res);
  if (!hub_ok(st)) return st;
  int64_t number = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
  PQclear(res);
  /* Whoever notices first (a change, or the sweeper's timer) records it, exactly once. */
  if (breached && !was_breached) {
    st = hub_ticket_event(pg, a, tenant, ticket_id, NULL, "sla_breach", NULL, NULL, NULL);
    if (hub_ok(st)) st = hub_ticket_outbox(pg, a, tenant, "ticket.sla_breach", ticket_id, number);
  } else if (warning && !was_warned && !breached) {
    st = hub_ticket_event(pg, a, tenant, ticket_id, NULL, "sla_warning", NULL, NULL, NULL);
    if (hub_ok(st)) st = hub_ticket_outbox(pg, a, tenant, "ticket.sla_warning", ticket_id, number);
  }
  if (!hub_ok(st) || next_fire == INT64_MAX) return st;
  char at[24];
  snprintf(at, sizeof at, "%lld", (long long)next_fire);
  st = hub_pg_exec(pg, a, &add_timer_sql, (const char *[]){ticket_id, "breach", at}, NULL);
  if (hub_ok(st) && warn > 0 && next_fire - warn > now) {
    snprintf(at, sizeof at, "%lld", (long long)(next_fire - warn));
    st = hub_pg_exec(pg, a, &add_timer_sql, (const char *[]){ticket_id, "warning", at}, NULL);
  }
  return st;
}
