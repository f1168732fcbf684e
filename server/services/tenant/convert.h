/* Conversions between what PostgreSQL returns (text results) and the messages of the Tenant
 * service: timestamps as epoch microseconds. text[] literals are db/array.h's, page sizes and
 * tokens aip/paging.h's. */
#ifndef HUB_TENANT_CONVERT_H
#define HUB_TENANT_CONVERT_H

#include <stdbool.h>
#include <stddef.h>

#include "aip/paging.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "db/array.h"
#include "hub/arena.h"

/* A Timestamp from decimal epoch microseconds (as selected with tenant_sql_micros). */
Google__Protobuf__Timestamp *tenant_timestamp(hub_arena *a, const char *micros);


#endif
