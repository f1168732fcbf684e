/* How a payment is spread over open invoices, and how open amounts fall into aging buckets.
 * Pure: the caller loads the open items (locked, in its transaction) and writes the result.
 * Dates are day numbers (days since 1970-01-01) so nothing here knows about time zones.
 * Invariants both allocation modes keep: no invoice gets more than it still owes, the
 * allocations never add up to more than the payment, and no allocation is negative. */
#ifndef HUB_SERVICES_ACCOUNTING_ALLOCATION_H
#define HUB_SERVICES_ACCOUNTING_ALLOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct accounting_open_item {
  int64_t open;     /* still owed, minor units, >= 0 */
  int32_t due_day;  /* day number of the due date */
  int64_t seq;      /* tie-break among equal due dates (e.g. the document number), ascending */
} accounting_open_item;

typedef struct accounting_alloc_error {
  int item; /* index of the offending allocation, or -1 for the payment as a whole */
  char message[160];
} accounting_alloc_error;

/* Explicit allocations: requested[i] goes to items[i]. Refused when a requested amount is
 * negative or above the item's open amount, or when they add up to more than the payment.
 * On success out[i] = requested[i] and *unallocated = payment - sum. */
bool accounting_allocate_explicit(int64_t payment, const accounting_open_item *items, const int64_t *requested,
                                  size_t n, int64_t *out, int64_t *unallocated, accounting_alloc_error *err);

/* Oldest due first (then lowest seq, then input order): each item is paid in full while the
 * payment lasts, the last one touched partly. out[i] is in the input's order. */
bool accounting_allocate_oldest(int64_t payment, const accounting_open_item *items, size_t n, int64_t *out,
                                int64_t *unallocated, accounting_alloc_error *err);

/* ---- aging ---- */

#define ACCOUNTING_AGING_BOUNDS_MAX 8

/* Upper bounds, in days past due, of the buckets after "current": {30, 60, 90} gives
 * current (not yet due or due today), 1-30, 31-60, 61-90 and 90+ (n_bounds + 2 buckets). */
typedef struct accounting_aging_bounds {
  int32_t upper[ACCOUNTING_AGING_BOUNDS_MAX];
  size_t n;
} accounting_aging_bounds;

/* The usual 30/60/90. */
void accounting_aging_default(accounting_aging_bounds *b);

/* Bounds must be 1..ACCOUNTING_AGING_BOUNDS_MAX strictly ascending positive day counts. */
bool accounting_aging_valid(const accounting_aging_bounds *b);

/* Bucket index 0..n+1 for an item due on due_day seen on as_of_day. */
size_t accounting_aging_bucket(const accounting_aging_bounds *b, int32_t due_day, int32_t as_of_day);

#endif
