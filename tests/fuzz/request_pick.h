/* How fuzz_request's input names a method: its first two bytes, big-endian, modulo the number
 * of methods in the generated table (hub_all_methods, sorted by path). seed_requests writes
 * its seeds with the same mapping. */
#ifndef HUB_FUZZ_REQUEST_PICK_H
#define HUB_FUZZ_REQUEST_PICK_H

#include <assert.h>
#include <stdint.h>

#include "hub/method.h"

static inline const hub_method_def *fuzz_request_method(uint16_t selector) {
  assert(hub_all_methods_count > 0 && hub_all_methods_count <= UINT16_MAX);
  return hub_all_methods[selector % hub_all_methods_count];
}

#endif
