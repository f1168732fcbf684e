/* An operation's name is "operations/<id>" (AIP-151), the one handle callers hold. */
#include <string.h>

#include "hub/uuid.h"
#include "services/operations/operations.h"

#define PREFIX "operations/"

const char *operations_id_of(hub_arena *a, const char *name) {
  if (!name || strncmp(name, PREFIX, strlen(PREFIX)) != 0) return NULL;
  return hub_uuid_lower(a, name + strlen(PREFIX));
}

hub_status operations_bad_name(hub_arena *a, const char *field) {
  return hub_status_invalid(a, field, "not an operation's name (operations/<id>)");
}
