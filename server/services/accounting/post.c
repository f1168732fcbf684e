/* The one way into the journal from C: entries become the JSON accounting_post takes (migration
 * 0010), and its answer rows become results or a status naming the refused field. The database
 * function does every check that needs data (accounts, periods, rates, balance rules,
 * assertions, idempotency) inside the caller's transaction, so PostEntry, PostEntries,
 * ReverseEntry and api.h (Billing, HRMS) all post under the same rules. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/accounting/accounting.h"

const hub_pg_stmt accounting_post_sql = {
    "accounting_post",
    "SELECT i AS index, id, seq, outcome, code, field, message FROM accounting_post_checked($1::jsonb, $2::boolean)", 2};

hub_status accounting_post_json(hub_tx *tx, const char *entries_json, bool each, hub_rows **out) {
  const char *p[] = {entries_json, each ? "true" : "false"};
  return hub_tx_query(tx, &accounting_post_sql, p, out);
}

static const char *map_field(hub_arena *a, const char *field, const accounting_field_map *map) {
  const char *close = field && map && !strncmp(field, "entries[", 8) ? strchr(field, ']') : NULL;
  if (!close) return field;
  const char *rest = close + 1;
  for (; map->from; map++) {
    size_t n = strlen(map->from);
    if (!strncmp(rest, map->from, n)) return map->keep_rest ? hub_arena_sprintf(a, "%s%s", map->to, rest + n) : map->to;
  }
  return field;
}

hub_status accounting_refusal(hub_arena *a, const hub_rows *r, int row, const accounting_field_map *map) {
  hub_code code = HUB_INTERNAL;
  if (!hub_code_parse(hub_rows_text(r, row, "code"), &code)) code = HUB_INTERNAL;
  const char *field = map_field(a, hub_rows_text(r, row, "field"), map);
  const char *msg = hub_rows_text(r, row, "message");
  if (code == HUB_INVALID_ARGUMENT && field) return hub_status_invalid(a, field, "%s", msg ? msg : "refused");
  return hub_status_new(a, code, "%s: %s", field ? field : "entry", msg ? msg : "refused");
}

/* Only what an entry says goes into its JSON: accounting_post reads a missing key as empty,
 * zero or false, and a batch's JSON is parsed by PostgreSQL before anything else (half of it
 * was empty keys). The entry's body hash (its idempotency check) is over this text. */
static void set_text(json_t *o, const char *key, const char *s) {
  if (s && *s) json_object_set_new(o, key, json_string(s));
}

static const char *side_text(Hub__Accounting__V1__Side s) { return s == HUB__ACCOUNTING__V1__SIDE__SIDE_DEBIT ? "debit" : "credit"; }

static json_t *line_json(const Hub__Accounting__V1__Line *l) {
  json_t *o = json_object();
  set_text(o, "account_id", l->account_id);
  set_text(o, "account_code", l->account_code);
  json_object_set_new(o, "side", json_string(side_text(l->side)));
  json_object_set_new(o, "amount", json_integer(l->amount_minor));
  json_object_set_new(o, "currency", json_string(l->currency_code));
  if (l->base_amount_minor) json_object_set_new(o, "base_amount", json_integer(l->base_amount_minor));
  set_text(o, "description", l->description);
  set_text(o, "brand", l->brand);
  set_text(o, "department", l->department);
  set_text(o, "project", l->project);
  return o;
}

static json_t *entry_object(const Hub__Accounting__V1__EntryInput *e, size_t index) {
  json_t *o = json_object(), *lines = json_array();
  json_object_set_new(o, "i", json_integer((json_int_t)index));
  set_text(o, "id", e->id);
  json_object_set_new(o, "date", json_string(e->date));
  set_text(o, "description", e->description);
  set_text(o, "reference", e->reference);
  if (e->pending) json_object_set_new(o, "pending", json_true());
  if (e->adjusting) json_object_set_new(o, "adjusting", json_true());
  if (e->expire_time) json_object_set_new(o, "expires_epoch", json_integer(e->expire_time->seconds));
  for (size_t j = 0; j < e->n_lines; j++) json_array_append_new(lines, line_json(e->lines[j]));
  json_object_set_new(o, "lines", lines);
  return o;
}

/* The JSON text grows in one buffer, entry by entry, each entry's objects freed as soon as it
 * is written: a batch of 8,000 entries built as one tree of 200,000 objects spent more time in
 * the allocator freeing it than in writing it. */
typedef struct text_buf {
  char *p;
  size_t len, cap;
} text_buf;

static int append(const char *s, size_t n, void *ud) {
  text_buf *b = ud;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (b->len + n + 1 > cap) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) abort(); /* as the arena does: out of memory is not a state a call answers from */
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
  return 0;
}

static void add_entry(text_buf *b, json_t *o) {
  append(b->len ? "," : "[", 1, b);
  json_dump_callback(o, append, b, JSON_COMPACT);
  json_decref(o);
}

static char *finish(hub_arena *a, text_buf *b) {
  append(b->len ? "]" : "[]", b->len ? 1 : 2, b);
  hub_arena_on_free(a, free, b->p);
  return b->p;
}

char *accounting_entries_json(hub_arena *a, Hub__Accounting__V1__EntryInput *const *entries, size_t n, size_t first) {
  text_buf b = {0};
  for (size_t k = 0; k < n; k++) add_entry(&b, entry_object(entries[k], first + k));
  return finish(a, &b);
}

char *accounting_sourced_json(hub_arena *a, const Hub__Accounting__V1__EntryInput *e, const char *kind, const char *source,
                              const char *source_id) {
  json_t *o = entry_object(e, 0);
  json_object_set_new(o, "kind", json_string(kind));
  json_object_set_new(o, "source", json_string(source));
  json_object_set_new(o, "source_id", json_string(source_id));
  text_buf b = {0};
  add_entry(&b, o);
  return finish(a, &b);
}

char *accounting_document_json(hub_arena *a, const Hub__Accounting__V1__EntryInput *e, const char *source,
                               const char *source_id) {
  return accounting_sourced_json(a, e, "document", source, source_id);
}
