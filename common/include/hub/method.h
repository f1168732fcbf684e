/* What the code generator knows about an RPC, shared by the server runtime (dispatch),
 * the client library (stubs, retries) and tools (the load generator). Tables of these are
 * generated from proto/ at build time; nothing here is written by hand per RPC. */
#ifndef HUB_METHOD_H
#define HUB_METHOD_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "hub/status.h"

typedef enum hub_streaming {
  HUB_UNARY = 0,
  HUB_SERVER_STREAMING = 1,
  HUB_CLIENT_STREAMING = 2,
  HUB_BIDI_STREAMING = 3,
} hub_streaming;

/* The access an RPC declares with option (hub.api.v1.access). Exactly one of the three is set:
 * a permission (a member of the call's tenant whose role grants it), public (no token), or
 * authenticated (any signed-in user, no tenant needed). */
typedef struct hub_access {
  const char *permission; /* "domain.resource.verb", or NULL */
  bool is_public;
  bool is_authenticated;
} hub_access;

struct hub_call;
struct hub_stream;
struct hub_message_rules;

/* The generated adapter between the runtime and a typed handler. `request` is set for unary
 * and server-streaming calls, `response` for unary and client-streaming calls, `stream` for
 * every streaming kind. */
typedef hub_status (*hub_invoke_fn)(struct hub_call *call, const ProtobufCMessage *request,
                                    ProtobufCMessage *response, struct hub_stream *stream);

typedef struct hub_method_def {
  const char *path;    /* "/hub.system.v1.System/GetInfo" */
  const char *service; /* "hub.system.v1.System" */
  const char *name;    /* "GetInfo" */
  const ProtobufCMessageDescriptor *input;
  const ProtobufCMessageDescriptor *output;
  hub_streaming streaming;
  hub_access access;
  bool idempotent;      /* idempotency_level NO_SIDE_EFFECTS or IDEMPOTENT: safe to retry */
  hub_invoke_fn invoke; /* NULL in client-side tables */
  /* The input's field rules (hub/validate.h), NULL when it has none: the adapter checks a
   * request against them before the handler, hub_stream_read each message of a client stream. */
  const struct hub_message_rules *rules;
  void (*handler)(void); /* the typed handler, NULL when not written yet (answers UNIMPLEMENTED) */
} hub_method_def;

struct hub_config;

/* What a service's lifecycle hooks get: the process's settings and facts. */
typedef struct hub_service_env {
  const struct hub_config *config;
  const char *version;     /* hubd's version */
  const char *instance_id; /* this process, random per start */
  int argc;                /* a command's own arguments (`hubd sessions EMAIL`: 1, "EMAIL"); 0 when serving */
  char *const *argv;
} hub_service_env;

/* A one-shot hubd command a service offers (`hubd purge-accounts`): runs and exits with its
 * return value. */
typedef struct hub_service_command {
  const char *name;
  const char *help; /* one line for `hubd --help` */
  int (*run)(const hub_service_env *env);
} hub_service_command;

/* A service's hooks around serving, each optional (NULL), run by hubd in the order of the
 * served services (stop in reverse):
 *   init   before the server accepts calls: process facts, job kinds, probes; false stops hubd
 *   start  once the server serves: background threads (the SLA sweeper, the account purge)
 *   drain  when shutdown begins (SIGTERM), before in-flight calls get their grace period
 *   stop   after every call has finished: stop and join what start started
 * A service declares its hooks by defining `const hub_service_lifecycle hub_<base>_lifecycle`
 * (the generated header declares it, e.g. hub_ticket_v1_ticket_lifecycle); the generated
 * service table points at it, or holds NULL when the service defines none. */
typedef struct hub_service_lifecycle {
  bool (*init)(const hub_service_env *env);
  bool (*start)(const hub_service_env *env);
  void (*drain)(void);
  void (*stop)(void);
  const hub_service_command *commands; /* terminated by an entry with name NULL; may be NULL */
} hub_service_lifecycle;

typedef struct hub_service_def {
  const char *name; /* fully qualified */
  size_t n_methods;
  const hub_method_def *methods;
  const hub_service_lifecycle *lifecycle; /* NULL when the service declares none */
} hub_service_def;

/* Every method of every .proto the build knows (client-side view: invoke is NULL), sorted by
 * path. Generated. */
extern const hub_method_def *const hub_all_methods[];
extern const size_t hub_all_methods_count;

/* The services hubd serves (the contract's hub.* services, health and reflection),
 * NULL-terminated. Generated into the server tables. */
extern const hub_service_def *const hub_served_services[];
extern const size_t hub_served_services_count;

/* Finds a method by "/pkg.Svc/Method", "pkg.Svc/Method" or "pkg.Svc.Method"; NULL if none. */
const hub_method_def *hub_method_find(const char *name);

#endif
