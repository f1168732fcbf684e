/* Conversions between what PostgreSQL returns (text results) and the messages of the Tenant
 * service: text[] literals, timestamps as epoch microseconds, and opaque page tokens. */
#ifndef HUB_TENANT_CONVERT_H
#define HUB_TENANT_CONVERT_H

#include <stdbool.h>
#include <stddef.h>

#include "google/protobuf/timestamp.pb-c.h"
#include "hub/arena.h"

/* A text[] literal ({"a","b"}) of the items, every element quoted and escaped. */
char *tn_pg_array(hub_arena *a, char *const *items, size_t n);
/* Parses a text[] result literal into arena strings; returns the count (0 for "{}" or NULL). */
size_t tn_pg_array_parse(hub_arena *a, const char *lit, char ***out);

/* A Timestamp from decimal epoch microseconds (as selected with tn_sql_micros). */
Google__Protobuf__Timestamp *tn_timestamp(hub_arena *a, const char *micros);

/* Page tokens: "v1:<key>:<rest>" as unpadded base64url, opaque to clients. `key` holds no
 * ':'; `rest` may hold anything. */
char *tn_page_token(hub_arena *a, const char *key, const char *rest);
/* False when the token was not made by tn_page_token. */
bool tn_page_token_parse(hub_arena *a, const char *token, char **key, char **rest);

#endif
