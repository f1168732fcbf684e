/* After a change to someone's membership, role, brands, permissions, or to a tenant's
 * entitlements or existence, their live sessions must rebuild their access snapshot on the
 * next call. This forgets the snapshots (after the change has committed). */
#ifndef HUB_TENANT_REFRESH_H
#define HUB_TENANT_REFRESH_H

#include <stddef.h>

#include "runtime/call.h"

/* Clears the snapshots of `users` acting in `tenant_id`. Best effort after the commit: a
 * failure is logged (the change stands; sessions pick it up when their snapshot is rebuilt
 * for another reason or they end) and retried once. */
void tenant_refresh_access(hub_call *call, const char *tenant_id, char *const *users, size_t n);

#endif
