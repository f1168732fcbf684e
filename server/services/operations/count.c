/* "operations.count", the probe kind: counts to input.total, one per step, each step first
 * waiting input.step_ms. The count lives in the checkpoint, so a restart resumes it; its
 * response {"counted": n} says how far the committed steps got. */
#include <jansson.h>
#include <stdlib.h>
#include <time.h>

#include "services/operations/operations.h"

#define MAX_TOTAL 10000
#define MAX_STEP_MS 1000

static hub_status count_step(hub_tx *tx, hub_op_job *job) {
  (void)tx;
  json_error_t err;
  json_t *in = json_loads(job->input_json, 0, &err);
  json_int_t total = json_integer_value(json_object_get(in, "total"));
  json_int_t step_ms = json_integer_value(json_object_get(in, "step_ms"));
  json_decref(in);
  if (total < 1 || total > MAX_TOTAL || step_ms < 0 || step_ms > MAX_STEP_MS)
    return hub_status_new(job->arena, HUB_INVALID_ARGUMENT, "input: total must be 1..%d and step_ms 0..%d",
                          MAX_TOTAL, MAX_STEP_MS);
  struct timespec wait = {(time_t)(step_ms / 1000), (long)(step_ms % 1000) * 1000000L};
  nanosleep(&wait, NULL);
  long long n = strtoll(job->checkpoint, NULL, 10) + 1;
  job->next_checkpoint = hub_arena_sprintf(job->arena, "%lld", n);
  job->done = n;
  job->total = total;
  job->finished = n >= total;
  if (job->finished) job->response_json = hub_arena_sprintf(job->arena, "{\"counted\": %lld}", n);
  return HUB_STATUS_OK;
}

const hub_op_kind operations_count_kind = {"operations.count", count_step};
