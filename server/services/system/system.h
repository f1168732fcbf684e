/* Internals of the System service (what this hubd is). Its one group of RPCs, GetInfo, and the
 * lifecycle that records the process facts it reports live in info.c, with their SQL. */
#ifndef HUB_SERVICES_SYSTEM_H
#define HUB_SERVICES_SYSTEM_H

#include "db/call.h"
#include "hub/clock.h"
#include "hub/system/v1/system.hub-server.h"
#include "services/context.h"

#endif
