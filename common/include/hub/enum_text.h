/* Enum values <-> the lower-case text stored in SQL, derived from the enum's descriptor so no
 * service keeps a name table: the stored text is the value's proto name without the prefix its
 * UNSPECIFIED value carries, lower-cased (Status STATUS_ON_HOLD <-> "on_hold", Priority
 * PRIORITY_URGENT <-> "urgent"). The zero value (UNSPECIFIED) has no text: it is never stored. */
#ifndef HUB_ENUM_TEXT_H
#define HUB_ENUM_TEXT_H

#include <stdbool.h>

#include <protobuf-c/protobuf-c.h>

#include "hub/arena.h"

/* The stored text of `value` (allocated in `a`), or NULL for the zero value and for a number the
 * enum does not define. */
const char *hub_enum_to_text(hub_arena *a, const ProtobufCEnumDescriptor *d, int value);

/* The value whose stored text is `text` (exact, lower case), or 0 (UNSPECIFIED) when none is. */
int hub_enum_from_text(const ProtobufCEnumDescriptor *d, const char *text);

#endif
