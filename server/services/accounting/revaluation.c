/* RevalueOpenItems and ListRevaluations: unrealized exchange differences of open foreign-currency
 * items (migration 0015). Every open document and unallocated payment in a currency other than
 * the base is locked and valued at the day's rate; the differences from their carrying values
 * post as one adjusting entry (per control account and currency, debits and credits apart,
 * against the exchange gain and loss accounts; amounts 0, only base values move), and each
 * item's carrying value becomes the new figure in the same transaction. Settlement measures its
 * realized difference from that carrying value (payments.c), so no difference is booked twice.
 * A run at the same rate finds nothing to move and posts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "identity/principal.h"
#include "services/accounting/accounting.h"

static const hub_pg_stmt prepare_sql = {
    "accounting_revalue_prepare",
    "SELECT hub_uuid_v7()::text AS _id, b.base_currency AS _base, b.fx_gain_code AS _gain, b.fx_loss_code AS _loss, "
    "(SELECT r.id FROM accounting_revaluations r WHERE r.tenant_id = hub_current_tenant() AND r.request_id = $1::uuid) AS _existing "
    "FROM accounting_open_books() b",
    1};

/* The open items on day $1, locked, each with its control account, the side its carrying value
 * is on (+1 debit: invoices, purchase credit notes, payments sent; -1 credit: the others), the
 * day's rate and its value at it (rounded as postings round; NULL when no rate). */
static const hub_pg_stmt items_sql = {
    "accounting_revalue_items",
    "WITH b AS (SELECT * FROM accounting_books WHERE tenant_id = hub_current_tenant()), "
    "docs AS (SELECT 'document' AS src, d.id, "
    "  CASE WHEN d.kind IN ('sales_invoice', 'sales_credit_note') THEN b.receivable_code ELSE b.payable_code END AS control, "
    "  CASE WHEN d.kind IN ('sales_invoice', 'purchase_credit_note') THEN 1 ELSE -1 END AS sign, "
    "  d.currency, d.open_amount AS open, d.open_base AS before "
    "  FROM accounting_documents d JOIN b ON b.tenant_id = d.tenant_id WHERE d.tenant_id = hub_current_tenant() "
    "  AND d.status = 'open' AND d.currency <> b.base_currency AND d.issue_date <= $1::date FOR UPDATE OF d), "
    "pays AS (SELECT 'payment' AS src, y.id, CASE WHEN y.direction = 'received' THEN b.receivable_code ELSE b.payable_code END, "
    "  CASE WHEN y.direction = 'sent' THEN 1 ELSE -1 END, y.currency, y.unallocated, y.unallocated_base "
    "  FROM accounting_payments y JOIN b ON b.tenant_id = y.tenant_id WHERE y.tenant_id = hub_current_tenant() "
    "  AND y.unallocated > 0 AND y.currency <> b.base_currency AND y.pay_date <= $1::date FOR UPDATE OF y) "
    "SELECT i.src AS _src, i.id::text AS _id, i.control AS _control, i.sign AS _sign, i.currency AS _currency, "
    "  i.open AS _open, i.before AS _before, trim_scale(r.rate)::text AS _rate, "
    "  round(i.open * r.rate * power(10::numeric, accounting_exponent(b.base_currency) - accounting_exponent(i.currency)))::bigint AS _after "
    "FROM (SELECT * FROM docs UNION ALL SELECT * FROM pays) i CROSS JOIN b "
    "LEFT JOIN LATERAL (SELECT x.rate FROM accounting_rates x WHERE x.tenant_id = hub_current_tenant() "
    "  AND x.from_currency = i.currency AND x.to_currency = b.base_currency AND x.rate_date <= $1::date "
    "  ORDER BY x.rate_date DESC LIMIT 1) r ON true "
    "ORDER BY i.currency, i.control, i.src, i.id",
    1};

/* The run, its items, and the items' new carrying values (only where still as read: locked, so
 * always, and _moved says so). */
static const hub_pg_stmt write_sql = {
    "accounting_revalue_write",
    "WITH h AS (INSERT INTO accounting_revaluations (tenant_id, id, reval_date, entry_id, net_gain, request_id, created_by) "
    "  VALUES (hub_current_tenant(), $1::uuid, $2::date, $3::uuid, $4::bigint, $5::uuid, $6::uuid) RETURNING id), "
    "x AS (SELECT * FROM jsonb_to_recordset($7::jsonb) AS x(n int, src text, id uuid, currency text, open bigint, "
    "  rate numeric, before bigint, after bigint, gain bigint)), "
    "ud AS (UPDATE accounting_documents d SET open_base = x.after, updated_at = now() FROM x "
    "  WHERE x.src = 'document' AND d.tenant_id = hub_current_tenant() AND d.id = x.id AND d.open_base = x.before RETURNING 1), "
    "up AS (UPDATE accounting_payments y SET unallocated_base = x.after FROM x "
    "  WHERE x.src = 'payment' AND y.tenant_id = hub_current_tenant() AND y.id = x.id AND y.unallocated_base = x.before RETURNING 1), "
    "it AS (INSERT INTO accounting_revaluation_items (tenant_id, revaluation_id, item_no, document_id, payment_id, currency, "
    "  open_amount, rate, before_base, after_base, gain) "
    "  SELECT hub_current_tenant(), (SELECT id FROM h), x.n, CASE WHEN x.src = 'document' THEN x.id END, "
    "    CASE WHEN x.src = 'payment' THEN x.id END, x.currency, x.open, x.rate, x.before, x.after, x.gain FROM x RETURNING 1) "
    "SELECT (SELECT count(*) FROM ud) + (SELECT count(*) FROM up) AS _moved, (SELECT count(*) FROM it) AS _items",
    7};

#define REVALUATION_COLUMNS                                                                                  \
  "r.id, r.reval_date::text AS date, r.entry_id, r.net_gain AS net_gain_minor, r.created_at AS create_time"

/* $1 one run, or a page: before ($2 day, $3 id), $4 rows. */
static const hub_pg_stmt list_sql = {
    "accounting_list_revaluations",
    "SELECT " REVALUATION_COLUMNS " FROM accounting_revaluations r WHERE r.tenant_id = hub_current_tenant() "
    "AND ($1::uuid IS NULL OR r.id = $1::uuid) AND ($2::text IS NULL OR (r.reval_date, r.id) < ($2::date, $3::uuid)) "
    "ORDER BY r.reval_date DESC, r.id DESC LIMIT $4::int + 1",
    4};

static const hub_pg_stmt items_of_sql = {
    "accounting_revaluation_items_of",
    "SELECT i.revaluation_id::text AS _rid, i.document_id, i.payment_id, i.currency AS currency_code, i.open_amount AS open_minor, "
    "trim_scale(i.rate)::text AS rate, i.before_base AS before_base_minor, i.after_base AS after_base_minor, i.gain AS gain_minor "
    "FROM accounting_revaluation_items i WHERE i.tenant_id = hub_current_tenant() "
    "AND i.revaluation_id IN (SELECT x::uuid FROM jsonb_array_elements_text($1::jsonb) x) ORDER BY i.revaluation_id, i.item_no",
    1};

typedef Hub__Accounting__V1__Revaluation Revaluation;
typedef Hub__Accounting__V1__Line Line;

/* ---- reading runs back (both RPCs) ---- */

typedef struct read_ctx {
  const char *params[4];
  hub_rows *books, *runs, *items;
} read_ctx;

static hub_status read_runs(hub_tx *tx, read_ctx *c) {
  c->books = accounting_books_queue(tx);
  hub_status st = hub_tx_query(tx, &list_sql, c->params, &c->runs);
  if (!hub_ok(st)) return st;
  json_t *ids = json_array();
  for (int i = 0; i < hub_rows_count(c->runs); i++) json_array_append_new(ids, json_string(hub_rows_text(c->runs, i, "id")));
  char *text = json_dumps(ids, JSON_COMPACT);
  json_decref(ids);
  const char *p[] = {hub_arena_strdup(hub_tx_arena(tx), text ? text : "[]")};
  free(text);
  c->items = hub_tx_exec(tx, &items_of_sql, p);
  return HUB_STATUS_OK;
}

/* Run `i` of the rows read, with its items. */
static Revaluation *decode_run(hub_arena *a, const read_ctx *c, int i) {
  Revaluation *r = hub_arena_alloc(a, sizeof *r);
  hub__accounting__v1__revaluation__init(r);
  hub_rows_decode(c->runs, i, &r->base);
  r->base_currency_code = (char *)hub_rows_text(c->books, 0, "_base");
  int n = hub_rows_count(c->items);
  r->items = hub_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *r->items);
  for (int k = 0; k < n; k++) {
    if (strcmp(hub_rows_text(c->items, k, "_rid"), r->id)) continue;
    Hub__Accounting__V1__RevaluedItem *it = hub_arena_alloc(a, sizeof *it);
    hub__accounting__v1__revalued_item__init(it);
    hub_rows_decode(c->items, k, &it->base);
    r->items[r->n_items++] = it;
  }
  return r;
}

/* ---- RevalueOpenItems ---- */

/* One line of the entry: a control account's base debits or credits in one currency, or the
 * gains or losses of one currency. */
typedef struct agg_line {
  const char *code, *currency;
  int side;
  int64_t base;
} agg_line;

static void add(agg_line *lines, size_t *n, const char *code, const char *currency, int side, int64_t base) {
  for (size_t k = 0; k < *n; k++)
    if (lines[k].side == side && !strcmp(lines[k].code, code) && !strcmp(lines[k].currency, currency)) {
      lines[k].base += base;
      return;
    }
  lines[(*n)++] = (agg_line){code, currency, side, base};
}

typedef struct revalue_ctx {
  hub_call *call;
  const char *date, *request_id, *id, *entry_id;
  read_ctx rd;
} revalue_ctx;

static const accounting_field_map post_fields[] = {{".date", "date", false}, {"", "date", false}, {NULL, NULL, false}};

static hub_status revalue_fn(hub_tx *tx, void *ud) {
  revalue_ctx *c = ud;
  hub_arena *a = hub_tx_arena(tx);
  hub_rows *prep;
  hub_status st = hub_tx_query(tx, &prepare_sql, (const char *[]){c->request_id}, &prep);
  if (!hub_ok(st)) return st;
  if (hub_rows_text(prep, 0, "_existing")) { /* the same request again: its run */
    c->id = hub_rows_text(prep, 0, "_existing");
    c->rd.params[0] = c->id, c->rd.params[3] = "1";
    return read_runs(tx, &c->rd);
  }
  c->id = hub_rows_text(prep, 0, "_id");
  const char *gain_code = hub_rows_text(prep, 0, "_gain"), *loss_code = hub_rows_text(prep, 0, "_loss");
  hub_rows *items;
  st = hub_tx_query(tx, &items_sql, (const char *[]){c->date}, &items);
  if (!hub_ok(st)) return st;

  int n = hub_rows_count(items);
  agg_line *lines = hub_arena_alloc(a, (size_t)(4 * n + 1) * sizeof *lines);
  size_t nl = 0;
  int64_t net = 0;
  int moved = 0;
  json_t *arr = json_array();
  for (int i = 0; i < n; i++) {
    const char *cur = hub_rows_text(items, i, "_currency");
    if (!hub_rows_text(items, i, "_rate")) {
      json_decref(arr);
      return hub_status_new(a, HUB_FAILED_PRECONDITION, "date: no %s to %s rate on or before %s", cur,
                            hub_rows_text(prep, 0, "_base"), c->date);
    }
    int64_t before = hub_rows_int(items, i, "_before"), after = hub_rows_int(items, i, "_after");
    if (before == after) continue;
    int64_t sign = hub_rows_int(items, i, "_sign"), diff = after - before, gain = sign * diff;
    const char *control = hub_rows_text(items, i, "_control");
    /* The control account's carrying value grows on its own side; a gain is credited, a loss debited. */
    add(lines, &nl, control, cur, sign * diff > 0 ? HUB__ACCOUNTING__V1__SIDE__SIDE_DEBIT : HUB__ACCOUNTING__V1__SIDE__SIDE_CREDIT,
        diff > 0 ? diff : -diff);
    if (gain > 0) add(lines, &nl, gain_code, cur, HUB__ACCOUNTING__V1__SIDE__SIDE_CREDIT, gain);
    else add(lines, &nl, loss_code, cur, HUB__ACCOUNTING__V1__SIDE__SIDE_DEBIT, -gain);
    net += gain;
    json_t *o = json_object();
    json_object_set_new(o, "n", json_integer(moved++));
    json_object_set_new(o, "src", json_string(hub_rows_text(items, i, "_src")));
    json_object_set_new(o, "id", json_string(hub_rows_text(items, i, "_id")));
    json_object_set_new(o, "currency", json_string(cur));
    json_object_set_new(o, "open", json_integer(hub_rows_int(items, i, "_open")));
    json_object_set_new(o, "rate", json_string(hub_rows_text(items, i, "_rate")));
    json_object_set_new(o, "before", json_integer(before));
    json_object_set_new(o, "after", json_integer(after));
    json_object_set_new(o, "gain", json_integer(gain));
    json_array_append_new(arr, o);
  }
  char *text = json_dumps(arr, JSON_COMPACT);
  json_decref(arr);
  const char *items_json = hub_arena_strdup(a, text ? text : "[]");
  free(text);

  if (moved) {
    Hub__Accounting__V1__EntryInput in = HUB__ACCOUNTING__V1__ENTRY_INPUT__INIT;
    in.date = (char *)c->date;
    in.description = hub_arena_sprintf(a, "Revaluation of open foreign-currency items at %s", c->date);
    in.reference = "";
    in.adjusting = true;
    in.n_lines = nl;
    in.lines = hub_arena_alloc(a, nl * sizeof *in.lines);
    for (size_t k = 0; k < nl; k++) {
      Line *l = hub_arena_alloc(a, sizeof *l);
      hub__accounting__v1__line__init(l);
      l->account_code = (char *)lines[k].code, l->side = lines[k].side, l->currency_code = (char *)lines[k].currency;
      l->base_amount_minor = lines[k].base;
      in.lines[k] = l;
    }
    hub_rows *post;
    st = hub_tx_query(tx, &accounting_post_sql,
                      (const char *[]){accounting_sourced_json(a, &in, "revaluation", "accounting.revaluation", c->id), "false"}, &post);
    if (!hub_ok(st)) return st;
    if (hub_rows_count(post) != 1) return hub_status_new(a, HUB_INTERNAL, "accounting: no posting result");
    if (!strcmp(hub_rows_text(post, 0, "outcome"), "refused")) return accounting_refusal(a, post, 0, post_fields);
    c->entry_id = hub_rows_text(post, 0, "id");
  }
  const hub_principal *p = hub_principal_of(c->call);
  hub_rows *w;
  st = hub_tx_query(tx, &write_sql,
                    (const char *[]){c->id, c->date, c->entry_id, hub_arena_sprintf(a, "%lld", (long long)net), c->request_id,
                                     *p->user_id ? p->user_id : NULL, items_json},
                    &w);
  if (!hub_ok(st)) return st;
  if (hub_rows_int(w, 0, "_moved") != moved || hub_rows_int(w, 0, "_items") != moved)
    return hub_status_new(a, HUB_ABORTED, "an item changed while it was revalued; retry");
  accounting_record(tx, c->call, "accounting.revaluation_posted", c->id,
                    (const char *[]){"date", c->date, "entry_id", c->entry_id, "net_gain",
                                     hub_arena_sprintf(a, "%lld", (long long)net), NULL});
  c->rd.params[0] = c->id, c->rd.params[3] = "1";
  return read_runs(tx, &c->rd);
}

hub_status hub_accounting_v1_accounting_revalue_open_items(hub_call *call,
                                                            const Hub__Accounting__V1__RevalueOpenItemsRequest *request,
                                                            Hub__Accounting__V1__Revaluation *response) {
  hub_arena *a = hub_call_arena(call);
  revalue_ctx c = {.call = call, .date = request->date, .request_id = hub_sql_opt(request->request_id)};
  hub_status st = hub_call_tx(call, revalue_fn, &c);
  if (st.code == HUB_ALREADY_EXISTS && c.request_id) /* a concurrent twin of the same request_id */
    return hub_status_new(a, HUB_ABORTED, "a request with this request_id is in flight; retry");
  if (!hub_ok(st)) return st;
  if (hub_rows_count(c.rd.runs) != 1) return hub_status_new(a, HUB_INTERNAL, "accounting: the revaluation was not read back");
  *response = *decode_run(a, &c.rd, 0);
  return HUB_STATUS_OK;
}

/* ---- ListRevaluations ---- */

static hub_status list_fn(hub_tx *tx, void *ud) { return read_runs(tx, ud); }

hub_status hub_accounting_v1_accounting_list_revaluations(hub_call *call,
                                                           const Hub__Accounting__V1__ListRevaluationsRequest *request,
                                                           Hub__Accounting__V1__ListRevaluationsResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *after_id = NULL, *after_date = NULL; /* the last run of the previous page */
  if (*request->page_token &&
      (!hub_page_token_parse(a, request->page_token, &after_id, &after_date) || !hub_uuid_normalize(after_id)))
    return hub_status_invalid(a, "page_token", "not a token from this list");
  read_ctx c = {.params = {NULL, after_date, after_id, hub_arena_sprintf(a, "%d", limit)}};
  st = hub_call_tx(call, list_fn, &c);
  if (!hub_ok(st)) return st;
  int n = hub_rows_count(c.runs), shown = n > limit ? limit : n;
  response->revaluations = hub_arena_alloc(a, (size_t)(shown ? shown : 1) * sizeof *response->revaluations);
  for (int i = 0; i < shown; i++) response->revaluations[response->n_revaluations++] = decode_run(a, &c, i);
  char *next = NULL;
  if (n > limit) {
    const Revaluation *last = response->revaluations[limit - 1];
    next = hub_page_token(a, last->id, last->date);
  }
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}
