/* Exact document arithmetic (see invoice_math.h for the rounding rules and why they are per line). */
#include "services/accounting/invoice_math.h"

#include <stdio.h>
#include <string.h>

static const int64_t pow10_tab[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

bool accounting_decimal_parse(const char *s, int max_decimals, int64_t *scaled) {
  if (!s || max_decimals < 0 || max_decimals > 8) return false;
  __int128 v = 0;
  int int_digits = 0, frac_digits = 0;
  bool point = false;
  for (const char *p = s; *p; p++) {
    if (*p == '.') {
      if (point || int_digits == 0) return false;
      point = true;
      continue;
    }
    if (*p < '0' || *p > '9') return false;
    if (point) {
      if (++frac_digits > max_decimals) return false;
    } else {
      int_digits++;
    }
    v = v * 10 + (*p - '0');
    if (v > INT64_MAX) return false;
  }
  if (int_digits == 0 || (point && frac_digits == 0)) return false;
  v *= pow10_tab[max_decimals - frac_digits];
  if (v > INT64_MAX) return false;
  *scaled = (int64_t)v;
  return true;
}

int accounting_decimal_format(int64_t scaled, int decimals, char *buf, size_t cap) {
  if (decimals < 0 || decimals > 8) decimals = 0;
  const int64_t p = pow10_tab[decimals];
  const char *sign = scaled < 0 ? "-" : "";
  /* magnitude in unsigned arithmetic so INT64_MIN formats too */
  uint64_t mag = scaled < 0 ? (uint64_t)0 - (uint64_t)scaled : (uint64_t)scaled;
  uint64_t ip = mag / (uint64_t)p, fp = mag % (uint64_t)p;
  if (fp == 0) return snprintf(buf, cap, "%s%llu", sign, (unsigned long long)ip);
  int width = decimals;
  while (fp % 10 == 0) {
    fp /= 10;
    width--;
  }
  return snprintf(buf, cap, "%s%llu.%0*llu", sign, (unsigned long long)ip, width, (unsigned long long)fp);
}

__int128 accounting_div_round(__int128 num, __int128 den) {
  const bool neg = num < 0;
  const __int128 mag = neg ? -num : num;
  const __int128 q = (mag + den / 2) / den; /* half away from zero on the magnitude */
  return neg ? -q : q;
}

static bool fail(accounting_doc_error *err, int line, const char *field, const char *msg) {
  if (err) {
    err->line = line;
    err->field = field;
    if (line >= 0)
      snprintf(err->message, sizeof err->message, "lines[%d].%s: %s", line, field, msg);
    else
      snprintf(err->message, sizeof err->message, "%s: %s", field, msg);
  }
  return false;
}

static bool fits(__int128 v) { return v >= INT64_MIN && v <= INT64_MAX; }

bool accounting_doc_compute(const accounting_line_in *lines, size_t n, const accounting_tax_rate *rates,
                            size_t n_rates, accounting_line_out *out, accounting_tax_total *per_tax,
                            accounting_doc_totals *totals, accounting_doc_error *err) {
  if (n == 0) return fail(err, -1, "lines", "at least one line is required");
  if (n > ACCOUNTING_DOC_LINES_MAX) return fail(err, -1, "lines", "too many lines");
  if (n_rates > ACCOUNTING_DOC_TAX_CODES_MAX) return fail(err, -1, "tax_codes", "too many tax codes");
  for (size_t r = 0; r < n_rates; r++) {
    if (rates[r].rate < 0 || rates[r].rate > ACCOUNTING_RATE_MAX)
      return fail(err, -1, "rate", "a tax rate must be between 0 and 100 percent");
    per_tax[r].base = per_tax[r].tax = 0;
  }
  __int128 sum_net = 0, sum_tax = 0, sum_gross = 0, sum_untaxed = 0;
  __int128 base[ACCOUNTING_DOC_TAX_CODES_MAX] = {0}, tax[ACCOUNTING_DOC_TAX_CODES_MAX] = {0};
  for (size_t i = 0; i < n; i++) {
    const accounting_line_in *l = &lines[i];
    const int li = (int)i;
    int64_t q;
    if (!accounting_decimal_parse(l->quantity, 4, &q))
      return fail(err, li, "quantity", "must be a decimal number with at most 4 decimals");
    if (q == 0) return fail(err, li, "quantity", "must be greater than zero");
    if (l->unit_price < 0) return fail(err, li, "unit_price", "must not be negative");
    if (l->discount < 0) return fail(err, li, "discount", "must not be negative");
    if (l->tax_index < -1 || l->tax_index >= (int)n_rates) return fail(err, li, "tax_code", "unknown tax code");
    const __int128 amount0 = accounting_div_round((__int128)q * l->unit_price, ACCOUNTING_QTY_SCALE);
    if (!fits(amount0)) return fail(err, li, "unit_price", "quantity x unit price is too large");
    if (l->discount > amount0) return fail(err, li, "discount", "must not exceed quantity x unit price");
    const __int128 amount = amount0 - l->discount;
    __int128 net = amount, t = 0, gross = amount;
    if (l->tax_index >= 0) {
      const accounting_tax_rate *r = &rates[l->tax_index];
      const __int128 hundred = (__int128)100 * ACCOUNTING_RATE_SCALE;
      if (r->inclusive) {
        t = accounting_div_round(amount * r->rate, hundred + r->rate);
        net = amount - t;
      } else {
        t = accounting_div_round(amount * r->rate, hundred);
        gross = amount + t;
      }
      if (!fits(gross)) return fail(err, li, "unit_price", "line total with tax is too large");
      base[l->tax_index] += net;
      tax[l->tax_index] += t;
    } else {
      sum_untaxed += net;
    }
    out[i] = (accounting_line_out){.quantity_scaled = q, .net = (int64_t)net, .tax = (int64_t)t, .gross = (int64_t)gross};
    sum_net += net;
    sum_tax += t;
    sum_gross += gross;
    /* n <= 1000 lines of int64 cannot overflow __int128; only the int64 result can */
    if (!fits(sum_gross)) return fail(err, li, "unit_price", "document total is too large");
  }
  for (size_t r = 0; r < n_rates; r++) {
    per_tax[r].base = (int64_t)base[r];
    per_tax[r].tax = (int64_t)tax[r];
  }
  *totals = (accounting_doc_totals){
      .net = (int64_t)sum_net, .tax = (int64_t)sum_tax, .gross = (int64_t)sum_gross, .untaxed_net = (int64_t)sum_untaxed};
  return true;
}
