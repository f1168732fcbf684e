/* Exchange rates: SetRate (one rate per pair and day; setting it again replaces it, which moves
 * no posted base amount: those are stored with their lines) and ListRates. accounting_post takes
 * the latest rate on or before an entry's date. Rates are exact decimals, kept as numeric; each
 * setting is audited (accounting.rate_set). */
#include <string.h>

#include "services/accounting/accounting.h"

#define RATE_COLUMNS                                                                                         \
  "r.from_currency AS from_currency_code, r.to_currency AS to_currency_code, r.rate_date::text AS rate_date, " \
  "r.rate::text AS rate"

static const hub_pg_stmt set_sql = {
    "accounting_set_rate",
    "INSERT INTO accounting_rates AS r (tenant_id, from_currency, to_currency, rate_date, rate) "
    "VALUES (hub_current_tenant(), $1, $2, $3::date, $4::numeric) "
    "ON CONFLICT (tenant_id, from_currency, to_currency, rate_date) DO UPDATE SET rate = EXCLUDED.rate "
    "RETURNING " RATE_COLUMNS, 4};

static const hub_pg_stmt list_sql = {
    "accounting_list_rates",
    "SELECT " RATE_COLUMNS " FROM accounting_rates r WHERE r.tenant_id = hub_current_tenant() AND r.from_currency = $1 "
    "AND r.to_currency = $2 ORDER BY r.rate_date DESC LIMIT 500", 2};

/* 1 to 12 digits, optionally a point and 1 to 12 more, not zero. */
static bool rate_ok(const char *s) {
  size_t whole = strspn(s, "0123456789");
  if (whole < 1 || whole > 12) return false;
  const char *p = s + whole;
  if (*p == '.') {
    size_t frac = strspn(p + 1, "0123456789");
    if (frac < 1 || frac > 12 || p[1 + frac]) return false;
  } else if (*p) {
    return false;
  }
  return strspn(s, "0.") != strlen(s);
}

typedef struct set_ctx {
  hub_call *call;
  const char *const *params;
  hub_rows *rows;
} set_ctx;

/* The rate and its audit row (who set which rate, and when) commit together. */
static hub_status set_fn(hub_tx *tx, void *ud) {
  set_ctx *c = ud;
  c->rows = hub_tx_exec(tx, &set_sql, c->params);
  accounting_record(tx, c->call, "accounting.rate_set", NULL,
                    (const char *[]){"from", c->params[0], "to", c->params[1], "date", c->params[2], "rate", c->params[3], NULL});
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_set_rate(hub_call *call, const Hub__Accounting__V1__SetRateRequest *request,
                                                 Hub__Accounting__V1__Rate *response) {
  hub_arena *a = hub_call_arena(call);
  if (!strcmp(request->from_currency_code, request->to_currency_code))
    return hub_status_invalid(a, "to_currency_code", "is the same currency");
  if (!rate_ok(request->rate)) return hub_status_invalid(a, "rate", "a positive decimal such as 1.0842 (12 digits each side at most)");
  const char *p[] = {request->from_currency_code, request->to_currency_code, request->rate_date, request->rate};
  set_ctx c = {.call = call, .params = p};
  hub_status st = hub_call_tx(call, set_fn, &c);
  if (!hub_ok(st)) return st;
  hub_rows_decode(c.rows, 0, &response->base);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_list_rates(hub_call *call, const Hub__Accounting__V1__ListRatesRequest *request,
                                                   Hub__Accounting__V1__ListRatesResponse *response) {
  const char *p[] = {request->from_currency_code, request->to_currency_code};
  hub_rows *rows;
  hub_status st = hub_call_query(call, &list_sql, p, &rows);
  if (!hub_ok(st)) return st;
  response->n_rates = hub_rows_messages(rows, &hub__accounting__v1__rate__descriptor, -1, (void ***)&response->rates);
  return HUB_STATUS_OK;
}
