/* Isolation and authorization matrices generated from the contract: every RPC in the
 * generated method table is covered without anyone listing it here.
 *
 *   - Cross-tenant: for every tenant-scoped RPC (a permission outside "platform."), tenant
 *     A's owner calls it with a request whose fields point at tenant B's objects (filled by
 *     field name from B's fixtures, through the generated descriptors). An RPC that names one
 *     of B's objects must answer NOT_FOUND; any other answer must not carry B's data; and B's
 *     rows must be byte-for-byte unchanged afterwards. A request field that looks like an id
 *     but has no fixture fails the test, so a new RPC cannot slip through unexamined.
 *   - x-tenant-id: A's token, and A's API key, naming tenant B are refused on every
 *     tenant-scoped RPC.
 *   - Roles: every role (owner, admin, member, viewer) against every RPC's declared
 *     permission, expected outcome computed from the role_permissions table itself; platform
 *     permissions against a platform administrator and a tenant owner. Each role again as a
 *     service account calling with an API key: the same expectations, platform permissions
 *     refused, and every {authenticated} RPC (a person's own) refused too.
 *   - Every served RPC has a handler (none answers UNIMPLEMENTED).
 *   - Row-level security: as the server's role with no tenant set, every table that holds a
 *     tenant_id shows no rows, and every such table has RLS enabled and forced. */
#include <libpq-fe.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "google/protobuf/field_mask.pb-c.h"
#include "hub/tenant/v1/tenant.hub-client.h"
#include "hub/accounting/v1/accounting.hub-client.h"
#include "hub/ticket/v1/ticket.hub-client.h"
#include "hub/method.h"
#include "identity/acl.h"
#include "support/world.h"

static hub_world w;
static hub_test_user a_owner, b_owner, b_member, platform_admin;
static hub_test_user role_user[4];
static const char *const roles[4] = {"owner", "admin", "member", "viewer"};
static char b_invitation[40], b_name[64] = "Beta Tenant Matrix";
/* Tenant B's helpdesk objects (made through the API as B's owner). */
static char b_ticket[40], b_ticket2[40], b_comment[40], b_team[40], b_calendar[40], b_policy[40];
/* Tenant B's service account and its key; one service account per role in tenant A, each
 * with a key (all made through the API). */
static char b_service_account[40], b_api_key[40];
static char b_account[40], b_entry[40], b_period[40]; /* B's books */
static char b_party[40], b_document[40], b_payment[40]; /* B's receivables */
static char b_bank_line[40];                            /* a line of B's bank statement */
static char role_key[4][128];

static const char *value_or(char *v, const char *fallback) { return v ? v : fallback; }

/* A fixture call that must succeed; says which one failed and why. */
static bool must(const char *what, hub_status st) {
  if (!hub_ok(st)) fprintf(stderr, "matrix fixture %s: %s %s\n", what, hub_code_name(st.code), st.message ? st.message : "");
  return hub_ok(st);
}

static bool copy_id(char *dst, const char *src) {
  snprintf(dst, 40, "%s", src ? src : "");
  return src && *src;
}

/* A tenant's helpdesk objects (made through the API by its owner). */
typedef struct helpdesk {
  char ticket[40], ticket2[40], comment[40], team[40], calendar[40], policy[40];
} helpdesk;

/* A team, calendar, SLA policy, two tickets and a comment, made as `owner`. Names carry
 * `tag` so that fixtures made again (for every RPC of the id-field matrix) never collide. */
static bool make_helpdesk(const hub_test_user *owner, const char *tag, helpdesk *h) {
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(owner);
  bool ok = true;
  Hub__Ticket__V1__Team team = HUB__TICKET__V1__TEAM__INIT;
  team.name = hub_arena_sprintf(a, "%s support", tag);
  team.assignment = "round_robin";
  Hub__Ticket__V1__UpsertTeamRequest treq = HUB__TICKET__V1__UPSERT_TEAM_REQUEST__INIT;
  treq.team = &team;
  Hub__Ticket__V1__Team *tr = NULL;
  ok = ok && must("UpsertTeam", hub_ticket_v1_ticket_upsert_team_call(w.ch, &o, a, &treq, &tr)) && copy_id(h->team, tr->id);
  Hub__Ticket__V1__BusinessCalendar cal = HUB__TICKET__V1__BUSINESS_CALENDAR__INIT;
  cal.name = hub_arena_sprintf(a, "%s hours", tag);
  cal.time_zone = "Europe/Berlin";
  cal.week = "mon-fri 09:00-17:00";
  Hub__Ticket__V1__UpsertBusinessCalendarRequest creq = HUB__TICKET__V1__UPSERT_BUSINESS_CALENDAR_REQUEST__INIT;
  creq.calendar = &cal;
  Hub__Ticket__V1__BusinessCalendar *cr = NULL;
  ok = ok && must("UpsertBusinessCalendar", hub_ticket_v1_ticket_upsert_business_calendar_call(w.ch, &o, a, &creq, &cr)) &&
       copy_id(h->calendar, cr->id);
  Hub__Ticket__V1__SlaPolicy pol = HUB__TICKET__V1__SLA_POLICY__INIT;
  pol.name = hub_arena_sprintf(a, "%s default", tag);
  static int next_position = 1; /* unique per tenant */
  pol.position = next_position++;
  pol.calendar_id = h->calendar;
  pol.resolution_seconds = 86400;
  Hub__Ticket__V1__UpsertSlaPolicyRequest preq = HUB__TICKET__V1__UPSERT_SLA_POLICY_REQUEST__INIT;
  preq.policy = &pol;
  Hub__Ticket__V1__SlaPolicy *pr = NULL;
  ok = ok && must("UpsertSlaPolicy", hub_ticket_v1_ticket_upsert_sla_policy_call(w.ch, &o, a, &preq, &pr)) &&
       copy_id(h->policy, pr->id);
  for (int i = 0; i < 2 && ok; i++) {
    Hub__Ticket__V1__CreateTicketRequest req = HUB__TICKET__V1__CREATE_TICKET_REQUEST__INIT;
    bool b = strcmp(tag, "B") == 0; /* B's texts are what the leak checks look for */
    req.subject = i ? hub_arena_sprintf(a, "%s's second ticket", tag)
                    : b ? "B's printer is on fire" : hub_arena_sprintf(a, "%s's first ticket", tag);
    req.team_id = h->team;
    Hub__Ticket__V1__TicketInfo *t = NULL;
    ok = must("CreateTicket", hub_ticket_v1_ticket_create_ticket_call(w.ch, &o, a, &req, &t)) &&
         copy_id(i ? h->ticket2 : h->ticket, t->id);
  }
  Hub__Ticket__V1__AddCommentRequest com = HUB__TICKET__V1__ADD_COMMENT_REQUEST__INIT;
  com.ticket_id = h->ticket;
  com.body = hub_arena_sprintf(a, "%s's private note", tag);
  Hub__Ticket__V1__Comment *cm = NULL;
  ok = ok && must("AddComment", hub_ticket_v1_ticket_add_comment_call(w.ch, &o, a, &com, &cm)) && copy_id(h->comment, cm->id);
  hub_arena_free(a);
  if (!ok) fprintf(stderr, "matrix: could not make %s's helpdesk fixtures\n", tag);
  return ok;
}

/* What an id field names. A side (tenant A or B) gives one object of each kind. */
typedef enum kind { K_LITERAL, K_TICKET, K_TICKET2, K_COMMENT, K_TEAM, K_CALENDAR, K_POLICY, K_TENANT, K_MEMBER,
                    K_INVITATION, K_SERVICE_ACCOUNT, K_API_KEY, K_ACCOUNT, K_ENTRY, K_PERIOD,
                    K_PARTY, K_DOCUMENT, K_PAYMENT, K_BANK_LINE, K_COUNT } kind;

typedef struct side {
  const char *ids[K_COUNT];
} side;

static side side_b; /* tenant B's objects, set up once */

static bool make_b_helpdesk(void) {
  helpdesk h;
  if (!make_helpdesk(&b_owner, "B", &h)) return false;
  memcpy(b_ticket, h.ticket, 40);
  memcpy(b_ticket2, h.ticket2, 40);
  memcpy(b_comment, h.comment, 40);
  memcpy(b_team, h.team, 40);
  memcpy(b_calendar, h.calendar, 40);
  memcpy(b_policy, h.policy, 40);
  side_b = (side){{[K_TICKET] = b_ticket, [K_TICKET2] = b_ticket2, [K_COMMENT] = b_comment, [K_TEAM] = b_team,
                   [K_CALENDAR] = b_calendar, [K_POLICY] = b_policy, [K_TENANT] = b_owner.tenant_id,
                   [K_MEMBER] = b_member.user_id, [K_INVITATION] = b_invitation,
                   [K_SERVICE_ACCOUNT] = b_service_account, [K_API_KEY] = b_api_key, [K_ACCOUNT] = b_account,
                   [K_ENTRY] = b_entry, [K_PERIOD] = b_period, [K_PARTY] = b_party, [K_DOCUMENT] = b_document,
                   [K_PAYMENT] = b_payment, [K_BANK_LINE] = b_bank_line}};
  return true;
}

/* A tenant's books: an account of its own (code `code`), an entry posted to it, and a fiscal
 * year (`year`, one per call) whose first period goes to period_out. */
static bool make_books(const hub_test_user *owner, const char *code, int year, char *account_out, char *entry_out,
                       char *period_out) {
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(owner);
  Hub__Accounting__V1__CreateAccountRequest req = HUB__ACCOUNTING__V1__CREATE_ACCOUNT_REQUEST__INIT;
  req.code = (char *)code;
  req.name = "B's secret account";
  req.type = HUB__ACCOUNTING__V1__ACCOUNT_TYPE__ACCOUNT_TYPE_ASSET;
  Hub__Accounting__V1__Account *acc = NULL;
  bool ok = must("CreateAccount", hub_accounting_v1_accounting_create_account_call(w.ch, &o, a, &req, &acc)) &&
            copy_id(account_out, acc->id);
  Hub__Accounting__V1__Line l1 = HUB__ACCOUNTING__V1__LINE__INIT, l2 = HUB__ACCOUNTING__V1__LINE__INIT;
  l1.account_id = account_out, l1.side = HUB__ACCOUNTING__V1__SIDE__SIDE_DEBIT, l1.amount_minor = 4242, l1.currency_code = "USD";
  l2.account_code = "4010", l2.side = HUB__ACCOUNTING__V1__SIDE__SIDE_CREDIT, l2.amount_minor = 4242, l2.currency_code = "USD";
  Hub__Accounting__V1__Line *lines[] = {&l1, &l2};
  Hub__Accounting__V1__EntryInput e = HUB__ACCOUNTING__V1__ENTRY_INPUT__INIT;
  e.date = "2026-11-02", e.description = "B's secret entry", e.n_lines = 2, e.lines = lines;
  Hub__Accounting__V1__PostEntryRequest preq = HUB__ACCOUNTING__V1__POST_ENTRY_REQUEST__INIT;
  preq.entry = &e;
  Hub__Accounting__V1__Entry *out = NULL;
  ok = ok && must("PostEntry", hub_accounting_v1_accounting_post_entry_call(w.ch, &o, a, &preq, &out)) &&
       copy_id(entry_out, out->id);
  Hub__Accounting__V1__OpenFiscalYearRequest yreq = HUB__ACCOUNTING__V1__OPEN_FISCAL_YEAR_REQUEST__INIT;
  yreq.start_date = hub_arena_sprintf(a, "%04d-01-01", year);
  Hub__Accounting__V1__ListPeriodsResponse *periods = NULL;
  ok = ok && must("OpenFiscalYear", hub_accounting_v1_accounting_open_fiscal_year_call(w.ch, &o, a, &yreq, &periods)) &&
       periods->n_periods == 12 && copy_id(period_out, periods->periods[0]->id);
  hub_arena_free(a);
  return ok;
}

/* A tenant's receivables: a customer, a finalized credit note to it, and a payment from it left
 * unallocated. */
static bool make_receivables(const hub_test_user *owner, char *party_out, char *document_out, char *payment_out) {
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(owner);
  Hub__Accounting__V1__CreatePartyRequest preq = HUB__ACCOUNTING__V1__CREATE_PARTY_REQUEST__INIT;
  preq.role = HUB__ACCOUNTING__V1__PARTY_ROLE__PARTY_ROLE_BOTH, preq.name = "B's secret customer";
  Hub__Accounting__V1__Party *party = NULL;
  bool ok = must("CreateParty", hub_accounting_v1_accounting_create_party_call(w.ch, &o, a, &preq, &party)) &&
            copy_id(party_out, party->id);
  Hub__Accounting__V1__DocumentLineInput l = HUB__ACCOUNTING__V1__DOCUMENT_LINE_INPUT__INIT, *lp = &l;
  l.description = "B's secret line", l.unit_price_minor = 4242;
  Hub__Accounting__V1__CreateDocumentRequest dreq = HUB__ACCOUNTING__V1__CREATE_DOCUMENT_REQUEST__INIT;
  dreq.kind = HUB__ACCOUNTING__V1__DOCUMENT_KIND__DOCUMENT_KIND_SALES_CREDIT_NOTE, dreq.party_id = party_out;
  dreq.issue_date = "2026-11-02", dreq.n_lines = 1, dreq.lines = &lp, dreq.finalize = true;
  Hub__Accounting__V1__Document *doc = NULL;
  ok = ok && must("CreateDocument", hub_accounting_v1_accounting_create_document_call(w.ch, &o, a, &dreq, &doc)) &&
       copy_id(document_out, doc->id);
  Hub__Api__V1__Money m = HUB__API__V1__MONEY__INIT;
  m.amount_minor = 4242, m.currency_code = "USD";
  Hub__Accounting__V1__RecordPaymentRequest yreq = HUB__ACCOUNTING__V1__RECORD_PAYMENT_REQUEST__INIT;
  yreq.direction = HUB__ACCOUNTING__V1__PAYMENT_DIRECTION__PAYMENT_DIRECTION_RECEIVED, yreq.party_id = party_out;
  yreq.date = "2026-11-03", yreq.amount = &m;
  Hub__Accounting__V1__Payment *pay = NULL;
  ok = ok && must("RecordPayment", hub_accounting_v1_accounting_record_payment_call(w.ch, &o, a, &yreq, &pay)) &&
       copy_id(payment_out, pay->id);
  hub_arena_free(a);
  return ok;
}

/* A tenant's bank statement of one line on 1020; the line's id into line_out. */
static bool make_bank_line(const hub_test_user *owner, char *line_out) {
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(owner);
  Hub__Accounting__V1__CsvColumns map = HUB__ACCOUNTING__V1__CSV_COLUMNS__INIT;
  map.date = "date", map.amount = "amount", map.description = "text";
  Hub__Accounting__V1__ImportBankStatementRequest req = HUB__ACCOUNTING__V1__IMPORT_BANK_STATEMENT_REQUEST__INIT;
  req.account_code = "1020", req.format = HUB__ACCOUNTING__V1__BANK_FORMAT__BANK_FORMAT_CSV, req.csv = &map;
  req.content = "date,amount,text\n2026-11-03,42.42,B's secret bank line\n";
  Hub__Accounting__V1__BankStatement *st = NULL;
  bool ok = must("ImportBankStatement", hub_accounting_v1_accounting_import_bank_statement_call(w.ch, &o, a, &req, &st));
  Hub__Accounting__V1__ListBankLinesRequest lreq = HUB__ACCOUNTING__V1__LIST_BANK_LINES_REQUEST__INIT;
  lreq.account_code = "1020";
  Hub__Accounting__V1__ListBankLinesResponse *lines = NULL;
  ok = ok && must("ListBankLines", hub_accounting_v1_accounting_list_bank_lines_call(w.ch, &o, a, &lreq, &lines)) &&
       lines->n_lines == 1 && copy_id(line_out, lines->lines[0]->id);
  hub_arena_free(a);
  return ok;
}

/* A service account with `role` in `owner`'s tenant and a key for it (rate limit high
 * enough for the matrices); its id, key and key id into the buffers given (each may be NULL). */
static bool make_service_account(const hub_test_user *owner, const char *name, const char *role, char *id_out,
                                 char *key_out, char *key_id_out) {
  hub_arena *a = hub_arena_new(0);
  hub_call_options o = hub_world_opts(owner);
  Hub__Tenant__V1__CreateServiceAccountRequest req = HUB__TENANT__V1__CREATE_SERVICE_ACCOUNT_REQUEST__INIT;
  req.name = (char *)name;
  req.role = (char *)role;
  Hub__Tenant__V1__ServiceAccount *sa = NULL;
  bool ok = must("CreateServiceAccount", hub_tenant_v1_tenant_create_service_account_call(w.ch, &o, a, &req, &sa));
  Hub__Tenant__V1__CreateApiKeyRequest kreq = HUB__TENANT__V1__CREATE_API_KEY_REQUEST__INIT;
  kreq.service_account_id = ok ? sa->id : "";
  kreq.rate_limit_per_minute = 1000000;
  Hub__Tenant__V1__CreateApiKeyResponse *k = NULL;
  ok = ok && must("CreateApiKey", hub_tenant_v1_tenant_create_api_key_call(w.ch, &o, a, &kreq, &k));
  if (ok && id_out) snprintf(id_out, 40, "%s", sa->id);
  if (ok && key_out) snprintf(key_out, 128, "%s", k->secret);
  if (ok && key_id_out) snprintf(key_id_out, 40, "%s", k->api_key->id);
  hub_arena_free(a);
  return ok;
}

/* Call options presenting an API key instead of a token. */
static hub_call_options key_opts(const char *key) {
  hub_call_options o = {.timeout_ms = 10000, .bearer_token = key, .no_retry = true};
  return o;
}

static int setup(void **state) {
  (void)state;
  if (!hub_world_up(&w, "matrix", NULL)) return -1;
  hub_world_signup_login(&w, "a-owner@example.com", "Alpha Tenant Matrix", "smb_hub", &a_owner);
  hub_world_signup_login(&w, "b-owner@example.com", b_name, "smb_hub", &b_owner);
  hub_world_signup_login(&w, "b-member@example.com", NULL, NULL, &b_member);
  hub_world_signup_login(&w, "platform@example.com", NULL, NULL, &platform_admin);
  if (hub_world_sql(&w, "INSERT INTO members (tenant_id, user_id, role) VALUES ('%s', '%s', 'member')", b_owner.tenant_id,
                    b_member.user_id) ||
      hub_world_sql(&w, "UPDATE users SET is_platform_admin = true WHERE id = '%s'", platform_admin.user_id) ||
      hub_world_sql(&w,
                    "INSERT INTO invitations (tenant_id, email_norm, role, token_hash, invited_by, expires_at) "
                    "VALUES ('%s', 'invitee@example.com', 'member', '\\x01', '%s', now() + interval '1 day')",
                    b_owner.tenant_id, b_owner.user_id) ||
      hub_world_sql(&w, "INSERT INTO tenant_features (tenant_id, flag, enabled) VALUES ('%s', 'sso', true)",
                    b_owner.tenant_id) ||
      hub_world_sql(&w, "INSERT INTO outbox (tenant_id, topic) VALUES ('%s', 'matrix.fixture')", b_owner.tenant_id))
    return -1;
  char *inv = hub_world_query(&w, "SELECT id FROM invitations WHERE tenant_id = '%s'", b_owner.tenant_id);
  snprintf(b_invitation, sizeof b_invitation, "%s", value_or(inv, ""));
  free(inv);
  /* One user per role in tenant A (as accepted invitations would make them). */
  for (int i = 0; i < 4; i++) {
    char email[64];
    snprintf(email, sizeof email, "role-%s@example.com", roles[i]);
    hub_world_signup_login(&w, email, NULL, NULL, &role_user[i]);
    if (hub_world_sql(&w, "INSERT INTO members (tenant_id, user_id, role) VALUES ('%s', '%s', '%s')",
                      a_owner.tenant_id, role_user[i].user_id, roles[i]))
      return -1;
    if (!hub_ok(hub_world_login(&w, email, role_user[i].password, a_owner.tenant_id, &role_user[i]))) return -1;
  }
  if (!make_service_account(&b_owner, "B's robot", "admin", b_service_account, NULL, b_api_key)) return -1;
  if (!make_books(&b_owner, "1999", 1999, b_account, b_entry, b_period) ||
      !make_receivables(&b_owner, b_party, b_document, b_payment) || !make_bank_line(&b_owner, b_bank_line) ||
      !make_b_helpdesk())
    return -1;
  for (int i = 0; i < 4; i++) {
    char name[32];
    snprintf(name, sizeof name, "robot-%s", roles[i]);
    if (!make_service_account(&a_owner, name, roles[i], NULL, role_key[i], NULL)) return -1;
  }
  /* Log in again: platform_admin's flag is read at sign-in. */
  return hub_ok(hub_world_login(&w, "platform@example.com", platform_admin.password, NULL, &platform_admin)) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

/* Everything tenant B owns, as one digest (the admin bypasses RLS to read it). */
static char *b_digest(void) {
  return hub_world_query(
      &w,
      "SELECT md5(string_agg(x, '|' ORDER BY x)) FROM ("
      "  SELECT 't' || row(t.*)::text x FROM tenants t WHERE id = '%1$s'"
      "  UNION ALL SELECT 'm' || row(m.*)::text FROM members m WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'e' || row(e.*)::text FROM entitlements e WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'i' || row(i.*)::text FROM invitations i WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'f' || row(f.*)::text FROM tenant_features f WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'a' || row(a.*)::text FROM audit_events a WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'o' || row(o.*)::text FROM outbox o WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'T' || row(x.*)::text FROM tickets x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'C' || row(x.*)::text FROM ticket_comments x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'E' || row(x.*)::text FROM ticket_events x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'M' || row(x.*)::text FROM ticket_teams x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'K' || row(x.*)::text FROM ticket_calendars x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'P' || row(x.*)::text FROM ticket_sla_policies x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'A' || row(x.*)::text FROM ticket_agent_status x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'S' || row(x.*)::text FROM service_accounts x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'k' || row(x.*)::text FROM api_keys x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'G' || row(x.*)::text FROM accounting_accounts x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'J' || row(x.*)::text FROM accounting_entries x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'L' || row(x.*)::text FROM accounting_lines x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'B' || row(x.*)::text FROM accounting_balances x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'R' || row(x.*)::text FROM accounting_periods x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'b' || row(x.*)::text FROM accounting_books x WHERE tenant_id = '%1$s'"
      "  UNION ALL SELECT 'u' || row(u.*)::text FROM users u WHERE id IN ('%2$s', '%3$s')) s",
      b_owner.tenant_id, b_owner.user_id, b_member.user_id);
}

/* ---- filling requests from fixtures, by field name ---- */

typedef struct fill_result {
  bool names_b_object; /* a field was set to one of B's object ids */
  char missing[128];   /* an id-like field with no fixture */
} fill_result;

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Fixtures by field: the value to send (a literal, or the side's object of a kind), and
 * whether the field names the object the RPC acts on (a target: the answer must be
 * NOT_FOUND) or merely refers to one (a filter or a link: any refusal, or success that shows
 * none of B's data). `message` NULL matches any message. */
typedef struct fixture {
  const char *message, *field;
  kind kind;
  const char *literal;
  bool target;
} fixture;

static const fixture fixtures[] = {
    {"hub.ticket.v1.DeleteSlaPolicyRequest", "id", K_POLICY, NULL, true},
    {"hub.ticket.v1.Team", "id", K_TEAM, NULL, true},
    {"hub.ticket.v1.BusinessCalendar", "id", K_CALENDAR, NULL, true},
    {"hub.ticket.v1.SlaPolicy", "id", K_POLICY, NULL, true},
    {"hub.ticket.v1.TicketInfo", "id", K_TICKET, NULL, true},
    {"hub.tenant.v1.TenantInfo", "id", K_TENANT, NULL, true},
    {"hub.tenant.v1.ServiceAccount", "id", K_SERVICE_ACCOUNT, NULL, true},
    {NULL, "service_account_id", K_SERVICE_ACCOUNT, NULL, true},
    {NULL, "key_id", K_API_KEY, NULL, true},
    {"hub.ticket.v1.MergeTicketsRequest", "target_id", K_TICKET2, NULL, true},
    {"hub.accounting.v1.GetAccountRequest", "id", K_ACCOUNT, NULL, true},
    {"hub.accounting.v1.UpdateAccountRequest", "id", K_ACCOUNT, NULL, true},
    {"hub.accounting.v1.GetEntryRequest", "id", K_ENTRY, NULL, true},
    {"hub.accounting.v1.ReverseEntryRequest", "id", K_ENTRY, NULL, true},
    {"hub.accounting.v1.PostPendingEntryRequest", "id", K_ENTRY, NULL, true},
    {"hub.accounting.v1.VoidPendingEntryRequest", "id", K_ENTRY, NULL, true},
    {"hub.accounting.v1.ClosePeriodRequest", "id", K_PERIOD, NULL, true},
    {"hub.accounting.v1.ReopenPeriodRequest", "id", K_PERIOD, NULL, true},
    {"hub.accounting.v1.GetPartyRequest", "id", K_PARTY, NULL, true},
    {"hub.accounting.v1.GetDocumentRequest", "id", K_DOCUMENT, NULL, true},
    {"hub.accounting.v1.FinalizeDocumentRequest", "id", K_DOCUMENT, NULL, true},
    {"hub.accounting.v1.ApproveExpenseRequest", "id", K_DOCUMENT, NULL, true},
    {NULL, "party_id", K_PARTY, NULL, false},
    {NULL, "document_id", K_DOCUMENT, NULL, false},
    {NULL, "payment_id", K_PAYMENT, NULL, true},
    {NULL, "credit_note_id", K_DOCUMENT, NULL, true},
    {NULL, "bank_line_id", K_BANK_LINE, NULL, true},
    {"hub.accounting.v1.MatchBankLineRequest", "entry_id", K_ENTRY, NULL, false},
    {"hub.accounting.v1.PostBankLineRequest", "contra_account_code", K_LITERAL, "6060", false},
    {NULL, "issue_date", K_LITERAL, "2026-11-02", false},
    {"hub.accounting.v1.EntryInput", "date", K_LITERAL, "2026-11-02", false},
    {"hub.accounting.v1.Line", "currency_code", K_LITERAL, "USD", false},
    {"hub.accounting.v1.DocumentLineInput", "description", K_LITERAL, "Matrix line", false},
    {"hub.accounting.v1.RecordPaymentRequest", "date", K_LITERAL, "2026-11-02", false},
    {"hub.api.v1.Money", "currency_code", K_LITERAL, "USD", false},
    {NULL, "parent_id", K_ACCOUNT, NULL, false},
    {NULL, "account_id", K_ACCOUNT, NULL, false},
    {"hub.accounting.v1.EntryInput", "id", K_LITERAL, "0190a000-0000-7000-8000-00000000abcf", false}, /* a new key */
    {NULL, "code", K_LITERAL, "7777", false},
    {NULL, "reversal_id", K_LITERAL, "0190a000-0000-7000-8000-00000000abce", false},
    {NULL, "id", K_TICKET, NULL, true},
    {NULL, "ticket_id", K_TICKET, NULL, true},
    {NULL, "source_id", K_TICKET, NULL, true},
    {NULL, "user_id", K_MEMBER, NULL, true},
    {NULL, "invitation_id", K_INVITATION, NULL, true},
    {NULL, "tenant_id", K_TENANT, NULL, true},
    {NULL, "assignee_id", K_MEMBER, NULL, false},
    {NULL, "requester_user_id", K_MEMBER, NULL, false},
    {NULL, "team_id", K_TEAM, NULL, false},
    {NULL, "calendar_id", K_CALENDAR, NULL, false},
    {NULL, "policy_id", K_POLICY, NULL, false},
    {NULL, "brand", K_LITERAL, "smb_hub", false},
    {NULL, "brand_id", K_LITERAL, "smb_hub", false},
    {NULL, "role", K_LITERAL, "viewer", false},
    {NULL, "email", K_LITERAL, "matrix-invitee@example.com", false},
    {NULL, "name", K_LITERAL, "Matrix", false},
    {NULL, "display_name", K_LITERAL, "Matrix", false},
    {NULL, "subject", K_LITERAL, "Matrix subject", false},
    {NULL, "body", K_LITERAL, "Matrix body", false},
    {NULL, "reason", K_LITERAL, "Matrix reason", false},
    {"hub.accounting.v1.AssertBalanceRequest", "currency_code", K_LITERAL, "USD", false},
    {"hub.accounting.v1.AssertBalanceRequest", "as_of_date", K_LITERAL, "2026-01-31", false},
    {NULL, "slug", K_LITERAL, "matrix-slug", false},
    {NULL, "confirm_slug", K_LITERAL, "not-the-slug", false},
    {NULL, "flag", K_LITERAL, "matrix_flag", false},
    {NULL, "request_id", K_LITERAL, "0190a000-0000-7000-8000-00000000abcd", false},
    {NULL, "host", K_LITERAL, "app.exakeep.com", false},
    {NULL, "etag", K_LITERAL, "1", false},
    {NULL, "time_zone", K_LITERAL, "UTC", false},
    {NULL, "week", K_LITERAL, "mon-fri 09:00-17:00", false},
    {NULL, "assignment", K_LITERAL, "round_robin", false},
};

/* Repeated id fields ("comment_ids", "member_ids") get one object of the side. */
static kind repeated_fixture(const char *message, const char *field, bool *target) {
  *target = false;
  if (!strcmp(field, "comment_ids")) return *target = !strcmp(message, "hub.ticket.v1.SplitTicketRequest"), K_COMMENT;
  if (!strcmp(field, "member_ids")) return K_MEMBER;
  return K_LITERAL;
}

static const fixture *fixture_for(const char *message, const char *field, bool list_request) {
  for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) {
    const fixture *f = &fixtures[i];
    if ((!f->message || !strcmp(f->message, message)) && !strcmp(f->field, field)) {
      if (list_request && f->target) { /* a List's ids are filters */
        static fixture as_filter;
        as_filter = *f;
        as_filter.target = false;
        return &as_filter;
      }
      return f;
    }
  }
  return NULL;
}

/* One id field to replace while filling (the id-field matrix): the `ordinal`-th id field the
 * fill meets gets `value`; the fill records where it was. */
typedef struct override {
  int ordinal;        /* which one (-1: none) */
  const char *value;
  int seen;           /* id fields met so far */
  char path[128];     /* e.g. "ticket.team_id" */
  const char *name;   /* the field's own name */
  kind kind;
  int depth;
  bool in_list;       /* a filter of a List/Report request */
  bool target;        /* it names the object the RPC acts on */
} override;

static void fill(hub_arena *a, ProtobufCMessage *m, const side *sd_, fill_result *r, int depth, bool list_request,
                 override *ov, const char *prefix) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    void *slot = (char *)m + f->offset;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      bool target;
      kind k = f->type == PROTOBUF_C_TYPE_STRING ? repeated_fixture(d->name, f->name, &target) : K_LITERAL;
      if (k != K_LITERAL) {
        const char *v = sd_->ids[k];
        if (ov && ov->seen++ == ov->ordinal) {
          v = ov->value;
          snprintf(ov->path, sizeof ov->path, "%s%s%s", prefix, *prefix ? "." : "", f->name);
          ov->name = f->name, ov->kind = k, ov->depth = depth, ov->in_list = list_request, ov->target = target;
        }
        char **arr = hub_arena_alloc(a, sizeof *arr);
        arr[0] = (char *)v;
        *(size_t *)((char *)m + f->quantifier_offset) = 1;
        *(char ***)slot = arr;
        r->names_b_object |= target;
      } else if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth < 2 && !strncmp(((const ProtobufCMessageDescriptor *)f->descriptor)->package_name, "hub.", 4)) {
        /* Items filled like a message field, so a request that needs lines has them (two: an
         * entry needs two); each item's id fields are swept in turn. */
        const ProtobufCMessageDescriptor *sd = f->descriptor;
        int items = strcmp(f->name, "lines") ? 1 : 2;
        ProtobufCMessage **arr = hub_arena_alloc(a, 2 * sizeof *arr);
        for (int item = 0; item < items; item++) {
          arr[item] = hub_arena_alloc(a, sd->sizeof_message);
          sd->message_init(arr[item]);
          fill(a, arr[item], sd_, r, depth + 1, list_request, ov,
               hub_arena_sprintf(a, "%s%s%s[%d]", prefix, *prefix ? "." : "", f->name, item));
        }
        *(size_t *)((char *)m + f->quantifier_offset) = (size_t)items;
        *(ProtobufCMessage ***)slot = arr;
      }
      continue;
    }
    if (f->type == PROTOBUF_C_TYPE_STRING) {
      const fixture *fx = fixture_for(d->name, f->name, list_request);
      if (fx) {
        const char *v = fx->kind == K_LITERAL ? fx->literal : sd_->ids[fx->kind];
        if (fx->kind != K_LITERAL && ov && ov->seen++ == ov->ordinal) {
          v = ov->value;
          snprintf(ov->path, sizeof ov->path, "%s%s%s", prefix, *prefix ? "." : "", f->name);
          ov->name = f->name, ov->kind = fx->kind, ov->depth = depth, ov->in_list = list_request;
          ov->target = fx->target;
        }
        *(char **)slot = (char *)v;
        r->names_b_object |= fx->target;
      } else if (ends_with(f->name, "_id") || !strcmp(f->name, "id")) {
        snprintf(r->missing, sizeof r->missing, "%s.%s", d->name, f->name);
      }
    } else if (f->type == PROTOBUF_C_TYPE_ENUM &&
               (!strcmp(f->name, "type") || !strcmp(f->name, "kind") || !strcmp(f->name, "direction") ||
                !strcmp(f->name, "side"))) {
      *(int *)slot = 1; /* an account's type, a document's kind, a payment's direction, a line's side: the first */
    } else if (f->type == PROTOBUF_C_TYPE_INT64 && ends_with(f->name, "amount_minor")) {
      *(int64_t *)slot = 100;
    } else if (f->type == PROTOBUF_C_TYPE_INT64 && !strcmp(f->name, "version")) {
      *(int64_t *)slot = 1;
    } else if (f->type == PROTOBUF_C_TYPE_INT32 && !strcmp(f->name, "score")) {
      *(int32_t *)slot = 5;
    } else if ((f->type == PROTOBUF_C_TYPE_INT64 || f->type == PROTOBUF_C_TYPE_INT32) && ends_with(f->name, "_seconds")) {
      if (f->type == PROTOBUF_C_TYPE_INT64) *(int64_t *)slot = 3600;
      else *(int32_t *)slot = 3600;
    } else if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth < 2) {
      const ProtobufCMessageDescriptor *sd = f->descriptor;
      ProtobufCMessage *sub = hub_arena_alloc(a, sd->sizeof_message);
      sd->message_init(sub);
      if (sd == &google__protobuf__field_mask__descriptor) {
        /* A path the request's resource really has: the first of these its message defines. */
        static const char *const candidates[] = {"role", "subject", "name"};
        Google__Protobuf__FieldMask *fm = (Google__Protobuf__FieldMask *)sub;
        fm->n_paths = 1;
        fm->paths = hub_arena_alloc(a, sizeof(char *));
        fm->paths[0] = "name";
        for (unsigned k = 0; k < d->n_fields; k++) {
          const ProtobufCFieldDescriptor *sib = &d->fields[k];
          if (sib->type != PROTOBUF_C_TYPE_MESSAGE || sib->descriptor == sd) continue;
          for (size_t c = 0; c < sizeof candidates / sizeof *candidates; c++)
            if (protobuf_c_message_descriptor_get_field_by_name(sib->descriptor, candidates[c])) {
              fm->paths[0] = (char *)candidates[c];
              c = sizeof candidates / sizeof *candidates;
              k = d->n_fields;
            }
        }
      } else if (strncmp(sd->name, "hub.", 4) == 0 || strncmp(sd->package_name, "hub.", 4) == 0) {
        char *sub_prefix = hub_arena_sprintf(a, "%s%s%s", prefix, *prefix ? "." : "", f->name);
        fill(a, sub, sd_, r, depth + 1, list_request, ov, sub_prefix);
      } else {
        continue;
      }
      *(ProtobufCMessage **)slot = sub;
    }
  }
}

/* No status that leaves hubd may hold a printf conversion: the message is always text the
 * server finished writing (a format passed as a message once made every database error
 * read "%s"). */
static void no_conversion(const hub_method_def *m, hub_status st) {
  if (!st.message) return;
  for (const char *p = strchr(st.message, '%'); p; p = strchr(p + 1, '%')) {
    const char *q = p + 1;
    while (*q && strchr("-+ #0123456789.*lhzjt", *q)) q++;
    if (*q && strchr("sdiuxXcpfgeEGoa", *q) && q - p <= 8)
      fail_msg("%s answered a message holding a format conversion: \"%s\"", m->path, st.message);
  }
}

static bool is_list(const hub_method_def *m) {
  return strncmp(m->name, "List", 4) == 0 || strncmp(m->name, "Report", 6) == 0;
}

static bool tenant_scoped(const hub_method_def *m) {
  return m->access.permission && strncmp(m->access.permission, "platform.", 9) != 0 && m->streaming == HUB_UNARY &&
         strncmp(m->service, "hub.", 4) == 0;
}

static bool contains(const uint8_t *buf, size_t len, const char *needle) {
  size_t n = strlen(needle);
  if (!n || n > len) return false;
  for (size_t i = 0; i + n <= len; i++)
    if (memcmp(buf + i, needle, n) == 0) return true;
  return false;
}

static void test_cross_tenant_matrix(void **state) {
  (void)state;
  char *before = b_digest();
  assert_non_null(before);
  int covered = 0, naming_b = 0;
  for (size_t k = 0; k < hub_all_methods_count; k++) {
    const hub_method_def *m = hub_all_methods[k];
    if (!tenant_scoped(m)) continue;
    hub_arena *a = hub_arena_new(0);
    ProtobufCMessage *req = hub_arena_alloc(a, m->input->sizeof_message);
    m->input->message_init(req);
    fill_result r = {0};
    fill(a, req, &side_b, &r, 0, is_list(m), NULL, "");
    if (r.missing[0]) fail_msg("%s: request field %s has no cross-tenant fixture; add one", m->path, r.missing);
    hub_call_options o = hub_world_opts(&a_owner);
    ProtobufCMessage *resp = NULL;
    hub_status st = hub_unary_call(w.ch, m, &o, a, req, &resp);
    no_conversion(m, st);
    print_message("%-45s -> %s%s\n", m->path, hub_code_name(st.code), r.names_b_object ? " (names B's object)" : "");
    if (st.code == HUB_UNIMPLEMENTED) fail_msg("%s is not implemented", m->path);
    if (r.names_b_object) {
      if (st.code != HUB_NOT_FOUND) fail_msg("%s on tenant B's object answered %s, not NOT_FOUND", m->path, hub_code_name(st.code));
      naming_b++;
    } else if (hub_ok(st) && resp) {
      size_t len = protobuf_c_message_get_packed_size(resp);
      uint8_t *buf = hub_arena_alloc(a, len + 1);
      protobuf_c_message_pack(resp, buf);
      if (contains(buf, len, b_owner.tenant_id) || contains(buf, len, b_member.user_id) ||
          contains(buf, len, "b-member@example.com") || contains(buf, len, b_name) || contains(buf, len, b_ticket) ||
          contains(buf, len, b_team) || contains(buf, len, b_calendar) || contains(buf, len, b_policy) ||
          contains(buf, len, b_service_account) || contains(buf, len, b_api_key) ||
          contains(buf, len, "printer is on fire"))
        fail_msg("%s answered with tenant B's data", m->path);
    }
    char *after = b_digest();
    if (!after || strcmp(before, after) != 0) fail_msg("%s changed tenant B's rows", m->path);
    free(after);
    covered++;
    hub_arena_free(a);
  }
  print_message("cross-tenant: %d tenant-scoped RPCs, %d of them aimed at B's objects\n", covered, naming_b);
  assert_true(covered >= 10);
  assert_true(naming_b >= 2);
  free(before);
}

static void test_foreign_tenant_header_matrix(void **state) {
  (void)state;
  for (size_t k = 0; k < hub_all_methods_count; k++) {
    const hub_method_def *m = hub_all_methods[k];
    if (!tenant_scoped(m)) continue;
    hub_arena *a = hub_arena_new(0);
    ProtobufCMessage *req = hub_arena_alloc(a, m->input->sizeof_message);
    m->input->message_init(req);
    hub_call_options o = hub_world_opts(&a_owner);
    o.tenant_id = b_owner.tenant_id;
    ProtobufCMessage *resp = NULL;
    hub_status st = hub_unary_call(w.ch, m, &o, a, req, &resp);
    no_conversion(m, st);
    if (st.code != HUB_PERMISSION_DENIED) fail_msg("%s with x-tenant-id of B answered %s", m->path, hub_code_name(st.code));
    o = key_opts(role_key[0]);
    o.tenant_id = b_owner.tenant_id;
    st = hub_unary_call(w.ch, m, &o, a, req, &resp);
    no_conversion(m, st);
    if (st.code != HUB_PERMISSION_DENIED)
      fail_msg("%s with A's API key and x-tenant-id of B answered %s", m->path, hub_code_name(st.code));
    hub_arena_free(a);
  }
}

/* The expected answer comes from the role_permissions table, not from the server. */
static bool role_grants(const char *role, const char *perm) {
  char *list = hub_world_query(&w, "SELECT string_agg(permission, ',') FROM role_permissions WHERE role = '%s'", role);
  bool granted = false;
  for (char *save = NULL, *p = strtok_r(list, ",", &save); p && !granted; p = strtok_r(NULL, ",", &save))
    granted = hub_acl_pattern_matches(p, perm);
  free(list);
  return granted;
}

static void test_role_matrix(void **state) {
  (void)state;
  int checked = 0, denied = 0;
  for (size_t k = 0; k < hub_all_methods_count; k++) {
    const hub_method_def *m = hub_all_methods[k];
    if (!m->access.permission || m->streaming != HUB_UNARY || strncmp(m->service, "hub.", 4) != 0) continue;
    bool platform = strncmp(m->access.permission, "platform.", 9) == 0;
    for (int i = 0; i < (platform ? 2 : 4); i++) {
      const hub_test_user *u = platform ? (i == 0 ? &platform_admin : &role_user[0]) : &role_user[i];
      bool expect = platform ? i == 0 : role_grants(roles[i], m->access.permission);
      hub_arena *a = hub_arena_new(0);
      ProtobufCMessage *req = hub_arena_alloc(a, m->input->sizeof_message);
      m->input->message_init(req);
      hub_call_options o = hub_world_opts(u);
      ProtobufCMessage *resp = NULL;
      hub_status st = hub_unary_call(w.ch, m, &o, a, req, &resp);
    no_conversion(m, st);
      const char *who = platform ? (i == 0 ? "platform admin" : "tenant owner") : roles[i];
      if (st.code == HUB_UNIMPLEMENTED) fail_msg("%s is not implemented", m->path);
      if (expect && st.code == HUB_PERMISSION_DENIED)
        fail_msg("%s: %s should pass the permission check (%s): %s", m->path, who, m->access.permission, st.message);
      if (!expect && st.code != HUB_PERMISSION_DENIED)
        fail_msg("%s: %s should be refused (%s) but got %s", m->path, who, m->access.permission, hub_code_name(st.code));
      denied += !expect;
      checked++;
      hub_arena_free(a);
    }
  }
  print_message("roles: %d role x RPC pairs, %d refused as the table says\n", checked, denied);
  assert_true(denied > 0 && checked > denied);
}

/* The same roles as service accounts with API keys: permission RPCs as role_permissions
 * says, platform RPCs refused (a service account is never a platform administrator), and
 * every {authenticated} RPC refused (they are a person's own: sessions, password, MFA,
 * tenants one creates or joins). */
static void test_role_matrix_service_accounts(void **state) {
  (void)state;
  int checked = 0, denied = 0;
  for (size_t k = 0; k < hub_all_methods_count; k++) {
    const hub_method_def *m = hub_all_methods[k];
    if (m->access.is_public || m->streaming != HUB_UNARY || strncmp(m->service, "hub.", 4) != 0) continue;
    bool platform = m->access.permission && strncmp(m->access.permission, "platform.", 9) == 0;
    for (int i = 0; i < 4; i++) {
      bool expect = m->access.permission && !platform && role_grants(roles[i], m->access.permission);
      hub_arena *a = hub_arena_new(0);
      ProtobufCMessage *req = hub_arena_alloc(a, m->input->sizeof_message);
      m->input->message_init(req);
      hub_call_options o = key_opts(role_key[i]);
      ProtobufCMessage *resp = NULL;
      hub_status st = hub_unary_call(w.ch, m, &o, a, req, &resp);
      no_conversion(m, st);
      if (st.code == HUB_UNIMPLEMENTED) fail_msg("%s is not implemented", m->path);
      if (st.code == HUB_UNAUTHENTICATED || st.code == HUB_RESOURCE_EXHAUSTED)
        fail_msg("%s: the %s service account's key was not accepted: %s", m->path, roles[i], st.message);
      if (expect && st.code == HUB_PERMISSION_DENIED)
        fail_msg("%s: %s service account should pass (%s): %s", m->path, roles[i], m->access.permission, st.message);
      if (!expect && st.code != HUB_PERMISSION_DENIED)
        fail_msg("%s: %s service account should be refused but got %s", m->path, roles[i], hub_code_name(st.code));
      denied += !expect;
      checked++;
      hub_arena_free(a);
    }
  }
  print_message("service accounts: %d role x RPC pairs, %d refused\n", checked, denied);
  assert_true(denied > 0 && checked > denied);
}

static void test_every_rpc_has_a_handler(void **state) {
  (void)state;
  for (size_t k = 0; k < hub_all_methods_count; k++) {
    const hub_method_def *m = hub_all_methods[k];
    if (strncmp(m->service, "hub.", 4) != 0 || m->streaming != HUB_UNARY) continue;
    hub_arena *a = hub_arena_new(0);
    ProtobufCMessage *req = hub_arena_alloc(a, m->input->sizeof_message);
    m->input->message_init(req);
    hub_call_options o = hub_world_opts(&platform_admin);
    ProtobufCMessage *resp = NULL;
    hub_status st = hub_unary_call(w.ch, m, &o, a, req, &resp);
    no_conversion(m, st);
    if (st.code == HUB_UNIMPLEMENTED) fail_msg("%s has no handler", m->path);
    hub_arena_free(a);
  }
}

static void test_rls_without_tenant_sees_nothing(void **state) {
  (void)state;
  /* Every table holding a tenant_id has RLS enabled and forced (found from the catalog, so a
   * new table is checked without anyone listing it). */
  char *unprotected = hub_world_query(
      &w, "SELECT coalesce(string_agg(c.relname, ','), '') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
          "WHERE n.nspname = 'public' AND c.relkind = 'r' AND (NOT c.relrowsecurity OR NOT c.relforcerowsecurity) "
          "AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)");
  assert_string_equal(unprotected, "");
  free(unprotected);
  unprotected = hub_world_query(&w, "SELECT coalesce(string_agg(relname, ','), '') FROM pg_class WHERE relname = 'tenants' "
                                    "AND NOT (relrowsecurity AND relforcerowsecurity)");
  assert_string_equal(unprotected, "");
  free(unprotected);
  char *tables = hub_world_query(
      &w, "SELECT string_agg(c.relname, ',') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
          "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity");
  assert_non_null(tables);
  /* As the server's role, no hub.tenant_id or hub.user_id set: every such table is empty,
   * though the admin sees rows in them. */
  char *url = strdup(w.stack.app_url);
  PGconn *c = PQconnectdb(url);
  assert_int_equal(PQstatus(c), CONNECTION_OK);
  PGresult *r = PQexec(c, "SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user");
  assert_string_equal(PQgetvalue(r, 0, 0), "f");
  PQclear(r);
  int nonempty_for_admin = 0;
  for (char *save = NULL, *t = strtok_r(tables, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", t);
    r = PQexec(c, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    if (strcmp(PQgetvalue(r, 0, 0), "0") != 0) fail_msg("%s shows %s rows without a tenant", t, PQgetvalue(r, 0, 0));
    PQclear(r);
    char *admin = hub_world_query(&w, "SELECT count(*) FROM %s", t);
    nonempty_for_admin += admin && strcmp(admin, "0") != 0;
    free(admin);
  }
  assert_true(nonempty_for_admin >= 5);
  /* A write into another tenant is refused, not silently placed. */
  r = PQexec(c, "BEGIN; SELECT set_config('hub.tenant_id', (SELECT '00000000-0000-0000-0000-000000000000'), true)");
  PQclear(r);
  char sql[300];
  snprintf(sql, sizeof sql, "INSERT INTO outbox (tenant_id, topic) VALUES ('%s', 'x')", b_owner.tenant_id);
  r = PQexec(c, sql);
  assert_int_not_equal(PQresultStatus(r), PGRES_COMMAND_OK);
  assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
  PQclear(r);
  PQclear(PQexec(c, "ROLLBACK"));
  PQfinish(c);
  free(url);
  free(tables);
}

/* Every id field of every tenant-scoped request, one at a time, set to tenant B's object of
 * that kind and to an id of nothing, the rest of the request filled with tenant A's own
 * (fresh) objects: the answer is NOT_FOUND and names the field — one rule for targets and
 * references alike. Filters of List/Report requests may instead answer an empty success.
 * The fields are found by walking the request descriptors, so there is no list to keep. */
static void test_id_field_matrix(void **state) {
  (void)state;
  static char a_invitation[40];
  int tried = 0, rpcs = 0, nfail = 0;
  char failures[16384] = "";
  size_t flen = 0;
  for (size_t k = 0; k < hub_all_methods_count; k++) {
    const hub_method_def *m = hub_all_methods[k];
    if (!tenant_scoped(m)) continue;
    /* How many id fields has the request? */
    hub_arena *a = hub_arena_new(0);
    ProtobufCMessage *probe = hub_arena_alloc(a, m->input->sizeof_message);
    m->input->message_init(probe);
    fill_result pr = {0};
    override count = {.ordinal = -1};
    fill(a, probe, &side_b, &pr, 0, is_list(m), &count, "");
    if (count.seen == 0) {
      hub_arena_free(a);
      continue;
    }
    /* Fresh objects of tenant A for this RPC (an earlier one may have changed or deleted them). */
    helpdesk h;
    char tag[32];
    snprintf(tag, sizeof tag, "A%zu", k);
    assert_true(make_helpdesk(&a_owner, tag, &h));
    hub_world_sql(&w, "DELETE FROM invitations WHERE tenant_id = '%s'", a_owner.tenant_id);
    hub_world_sql(&w,
                  "INSERT INTO invitations (tenant_id, email_norm, role, token_hash, invited_by, expires_at) "
                  "VALUES ('%s', 'a-invitee@example.com', 'member', '\\x02', '%s', now() + interval '1 day')",
                  a_owner.tenant_id, a_owner.user_id);
    char *inv = hub_world_query(&w, "SELECT id FROM invitations WHERE tenant_id = '%s'", a_owner.tenant_id);
    snprintf(a_invitation, sizeof a_invitation, "%s", value_or(inv, ""));
    free(inv);
    static char a_service_account[40], a_api_key[40];
    assert_true(make_service_account(&a_owner, hub_arena_sprintf(a, "%s robot", tag), "viewer", a_service_account, NULL,
                                     a_api_key));
    static char a_account[40], a_entry[40], a_period[40];
    assert_true(make_books(&a_owner, tag, 2000 + (int)k, a_account, a_entry, a_period));
    static char a_party[40], a_document[40], a_payment[40];
    assert_true(make_receivables(&a_owner, a_party, a_document, a_payment));
    static char a_bank_line[40];
    assert_true(make_bank_line(&a_owner, a_bank_line));
    side side_a = {{[K_TICKET] = h.ticket, [K_TICKET2] = h.ticket2, [K_COMMENT] = h.comment, [K_TEAM] = h.team,
                    [K_CALENDAR] = h.calendar, [K_POLICY] = h.policy, [K_TENANT] = a_owner.tenant_id,
                    [K_MEMBER] = role_user[2].user_id, [K_INVITATION] = a_invitation,
                    [K_SERVICE_ACCOUNT] = a_service_account, [K_API_KEY] = a_api_key, [K_ACCOUNT] = a_account,
                    [K_ENTRY] = a_entry, [K_PERIOD] = a_period, [K_PARTY] = a_party, [K_DOCUMENT] = a_document,
                    [K_PAYMENT] = a_payment, [K_BANK_LINE] = a_bank_line}};
    rpcs++;
    for (int f = 0; f < count.seen; f++) {
      for (int variant = 0; variant < 2; variant++) {
        ProtobufCMessage *req = hub_arena_alloc(a, m->input->sizeof_message);
        m->input->message_init(req);
        fill_result r = {0};
        override ov = {.ordinal = f};
        /* Fill once to learn the field's kind, then again with the value of that kind. */
        ov.value = "";
        fill(a, req, &side_a, &r, 0, is_list(m), &ov, "");
        const char *nothing = "0190ffff-ffff-7fff-bfff-ffffffff0001";
        ov = (override){.ordinal = f, .value = variant ? nothing : side_b.ids[ov.kind]};
        m->input->message_init(req);
        fill(a, req, &side_a, &r, 0, is_list(m), &ov, "");
        /* An update applies only the fields its mask names: name this one. */
        if (!ov.target) {
          const ProtobufCMessageDescriptor *d = m->input;
          for (unsigned i = 0; i < d->n_fields; i++)
            if (d->fields[i].descriptor == &google__protobuf__field_mask__descriptor) {
              Google__Protobuf__FieldMask *fm = *(Google__Protobuf__FieldMask **)((char *)req + d->fields[i].offset);
              if (fm && fm->n_paths) fm->paths[0] = strchr(ov.path, '.') ? strchr(ov.path, '.') + 1 : ov.path;
            }
        }
        /* An update's etag: the one the fresh ticket has now (its comment moved it on). */
        const ProtobufCFieldDescriptor *etag = protobuf_c_message_descriptor_get_field_by_name(m->input, "etag");
        if (etag && protobuf_c_message_descriptor_get_field_by_name(m->input, "ticket")) {
          char *v = hub_world_query(&w, "SELECT version FROM tickets WHERE id = '%s'", h.ticket);
          *(char **)((char *)req + etag->offset) = hub_arena_strdup(a, value_or(v, "1"));
          free(v);
        }
        hub_call_options o = hub_world_opts(&a_owner);
        ProtobufCMessage *resp = NULL;
        hub_status st = hub_unary_call(w.ch, m, &o, a, req, &resp);
    no_conversion(m, st);
        /* A field an update cannot change (output only, or changed by its own RPC) is no
         * reference: the server says so about the mask, and the field is never read. */
        if (ov.depth >= 1 && !ov.target && st.code == HUB_INVALID_ARGUMENT && st.violations &&
            !strcmp(st.violations->field, "update_mask"))
          continue;
        tried++;
        const char *what = variant ? "an id of nothing" : "tenant B's id";
        bool named = st.message && strstr(st.message, ov.name);
        bool ok = st.code == HUB_NOT_FOUND && named;
        if (ov.in_list && hub_ok(st)) ok = true; /* a filter that matches nothing */
        nfail += !ok;
        if (!ok && flen < sizeof failures - 256)
          flen += (size_t)snprintf(failures + flen, sizeof failures - flen, "  %s %s = %s -> %s %s\n", m->path, ov.path,
                                   what, hub_code_name(st.code), st.message ? st.message : "");
      }
    }
    hub_arena_free(a);
  }
  print_message("id fields: %d requests over %d RPCs\n", tried, rpcs);
  if (flen) {
    fprintf(stderr, "id fields not answered NOT_FOUND naming the field:\n%s", failures);
    fail_msg("%d id fields not answered NOT_FOUND naming the field (listed above)", nfail);
  }
  assert_true(rpcs >= 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rls_without_tenant_sees_nothing),
      cmocka_unit_test(test_every_rpc_has_a_handler),
      cmocka_unit_test(test_role_matrix),
      cmocka_unit_test(test_role_matrix_service_accounts),
      cmocka_unit_test(test_foreign_tenant_header_matrix),
      cmocka_unit_test(test_cross_tenant_matrix),
      cmocka_unit_test(test_id_field_matrix),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
