/* hub-interop-client: runs the gRPC interop test cases (the *_cases.c files) through our
 * client library against any grpc.testing.TestService server. Flags are named as gRPC's
 * standard interop client's. Prints one line per case and "N passed, M failed"; exits 0 only
 * if every requested case passed. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "interop_cases.h"

typedef struct interop_case {
  const char *name;
  interop_case_fn run;
} interop_case;

/* The order `all` runs them in. */
static const interop_case cases[] = {
    {"empty_unary", interop_empty_unary},
    {"large_unary", interop_large_unary},
    {"client_streaming", interop_client_streaming},
    {"server_streaming", interop_server_streaming},
    {"ping_pong", interop_ping_pong},
    {"empty_stream", interop_empty_stream},
    {"status_code_and_message", interop_status_code_and_message},
    {"special_status_message", interop_special_status_message},
    {"custom_metadata", interop_custom_metadata},
    {"unimplemented_method", interop_unimplemented_method},
    {"unimplemented_service", interop_unimplemented_service},
    {"cancel_after_begin", interop_cancel_after_begin},
    {"cancel_after_first_response", interop_cancel_after_first_response},
    {"timeout_on_sleeping_server", interop_timeout_on_sleeping_server},
};
#define N_CASES (sizeof cases / sizeof cases[0])

typedef struct flags {
  const char *host, *port, *test_case, *host_override, *ca_file;
  bool use_tls;
} flags;

static void usage(void) {
  fprintf(stderr, "usage: hub-interop-client --server_host H --server_port P --test_case NAME[,NAME...]|all\n"
                  "                          [--use_tls=true [--ca_file PEM] [--server_host_override NAME]]\n"
                  "cases:");
  for (size_t i = 0; i < N_CASES; i++) fprintf(stderr, " %s", cases[i].name);
  fprintf(stderr, "\n");
}

static bool parse_flags(int argc, char **argv, flags *f) {
  for (int i = 1; i < argc; i++) {
    const char *v;
    if ((v = interop_flag_value(argc, argv, &i, "server_host"))) f->host = v;
    else if ((v = interop_flag_value(argc, argv, &i, "server_port"))) f->port = v;
    else if ((v = interop_flag_value(argc, argv, &i, "test_case"))) f->test_case = v;
    else if ((v = interop_flag_value(argc, argv, &i, "server_host_override"))) f->host_override = v;
    else if ((v = interop_flag_value(argc, argv, &i, "ca_file"))) f->ca_file = v;
    else if (strcmp(argv[i], "--use_tls") == 0 || strcmp(argv[i], "--use_tls=true") == 0) f->use_tls = true;
    else if (strcmp(argv[i], "--use_tls=false") == 0) f->use_tls = false;
    else {
      fprintf(stderr, "hub-interop-client: unknown argument %s\n", argv[i]);
      return false;
    }
  }
  if (!f->port || !*f->port) {
    fprintf(stderr, "hub-interop-client: --server_port is required\n");
    return false;
  }
  return true;
}

static const interop_case *find_case(const char *name, size_t len) {
  for (size_t i = 0; i < N_CASES; i++)
    if (strlen(cases[i].name) == len && strncmp(cases[i].name, name, len) == 0) return &cases[i];
  return NULL;
}

/* Prints `s` with control characters escaped C-style, so a reason quoting a status message
 * full of tabs and newlines still takes one line. */
static void print_escaped(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '\n') fputs("\\n", stdout);
    else if (*p == '\r') fputs("\\r", stdout);
    else if (*p == '\t') fputs("\\t", stdout);
    else if (*p < 0x20 || *p == 0x7f) printf("\\x%02x", *p);
    else putchar(*p);
  }
}

/* Runs one case with a fresh arena and prints its line; returns whether it passed. */
static bool run_case(hub_channel *ch, const interop_case *c) {
  interop_ctx ctx = {.ch = ch, .arena = hub_arena_new(0)};
  bool ok = c->run(&ctx);
  if (ok) {
    printf("PASS %s\n", c->name);
  } else {
    printf("FAIL %s: ", c->name);
    print_escaped(ctx.why[0] ? ctx.why : "(no reason given)");
    putchar('\n');
  }
  fflush(stdout);
  hub_arena_free(ctx.arena);
  return ok;
}

int main(int argc, char **argv) {
  flags f = {.host = "localhost", .test_case = "large_unary"};
  if (!parse_flags(argc, argv, &f)) {
    usage();
    return 2;
  }
  /* Resolve every requested name before running anything, so a typo costs no time. */
  const interop_case *todo[64];
  size_t n_todo = 0;
  if (strcmp(f.test_case, "all") == 0) {
    for (size_t i = 0; i < N_CASES; i++) todo[n_todo++] = &cases[i];
  } else {
    for (const char *p = f.test_case; *p;) {
      size_t len = strcspn(p, ",");
      const interop_case *c = find_case(p, len);
      if (!c || n_todo == sizeof todo / sizeof todo[0]) {
        fprintf(stderr, "hub-interop-client: unknown test case %.*s\n", (int)len, p);
        usage();
        return 2;
      }
      todo[n_todo++] = c;
      p += len + (p[len] == ',');
    }
  }

  char target[512];
  snprintf(target, sizeof target, "%s:%s", f.host, f.port);
  hub_channel_options co = {.tls = f.use_tls, .ca_file = f.ca_file, .authority = f.host_override};
  hub_channel *ch = hub_channel_new(target, &co);
  if (!ch) {
    fprintf(stderr, "hub-interop-client: cannot make a channel to %s\n", target);
    return 2;
  }
  int passed = 0, failed = 0;
  for (size_t i = 0; i < n_todo; i++) {
    if (run_case(ch, todo[i])) passed++;
    else failed++;
  }
  hub_channel_free(ch);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
