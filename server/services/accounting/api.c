/* api.h: an entry of another service's document, posted in that service's transaction through
 * accounting_post (post.c's statement), which opens the books on first use. */
#include "services/accounting/api.h"

#include <stdlib.h>
#include <string.h>

#include "hub/method.h"
#include "hub/validate.h"
#include "services/accounting/accounting.h"

hub_status accounting_api_validate(hub_arena *a, const char *method, ProtobufCMessage *msg) {
  const hub_method_def *m = hub_method_find(method);
  if (!m) return hub_status_new(a, HUB_INTERNAL, "accounting: no method %s", method);
  return m->rules ? hub_validate(a, m->rules, msg) : HUB_STATUS_OK;
}

static char *text_or_empty(const char *s) { return (char *)(s ? s : ""); }

/* The entry as the RPCs take it, then accounting_post's JSON with its source. */
static const char *entry_json(hub_arena *a, const hub_accounting_entry *e) {
  Hub__Accounting__V1__EntryInput in = HUB__ACCOUNTING__V1__ENTRY_INPUT__INIT;
  in.date = (char *)e->date, in.description = text_or_empty(e->description), in.reference = text_or_empty(e->reference);
  in.n_lines = e->n_lines;
  in.lines = hub_arena_alloc(a, (e->n_lines ? e->n_lines : 1) * sizeof *in.lines);
  for (size_t k = 0; k < e->n_lines; k++) {
    const hub_accounting_line *l = &e->lines[k];
    Hub__Accounting__V1__Line *x = hub_arena_alloc(a, sizeof *x);
    hub__accounting__v1__line__init(x);
    x->account_code = (char *)l->account_code;
    x->side = l->debit ? HUB__ACCOUNTING__V1__SIDE__SIDE_DEBIT : HUB__ACCOUNTING__V1__SIDE__SIDE_CREDIT;
    x->amount_minor = l->amount_minor, x->currency_code = (char *)l->currency;
    x->description = text_or_empty(l->description), x->brand = text_or_empty(l->brand);
    x->department = text_or_empty(l->department), x->project = text_or_empty(l->project);
    in.lines[k] = x;
  }
  return accounting_document_json(a, &in, e->source, e->source_id);
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
