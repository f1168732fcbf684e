/* The field rules of the contract (proto/hub/api/v1/rules.proto) in the generator's model:
 * every message of the files being generated, each field's `(hub.api.v1.rules)` unpacked,
 * and a check that each rule fits its field's type, so a misplaced rule fails the build
 * (naming the field) instead of silently checking nothing. */
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "names.h"
#include "sb.h"

#define RULES_FIELD 51001 /* hub.api.v1.rules, see proto/hub/api/v1/rules.proto */

typedef Google__Protobuf__FieldDescriptorProto field_proto;

static bool is_type(const field_proto *f, int type) { return f->has_type && (int)f->type == type; }

static bool is_string(const field_proto *f) { return is_type(f, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_STRING); }

static bool is_integer(const field_proto *f) {
  static const int ints[] = {
      GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32,   GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT64,
      GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_UINT32,  GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_UINT64,
      GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SINT32,  GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SINT64,
      GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED32, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED64,
      GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED32, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED64,
      GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_ENUM};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
    if (is_type(f, ints[i])) return true;
  return false;
}

/* What is wrong with `r` on field `f`, or NULL. */
static const char *misfit(const Hub__Api__V1__Rules *r, const field_proto *f) {
  bool repeated = f->has_label && f->label == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED;
  if ((r->min_len || r->max_len || r->chars || r->uuid || r->email || r->date) && !is_string(f))
    return "min_len, max_len, chars, uuid, email and date apply to strings";
  if (r->uuid + r->email + r->date + (r->chars != 0) > 1) return "uuid, email, date and chars exclude each other";
  if (r->max_len && r->min_len > r->max_len) return "min_len is above max_len";
  if (((r->lower_case == HUB__API__V1__RULES__LOWER_MIN) || (r->upper_case == HUB__API__V1__RULES__UPPER_MAX)) && !is_integer(f)) return "min and max apply to integers and enums";
  if ((r->lower_case == HUB__API__V1__RULES__LOWER_MIN) && (r->upper_case == HUB__API__V1__RULES__UPPER_MAX) && r->min > r->max) return "min is above max";
  if (r->defined && !is_type(f, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_ENUM)) return "defined applies to enums";
  if ((r->max_items || r->unique) && !repeated) return "max_items and unique apply to repeated fields";
  if (r->unique && (!r->max_items || !is_string(f))) return "unique applies to repeated strings with max_items";
  if (is_type(f, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FLOAT) ||
      is_type(f, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_DOUBLE))
    return "floating-point fields take no rules (money is hub.api.v1.Money)";
  return NULL;
}

static bool add_message(gen_model *m, const char *scope, const char *file, const Google__Protobuf__DescriptorProto *dp,
                        char **err) {
  char *full = xsprintf("%s.%s", scope, dp->name);
  m->msgs = realloc(m->msgs, (m->n_msgs + 1) * sizeof *m->msgs);
  gen_rule_msg *g = &m->msgs[m->n_msgs++];
  *g = (gen_rule_msg){.dp = dp, .full = full, .lower = name_full_to_c_lower(full), .file = file};
  g->rules = calloc(dp->n_field ? dp->n_field : 1, sizeof *g->rules);
  for (size_t i = 0; i < dp->n_field; i++) {
    const field_proto *f = dp->field[i];
    size_t len = 0;
    const uint8_t *data = f->options ? gen_option_bytes(&f->options->base, RULES_FIELD, &len) : NULL;
    if (!data) continue;
    Hub__Api__V1__Rules *r = hub__api__v1__rules__unpack(NULL, len, data);
    const char *why = r ? misfit(r, f) : "the option does not parse";
    if (why) {
      *err = xsprintf("%s.%s: %s", full + 1, f->name, why);
      return false;
    }
    m->msgs[m->n_msgs - 1].rules[i] = r;
  }
  for (size_t i = 0; i < dp->n_nested_type; i++)
    if (!add_message(m, full, file, dp->nested_type[i], err)) return false;
  return true;
}

static gen_rule_msg *find(const gen_model *m, const char *full) {
  for (size_t i = 0; i < m->n_msgs; i++)
    if (strcmp(m->msgs[i].full, full) == 0) return &m->msgs[i];
  return NULL;
}

/* Whether `g` has rules of its own or through a message-typed field (a cycle counts as
 * none while it is being computed). */
static bool has_rules(const gen_model *m, gen_rule_msg *g) {
  if (g->state >= 2) return g->state == 2;
  if (g->state == 1) return false;
  g->state = 1;
  bool has = false;
  for (size_t i = 0; i < g->dp->n_field; i++) {
    const field_proto *f = g->dp->field[i];
    gen_rule_msg *sub = f->type_name && is_type(f, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE)
                            ? find(m, f->type_name)
                            : NULL;
    if (g->rules[i] || (sub && has_rules(m, sub))) has = true;
  }
  g->state = has ? 2 : 3;
  return has;
}

bool gen_rules_build(gen_model *m, char **err) {
  const Google__Protobuf__Compiler__CodeGeneratorRequest *req = m->req;
  for (size_t i = 0; i < req->n_file_to_generate; i++)
    for (size_t j = 0; j < req->n_proto_file; j++) {
      const file_proto *fd = req->proto_file[j];
      if (strcmp(fd->name, req->file_to_generate[i]) != 0) continue;
      char *scope = fd->package && *fd->package ? xsprintf(".%s", fd->package) : strdup("");
      for (size_t k = 0; k < fd->n_message_type; k++)
        if (!add_message(m, scope, fd->name, fd->message_type[k], err)) return false;
      free(scope);
    }
  for (size_t i = 0; i < m->n_msgs; i++) has_rules(m, &m->msgs[i]);
  return true;
}

const gen_rule_msg *gen_rules_of(const gen_model *m, const char *full) {
  const gen_rule_msg *g = full ? find(m, full) : NULL;
  return g && g->state == 2 ? g : NULL;
}
