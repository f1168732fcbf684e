/* SLA configuration: business calendars and policies. A calendar's week and time zone are
 * checked with the same code that will run them (sla.c), so a calendar that is stored is a
 * calendar that works. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/ticket/v1/ticket.hub-server.h"
#include "services/ticket/sla.h"
#include "services/ticket/ticket.h"

static const hub_pg_stmt cal_insert_sql = {
    "ticket_cal_insert",
    "INSERT INTO ticket_calendars (tenant_id, name, time_zone, week, holidays) "
    "VALUES (hub_current_tenant(), $1, $2, $3, $4::date[]) RETURNING id AS _id",
    4};
static const hub_pg_stmt cal_update_sql = {
    "ticket_cal_update",
    "UPDATE ticket_calendars SET name = $2, time_zone = $3, week = $4, holidays = $5::date[] "
    "WHERE tenant_id = hub_current_tenant() AND id = $1::uuid RETURNING id AS _id",
    5};
static const hub_pg_stmt cal_list_sql = {
    "ticket_cal_list",
    "SELECT id, name, time_zone, week, ARRAY(SELECT to_char(h, 'YYYY-MM-DD') FROM unnest(holidays) h ORDER BY h) "
    "AS holidays FROM ticket_calendars WHERE tenant_id = hub_current_tenant() ORDER BY name",
    0};
static const hub_pg_stmt pol_insert_sql = {
    "ticket_pol_insert",
    "INSERT INTO ticket_sla_policies (tenant_id, name, position, priority, brand, tags, calendar_id, first_response_s, "
    "  next_response_s, resolution_s, warn_before_s) "
    "VALUES (hub_current_tenant(), $1, $2::int, $3, $4, $5::text[], $6::uuid, nullif($7::int, 0), nullif($8::int, 0), "
    "  nullif($9::int, 0), $10::int) RETURNING id AS _id",
    10};
static const hub_pg_stmt pol_update_sql = {
    "ticket_pol_update",
    "UPDATE ticket_sla_policies SET name = $2, position = $3::int, priority = $4, brand = $5, tags = $6::text[], "
    "  calendar_id = $7::uuid, first_response_s = nullif($8::int, 0), next_response_s = nullif($9::int, 0), "
    "  resolution_s = nullif($10::int, 0), warn_before_s = $11::int "
    "WHERE tenant_id = hub_current_tenant() AND id = $1::uuid RETURNING id AS _id",
    11};
static const hub_pg_stmt pol_list_sql = {
    "ticket_pol_list",
    "SELECT id, name, position, priority, brand, tags, calendar_id, first_response_s AS first_response_seconds, "
    "  next_response_s AS next_response_seconds, resolution_s AS resolution_seconds, warn_before_s AS warn_before_seconds "
    "FROM ticket_sla_policies WHERE tenant_id = hub_current_tenant() ORDER BY position",
    0};
static const hub_pg_stmt pol_delete_sql = {
    "ticket_pol_delete",
    "DELETE FROM ticket_sla_policies WHERE tenant_id = hub_current_tenant() AND id = $1::uuid RETURNING id AS _id", 1};

/* ---- calendars ---- */

/* An insert (no id) or an update by id that returns the row's id as _id; NOT_FOUND when the
 * update matched nothing (another tenant's id looks exactly like a missing one). */
static hub_status upsert(hub_call *call, const hub_pg_stmt *stmt, const char *const *params, const char *what,
                         char **id) {
  hub_rows *r;
  hub_status st = hub_call_query(call, stmt, params, &r);
  if (!hub_ok(st)) return st;
  *id = hub_rows_count(r) == 1 ? (char *)hub_rows_text(r, 0, "_id") : NULL;
  return *id ? HUB_STATUS_OK : hub_status_new(hub_call_arena(call), HUB_NOT_FOUND, "%s.id: no such %s", what, what);
}

hub_status hub_ticket_v1_ticket_upsert_business_calendar(hub_call *call,
                                                         const Hub__Ticket__V1__UpsertBusinessCalendarRequest *request,
                                                         Hub__Ticket__V1__BusinessCalendar *response) {
  hub_arena *a = hub_call_arena(call);
  const Hub__Ticket__V1__BusinessCalendar *in = request->calendar;
  hub_calendar cal = {0};
  if (!(cal.tz = hub_tz_get(in->time_zone))) return hub_status_invalid(a, "calendar.time_zone", "not an IANA time zone");
  char err[160];
  if (!hub_calendar_parse_week(&cal, in->week, err, sizeof err)) return hub_status_invalid(a, "calendar.week", "%s", err);
  char *holidays = hub_arena_alloc(a, 3 + in->n_holidays * 11);
  strcpy(holidays, "{");
  for (size_t i = 0; i < in->n_holidays; i++) {
    int64_t day;
    if (!hub_date_parse(in->holidays[i], &day)) return hub_status_invalid(a, "calendar.holidays", "dates are YYYY-MM-DD");
    if (i) strcat(holidays, ",");
    strcat(holidays, in->holidays[i]);
  }
  strcat(holidays, "}");
  /* One array for both statements: an update has the id first. */
  const char *params[] = {in->id, in->name, in->time_zone, in->week, holidays};
  char *id;
  hub_status st = upsert(call, *in->id ? &cal_update_sql : &cal_insert_sql, *in->id ? params : params + 1, "calendar", &id);
  if (st.code == HUB_ALREADY_EXISTS)
    return hub_status_fixed(HUB_ALREADY_EXISTS, "calendar.name: another calendar has this name");
  if (!hub_ok(st)) return st;
  *response = *in;
  response->id = id;
  return HUB_STATUS_OK;
}

hub_status hub_ticket_v1_ticket_list_business_calendars(hub_call *call,
                                                        const Hub__Ticket__V1__ListBusinessCalendarsRequest *request,
                                                        Hub__Ticket__V1__ListBusinessCalendarsResponse *response) {
  (void)request;
  hub_rows *r;
  hub_status st = hub_call_query(call, &cal_list_sql, NULL, &r);
  if (hub_ok(st))
    response->n_calendars =
        hub_rows_messages(r, &hub__ticket__v1__business_calendar__descriptor, -1, (void ***)&response->calendars);
  return st;
}

/* ---- policies ---- */

hub_status hub_ticket_v1_ticket_upsert_sla_policy(hub_call *call, const Hub__Ticket__V1__UpsertSlaPolicyRequest *request,
                                                  Hub__Ticket__V1__SlaPolicy *response) {
  hub_arena *a = hub_call_arena(call);
  const Hub__Ticket__V1__SlaPolicy *in = request->policy;
  if (strlen(in->brand) > 31) return hub_status_invalid(a, "policy.brand", "no such brand");
  if (!in->first_response_seconds && !in->next_response_seconds && !in->resolution_seconds)
    return hub_status_invalid(a, "policy.resolution_seconds", "a policy needs at least one target");
  char *tags = ticket_tags_literal(a, in->tags, in->n_tags);
  char *pos = hub_arena_sprintf(a, "%d", in->position);
  char *fr = hub_arena_sprintf(a, "%lld", (long long)in->first_response_seconds);
  char *nr = hub_arena_sprintf(a, "%lld", (long long)in->next_response_seconds);
  char *rs = hub_arena_sprintf(a, "%lld", (long long)in->resolution_seconds);
  char *warn = hub_arena_sprintf(a, "%lld", (long long)(in->warn_before_seconds ? in->warn_before_seconds : 900));
  const char *prio = in->priority ? ticket_priority_text(a, in->priority) : NULL;
  const char *brand = hub_sql_opt(in->brand), *cal = hub_sql_opt(in->calendar_id);
  const char *params[] = {in->id, in->name, pos, prio, brand, tags, cal, fr, nr, rs, warn};
  char *id;
  hub_status st = upsert(call, *in->id ? &pol_update_sql : &pol_insert_sql, *in->id ? params : params + 1, "policy", &id);
  /* The calendar's foreign key (tenant_id, calendar_id): a calendar of nobody or of another tenant. */
  if (st.code == HUB_FAILED_PRECONDITION) return hub_status_fixed(HUB_NOT_FOUND, "policy.calendar_id: no such calendar");
  if (st.code == HUB_ALREADY_EXISTS) return hub_status_invalid(a, "policy.position", "another policy has this position");
  if (!hub_ok(st)) return st;
  *response = *in;
  response->id = id;
  response->warn_before_seconds = strtoll(warn, NULL, 10);
  return HUB_STATUS_OK;
}

hub_status hub_ticket_v1_ticket_list_sla_policies(hub_call *call, const Hub__Ticket__V1__ListSlaPoliciesRequest *request,
                                                  Hub__Ticket__V1__ListSlaPoliciesResponse *response) {
  (void)request;
  hub_rows *r;
  hub_status st = hub_call_query(call, &pol_list_sql, NULL, &r);
  if (hub_ok(st))
    response->n_policies = hub_rows_messages(r, &hub__ticket__v1__sla_policy__descriptor, -1, (void ***)&response->policies);
  return st;
}

hub_status hub_ticket_v1_ticket_delete_sla_policy(hub_call *call, const Hub__Ticket__V1__DeleteSlaPolicyRequest *request,
                                                  Hub__Ticket__V1__DeleteSlaPolicyResponse *response) {
  (void)response;
  hub_rows *r;
  hub_status st = hub_call_query(call, &pol_delete_sql, (const char *[]){request->id}, &r);
  if (hub_ok(st) && hub_rows_count(r) != 1) st = hub_status_fixed(HUB_NOT_FOUND, "id: no such policy");
  return st;
}
