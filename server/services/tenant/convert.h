/* Conversions between what PostgreSQL returns (text results) and the messages of the Tenant
 * service: timestamps as epoch microseconds. text[] literals are db/array.h's, page sizes and
 * tokens services/api/paging.h's. */
#ifndef HUB_TENANT_CONVERT_H
#define HUB_TENANT_CONVERT_H

#include <stdbool.h>
#include <stddef.h>

#include "google/protobuf/timestamp.pb-c.h"
#include "db/array.h"
#include "hub/arena.h"
#include "services/api/paging.h"

/* A Timestamp from decimal epoch microseconds (as selected with tn_sql_micros). */
Google__Protobuf__Timestamp *tn_timestamp(hub_arena *a, const char *micros);


#endif
