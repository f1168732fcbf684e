/* Enum <-> stored text from descriptors (see hub/enum_text.h). Enums are a handful of values,
 * so a linear scan compares in place and allocates nothing on the read path. */
#include "hub/enum_text.h"

#include <ctype.h>
#include <string.h>

/* Length of the prefix every value of the enum carries: the zero value's name minus its
 * trailing "UNSPECIFIED" ("STATUS_UNSPECIFIED" -> "STATUS_"), or 0 when it has none. */
static size_t prefix_len(const ProtobufCEnumDescriptor *d) {
  static const char unspecified[] = "UNSPECIFIED";
  for (unsigned i = 0; i < d->n_values; i++) {
    if (d->values[i].value != 0) continue;
    const char *n = d->values[i].name;
    size_t len = strlen(n), u = sizeof unspecified - 1;
    return len >= u && !strcmp(n + len - u, unspecified) ? len - u : 0;
  }
  return 0;
}

const char *hub_enum_to_text(hub_arena *a, const ProtobufCEnumDescriptor *d, int value) {
  if (value == 0) return NULL;
  const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
  if (!v) return NULL;
  const char *name = v->name + prefix_len(d);
  size_t n = strlen(name);
  char *text = hub_arena_alloc(a, n + 1);
  for (size_t i = 0; i <= n; i++) text[i] = (char)tolower((unsigned char)name[i]);
  return text;
}

int hub_enum_from_text(const ProtobufCEnumDescriptor *d, const char *text) {
  if (!text || !*text) return 0;
  size_t skip = prefix_len(d);
  for (unsigned i = 0; i < d->n_values; i++) {
    const char *name = d->values[i].name + skip;
    if (d->values[i].value == 0) continue;
    size_t k = 0;
    while (name[k] && text[k] && tolower((unsigned char)name[k]) == text[k]) k++;
    if (!name[k] && !text[k]) return d->values[i].value;
  }
  return 0;
}
