/* PostgreSQL text[] literals, both ways, for passing lists as one parameter ("{a,b}") and
 * reading array columns back: one implementation that quotes and escapes every element
 * and follows PostgreSQL's output rules when parsing (bare or double-quoted elements with
 * backslash escapes). */
#ifndef HUB_DB_ARRAY_H
#define HUB_DB_ARRAY_H

#include <stddef.h>

#include "hub/arena.h"

/* {"a","b"} with " and \ escaped; "{}" for none. */
char *hub_pg_array_literal(hub_arena *a, char *const *items, size_t n);
/* The elements of a text[] value as PostgreSQL prints it; 0 (and *out NULL) for "{}". */
size_t hub_pg_array_parse(hub_arena *a, const char *literal, char ***out);

#endif
