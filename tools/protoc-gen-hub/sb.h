/* A growable string for the generator's output files. Allocation failure aborts: the
 * generator is a short-lived build tool. */
#ifndef HUB_GEN_SB_H
#define HUB_GEN_SB_H

#include <stddef.h>

typedef struct sb {
  char *buf;
  size_t len, cap;
} sb;

void sb_printf(sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_bytes_literal(sb *s, const unsigned char *data, size_t len); /* "\x01..." lines */
char *sb_take(sb *s); /* returns the NUL-terminated text; the caller frees */

/* printf into a fresh malloc'd string. */
char *xsprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
