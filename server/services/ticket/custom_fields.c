/* A ticket's custom fields, as a request sends them (custom_fields_json of CreateTicket and
 * UpdateTicket): one flat JSON object of strings, numbers, booleans and nulls, checked here
 * with jansson before PostgreSQL stores it as jsonb. Pure: no SQL, no call (the fuzz target
 * fuzz_json runs it on its own). */
#include <jansson.h>
#include <string.h>

#include "services/ticket/ticket.h"

hub_status ticket_custom_fields_check(hub_arena *a, const char *field, const char *json, const char **out) {
  if (!json || !*json) {
    *out = "{}";
    return HUB_STATUS_OK;
  }
  if (strlen(json) > 16384) return hub_status_invalid(a, field, "at most 16 KiB");
  json_error_t err;
  json_t *doc = json_loads(json, JSON_REJECT_DUPLICATES, &err);
  if (!json_is_object(doc)) {
    json_decref(doc);
    return hub_status_invalid(a, field, "must be a JSON object");
  }
  const char *key;
  json_t *v;
  json_object_foreach(doc, key, v) {
    if (!(json_is_string(v) || json_is_number(v) || json_is_boolean(v) || json_is_null(v)) || strlen(key) > 64) {
      json_decref(doc);
      return hub_status_invalid(a, field, "values must be strings, numbers, booleans or null; keys at most 64 characters");
    }
  }
  json_decref(doc);
  *out = json;
  return HUB_STATUS_OK;
}

