/* Inside the codec: the protobuf-c merge workaround (merge.c), used by codec.c. */
#ifndef HUB_CODEC_INTERNAL_H
#define HUB_CODEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "hub/arena.h"

/* When a singular message field of `d` (at any depth) arrives in several parts, writes the
 * message with each such field as one part into the arena and returns true (*out, *out_len).
 * Returns false when there is nothing to merge, or bytes protobuf-c should judge itself. */
bool hub_codec_merge_parts(hub_arena *a, const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len,
                           const uint8_t **out, size_t *out_len);

#endif
