/* Customers and vendors: CreateParty (idempotent by request_id), GetParty (with what it owes
 * and is owed per currency, from its open documents and unallocated credits) and ListParties
 * (keyset pages by name). */
#include <string.h>

#include "hub/enum_text.h"
#include "services/accounting/accounting.h"
#include "services/accounting/api.h"

#define PARTY_COLUMNS                                                                                    \
  "x.id, x.role, x.name, x.email, x.tax_number, x.payment_terms_days, x.created_at AS create_time"

static const hub_pg_stmt create_sql = {
    "accounting_create_party",
    "WITH ins AS (INSERT INTO accounting_parties AS x (tenant_id, role, name, email, tax_number, payment_terms_days, "
    "  request_id) VALUES (hub_current_tenant(), $1, $2, coalesce($3, ''), coalesce($4, ''), coalesce($5::int, 30), $6::uuid) "
    "  ON CONFLICT (tenant_id, request_id) WHERE request_id IS NOT NULL DO NOTHING RETURNING " PARTY_COLUMNS ") "
    "SELECT * FROM ins UNION ALL SELECT " PARTY_COLUMNS " FROM accounting_parties x "
    "WHERE x.tenant_id = hub_current_tenant() AND x.request_id = $6::uuid AND NOT EXISTS (SELECT 1 FROM ins)",
    6};

static const hub_pg_stmt get_sql = {
    "accounting_get_party",
    "SELECT " PARTY_COLUMNS " FROM accounting_parties x WHERE x.tenant_id = hub_current_tenant() AND x.id = $1::uuid", 1};

/* Per currency: open sales documents less open sales credit notes and unallocated receipts
 * (receivable), and the same on the purchase side (payable). */
const hub_pg_stmt accounting_party_balances_sql = {
    "accounting_party_balances",
    "SELECT currency AS _currency, sum(r) AS _receivable, sum(p) AS _payable FROM ("
    "  SELECT d.currency, CASE d.kind WHEN 'sales_invoice' THEN d.open_amount WHEN 'sales_credit_note' THEN -d.open_amount ELSE 0 END AS r, "
    "    CASE WHEN d.kind IN ('purchase_bill', 'expense') THEN d.open_amount WHEN d.kind = 'purchase_credit_note' THEN -d.open_amount "
    "      ELSE 0 END AS p "
    "  FROM accounting_documents d WHERE d.tenant_id = hub_current_tenant() AND d.party_id = $1::uuid AND d.status = 'open' "
    "  UNION ALL SELECT y.currency, CASE WHEN y.direction = 'received' THEN -y.unallocated ELSE 0 END, "
    "    CASE WHEN y.direction = 'sent' THEN -y.unallocated ELSE 0 END "
    "  FROM accounting_payments y WHERE y.tenant_id = hub_current_tenant() AND y.party_id = $1::uuid AND y.unallocated > 0"
    ") s GROUP BY currency ORDER BY currency",
    1};

static const hub_pg_stmt list_sql = {
    "accounting_list_parties",
    "SELECT " PARTY_COLUMNS " FROM accounting_parties x WHERE x.tenant_id = hub_current_tenant() "
    "AND ($1::text IS NULL OR (x.name, x.id) > ($1, $2::uuid)) "
    "AND ($4::text IS NULL OR x.role = $4 OR x.role = 'both') ORDER BY x.name, x.id LIMIT $3::int + 1",
    4};

static const char **create_params(hub_arena *a, const Hub__Accounting__V1__CreatePartyRequest *request) {
  const char **p = hub_arena_alloc(a, 6 * sizeof *p);
  p[0] = hub_enum_to_text(a, &hub__accounting__v1__party_role__descriptor, (int)request->role);
  p[1] = request->name, p[2] = hub_sql_opt(request->email), p[3] = hub_sql_opt(request->tax_number);
  p[4] = request->payment_terms_days ? hub_arena_sprintf(a, "%d", request->payment_terms_days) : NULL;
  p[5] = hub_sql_opt(request->request_id);
  return p;
}

hub_status hub_accounting_create_party(hub_tx *tx, const Hub__Accounting__V1__CreatePartyRequest *request, const char **id) {
  hub_arena *a = hub_tx_arena(tx);
  hub_status st = accounting_api_validate(a, "hub.accounting.v1.Accounting/CreateParty", (ProtobufCMessage *)&request->base);
  hub_rows *rows;
  if (hub_ok(st)) st = hub_tx_query(tx, &create_sql, create_params(a, request), &rows);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(rows) != 1) return hub_status_new(a, HUB_ABORTED, "a request with this request_id is in flight; retry");
  *id = hub_rows_text(rows, 0, "id");
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_create_party(hub_call *call, const Hub__Accounting__V1__CreatePartyRequest *request,
                                                     Hub__Accounting__V1__Party *response) {
  hub_arena *a = hub_call_arena(call);
  hub_rows *rows;
  hub_status st = hub_call_query(call, &create_sql, create_params(a, request), &rows);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(rows) != 1) return hub_status_new(a, HUB_ABORTED, "a request with this request_id is in flight; retry");
  hub_rows_decode(rows, 0, &response->base);
  return HUB_STATUS_OK;
}

static Hub__Api__V1__Money *money(hub_arena *a, const char *currency, int64_t amount) {
  Hub__Api__V1__Money *m = hub_arena_alloc(a, sizeof *m);
  hub__api__v1__money__init(m);
  m->currency_code = (char *)currency, m->amount_minor = amount;
  return m;
}

void accounting_party_fill_balances(hub_arena *a, const hub_rows *r, Hub__Accounting__V1__Party *party) {
  int n = hub_rows_count(r);
  party->receivable = hub_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *party->receivable);
  party->payable = hub_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *party->payable);
  for (int i = 0; i < n; i++) {
    const char *cur = hub_rows_text(r, i, "_currency");
    if (hub_rows_int(r, i, "_receivable")) party->receivable[party->n_receivable++] = money(a, cur, hub_rows_int(r, i, "_receivable"));
    if (hub_rows_int(r, i, "_payable")) party->payable[party->n_payable++] = money(a, cur, hub_rows_int(r, i, "_payable"));
  }
}

typedef struct get_ctx {
  const char *id;
  hub_rows *party, *balances;
} get_ctx;

static hub_status get_fn(hub_tx *tx, void *ud) {
  get_ctx *c = ud;
  c->party = hub_tx_exec(tx, &get_sql, (const char *[]){c->id});
  c->balances = hub_tx_exec(tx, &accounting_party_balances_sql, (const char *[]){c->id});
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_get_party(hub_call *call, const Hub__Accounting__V1__GetPartyRequest *request,
                                                  Hub__Accounting__V1__Party *response) {
  hub_arena *a = hub_call_arena(call);
  get_ctx c = {.id = request->id};
  hub_status st = hub_call_tx(call, get_fn, &c);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(c.party) != 1) return hub_status_new(a, HUB_NOT_FOUND, "id: no such party");
  hub_rows_decode(c.party, 0, &response->base);
  accounting_party_fill_balances(a, c.balances, response);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_list_parties(hub_call *call, const Hub__Accounting__V1__ListPartiesRequest *request,
                                                     Hub__Accounting__V1__ListPartiesResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *after = NULL, *after_id = NULL; /* the last name and id of the previous page */
  if (*request->page_token && (!hub_page_token_parse(a, request->page_token, &after_id, &after) || !hub_uuid_normalize(after_id)))
    return hub_status_invalid(a, "page_token", "not a token from this list");
  const char *role = request->role == HUB__ACCOUNTING__V1__PARTY_ROLE__PARTY_ROLE_BOTH ||
                             request->role == HUB__ACCOUNTING__V1__PARTY_ROLE__PARTY_ROLE_UNSPECIFIED
                         ? NULL
                         : hub_enum_to_text(a, &hub__accounting__v1__party_role__descriptor, (int)request->role);
  const char *p[] = {after, after_id, hub_arena_sprintf(a, "%d", limit), role};
  hub_rows *rows;
  st = hub_call_query(call, &list_sql, p, &rows);
  if (!hub_ok(st)) return st;
  response->n_parties = hub_rows_messages(rows, &hub__accounting__v1__party__descriptor, limit, (void ***)&response->parties);
  char *next = NULL;
  if (hub_rows_count(rows) > limit) {
    const Hub__Accounting__V1__Party *last = response->parties[limit - 1];
    next = hub_page_token(a, last->id, last->name) /* a name may hold '|' */;
  }
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}
