/* Taking values off the front of a fuzz input, so that one byte string drives a target's
 * choices (which method, which column map) and the rest is the data under test. Every taker
 * returns a zero value once the input is used up, so a short input is just another input. */
#ifndef HUB_FUZZ_INPUT_H
#define HUB_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hub/arena.h"

typedef struct fuzz_input {
  const uint8_t *p;
  size_t n;
} fuzz_input;

static inline uint8_t fuzz_u8(fuzz_input *in) {
  if (!in->n) return 0;
  in->n--;
  return *in->p++;
}

static inline uint16_t fuzz_u16(fuzz_input *in) {
  uint16_t hi = fuzz_u8(in);
  return (uint16_t)(hi << 8 | fuzz_u8(in));
}

/* A string of at most `max` bytes (its length is the next byte), NUL-terminated in `a`. */
static inline char *fuzz_str(hub_arena *a, fuzz_input *in, size_t max) {
  size_t n = fuzz_u8(in) % (max + 1);
  if (n > in->n) n = in->n;
  char *s = hub_arena_strndup(a, (const char *)in->p, n);
  in->p += n, in->n -= n;
  return s;
}

/* The rest of the input as a NUL-terminated text in `a` (proto strings end at a NUL too). */
static inline char *fuzz_rest(hub_arena *a, fuzz_input *in) {
  char *s = hub_arena_strndup(a, (const char *)in->p, in->n);
  in->p += in->n, in->n = 0;
  return s;
}

#endif
