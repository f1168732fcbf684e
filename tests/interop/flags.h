/* Command-line flags as gRPC's interop binaries spell them ("--name=value" or "--name value"),
 * shared by hub-interop-server and hub-interop-client. */
#ifndef HUB_INTEROP_FLAGS_H
#define HUB_INTEROP_FLAGS_H

#include <stdbool.h>

/* The value of flag `name` at argv[*i] (advancing *i past a separate value), or NULL. */
const char *interop_flag_value(int argc, char **argv, int *i, const char *name);

/* "true"/"1" or "false"/"0"; false for anything else. */
bool interop_parse_bool(const char *v, bool *out);

#endif
