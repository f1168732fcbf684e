/* hub-interop-server: serves grpc.testing.TestService (test_service.c) on our runtime so that
 * our own interop client, or any standard gRPC interop client, can check it. Prints
 * {"port":N} as its first stdout line, then serves until SIGTERM or SIGINT. */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "grpc/testing/test.hub-server.h"
#include "hub/log.h"
#include "runtime/server.h"

typedef struct flags {
  int port;
  const char *host;
  bool use_tls;
  const char *cert, *key;
} flags;

static void usage(void) {
  fprintf(stderr,
          "usage: hub-interop-server [--port N] [--host ADDR] [--use_tls=true --tls_cert_file F --tls_key_file F]\n"
          "  --port 0 (the default) picks a free port; it is printed as {\"port\":N} on stdout.\n");
}

static bool parse_flags(int argc, char **argv, flags *f) {
  for (int i = 1; i < argc; i++) {
    const char *v;
    if ((v = interop_flag_value(argc, argv, &i, "port"))) {
      char *end;
      long p = strtol(v, &end, 10);
      if (*end || p < 0 || p > 65535) return false;
      f->port = (int)p;
    } else if ((v = interop_flag_value(argc, argv, &i, "host"))) {
      f->host = v;
    } else if ((v = interop_flag_value(argc, argv, &i, "use_tls"))) {
      if (!interop_parse_bool(v, &f->use_tls)) return false;
    } else if (strcmp(argv[i], "--use_tls") == 0) {
      f->use_tls = true;
    } else if ((v = interop_flag_value(argc, argv, &i, "tls_cert_file"))) {
      f->cert = v;
    } else if ((v = interop_flag_value(argc, argv, &i, "tls_key_file"))) {
      f->key = v;
    } else {
      fprintf(stderr, "hub-interop-server: unknown argument %s\n", argv[i]);
      return false;
    }
  }
  if (f->use_tls && (!f->cert || !f->key)) {
    fprintf(stderr, "hub-interop-server: --use_tls needs --tls_cert_file and --tls_key_file\n");
    return false;
  }
  return true;
}

int main(int argc, char **argv) {
  flags f = {.port = 0, .host = "127.0.0.1"};
  if (!parse_flags(argc, argv, &f)) {
    usage();
    return 2;
  }
  /* Block the shutdown signals before any thread exists, so none of them can take one and
   * a signal arriving early waits for hub_server_wait_for_signal. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);

  char listen[300];
  snprintf(listen, sizeof listen, "%s:%d", f.host, f.port);
  hub_server_options opts;
  hub_server_options_defaults(&opts);
  opts.listen = listen;
  if (f.use_tls) {
    opts.tls_cert_file = f.cert;
    opts.tls_key_file = f.key;
  }
  hub_server *srv = hub_server_new(&opts);
  if (!srv) return 1;
  hub_server_add_service(srv, &hub_grpc_testing_test_service_service);
  if (!hub_server_start(srv)) {
    hub_logf(HUB_LOG_ERROR, "cannot start the server");
    hub_server_shutdown(srv, 0);
    hub_server_free(srv);
    return 1;
  }
  printf("{\"port\":%d}\n", hub_server_port(srv));
  fflush(stdout);
  hub_server_wait_for_signal();
  hub_server_shutdown(srv, 5000);
  hub_server_free(srv);
  return 0;
}
