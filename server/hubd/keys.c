/* Identity set-up at start: the token signing keys (HUB_JWT_KEY_FILES; the file name less
 * ".pem" is the kid, the last file signs, the others still verify during a rotation) and the
 * data key sealing secrets at rest (HUB_DATA_KEY_FILE). Without them hubd makes throwaway
 * keys and says so: fine for a laptop, wrong for more than one process or a restart — and
 * refused (hubd/key_check.c) once the database holds what a throwaway key would lose. */
#include "hubd/keys.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/log.h"
#include "hubd/key_check.h"

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = calloc(1, 65536);
  size_t n = buf ? fread(buf, 1, 65535, f) : 0;
  fclose(f);
  if (buf && n == 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

static bool load_keys(const hub_config *cfg, hub_keyring *ring) {
  if (!*cfg->jwt_key_files) {
    char *pem = hub_keyring_generate_pem();
    bool ok = pem && hub_keyring_add_pem(ring, "ephemeral", pem);
    free(pem);
    hub_logf(HUB_LOG_WARN, "HUB_JWT_KEY_FILES is empty: signing with a throwaway key; tokens end with this process");
    return ok;
  }
  char *list = strdup(cfg->jwt_key_files), *save = NULL;
  bool ok = true;
  for (char *path = strtok_r(list, ",", &save); path && ok; path = strtok_r(NULL, ",", &save)) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char kid[64];
    snprintf(kid, sizeof kid, "%.*s", (int)strcspn(base, "."), base);
    char *pem = read_file(path);
    ok = pem && hub_keyring_add_pem(ring, kid, pem);
    if (!ok) hub_logf(HUB_LOG_ERROR, "HUB_JWT_KEY_FILES: cannot read a P-256 private key from %s", path);
    free(pem);
  }
  free(list);
  return ok;
}

static bool load_data_key(const hub_config *cfg, unsigned char key[32]) {
  if (!*cfg->data_key_file) {
    hub_logf(HUB_LOG_WARN, "HUB_DATA_KEY_FILE is empty: sealing with a throwaway key; TOTP secrets will not survive a restart");
    return RAND_bytes(key, 32) == 1;
  }
  char *text = read_file(cfg->data_key_file);
  bool ok = text != NULL;
  for (int i = 0; ok && i < 32; i++) {
    unsigned v;
    ok = sscanf(text + 2 * i, "%2x", &v) == 1;
    key[i] = (unsigned char)v;
  }
  if (!ok) hub_logf(HUB_LOG_ERROR, "HUB_DATA_KEY_FILE: expected 64 hex digits in %s", cfg->data_key_file);
  free(text);
  return ok;
}

int hub_keys_setup(const hub_config *cfg) {
  hub_identity id = {0};
  id.keys = hub_keyring_new();
  int rc = 1;
  if (!load_keys(cfg, id.keys) || !load_data_key(cfg, id.data_key)) goto fail;
  const hub_start_keys start = {id.keys, !*cfg->jwt_key_files, id.data_key, !*cfg->data_key_file};
  rc = hub_key_check(cfg, &start);
  if (rc != 0) goto fail;
  char err[512];
  id.oidc = hub_oidc_load(cfg->oidc_providers_file, err, sizeof err);
  if (!id.oidc) {
    hub_logf(HUB_LOG_ERROR, "HUB_OIDC_PROVIDERS_FILE: %s", err);
    rc = 1;
    goto fail;
  }
  id.issuer = cfg->jwt_issuer;
  id.audience = cfg->jwt_audience;
  id.session.idle_ms = cfg->session_idle_ms;
  id.session.absolute_ms = cfg->session_absolute_ms;
  id.access_ttl_s = cfg->access_token_ttl_ms / 1000;
  id.refresh_ttl_ms = cfg->refresh_token_ttl_ms;
  id.refresh_grace_ms = cfg->refresh_grace_ms;
  id.login_per_ip = cfg->login_limit_per_ip;
  id.login_per_account = cfg->login_limit_per_account;
  id.deletion_grace_ms = cfg->account_deletion_grace_ms;
  hub_identity_set(&id);
  OPENSSL_cleanse(id.data_key, sizeof id.data_key);
  return 0;
fail: /* hubd stops: nothing of the keys outlives this (LeakSanitizer checks the exit) */
  hub_keyring_free(id.keys);
  OPENSSL_cleanse(id.data_key, sizeof id.data_key);
  return rc;
}
