/* The interceptor that runs before every handler: enforces the access the RPC declares in
 * the contract. Public RPCs pass; RPCs that declare a permission need an authenticated
 * caller whose role grants it. */
#ifndef HUB_MIDDLEWARE_ACCESS_H
#define HUB_MIDDLEWARE_ACCESS_H

#include "runtime/call.h"

hub_status hub_access_check(hub_call *call, void *ud);

#endif
