/* What every target asserts of a refusal: the parsers under test answer a bad input with
 * INVALID_ARGUMENT and a message fit to send (well-formed UTF-8, as grpc-message and
 * google.rpc.Status require, when the input was), never with another code. abort() is how a
 * target tells libFuzzer an invariant broke. */
#ifndef HUB_FUZZ_CHECK_H
#define HUB_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/status.h"
#include "hub/utf8.h"

static inline void fuzz_check_refusal(hub_status st) {
  if (st.code != HUB_INVALID_ARGUMENT || !st.message || !hub_utf8_valid(st.message, strlen(st.message))) {
    fprintf(stderr, "fuzz: unexpected refusal %s: %s\n", hub_code_name(st.code), st.message ? st.message : "(none)");
    abort();
  }
}

#endif
