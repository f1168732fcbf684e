/* The smallest useful SMB Hub client: connect, call System/GetInfo with a deadline and a
 * request id, print the answer or the error. A BFF author copies this and swaps the stub.
 *   hub-client-example [host:port]                                                      */
#include <stdio.h>

#include "hub/client.h"
#include "hub/system/v1/system.hub-client.h"

int main(int argc, char **argv) {
  const char *target = argc > 1 ? argv[1] : "127.0.0.1:50051";
  hub_channel *ch = hub_channel_new(target, NULL); /* one per process; thread-safe */
  if (!ch) {
    fprintf(stderr, "bad target %s\n", target);
    return 2;
  }
  hub_arena *arena = hub_arena_new(0); /* owns the response and the status text */
  hub_call_options opts = {.timeout_ms = 2000, .request_id = "example-1"};
  Hub__System__V1__GetInfoRequest req = HUB__SYSTEM__V1__GET_INFO_REQUEST__INIT;
  Hub__System__V1__GetInfoResponse *resp = NULL;
  hub_status st = hub_system_v1_system_get_info_call(ch, &opts, arena, &req, &resp);
  int rc = 0;
  if (hub_ok(st)) {
    printf("hubd %s (instance %s, schema %lld, request %s)\n", resp->version, resp->instance_id,
           (long long)resp->schema_version, resp->request_id);
  } else {
    fprintf(stderr, "GetInfo failed: %s: %s\n", hub_code_name(st.code), st.message);
    for (hub_violation *v = st.violations; v; v = v->next) fprintf(stderr, "  %s: %s\n", v->field, v->description);
    rc = 1;
  }
  hub_arena_free(arena);
  hub_channel_free(ch);
  return rc;
}
