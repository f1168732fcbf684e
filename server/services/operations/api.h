/* What other services use of Operations: long-running jobs. A service registers its job kinds
 * in its lifecycle's init hook (a name and a step function), and starts an operation inside
 * its own transaction, answering the caller with the Operation at once. The runner (runner.c)
 * then calls the step function again and again, each time in a transaction of its own in the
 * operation's tenant, until the step says it finished, fails, or the operation is cancelled.
 * A service using this names `operations` under SERVICES on its hub_service() line. */
#ifndef HUB_SERVICES_OPERATIONS_API_H
#define HUB_SERVICES_OPERATIONS_API_H

#include <stdbool.h>
#include <stdint.h>

#include "db/tx.h"
#include "hub/operations/v1/operations.pb-c.h"

/* One step's view of its operation. The step reads the inputs, does one bounded piece of
 * work with statements on `tx` (hub_tx_exec), and reports through the outputs. Its statements, the new
 * checkpoint and the progress commit together, or none of them does. */
typedef struct hub_op_job {
  /* in */
  const char *name;       /* "operations/<id>" */
  const char *tenant_id;  /* the operation's tenant, set in the transaction (RLS applies) */
  const char *user_id;    /* who started it ("" for nobody), set as hub.user_id */
  const char *input_json; /* what the starter passed ("{}" when nothing) */
  const char *checkpoint; /* what the previous step left; "" before the first step */
  hub_arena *arena;       /* freed after the step */
  /* in and out: progress so far, which the step moves on (total may be learnt by step one) */
  int64_t done, total;
  /* out */
  const char *next_checkpoint; /* stored for the next step; NULL keeps the current one */
  bool finished;               /* this was the last step: the operation succeeded */
  const char *response_json;   /* with finished: the result (NULL: "{}") */
} hub_op_job;

/* One step. OK: the step's work commits with what it set in `job`. Anything else rolls the
 * step back: UNAVAILABLE, ABORTED and DEADLINE_EXCEEDED are retried (the same step, after a
 * backoff, at most 5 times), any other status ends the operation failed with that status. A
 * step must be bounded (seconds, not minutes): cancelling waits for it. */
typedef hub_status (*hub_op_step_fn)(hub_tx *tx, hub_op_job *job);

typedef struct hub_op_kind {
  const char *name; /* "<service>.<job>", e.g. "ticket.recompute_sla"; at most 64 bytes */
  hub_op_step_fn step;
} hub_op_kind;

/* Registers a job kind; call from a lifecycle init hook (before any runner starts). The kind
 * must live as long as the process. False (logged) when the name is taken or the table full. */
bool hub_operations_register(const hub_op_kind *kind);

/* Queues the new operation's row on `tx` (the caller's transaction, so it starts only if that
 * commits) in the transaction's tenant, started by its user, with `input_json` (NULL: "{}").
 * *out (in the transaction's arena) is the Operation as the caller answers it: its name,
 * pending, not done. INTERNAL when `kind` is not registered. No round trip of its own. */
hub_status hub_operations_start(hub_tx *tx, const char *kind, const char *input_json,
                                Hub__Operations__V1__Operation **out);

#endif
