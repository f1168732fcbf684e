/* Internals shared by the Operations service's files: the registry of job kinds (kinds.c,
 * which also starts operations for other services, see api.h), the operation row's columns
 * and its name (name.c), the RPCs (operations.c: Get, List, Cancel; watch.c: WatchOperation), the
 * runner that claims and steps operations (runner.c, started through the lifecycle), and the
 * built-in probe kind "operations.count" (count.c). */
#ifndef HUB_SERVICES_OPERATIONS_H
#define HUB_SERVICES_OPERATIONS_H

#include <stddef.h>

#include "db/call.h"
#include "hub/operations/v1/operations.hub-server.h"
#include "services/operations/api.h"

/* ---- job kinds (kinds.c) ---- */

/* The registered kind named `name`, or NULL. */
const hub_op_kind *operations_kind(const char *name);
/* The registered kinds' names as a text[] literal (the kinds this process can run). */
const char *operations_kinds_literal(hub_arena *a);

/* ---- the row and its name (name.c) ---- */

/* The columns every read of an operation selects (alias x), each named for a field of
 * Operation (db/tx.h decodes rows by name). */
#define OPERATIONS_COLUMNS                                                                                     \
  "'operations/' || x.id AS name, x.done_at IS NOT NULL AS done, x.kind AS \"metadata.kind\", "             \
  "x.state AS \"metadata.state\", x.progress_done AS \"metadata.progress_done\", "                            \
  "x.progress_total AS \"metadata.progress_total\", x.created_at AS \"metadata.create_time\", "               \
  "x.updated_at AS \"metadata.update_time\", x.done_at AS \"metadata.end_time\", "                            \
  "x.error_code AS \"error.code\", x.error_message AS \"error.message\", x.response::text AS response_json"

/* The id of "operations/<uuid>" (either case; lower case out), or NULL when `name` is not an
 * operation's name. */
const char *operations_id_of(hub_arena *a, const char *name);
/* INVALID_ARGUMENT on `field` for a name that is no operation's. */
hub_status operations_bad_name(hub_arena *a, const char *field);

/* ---- the runner (runner.c) ---- */

/* Claims and runs one step of one runnable operation of a registered kind, on `pg`; *ran
 * tells whether there was one. Safe with any number of runners at once. */
hub_status operations_step_once(hub_pg *pg, hub_arena *a, bool *ran);

/* ---- the probe kind (count.c) ---- */

/* "operations.count": counts to input {"total": n} (1..10000), one per step, each step
 * waiting {"step_ms": m} (0..1000) first; the response is {"counted": n}. It shows a
 * deployment's runner claims, resumes and cancels, and the tests use it. */
extern const hub_op_kind operations_count_kind;

#endif
