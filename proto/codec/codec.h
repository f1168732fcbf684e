/* protobuf-c messages <-> gRPC byte buffers: the one encoder and decoder that the server
 * runtime and the client library share. */
#ifndef HUB_CODEC_H
#define HUB_CODEC_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>

#include "hub/arena.h"
#include "hub/status.h"

/* A new byte buffer holding `msg`; the caller destroys it. */
grpc_byte_buffer *hub_codec_encode(const ProtobufCMessage *msg);

/* The message in `bb` decoded as `d`, allocated in `arena`; NULL if the bytes don't parse. */
ProtobufCMessage *hub_codec_decode(hub_arena *arena, grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *d);

/* Proto3 requires every string to be UTF-8, and protobuf-c does not check: walks every
 * string of `msg` (nested, repeated, oneof and map fields included) and adds a violation
 * "not valid UTF-8" naming each ill-formed one (e.g. "ticket.tags[2]") to *st, allocated in
 * `arena`. A google.protobuf.Timestamp or Duration outside its documented range is refused
 * the same way. Returns false when it found any. */
bool hub_codec_check_utf8(hub_arena *arena, const ProtobufCMessage *msg, hub_status *st);

#endif
