/* The process's identity settings (see identity.h). Written once before the workers start,
 * read-only afterwards, so no lock. */
#include "identity/identity.h"

static hub_identity current;

void hub_identity_set(const hub_identity *id) { current = *id; }
const hub_identity *hub_identity_get(void) { return &current; }
