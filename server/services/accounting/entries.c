/* The journal: PostEntry and PostEntries (through accounting_post, post.c), GetEntry,
 * ListEntries (keyset pages, newest date first), ReverseEntry and the two-phase
 * PostPendingEntry / VoidPendingEntry, the last four through one body (run_one). PostEntry is one
 * round trip: the entry's id is fixed here (the caller's, or a new UUID v7), so the read of what
 * was posted is queued behind the posting in the same pipeline. */
#include <stdio.h>
#include <string.h>

#include "crypto/random.h"
#include "hub/calendar.h"
#include "hub/clock.h"
#include "services/accounting/accounting.h"

#define ENTRY_COLUMNS                                                                                        \
  "e.id, e.entry_date::text AS date, e.description, e.reference, e.status, e.kind, e.reverses, "             \
  "(SELECT r.id FROM accounting_entries r WHERE r.tenant_id = e.tenant_id AND r.reverses = e.id) AS reversed_by, " \
  "e.source, e.source_id, e.expires_at AS expire_time, e.adjusting, e.seq, e.posted_by, e.created_at AS create_time"

#define LINE_COLUMNS                                                                                          \
  "l.account_id, a.code AS account_code, a.name AS account_name, l.side, l.amount AS amount_minor, "          \
  "l.currency AS currency_code, l.base_amount AS base_amount_minor, l.description, l.brand, l.department, l.project"

static const hub_pg_stmt entry_sql = {
    "accounting_get_entry",
    "SELECT " ENTRY_COLUMNS " FROM accounting_entries e WHERE e.tenant_id = hub_current_tenant() AND e.id = $1::uuid", 1};

static const hub_pg_stmt lines_sql = {
    "accounting_get_lines",
    "SELECT " LINE_COLUMNS " FROM accounting_lines l JOIN accounting_accounts a ON a.tenant_id = l.tenant_id AND a.id = l.account_id "
    "WHERE l.tenant_id = hub_current_tenant() AND l.entry_id = $1::uuid ORDER BY l.line_no", 1};

void accounting_entry_queue(hub_tx *tx, const char *id, accounting_entry_read *rd) {
  const char *p[] = {id};
  rd->entry = hub_tx_exec(tx, &entry_sql, p);
  rd->lines = hub_tx_exec(tx, &lines_sql, p);
}

bool accounting_entry_decode(const accounting_entry_read *rd, Hub__Accounting__V1__Entry *out) {
  if (hub_rows_count(rd->entry) == 0) return false;
  hub_rows_decode(rd->entry, 0, &out->base);
  out->n_lines = hub_rows_messages(rd->lines, &hub__accounting__v1__line__descriptor, -1, (void ***)&out->lines);
  return true;
}

/* What the contract's rules cannot say about an entry: who the lines' accounts are, how many
 * lines, and the two-phase fields. Balancing is the database's (it names the currency). */
/* What the contract's rules cannot say about an entry: the field under the entry (".lines[2]
 * .amount_minor") and why, or NULL. The caller names the entry, and only when one is wrong: a
 * batch of 8,000 good entries formats no path. */
static const char *entry_problem(const Hub__Accounting__V1__EntryInput *e, char field[48]) {
  if (e->n_lines < 2) {
    snprintf(field, 48, ".lines");
    return "at least two lines";
  }
  for (size_t j = 0; j < e->n_lines; j++) {
    const Hub__Accounting__V1__Line *l = e->lines[j];
    if (!*l->account_id == !*l->account_code) {
      snprintf(field, 48, ".lines[%zu].account_id", j);
      return "name the account by account_id or by account_code (one of them)";
    }
    if (l->amount_minor == 0 && l->base_amount_minor == 0) {
      snprintf(field, 48, ".lines[%zu].amount_minor", j);
      return "must be positive";
    }
  }
  int64_t now = hub_clock_wall_s();
  snprintf(field, 48, ".expire_time");
  if (e->pending) {
    if (!e->expire_time) return "required for a pending entry";
    if (e->expire_time->seconds <= now || e->expire_time->seconds > now + 90 * 86400) return "must be in the next 90 days";
  } else if (e->expire_time) {
    return "only a pending entry expires";
  }
  return NULL;
}

static hub_status check_entry(hub_arena *a, const Hub__Accounting__V1__EntryInput *e, const char *name, size_t index) {
  char field[48];
  const char *why = entry_problem(e, field);
  if (!why) return HUB_STATUS_OK;
  const char *at = !strcmp(name, "entries") ? hub_arena_sprintf(a, "entries[%zu]%s", index, field)
                                            : hub_arena_sprintf(a, "%s%s", name, field);
  return hub_status_invalid(a, at, "%s", why);
}

/* ---- one entry: posted, reversed, or resolved ---- */

/* A statement answering accounting_post_checked's rows for one entry (post.c), then the read of
 * that entry. When its id is known beforehand (PostEntry, the two-phase RPCs) the read is queued
 * behind it and the whole call is one round trip; a refusal applied nothing, so the read finds
 * the entry as it was (or nothing) and the answer is the refusal. Otherwise (a reversal whose id
 * the database picks) the read waits for the statement's answer. */
typedef struct one_ctx {
  const hub_pg_stmt *stmt;
  const char *const *params;
  const char *id; /* the entry's id when known before the statement runs */
  const accounting_field_map *fields;
  hub_rows *result;
  accounting_entry_read rd;
} one_ctx;

static hub_status one_fn(hub_tx *tx, void *ud) {
  one_ctx *c = ud;
  if (c->id) {
    c->result = hub_tx_exec(tx, c->stmt, c->params);
    accounting_entry_queue(tx, c->id, &c->rd);
    return HUB_STATUS_OK;
  }
  hub_status st = hub_tx_query(tx, c->stmt, c->params, &c->result);
  if (!hub_ok(st) || hub_rows_count(c->result) == 0 || !strcmp(hub_rows_text(c->result, 0, "outcome"), "refused"))
    return st;
  accounting_entry_queue(tx, hub_rows_text(c->result, 0, "id"), &c->rd);
  return HUB_STATUS_OK;
}

static hub_status run_one(hub_call *call, one_ctx *c, Hub__Accounting__V1__Entry *response) {
  hub_arena *a = hub_call_arena(call);
  hub_status st = hub_call_tx(call, one_fn, c);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(c->result) == 0) return hub_status_new(a, HUB_NOT_FOUND, "id: no such entry");
  if (!strcmp(hub_rows_text(c->result, 0, "outcome"), "refused")) return accounting_refusal(a, c->result, 0, c->fields);
  if (!accounting_entry_decode(&c->rd, response)) return hub_status_new(a, HUB_INTERNAL, "the entry was not found");
  response->existed = !strcmp(hub_rows_text(c->result, 0, "outcome"), "exists");
  return HUB_STATUS_OK;
}

/* ---- PostEntry ---- */

static const accounting_field_map entry_fields[] = {{"", "entry", true}, {NULL, NULL, false}};

hub_status hub_accounting_v1_accounting_post_entry(hub_call *call, const Hub__Accounting__V1__PostEntryRequest *request,
                                                   Hub__Accounting__V1__Entry *response) {
  hub_arena *a = hub_call_arena(call);
  Hub__Accounting__V1__EntryInput *e = request->entry;
  hub_status st = check_entry(a, e, "entry", 0);
  if (!hub_ok(st)) return st;
  /* The entry's id is fixed here, so the read of what was posted rides in the same pipeline. */
  char id[37];
  if (!*e->id) {
    if (!hub_uuid_v7(id)) return hub_status_new(a, HUB_INTERNAL, "no randomness for an entry id");
    e->id = hub_arena_strdup(a, id);
  }
  const char *p[] = {accounting_entries_json(a, &e, 1, 0), "false"};
  one_ctx c = {.stmt = &accounting_post_sql, .params = p, .id = e->id, .fields = entry_fields};
  return run_one(call, &c, response);
}

/* ---- PostEntries ---- */

/* Entries posted one by one go in chunks of this many, each chunk its own transaction: each
 * entry of a chunk is a subtransaction that moves its balance rows again, and the row versions
 * of one transaction cannot be pruned before it ends, so a long chunk on a hot account would
 * make every entry slower than the last (migration 0011). All or none is one transaction. */
enum { EACH_CHUNK = 32 };

typedef struct batch_ctx {
  const char *json;
  bool each;
  hub_rows *result;
} batch_ctx;

static hub_status batch_fn(hub_tx *tx, void *ud) {
  batch_ctx *c = ud;
  hub_status st = accounting_post_json(tx, c->json, c->each, &c->result);
  if (!hub_ok(st)) return st;
  if (!c->each && hub_rows_count(c->result) == 1 && !strcmp(hub_rows_text(c->result, 0, "outcome"), "refused"))
    return accounting_refusal(hub_tx_arena(tx), c->result, 0, NULL);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_post_entries(hub_call *call, const Hub__Accounting__V1__PostEntriesRequest *request,
                                                     Hub__Accounting__V1__PostEntriesResponse *response) {
  hub_arena *a = hub_call_arena(call);
  size_t n = request->n_entries;
  for (size_t k = 0; k < n; k++) {
    hub_status st = check_entry(a, request->entries[k], "entries", k);
    if (!hub_ok(st)) return st;
  }
  size_t chunk = request->each_on_its_own ? EACH_CHUNK : n;
  response->results = hub_arena_alloc(a, n * sizeof *response->results);
  for (size_t off = 0; off < n; off += chunk) {
    size_t m = n - off < chunk ? n - off : chunk;
    batch_ctx c = {.json = accounting_entries_json(a, request->entries + off, m, off), .each = request->each_on_its_own};
    hub_status st = hub_call_tx(call, batch_fn, &c);
    if (!hub_ok(st)) return st; /* one by one, earlier chunks stay posted: a retry with the same ids finds them */
    Hub__Accounting__V1__EntryResult **rs = NULL;
    size_t got = hub_rows_messages(c.result, &hub__accounting__v1__entry_result__descriptor, -1, (void ***)&rs);
    for (size_t k = 0; k < got && response->n_results < n; k++) response->results[response->n_results++] = rs[k];
  }
  for (size_t k = 0; k < response->n_results; k++) {
    const Hub__Accounting__V1__EntryResult *r = response->results[k];
    if ((!strcmp(r->outcome, "posted") || !strcmp(r->outcome, "pending")) && r->index >= 0 && (size_t)r->index < n) {
      response->posted++;
      response->lines += (int32_t)request->entries[r->index]->n_lines;
    }
  }
  return HUB_STATUS_OK;
}

/* ---- GetEntry ---- */

typedef struct get_ctx {
  const char *id;
  accounting_entry_read rd;
} get_ctx;

static hub_status get_fn(hub_tx *tx, void *ud) {
  get_ctx *c = ud;
  accounting_entry_queue(tx, c->id, &c->rd);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_get_entry(hub_call *call, const Hub__Accounting__V1__GetEntryRequest *request,
                                                  Hub__Accounting__V1__Entry *response) {
  hub_arena *a = hub_call_arena(call);
  get_ctx c = {.id = request->id};
  hub_status st = hub_call_tx(call, get_fn, &c);
  if (!hub_ok(st)) return st;
  if (!accounting_entry_decode(&c.rd, response)) return hub_status_new(a, HUB_NOT_FOUND, "id: no such entry");
  return HUB_STATUS_OK;
}

/* ---- ListEntries ---- */

/* The page: (date, id) below the cursor, newest first, one row more than the page to tell
 * whether another follows. Without an account, through the entries' (date, id) index; with one,
 * through the lines' (account, date, entry) index read backwards, so a page of a busy account
 * costs its own rows, not the account's whole history. */
#define PAGE_ALL_SQL                                                                                           \
  "SELECT e.* FROM accounting_entries e WHERE e.tenant_id = hub_current_tenant() "                           \
  "AND ($1::date IS NULL OR (e.entry_date, e.id) < ($1::date, $2::uuid)) "                                   \
  "AND ($4::date IS NULL OR e.entry_date >= $4::date) AND ($5::date IS NULL OR e.entry_date <= $5::date) "   \
  "ORDER BY e.entry_date DESC, e.id DESC LIMIT $3::int + 1"

#define PAGE_ACCOUNT_SQL                                                                                       \
  "SELECT e.* FROM (SELECT DISTINCT l.entry_date, l.entry_id FROM accounting_lines l "                       \
  "  WHERE l.tenant_id = hub_current_tenant() AND l.account_id = $6::uuid "                                  \
  "  AND ($1::date IS NULL OR (l.entry_date, l.entry_id) < ($1::date, $2::uuid)) "                           \
  "  AND ($4::date IS NULL OR l.entry_date >= $4::date) AND ($5::date IS NULL OR l.entry_date <= $5::date) " \
  "  ORDER BY l.entry_date DESC, l.entry_id DESC LIMIT $3::int + 1) k "                                     \
  "JOIN accounting_entries e ON e.tenant_id = hub_current_tenant() AND e.id = k.entry_id"

#define LIST_SQL(page) "SELECT " ENTRY_COLUMNS " FROM (" page ") e ORDER BY e.entry_date DESC, e.id DESC"
#define LIST_LINES_SQL(page)                                                                                   \
  "SELECT l.entry_id AS _entry, " LINE_COLUMNS " FROM (" page ") e "                                          \
  "JOIN accounting_lines l ON l.tenant_id = e.tenant_id AND l.entry_id = e.id "                               \
  "JOIN accounting_accounts a ON a.tenant_id = l.tenant_id AND a.id = l.account_id "                          \
  "ORDER BY e.entry_date DESC, e.id DESC, l.line_no"

static const hub_pg_stmt list_sql = {"accounting_list_entries", LIST_SQL(PAGE_ALL_SQL), 5};
static const hub_pg_stmt list_lines_sql = {"accounting_list_entry_lines", LIST_LINES_SQL(PAGE_ALL_SQL), 5};
static const hub_pg_stmt list_account_sql = {"accounting_list_account_entries", LIST_SQL(PAGE_ACCOUNT_SQL), 6};
static const hub_pg_stmt list_account_lines_sql = {"accounting_list_account_entry_lines", LIST_LINES_SQL(PAGE_ACCOUNT_SQL), 6};

typedef struct list_ctx {
  const char *const *params;
  bool by_account;
  hub_rows *entries, *lines;
} list_ctx;

static hub_status list_fn(hub_tx *tx, void *ud) {
  list_ctx *c = ud;
  c->entries = hub_tx_exec(tx, c->by_account ? &list_account_sql : &list_sql, c->params);
  c->lines = hub_tx_exec(tx, c->by_account ? &list_account_lines_sql : &list_lines_sql, c->params);
  return HUB_STATUS_OK;
}

hub_status hub_accounting_v1_accounting_list_entries(hub_call *call, const Hub__Accounting__V1__ListEntriesRequest *request,
                                                     Hub__Accounting__V1__ListEntriesResponse *response) {
  hub_arena *a = hub_call_arena(call);
  int limit;
  hub_status st = hub_page_size(a, request->page_size, &limit);
  if (!hub_ok(st)) return st;
  char *date = NULL, *id = NULL;
  if (*request->page_token) {
    int64_t days;
    if (!hub_page_token_parse(a, request->page_token, &date, &id) || !hub_date_parse(date, &days) ||
        !(id = (char *)hub_uuid_lower(a, id)))
      return hub_status_invalid(a, "page_token", "not a token from this list");
  }
  const char *p[] = {date, id, hub_arena_sprintf(a, "%d", limit), hub_sql_opt(request->from_date), hub_sql_opt(request->to_date),
                     hub_sql_opt(request->account_id)};
  list_ctx c = {.params = p, .by_account = *request->account_id};
  st = hub_call_tx(call, list_fn, &c);
  if (!hub_ok(st)) return st;
  response->n_entries = hub_rows_messages(c.entries, &hub__accounting__v1__entry__descriptor, limit,
                                          (void ***)&response->entries);
  /* Lines come in page order: hand each run of one entry's lines to its entry. */
  int row = 0, n = hub_rows_count(c.lines);
  for (size_t k = 0; k < response->n_entries; k++) {
    Hub__Accounting__V1__Entry *e = response->entries[k];
    int first = row;
    while (row < n && !strcmp(hub_rows_text(c.lines, row, "_entry"), e->id)) row++;
    e->n_lines = (size_t)(row - first);
    e->lines = hub_arena_alloc(a, (e->n_lines ? e->n_lines : 1) * sizeof *e->lines);
    for (int r = first; r < row; r++)
      e->lines[r - first] = (Hub__Accounting__V1__Line *)hub_rows_message(c.lines, r, &hub__accounting__v1__line__descriptor);
  }
  char *next = NULL;
  if (hub_rows_count(c.entries) > limit) {
    const Hub__Accounting__V1__Entry *last = response->entries[limit - 1];
    next = hub_page_token(a, last->date, last->id);
  }
  response->page = hub_page_info(a, next);
  return HUB_STATUS_OK;
}

/* ---- ReverseEntry ---- */

/* The mirror of the entry, built from its stored lines (sides swapped, base amounts kept), and
 * posted like any other. Its date defaults to the original's while that is open, else today.
 * Without a reversal_id an earlier reversal's id is reused: a retry finds it ("exists"). */
static const hub_pg_stmt reverse_sql = {
    "accounting_reverse_entry",
    "SELECT r.i AS index, r.id, r.seq, r.outcome, r.code, r.field, r.message FROM accounting_entries e "
    "CROSS JOIN LATERAL (SELECT coalesce($3::date, CASE WHEN e.entry_date > coalesce(b.lock_date, '-infinity') AND NOT EXISTS ("
    "    SELECT 1 FROM accounting_periods p WHERE p.tenant_id = e.tenant_id AND e.entry_date BETWEEN p.start_date AND p.end_date "
    "    AND p.state <> 'open') THEN e.entry_date ELSE current_date END) AS d "
    "  FROM (SELECT accounting_open_books() AS bk) x0, LATERAL (SELECT (x0.bk).lock_date) b) dd "
    "CROSS JOIN LATERAL accounting_post_checked(jsonb_build_array(jsonb_build_object("
    "  'i', 0, 'id', coalesce($2::uuid, (SELECT r.id FROM accounting_entries r WHERE r.tenant_id = e.tenant_id AND r.reverses = e.id), hub_uuid_v7()), "
    "  'date', dd.d, 'kind', 'reversal', 'reverses', e.id, 'reference', e.reference, "
    "  'description', coalesce($4, 'Reversal: ' || e.description), "
    "  'lines', (SELECT jsonb_agg(jsonb_build_object('account_id', l.account_id, "
    "      'side', CASE l.side WHEN 'debit' THEN 'credit' ELSE 'debit' END, 'amount', l.amount, 'currency', l.currency, "
    "      'base_amount', l.base_amount, 'description', l.description, 'brand', l.brand, 'department', l.department, "
    "      'project', l.project) ORDER BY l.line_no) FROM accounting_lines l WHERE l.tenant_id = e.tenant_id AND l.entry_id = e.id))), false) r "
    "WHERE e.tenant_id = hub_current_tenant() AND e.id = $1::uuid",
    4};

hub_status hub_accounting_v1_accounting_reverse_entry(hub_call *call, const Hub__Accounting__V1__ReverseEntryRequest *request,
                                                      Hub__Accounting__V1__Entry *response) {
  const char *p[] = {request->id, hub_sql_opt(request->reversal_id), hub_sql_opt(request->date), hub_sql_opt(request->description)};
  /* The reversal's fields are the request's: its date is `date`, and everything else about it
   * (the entry it reverses, the lines it mirrors) is the entry named by `id`. */
  static const accounting_field_map fields[] = {{".date", "date", false}, {"", "id", false}, {NULL, NULL, false}};
  one_ctx c = {.stmt = &reverse_sql, .params = p, .fields = fields};
  return run_one(call, &c, response);
}

/* ---- two-phase ---- */

static const hub_pg_stmt resolve_sql = {
    "accounting_resolve",
    "SELECT i AS index, id, seq, outcome, code, field, message FROM accounting_resolve_checked($1::uuid, $2::boolean)", 2};

hub_status hub_accounting_v1_accounting_post_pending_entry(hub_call *call, const Hub__Accounting__V1__PostPendingEntryRequest *request,
                                                           Hub__Accounting__V1__Entry *response) {
  const char *p[] = {request->id, "true"};
  one_ctx c = {.stmt = &resolve_sql, .params = p, .id = request->id};
  return run_one(call, &c, response);
}

hub_status hub_accounting_v1_accounting_void_pending_entry(hub_call *call, const Hub__Accounting__V1__VoidPendingEntryRequest *request,
                                                           Hub__Accounting__V1__Entry *response) {
  const char *p[] = {request->id, "false"};
  one_ctx c = {.stmt = &resolve_sql, .params = p, .id = request->id};
  return run_one(call, &c, response);
}
