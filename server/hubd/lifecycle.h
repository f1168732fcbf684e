/* Runs the served services' lifecycle hooks (hub/method.h): hubd's main names no service, it
 * walks the generated hub_served_services table and calls what each one declares. */
#ifndef HUB_HUBD_LIFECYCLE_H
#define HUB_HUBD_LIFECYCLE_H

#include <stdbool.h>
#include <stdio.h>

#include "hub/method.h"

/* Every service's init, in table order; false (after logging which) at the first that fails. */
bool hub_lifecycle_init(const hub_service_env *env);
/* Every service's start, in table order; false at the first that fails. */
bool hub_lifecycle_start(const hub_service_env *env);
/* Every service's drain, in table order. */
void hub_lifecycle_drain(void);
/* Every service's stop, in reverse table order (also of services whose start never ran). */
void hub_lifecycle_stop(void);

/* The command a served service offers under `name`, or NULL. */
const hub_service_command *hub_lifecycle_command(const char *name);
/* Lists every service command, one "  name  help" line each, for --help. */
void hub_lifecycle_commands_help(FILE *out);

#endif
