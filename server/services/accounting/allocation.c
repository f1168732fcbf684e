/* Payment allocation and aging buckets (see allocation.h for the invariants). */
#include "services/accounting/allocation.h"

#include <stdio.h>
#include <stdlib.h>

static bool fail(accounting_alloc_error *err, int item, const char *msg) {
  if (err) {
    err->item = item;
    if (item >= 0)
      snprintf(err->message, sizeof err->message, "allocations[%d].amount: %s", item, msg);
    else
      snprintf(err->message, sizeof err->message, "amount: %s", msg);
  }
  return false;
}

bool accounting_allocate_explicit(int64_t payment, const accounting_open_item *items, const int64_t *requested,
                                  size_t n, int64_t *out, int64_t *unallocated, accounting_alloc_error *err) {
  if (payment <= 0) return fail(err, -1, "the payment must be greater than zero");
  __int128 sum = 0;
  for (size_t i = 0; i < n; i++) {
    if (requested[i] <= 0) return fail(err, (int)i, "must be greater than zero");
    if (requested[i] > items[i].open) return fail(err, (int)i, "is more than the invoice still owes");
    sum += requested[i];
    if (sum > payment) return fail(err, (int)i, "the allocations add up to more than the payment");
  }
  for (size_t i = 0; i < n; i++) out[i] = requested[i];
  *unallocated = payment - (int64_t)sum;
  return true;
}

typedef struct {
  const accounting_open_item *it;
  size_t idx;
} order_ref;

static int by_due(const void *a, const void *b) {
  const order_ref *x = a, *y = b;
  if (x->it->due_day != y->it->due_day) return x->it->due_day < y->it->due_day ? -1 : 1;
  if (x->it->seq != y->it->seq) return x->it->seq < y->it->seq ? -1 : 1;
  return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

bool accounting_allocate_oldest(int64_t payment, const accounting_open_item *items, size_t n, int64_t *out,
                                int64_t *unallocated, accounting_alloc_error *err) {
  if (payment <= 0) return fail(err, -1, "the payment must be greater than zero");
  for (size_t i = 0; i < n; i++) {
    if (items[i].open < 0) return fail(err, (int)i, "an open amount is negative");
    out[i] = 0;
  }
  order_ref *ord = n ? malloc(n * sizeof *ord) : NULL;
  if (n && !ord) return fail(err, -1, "out of memory");
  for (size_t i = 0; i < n; i++) ord[i] = (order_ref){&items[i], i};
  if (n) qsort(ord, n, sizeof *ord, by_due); /* qsort(NULL, 0, ...) is undefined */
  int64_t left = payment;
  for (size_t k = 0; k < n && left > 0; k++) {
    const int64_t take = ord[k].it->open < left ? ord[k].it->open : left;
    out[ord[k].idx] = take;
    left -= take;
  }
  free(ord);
  *unallocated = left;
  return true;
}

void accounting_aging_default(accounting_aging_bounds *b) {
  *b = (accounting_aging_bounds){.upper = {30, 60, 90}, .n = 3};
}

bool accounting_aging_valid(const accounting_aging_bounds *b) {
  if (b->n < 1 || b->n > ACCOUNTING_AGING_BOUNDS_MAX) return false;
  for (size_t i = 0; i < b->n; i++)
    if (b->upper[i] <= 0 || (i && b->upper[i] <= b->upper[i - 1])) return false;
  return true;
}

size_t accounting_aging_bucket(const accounting_aging_bounds *b, int32_t due_day, int32_t as_of_day) {
  const int64_t past = (int64_t)as_of_day - due_day;
  if (past <= 0) return 0;
  for (size_t i = 0; i < b->n; i++)
    if (past <= b->upper[i]) return i + 1;
  return b->n + 1;
}
