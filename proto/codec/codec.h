/* protobuf-c messages <-> gRPC byte buffers: the one encoder and decoder that the server
 * runtime and the client library share. */
#ifndef HUB_CODEC_H
#define HUB_CODEC_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>

#include "hub/arena.h"

/* A new byte buffer holding `msg`; the caller destroys it. */
grpc_byte_buffer *hub_codec_encode(const ProtobufCMessage *msg);

/* The message in `bb` decoded as `d`, allocated in `arena`; NULL if the bytes don't parse. */
ProtobufCMessage *hub_codec_decode(hub_arena *arena, grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *d);

#endif
