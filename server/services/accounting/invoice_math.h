/* Document totals for sales invoices, purchase bills and credit notes, pure and exact: no
 * floating point anywhere. Quantities and tax rates arrive as decimal strings (the contract
 * carries them as text so nothing is lost in a double); money is int64 minor units.
 *
 * Rounding (documented in docs/accounting.md, "Documents"): per line, half away from zero.
 *   amount = round(quantity x unit_price) - discount
 *   exclusive tax: net = amount, tax = round(amount x rate / 100), gross = net + tax
 *   inclusive tax: gross = amount, tax = round(amount x rate / (100 + rate)), net = gross - tax
 * Per-tax-code totals and document totals are sums of the rounded lines, so the document's
 * entry (one line per tax code) always balances to the cent. Products are taken in __int128
 * and every result is checked against int64 before it is stored. */
#ifndef HUB_SERVICES_ACCOUNTING_INVOICE_MATH_H
#define HUB_SERVICES_ACCOUNTING_INVOICE_MATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACCOUNTING_QTY_SCALE 10000     /* quantities: up to 4 decimals */
#define ACCOUNTING_RATE_SCALE 10000    /* tax rates in percent: up to 4 decimals */
#define ACCOUNTING_RATE_MAX (100 * ACCOUNTING_RATE_SCALE) /* 100% */
#define ACCOUNTING_DOC_LINES_MAX 1000
#define ACCOUNTING_DOC_TAX_CODES_MAX 64

/* Parses an unsigned decimal ("12", "0.5", "7.25") with at most max_decimals digits after the
 * point into value x 10^max_decimals. No sign, no exponent, no spaces, at least one digit
 * before the point. Returns false on any other text or on overflow past INT64_MAX. */
bool accounting_decimal_parse(const char *s, int max_decimals, int64_t *scaled);

/* Writes scaled / 10^decimals as the shortest exact decimal ("7.25", "12", "0.0001");
 * returns the length written (buf must hold at least 24 bytes). */
int accounting_decimal_format(int64_t scaled, int decimals, char *buf, size_t cap);

/* Rounds num / den half away from zero; den > 0. */
__int128 accounting_div_round(__int128 num, __int128 den);

typedef struct accounting_tax_rate {
  int64_t rate;      /* percent x ACCOUNTING_RATE_SCALE, 0..ACCOUNTING_RATE_MAX */
  bool inclusive;    /* prices already contain the tax */
  bool recoverable;  /* purchase tax that may be reclaimed (input tax) */
} accounting_tax_rate;

typedef struct accounting_line_in {
  const char *quantity; /* exact decimal, > 0, up to 4 decimals */
  int64_t unit_price;   /* minor units, >= 0 */
  int64_t discount;     /* minor units off the line amount, 0..amount */
  int tax_index;        /* index into the document's tax rates, -1 for an untaxed line */
} accounting_line_in;

typedef struct accounting_line_out {
  int64_t quantity_scaled; /* quantity x ACCOUNTING_QTY_SCALE */
  int64_t net, tax, gross;
} accounting_line_out;

typedef struct accounting_tax_total {
  int64_t base; /* sum of the net of lines with this tax code */
  int64_t tax;
} accounting_tax_total;

typedef struct accounting_doc_totals {
  int64_t net, tax, gross;
  int64_t untaxed_net; /* lines without a tax code */
} accounting_doc_totals;

/* Why a document was refused: the line (or -1 for the document) and the field named the way
 * the contract names it, so the caller can put both into its INVALID_ARGUMENT message. */
typedef struct accounting_doc_error {
  int line;
  const char *field;
  char message[160];
} accounting_doc_error;

/* Computes every line (out[n]), the total per tax rate (per_tax[n_rates], zeroed first) and
 * the document's totals. Returns true, or false with err filled and the outputs unspecified.
 * n is 1..ACCOUNTING_DOC_LINES_MAX and n_rates 0..ACCOUNTING_DOC_TAX_CODES_MAX. */
bool accounting_doc_compute(const accounting_line_in *lines, size_t n, const accounting_tax_rate *rates,
                            size_t n_rates, accounting_line_out *out, accounting_tax_total *per_tax,
                            accounting_doc_totals *totals, accounting_doc_error *err);

#endif
