/* The generator's model of the contract: every service and method of the files being
 * generated, with the C names protoc-c gives their messages and the access each RPC
 * declares. Built once by model.c; the emit_*.c files only print it. */
#ifndef HUB_GEN_H
#define HUB_GEN_H

#include <stdbool.h>
#include <stddef.h>

#include "google/protobuf/compiler/plugin.pb-c.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "hub/api/v1/rules.pb-c.h"

typedef Google__Protobuf__FileDescriptorProto file_proto;

typedef struct gen_method {
  const char *name;       /* "GetInfo" */
  char *lower;            /* "get_info" */
  char *path;             /* "/hub.system.v1.System/GetInfo" */
  char *in_type, *out_type;   /* "Hub__System__V1__GetInfoRequest" */
  char *in_lower, *out_lower; /* "hub__system__v1__get_info_request" */
  int kind;               /* hub_streaming value */
  const char *permission; /* NULL when public */
  bool is_public;
  bool is_authenticated;
  bool idempotent;
  bool has_rules;         /* the input message has field rules (hub_rules_<in_lower>) */
} gen_method;

typedef struct gen_service {
  const char *name; /* "System" */
  char *full;       /* "hub.system.v1.System" */
  char *base;       /* "system_v1_system" */
  gen_method *methods;
  size_t n_methods;
} gen_service;

typedef struct gen_file {
  const file_proto *fd;
  char *stem; /* "hub/system/v1/system" */
  gen_service *services;
  size_t n_services;
} gen_file;

typedef struct gen_params {
  char **public_packages; /* packages whose RPCs need no access option (third-party protos) */
  size_t n_public;
  char **serve_prefixes;  /* services whose full name starts with one of these go into hub_served_services */
  size_t n_serve;
} gen_params;

/* A message of the files being generated, with the field rules its fields declare
 * (rules.c). A message "has rules" when a field of it declares some or a message-typed
 * field's type has rules; only such messages get a table. */
typedef struct gen_rule_msg {
  const Google__Protobuf__DescriptorProto *dp;
  char *full;          /* ".hub.ticket.v1.TicketInfo", as field type names spell it */
  char *lower;         /* "hub__ticket__v1__ticket_info" */
  const char *file;    /* the .proto that defines it */
  Hub__Api__V1__Rules **rules; /* per field of dp, NULL when it declares none */
  int state;           /* 0 not yet known, 1 being computed, 2 has rules, 3 has none */
} gen_rule_msg;

typedef struct gen_model {
  const Google__Protobuf__Compiler__CodeGeneratorRequest *req;
  gen_params params;
  gen_file *files; /* files_to_generate that define services */
  size_t n_files;
  gen_rule_msg *msgs; /* every message of files_to_generate */
  size_t n_msgs;
} gen_model;

/* Collects and checks every field rule of files_to_generate (a rule that does not fit its
 * field's type is a contract error, returned as false with a malloc'd *err). */
bool gen_rules_build(gen_model *m, char **err);
/* The message named `full` (".pkg.Msg") when it has rules, else NULL. */
const gen_rule_msg *gen_rules_of(const gen_model *m, const char *full);
/* Unpacks the option numbered `tag` (a length-delimited message) from an options message's
 * unknown fields: its bytes, or NULL. */
const uint8_t *gen_option_bytes(const ProtobufCMessage *opts, uint32_t tag, size_t *len);

/* Builds the model. On a contract error returns false with a malloc'd message in *err. */
bool gen_model_build(gen_model *m, const Google__Protobuf__Compiler__CodeGeneratorRequest *req, char **err);

/* Output files are appended through this. */
typedef struct gen_out {
  Google__Protobuf__Compiler__CodeGeneratorResponse__File **files;
  size_t n;
} gen_out;
void gen_out_add(gen_out *out, char *name, char *content); /* takes ownership of both */

void emit_methods(const gen_model *m, gen_out *out);     /* X.hub.h/.c + hub_methods.c */
void emit_server(const gen_model *m, gen_out *out);      /* X.hub-server.h/.c + hub_served_services.c */
void emit_client(const gen_model *m, gen_out *out);      /* X.hub-client.h/.c */
void emit_descriptors(const gen_model *m, gen_out *out); /* hub_descriptors.c */
void emit_rules(const gen_model *m, gen_out *out);       /* hub_rules.c */
void emit_docs(const gen_model *m, gen_out *out);        /* X.rpcs.md (the RPC table of docs/<domain>.md) */

extern const char *const gen_kind_names[4];

struct sb;
/* The initializer body of a hub_method_def (shared by the client- and server-side tables). */
void emit_method_def_body(struct sb *s, const gen_service *gs, const gen_method *gm, const char *invoke);
/* The declaration of the input's rule table, when the method has one (before its first use). */
void emit_rules_decl(struct sb *s, const gen_method *gm);

#endif
