/* hub-bare-echo: the ceiling our runtime is measured against. gRPC C core only: ONE
 * registered method (/grpc.testing.TestService/UnaryCall) with its first message delivered
 * with the call, worker threads polling ONE shared completion queue, decode the request,
 * and ONE reply batch. No request id, no interceptor, no arena, no log line: everything our
 * runtime adds is absent here, so the CPU difference per call is the runtime's cost.
 *   hub-bare-echo --port P [--workers N]                                                  */
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grpc/testing/messages.pb-c.h"

typedef struct call {
  int finishing;
  grpc_call *call;
  gpr_timespec deadline;
  grpc_metadata_array md;
  grpc_byte_buffer *payload;
  grpc_byte_buffer *reply;
  int cancelled;
} call;

static grpc_server *server;
static grpc_completion_queue *cq;
static void *method;
static int shutdown_tag;

static void request(void) {
  call *c = calloc(1, sizeof *c);
  grpc_metadata_array_init(&c->md);
  if (grpc_server_request_registered_call(server, method, &c->call, &c->deadline, &c->md, &c->payload, cq, cq, c) !=
      GRPC_CALL_OK)
    free(c);
}

static void answer(call *c) {
  grpc_byte_buffer_reader r;
  grpc_byte_buffer_reader_init(&r, c->payload);
  grpc_slice s = grpc_byte_buffer_reader_readall(&r);
  grpc_byte_buffer_reader_destroy(&r);
  Grpc__Testing__SimpleRequest *req =
      grpc__testing__simple_request__unpack(NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
  grpc_slice_unref(s);
  Grpc__Testing__SimpleResponse resp = GRPC__TESTING__SIMPLE_RESPONSE__INIT;
  Grpc__Testing__Payload payload = GRPC__TESTING__PAYLOAD__INIT;
  size_t size = req && req->response_size > 0 ? (size_t)req->response_size : 0;
  payload.body.len = size;
  payload.body.data = calloc(1, size + 1);
  resp.payload = &payload;
  grpc_slice out = grpc_slice_malloc(grpc__testing__simple_response__get_packed_size(&resp));
  grpc__testing__simple_response__pack(&resp, GRPC_SLICE_START_PTR(out));
  free(payload.body.data);
  if (req) grpc__testing__simple_request__free_unpacked(req, NULL);
  c->reply = grpc_raw_byte_buffer_create(&out, 1);
  grpc_slice_unref(out);

  grpc_op ops[4];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = c->reply;
  ops[2].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[2].data.send_status_from_server.status = GRPC_STATUS_OK;
  ops[3].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  ops[3].data.recv_close_on_server.cancelled = &c->cancelled;
  c->finishing = 1;
  grpc_call_start_batch(c->call, ops, 4, c, NULL);
}

static void finish(call *c) {
  grpc_byte_buffer_destroy(c->reply);
  if (c->payload) grpc_byte_buffer_destroy(c->payload);
  grpc_metadata_array_destroy(&c->md);
  grpc_call_unref(c->call);
  free(c);
}

static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) return NULL;
    if (ev.type != GRPC_OP_COMPLETE || ev.tag == &shutdown_tag) continue;
    call *c = ev.tag;
    if (c->finishing) {
      finish(c);
    } else if (!ev.success) {
      grpc_metadata_array_destroy(&c->md);
      free(c);
    } else {
      request();
      answer(c);
    }
  }
}

int main(int argc, char **argv) {
  int port = 50099;
  long workers = sysconf(_SC_NPROCESSORS_ONLN) * 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--workers")) workers = atol(argv[i + 1]);
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  grpc_init();
  server = grpc_server_create(NULL, NULL);
  cq = grpc_completion_queue_create_for_next(NULL);
  grpc_server_register_completion_queue(server, cq, NULL);
  method = grpc_server_register_method(server, "/grpc.testing.TestService/UnaryCall", NULL,
                                       GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  if (!grpc_server_add_http2_port(server, addr, creds)) {
    fprintf(stderr, "hub-bare-echo: cannot listen on %s\n", addr);
    return 1;
  }
  grpc_server_credentials_release(creds);
  grpc_server_start(server);
  for (long i = 0; i < workers * 2; i++) request();
  pthread_t *t = calloc((size_t)workers, sizeof *t);
  for (long i = 0; i < workers; i++) pthread_create(&t[i], NULL, worker, NULL);
  int sig;
  sigwait(&set, &sig);
  grpc_server_shutdown_and_notify(server, cq, &shutdown_tag);
  grpc_server_cancel_all_calls(server);
  grpc_completion_queue_shutdown(cq);
  for (long i = 0; i < workers; i++) pthread_join(t[i], NULL);
  grpc_server_destroy(server);
  grpc_completion_queue_destroy(cq);
  grpc_shutdown();
  free(t);
  return 0;
}
