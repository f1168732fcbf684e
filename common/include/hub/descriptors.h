/* The serialized FileDescriptorProtos of every .proto the build knows (imports included,
 * source comments kept), generated at build time. Server reflection answers from these. */
#ifndef HUB_DESCRIPTORS_H
#define HUB_DESCRIPTORS_H

#include <stddef.h>

typedef struct hub_file_descriptor {
  const char *name;           /* "hub/system/v1/system.proto" */
  const unsigned char *bytes; /* serialized google.protobuf.FileDescriptorProto */
  size_t len;
  const char *const *deps;    /* names of the files it imports */
  size_t n_deps;
} hub_file_descriptor;

typedef struct hub_symbol {
  const char *name; /* fully qualified: package.Message, package.Service.Method, ... */
  size_t file;      /* index into hub_file_descriptors */
} hub_symbol;

extern const hub_file_descriptor hub_file_descriptors[];
extern const size_t hub_file_descriptors_count;
extern const hub_symbol hub_symbols[]; /* sorted by name */
extern const size_t hub_symbols_count;

/* The file named `name`, or NULL. */
const hub_file_descriptor *hub_descriptor_by_file(const char *name);

/* The file defining `symbol` (a message, enum, service, method or extension; a field or enum
 * value resolves to its parent's file), or NULL. A leading '.' is ignored. */
const hub_file_descriptor *hub_descriptor_by_symbol(const char *symbol);

#endif
