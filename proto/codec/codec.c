/* See codec.h. Reads the whole buffer into one slice: messages are bounded by the
 * channel's max receive size, so one copy is cheaper than a streaming decoder. */
#include "codec.h"

#include <grpc/byte_buffer_reader.h>

grpc_byte_buffer *hub_codec_encode(const ProtobufCMessage *msg) {
  size_t len = protobuf_c_message_get_packed_size(msg);
  grpc_slice s = grpc_slice_malloc(len);
  protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  return bb;
}

ProtobufCMessage *hub_codec_decode(hub_arena *a, grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *d) {
  grpc_byte_buffer_reader r;
  if (!grpc_byte_buffer_reader_init(&r, bb)) return NULL;
  grpc_slice s = grpc_byte_buffer_reader_readall(&r);
  grpc_byte_buffer_reader_destroy(&r);
  ProtobufCAllocator alloc = hub_arena_allocator(a);
  ProtobufCMessage *m = protobuf_c_message_unpack(d, &alloc, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
  grpc_slice_unref(s);
  return m;
}
