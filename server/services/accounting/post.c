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

static json_t *str_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }

static const char *side_text(Hub__Accounting__V1__Side s) { return s == HUB__ACCOUNTING__V1__SIDE__SIDE_DEBIT ? "debit" : "credit"; }

static json_t *line_json(const Hub__Accounting__V1__Line *l) {
  json_t *o = json_object();
  json_object_set_new(o, "account_id", str_or_null(l->account_id));
  json_object_set_new(o, "account_code", str_or_null(l->account_code));
  json_object_set_new(o, "side", json_string(side_text(l->side)));
  json_object_set_new(o, "amount", json_integer(l->amount_minor));
  json_object_set_new(o, "currency", json_string(l->currency_code));
  json_object_set_new(o, "base_amount", l->base_amount_minor ? json_integer(l->base_amount_minor) : json_null());
  json_object_set_new(o, "description", json_string(l->description));
  json_object_set_new(o, "brand", json_string(l->brand));
  json_object_set_new(o, "department", json_string(l->department));
  json_object_set_new(o, "project", json_string(l->project));
  return o;
}

static json_t *entry_object(const Hub__Accounting__V1__EntryInput *e, size_t index) {
  json_t *o = json_object(), *lines = json_array();
  json_object_set_new(o, "i", json_integer((json_int_t)index));
  json_object_set_new(o, "id", str_or_null(e->id));
  json_object_set_new(o, "date", json_string(e->date));
  json_object_set_new(o, "description", json_string(e->description));
  json_object_set_new(o, "reference", json_string(e->reference));
  json_object_set_new(o, "pending", json_boolean(e->pending));
  json_object_set_new(o, "adjusting", json_boolean(e->adjusting));
  if (e->expire_time) json_object_set_new(o, "expires_epoch", json_integer(e->expire_time->seconds));
  for (size_t j = 0; j < e->n_lines; j++) json_array_append_new(lines, line_json(e->lines[j]));
  json_object_set_new(o, "lines", lines);
  return o;
}

static char *dump(hub_arena *a, json_t *arr) {
  char *text = json_dumps(arr, JSON_COMPACT);
  json_decref(arr);
  char *out = hub_arena_strdup(a, text ? text : "[]");
  free(text);
  return out;
}

char *accounting_entries_json(hub_arena *a, Hub__Accounting__V1__EntryInput *const *entries, size_t n, size_t first) {
  json_t *arr = json_array();
  for (size_t k = 0; k < n; k++) json_array_append_new(arr, entry_object(entries[k], first + k));
  return dump(a, arr);
}

char *accounting_sourced_json(hub_arena *a, const Hub__Accounting__V1__EntryInput *e, const char *kind, const char *source,
                              const char *source_id) {
  json_t *o = entry_object(e, 0), *arr = json_array();
  json_object_set_new(o, "kind", json_string(kind));
  json_object_set_new(o, "source", json_string(source));
  json_object_set_new(o, "source_id", json_string(source_id));
  json_array_append_new(arr, o);
  return dump(a, arr);
}

char *accounting_document_json(hub_arena *a, const Hub__Accounting__V1__EntryInput *e, const char *source,
                               const char *source_id) {
  return accounting_sourced_json(a, e, "document", source, source_id);
}
