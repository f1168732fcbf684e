/* A bump allocator: one per call (server and client), freed in one go when the call ends,
 * so handlers and callers almost never free anything. Memory exhaustion aborts the process
 * (as Redis does): a server that cannot allocate a few KiB cannot answer sensibly anyway. */
#ifndef HUB_ARENA_H
#define HUB_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

typedef struct hub_arena hub_arena;

/* A new arena whose first chunk holds `first_chunk` bytes (0 picks a default).
 * The caller frees it with hub_arena_free. */
hub_arena *hub_arena_new(size_t first_chunk);

/* Frees the arena and everything allocated from it (running its cleanups first). NULL is a no-op. */
void hub_arena_free(hub_arena *arena);

/* Runs the cleanups, then forgets every allocation but keeps the first chunk for reuse. */
void hub_arena_reset(hub_arena *arena);

/* Registers fn(p) to run when the arena is freed or reset, latest first: what the call owns
 * outside the arena (a PGresult) goes with the call, and nobody frees it by hand. */
void hub_arena_on_free(hub_arena *arena, void (*fn)(void *), void *p);

/* `size` bytes aligned to 16, owned by the arena. Never returns NULL. */
void *hub_arena_alloc(hub_arena *arena, size_t size);

/* Like hub_arena_alloc, zero-filled. */
void *hub_arena_calloc(hub_arena *arena, size_t n, size_t size);

char *hub_arena_strdup(hub_arena *arena, const char *s);
char *hub_arena_strndup(hub_arena *arena, const char *s, size_t n);
char *hub_arena_sprintf(hub_arena *arena, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *hub_arena_vsprintf(hub_arena *arena, const char *fmt, va_list ap);

/* Bytes handed out so far (for tests and metrics). */
size_t hub_arena_used(const hub_arena *arena);

/* A protobuf-c allocator backed by the arena: messages unpacked with it are freed with
 * the arena (its free() is a no-op). */
ProtobufCAllocator hub_arena_allocator(hub_arena *arena);

#endif
