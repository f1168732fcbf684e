/* JSON -> protobuf-c messages, driven only by the generated descriptors, so tools can call
 * any method of the contract by name with a JSON request (proto3 JSON mapping: lowerCamel or
 * original field names, int64 as number or string, bytes as base64, enums by name or number, a
 * FieldMask as its comma-separated string). */
#ifndef HUB_JSON_PB_H
#define HUB_JSON_PB_H

#include <protobuf-c/protobuf-c.h>

#include "hub/arena.h"
#include "hub/status.h"

/* Builds a message of type `d` from `json` in the arena. INVALID_ARGUMENT names the
 * offending field path on any mismatch. */
hub_status hub_json_to_pb(hub_arena *a, const ProtobufCMessageDescriptor *d, const char *json, ProtobufCMessage **out);

#endif
