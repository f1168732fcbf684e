/* hub_status <-> google.rpc.Status, the bytes that ride in grpc-status-details-bin.
 * Field violations travel as a google.rpc.BadRequest detail. Used by the server runtime
 * (to send) and the client library (to receive). */
#ifndef HUB_STATUS_DETAILS_H
#define HUB_STATUS_DETAILS_H

#include <stddef.h>
#include <stdint.h>

#include "hub/arena.h"
#include "hub/status.h"

#define HUB_STATUS_DETAILS_KEY "grpc-status-details-bin"

/* Serializes `st` into the arena; returns the bytes and sets *len. */
uint8_t *hub_status_details_pack(hub_arena *arena, hub_status st, size_t *len);

/* Reads google.rpc.Status bytes into *st (message and violations in the arena). Returns
 * false if the bytes do not parse; *st is then left alone. */
bool hub_status_details_unpack(hub_arena *arena, const uint8_t *data, size_t len, hub_status *st);

#endif
