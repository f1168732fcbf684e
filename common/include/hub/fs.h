/* Small file helpers (TLS material, migrations). */
#ifndef HUB_FS_H
#define HUB_FS_H

#include <stddef.h>

/* The whole file, NUL-terminated, malloc'd (the caller frees); NULL if unreadable.
 * `len` may be NULL. */
char *hub_read_file(const char *path, size_t *len);

#endif
