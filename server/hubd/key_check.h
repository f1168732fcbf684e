/* The keys hubd starts with, checked against what the database recorded of them (key_checks,
 * migration 0012) before it serves: a missing or wrong data key would leave every sealed TOTP
 * secret unreadable, and a signing key dropped too early would have every live access token
 * refused, both silently. hubd/keys.c loads the keys and calls this; main exits with its
 * answer. */
#ifndef HUB_HUBD_KEY_CHECK_H
#define HUB_HUBD_KEY_CHECK_H

#include <stdbool.h>

#include "auth/token.h"
#include "hub/config.h"

/* How hubd came by its keys: a throwaway one (no file configured) is never recorded. */
typedef struct hub_start_keys {
  hub_keyring *ring;
  bool ring_throwaway;
  const unsigned char *data_key; /* 32 bytes */
  bool data_key_throwaway;
} hub_start_keys;

/* 0 when the keys fit what the database holds (and are recorded for the next start);
 * 2 when they do not, after one line on stderr saying which key and what to do; 1 when the
 * database could not be asked (logged). */
int hub_key_check(const hub_config *cfg, const hub_start_keys *keys);

#endif
