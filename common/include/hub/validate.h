/* Field rules (proto/hub/api/v1/rules.proto) as data. protoc-gen-hub compiles every
 * message's `(hub.api.v1.rules)` options into one hub_message_rules table (hub_rules.c,
 * generated), and a method's table rides in its hub_method_def; the generated adapter checks
 * the request with hub_validate before the handler runs (hub_stream_read checks each message
 * of a client stream), so a handler sees only requests that satisfy their contract. Like
 * Redis' command table, the rules are rows and one checker reads them (proto/validate.c). */
#ifndef HUB_VALIDATE_H
#define HUB_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "hub/arena.h"
#include "hub/status.h"

struct hub_message_rules;

/* The rules of one field, as rules.proto defines them. */
typedef struct hub_field_rules {
  uint32_t number; /* the field's number in its message */
  bool required, uuid, email, date, defined, unique, has_min, has_max;
  int chars; /* a hub.api.v1.CharClass value; 0 = any well-formed UTF-8 */
  uint32_t min_len, max_len, max_items;
  int64_t min, max;
  const struct hub_message_rules *message; /* the rules of a message-typed field's type, or NULL */
} hub_field_rules;

/* The rules of one message: only fields with rules (or whose message type has some) appear. */
typedef struct hub_message_rules {
  const ProtobufCMessageDescriptor *descriptor;
  uint32_t n_fields;
  const hub_field_rules *fields;
} hub_message_rules;

/* Checks `msg` (of rules->descriptor's type) against `rules`, lower-casing `uuid` fields in
 * place. Returns OK, or INVALID_ARGUMENT carrying every violation (field paths such as
 * "ticket.tags[1]"; texts in `a`), its message naming the first and counting the rest. */
hub_status hub_validate(hub_arena *a, const hub_message_rules *rules, ProtobufCMessage *msg);

#endif
