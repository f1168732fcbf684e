/* What pg.c (which runs statements) and rows.c (which decodes their results) share: the
 * result handle. Not for use outside server/db. */
#ifndef HUB_DB_TX_INTERNAL_H
#define HUB_DB_TX_INTERNAL_H

#include "db/tx.h"

typedef struct hub_col_plan hub_col_plan;

struct hub_rows {
  PGresult *res;   /* NULL until a flush ran the statement (and when it did not run) */
  hub_arena *a;
  bool flushed;    /* the flush that carried the statement is over */
  /* Column -> field paths for the last descriptor decoded into (rows.c), built once per result. */
  const ProtobufCMessageDescriptor *plan_for;
  hub_col_plan *plan;
  int n_plan;
};

#endif
