/* Builds the generator's model from a CodeGeneratorRequest and enforces the contract's
 * rules: every RPC declares exactly one access (a permission, authenticated or public), and a
 * permission reads "domain.resource.verb". */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "hub/api/v1/access.pb-c.h"
#include "names.h"
#include "sb.h"

#define ACCESS_FIELD 51000 /* hub.api.v1.access, see proto/hub/api/v1/access.proto */

const char *const gen_kind_names[4] = {"HUB_UNARY", "HUB_SERVER_STREAMING", "HUB_CLIENT_STREAMING",
                                       "HUB_BIDI_STREAMING"};

static char **split(const char *text, size_t *n) {
  char **out = NULL;
  *n = 0;
  if (!text || !*text) return NULL;
  char *copy = strdup(text), *save = NULL;
  for (char *p = strtok_r(copy, "+", &save); p; p = strtok_r(NULL, "+", &save)) {
    out = realloc(out, (*n + 1) * sizeof *out);
    out[(*n)++] = strdup(p);
  }
  free(copy);
  return out;
}

/* Parameters: "public_packages=a.b+c.d,serve=hub.+grpc.health.v1." */
static void parse_params(gen_params *p, const char *param) {
  if (!param) return;
  char *copy = strdup(param), *save = NULL;
  for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(kv, '=');
    if (!eq) continue;
    *eq = '\0';
    if (strcmp(kv, "public_packages") == 0) p->public_packages = split(eq + 1, &p->n_public);
    else if (strcmp(kv, "serve") == 0) p->serve_prefixes = split(eq + 1, &p->n_serve);
  }
  free(copy);
}

static bool permission_ok(const char *perm) {
  int dots = 0;
  if (!perm[0] || perm[0] == '.') return false;
  for (const char *c = perm; *c; c++) {
    if (*c == '.') {
      if (c[1] == '.' || c[1] == '\0') return false;
      dots++;
    } else if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_') {
      return false;
    }
  }
  return dots == 2;
}

/* protobuf-c keeps our custom options as unknown fields of the options message; they are
 * unpacked with the option's own generated descriptor. protobuf-c stores a length-prefixed
 * unknown field with its length varint in front, so skip that first. */
const uint8_t *gen_option_bytes(const ProtobufCMessage *opts, uint32_t tag, size_t *len) {
  if (!opts) return NULL;
  for (unsigned i = 0; i < opts->n_unknown_fields; i++) {
    const ProtobufCMessageUnknownField *f = &opts->unknown_fields[i];
    if (f->tag != tag || f->wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED) continue;
    size_t skip = 0;
    while (skip < f->len && (f->data[skip] & 0x80)) skip++;
    if (++skip > f->len) return NULL;
    *len = f->len - skip;
    return f->data + skip;
  }
  return NULL;
}

static Hub__Api__V1__Access *find_access(const Google__Protobuf__MethodOptions *opts) {
  size_t len = 0;
  const uint8_t *data = opts ? gen_option_bytes(&opts->base, ACCESS_FIELD, &len) : NULL;
  return data ? hub__api__v1__access__unpack(NULL, len, data) : NULL;
}

static bool is_public_package(const gen_params *p, const char *pkg) {
  for (size_t i = 0; i < p->n_public; i++)
    if (strcmp(p->public_packages[i], pkg) == 0) return true;
  return false;
}

static bool build_method(const gen_model *m, gen_method *gm, const gen_service *gs, const char *pkg,
                         const Google__Protobuf__MethodDescriptorProto *md, char **err) {
  const gen_params *params = &m->params;
  gm->name = md->name;
  gm->lower = name_camel_to_lower(md->name);
  gm->path = xsprintf("/%s/%s", gs->full, md->name);
  gm->in_type = name_full_to_c_type(md->input_type);
  gm->out_type = name_full_to_c_type(md->output_type);
  gm->in_lower = name_full_to_c_lower(md->input_type);
  gm->out_lower = name_full_to_c_lower(md->output_type);
  bool cs = md->has_client_streaming && md->client_streaming;
  bool ss = md->has_server_streaming && md->server_streaming;
  gm->kind = cs ? (ss ? 3 : 2) : (ss ? 1 : 0);
  gm->has_rules = gen_rules_of(m, md->input_type) != NULL;
  const Google__Protobuf__MethodOptions *o = md->options;
  gm->idempotent = o && o->has_idempotency_level &&
                   o->idempotency_level != GOOGLE__PROTOBUF__METHOD_OPTIONS__IDEMPOTENCY_LEVEL__IDEMPOTENCY_UNKNOWN;

  Hub__Api__V1__Access *acc = find_access(o);
  const char *where = gm->path + 1;
  if (!acc) {
    if (is_public_package(params, pkg)) {
      gm->is_public = true;
      return true;
    }
    *err = xsprintf("%s: no access declared; add option (hub.api.v1.access) = {permission: "
                    "\"domain.resource.verb\"}, {authenticated: true} or {public: true}", where);
    return false;
  }
  bool has_perm = acc->permission && acc->permission[0];
  if ((int)has_perm + (int)acc->public_ + (int)acc->authenticated != 1) {
    *err = xsprintf("%s: access must declare exactly one of permission, authenticated or public", where);
    hub__api__v1__access__free_unpacked(acc, NULL);
    return false;
  }
  if (has_perm && !permission_ok(acc->permission)) {
    *err = xsprintf("%s: permission \"%s\" must read domain.resource.verb (lower case)", where, acc->permission);
    hub__api__v1__access__free_unpacked(acc, NULL);
    return false;
  }
  gm->is_public = acc->public_;
  gm->is_authenticated = acc->authenticated;
  gm->permission = has_perm ? strdup(acc->permission) : NULL;
  hub__api__v1__access__free_unpacked(acc, NULL);
  return true;
}

bool gen_model_build(gen_model *m, const Google__Protobuf__Compiler__CodeGeneratorRequest *req, char **err) {
  memset(m, 0, sizeof *m);
  m->req = req;
  parse_params(&m->params, req->parameter);
  if (!gen_rules_build(m, err)) return false;
  for (size_t i = 0; i < req->n_file_to_generate; i++) {
    const file_proto *fd = NULL;
    for (size_t j = 0; j < req->n_proto_file; j++)
      if (strcmp(req->proto_file[j]->name, req->file_to_generate[i]) == 0) fd = req->proto_file[j];
    if (!fd || fd->n_service == 0) continue;
    m->files = realloc(m->files, (m->n_files + 1) * sizeof *m->files);
    gen_file *gf = &m->files[m->n_files++];
    const char *pkg = fd->package ? fd->package : "";
    gf->fd = fd;
    gf->stem = name_file_stem(fd->name);
    gf->n_services = fd->n_service;
    gf->services = calloc(fd->n_service, sizeof *gf->services);
    for (size_t s = 0; s < fd->n_service; s++) {
      const Google__Protobuf__ServiceDescriptorProto *sd = fd->service[s];
      gen_service *gs = &gf->services[s];
      gs->name = sd->name;
      gs->full = *pkg ? xsprintf("%s.%s", pkg, sd->name) : strdup(sd->name);
      gs->base = name_service_base(pkg, sd->name);
      gs->n_methods = sd->n_method;
      gs->methods = calloc(sd->n_method ? sd->n_method : 1, sizeof *gs->methods);
      for (size_t k = 0; k < sd->n_method; k++)
        if (!build_method(m, &gs->methods[k], gs, pkg, sd->method[k], err)) return false;
    }
  }
  return true;
}

void gen_out_add(gen_out *out, char *name, char *content) {
  Google__Protobuf__Compiler__CodeGeneratorResponse__File *f = malloc(sizeof *f);
  google__protobuf__compiler__code_generator_response__file__init(f);
  f->name = name;
  f->content = content;
  out->files = realloc(out->files, (out->n + 1) * sizeof *out->files);
  out->files[out->n++] = f;
}
