/* Document totals, payment allocation and aging, all pure: exact decimals, per-line rounding
 * half away from zero (inclusive and exclusive tax), int64 overflow refused with the line and
 * field named, allocations that never exceed an invoice or the payment, and bucket edges. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "services/accounting/allocation.h"
#include "services/accounting/invoice_math.h"

static void test_decimal_parse(void **state) {
  (void)state;
  int64_t v;
  assert_true(accounting_decimal_parse("7.25", 4, &v));
  assert_int_equal(v, 72500);
  assert_true(accounting_decimal_parse("12", 4, &v));
  assert_int_equal(v, 120000);
  assert_true(accounting_decimal_parse("0.0001", 4, &v));
  assert_int_equal(v, 1);
  assert_true(accounting_decimal_parse("922337203685477", 4, &v));
  assert_false(accounting_decimal_parse("922337203685478", 4, &v)); /* x10^4 overflows */
  const char *bad[] = {"", ".5", "5.", "1.23456", "-1", "+1", "1e3", " 1", "1,5", "1.2.3", NULL};
  for (int i = 0; bad[i]; i++) assert_false(accounting_decimal_parse(bad[i], 4, &v));
  assert_false(accounting_decimal_parse(NULL, 4, &v));
  char buf[32];
  accounting_decimal_format(72500, 4, buf, sizeof buf);
  assert_string_equal(buf, "7.25");
  accounting_decimal_format(120000, 4, buf, sizeof buf);
  assert_string_equal(buf, "12");
  accounting_decimal_format(1, 4, buf, sizeof buf);
  assert_string_equal(buf, "0.0001");
  accounting_decimal_format(-1050, 2, buf, sizeof buf);
  assert_string_equal(buf, "-10.5");
}

static void test_round_half_away(void **state) {
  (void)state;
  assert_true(accounting_div_round(5, 10) == 1);
  assert_true(accounting_div_round(4, 10) == 0);
  assert_true(accounting_div_round(-5, 10) == -1);
  assert_true(accounting_div_round(-4, 10) == 0);
  assert_true(accounting_div_round(15, 10) == 2);
  assert_true(accounting_div_round(25, 10) == 3); /* not banker's */
}

static void test_exclusive_lines(void **state) {
  (void)state;
  const accounting_tax_rate rates[] = {{.rate = 72500}, {.rate = 200000}};
  const accounting_line_in lines[] = {
      {.quantity = "3", .unit_price = 1999, .tax_index = 0},               /* 5997, tax 434.78 -> 435 */
      {.quantity = "1.5", .unit_price = 1001, .tax_index = 1},             /* 1501.5 -> 1502, tax 300.4 -> 300 */
      {.quantity = "2", .unit_price = 1000, .discount = 500, .tax_index = 0}, /* 1500, tax 108.75 -> 109 */
      {.quantity = "1", .unit_price = 250, .tax_index = -1},
  };
  accounting_line_out out[4];
  accounting_tax_total per[2];
  accounting_doc_totals t;
  accounting_doc_error err;
  assert_true(accounting_doc_compute(lines, 4, rates, 2, out, per, &t, &err));
  assert_int_equal(out[0].net, 5997);
  assert_int_equal(out[0].tax, 435);
  assert_int_equal(out[0].gross, 6432);
  assert_int_equal(out[1].quantity_scaled, 15000);
  assert_int_equal(out[1].net, 1502);
  assert_int_equal(out[1].tax, 300);
  assert_int_equal(out[2].net, 1500);
  assert_int_equal(out[2].tax, 109);
  assert_int_equal(out[3].net, 250);
  assert_int_equal(out[3].tax, 0);
  assert_int_equal(per[0].base, 7497);
  assert_int_equal(per[0].tax, 544); /* per line: 435 + 109, not round(7497 x 7.25%) = 544 by luck */
  assert_int_equal(per[1].base, 1502);
  assert_int_equal(per[1].tax, 300);
  assert_int_equal(t.net, 9249);
  assert_int_equal(t.tax, 844);
  assert_int_equal(t.gross, 10093);
  assert_int_equal(t.untaxed_net, 250);
}

static void test_per_line_rounding_differs_from_total(void **state) {
  (void)state;
  /* three lines of 0.05 at 10%: each tax 0.5 -> 1 (half away), total 3; on the total it would be 2 */
  const accounting_tax_rate r[] = {{.rate = 100000}};
  const accounting_line_in l[] = {{"1", 5, 0, 0}, {"1", 5, 0, 0}, {"1", 5, 0, 0}};
  accounting_line_out out[3];
  accounting_tax_total per[1];
  accounting_doc_totals t;
  assert_true(accounting_doc_compute(l, 3, r, 1, out, per, &t, NULL));
  assert_int_equal(t.tax, 3);
  assert_int_equal(t.gross, 18);
}

static void test_inclusive_lines(void **state) {
  (void)state;
  const accounting_tax_rate r[] = {{.rate = 190000, .inclusive = true}, {.rate = 72500, .inclusive = true}};
  const accounting_line_in l[] = {
      {.quantity = "1", .unit_price = 11900, .tax_index = 0}, /* 119.00 incl 19% -> tax 19.00 */
      {.quantity = "1", .unit_price = 1000, .tax_index = 1},  /* 10.00 incl 7.25%: 1000 x 7.25 / 107.25 = 67.6 */
  };
  accounting_line_out out[2];
  accounting_tax_total per[2];
  accounting_doc_totals t;
  assert_true(accounting_doc_compute(l, 2, r, 2, out, per, &t, NULL));
  assert_int_equal(out[0].gross, 11900);
  assert_int_equal(out[0].tax, 1900);
  assert_int_equal(out[0].net, 10000);
  assert_int_equal(out[1].gross, 1000);
  assert_int_equal(out[1].tax, 68); /* 67.599... rounds to 68 */
  assert_int_equal(out[1].net, 932);
  assert_int_equal(t.gross, 12900);
  assert_int_equal(t.net + t.tax, t.gross);
}

static void test_zero_and_full_rates(void **state) {
  (void)state;
  const accounting_tax_rate r[] = {{.rate = 0}, {.rate = ACCOUNTING_RATE_MAX}, {.rate = ACCOUNTING_RATE_MAX, .inclusive = true}};
  const accounting_line_in l[] = {{"1", 1000, 0, 0}, {"1", 1000, 0, 1}, {"1", 1000, 0, 2}};
  accounting_line_out out[3];
  accounting_tax_total per[3];
  accounting_doc_totals t;
  assert_true(accounting_doc_compute(l, 3, r, 3, out, per, &t, NULL));
  assert_int_equal(out[0].tax, 0);
  assert_int_equal(out[1].tax, 1000);
  assert_int_equal(out[2].tax, 500);
  assert_int_equal(out[2].net, 500);
}

static void expect_error(const accounting_line_in *l, size_t n, const accounting_tax_rate *r, size_t nr, int line,
                         const char *field) {
  accounting_line_out out[4];
  accounting_tax_total per[4];
  accounting_doc_totals t;
  accounting_doc_error err = {0};
  assert_false(accounting_doc_compute(l, n, r, nr, out, per, &t, &err));
  assert_int_equal(err.line, line);
  assert_string_equal(err.field, field);
  assert_non_null(strstr(err.message, field));
}

static void test_refusals(void **state) {
  (void)state;
  const accounting_tax_rate r[] = {{.rate = 72500}};
  expect_error((accounting_line_in[]){{"1", 1, 0, 0}, {"1.23456", 1, 0, 0}}, 2, r, 1, 1, "quantity");
  expect_error((accounting_line_in[]){{"0", 1, 0, 0}}, 1, r, 1, 0, "quantity");
  expect_error((accounting_line_in[]){{"1", -1, 0, 0}}, 1, r, 1, 0, "unit_price");
  expect_error((accounting_line_in[]){{"1", 100, 101, 0}}, 1, r, 1, 0, "discount");
  expect_error((accounting_line_in[]){{"1", 100, -1, 0}}, 1, r, 1, 0, "discount");
  expect_error((accounting_line_in[]){{"1", 1, 0, 0}, {"1", 1, 0, 0}, {"1", 1, 0, 1}}, 3, r, 1, 2, "tax_code");
  /* quantity x price beyond int64 */
  expect_error((accounting_line_in[]){{"2", INT64_MAX, 0, -1}}, 1, r, 1, 0, "unit_price");
  /* fits, but adding the tax does not */
  expect_error((accounting_line_in[]){{"1", INT64_MAX - 10, 0, 0}}, 1, r, 1, 0, "unit_price");
  /* each line fits, the document total does not */
  expect_error((accounting_line_in[]){{"1", INT64_MAX / 2 + 1, 0, -1}, {"1", INT64_MAX / 2 + 1, 0, -1}}, 2, r, 1, 1,
               "unit_price");
  expect_error(NULL, 0, r, 1, -1, "lines");
  const accounting_tax_rate bad[] = {{.rate = ACCOUNTING_RATE_MAX + 1}};
  expect_error((accounting_line_in[]){{"1", 1, 0, -1}}, 1, bad, 1, -1, "rate");
}

static void test_largest_exact(void **state) {
  (void)state;
  /* a quantity with 4 decimals times a large price: exact via __int128, no drift */
  const accounting_line_in l[] = {{"0.3333", 3000000000000LL, 0, -1}};
  accounting_line_out out[1];
  accounting_doc_totals t;
  assert_true(accounting_doc_compute(l, 1, NULL, 0, out, NULL, &t, NULL));
  assert_int_equal(out[0].net, 999900000000LL);
}

/* ---- allocation ---- */

static void test_allocate_explicit(void **state) {
  (void)state;
  const accounting_open_item it[] = {{.open = 1000, .due_day = 10}, {.open = 500, .due_day = 5}};
  int64_t out[2], left;
  accounting_alloc_error err;
  assert_true(accounting_allocate_explicit(1200, it, (int64_t[]){700, 500}, 2, out, &left, &err));
  assert_int_equal(out[0], 700);
  assert_int_equal(out[1], 500);
  assert_int_equal(left, 0);
  assert_true(accounting_allocate_explicit(2000, it, (int64_t[]){100, 100}, 2, out, &left, &err));
  assert_int_equal(left, 1800);
  /* over one invoice */
  assert_false(accounting_allocate_explicit(2000, it, (int64_t[]){100, 501}, 2, out, &left, &err));
  assert_int_equal(err.item, 1);
  /* over the payment */
  assert_false(accounting_allocate_explicit(1000, it, (int64_t[]){900, 200}, 2, out, &left, &err));
  assert_int_equal(err.item, 1);
  assert_non_null(strstr(err.message, "payment"));
  assert_false(accounting_allocate_explicit(1000, it, (int64_t[]){0, 200}, 2, out, &left, &err));
  assert_int_equal(err.item, 0);
  assert_false(accounting_allocate_explicit(0, it, (int64_t[]){1, 1}, 2, out, &left, &err));
  assert_int_equal(err.item, -1);
}

static void test_allocate_oldest(void **state) {
  (void)state;
  const accounting_open_item it[] = {
      {.open = 1000, .due_day = 30, .seq = 3},
      {.open = 400, .due_day = 10, .seq = 2},
      {.open = 300, .due_day = 10, .seq = 1},
      {.open = 0, .due_day = 1, .seq = 9}, /* already paid: skipped */
  };
  int64_t out[4], left;
  assert_true(accounting_allocate_oldest(1200, it, 4, out, &left, NULL));
  assert_int_equal(out[2], 300); /* due 10, seq 1 */
  assert_int_equal(out[1], 400); /* due 10, seq 2 */
  assert_int_equal(out[0], 500); /* partly */
  assert_int_equal(out[3], 0);
  assert_int_equal(left, 0);
  assert_true(accounting_allocate_oldest(5000, it, 4, out, &left, NULL));
  assert_int_equal(out[0], 1000);
  assert_int_equal(left, 3300);
  assert_true(accounting_allocate_oldest(100, NULL, 0, out, &left, NULL));
  assert_int_equal(left, 100);
}

static void test_allocate_random_invariants(void **state) {
  (void)state;
  uint64_t s = 42;
  for (int round = 0; round < 2000; round++) {
    accounting_open_item it[16];
    int64_t out[16], left;
    const size_t n = (size_t)(round % 16) + 1;
    __int128 open_sum = 0;
    for (size_t i = 0; i < n; i++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      it[i] = (accounting_open_item){.open = (int64_t)(s >> 40) % 100000, .due_day = (int32_t)((s >> 20) % 90), .seq = (int64_t)i};
      open_sum += it[i].open;
    }
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    const int64_t pay = (int64_t)(s >> 44) % 800000 + 1;
    assert_true(accounting_allocate_oldest(pay, it, n, out, &left, NULL));
    __int128 sum = 0;
    for (size_t i = 0; i < n; i++) {
      assert_true(out[i] >= 0 && out[i] <= it[i].open);
      sum += out[i];
    }
    assert_true(sum + left == pay);
    assert_true(sum == (open_sum < pay ? open_sum : pay));
    /* an item later in due order gets money only when every earlier one is full */
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < n; j++)
        if (out[j] > 0 && (it[i].due_day < it[j].due_day || (it[i].due_day == it[j].due_day && i < j)))
          assert_int_equal(out[i], it[i].open);
  }
}

/* ---- aging ---- */

static void test_aging_default_edges(void **state) {
  (void)state;
  accounting_aging_bounds b;
  accounting_aging_default(&b);
  assert_true(accounting_aging_valid(&b));
  const int32_t due = 1000;
  assert_int_equal(accounting_aging_bucket(&b, due, 990), 0);  /* not yet due */
  assert_int_equal(accounting_aging_bucket(&b, due, 1000), 0); /* due today */
  assert_int_equal(accounting_aging_bucket(&b, due, 1001), 1);
  assert_int_equal(accounting_aging_bucket(&b, due, 1030), 1);
  assert_int_equal(accounting_aging_bucket(&b, due, 1031), 2);
  assert_int_equal(accounting_aging_bucket(&b, due, 1060), 2);
  assert_int_equal(accounting_aging_bucket(&b, due, 1061), 3);
  assert_int_equal(accounting_aging_bucket(&b, due, 1090), 3);
  assert_int_equal(accounting_aging_bucket(&b, due, 1091), 4);
  assert_int_equal(accounting_aging_bucket(&b, due, 5000), 4);
}

static void test_aging_custom_bounds(void **state) {
  (void)state;
  accounting_aging_bounds b = {.upper = {7, 14}, .n = 2};
  assert_true(accounting_aging_valid(&b));
  assert_int_equal(accounting_aging_bucket(&b, 0, 7), 1);
  assert_int_equal(accounting_aging_bucket(&b, 0, 8), 2);
  assert_int_equal(accounting_aging_bucket(&b, 0, 15), 3);
  accounting_aging_bounds bad1 = {.upper = {30, 30}, .n = 2}, bad2 = {.upper = {0}, .n = 1}, bad3 = {.n = 0},
                          bad4 = {.upper = {60, 30}, .n = 2};
  assert_false(accounting_aging_valid(&bad1));
  assert_false(accounting_aging_valid(&bad2));
  assert_false(accounting_aging_valid(&bad3));
  assert_false(accounting_aging_valid(&bad4));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decimal_parse),
      cmocka_unit_test(test_round_half_away),
      cmocka_unit_test(test_exclusive_lines),
      cmocka_unit_test(test_per_line_rounding_differs_from_total),
      cmocka_unit_test(test_inclusive_lines),
      cmocka_unit_test(test_zero_and_full_rates),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_largest_exact),
      cmocka_unit_test(test_allocate_explicit),
      cmocka_unit_test(test_allocate_oldest),
      cmocka_unit_test(test_allocate_random_invariants),
      cmocka_unit_test(test_aging_default_edges),
      cmocka_unit_test(test_aging_custom_bounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
