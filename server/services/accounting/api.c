/* api.h: an entry of another service's document, posted in that service's transaction through
 * accounting_post (post.c's statement), which opens the books on first use. */
#include "services/accounting/api.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "services/accounting/accounting.h"

static json_t *text_or_empty(const char *s) { return json_string(s ? s : ""); }

static const char *entry_json(hub_arena *a, const hub_accounting_entry *e) {
  json_t *o = json_object(), *lines = json_array();
  json_object_set_new(o, "i", json_integer(0));
  json_object_set_new(o, "source", json_string(e->source));
  json_object_set_new(o, "source_id", json_string(e->source_id));
  json_object_set_new(o, "kind", json_string("document"));
  json_object_set_new(o, "date", json_string(e->date));
  json_object_set_new(o, "description", text_or_empty(e->description));
  json_object_set_new(o, "reference", text_or_empty(e->reference));
  for (size_t k = 0; k < e->n_lines; k++) {
    const hub_accounting_line *l = &e->lines[k];
    json_t *j = json_object();
    json_object_set_new(j, "account_code", json_string(l->account_code));
    json_object_set_new(j, "side", json_string(l->debit ? "debit" : "credit"));
    json_object_set_new(j, "amount", json_integer(l->amount_minor));
    json_object_set_new(j, "currency", json_string(l->currency));
    json_object_set_new(j, "description", text_or_empty(l->description));
    json_object_set_new(j, "brand", text_or_empty(l->brand));
    json_object_set_new(j, "department", text_or_empty(l->department));
    json_object_set_new(j, "project", text_or_empty(l->project));
    json_array_append_new(lines, j);
  }
  json_object_set_new(o, "lines", lines);
  json_t *arr = json_array();
  json_array_append_new(arr, o);
  char *text = json_dumps(arr, JSON_COMPACT);
  json_decref(arr);
  const char *out = hub_arena_strdup(a, text ? text : "[]");
  free(text);
  return out;
}

void hub_accounting_post_queue(hub_tx *tx, const hub_accounting_entry *e, hub_accounting_posting *out) {
  out->books = accounting_books_queue(tx);
  out->result = hub_tx_exec(tx, &accounting_post_sql, (const char *[]){entry_json(hub_tx_arena(tx), e), "false"});
}

/* The caller's fields are the entry's own: "entries[0].lines[1].x" is "lines[1].x". */
static const accounting_field_map api_fields[] = {{".", "", true}, {NULL, NULL, false}};

hub_status hub_accounting_posted(hub_tx *tx, const hub_accounting_posting *p, const char **entry_id, bool *existed) {
  hub_arena *a = hub_tx_arena(tx);
  if (hub_rows_count(p->result) != 1) return hub_status_new(a, HUB_INTERNAL, "accounting: no posting result");
  const char *outcome = hub_rows_text(p->result, 0, "outcome");
  if (!strcmp(outcome, "refused")) return accounting_refusal(a, p->result, 0, api_fields);
  if (entry_id) *entry_id = hub_rows_text(p->result, 0, "id");
  if (existed) *existed = !strcmp(outcome, "exists");
  return HUB_STATUS_OK;
}
