/* Every RPC's request message in one target, picked from the generated method table (see
 * request_pick.h), so a new RPC is fuzzed with no list to edit. It runs the pure path that the
 * runtime runs between a message's bytes and its handler: the codec's decode (with the merge of
 * split message fields), the UTF-8 and Timestamp/Duration check (hub_decode in
 * server/runtime/call.c), the contract's field rules (hub_validate, as the generated adapter
 * calls it) and, for a refusal, the status as it goes out (bounded, packed as
 * grpc-status-details-bin) and back in through the client library's reader. */
#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "fuzz_input.h"
#include "hub/status_details.h"
#include "hub/utf8.h"
#include "hub/validate.h"
#include "request_pick.h"

/* A decoded message packs to the size protobuf-c says it has. */
static void check_pack(const ProtobufCMessage *m) {
  size_t size = protobuf_c_message_get_packed_size(m);
  uint8_t *buf = malloc(size ? size : 1);
  if (protobuf_c_message_pack(m, buf) != size) abort();
  free(buf);
}

/* A refusal survives the trip to the client: same code, a message, as many violations. */
static void check_status(hub_arena *a, hub_status st) {
  st = hub_status_bounded(a, st);
  if (!st.message) st.message = hub_code_name(st.code);
  size_t len;
  uint8_t *details = hub_status_details_pack(a, st, &len);
  hub_status back = HUB_STATUS_OK;
  if (!hub_utf8_valid(st.message, strlen(st.message))) abort(); /* grpc-message is clipped on a character */
  if (!hub_status_details_unpack(a, details, len, &back) || back.code != st.code || !back.message) abort();
}

/* The byte buffers of the codec are the C core's; it is initialised once, as hubd does. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  grpc_init();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_input in = {data, size};
  const hub_method_def *m = fuzz_request_method(fuzz_u16(&in));
  hub_arena *a = hub_arena_new(0);
  grpc_slice s = grpc_slice_from_copied_buffer((const char *)in.p, in.n);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  ProtobufCMessage *req = hub_codec_decode(a, bb, m->input);
  grpc_byte_buffer_destroy(bb);
  if (req) {
    check_pack(req);
    hub_status st = HUB_STATUS_OK;
    if (hub_codec_check_utf8(a, req, &st)) st = hub_validate(a, m->rules, req);
    if (!hub_ok(st)) {
      if (st.code != HUB_INVALID_ARGUMENT) abort(); /* a malformed request is the caller's fault */
      check_status(a, st);
    }
  }
  hub_arena_free(a);
  return 0;
}
