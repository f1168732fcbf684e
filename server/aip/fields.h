/* Field rules every service shares, so one value is judged the same way by every RPC that
 * takes it: free text, https URLs and update masks (AIP-134). Pure functions, no I/O. */
#ifndef HUB_AIP_FIELDS_H
#define HUB_AIP_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "google/protobuf/field_mask.pb-c.h"
#include "hub/arena.h"
#include "hub/status.h"

/* Free text of at most `max` bytes, valid UTF-8, without control characters (newlines and
 * tabs allowed when `multiline`). NULL counts as empty. */
bool hub_text_ok(const char *s, size_t max, bool multiline);
/* "https://<host>[...]" of at most 2048 bytes: no spaces, quotes, angle brackets or
 * backslashes, a host of letters, digits, '.', '-' and ':' (so no user:password@). */
bool hub_https_url_ok(const char *s);
/* A field mask over `allowed` (NULL-terminated, at most 32 paths): bit i set for allowed[i].
 * Empty, unknown or repeated paths are INVALID_ARGUMENT on "update_mask". */
hub_status hub_update_mask(hub_arena *a, const Google__Protobuf__FieldMask *mask, const char *const *allowed,
                           unsigned *bits);

#endif
