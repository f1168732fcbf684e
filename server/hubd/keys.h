/* Loads the signing keys and the data key and publishes the identity settings. */
#ifndef HUB_HUBD_KEYS_H
#define HUB_HUBD_KEYS_H

#include <stdbool.h>

#include "hub/config.h"
#include "identity/identity.h"

/* 0 when the keys are loaded and fit the database (hubd/key_check.h); 1 (after logging why)
 * when a configured key cannot be read or the database cannot be asked; 2 (after one line on
 * stderr) when a key is missing or wrong for what the database holds. */
int hub_keys_setup(const hub_config *cfg);

#endif
