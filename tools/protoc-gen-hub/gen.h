/* The generator's model of the contract: every service and method of the files being
 * generated, with the C names protoc-c gives their messages and the access each RPC
 * declares. Built once by model.c; the emit_*.c files only print it. */
#ifndef HUB_GEN_H
#define HUB_GEN_H

#include <stdbool.h>
#include <stddef.h>

#include "google/protobuf/compiler/plugin.pb-c.h"
#include "google/protobuf/descriptor.pb-c.h"

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

typedef struct gen_model {
  const Google__Protobuf__Compiler__CodeGeneratorRequest *req;
  gen_params params;
  gen_file *files; /* files_to_generate that define services */
  size_t n_files;
} gen_model;

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

extern const char *const gen_kind_names[4];

struct sb;
/* The initializer body of a hub_method_def (shared by the client- and server-side tables). */
void emit_method_def_body(struct sb *s, const gen_service *gs, const gen_method *gm, const char *invoke);

#endif
