/* Refusals as data: every tests/integration/<domain>/refusals.txt is a list of calls through
 * the generic client (any method of the contract by name, the request as proto3 JSON) and the
 * status each must get, with the request field it must name. Adding a refusal to the
 * contract's coverage is one line, in the service's own folder.
 *
 * A file holds lines of two kinds ('#' starts a comment):
 *   CALLER METHOD JSON -> CODE [FIELD]
 *       calls METHOD ("pkg.Service/Method") as CALLER with JSON, and expects CODE (a canonical
 *       name). FIELD, when given, must be named: by a google.rpc.BadRequest violation for
 *       INVALID_ARGUMENT, at the head of the message ("FIELD: ...") for other codes.
 *   let NAME = CALLER METHOD JSON .PATH
 *       calls as above, expects OK, and keeps the response's field PATH (dotted, through
 *       nested messages) as ${NAME} for later lines of the same file.
 * CALLER is `a` or `b` (the owners of two tenants, each signed up with a first tenant) or
 * `anon` (no token). ${a.tenant}, ${b.tenant}, ${a.user} and ${b.user} are always set. So
 * "another tenant's object is NOT_FOUND" is a `let` as b and a line as a. ${NAME|upper} is the
 * value in upper case (ids are accepted in any case); CODE may be OK. Every refusal's message
 * must be filled in, at most HUB_STATUS_MESSAGE_MAX bytes, and free of the other caller's
 * ids and kept values. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>

#include "hub/method.h"
#include "json_pb.h"
#include "support/world.h"

static hub_world w;
static hub_test_user user_a, user_b;

typedef struct var {
  char name[64];
  char value[256];
} var;

typedef struct file_state {
  const char *path;
  var vars[64];
  int n_vars;
  int lineno;
  int failures;
  int rows;
} file_state;

static void set_var(file_state *fs, const char *name, const char *value) {
  if (fs->n_vars == (int)(sizeof fs->vars / sizeof fs->vars[0])) fail_msg("%s: too many variables", fs->path);
  var *v = &fs->vars[fs->n_vars++];
  snprintf(v->name, sizeof v->name, "%.*s", (int)sizeof v->name - 1, name);
  snprintf(v->value, sizeof v->value, "%.*s", (int)sizeof v->value - 1, value);
}

static const char *get_var(const file_state *fs, const char *name, size_t len) {
  for (int i = fs->n_vars - 1; i >= 0; i--)
    if (strlen(fs->vars[i].name) == len && strncmp(fs->vars[i].name, name, len) == 0) return fs->vars[i].value;
  return NULL;
}

static void report(file_state *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(file_state *fs, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  print_error("%s:%d: %s\n", fs->path, fs->lineno, msg);
  fs->failures++;
}

/* ${NAME} replaced by its value; false (reported) for an unknown name or an overlong line. */
static bool expand(file_state *fs, const char *in, char *out, size_t cap) {
  size_t o = 0;
  for (const char *p = in; *p;) {
    const char *end;
    if (p[0] == '$' && p[1] == '{' && (end = strchr(p, '}'))) {
      const char *bar = memchr(p, '|', (size_t)(end - p));
      bool upper = bar && (size_t)(end - bar - 1) == 5 && strncmp(bar + 1, "upper", 5) == 0;
      const char *v = get_var(fs, p + 2, (size_t)((upper ? bar : end) - p - 2));
      if (!v || (bar && !upper)) {
        report(fs, "unknown variable or filter %.*s", (int)(end - p + 1), p);
        return false;
      }
      size_t n = strlen(v);
      if (o + n >= cap) break;
      for (size_t i = 0; i < n; i++) out[o + i] = upper ? (char)toupper((unsigned char)v[i]) : v[i];
      o += n;
      p = end + 1;
    } else {
      if (o + 1 >= cap) break;
      out[o++] = *p++;
    }
  }
  if (o + 1 >= cap) {
    report(fs, "line too long");
    return false;
  }
  out[o] = '\0';
  return true;
}

static char *next_word(char **p) {
  while (**p == ' ') (*p)++;
  if (!**p) return NULL;
  char *start = *p;
  while (**p && **p != ' ') (*p)++;
  if (**p) *(*p)++ = '\0';
  return start;
}

/* The text of a scalar field at a dotted path of `msg`, or NULL. */
static const char *field_text(const ProtobufCMessage *msg, const char *path, char *buf, size_t cap) {
  char part[128];
  for (;;) {
    const char *dot = strchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    if (n >= sizeof part || !msg) return NULL;
    memcpy(part, path, n);
    part[n] = '\0';
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, part);
    if (!f || f->label == PROTOBUF_C_LABEL_REPEATED) return NULL;
    const void *at = (const char *)msg + f->offset;
    if (dot) {
      if (f->type != PROTOBUF_C_TYPE_MESSAGE) return NULL;
      msg = *(const ProtobufCMessage *const *)at;
      path = dot + 1;
      continue;
    }
    switch (f->type) {
      case PROTOBUF_C_TYPE_STRING: return *(const char *const *)at;
      case PROTOBUF_C_TYPE_INT64: snprintf(buf, cap, "%lld", (long long)*(const int64_t *)at); return buf;
      case PROTOBUF_C_TYPE_INT32: snprintf(buf, cap, "%d", *(const int32_t *)at); return buf;
      default: return NULL;
    }
  }
}

static const hub_test_user *caller(file_state *fs, const char *name) {
  if (strcmp(name, "a") == 0) return &user_a;
  if (strcmp(name, "b") == 0) return &user_b;
  if (strcmp(name, "anon") == 0) return NULL;
  report(fs, "caller '%s' is none of a, b, anon", name);
  return (const hub_test_user *)-1;
}

/* Calls METHOD as CALLER with JSON (the rest of `line` after them, up to `json_end`). */
static bool call(file_state *fs, hub_arena *a, char *line, hub_status *st, ProtobufCMessage **resp) {
  char *p = line;
  char *who = next_word(&p), *method = next_word(&p);
  while (p && *p == ' ') p++;
  if (!who || !method || !p || !*p) {
    report(fs, "expected CALLER METHOD JSON");
    return false;
  }
  const hub_test_user *u = caller(fs, who);
  if (u == (const hub_test_user *)-1) return false;
  const hub_method_def *m = hub_method_find(method);
  if (!m || m->streaming != HUB_UNARY) {
    report(fs, "no unary method %s", method);
    return false;
  }
  ProtobufCMessage *req = NULL;
  hub_status jst = hub_json_to_pb(a, m->input, p, &req);
  if (!hub_ok(jst)) {
    report(fs, "request of %s: %s", method, jst.message);
    return false;
  }
  hub_call_options o = u ? hub_world_opts(u) : (hub_call_options){0};
  o.timeout_ms = 10000;
  o.no_retry = true;
  *st = hub_unary_call(w.ch, m, &o, a, req, resp);
  return true;
}

static void run_let(file_state *fs, hub_arena *a, char *rest) {
  char *p = rest;
  char *name = next_word(&p), *eq = next_word(&p);
  char *path = p ? strrchr(p, ' ') : NULL;
  if (!name || !eq || strcmp(eq, "=") != 0 || !path || path[1] != '.') {
    report(fs, "expected: let NAME = CALLER METHOD JSON .PATH");
    return;
  }
  *path = '\0';
  hub_status st;
  ProtobufCMessage *resp = NULL;
  if (!call(fs, a, p, &st, &resp)) return;
  if (!hub_ok(st)) {
    report(fs, "let %s: %s %s", name, hub_code_name(st.code), st.message);
    return;
  }
  char buf[32];
  const char *v = field_text(resp, path + 2, buf, sizeof buf);
  if (!v || !*v) {
    report(fs, "let %s: the response has no %s", name, path + 1);
    return;
  }
  set_var(fs, name, v);
}

static bool names_field(const hub_status *st, const char *field) {
  if (st->code == HUB_INVALID_ARGUMENT) {
    for (const hub_violation *v = st->violations; v; v = v->next)
      if (strcmp(v->field, field) == 0) return true;
    return false;
  }
  size_t n = strlen(field);
  return strncmp(st->message, field, n) == 0 && st->message[n] == ':';
}

static void run_expect(file_state *fs, hub_arena *a, char *line) {
  char *arrow = strstr(line, " -> ");
  if (!arrow) {
    report(fs, "expected: CALLER METHOD JSON -> CODE [FIELD]");
    return;
  }
  *arrow = '\0';
  char *p = arrow + 4;
  char *code_name = next_word(&p), *field = next_word(&p);
  hub_code want;
  if (!code_name || !hub_code_parse(code_name, &want)) {
    report(fs, "unknown code %s", code_name ? code_name : "(none)");
    return;
  }
  hub_status st;
  ProtobufCMessage *resp = NULL;
  if (!call(fs, a, line, &st, &resp)) return;
  fs->rows++;
  /* The text a client reads: filled in for a refusal, bounded, and naming nothing of the other
   * tenant's (its ids, the objects its `let` lines kept). */
  char other = (line[0] == 'a' && line[1] == ' ') ? 'b' : (line[0] == 'b' && line[1] == ' ') ? 'a' : 0;
  if (st.code != HUB_OK && (!st.message || !*st.message || strlen(st.message) > HUB_STATUS_MESSAGE_MAX))
    report(fs, "%s: the message is empty or longer than %d bytes", line, HUB_STATUS_MESSAGE_MAX);
  for (int i = 0; other && st.message && i < fs->n_vars; i++)
    if (fs->vars[i].name[0] == other && fs->vars[i].name[1] == '.' && strstr(st.message, fs->vars[i].value))
      report(fs, "%s: the message quotes %s", line, fs->vars[i].name);
  if (st.code != want) {
    report(fs, "%s: got %s (%s), want %s", line, hub_code_name(st.code), st.message, code_name);
  } else if (field && !names_field(&st, field)) {
    char got[512] = "";
    for (const hub_violation *v = st.violations; v; v = v->next)
      snprintf(got + strlen(got), sizeof got - strlen(got), " %s", v->field);
    report(fs, "%s: %s does not name %s (message \"%s\"; violations:%s)", line, code_name, field, st.message, got);
  }
}

static void run_file(void **state) {
  file_state *fs = calloc(1, sizeof *fs);
  fs->path = *state;
  set_var(fs, "a.tenant", user_a.tenant_id);
  set_var(fs, "b.tenant", user_b.tenant_id);
  set_var(fs, "a.user", user_a.user_id);
  set_var(fs, "b.user", user_b.user_id);
  FILE *f = fopen(fs->path, "r");
  assert_non_null(f);
  char raw[8192], line[8192];
  while (fgets(raw, sizeof raw, f)) {
    fs->lineno++;
    raw[strcspn(raw, "\r\n")] = '\0';
    char *s = raw;
    while (isspace((unsigned char)*s)) s++;
    if (!*s || *s == '#') continue;
    if (!expand(fs, s, line, sizeof line)) continue;
    hub_arena *a = hub_arena_new(0);
    if (strncmp(line, "let ", 4) == 0) run_let(fs, a, line + 4);
    else run_expect(fs, a, line);
    hub_arena_free(a);
  }
  fclose(f);
  print_message("%s: %d refusals checked\n", fs->path, fs->rows);
  int failures = fs->failures, rows = fs->rows;
  free(fs);
  if (failures) fail_msg("%d of the lines failed", failures);
  if (rows == 0) fail_msg("no refusal rows");
}

static int setup(void **state) {
  (void)state;
  if (!hub_world_up(&w, "refusals", NULL)) return -1;
  hub_world_signup_login(&w, "refusals-a@example.com", "Refusals A", "exakeep", &user_a);
  hub_world_signup_login(&w, "refusals-b@example.com", "Refusals B", "exakeep", &user_b);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  return 0;
}

int main(void) {
  /* One test per tests/integration/<domain>/refusals.txt, in name order. */
  const char *src = getenv("HUB_SOURCE_DIR");
  if (!src) {
    fprintf(stderr, "HUB_SOURCE_DIR is not set\n");
    return 1;
  }
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/tests/integration", src);
  struct dirent **names;
  int n = scandir(dir, &names, NULL, alphasort);
  if (n < 0) return 1;
  struct CMUnitTest tests[64];
  size_t count = 0;
  for (int i = 0; i < n; i++) {
    char path[1400];
    snprintf(path, sizeof path, "%s/%s/refusals.txt", dir, names[i]->d_name);
    FILE *f = names[i]->d_name[0] != '.' && count < 64 ? fopen(path, "r") : NULL;
    if (f) {
      fclose(f);
      tests[count++] = (struct CMUnitTest){strdup(names[i]->d_name), run_file, NULL, NULL, strdup(path)};
    }
    free(names[i]);
  }
  free(names);
  if (count == 0) {
    fprintf(stderr, "no tests/integration/*/refusals.txt\n");
    return 1;
  }
  int failed = _cmocka_run_group_tests("refusals", tests, count, setup, teardown);
  for (size_t i = 0; i < count; i++) {
    free((char *)tests[i].name);
    free(tests[i].initial_state);
  }
  return failed;
}
