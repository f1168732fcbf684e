/* See refresh.h. One Redis round trip per affected user (their sessions share a slot). */
#include "services/tenant/refresh.h"

#include "cache/session.h"
#include "hub/log.h"
#include "identity/apikey.h"
#include "services/context.h"

void tenant_refresh_access(hub_call *call, const char *tenant_id, char *const *users, size_t n) {
  hub_ctx *ctx = hub_ctx_of(call);
  hub_arena *a = hub_call_arena(call);
  /* Service accounts' API keys cache the same kind of snapshot: the tenant's generation
   * retires every one of them (one round trip, whoever changed). */
  if (tenant_id && *tenant_id) {
    hub_status st = hub_apikey_invalidate_tenant(ctx->redis, a, tenant_id);
    if (!hub_ok(st)) st = hub_apikey_invalidate_tenant(ctx->redis, a, tenant_id);
    if (!hub_ok(st)) hub_logf(HUB_LOG_ERROR, "tenant: could not retire the API key caches: %s", st.message);
  }
  for (size_t i = 0; i < n; i++) {
    hub_status st = hub_session_clear_acl(ctx->redis, a, users[i], tenant_id);
    if (!hub_ok(st)) st = hub_session_clear_acl(ctx->redis, a, users[i], tenant_id);
    if (!hub_ok(st)) {
      hub_log_line l;
      hub_log_begin(&l, HUB_LOG_ERROR, "tenant: could not clear a session access snapshot");
      hub_log_str(&l, "user", users[i]);
      hub_log_str(&l, "tenant", tenant_id);
      hub_log_str(&l, "error", st.message);
      hub_log_end(&l, HUB_LOG_ERROR);
    }
  }
}
