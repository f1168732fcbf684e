/* The one UUID parser of SMB Hub. A UUID is 8-4-4-4-12 hex digits; callers may send it in
 * either case, and what we store, compare and put in cache keys is always lower case. So
 * the parser never answers "valid" alone: it hands back the lower-case form, and a caller
 * cannot keep the caller's spelling by mistake. Request fields declared with the `uuid` rule
 * are normalized in place before the handler runs (hub/validate.h); the functions here are
 * for ids that arrive any other way (metadata, page tokens, stored text). */
#ifndef HUB_UUID_H
#define HUB_UUID_H

#include <stdbool.h>

#include "hub/arena.h"

/* Lower-cases `s` in place when it is a UUID in either case and returns true; returns false
 * (leaving `s` alone) when it is not one. NULL is not a UUID. */
bool hub_uuid_normalize(char *s);

/* The lower-case form of `s` when it is a UUID in either case (`s` itself when already lower
 * case, else a copy in `a`), or NULL when it is not one. */
const char *hub_uuid_lower(hub_arena *a, const char *s);

#endif
