/* Small shared pieces of the Auth service (see auth.h): the limits, the peer address, email
 * normalisation, JSON text and timestamps, and audit of account events. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/log.h"
#include "services/auth/auth.h"

/* Per IP generous (offices share addresses), per account tight; all recover by themselves. */
hub_rate_limit auth_limit_login_ip(void) {
  return (hub_rate_limit){"login.ip", hub_identity_get()->login_per_ip, 15 * 60 * 1000};
}
hub_rate_limit auth_limit_login_account(void) {
  return (hub_rate_limit){"login.account", hub_identity_get()->login_per_account, 15 * 60 * 1000};
}
const hub_rate_limit auth_limit_totp = {"totp.account", 5, 5 * 60 * 1000};
const hub_rate_limit auth_limit_reset_ip = {"reset.ip", 20, 60 * 60 * 1000};
const hub_rate_limit auth_limit_reset_account = {"reset.account", 3, 60 * 60 * 1000};
const hub_rate_limit auth_limit_signup_ip = {"signup.ip", 30, 60 * 60 * 1000};


const char *auth_peer_ip(hub_call *call) {
  const hub_principal *p = hub_principal_of(call);
  return p ? p->ip : hub_call_peer_address(call);
}

hub_status auth_limit(hub_call *call, const hub_rate_limit *limit, const char *subject) {
  hub_arena *a = hub_call_arena(call);
  int64_t retry = 0;
  hub_status st = hub_rate_limit_hit(hub_ctx_of(call)->redis, a, limit, subject, hub_clock_wall_ms(), &retry);
  if (st.code == HUB_RESOURCE_EXHAUSTED) {
    char v[24];
    int n = snprintf(v, sizeof v, "%lld", (long long)retry);
    hub_call_add_trailer(call, "retry-after-ms", v, (size_t)n);
  }
  return st;
}

char *auth_email_norm(hub_arena *a, const char *email) {
  size_t n = strlen(email);
  char *out = hub_arena_alloc(a, n + 1);
  for (size_t i = 0; i <= n; i++) out[i] = (char)tolower((unsigned char)email[i]);
  return out;
}

int auth_split(char *s, char sep, char **fields, int max) {
  int n = 0;
  while (n < max) {
    fields[n++] = s;
    char *e = strchr(s, sep);
    if (!e) return n;
    *e = '\0';
    s = e + 1;
  }
  return n + 1; /* more fields than room */
}

char *auth_json(hub_arena *a, json_t *o) {
  char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(o);
  char *out = hub_arena_strdup(a, text ? text : "{}");
  free(text);
  return out;
}

Google__Protobuf__Timestamp *auth_timestamp(hub_arena *a, int64_t seconds) {
  Google__Protobuf__Timestamp *ts = hub_arena_alloc(a, sizeof *ts);
  google__protobuf__timestamp__init(ts);
  ts->seconds = seconds;
  return ts;
}

typedef struct audit_ctx {
  const char *user_id, *action, *ip, *detail;
} audit_ctx;

static hub_status audit_fn(hub_tx *tx, void *ud) {
  audit_ctx *c = ud;
  hub_audit_account_write(tx, c->user_id, c->action, c->ip, c->detail);
  return HUB_STATUS_OK;
}

void auth_audit(hub_call *call, const char *user_id, const char *action, const char *detail_json) {
  audit_ctx c = {user_id, action, auth_peer_ip(call), detail_json};
  hub_status st = hub_call_tx(call, audit_fn, &c);
  if (!hub_ok(st)) hub_logf(HUB_LOG_WARN, "audit: could not record %s: %s", action, st.message);
}
