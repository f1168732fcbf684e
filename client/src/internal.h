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

#endif
