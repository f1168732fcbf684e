/* protoc-gen-hub: the protoc plugin that turns proto/ into everything the server, the client
 * library and reflection need (see gen.h). protoc runs it next to protoc-c:
 *   protoc --plugin=protoc-gen-hub=PATH --hub_opt=public_packages=a.b+c.d,serve=hub.+grpc.health.v1.Health --hub_out=OUT files...
 * A contract error (an RPC without access) is reported through the response's error field,
 * which makes protoc fail the build with that message. */
#include <stdio.h>
#include <stdlib.h>

#include "gen.h"

static unsigned char *read_all(FILE *in, size_t *len) {
  size_t cap = 1 << 16;
  unsigned char *buf = malloc(cap);
  *len = 0;
  size_t n;
  while (buf && (n = fread(buf + *len, 1, cap - *len, in)) > 0) {
    *len += n;
    if (*len == cap) buf = realloc(buf, cap *= 2);
  }
  return buf;
}

int main(void) {
  size_t len;
  unsigned char *in = read_all(stdin, &len);
  if (!in) return 1;
  Google__Protobuf__Compiler__CodeGeneratorRequest *req =
      google__protobuf__compiler__code_generator_request__unpack(NULL, len, in);
  if (!req) {
    fprintf(stderr, "protoc-gen-hub: cannot parse the CodeGeneratorRequest\n");
    return 1;
  }
  Google__Protobuf__Compiler__CodeGeneratorResponse resp;
  google__protobuf__compiler__code_generator_response__init(&resp);
  resp.has_supported_features = 1;
  resp.supported_features = GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__FEATURE__FEATURE_PROTO3_OPTIONAL;

  gen_model model;
  char *err = NULL;
  gen_out out = {0};
  if (gen_model_build(&model, req, &err)) {
    emit_methods(&model, &out);
    emit_server(&model, &out);
    emit_client(&model, &out);
    emit_descriptors(&model, &out);
    emit_rules(&model, &out);
    emit_docs(&model, &out);
    resp.n_file = out.n;
    resp.file = out.files;
  } else {
    resp.error = err;
  }
  size_t olen = protobuf_c_message_get_packed_size(&resp.base);
  unsigned char *obuf = malloc(olen ? olen : 1);
  protobuf_c_message_pack(&resp.base, obuf);
  size_t w = fwrite(obuf, 1, olen, stdout);
  return w == olen ? 0 : 1;
}
