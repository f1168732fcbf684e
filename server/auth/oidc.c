/* See oidc.h. JWKs become PEM public keys once, at load (RSA from n/e, EC P-256 from x/y,
 * through OpenSSL's parameter builder); libjwt then checks signatures. As in token.c, the
 * algorithm is checked against the key's type before libjwt sees the token, so a token cannot
 * pick its own verification method. */
#include "auth/oidc.h"

#include <jansson.h>
#include <jwt.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token.h"
#include "crypto/encoding.h"

#define SKEW_S 30

typedef struct oidc_key {
  char kid[128];
  char alg[8]; /* "RS256" or "ES256", from the key type */
  char *pem;
} oidc_key;

typedef struct provider {
  char name[32];
  char issuer[256];
  char **audiences;
  size_t n_audiences;
  oidc_key *keys;
  size_t n_keys;
} provider;

struct hub_oidc {
  provider *providers;
  size_t n;
};

static BIGNUM *b64url_bn(const char *s) {
  unsigned char raw[1024];
  size_t n = s ? hub_base64url_decode_into(s, strlen(s), raw, sizeof raw) : (size_t)-1;
  return n == (size_t)-1 || n == 0 ? NULL : BN_bin2bn(raw, (int)n, NULL);
}

/* A JWK as a PEM public key (malloc'd), with its algorithm; NULL for unsupported keys. */
static char *jwk_pem(json_t *jwk, char alg[8]) {
  const char *kty = json_string_value(json_object_get(jwk, "kty"));
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  BIGNUM *a = NULL, *b = NULL;
  EVP_PKEY *pkey = NULL;
  const char *type = NULL;
  unsigned char point[65];
  if (kty && !strcmp(kty, "RSA")) {
    a = b64url_bn(json_string_value(json_object_get(jwk, "n")));
    b = b64url_bn(json_string_value(json_object_get(jwk, "e")));
    if (a && b && BN_num_bits(a) >= 2048) {
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, a);
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, b);
      type = "RSA";
      strcpy(alg, "RS256");
    }
  } else if (kty && !strcmp(kty, "EC")) {
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    a = b64url_bn(json_string_value(json_object_get(jwk, "x")));
    b = b64url_bn(json_string_value(json_object_get(jwk, "y")));
    if (crv && !strcmp(crv, "P-256") && a && b && BN_num_bytes(a) <= 32 && BN_num_bytes(b) <= 32) {
      point[0] = 0x04;
      BN_bn2binpad(a, point + 1, 32);
      BN_bn2binpad(b, point + 33, 32);
      OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point);
      type = "EC";
      strcpy(alg, "ES256");
    }
  }
  char *pem = NULL;
  OSSL_PARAM *params = type ? OSSL_PARAM_BLD_to_param(bld) : NULL;
  EVP_PKEY_CTX *ctx = type ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
  if (ctx && EVP_PKEY_fromdata_init(ctx) > 0 && EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) > 0) {
    BIO *out = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(out, pkey);
    char *data;
    long len = BIO_get_mem_data(out, &data);
    pem = malloc((size_t)len + 1);
    memcpy(pem, data, (size_t)len);
    pem[len] = '\0';
    BIO_free(out);
  }
  EVP_PKEY_free(pkey);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(a);
  BN_free(b);
  return pem;
}

void hub_oidc_free(hub_oidc *o) {
  if (!o) return;
  for (size_t i = 0; i < o->n; i++) {
    provider *p = &o->providers[i];
    for (size_t k = 0; k < p->n_audiences; k++) free(p->audiences[k]);
    for (size_t k = 0; k < p->n_keys; k++) free(p->keys[k].pem);
    free(p->audiences);
    free(p->keys);
  }
  free(o->providers);
  free(o);
}

static bool load_jwks(provider *p, const char *path, char *err, size_t errlen) {
  json_error_t je;
  json_t *doc = json_load_file(path, 0, &je);
  json_t *keys = doc ? json_object_get(doc, "keys") : NULL;
  if (!json_is_array(keys)) {
    snprintf(err, errlen, "%s: not a JWKS file (%s)", path, doc ? "no keys array" : je.text);
    json_decref(doc);
    return false;
  }
  p->keys = calloc(json_array_size(keys) + 1, sizeof *p->keys);
  size_t i;
  json_t *jwk;
  json_array_foreach(keys, i, jwk) {
    const char *kid = json_string_value(json_object_get(jwk, "kid"));
    const char *use = json_string_value(json_object_get(jwk, "use"));
    if (!kid || strlen(kid) >= sizeof p->keys[0].kid || (use && strcmp(use, "sig") != 0)) continue;
    oidc_key *k = &p->keys[p->n_keys];
    k->pem = jwk_pem(jwk, k->alg);
    if (!k->pem) continue; /* unsupported key types are skipped, not fatal */
    snprintf(k->kid, sizeof k->kid, "%s", kid);
    p->n_keys++;
  }
  json_decref(doc);
  if (p->n_keys == 0) snprintf(err, errlen, "%s: no usable RS256/ES256 signing key", path);
  return p->n_keys > 0;
}

hub_oidc *hub_oidc_load(const char *path, char *err, size_t errlen) {
  hub_oidc *o = calloc(1, sizeof *o);
  if (!path || !*path) return o;
  json_error_t je;
  json_t *doc = json_load_file(path, 0, &je);
  json_t *list = doc ? json_object_get(doc, "providers") : NULL;
  if (!json_is_array(list)) {
    snprintf(err, errlen, "%s: expected {\"providers\": [...]} (%s)", path, doc ? "no providers array" : je.text);
    json_decref(doc);
    hub_oidc_free(o);
    return NULL;
  }
  o->providers = calloc(json_array_size(list) + 1, sizeof *o->providers);
  size_t i;
  json_t *pj;
  bool ok = true;
  json_array_foreach(list, i, pj) {
    provider *p = &o->providers[o->n++];
    const char *name = json_string_value(json_object_get(pj, "name"));
    const char *issuer = json_string_value(json_object_get(pj, "issuer"));
    const char *jwks = json_string_value(json_object_get(pj, "jwks_file"));
    json_t *aud = json_object_get(pj, "audiences");
    if (!name || !issuer || !jwks || !json_is_array(aud) || json_array_size(aud) == 0 || strlen(name) >= sizeof p->name ||
        strlen(issuer) >= sizeof p->issuer) {
      snprintf(err, errlen, "%s: provider %zu needs name, issuer, audiences and jwks_file", path, i);
      ok = false;
      break;
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->issuer, sizeof p->issuer, "%s", issuer);
    p->audiences = calloc(json_array_size(aud), sizeof *p->audiences);
    size_t k;
    json_t *aj;
    json_array_foreach(aud, k, aj) if (json_is_string(aj)) p->audiences[p->n_audiences++] = strdup(json_string_value(aj));
    if (!load_jwks(p, jwks, err, errlen)) {
      ok = false;
      break;
    }
  }
  json_decref(doc);
  if (!ok) {
    hub_oidc_free(o);
    return NULL;
  }
  return o;
}

static hub_status refuse(hub_arena *a, const char *why) {
  return hub_status_new(a, HUB_UNAUTHENTICATED, "invalid ID token: %s", why);
}

static bool audience_ok(const provider *p, jwt_t *j) {
  const char *single = jwt_get_grant(j, "aud");
  char *json = single ? NULL : jwt_get_grants_json(j, "aud");
  bool ok = false;
  for (size_t i = 0; i < p->n_audiences && !ok; i++) {
    if (single) ok = strcmp(single, p->audiences[i]) == 0;
    else if (json) {
      json_t *arr = json_loads(json, 0, NULL);
      size_t k;
      json_t *v;
      json_array_foreach(arr, k, v) ok = ok || (json_is_string(v) && !strcmp(json_string_value(v), p->audiences[i]));
      json_decref(arr);
    }
  }
  free(json);
  return ok;
}

hub_status hub_oidc_verify(const hub_oidc *o, hub_arena *a, const char *provider_name, const char *id_token,
                           const char *nonce, int64_t now_s, hub_oidc_claims *out) {
  memset(out, 0, sizeof *out);
  const provider *p = NULL;
  for (size_t i = 0; o && i < o->n && !p; i++)
    if (!strcmp(o->providers[i].name, provider_name)) p = &o->providers[i];
  if (!p) return hub_status_invalid(a, "provider", "no such identity provider is configured");
  if (!nonce || !*nonce) return hub_status_invalid(a, "nonce", "the nonce sent to the provider is required");
  char alg[16], kid[128];
  if (!id_token || strlen(id_token) > 16384 || !hub_jose_header(id_token, alg, sizeof alg, kid, sizeof kid))
    return refuse(a, "malformed");
  const oidc_key *key = NULL;
  for (size_t i = 0; i < p->n_keys && !key; i++)
    if (!strcmp(p->keys[i].kid, kid)) key = &p->keys[i];
  if (!key) return refuse(a, "unknown key");
  if (strcmp(alg, key->alg) != 0) return refuse(a, "algorithm does not match the key");
  jwt_t *j = NULL;
  hub_status st = HUB_STATUS_OK;
  jwt_alg_t want = !strcmp(key->alg, "RS256") ? JWT_ALG_RS256 : JWT_ALG_ES256;
  if (jwt_decode(&j, id_token, (const unsigned char *)key->pem, (int)strlen(key->pem)) != 0 || !j ||
      jwt_get_alg(j) != want) {
    st = refuse(a, "bad signature");
  } else {
    const char *iss = jwt_get_grant(j, "iss"), *sub = jwt_get_grant(j, "sub"), *got_nonce = jwt_get_grant(j, "nonce");
    const char *email = jwt_get_grant(j, "email");
    long exp = jwt_get_grant_int(j, "exp"), iat = jwt_get_grant_int(j, "iat");
    if (!iss || strcmp(iss, p->issuer) != 0) st = refuse(a, "wrong issuer");
    else if (!audience_ok(p, j)) st = refuse(a, "wrong audience");
    else if (exp <= 0 || now_s >= exp + SKEW_S) st = refuse(a, "expired");
    else if (iat > now_s + SKEW_S) st = refuse(a, "issued in the future");
    else if (!sub || !*sub || strlen(sub) >= sizeof out->subject) st = refuse(a, "no subject");
    else if (!got_nonce || strlen(got_nonce) != strlen(nonce) || CRYPTO_memcmp(got_nonce, nonce, strlen(nonce)) != 0)
      st = refuse(a, "nonce does not match");
    else {
      snprintf(out->issuer, sizeof out->issuer, "%s", iss);
      snprintf(out->subject, sizeof out->subject, "%s", sub);
      snprintf(out->email, sizeof out->email, "%s", email ? email : "");
      /* email_verified may be a JSON boolean or (Apple) the string "true". */
      const char *ev = jwt_get_grant(j, "email_verified");
      out->email_verified = jwt_get_grant_bool(j, "email_verified") == 1 || (ev && !strcmp(ev, "true"));
    }
  }
  jwt_free(j);
  return st;
}
