/* An OFX statement (1.x SGML or 2.x XML) as rows, read by libofx. libofx reads only files and
 * keeps state in globals (its message switches, OpenSP underneath), so a parse writes the upload
 * to a private temporary file and runs under one lock. libofx gives amounts as doubles: they are
 * rounded to the currency's minor units once its exponent is known (exact for any amount below
 * 2^53 minor units; a zero amount is dropped then),
 * and days as times, taken in UTC (libofx puts a bare day at 10:59 UTC, so it stays that day).
 * One account per file: a file of several is refused rather than mixed into one account. */
#include <errno.h>
#include <libofx/libofx.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "services/accounting/bank_parse.h"

static pthread_mutex_t ofx_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct ofx_state {
  hub_arena *a;
  accounting_bank_parsed *out;
  char account[OFX_ACCOUNT_ID_LENGTH];
  int accounts;
  bool bad, too_many;
} ofx_state;

/* False for a day outside years 1..9999 (a date libofx could not read comes as 0 or garbage). */
static bool day_of(time_t t, char out[11]) {
  struct tm tm;
  if (!gmtime_r(&t, &tm) || tm.tm_year < 1 - 1900 || tm.tm_year > 9999 - 1900) return false;
  return strftime(out, 11, "%Y-%m-%d", &tm) == 10;
}

static bool minor_units(double v, double scale, int64_t *out) {
  double x = v * scale;
  if (!isfinite(x) || fabs(x) > 9.0e15) return false;
  *out = (int64_t)llround(x);
  return true;
}

bool accounting_bank_ofx_scale(accounting_bank_parsed *p, int exp) {
  double scale = pow(10.0, exp);
  size_t kept = 0;
  for (size_t i = 0; i < p->n; i++) {
    if (!minor_units(p->raw[i], scale, &p->rows[i].amount)) return false;
    if (p->rows[i].amount) p->rows[kept] = p->rows[i], p->raw[kept++] = p->raw[i];
  }
  p->n = kept;
  return !p->has_closing || minor_units(p->raw_closing, scale, &p->closing);
}

static int on_account(const struct OfxAccountData d, void *ud) {
  ofx_state *s = ud;
  if (!s->accounts || strcmp(s->account, d.account_id)) s->accounts++;
  snprintf(s->account, sizeof s->account, "%s", d.account_id);
  return 0;
}

static int on_statement(const struct OfxStatementData d, void *ud) {
  ofx_state *s = ud;
  if (d.currency_valid) s->out->currency = hub_arena_strdup(s->a, d.currency);
  if (d.ledger_balance_valid && d.ledger_balance_date_valid) {
    s->out->raw_closing = d.ledger_balance;
    if (!day_of(d.ledger_balance_date, s->out->closing_date)) s->bad = true;
    s->out->has_closing = true;
  }
  return 0;
}

static int on_transaction(const struct OfxTransactionData d, void *ud) {
  ofx_state *s = ud;
  accounting_bank_parsed *o = s->out;
  if (!d.amount_valid || !d.date_posted_valid) {
    s->bad = true;
    return 0;
  }
  if (o->n == ACCOUNTING_BANK_ROWS_MAX) {
    s->too_many = true;
    return 0;
  }
  accounting_bank_row *r = &o->rows[o->n];
  if (!isfinite(d.amount)) {
    s->bad = true;
    return 0;
  }
  o->raw[o->n] = d.amount;
  if (!day_of(d.date_posted, r->date)) {
    s->bad = true;
    return 0;
  }
  const char *name = d.name_valid ? d.name : "", *memo = d.memo_valid ? d.memo : "";
  r->description = *name && *memo ? hub_arena_sprintf(s->a, "%s %s", name, memo) : hub_arena_strdup(s->a, *name ? name : memo);
  r->reference = hub_arena_strdup(s->a, d.check_number_valid ? d.check_number : d.reference_number_valid ? d.reference_number : "");
  r->external_id = hub_arena_strdup(s->a, d.fi_id_valid ? d.fi_id : "");
  o->n++;
  return 0;
}

hub_status accounting_bank_parse_ofx(hub_arena *a, const char *text, accounting_bank_parsed *out) {
  memset(out, 0, sizeof *out);
  out->rows = hub_arena_alloc(a, ACCOUNTING_BANK_ROWS_MAX * sizeof *out->rows);
  out->raw = hub_arena_alloc(a, ACCOUNTING_BANK_ROWS_MAX * sizeof *out->raw);
  const char *dir = getenv("TMPDIR");
  char path[512];
  snprintf(path, sizeof path, "%s/hub-ofx-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path); /* mode 0600: the statement is nobody else's to read */
  if (fd < 0) return hub_status_new(a, HUB_INTERNAL, "ofx: no temporary file: %s", strerror(errno));
  size_t len = strlen(text), done = 0;
  while (done < len) {
    ssize_t w = write(fd, text + done, len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      close(fd), unlink(path);
      return hub_status_new(a, HUB_INTERNAL, "ofx: temporary file: %s", strerror(errno));
    }
    done += (size_t)w;
  }
  close(fd);
  ofx_state s = {.a = a, .out = out};
  pthread_mutex_lock(&ofx_lock);
  ofx_PARSER_msg = ofx_DEBUG_msg = ofx_STATUS_msg = ofx_INFO_msg = ofx_WARNING_msg = ofx_ERROR_msg = 0; /* never our logs */
  LibofxContextPtr ctx = libofx_get_new_context();
  ofx_set_account_cb(ctx, on_account, &s);
  ofx_set_statement_cb(ctx, on_statement, &s);
  ofx_set_transaction_cb(ctx, on_transaction, &s);
  int rc = libofx_proc_file(ctx, path, OFX);
  libofx_free_context(ctx);
  pthread_mutex_unlock(&ofx_lock);
  unlink(path);
  if (s.accounts > 1) return hub_status_invalid(a, "content", "the file holds %d accounts; import one at a time", s.accounts);
  if (s.too_many) return hub_status_invalid(a, "content", "more than %d transactions", ACCOUNTING_BANK_ROWS_MAX);
  if (s.bad) return hub_status_invalid(a, "content", "a transaction without a valid amount or date");
  if (rc != 0 || s.accounts == 0) return hub_status_invalid(a, "content", "not an OFX bank statement");
  return HUB_STATUS_OK;
}
