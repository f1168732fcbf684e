/* The one status type of SMB Hub: a canonical gRPC code, a message fit to show a caller,
 * and, for INVALID_ARGUMENT, the offending fields. Every store, domain and handler function
 * returns one; the runtime turns it into grpc-status + google.rpc.Status details, and the
 * client library turns a received status back into one. Strings live in an arena (or are
 * static), so a hub_status is passed by value and never freed. */
#ifndef HUB_STATUS_H
#define HUB_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "hub/arena.h"

/* Values equal grpc_status_code, so conversion is a cast. */
typedef enum hub_code {
  HUB_OK = 0,
  HUB_CANCELLED = 1,
  HUB_UNKNOWN = 2,
  HUB_INVALID_ARGUMENT = 3,
  HUB_DEADLINE_EXCEEDED = 4,
  HUB_NOT_FOUND = 5,
  HUB_ALREADY_EXISTS = 6,
  HUB_PERMISSION_DENIED = 7,
  HUB_RESOURCE_EXHAUSTED = 8,
  HUB_FAILED_PRECONDITION = 9,
  HUB_ABORTED = 10,
  HUB_OUT_OF_RANGE = 11,
  HUB_UNIMPLEMENTED = 12,
  HUB_INTERNAL = 13,
  HUB_UNAVAILABLE = 14,
  HUB_DATA_LOSS = 15,
  HUB_UNAUTHENTICATED = 16,
} hub_code;

#define HUB_CODE_COUNT 17

/* One bad field of a request (google.rpc.BadRequest.FieldViolation). */
typedef struct hub_violation {
  const char *field;        /* path in the request, e.g. "ticket.subject" */
  const char *description;  /* what is wrong with it */
  struct hub_violation *next;
} hub_violation;

typedef struct hub_status {
  hub_code code;
  const char *message;       /* NULL for OK */
  hub_violation *violations; /* INVALID_ARGUMENT only; NULL otherwise */
} hub_status;

#define HUB_STATUS_OK ((hub_status){HUB_OK, NULL, NULL})

static inline bool hub_ok(hub_status s) { return s.code == HUB_OK; }

/* "INVALID_ARGUMENT" etc.; "UNKNOWN" for out-of-range values. */
const char *hub_code_name(hub_code code);

/* Parses a canonical name ("NOT_FOUND") or a decimal code. Returns false if neither. */
bool hub_code_parse(const char *text, hub_code *out);

/* A status whose message is fixed text (a literal, or other static text such as a table
 * entry), used as is: never a format. */
static inline hub_status hub_status_fixed(hub_code code, const char *message) {
  return (hub_status){code, message, NULL};
}

/* A status with a printf-formatted message allocated in `arena` (which must not be NULL:
 * fixed text goes through hub_status_fixed, so no format string ever reaches a caller). */
hub_status hub_status_new(hub_arena *arena, hub_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* INVALID_ARGUMENT naming the offending field; the message reads "<field>: <description>". */
hub_status hub_status_invalid(hub_arena *arena, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends a further violation to an INVALID_ARGUMENT status (for validators that report
 * every bad field at once). Turns an OK status into INVALID_ARGUMENT. */
void hub_status_add_violation(hub_arena *arena, hub_status *st, const char *field,
                              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A NOT_FOUND from a lookup, said of the request field that named the object: "no such
 * ticket" becomes "ticket_id: no such ticket". One rule for every RPC: an id field that
 * names nothing in the caller's tenant (another tenant's object included) is NOT_FOUND with
 * the field named. Other statuses, and one already naming a field, pass unchanged. */
hub_status hub_status_at_field(hub_arena *arena, hub_status st, const char *field);

/* What may leave the process in one status. Messages quote request values, and a caller's
 * metadata limit (8 KiB by default in most gRPC clients) must never hide the real error, so
 * every status is bounded on its way out (hub_status_bounded) and values are quoted through
 * hub_status_quote. */
#define HUB_STATUS_MESSAGE_MAX 256     /* bytes of grpc-message / a violation description */
#define HUB_STATUS_FIELD_MAX 128       /* bytes of a violation's field path */
#define HUB_STATUS_VIOLATIONS_MAX 16   /* violations sent; the rest are counted in the message */
#define HUB_STATUS_VIOLATION_BYTES 2048 /* field and description bytes of all violations sent */
#define HUB_STATUS_QUOTE_MAX 64        /* characters of a request value quoted in a message */

/* `st` cut to the limits above, in `arena`: texts clipped at a UTF-8 character boundary
 * with "…", invalid UTF-8 and control characters replaced by '?', at most
 * HUB_STATUS_VIOLATIONS_MAX violations in HUB_STATUS_VIOLATION_BYTES (so the trailers stay
 * under 4 KiB). A status already within them is returned as is. */
hub_status hub_status_bounded(hub_arena *arena, hub_status st);

/* `value` fit to quote in a message: at most HUB_STATUS_QUOTE_MAX characters (then "…"),
 * with invalid UTF-8 and control characters replaced by '?'. NULL reads as "". */
const char *hub_status_quote(hub_arena *arena, const char *value);

#endif
