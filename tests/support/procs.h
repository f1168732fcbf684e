/* Process helpers for integration tests: free ports, a private redis-server, and hubd
 * itself, each started as a real process and stopped with a real signal. On a failure the
 * tail of the process's log is printed, so CI shows why. */
#ifndef HUB_TEST_PROCS_H
#define HUB_TEST_PROCS_H

#include <stdbool.h>

typedef struct hub_proc hub_proc;

/* An unused loopback TCP port. */
int hub_free_port(void);

/* Spawns argv[0] with `env_kv` ("K=V", NULL-terminated, added to the environment); stdout
 * and stderr go to `log_path`. NULL on failure. */
hub_proc *hub_proc_spawn(const char *const *argv, const char *const *env_kv, const char *log_path);

/* redis-server ($HUB_TEST_REDIS_SERVER) on 127.0.0.1:port without persistence, waited for
 * until it answers PING (5 s). `extra` is appended to its arguments (e.g. "--requirepass x"),
 * may be NULL. */
hub_proc *hub_redis_start(int port, const char *extra);

/* hubd ($HUBD_BIN) on a free port with `env_kv` added; waits until the port accepts
 * connections (15 s). *port_out receives the port. */
hub_proc *hub_hubd_start(const char *const *env_kv, int *port_out);

int hub_proc_pid(const hub_proc *p);
const char *hub_proc_log_path(const hub_proc *p);

/* Waits up to timeout_ms for the process to exit. Returns 0 and its exit status (or 128 +
 * signal) in *exit_status, and frees the handle; -1 on timeout (the handle stays valid). */
int hub_proc_wait(hub_proc *p, int timeout_ms, int *exit_status);

/* Sends `sig`, waits for the exit (killing it after 10 s) and frees the handle. */
void hub_proc_stop(hub_proc *p, int sig);

/* Prints the last lines of the process's log to stderr. */
void hub_proc_dump_log(const hub_proc *p);

#endif
