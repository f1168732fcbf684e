/* Client internals shared by channel.c, unary.c, stream.c and async.c. */
#ifndef HUB_CLIENT_INTERNAL_H
#define HUB_CLIENT_INTERNAL_H

#include <grpc/grpc.h>

#include "codec.h"
#include "hub/client.h"

struct hub_channel {
  grpc_channel *ch;
  hub_channel_options opts;
  grpc_slice authority;
  bool has_authority;
};

/* Request metadata from per-call options, in `arena`. */
grpc_metadata *hub_client_metadata(hub_arena *arena, const hub_call_options *opts, size_t *count);
gpr_timespec hub_client_deadline(const hub_call_options *opts);
grpc_call *hub_client_create_call(hub_channel *ch, grpc_completion_queue *cq, const hub_method_def *m,
                                  const hub_call_options *opts);
/* Builds a hub_status from what the server sent (details trailer decoded when present). */
hub_status hub_client_status(hub_arena *arena, grpc_status_code code, grpc_slice details,
                             const grpc_metadata_array *trailers);
/* Copies received metadata into the arena for the caller, if asked. */
void hub_client_copy_md(hub_arena *arena, const grpc_metadata_array *md, hub_metadata **out, size_t *n);

/* What a unary call receives; filled by the batch hub_unary_ops builds. */
typedef struct hub_unary_recv {
  grpc_metadata_array headers, trailers;
  grpc_byte_buffer *response;
  grpc_status_code code;
  grpc_slice details;
} hub_unary_recv;

/* The one batch of a unary call: send metadata, message and close; receive headers,
 * message and status. Initialises *r; release it with hub_unary_recv_destroy. */
void hub_unary_ops(grpc_op ops[6], const grpc_metadata *md, size_t n_md, grpc_byte_buffer *request,
                   hub_unary_recv *r);
void hub_unary_recv_destroy(hub_unary_recv *r);

#endif
