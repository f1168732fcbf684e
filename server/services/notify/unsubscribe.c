/* One-click unsubscribe (RFC 8058): a mail that can be turned off carries a link with a token
 * naming the user, tenant, topic and channel until an expiry, and Unsubscribe applies it with
 * no sign-in. The token is its claims (base64url JSON) and an HMAC-SHA-256 over them, keyed by
 * a key derived from the data key with HKDF (OpenSSL), compared in constant time; no table
 * holds tokens, and changing the data key voids every link. A security notice never carries
 * one, and a token naming one is refused. */
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/encoding.h"
#include "hub/clock.h"
#include "identity/audit.h"
#include "identity/identity.h"
#include "services/notify/notify.h"

static const char info[] = "smbhub notify unsubscribe v1";

static bool derive_key(unsigned char out[32]) {
  const hub_identity *id = hub_identity_get();
  if (!id) return false;
  EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
  size_t n = 32;
  bool ok = c && EVP_PKEY_derive_init(c) > 0 && EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha256()) > 0 &&
            EVP_PKEY_CTX_set1_hkdf_key(c, id->data_key, sizeof id->data_key) > 0 &&
            EVP_PKEY_CTX_add1_hkdf_info(c, (const unsigned char *)info, sizeof info - 1) > 0 &&
            EVP_PKEY_derive(c, out, &n) > 0 && n == 32;
  EVP_PKEY_CTX_free(c);
  return ok;
}

static bool mac(const char *claims, unsigned char out[32]) {
  unsigned char key[32];
  unsigned int n = 0;
  bool ok = derive_key(key) &&
            HMAC(EVP_sha256(), key, sizeof key, (const unsigned char *)claims, strlen(claims), out, &n) && n == 32;
  OPENSSL_cleanse(key, sizeof key);
  return ok;
}

char *notify_unsubscribe_token(hub_arena *a, const char *user_id, const char *tenant_id, const char *topic,
                               unsigned channel, int64_t exp) {
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "u", user_id, "t", tenant_id, "p", topic, "c",
                        notify_channel_text(channel), "e", (json_int_t)exp);
  char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(o);
  if (!text) return NULL;
  char *claims = hub_base64url_encode(a, text, strlen(text));
  free(text);
  unsigned char m[32];
  if (!mac(claims, m)) return NULL;
  return hub_arena_sprintf(a, "%s.%s", claims, hub_base64url_encode(a, m, sizeof m));
}

typedef struct claims {
  const char *user, *tenant, *topic;
  unsigned channel;
} claims;

/* The token's claims when its MAC holds and it has not expired; why not otherwise. */
static const char *verify(hub_arena *a, const char *token, claims *out) {
  const char *dot = strchr(token, '.');
  if (!dot) return "not an unsubscribe token";
  char *body = hub_arena_strndup(a, token, (size_t)(dot - token));
  unsigned char want[32], got[33];
  if (hub_base64url_decode_into(dot + 1, strlen(dot + 1), got, sizeof got) != 32) return "not an unsubscribe token";
  if (!mac(body, want)) return "cannot check tokens now";
  if (CRYPTO_memcmp(want, got, 32) != 0) return "the link is not valid";
  size_t n = 0;
  unsigned char *text = hub_base64url_decode(a, body, &n);
  json_t *o = text ? json_loadb((const char *)text, n, 0, NULL) : NULL;
  json_int_t exp = 0;
  const char *u = NULL, *t = NULL, *p = NULL, *c = NULL;
  bool shaped = o && json_unpack(o, "{s:s, s:s, s:s, s:s, s:I}", "u", &u, "t", &t, "p", &p, "c", &c, "e", &exp) == 0;
  if (shaped) {
    out->user = hub_uuid_lower(a, hub_arena_strdup(a, u)); /* copies: the JSON is freed below */
    out->tenant = hub_uuid_lower(a, hub_arena_strdup(a, t));
    out->topic = hub_arena_strdup(a, p);
    out->channel = notify_channel_parse(c);
  }
  json_decref(o);
  if (!shaped || !out->user || !out->tenant || !out->channel) return "the link is not valid";
  if (exp < hub_clock_wall_s()) return "the link has expired; change the preference in the app";
  return NULL;
}

static const hub_pg_stmt off_sql = {
    "notify_unsubscribe",
    "INSERT INTO notify_preferences (tenant_id, user_id, topic, channel, enabled) "
    "SELECT hub_current_tenant(), $1::uuid, $2, $3, false "
    "WHERE EXISTS (SELECT 1 FROM members m WHERE m.tenant_id = hub_current_tenant() AND m.user_id = $1::uuid) "
    "ON CONFLICT (tenant_id, user_id, topic, channel) DO UPDATE SET enabled = false RETURNING 1 AS _done",
    3};

typedef struct off_ctx {
  const claims *c;
  const char *ip;
  hub_rows *done;
} off_ctx;

static hub_status off_fn(hub_tx *tx, void *ud) {
  off_ctx *o = ud;
  hub_status st = hub_tx_query(tx, &off_sql,
                               (const char *[]){o->c->user, o->c->topic, notify_channel_text(o->c->channel)}, &o->done);
  if (!hub_ok(st) || hub_rows_count(o->done) == 0) return st;
  hub_audit_tenant_write(
      tx, o->c->tenant, o->c->user, "notify.unsubscribed", o->c->topic, o->ip,
      hub_arena_sprintf(hub_tx_arena(tx), "{\"channel\":\"%s\"}", notify_channel_text(o->c->channel)));
  return HUB_STATUS_OK;
}

hub_status hub_notify_v1_notify_unsubscribe(hub_call *call, const Hub__Notify__V1__UnsubscribeRequest *request,
                                            Hub__Notify__V1__UnsubscribeResponse *response) {
  hub_arena *a = hub_call_arena(call);
  claims c = {0};
  const char *why = verify(a, request->token, &c);
  if (why) return hub_status_invalid(a, "token", "%s", why);
  const notify_topic *t = notify_topic_find(c.topic);
  if (!t || t->security || !(t->channels & c.channel)) return hub_status_invalid(a, "token", "the link is not valid");
  off_ctx o = {&c, hub_call_peer_address(call), NULL};
  hub_status st = hub_call_tx_as(call, c.tenant, c.user, off_fn, &o);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(o.done) == 0) return hub_status_new(a, HUB_NOT_FOUND, "token: the account is no longer a member");
  response->topic = hub_arena_strdup(a, c.topic);
  response->channel = notify_channel_enum(c.channel);
  return HUB_STATUS_OK;
}
