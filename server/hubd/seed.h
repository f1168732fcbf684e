/* `hubd seed-demo`: the run command's demo tenant, so a newcomer can sign in at once. */
#ifndef HUB_HUBD_SEED_H
#define HUB_HUBD_SEED_H

#include "hub/config.h"

/* Creates (or refreshes) the demo owner and tenant; prints the credentials. 0 on success. */
int hub_seed_demo(const hub_config *cfg);

#endif
