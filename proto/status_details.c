/* google.rpc.Status encoding of hub_status (see hub/status_details.h). */
#include "hub/status_details.h"

#include <string.h>

#include "google/protobuf/any.pb-c.h"
#include "google/rpc/error_details.pb-c.h"
#include "google/rpc/status.pb-c.h"

#define BAD_REQUEST_URL "type.googleapis.com/google.rpc.BadRequest"

uint8_t *hub_status_details_pack(hub_arena *a, hub_status st, size_t *len) {
  Google__Rpc__Status s = GOOGLE__RPC__STATUS__INIT;
  s.code = (int32_t)st.code;
  s.message = (char *)(st.message ? st.message : "");
  Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
  Google__Protobuf__Any *anys[1] = {&any};
  if (st.violations) {
    size_t n = 0;
    for (hub_violation *v = st.violations; v; v = v->next) n++;
    Google__Rpc__BadRequest br = GOOGLE__RPC__BAD_REQUEST__INIT;
    br.n_field_violations = n;
    br.field_violations = hub_arena_alloc(a, n * sizeof *br.field_violations);
    size_t i = 0;
    for (hub_violation *v = st.violations; v; v = v->next, i++) {
      Google__Rpc__BadRequest__FieldViolation *fv = hub_arena_alloc(a, sizeof *fv);
      google__rpc__bad_request__field_violation__init(fv);
      fv->field = (char *)v->field;
      fv->description = (char *)v->description;
      br.field_violations[i] = fv;
    }
    any.type_url = BAD_REQUEST_URL;
    any.value.len = google__rpc__bad_request__get_packed_size(&br);
    any.value.data = hub_arena_alloc(a, any.value.len + 1);
    google__rpc__bad_request__pack(&br, any.value.data);
    s.n_details = 1;
    s.details = anys;
  }
  *len = google__rpc__status__get_packed_size(&s);
  uint8_t *out = hub_arena_alloc(a, *len + 1);
  google__rpc__status__pack(&s, out);
  return out;
}

bool hub_status_details_unpack(hub_arena *a, const uint8_t *data, size_t len, hub_status *st) {
  ProtobufCAllocator alloc = hub_arena_allocator(a);
  Google__Rpc__Status *s = google__rpc__status__unpack(&alloc, len, data);
  if (!s) return false;
  st->code = (hub_code)s->code;
  st->message = s->message;
  st->violations = NULL;
  hub_violation **tail = &st->violations;
  for (size_t i = 0; i < s->n_details; i++) {
    const Google__Protobuf__Any *any = s->details[i];
    if (!any->type_url || strcmp(any->type_url, BAD_REQUEST_URL) != 0) continue;
    Google__Rpc__BadRequest *br = google__rpc__bad_request__unpack(&alloc, any->value.len, any->value.data);
    for (size_t k = 0; br && k < br->n_field_violations; k++) {
      hub_violation *v = hub_arena_calloc(a, 1, sizeof *v);
      v->field = br->field_violations[k]->field;
      v->description = br->field_violations[k]->description;
      *tail = v;
      tail = &v->next;
    }
  }
  return true;
}
