/* Idempotent creation: a client-chosen request id reserves, in Redis for 24 hours, the id of
 * the object its first attempt creates, so every repeat (sequential or concurrent) works on
 * the same id. The store then inserts with ON CONFLICT (id) DO NOTHING: whichever attempt
 * commits first creates the object, the others wait for it and return it. */
#ifndef HUB_TENANT_IDEMPOTENCY_H
#define HUB_TENANT_IDEMPOTENCY_H

#include "cache/redis.h"

#define TENANT_IDEMPOTENCY_TTL_S 86400

/* Reserves `fresh_id` for (user, op, request_id) unless an earlier attempt reserved one;
 * `out` (37 bytes) receives the id to use. UNAVAILABLE when Redis is down. */
hub_status tenant_idempotency_reserve(hub_redis *r, hub_arena *a, const char *user_id, const char *op,
                                      const char *request_id, const char *fresh_id, char *out);

#endif
