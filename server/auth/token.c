/* See token.h. libjwt signs and checks signatures; everything around it — picking the key by
 * kid, refusing any algorithm but ES256 before libjwt sees the token, time and audience
 * checks — is done here, because the classic JWT attacks (alg=none, HS256 keyed with the
 * public key) live exactly in that gap. */
#include "token.h"

#include "crypto/encoding.h"

#include <jansson.h>
#include <jwt.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 8

typedef struct key {
  char kid[64];
  char *private_pem;
  char *public_pem;
  EVP_PKEY *pkey;
} key;

struct hub_keyring {
  pthread_rwlock_t lock;
  key keys[MAX_KEYS];
  int n; /* keys[n-1] signs */
};

hub_keyring *hub_keyring_new(void) {
  hub_keyring *r = calloc(1, sizeof *r);
  if (!r) abort();
  pthread_rwlock_init(&r->lock, NULL);
  return r;
}

static void drop_key(key *k) {
  free(k->private_pem);
  free(k->public_pem);
  EVP_PKEY_free(k->pkey);
  memset(k, 0, sizeof *k);
}

void hub_keyring_free(hub_keyring *r) {
  if (!r) return;
  for (int i = 0; i < r->n; i++) drop_key(&r->keys[i]);
  pthread_rwlock_destroy(&r->lock);
  free(r);
}

static char *bio_string(BIO *b) {
  char *data;
  long len = BIO_get_mem_data(b, &data);
  char *out = malloc((size_t)len + 1);
  if (!out) abort();
  memcpy(out, data, (size_t)len);
  out[len] = '\0';
  return out;
}

char *hub_keyring_generate_pem(void) {
  EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  if (!k) return NULL;
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
  char *pem = bio_string(b);
  BIO_free(b);
  EVP_PKEY_free(k);
  return pem;
}

bool hub_keyring_add_pem(hub_keyring *r, const char *kid, const char *pem) {
  BIO *in = BIO_new_mem_buf(pem, -1);
  EVP_PKEY *k = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
  BIO_free(in);
  char curve[32] = "";
  if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
      !EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, NULL) ||
      strcmp(curve, "prime256v1") != 0 || strlen(kid) >= sizeof r->keys[0].kid) {
    EVP_PKEY_free(k);
    return false;
  }
  BIO *out = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(out, k);
  pthread_rwlock_wrlock(&r->lock);
  if (r->n == MAX_KEYS) { /* the oldest goes */
    drop_key(&r->keys[0]);
    memmove(&r->keys[0], &r->keys[1], (MAX_KEYS - 1) * sizeof(key));
    r->n--;
  }
  key *slot = &r->keys[r->n++];
  snprintf(slot->kid, sizeof slot->kid, "%s", kid);
  slot->private_pem = strdup(pem);
  slot->public_pem = bio_string(out);
  slot->pkey = k;
  pthread_rwlock_unlock(&r->lock);
  BIO_free(out);
  return true;
}

void hub_keyring_remove(hub_keyring *r, const char *kid) {
  pthread_rwlock_wrlock(&r->lock);
  for (int i = 0; i < r->n; i++) {
    if (strcmp(r->keys[i].kid, kid) != 0) continue;
    drop_key(&r->keys[i]);
    memmove(&r->keys[i], &r->keys[i + 1], (size_t)(r->n - i - 1) * sizeof(key));
    memset(&r->keys[r->n - 1], 0, sizeof(key));
    r->n--;
    break;
  }
  pthread_rwlock_unlock(&r->lock);
}

bool hub_keyring_fingerprint(hub_keyring *r, int index, char kid_out[64], char hex_out[65]) {
  bool ok = false;
  pthread_rwlock_rdlock(&r->lock);
  if (index >= 0 && index < r->n) {
    const key *k = &r->keys[r->n - 1 - index];
    unsigned char *der = NULL;
    int len = i2d_PUBKEY(k->pkey, &der);
    unsigned char md[32];
    unsigned int md_len = 0;
    ok = len > 0 && EVP_Digest(der, (size_t)len, md, &md_len, EVP_sha256(), NULL) == 1 && md_len == sizeof md;
    OPENSSL_free(der);
    for (unsigned i = 0; ok && i < md_len; i++) snprintf(hex_out + 2 * i, 3, "%02x", md[i]);
    if (ok) snprintf(kid_out, 64, "%s", k->kid);
  }
  pthread_rwlock_unlock(&r->lock);
  return ok;
}

static char *coordinate(hub_arena *a, EVP_PKEY *k, const char *which) {
  BIGNUM *bn = NULL;
  unsigned char buf[32];
  if (!EVP_PKEY_get_bn_param(k, which, &bn) || BN_bn2binpad(bn, buf, sizeof buf) != sizeof buf) {
    BN_free(bn);
    return hub_arena_strdup(a, "");
  }
  BN_free(bn);
  return hub_base64url_encode(a, buf, sizeof buf);
}

char *hub_keyring_jwks(hub_keyring *r, hub_arena *a) {
  json_t *keys = json_array();
  pthread_rwlock_rdlock(&r->lock);
  for (int i = 0; i < r->n; i++) {
    json_array_append_new(keys, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256", "x",
                                          coordinate(a, r->keys[i].pkey, OSSL_PKEY_PARAM_EC_PUB_X), "y",
                                          coordinate(a, r->keys[i].pkey, OSSL_PKEY_PARAM_EC_PUB_Y), "kid",
                                          r->keys[i].kid, "alg", "ES256", "use", "sig"));
  }
  pthread_rwlock_unlock(&r->lock);
  json_t *doc = json_pack("{s:o}", "keys", keys);
  char *s = json_dumps(doc, JSON_COMPACT);
  char *out = hub_arena_strdup(a, s);
  free(s);
  json_decref(doc);
  return out;
}

hub_status hub_token_sign(hub_keyring *r, hub_arena *a, const hub_token_claims *c, char **token) {
  *token = NULL;
  if (c->exp <= c->iat || c->exp - c->iat > HUB_TOKEN_MAX_TTL_S)
    return hub_status_invalid(a, "exp", "an access token lives at most %d s", HUB_TOKEN_MAX_TTL_S);
  jwt_t *j = NULL;
  hub_status st = HUB_STATUS_OK;
  pthread_rwlock_rdlock(&r->lock);
  if (r->n == 0) {
    st = hub_status_new(a, HUB_INTERNAL, "no signing key");
  } else if (jwt_new(&j) != 0) {
    st = hub_status_new(a, HUB_INTERNAL, "out of memory");
  } else {
    const key *k = &r->keys[r->n - 1];
    jwt_add_header(j, "kid", k->kid);
    jwt_add_grant(j, "sub", c->sub);
    jwt_add_grant(j, "sid", c->sid);
    jwt_add_grant(j, "iss", c->iss);
    jwt_add_grant(j, "aud", c->aud);
    if (c->tenant[0]) jwt_add_grant(j, "tenant", c->tenant);
    if (c->brand[0]) jwt_add_grant(j, "brand", c->brand);
    jwt_add_grant_int(j, "iat", (long)c->iat);
    jwt_add_grant_int(j, "exp", (long)c->exp);
    if (jwt_set_alg(j, JWT_ALG_ES256, (const unsigned char *)k->private_pem, (int)strlen(k->private_pem)) != 0) {
      st = hub_status_new(a, HUB_INTERNAL, "cannot use the signing key");
    } else {
      char *s = jwt_encode_str(j);
      if (s) *token = hub_arena_strdup(a, s);
      else st = hub_status_new(a, HUB_INTERNAL, "cannot sign the token");
      free(s);
    }
  }
  pthread_rwlock_unlock(&r->lock);
  jwt_free(j);
  return st;
}

static hub_status refuse(hub_arena *a, const char *why) {
  return hub_status_new(a, HUB_UNAUTHENTICATED, "invalid access token: %s", why);
}

/* Decodes the JOSE header (first segment) and returns its alg and kid, or false. */
bool hub_jose_header(const char *token, char *alg, size_t alg_cap, char *kid, size_t kid_cap) {
  const char *dot = strchr(token, '.');
  if (!dot || dot == token || dot - token > 1024) return false;
  unsigned char raw[800];
  size_t len = hub_base64url_decode_into(token, (size_t)(dot - token), raw, sizeof raw);
  if (len == (size_t)-1 || len == 0) return false;
  json_error_t err;
  json_t *h = json_loadb((const char *)raw, len, 0, &err);
  const char *a = h ? json_string_value(json_object_get(h, "alg")) : NULL;
  const char *id = h ? json_string_value(json_object_get(h, "kid")) : NULL;
  bool ok = a && id && strlen(a) < alg_cap && strlen(id) < kid_cap;
  if (ok) {
    strcpy(alg, a);
    strcpy(kid, id);
  }
  json_decref(h);
  return ok;
}

static void copy_grant(jwt_t *j, const char *name, char *dst, size_t cap) {
  const char *v = jwt_get_grant(j, name);
  snprintf(dst, cap, "%s", v ? v : "");
}

hub_status hub_token_verify(hub_keyring *r, hub_arena *a, const char *token, const char *iss, const char *aud,
                            int64_t now_s, hub_token_claims *out) {
  memset(out, 0, sizeof *out);
  char alg[16], kid[64];
  if (!token || strlen(token) > 4096 || !hub_jose_header(token, alg, sizeof alg, kid, sizeof kid))
    return refuse(a, "malformed");
  if (strcmp(alg, "ES256") != 0) return refuse(a, "algorithm not accepted");
  char *pub = NULL;
  pthread_rwlock_rdlock(&r->lock);
  for (int i = 0; i < r->n; i++)
    if (strcmp(r->keys[i].kid, kid) == 0) pub = strdup(r->keys[i].public_pem);
  pthread_rwlock_unlock(&r->lock);
  if (!pub) return refuse(a, "unknown key");
  jwt_t *j = NULL;
  int rc = jwt_decode(&j, token, (const unsigned char *)pub, (int)strlen(pub));
  free(pub);
  hub_status st = HUB_STATUS_OK;
  if (rc != 0 || !j || jwt_get_alg(j) != JWT_ALG_ES256) {
    st = refuse(a, "bad signature");
  } else {
    copy_grant(j, "sub", out->sub, sizeof out->sub);
    copy_grant(j, "sid", out->sid, sizeof out->sid);
    copy_grant(j, "iss", out->iss, sizeof out->iss);
    copy_grant(j, "aud", out->aud, sizeof out->aud);
    copy_grant(j, "tenant", out->tenant, sizeof out->tenant);
    copy_grant(j, "brand", out->brand, sizeof out->brand);
    out->iat = jwt_get_grant_int(j, "iat");
    out->exp = jwt_get_grant_int(j, "exp");
    if (!out->sub[0] || !out->sid[0]) st = refuse(a, "missing subject or session");
    else if (strcmp(out->iss, iss) != 0 || strcmp(out->aud, aud) != 0) st = refuse(a, "wrong issuer or audience");
    else if (out->exp <= 0 || now_s >= out->exp + HUB_TOKEN_SKEW_S) st = refuse(a, "expired");
    else if (out->iat > now_s + HUB_TOKEN_SKEW_S) st = refuse(a, "issued in the future");
    else if (out->exp - out->iat > HUB_TOKEN_MAX_TTL_S) st = refuse(a, "lifetime too long");
  }
  jwt_free(j);
  if (!hub_ok(st)) memset(out, 0, sizeof *out);
  return st;
}

/* ---- per-thread cache of verified tokens ---- */

#define CACHE_SLOTS 1024

/* A slot holds the token itself: a warm call compares it (in constant time, so a probe
 * learns nothing of a cached token) instead of digesting it, which cost more than the rest
 * of the check. */
typedef struct cached {
  char *token; /* malloc'd copy, or NULL */
  size_t len;
  hub_token_claims claims;
} cached;

static __thread cached *cache;
static pthread_key_t cache_key; /* frees a thread's cache when the thread ends */
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p) {
  cached *c = p;
  for (size_t i = 0; i < CACHE_SLOTS; i++) free(c[i].token);
  free(c);
}

static void cache_key_make(void) {
  if (pthread_key_create(&cache_key, cache_free) != 0) abort();
}

/* FNV-1a over the token's tail (its signature), for the slot only. */
static size_t slot_of(const char *token, size_t len) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = len > 32 ? len - 32 : 0; i < len; i++) h = (h ^ (unsigned char)token[i]) * 1099511628211ull;
  return (size_t)(h % CACHE_SLOTS);
}

hub_status hub_token_verify_cached(hub_keyring *r, hub_arena *a, const char *token, const char *iss, const char *aud,
                                   int64_t now_s, hub_token_claims *out) {
  if (!cache) {
    pthread_once(&cache_once, cache_key_make);
    cache = calloc(CACHE_SLOTS, sizeof *cache); /* once per thread, freed as it ends */
    if (!cache || pthread_setspecific(cache_key, cache) != 0) abort();
  }
  size_t len = strlen(token);
  cached *slot = &cache[slot_of(token, len)];
  if (slot->token && slot->len == len && CRYPTO_memcmp(slot->token, token, len) == 0 &&
      strcmp(slot->claims.iss, iss) == 0 && strcmp(slot->claims.aud, aud) == 0) {
    if (now_s < slot->claims.exp + HUB_TOKEN_SKEW_S) {
      *out = slot->claims;
      return HUB_STATUS_OK;
    }
    free(slot->token); /* expired: forget it, and let the full check say why */
    slot->token = NULL;
  }
  hub_status st = hub_token_verify(r, a, token, iss, aud, now_s, out);
  if (hub_ok(st)) {
    char *copy = malloc(len + 1);
    if (copy) {
      memcpy(copy, token, len + 1);
      free(slot->token);
      slot->token = copy;
      slot->len = len;
      slot->claims = *out;
    }
  }
  return st;
}
