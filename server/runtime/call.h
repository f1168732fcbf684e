/* What a handler sees of its call: arena, metadata, deadline, cancellation, its worker's
 * resources, and (for streaming kinds) the stream. A hub_call lives from the moment the
 * runtime accepts the call until its status is sent; everything allocated from its arena is
 * freed then. Handlers never touch gRPC core types. */
#ifndef HUB_RUNTIME_CALL_H
#define HUB_RUNTIME_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub/arena.h"
#include "hub/method.h"
#include "hub/status.h"

typedef struct hub_call hub_call;
typedef struct hub_stream hub_stream;

/* The per-call arena. */
hub_arena *hub_call_arena(hub_call *call);

const hub_method_def *hub_call_method(hub_call *call);

/* First value of request metadata `key` (lower case), NUL-terminated, or NULL. Binary
 * ("-bin") values are returned decoded; use hub_call_metadata_bin for their length. */
const char *hub_call_metadata(hub_call *call, const char *key);
const char *hub_call_metadata_bin(hub_call *call, const char *key, size_t *len);

/* Iterates request metadata: returns false past the end. */
bool hub_call_metadata_at(hub_call *call, size_t i, const char **key, const char **value, size_t *len);

/* x-request-id from the caller, or a generated one; echoed back in the response headers. */
const char *hub_call_request_id(hub_call *call);

/* "ipv4:127.0.0.1:53422" style peer address. */
const char *hub_call_peer(hub_call *call);
/* Just the caller's IP address ("127.0.0.1", "::1"), for sessions, audit and per-IP limits. */
const char *hub_call_peer_address(hub_call *call);

/* Milliseconds until the call's deadline (never negative); INT64_MAX if it has none. */
int64_t hub_call_remaining_ms(hub_call *call);

/* True once the deadline has passed or the client cancelled. Long handlers poll this. */
bool hub_call_cancelled(hub_call *call);

/* Adds response metadata: headers before the first message goes out, trailers with the
 * status. Key and value are copied. */
void hub_call_add_header(hub_call *call, const char *key, const char *value, size_t len);
void hub_call_add_trailer(hub_call *call, const char *key, const char *value, size_t len);

/* Fields for the call's log line (set by middleware; copied). */
void hub_call_set_tenant(hub_call *call, const char *tenant);
void hub_call_set_user(hub_call *call, const char *user);
/* The public prefix of the API key a machine caller presented (never the key itself). */
void hub_call_set_api_key(hub_call *call, const char *prefix);

/* Who is calling, as the interceptor established it (the middleware's hub_principal; the
 * runtime does not look inside). NULL until set. The pointee must live as long as the call
 * (allocate it from the call's arena). */
void hub_call_set_principal(hub_call *call, const void *principal);
const void *hub_call_principal(hub_call *call);

/* The per-thread context the server's worker_init hook made (e.g. PostgreSQL + Redis
 * connections). Streaming calls run on their own thread, which gets its own context. */
void *hub_call_worker_ctx(hub_call *call);

/* Streams. A message read lives until the next read on the same stream (or the call's end).
 * hub_stream_read returns OK with *msg = NULL when the client has finished sending. */
hub_status hub_stream_read(hub_stream *stream, ProtobufCMessage **msg);
hub_status hub_stream_write(hub_stream *stream, const ProtobufCMessage *msg);

/* Waits up to `ms` (bounded by the deadline); returns false if the call was cancelled or
 * its deadline passed meanwhile. For handlers that sleep or poll between writes. */
bool hub_call_sleep_ms(hub_call *call, int64_t ms);

#endif
