/* Loads the signing keys and the data key and publishes the identity settings. */
#ifndef HUB_HUBD_KEYS_H
#define HUB_HUBD_KEYS_H

#include <stdbool.h>

#include "hub/config.h"
#include "identity/identity.h"

/* False (after logging why) when a configured key cannot be read. */
bool hub_keys_setup(const hub_config *cfg);

#endif
