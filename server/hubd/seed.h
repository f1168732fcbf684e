/* `hubd seed-demo`: the run command's demo tenant, so a newcomer can sign in at once. */
#ifndef HUB_HUBD_SEED_H
#define HUB_HUBD_SEED_H

#include "db/tx.h"
#include "hub/config.h"

/* Creates (or refreshes) the demo owner and tenant and their books; prints the credentials.
 * 0 on success. */
int hub_seed_demo(const hub_config *cfg);

/* The demo tenant's November books (seed_books.c), posted as user_id. */
hub_status hub_seed_demo_books(hub_pg *pg, hub_arena *a, const char *tenant_id, const char *user_id);

#endif
