/* See procs.h. */
#include "support/procs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

struct hub_proc {
  pid_t pid;
  char log[256];
};

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

int hub_free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int port = -1;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

hub_proc *hub_proc_spawn(const char *const *argv, const char *const *env_kv, const char *log_path) {
  hub_proc *p = calloc(1, sizeof *p);
  snprintf(p->log, sizeof p->log, "%s", log_path);
  p->pid = fork();
  if (p->pid < 0) {
    free(p);
    return NULL;
  }
  if (p->pid == 0) {
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    for (const char *const *kv = env_kv; kv && *kv; kv++) putenv((char *)*kv);
    execvp(argv[0], (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  return p;
}

int hub_proc_pid(const hub_proc *p) { return p->pid; }
const char *hub_proc_log_path(const hub_proc *p) { return p->log; }

void hub_proc_dump_log(const hub_proc *p) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "echo '--- last lines of %s:' >&2; tail -n 40 '%s' >&2", p->log, p->log);
  if (system(cmd) != 0) fprintf(stderr, "(could not show %s)\n", p->log);
}

int hub_proc_wait(hub_proc *p, int timeout_ms, int *exit_status) {
  for (int waited = 0;; waited += 20) {
    int st;
    pid_t r = waitpid(p->pid, &st, WNOHANG);
    if (r == p->pid) {
      if (exit_status) *exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      free(p);
      return 0;
    }
    if (waited >= timeout_ms) return -1;
    sleep_ms(20);
  }
}

void hub_proc_stop(hub_proc *p, int sig) {
  if (!p) return;
  kill(p->pid, sig);
  if (hub_proc_wait(p, 10000, NULL) != 0) {
    kill(p->pid, SIGKILL);
    hub_proc_wait(p, 10000, NULL);
  }
}

static char *log_file(const char *what, int port) {
  static char path[256];
  const char *dir = getenv("TMPDIR");
  snprintf(path, sizeof path, "%s/hub-test-%s-%d-%d.log", dir ? dir : "/tmp", what, (int)getpid(), port);
  return path;
}

static bool tcp_accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

static bool exited(hub_proc *p) { return waitpid(p->pid, NULL, WNOHANG) == p->pid; }

hub_proc *hub_redis_start(int port, const char *extra) {
  const char *bin = getenv("HUB_TEST_REDIS_SERVER");
  if (!bin) {
    fprintf(stderr, "HUB_TEST_REDIS_SERVER is not set (run the tests with tools/dev test)\n");
    return NULL;
  }
  char port_s[16];
  snprintf(port_s, sizeof port_s, "%d", port);
  const char *argv[16] = {bin, "--port", port_s, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"};
  int n = 9;
  char extra_copy[256] = "";
  if (extra) {
    snprintf(extra_copy, sizeof extra_copy, "%s", extra);
    for (char *save = NULL, *t = strtok_r(extra_copy, " ", &save); t && n < 15; t = strtok_r(NULL, " ", &save))
      argv[n++] = t;
  }
  argv[n] = NULL;
  hub_proc *p = hub_proc_spawn(argv, NULL, log_file("redis", port));
  if (!p) return NULL;
  for (int waited = 0; waited < 5000; waited += 50) {
    redisContext *c = redisConnect("127.0.0.1", port);
    bool up = c && !c->err;
    if (up) {
      redisReply *r = redisCommand(c, "PING");
      /* A password-protected server answers NOAUTH: it is up all the same. */
      up = r != NULL;
      if (r) freeReplyObject(r);
    }
    if (c) redisFree(c);
    if (up) return p;
    if (exited(p)) break;
    sleep_ms(50);
  }
  hub_proc_dump_log(p);
  hub_proc_stop(p, SIGKILL);
  return NULL;
}

hub_proc *hub_hubd_start(const char *const *env_kv, int *port_out) {
  const char *bin = getenv("HUBD_BIN");
  if (!bin) {
    fprintf(stderr, "HUBD_BIN is not set (run the tests through ctest)\n");
    return NULL;
  }
  int port = hub_free_port();
  static char listen[64];
  snprintf(listen, sizeof listen, "HUB_LISTEN=127.0.0.1:%d", port);
  const char *env[64];
  size_t n = 0;
  env[n++] = listen;
  for (const char *const *kv = env_kv; kv && *kv && n < 63; kv++) env[n++] = *kv;
  env[n] = NULL;
  const char *argv[] = {bin, NULL};
  hub_proc *p = hub_proc_spawn(argv, env, log_file("hubd", port));
  if (!p) return NULL;
  for (int waited = 0; waited < 15000; waited += 50) {
    if (tcp_accepts(port)) {
      if (port_out) *port_out = port;
      return p;
    }
    if (exited(p)) break;
    sleep_ms(50);
  }
  fprintf(stderr, "hubd did not start listening on %d\n", port);
  hub_proc_dump_log(p);
  hub_proc_stop(p, SIGKILL);
  return NULL;
}
