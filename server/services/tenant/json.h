/* Small JSON documents for audit details and the outbox, built with jansson so every value
 * is escaped. Never put secrets in them. */
#ifndef HUB_TENANT_JSON_H
#define HUB_TENANT_JSON_H

#include "hub/arena.h"

/* A compact object from NULL-terminated (key, value) string pairs; a NULL value is skipped.
 * E.g. tenant_json_object(a, "role", "admin", "email", e, NULL). */
char *tenant_json_object(hub_arena *a, ...);

#endif
