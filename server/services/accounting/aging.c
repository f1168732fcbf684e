/* GetAging: aged receivables or payables at the end of a day. What was open then is rebuilt
 * from the documents and the allocations dated on or before it (not today's open amounts), so
 * an aging at a past month end stays what it was. Unapplied credits (payments not yet allocated,
 * credit notes not yet used) count against the party in the "current" bucket, as the usual
 * aged lists show them. Bucketing is allocation.c's. */
#include <string.h>

#include "hub/calendar.h"
#include "services/accounting/accounting.h"
#include "services/accounting/allocation.h"

/* $1 'receivable' or 'payable', $2 the day. _due is NULL for a credit. */
static const hub_pg_stmt aging_sql = {
    "accounting_aging",
    "WITH a AS (SELECT al.document_id, al.payment_id, al.credit_note_id, al.amount FROM accounting_allocations al "
    "  WHERE al.tenant_id = hub_current_tenant() AND al.alloc_date <= $2::date), "
    "items AS ("
    "  SELECT d.party_id, d.currency, CASE WHEN d.kind LIKE '%credit_note' THEN NULL ELSE d.due_date - DATE '1970-01-01' END AS due, "
    "    (CASE WHEN d.kind LIKE '%credit_note' THEN -1 ELSE 1 END) * (d.gross - coalesce((SELECT sum(a.amount) FROM a "
    "      WHERE a.document_id = d.id OR a.credit_note_id = d.id), 0)) AS amount "
    "  FROM accounting_documents d WHERE d.tenant_id = hub_current_tenant() AND d.status IN ('open', 'settled') "
    "  AND d.paid_from_code IS NULL AND d.issue_date <= $2::date AND d.kind = ANY(CASE WHEN $1 = 'receivable' "
    "    THEN ARRAY['sales_invoice', 'sales_credit_note'] ELSE ARRAY['purchase_bill', 'expense', 'purchase_credit_note'] END) "
    "  UNION ALL SELECT y.party_id, y.currency, NULL, -(y.amount - coalesce((SELECT sum(a.amount) FROM a WHERE a.payment_id = y.id), 0)) "
    "  FROM accounting_payments y WHERE y.tenant_id = hub_current_tenant() AND y.pay_date <= $2::date "
    "  AND y.direction = CASE WHEN $1 = 'receivable' THEN 'received' ELSE 'sent' END) "
    "SELECT p.id AS _party, p.name AS _name, i.currency AS _currency, i.due AS _due, i.amount AS _amount "
    "FROM items i JOIN accounting_parties p ON p.tenant_id = hub_current_tenant() AND p.id = i.party_id "
    "WHERE i.amount <> 0 ORDER BY p.name, p.id, i.currency",
    2};

static const hub_pg_stmt today_sql = {"accounting_today", "SELECT current_date::text AS _today", 0};

hub_status hub_accounting_v1_accounting_get_aging(hub_call *call, const Hub__Accounting__V1__GetAgingRequest *request,
                                                  Hub__Accounting__V1__Aging *response) {
  hub_arena *a = hub_call_arena(call);
  accounting_aging_bounds b;
  accounting_aging_default(&b);
  if (request->n_bucket_days) {
    b.n = request->n_bucket_days;
    for (size_t i = 0; i < b.n; i++) b.upper[i] = request->bucket_days[i];
    if (!accounting_aging_valid(&b)) return hub_status_invalid(a, "bucket_days", "strictly ascending day counts");
  }
  const char *as_of = request->as_of_date;
  hub_rows *rows;
  hub_status st;
  if (!*as_of) {
    st = hub_call_query(call, &today_sql, NULL, &rows);
    if (!hub_ok(st)) return st;
    as_of = hub_rows_text(rows, 0, "_today");
  }
  int64_t as_of_day;
  hub_date_parse(as_of, &as_of_day);
  bool receivable = request->side == HUB__ACCOUNTING__V1__AGING_SIDE__AGING_SIDE_RECEIVABLE;
  st = hub_call_query(call, &aging_sql, (const char *[]){receivable ? "receivable" : "payable", as_of}, &rows);
  if (!hub_ok(st)) return st;

  size_t nb = b.n + 2;
  response->as_of_date = (char *)as_of;
  response->n_bucket_names = nb;
  response->bucket_names = hub_arena_alloc(a, nb * sizeof *response->bucket_names);
  response->bucket_names[0] = "current";
  for (size_t i = 0; i < b.n; i++)
    response->bucket_names[i + 1] = hub_arena_sprintf(a, "%d-%d", i ? b.upper[i - 1] + 1 : 1, b.upper[i]);
  response->bucket_names[nb - 1] = hub_arena_sprintf(a, "%d+", b.upper[b.n - 1]);

  int n = hub_rows_count(rows);
  response->rows = hub_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *response->rows);
  Hub__Accounting__V1__AgingRow *cur = NULL;
  for (int i = 0; i < n; i++) {
    const char *party = hub_rows_text(rows, i, "_party"), *currency = hub_rows_text(rows, i, "_currency");
    if (!cur || strcmp(cur->party_id, party) || strcmp(cur->currency_code, currency)) {
      cur = hub_arena_alloc(a, sizeof *cur);
      hub__accounting__v1__aging_row__init(cur);
      cur->party_id = (char *)party, cur->party_name = (char *)hub_rows_text(rows, i, "_name");
      cur->currency_code = (char *)currency;
      cur->n_buckets_minor = nb;
      cur->buckets_minor = hub_arena_alloc(a, nb * sizeof *cur->buckets_minor);
      memset(cur->buckets_minor, 0, nb * sizeof *cur->buckets_minor);
      response->rows[response->n_rows++] = cur;
    }
    int64_t amount = hub_rows_int(rows, i, "_amount");
    size_t k = hub_rows_text(rows, i, "_due") ? accounting_aging_bucket(&b, (int32_t)hub_rows_int(rows, i, "_due"), (int32_t)as_of_day) : 0;
    cur->buckets_minor[k] += amount;
    cur->total_minor += amount;
  }
  return HUB_STATUS_OK;
}
