/* The per-call arena: alignment, growth past a chunk, reset, strings, and its use as the
 * protobuf-c allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "google/rpc/status.pb-c.h"
#include "hub/arena.h"

static void test_alignment_and_growth(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(64);
  void *prev = NULL;
  for (int i = 1; i < 200; i++) {
    unsigned char *p = hub_arena_alloc(a, (size_t)i);
    assert_int_equal((uintptr_t)p % 16, 0);
    memset(p, 0xab, (size_t)i); /* ASan would catch an overrun into a neighbour */
    assert_ptr_not_equal(p, prev);
    prev = p;
  }
  unsigned char *big = hub_arena_alloc(a, 1 << 20); /* larger than any chunk so far */
  memset(big, 1, 1 << 20);
  assert_true(hub_arena_used(a) >= (1 << 20));
  hub_arena_reset(a);
  assert_int_equal(hub_arena_used(a), 0);
  char *s = hub_arena_alloc(a, 16);
  memset(s, 0, 16);
  hub_arena_free(a);
  hub_arena_free(NULL);
}

static void test_strings(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  assert_string_equal(hub_arena_strdup(a, "hello"), "hello");
  assert_null(hub_arena_strdup(a, NULL));
  assert_string_equal(hub_arena_strndup(a, "hello", 3), "hel");
  char *long_fmt = hub_arena_sprintf(a, "%0500d|%s", 7, "end");
  assert_int_equal(strlen(long_fmt), 504);
  assert_string_equal(long_fmt + 500, "|end");
  int *zeros = hub_arena_calloc(a, 100, sizeof(int));
  for (int i = 0; i < 100; i++) assert_int_equal(zeros[i], 0);
  hub_arena_free(a);
}

static void test_protobuf_allocator(void **state) {
  (void)state;
  Google__Rpc__Status s = GOOGLE__RPC__STATUS__INIT;
  s.code = 5;
  s.message = "not found";
  uint8_t buf[64];
  size_t len = google__rpc__status__pack(&s, buf);
  hub_arena *a = hub_arena_new(0);
  ProtobufCAllocator alloc = hub_arena_allocator(a);
  size_t before = hub_arena_used(a);
  Google__Rpc__Status *back = google__rpc__status__unpack(&alloc, len, buf);
  assert_non_null(back);
  assert_string_equal(back->message, "not found");
  assert_true(hub_arena_used(a) > before); /* it came from the arena ... */
  google__rpc__status__free_unpacked(back, &alloc); /* ... and freeing is a no-op */
  hub_arena_free(a);
}

static int order[4], n_order;
static void note(void *p) { order[n_order++] = *(int *)p; }

/* Cleanups run at free and at reset, latest first, once each. */
static void test_cleanups(void **state) {
  (void)state;
  static int one = 1, two = 2, three = 3;
  hub_arena *a = hub_arena_new(64);
  hub_arena_on_free(a, note, &one);
  hub_arena_on_free(a, note, &two);
  hub_arena_reset(a);
  assert_int_equal(n_order, 2);
  assert_int_equal(order[0], 2);
  assert_int_equal(order[1], 1);
  hub_arena_on_free(a, note, &three);
  hub_arena_free(a);
  assert_int_equal(n_order, 3);
  assert_int_equal(order[2], 3);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_alignment_and_growth),
      cmocka_unit_test(test_strings),
      cmocka_unit_test(test_protobuf_allocator),
      cmocka_unit_test(test_cleanups),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
