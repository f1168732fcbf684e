/* The books' settings and periods: GetBooks, SetLockDate, SetBaseCurrency (while nothing is
 * posted), OpenFiscalYear, ListPeriods, ClosePeriod, ReopenPeriod and CloseFiscalYear.
 * accounting_post (migration 0010) refuses what these forbid, so this file only moves the states, under a lock on the row that changes (the books
 * row for the lock date, fiscal years and the year-end close; the period row otherwise), and
 * writes each change to the audit log and the outbox in the same transaction. Reopening and
 * unlocking need a reason, which the audit log keeps. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"
#include "hub/calendar.h"
#include "identity/audit.h"
#include "identity/principal.h"
#include "db/outbox.h"
#include "services/accounting/accounting.h"

#define BOOKS_COLUMNS                                                                                        \
  "b.base_currency AS base_currency_code, coalesce(b.lock_date::text, '') AS lock_date, "                 \
  "b.retained_earnings_code, b.version"

#define PERIOD_COLUMNS                                                                                       \
  "p.id, p.fiscal_year, p.name, p.start_date::text AS start_date, p.end_date::text AS end_date, p.state, "  \
  "p.version, p.updated_at AS update_time"

static const hub_pg_stmt books_get_sql = {
    "accounting_books_get", "SELECT " BOOKS_COLUMNS " FROM accounting_books b WHERE b.tenant_id = hub_current_tenant()", 0};

static const hub_pg_stmt books_lock_sql = {
    "accounting_books_lock",
    "SELECT " BOOKS_COLUMNS ", b.lock_date::text AS _lock FROM accounting_books b "
    "WHERE b.tenant_id = hub_current_tenant() FOR UPDATE", 0};

static const hub_pg_stmt lock_date_sql = {
    "accounting_set_lock_date",
    "UPDATE accounting_books b SET lock_date = $1::date, version = b.version + 1 "
    "WHERE b.tenant_id = hub_current_tenant() RETURNING " BOOKS_COLUMNS, 1};

/* The base currency changes only while the tenant has no entry. accounting_post holds this
 * lock shared while it reads the books and posts (migration 0019), so no posting can be in
 * flight, uncommitted and unseen by the check, with the old currency. */
static const hub_pg_stmt base_lock_sql = {
    "accounting_base_lock", "SELECT pg_advisory_xact_lock(hashtext('accounting_books'), hashtext(hub_current_tenant()::text))", 0};

static const hub_pg_stmt posted_any_sql = {
    "accounting_posted_any",
    "SELECT EXISTS (SELECT 1 FROM accounting_entries e WHERE e.tenant_id = hub_current_tenant()) AS posted", 0};

static const hub_pg_stmt base_currency_sql = {
    "accounting_set_base_currency",
    "UPDATE accounting_books b SET base_currency = $1, version = b.version + 1 "
    "WHERE b.tenant_id = hub_current_tenant() RETURNING " BOOKS_COLUMNS, 1};

static const hub_pg_stmt overlap_sql = {
    "accounting_year_overlap",
    "SELECT p.fiscal_year FROM accounting_periods p WHERE p.tenant_id = hub_current_tenant() "
    "AND p.start_date <= ($1::date + interval '1 year' - interval '1 day')::date AND p.end_date >= $1::date "
    "ORDER BY p.start_date LIMIT 1", 1};

static const hub_pg_stmt open_year_sql = {
    "accounting_open_year",
    "INSERT INTO accounting_periods AS p (tenant_id, fiscal_year, name, start_date, end_date) "
    "SELECT hub_current_tenant(), extract(year FROM $1::date + interval '1 year' - interval '1 day')::int, "
    "  to_char($1::date + (m - 1) * interval '1 month', 'YYYY-MM'), ($1::date + (m - 1) * interval '1 month')::date, "
    "  ($1::date + m * interval '1 month' - interval '1 day')::date FROM generate_series(1, 12) m "
    "RETURNING " PERIOD_COLUMNS, 1};

static const hub_pg_stmt list_sql = {
    "accounting_list_periods",
    "SELECT " PERIOD_COLUMNS " FROM accounting_periods p WHERE p.tenant_id = hub_current_tenant() "
    "AND ($1::int = 0 OR p.fiscal_year = $1::int) ORDER BY p.start_date", 1};

static const hub_pg_stmt period_lock_sql = {
    "accounting_period_lock",
    "SELECT " PERIOD_COLUMNS ", (SELECT b.lock_date::text FROM accounting_books b WHERE b.tenant_id = p.tenant_id) AS _lock "
    "FROM accounting_periods p WHERE p.tenant_id = hub_current_tenant() AND p.id = $1::uuid FOR UPDATE OF p", 1};

static const hub_pg_stmt period_state_sql = {
    "accounting_period_state",
    "UPDATE accounting_periods p SET state = $2, version = p.version + 1, updated_at = now() "
    "WHERE p.tenant_id = hub_current_tenant() AND p.id = $1::uuid RETURNING " PERIOD_COLUMNS, 2};

/* The fiscal year's span and how many of its periods are closed, its books row locked. */
static const hub_pg_stmt year_sql = {
    "accounting_year_span",
    "SELECT min(p.start_date)::text AS _start, max(p.end_date)::text AS _end, count(*) AS _n, "
    "  (SELECT q.name FROM accounting_periods q WHERE q.tenant_id = hub_current_tenant() AND q.fiscal_year = $1::int "
    "     AND q.state = 'closed' ORDER BY q.start_date DESC LIMIT 1) AS _closed "
    "FROM accounting_periods p WHERE p.tenant_id = hub_current_tenant() AND p.fiscal_year = $1::int", 1};

/* The year-end closing entry, as accounting_post takes it: every income and expense account's
 * balance over the year (closing entries of an earlier close included, so a second close moves
 * only what came since) turned to zero, per currency, against retained earnings. A line moves
 * amount and base amount the same way; where their signs differ (exchange differences) they
 * go in two lines. _n is 0 when there is nothing to close. */
static const hub_pg_stmt closing_sql = {
    "accounting_closing_entry",
    "WITH bal AS ("
    "  SELECT y.account_id, y.currency, sum(y.debits - y.credits) AS net, sum(y.base_debits - y.base_credits) AS bnet "
    "    FROM accounting_daily y JOIN accounting_accounts a ON a.tenant_id = y.tenant_id AND a.id = y.account_id "
    "   WHERE y.tenant_id = hub_current_tenant() AND a.type IN ('income', 'expense') AND y.day BETWEEN $1::date AND $2::date "
    "   GROUP BY 1, 2 HAVING sum(y.debits - y.credits) <> 0 OR sum(y.base_debits - y.base_credits) <> 0), "
    "parts AS ("
    "  SELECT account_id, currency, -net AS amt, -bnet AS bamt FROM bal WHERE sign(net) * sign(bnet) >= 0 "
    "  UNION ALL SELECT account_id, currency, -net, 0 FROM bal WHERE sign(net) * sign(bnet) < 0 "
    "  UNION ALL SELECT account_id, currency, 0, -bnet FROM bal WHERE sign(net) * sign(bnet) < 0), "
    "totals AS (SELECT currency, -sum(amt) AS amt, -sum(bamt) AS bamt FROM parts GROUP BY currency), "
    "re AS (SELECT c.id FROM accounting_accounts c JOIN accounting_books b ON b.tenant_id = c.tenant_id "
    "        AND c.code = b.retained_earnings_code WHERE c.tenant_id = hub_current_tenant()), "
    "moves AS ("
    "  SELECT * FROM parts "
    "  UNION ALL SELECT (SELECT id FROM re), currency, amt, bamt FROM totals "
    "   WHERE sign(amt) * sign(bamt) >= 0 AND (amt <> 0 OR bamt <> 0) "
    "  UNION ALL SELECT (SELECT id FROM re), currency, amt, 0 FROM totals WHERE sign(amt) * sign(bamt) < 0 "
    "  UNION ALL SELECT (SELECT id FROM re), currency, 0, bamt FROM totals WHERE sign(amt) * sign(bamt) < 0) "
    "SELECT count(*) AS _n, (SELECT count(*) FROM re) AS _re, jsonb_build_array(jsonb_build_object("
    "  'i', 0, 'id', $3::text, 'date', $2::text, 'kind', 'closing', 'adjusting', true, 'source', 'accounting.year_end', "
    "  'source_id', $4::text || '/' || (SELECT count(*) + 1 FROM accounting_entries e WHERE e.tenant_id = hub_current_tenant() "
    "     AND e.source = 'accounting.year_end' AND e.source_id LIKE $4::text || '/%'), "
    "  'description', 'Year-end close ' || $4::text, "
    "  'lines', jsonb_agg(jsonb_build_object('account_id', account_id, "
    "     'side', CASE WHEN amt > 0 OR (amt = 0 AND bamt > 0) THEN 'debit' ELSE 'credit' END, "
    "     'amount', abs(amt), 'currency', currency, 'base_amount', abs(bamt)) ORDER BY account_id, currency))) AS _json "
    "FROM moves",
    4};

static const hub_pg_stmt close_year_sql = {
    "accounting_close_year",
    "UPDATE accounting_periods p SET state = 'closed', version = p.version + 1, updated_at = now() "
    "WHERE p.tenant_id = hub_current_tenant() AND p.fiscal_year = $1::int AND p.state <> 'closed'", 1};

/* ---- the books and the lock date ---- */

typedef struct books_ctx {
  hub_call *call;
  const Hub__Accounting__V1__SetLockDateRequest *lock;     /* SetLockDate */
  const Hub__Accounting__V1__SetBaseCurrencyRequest *base; /* SetBaseCurrency; neither: GetBooks */
  hub_rows *rows;
} books_ctx;

static hub_status set_lock_date(hub_tx *tx, books_ctx *c, const hub_rows *now) {
  const char *old = hub_rows_text(now, 0, "_lock"), *want = c->lock->lock_date;
  bool back = old && (!*want || strcmp(want, old) < 0); /* ISO dates order as text */
  if (back && !*c->lock->reason) return hub_status_invalid(hub_tx_arena(tx), "reason", "required to move the lock date back");
  c->rows = hub_tx_exec(tx, &lock_date_sql, (const char *[]){hub_sql_opt(want)});
  accounting_record(tx, c->call, back ? "accounting.lock_date_moved_back" : "accounting.lock_date_set", NULL,
         (const char *[]){"from", old, "to", *want ? want : NULL, "reason", hub_sql_opt(c->lock->reason), NULL});
  return HUB_STATUS_OK;
}

static hub_status set_base_currency(hub_tx *tx, books_ctx *c, const hub_rows *now) {
  const char *old = hub_rows_text(now, 0, "base_currency_code"), *want = c->base->base_currency_code;
  if (!strcmp(old, want)) {
    c->rows = hub_tx_exec(tx, &books_get_sql, NULL);
    return HUB_STATUS_OK;
  }
  hub_rows *posted;
  hub_tx_exec(tx, &base_lock_sql, NULL);
  hub_status st = hub_tx_query(tx, &posted_any_sql, NULL, &posted);
  if (!hub_ok(st)) return st;
  if (hub_rows_bool(posted, 0, "posted"))
    return hub_status_new(hub_tx_arena(tx), HUB_FAILED_PRECONDITION,
                          "base_currency_code: the books have entries in %s; the base currency is fixed once anything is posted",
                          old);
  c->rows = hub_tx_exec(tx, &base_currency_sql, (const char *[]){want});
  accounting_record(tx, c->call, "accounting.base_currency_set", NULL, (const char *[]){"from", old, "to", want, NULL});
  return HUB_STATUS_OK;
}

static hub_status books_fn(hub_tx *tx, void *ud) {
  books_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  accounting_books_queue(tx);
  if (!c->lock && !c->base) {
    c->rows = hub_tx_exec(tx, &books_get_sql, NULL);
    return HUB_STATUS_OK;
  }
  hub_rows *now;
  hub_status st = hub_tx_query(tx, &books_lock_sql, NULL, &now);
  if (!hub_ok(st)) return st;
  if (hub_rows_int(now, 0, "version") != (c->lock ? c->lock->version : c->base->version))
    return hub_status_new(a, HUB_ABORTED, "version: the books changed since they were read; read them again");
  return c->lock ? set_lock_date(tx, c, now) : set_base_currency(tx, c, now);
}

static hub_status books_call(hub_call *call, books_ctx *c, Hub__Accounting__V1__Books *response) {
  c->call = call;
  hub_status st = hub_call_tx(call, books_fn, c);
  if (!hub_ok(st)) return st;
  hub_rows_decode(c->rows, 0, &response->base);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_get_books(hub_call *call, const Hub__Accounting__V1__GetBooksRequest *request,
                                                  Hub__Accounting__V1__Books *response) {
  (void)request;
  return books_call(call, &(books_ctx){0}, response);
}

hub_status hub_accounting_v1_accounting_set_lock_date(hub_call *call, const Hub__Accounting__V1__SetLockDateRequest *request,
                                                      Hub__Accounting__V1__Books *response) {
  return books_call(call, &(books_ctx){.lock = request}, response);
}

hub_status hub_accounting_v1_accounting_set_base_currency(hub_call *call,
                                                          const Hub__Accounting__V1__SetBaseCurrencyRequest *request,
                                                          Hub__Accounting__V1__Books *response) {
  return books_call(call, &(books_ctx){.base = request}, response);
}

/* ---- fiscal years and periods ---- */

typedef struct year_ctx {
  hub_call *call;
  const char *start;
  hub_rows *rows;
} year_ctx;

static hub_status open_year_fn(hub_tx *tx, void *ud) {
  year_ctx *c = ud;
  hub_rows *clash;
  accounting_books_queue(tx);
  hub_tx_exec(tx, &books_lock_sql, NULL); /* one fiscal year made at a time per tenant */
  hub_status st = hub_tx_query(tx, &overlap_sql, (const char *[]){c->start}, &clash);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(clash) > 0)
    return hub_status_new(hub_tx_arena(tx), HUB_FAILED_PRECONDITION, "start_date: the year would overlap fiscal year %s",
                          hub_rows_text(clash, 0, "fiscal_year"));
  c->rows = hub_tx_exec(tx, &open_year_sql, (const char *[]){c->start});
  accounting_record(tx, c->call, "accounting.fiscal_year_opened", NULL, (const char *[]){"start_date", c->start, NULL});
  return HUB_STATUS_OK;
}

static void periods_out(const hub_rows *rows, Hub__Accounting__V1__ListPeriodsResponse *response) {
  response->n_periods = hub_rows_messages(rows, &hub__accounting__v1__period__descriptor, -1, (void ***)&response->periods);
}

hub_status hub_accounting_v1_accounting_open_fiscal_year(hub_call *call,
                                                         const Hub__Accounting__V1__OpenFiscalYearRequest *request,
                                                         Hub__Accounting__V1__ListPeriodsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  if (strcmp(request->start_date + 8, "01") != 0) return hub_status_invalid(a, "start_date", "must be the first day of a month");
  year_ctx c = {.call = call, .start = request->start_date};
  hub_status st = hub_call_tx(call, open_year_fn, &c);
  if (!hub_ok(st)) return st;
  periods_out(c.rows, response);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_list_periods(hub_call *call, const Hub__Accounting__V1__ListPeriodsRequest *request,
                                                     Hub__Accounting__V1__ListPeriodsResponse *response) {
  hub_rows *rows;
  const char *year = hub_arena_sprintf(hub_call_arena(call), "%d", request->fiscal_year);
  hub_status st = hub_call_query(call, &list_sql, (const char *[]){year}, &rows);
  if (!hub_ok(st)) return st;
  periods_out(rows, response);
  return HUB_STATUS_OK;
}

/* ClosePeriod and ReopenPeriod: the period locked, the move checked, then made and recorded. */
typedef struct move_ctx {
  hub_call *call;
  const char *id, *reason;
  int64_t version;
  bool reopen, soft;
  hub_rows *rows;
} move_ctx;

static hub_status move_fn(hub_tx *tx, void *ud) {
  move_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *now;
  hub_status st = hub_tx_query(tx, &period_lock_sql, (const char *[]){c->id}, &now);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(now) == 0) return hub_status_new(a, HUB_NOT_FOUND, "id: no such period");
  if (hub_rows_int(now, 0, "version") != c->version)
    return hub_status_new(a, HUB_ABORTED, "version: the period changed since it was read; read it again");
  const char *state = hub_rows_text(now, 0, "state"), *name = hub_rows_text(now, 0, "name");
  const char *lock = hub_rows_text(now, 0, "_lock"), *end = hub_rows_text(now, 0, "end_date");
  const char *to;
  if (c->reopen) {
    if (!strcmp(state, "open")) return hub_status_new(a, HUB_FAILED_PRECONDITION, "id: period %s is open", name);
    if (lock && strcmp(end, lock) <= 0)
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "id: the books are locked up to %s; move the lock date back first",
                            lock);
    to = "open";
  } else {
    to = c->soft ? "soft_closed" : "closed";
    if (!strcmp(state, "closed") || !strcmp(state, to))
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "id: period %s is %s already", name,
                            !strcmp(state, "closed") ? "closed" : "soft-closed");
  }
  c->rows = hub_tx_exec(tx, &period_state_sql, (const char *[]){c->id, to});
  accounting_record(tx, c->call, c->reopen ? "accounting.period_reopened" : "accounting.period_closed", c->id,
         (const char *[]){"period", name, "from", state, "to", to, "reason", c->reason, NULL});
  return HUB_STATUS_OK;
}

static hub_status move_call(hub_call *call, move_ctx *c, Hub__Accounting__V1__Period *response) {
  c->call = call;
  hub_status st = hub_call_tx(call, move_fn, c);
  if (!hub_ok(st)) return st;
  hub_rows_decode(c->rows, 0, &response->base);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_close_period(hub_call *call, const Hub__Accounting__V1__ClosePeriodRequest *request,
                                                     Hub__Accounting__V1__Period *response) {
  move_ctx c = {.id = request->id, .version = request->version, .soft = request->soft};
  return move_call(call, &c, response);
}

hub_status hub_accounting_v1_accounting_reopen_period(hub_call *call, const Hub__Accounting__V1__ReopenPeriodRequest *request,
                                                      Hub__Accounting__V1__Period *response) {
  move_ctx c = {.id = request->id, .version = request->version, .reopen = true, .reason = request->reason};
  return move_call(call, &c, response);
}

/* ---- the year-end close ---- */

static const accounting_field_map year_fields[] = {{"", "fiscal_year", false}, {NULL, NULL, false}};

typedef struct close_ctx {
  hub_call *call;
  const char *year;
  char id[37];
  hub_rows *posted, *periods;
  accounting_entry_read rd;
} close_ctx;

static hub_status close_year_fn(hub_tx *tx, void *ud) {
  close_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *span, *closing;
  accounting_books_queue(tx);
  hub_tx_exec(tx, &books_lock_sql, NULL); /* one close at a time per tenant */
  hub_status st = hub_tx_query(tx, &year_sql, (const char *[]){c->year}, &span);
  if (!hub_ok(st)) return st;
  if (hub_rows_int(span, 0, "_n") == 0) return hub_status_new(a, HUB_NOT_FOUND, "fiscal_year: no such fiscal year");
  const char *start = hub_rows_text(span, 0, "_start"), *end = hub_rows_text(span, 0, "_end");
  st = hub_tx_query(tx, &closing_sql, (const char *[]){start, end, c->id, c->year}, &closing);
  if (!hub_ok(st)) return st;
  if (hub_rows_int(closing, 0, "_n") > 0) {
    if (hub_rows_int(closing, 0, "_re") == 0)
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "fiscal_year: the books' retained earnings account does not exist");
    st = hub_tx_query(tx, &accounting_post_sql, (const char *[]){hub_rows_text(closing, 0, "_json"), "false"}, &c->posted);
    if (!hub_ok(st)) return st;
    /* Refused (the year's last period closed, the lock date): nothing of the close commits. */
    if (!strcmp(hub_rows_text(c->posted, 0, "outcome"), "refused")) return accounting_refusal(a, c->posted, 0, year_fields);
    accounting_entry_queue(tx, c->id, &c->rd);
  }
  hub_tx_exec(tx, &close_year_sql, (const char *[]){c->year});
  c->periods = hub_tx_exec(tx, &list_sql, (const char *[]){c->year});
  accounting_record(tx, c->call, "accounting.year_closed", NULL,
         (const char *[]){"fiscal_year", c->year, "closing_entry_id", c->posted ? c->id : NULL, NULL});
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_close_fiscal_year(hub_call *call,
                                                          const Hub__Accounting__V1__CloseFiscalYearRequest *request,
                                                          Hub__Accounting__V1__CloseFiscalYearResponse *response) {
  hub_arena *a = hub_call_arena(call);
  close_ctx c = {.call = call, .year = hub_arena_sprintf(a, "%d", request->fiscal_year)};
  if (!hub_uuid_v7(c.id)) return hub_status_new(a, HUB_INTERNAL, "no randomness for an entry id");
  hub_status st = hub_call_tx(call, close_year_fn, &c);
  if (!hub_ok(st)) return st;
  if (c.posted) {
    Hub__Accounting__V1__Entry *e = hub_arena_alloc(a, sizeof *e);
    hub__accounting__v1__entry__init(e);
    if (accounting_entry_decode(&c.rd, e)) response->closing_entry = e;
  }
  response->n_periods = hub_rows_messages(c.periods, &hub__accounting__v1__period__descriptor, -1,
                                          (void ***)&response->periods);
  return HUB_STATUS_OK;
}
