/* Per-call bump allocator (see hub/arena.h). Chunks form a singly linked list; the first
 * chunk is kept across hub_arena_reset so a reused arena does not touch malloc. */
#include "hub/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HUB_ARENA_ALIGN 16
#define HUB_ARENA_DEFAULT 4096

/* Under AddressSanitizer (the --sanitize and fuzz builds) a chunk's free space is poisoned and
 * every allocation is followed by a poisoned red zone, so reading or writing past the end of an
 * arena allocation is reported as it would be for malloc; elsewhere these are no-ops. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HUB_ARENA_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define HUB_ARENA_ASAN 1
#endif
#ifdef HUB_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define REDZONE HUB_ARENA_ALIGN
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define REDZONE 0
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

typedef struct chunk {
  struct chunk *next;
  size_t cap;
  size_t used;
  _Alignas(HUB_ARENA_ALIGN) unsigned char data[];
} chunk;

typedef struct cleanup {
  struct cleanup *next;
  void (*fn)(void *);
  void *p;
} cleanup;

struct hub_arena {
  chunk *head;   /* current chunk (allocations come from here) */
  chunk *first;  /* the chunk kept by reset */
  size_t total;  /* bytes handed out */
  cleanup *cleanups; /* latest first; the records live in the arena itself */
};

static void *oom(size_t n) {
  fprintf(stderr, "{\"level\":\"error\",\"msg\":\"out of memory allocating %zu bytes\"}\n", n);
  abort();
}

static chunk *chunk_new(size_t cap) {
  chunk *c = malloc(sizeof(chunk) + cap);
  if (!c) oom(sizeof(chunk) + cap);
  c->next = NULL;
  c->cap = cap;
  c->used = 0;
  POISON(c->data, cap);
  return c;
}

hub_arena *hub_arena_new(size_t first_chunk) {
  hub_arena *a = malloc(sizeof *a);
  if (!a) oom(sizeof *a);
  a->first = a->head = chunk_new(first_chunk ? first_chunk : HUB_ARENA_DEFAULT);
  a->total = 0;
  a->cleanups = NULL;
  return a;
}

static void run_cleanups(hub_arena *a) {
  /* A cleanup may register another (it then runs too): take the list each time. */
  while (a->cleanups) {
    cleanup *c = a->cleanups;
    a->cleanups = c->next;
    c->fn(c->p);
  }
}

void hub_arena_on_free(hub_arena *a, void (*fn)(void *), void *p) {
  cleanup *c = hub_arena_alloc(a, sizeof *c);
  c->fn = fn;
  c->p = p;
  c->next = a->cleanups;
  a->cleanups = c;
}

static void free_chain(chunk *c, chunk *stop) {
  while (c && c != stop) {
    chunk *next = c->next;
    UNPOISON(c->data, c->cap);
    free(c);
    c = next;
  }
}

void hub_arena_free(hub_arena *a) {
  if (!a) return;
  run_cleanups(a);
  free_chain(a->head, NULL);
  free(a);
}

void hub_arena_reset(hub_arena *a) {
  run_cleanups(a);
  /* head -> ... -> first: every chunk but `first` was added later, in front of it. */
  free_chain(a->head, a->first);
  a->first->next = NULL;
  a->first->used = 0;
  POISON(a->first->data, a->first->cap);
  a->head = a->first;
  a->total = 0;
}

void *hub_arena_alloc(hub_arena *a, size_t size) {
  size_t need = (size + HUB_ARENA_ALIGN - 1) & ~(size_t)(HUB_ARENA_ALIGN - 1);
  if (need < size) oom(size);
  size_t take = need + REDZONE;
  if (take < need) oom(size);
  chunk *c = a->head;
  if (c->cap - c->used < take) {
    size_t cap = c->cap * 2;
    if (cap < take) cap = take;
    chunk *n = chunk_new(cap);
    n->next = c;
    a->head = c = n;
  }
  void *p = c->data + c->used;
  UNPOISON(p, size);
  c->used += take;
  a->total += need;
  return p;
}

void *hub_arena_calloc(hub_arena *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) oom(SIZE_MAX);
  void *p = hub_arena_alloc(a, n * size);
  memset(p, 0, n * size);
  return p;
}

char *hub_arena_strndup(hub_arena *a, const char *s, size_t n) {
  char *p = hub_arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *hub_arena_strdup(hub_arena *a, const char *s) {
  return s ? hub_arena_strndup(a, s, strlen(s)) : NULL;
}

char *hub_arena_vsprintf(hub_arena *a, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return hub_arena_strdup(a, fmt);
  char *p = hub_arena_alloc(a, (size_t)n + 1);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  return p;
}

char *hub_arena_sprintf(hub_arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *p = hub_arena_vsprintf(a, fmt, ap);
  va_end(ap);
  return p;
}

size_t hub_arena_used(const hub_arena *a) { return a->total; }

static void *pb_alloc(void *ud, size_t size) { return hub_arena_alloc(ud, size); }
static void pb_free(void *ud, void *p) { (void)ud; (void)p; }

ProtobufCAllocator hub_arena_allocator(hub_arena *a) {
  return (ProtobufCAllocator){.alloc = pb_alloc, .free = pb_free, .allocator_data = a};
}
