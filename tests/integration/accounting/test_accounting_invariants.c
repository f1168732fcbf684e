/* What must hold of the books however they are driven, through a real hubd and PostgreSQL:
 *   - 16 concurrent posters on one hot account with a no-overdraft rule: the final balance is
 *     exact, the rule is never broken, no deadlock or serialization failure reaches a caller;
 *   - a PostEntry whose hubd is SIGKILLed in the middle of the call, retried with the same id
 *     on a new hubd: exactly one entry, applied once;
 *   - a seeded random stream of thousands of valid and invalid entries (HUB_TEST_SEED to
 *     replay one): every outcome is the one a model of the books predicts, refused entries
 *     write nothing, the maintained balances and daily movements equal the raw postings, and so
 *     do the reports computed from each. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "books.h"

static hub_test_user alice, carol;

static int setup(void **state) {
  (void)state;
  if (!hub_world_up(&w, "accinv", NULL)) return -1;
  hub_world_signup_login(&w, "alice-invariants@example.com", "Alice Invariants", "smb_hub", &alice);
  hub_world_signup_login(&w, "carol-invariants@example.com", "Carol Property", "smb_hub", &carol);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}


static void sleep_ms(int ms) { nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL); }

/* Rows where the maintained balances or the daily movements differ from the raw posted lines
 * of the tenant (0 when the books agree with themselves), plus currencies whose debits and
 * credits differ over the whole tenant. */
static long disagreements(const char *tenant_id) {
  return acc_count(
      "WITH raw AS (SELECT l.account_id, l.currency, sum(l.amount) FILTER (WHERE l.side = 'debit') AS d,"
      "                    sum(l.amount) FILTER (WHERE l.side = 'credit') AS c"
      "             FROM accounting_lines l JOIN accounting_entries e ON e.tenant_id = l.tenant_id AND e.id = l.entry_id"
      "             WHERE l.tenant_id = '%1$s' AND e.status = 'posted' GROUP BY 1, 2),"
      " r AS (SELECT account_id, currency, coalesce(d, 0) AS d, coalesce(c, 0) AS c FROM raw WHERE coalesce(d, 0) + coalesce(c, 0) > 0),"
      " kept AS (SELECT account_id, currency, debits_posted AS d, credits_posted AS c FROM accounting_balances"
      "          WHERE tenant_id = '%1$s' AND debits_posted + credits_posted > 0),"
      " daily AS (SELECT account_id, currency, sum(debits) AS d, sum(credits) AS c FROM accounting_daily"
      "           WHERE tenant_id = '%1$s' GROUP BY 1, 2 HAVING sum(debits) + sum(credits) > 0),"
      " unbalanced AS (SELECT currency FROM r GROUP BY currency HAVING sum(d) <> sum(c))"
      " SELECT (SELECT count(*) FROM (SELECT * FROM r EXCEPT SELECT * FROM kept) x)"
      "      + (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM r) x)"
      "      + (SELECT count(*) FROM (SELECT * FROM r EXCEPT SELECT * FROM daily) x)"
      "      + (SELECT count(*) FROM (SELECT * FROM daily EXCEPT SELECT * FROM r) x)"
      "      + (SELECT count(*) FROM unbalanced)",
      tenant_id);
}

/* ---- 16 posters on one hot account ---- */

enum { POSTERS = 16, POSTS_EACH = 40, FUNDS = 1000 };

typedef struct poster {
  int idx;
  int64_t spent, deposited;
  int refused, other;
  char other_what[160];
} poster;

static void *poster_thread(void *arg) {
  poster *p = arg;
  unsigned seed = 1234u + (unsigned)p->idx;
  hub_arena *a = hub_arena_new(0);
  for (int i = 0; i < POSTS_EACH; i++) {
    int64_t amount = 2 + rand_r(&seed) % 2; /* 2 or 3: the demand always exceeds the funds */
    bool deposit = p->idx % 4 == 0 && i % 5 == 0;
    Entry *e = NULL;
    hub_status st = deposit ? acc_post(a, &alice, acc_entry2(a, NULL, "2026-11-10", "1091", "3010", amount), &e)
                            : acc_post(a, &alice, acc_entry2(a, NULL, "2026-11-10", "6020", "1091", amount), &e);
    if (hub_ok(st)) {
      if (deposit) p->deposited += amount;
      else p->spent += amount;
    } else if (st.code == HUB_FAILED_PRECONDITION && !deposit && strstr(st.message, "1091")) {
      p->refused++;
    } else {
      p->other++;
      snprintf(p->other_what, sizeof p->other_what, "%s %s", hub_code_name(st.code), st.message);
    }
  }
  hub_arena_free(a);
  return NULL;
}

static void test_hot_account_no_overdraft(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  int64_t zero = 0;
  Account *cash = NULL;
  Entry *e = NULL;
  CHECK(acc_create_account(a, &alice, "1091", HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_ASSET, &zero, &cash),
        "CreateAccount");
  CHECK(acc_post(a, &alice, acc_entry2(a, NULL, "2026-11-09", "1091", "3010", FUNDS), &e), "fund");
  poster jobs[POSTERS] = {0};
  pthread_t th[POSTERS];
  for (int i = 0; i < POSTERS; i++) {
    jobs[i].idx = i;
    pthread_create(&th[i], NULL, poster_thread, &jobs[i]);
  }
  for (int i = 0; i < POSTERS; i++) pthread_join(th[i], NULL);
  int64_t spent = 0, deposited = 0;
  int refused = 0;
  for (int i = 0; i < POSTERS; i++) {
    if (jobs[i].other) fail_msg("poster %d: %d unexpected results, e.g. %s", i, jobs[i].other, jobs[i].other_what);
    spent += jobs[i].spent, deposited += jobs[i].deposited, refused += jobs[i].refused;
  }
  int64_t final = acc_balance_of(a, &alice, "1091", NULL);
  printf("hot account: %d posts, %lld spent, %lld deposited, %d refused, final balance %lld\n",
         POSTERS * POSTS_EACH, (long long)spent, (long long)deposited, refused, (long long)final);
  assert_true(refused > 0);
  assert_true(final >= 0);
  assert_int_equal(final, FUNDS + deposited - spent);
  assert_true(final < 3); /* every refusal saw too little; the last ones leave less than 3 */
  assert_int_equal(disagreements(alice.tenant_id), 0);
  hub_arena_free(a);
}

/* ---- SIGKILL in the middle of a PostEntry ---- */

typedef struct killed_call {
  EntryInput *entry;
  hub_status st;
} killed_call;

/* On a channel of its own: the world's channel is replaced while this call is in flight. */
static void *killed_call_thread(void *arg) {
  killed_call *k = arg;
  hub_channel *ch = hub_channel_new(w.target, NULL);
  hub_arena *a = hub_arena_new(0);
  Hub__Accounting__V1__PostEntryRequest req = HUB__ACCOUNTING__V1__POST_ENTRY_REQUEST__INIT;
  req.entry = k->entry;
  hub_call_options o = hub_world_opts(&alice);
  o.timeout_ms = 15000;
  Entry *out = NULL;
  k->st = hub_accounting_v1_accounting_post_entry_call(ch, &o, a, &req, &out);
  hub_arena_free(a);
  hub_channel_free(ch);
  return NULL;
}

static long waiting_on_locks(void) {
  return acc_count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                   " AND wait_event_type = 'Lock'%s",
                   "");
}

static void test_retry_after_sigkill_mid_call(void **state) {
  (void)state;
  hub_arena *a = hub_arena_new(0);
  const char *id = "0190c000-0000-7000-8000-000000000111";
  int64_t before = acc_balance_of(a, &alice, "1020", NULL);
  Entry *e = NULL;
  CHECK(acc_post(a, &alice, acc_entry2(a, NULL, "2026-11-11", "1020", "4010", 1), &e), "a first posting to 1020");
  before += 1;

  /* Hold every balance row so the posting stops inside its transaction, after hubd sent it. */
  PGconn *holder = PQconnectdb(w.stack.owner_url);
  assert_int_equal(PQstatus(holder), CONNECTION_OK);
  PQclear(PQexec(holder, "BEGIN"));
  PGresult *r = PQexec(holder, "LOCK TABLE accounting_balances IN EXCLUSIVE MODE");
  assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
  PQclear(r);

  killed_call k = {.entry = acc_entry2(a, id, "2026-11-11", "1020", "4010", 777)};
  pthread_t th;
  pthread_create(&th, NULL, killed_call_thread, &k);
  int waited = 0;
  while (waiting_on_locks() < 1 && waited < 10000) sleep_ms(20), waited += 20;
  assert_true(waiting_on_locks() >= 1);
  assert_true(hub_world_restart(&w)); /* SIGKILL while the posting waits in PostgreSQL */
  pthread_join(th, NULL);
  assert_false(hub_ok(k.st));
  printf("the killed call ended with %s\n", hub_code_name(k.st.code));

  /* Let the orphaned transaction finish (it commits or rolls back; either is fine) and its
   * backend go, then retry. */
  PQclear(PQexec(holder, "COMMIT"));
  PQfinish(holder);
  for (waited = 0; waiting_on_locks() > 0 && waited < 10000; waited += 20) sleep_ms(20);
  for (waited = 0; waited < 10000; waited += 20) {
    if (acc_count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                  " AND state = 'active' AND pid <> pg_backend_pid()%s",
                  "") == 0)
      break;
    sleep_ms(20);
  }
  long landed_before_retry = acc_count("SELECT count(*) FROM accounting_entries WHERE id = '%s'", id);
  printf("the orphaned transaction %s\n", landed_before_retry ? "committed" : "rolled back");

  Entry *again = NULL;
  CHECK(acc_post(a, &alice, acc_entry2(a, id, "2026-11-11", "1020", "4010", 777), &again), "retry");
  assert_string_equal(again->id, id);
  CHECK(acc_post(a, &alice, acc_entry2(a, id, "2026-11-11", "1020", "4010", 777), &again), "retry again");
  assert_int_equal(acc_count("SELECT count(*) FROM accounting_entries WHERE id = '%s'", id), 1);
  assert_int_equal(acc_count("SELECT count(*) FROM accounting_lines WHERE entry_id = '%s'", id), 2);
  assert_int_equal(acc_balance_of(a, &alice, "1020", NULL), before + 777);
  assert_int_equal(disagreements(alice.tenant_id), 0);
  hub_arena_free(a);
}

/* ---- a seeded random stream against a model of the books ---- */

enum { P_ACCOUNTS = 6, P_BATCHES = 24, P_BATCH = 100 };

/* The model: posted debits and credits per account (all USD), in the order the server applies. */
typedef struct model {
  const char *code[P_ACCOUNTS];
  bool debit_normal[P_ACCOUNTS];
  int64_t d[P_ACCOUNTS], c[P_ACCOUNTS];
  /* The ids of the entries posted so far, for repeats. */
  char (*ids)[37];
  int n_ids;
} model;

/* Account 0 may not go below zero (debit-normal, min balance 0). */
static int64_t balance_of0(const model *m) { return m->d[0] - m->c[0]; }

typedef enum { K_VALID, K_UNBALANCED, K_UNKNOWN_ACCOUNT, K_OVERDRAFT, K_SAME_ID_OTHER_BODY, K_SAME_ID_SAME_BODY } kind;

typedef struct planned {
  kind k;
  int acct[6]; /* up to 5 lines, and one more for a drain */
  int side[6];
  int64_t amount[6];
  int n;
} planned;

static void make_id(unsigned *seed, char out[37]) {
  snprintf(out, 37, "0190d%03x-%04x-7%03x-8%03x-%012llx", rand_r(seed) % 4096, rand_r(seed) % 65536,
           rand_r(seed) % 4096, rand_r(seed) % 4096,
           (unsigned long long)rand_r(seed) << 16 ^ (unsigned long long)rand_r(seed));
}

static EntryInput *build(hub_arena *a, const model *m, const planned *p, const char *id, int day) {
  EntryInput *e = hub_arena_alloc(a, sizeof *e);
  hub__accounting__v1__entry_input__init(e);
  e->id = hub_arena_strdup(a, id);
  char *date = hub_arena_alloc(a, 11);
  snprintf(date, 11, "2026-10-%02d", day);
  e->date = date;
  e->description = "property";
  e->n_lines = (size_t)p->n;
  e->lines = hub_arena_alloc(a, (size_t)p->n * sizeof *e->lines);
  static const char *brands[] = {"", "exakeep", "addvive"};
  for (int i = 0; i < p->n; i++) {
    const char *code = p->k == K_UNKNOWN_ACCOUNT && i == p->n - 1 ? "NOPE9" : m->code[p->acct[i]];
    e->lines[i] = acc_line(a, code, p->side[i], p->amount[i], "USD");
    e->lines[i]->brand = (char *)brands[(p->amount[i] + i) % 3];
  }
  return e;
}

/* A balanced entry of 2..5 lines, debits first, every amount at least 1, never crediting
 * account 0 unless `drain` (then one more line credits it by more than it holds). */
static void plan_valid(unsigned *seed, const model *m, planned *p, bool drain) {
  p->n = 2 + rand_r(seed) % 4;
  int debits = 1 + rand_r(seed) % (p->n - 1), credits = p->n - debits;
  int64_t total = 0;
  for (int i = 0; i < debits; i++) {
    p->acct[i] = rand_r(seed) % P_ACCOUNTS;
    p->side[i] = DR;
    p->amount[i] = 1 + rand_r(seed) % 100000;
    total += p->amount[i];
  }
  if (total < credits) p->amount[0] += credits - total, total = credits;
  int64_t left = total;
  for (int i = debits; i < p->n; i++) {
    int after = p->n - 1 - i; /* credit lines still to come, each needing at least 1 */
    p->acct[i] = 1 + rand_r(seed) % (P_ACCOUNTS - 1);
    p->side[i] = CR;
    p->amount[i] = after == 0 ? left : 1 + rand_r(seed) % (left - after);
    left -= p->amount[i];
  }
  if (drain) {
    if (p->acct[0] == 0) p->acct[0] = 1;
    int64_t over = balance_of0(m) + 1 + rand_r(seed) % 1000;
    p->amount[0] += over;
    p->acct[p->n] = 0, p->side[p->n] = CR, p->amount[p->n] = over;
    p->n++;
  }
}

/* Would the model accept it, and what it does to the model when it does. */
static bool model_apply(model *m, const planned *p, bool apply) {
  int64_t d0 = 0, c0 = 0;
  for (int i = 0; i < p->n; i++)
    if (p->acct[i] == 0) *(p->side[i] == DR ? &d0 : &c0) += p->amount[i];
  if (c0 > d0 && balance_of0(m) + d0 - c0 < 0) return false;
  if (apply)
    for (int i = 0; i < p->n; i++) (p->side[i] == DR ? m->d : m->c)[p->acct[i]] += p->amount[i];
  return true;
}

static void test_random_stream_against_model(void **state) {
  (void)state;
  const char *env_seed = getenv("HUB_TEST_SEED");
  unsigned seed = env_seed ? (unsigned)strtoul(env_seed, NULL, 10) : (unsigned)time(NULL);
  printf("property stream: HUB_TEST_SEED=%u\n", seed);
  hub_arena *setup_arena = hub_arena_new(0);
  model m = {.code = {"P100", "P200", "P300", "P400", "P500", "P600"}};
  static const int types[P_ACCOUNTS] = {
      HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_ASSET,     HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_EXPENSE,
      HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_LIABILITY, HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_INCOME,
      HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_EQUITY,    HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_ASSET};
  char ids_store[P_BATCHES * P_BATCH][37];
  m.ids = ids_store;
  int64_t zero = 0;
  for (int i = 0; i < P_ACCOUNTS; i++) {
    Account *acc = NULL;
    CHECK(acc_create_account(setup_arena, &carol, m.code[i], types[i], i == 0 ? &zero : NULL, &acc), m.code[i]);
    m.debit_normal[i] = acc->normal_side == DR;
  }
  /* The stored entries, by index into ids_store, with their plans, for same-id repeats. */
  planned *plans = calloc(P_BATCHES * P_BATCH, sizeof *plans);
  int *days = calloc(P_BATCHES * P_BATCH, sizeof *days);
  int counts[6] = {0}, posted_total = 0;
  hub_call_options o = hub_world_opts(&carol);
  o.timeout_ms = 60000;
  for (int b = 0; b < P_BATCHES; b++) {
    hub_arena *a = hub_arena_new(0);
    Hub__Accounting__V1__PostEntriesRequest req = HUB__ACCOUNTING__V1__POST_ENTRIES_REQUEST__INIT;
    req.each_on_its_own = b % 6 != 5; /* every sixth batch all or none, with one bad entry */
    req.n_entries = P_BATCH;
    req.entries = hub_arena_alloc(a, P_BATCH * sizeof *req.entries);
    planned batch[P_BATCH];
    char batch_ids[P_BATCH][37];
    bool expect_ok[P_BATCH];
    model before = m;
    int bad_at = rand_r(&seed) % P_BATCH;
    for (int i = 0; i < P_BATCH; i++) {
      planned *p = &batch[i];
      memset(p, 0, sizeof *p);
      int roll = rand_r(&seed) % 100;
      p->k = !req.each_on_its_own ? (i == bad_at ? K_UNBALANCED : K_VALID)
             : roll < 70                 ? K_VALID
             : roll < 76                 ? K_UNBALANCED
             : roll < 82                 ? K_UNKNOWN_ACCOUNT
             : roll < 90                 ? K_OVERDRAFT
             : roll < 95 && m.n_ids      ? K_SAME_ID_OTHER_BODY
             : m.n_ids                   ? K_SAME_ID_SAME_BODY
                                         : K_VALID;
      int day = 1 + rand_r(&seed) % 28;
      if (p->k == K_SAME_ID_OTHER_BODY || p->k == K_SAME_ID_SAME_BODY) {
        kind chosen = p->k;
        int j = rand_r(&seed) % m.n_ids;
        *p = plans[j];
        p->k = chosen;
        day = days[j];
        memcpy(batch_ids[i], m.ids[j], 37);
        /* Another body that still balances: line 0 is a debit, the last line a credit. */
        if (chosen == K_SAME_ID_OTHER_BODY) p->amount[0]++, p->amount[p->n - 1]++;
      } else {
        plan_valid(&seed, &m, p, p->k == K_OVERDRAFT);
        if (p->k == K_UNBALANCED) p->amount[rand_r(&seed) % p->n] += 1 + rand_r(&seed) % 50;
        make_id(&seed, batch_ids[i]);
      }
      req.entries[i] = build(a, &m, p, batch_ids[i], day);
      /* Valid ones always fit; an overdraft attempt fits only when account 0's other debits
       * in it cover the drain; repeats with the same body are accepted without applying. */
      expect_ok[i] = p->k == K_VALID || p->k == K_OVERDRAFT ? model_apply(&m, p, true) : p->k == K_SAME_ID_SAME_BODY;
      if ((p->k == K_VALID || p->k == K_OVERDRAFT) && expect_ok[i]) {
        memcpy(m.ids[m.n_ids], batch_ids[i], 37);
        plans[m.n_ids] = *p;
        days[m.n_ids] = day;
        m.n_ids++;
      }
      counts[p->k]++;
    }
    Hub__Accounting__V1__PostEntriesResponse *resp = NULL;
    hub_status st = hub_accounting_v1_accounting_post_entries_call(w.ch, &o, a, &req, &resp);
    if (!req.each_on_its_own) {
      /* One unbalanced entry refuses them all and nothing is applied. */
      assert_int_equal(st.code, HUB_INVALID_ARGUMENT);
      char field[64];
      snprintf(field, sizeof field, "entries[%d].lines", bad_at);
      if (!acc_violation_on(st, field)) fail_msg("batch %d: expected a violation on %s: %s", b, field, st.message);
      m = before; /* the model forgets the whole batch, ids included */
      hub_arena_free(a);
      continue;
    }
    CHECK(st, "PostEntries");
    assert_int_equal(resp->n_results, P_BATCH);
    for (int i = 0; i < P_BATCH; i++) {
      Hub__Accounting__V1__EntryResult *r = resp->results[i];
      bool ok = !strcmp(r->outcome, "posted") || !strcmp(r->outcome, "exists");
      if (ok != expect_ok[i])
        fail_msg("seed %u batch %d entry %d (kind %d): expected %s, got %s %s %s %s", seed, b, i, batch[i].k,
                 expect_ok[i] ? "accepted" : "refused", r->outcome, r->code, r->field, r->message);
      if (batch[i].k == K_SAME_ID_SAME_BODY) assert_string_equal(r->outcome, "exists");
      if (batch[i].k == K_SAME_ID_OTHER_BODY) assert_string_equal(r->code, "ALREADY_EXISTS");
      if (batch[i].k == K_OVERDRAFT && !ok) {
        assert_string_equal(r->code, "FAILED_PRECONDITION");
        assert_non_null(strstr(r->message, "P100"));
      }
      if (batch[i].k == K_UNKNOWN_ACCOUNT) assert_non_null(strstr(r->field, "account_code"));
      if (batch[i].k == K_UNBALANCED) assert_non_null(strstr(r->field, "lines"));
      posted_total += !strcmp(r->outcome, "posted");
    }
    hub_arena_free(a);
  }
  printf("property stream: valid %d, unbalanced %d, unknown account %d, overdraft %d, same id other body %d,"
         " same id same body %d; %d posted\n",
         counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], posted_total);
  assert_int_equal(posted_total, m.n_ids);
  assert_int_equal(acc_count("SELECT count(*) FROM accounting_entries WHERE tenant_id = '%s'", carol.tenant_id),
                   m.n_ids);
  /* The server's balances are the model's, account by account. */
  for (int i = 0; i < P_ACCOUNTS; i++) {
    Hub__Accounting__V1__GetAccountRequest greq = HUB__ACCOUNTING__V1__GET_ACCOUNT_REQUEST__INIT;
    greq.code = (char *)m.code[i];
    Account *acc = NULL;
    CHECK(hub_accounting_v1_accounting_get_account_call(w.ch, &o, setup_arena, &greq, &acc), "GetAccount");
    int64_t d = 0, c = 0;
    for (size_t j = 0; j < acc->n_balances; j++) d += acc->balances[j]->debits_minor, c += acc->balances[j]->credits_minor;
    if (d != m.d[i] || c != m.c[i])
      fail_msg("seed %u account %s: server %lld/%lld, model %lld/%lld", seed, m.code[i], (long long)d, (long long)c,
               (long long)m.d[i], (long long)m.c[i]);
  }
  assert_true(balance_of0(&m) >= 0);
  assert_int_equal(disagreements(carol.tenant_id), 0);
  /* Reports from the maintained movements equal reports rebuilt from the raw postings. */
  Report *tb = acc_report_both_ways(setup_arena, &carol, HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_TRIAL_BALANCE,
                                    "2026-10-08", "2026-10-21", NULL, NULL);
  assert_int_equal(tb->totals[0]->amounts[1], tb->totals[0]->amounts[2]); /* debits = credits */
  assert_int_equal(tb->totals[0]->amounts[3], 0);
  acc_report_both_ways(setup_arena, &carol, HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_INCOME_STATEMENT, "2026-10-01",
                       "2026-10-31", "brand", "addvive");
  Report *bs = acc_report_both_ways(setup_arena, &carol, HUB__ACCOUNTING__V1__REPORT_KIND__REPORT_KIND_BALANCE_SHEET, "",
                                    "2026-10-15", NULL, NULL);
  assert_int_equal(bs->totals[0]->amounts[0], bs->totals[3]->amounts[0]); /* assets = liabilities + equity */
  free(plans);
  free(days);
  hub_arena_free(setup_arena);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hot_account_no_overdraft),
      cmocka_unit_test(test_retry_after_sigkill_mid_call),
      cmocka_unit_test(test_random_stream_against_model),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
