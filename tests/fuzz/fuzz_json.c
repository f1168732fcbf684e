/* The JSON that hubd parses from outside a call's message bytes: a ticket's custom_fields_json
 * (CreateTicket, UpdateTicket; ticket_custom_fields_check) and the JOSE header of a bearer
 * token or an SSO ID token (hub_jose_header: base64url, then jansson). The first byte picks
 * one; for the header, the rest is either the JSON itself (made into a token here, so the
 * fuzzer mutates JSON) or the token as a client sends it (base64url decoding included). */
#include <string.h>

#include "auth/token.h"
#include "crypto/encoding.h"
#include "fuzz_check.h"
#include "fuzz_input.h"
#include "services/ticket/ticket.h"

static void custom_fields(hub_arena *a, const char *json) {
  if (!hub_utf8_valid(json, strlen(json))) return; /* the codec refuses such a request first */
  const char *out = NULL;
  hub_status st = ticket_custom_fields_check(a, "custom_fields_json", json, &out);
  if (!hub_ok(st)) {
    fuzz_check_refusal(st);
    if (!st.violations || strcmp(st.violations->field, "custom_fields_json") != 0) abort();
  } else if (!out || (strcmp(out, "{}") != 0 && out != json)) {
    abort();
  }
}

static void jose(const char *token) {
  char alg[16], kid[64];
  memset(alg, 0x7f, sizeof alg), memset(kid, 0x7f, sizeof kid);
  if (hub_jose_header(token, alg, sizeof alg, kid, sizeof kid) && (!memchr(alg, 0, sizeof alg) || !memchr(kid, 0, sizeof kid)))
    abort(); /* what it accepts fits the caller's buffers */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_input in = {data, size};
  uint8_t mode = fuzz_u8(&in) % 3;
  hub_arena *a = hub_arena_new(0);
  if (mode == 0) {
    custom_fields(a, fuzz_rest(a, &in));
  } else if (mode == 1) {
    const char *header = hub_base64url_encode(a, in.p, in.n);
    size_t n = 0;
    const unsigned char *back = in.n ? hub_base64url_decode(a, header, &n) : NULL;
    if (in.n && (!back || n != in.n || memcmp(back, in.p, n) != 0)) abort(); /* base64url round-trips */
    jose(hub_arena_sprintf(a, "%s.e30.c2ln", header));
  } else {
    jose(fuzz_rest(a, &in));
  }
  hub_arena_free(a);
  return 0;
}
