/* Results by column name (see tx.h). A result is decoded into messages through a plan: each
 * column's path of fields, found by name in the descriptor, so a list of 50 rows looks its
 * 30 names up once, not 1500 times. Plans are kept per thread by (message type, column
 * names), so a statement decoded again (every GetTicket) reuses the one built the first time. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db/array.h"
#include "db/tx_internal.h"
#include "hub/assert.h"
#include "hub/enum_text.h"
#include "hub/log.h"

#define MAX_DEPTH 4

struct hub_col_plan {
  int col;
  int depth;
  const ProtobufCFieldDescriptor *path[MAX_DEPTH];
};

int hub_rows_count(const hub_rows *r) {
  HUB_ASSERT(r->flushed); /* results exist only once the flush that carried the statement is over */
  return r->res ? PQntuples(r->res) : 0;
}

static int column(const hub_rows *r, int row, const char *name) {
  HUB_ASSERT(r->flushed && r->res && row >= 0 && row < PQntuples(r->res));
  int c = PQfnumber(r->res, name);
  if (c < 0) hub_logf(HUB_LOG_ERROR, "postgresql: the result has no column %s", name);
  HUB_ASSERT(c >= 0);
  return c;
}

const char *hub_rows_text(const hub_rows *r, int row, const char *name) {
  int c = column(r, row, name);
  return c < 0 || PQgetisnull(r->res, row, c) ? NULL : PQgetvalue(r->res, row, c);
}

int64_t hub_rows_int(const hub_rows *r, int row, const char *name) {
  const char *t = hub_rows_text(r, row, name);
  return t ? strtoll(t, NULL, 10) : 0;
}

bool hub_rows_bool(const hub_rows *r, int row, const char *name) {
  const char *t = hub_rows_text(r, row, name);
  return t && t[0] == 't';
}

/* ---- the plan ---- */

static const ProtobufCFieldDescriptor *field_named(const ProtobufCMessageDescriptor *d, const char *name, size_t len) {
  char buf[64];
  if (len >= sizeof buf) return NULL;
  memcpy(buf, name, len);
  buf[len] = '\0';
  return protobuf_c_message_descriptor_get_field_by_name(d, buf);
}

/* A plan built before, for a result with these column names (in this order). */
typedef struct kept_plan {
  const ProtobufCMessageDescriptor *d;
  int n_cols;
  char **names;
  hub_col_plan *plan;
  int n_plan;
} kept_plan;

#define KEPT_PLANS 32
static __thread kept_plan kept[KEPT_PLANS];
static __thread unsigned kept_next;

static bool same_columns(const kept_plan *k, const PGresult *res, const ProtobufCMessageDescriptor *d) {
  if (k->d != d || k->n_cols != PQnfields(res)) return false;
  for (int c = 0; c < k->n_cols; c++)
    if (strcmp(k->names[c], PQfname(res, c)) != 0) return false;
  return true;
}

static void forget(kept_plan *k) {
  for (int c = 0; k->names && c < k->n_cols; c++) free(k->names[c]);
  free(k->names);
  free(k->plan);
  memset(k, 0, sizeof *k);
}

/* The kept plans go with their thread: a key whose destructor runs at the thread's exit. */
static pthread_key_t kept_key;
static pthread_once_t kept_once = PTHREAD_ONCE_INIT;

static void forget_all(void *unused) {
  (void)unused;
  for (int i = 0; i < KEPT_PLANS; i++) forget(&kept[i]);
}

static void make_kept_key(void) { (void)pthread_key_create(&kept_key, forget_all); }

/* Keeps a copy of r's plan for the next result of the same shape (best effort). */
static void keep(const hub_rows *r, const ProtobufCMessageDescriptor *d) {
  pthread_once(&kept_once, make_kept_key);
  if (!pthread_getspecific(kept_key)) (void)pthread_setspecific(kept_key, kept);
  kept_plan *k = &kept[kept_next++ % KEPT_PLANS];
  forget(k);
  int n = PQnfields(r->res);
  k->names = calloc((size_t)(n ? n : 1), sizeof *k->names);
  k->plan = malloc((size_t)(r->n_plan ? r->n_plan : 1) * sizeof *k->plan);
  bool ok = k->names && k->plan;
  for (int c = 0; ok && c < n; c++) ok = (k->names[c] = strdup(PQfname(r->res, c))) != NULL;
  k->n_cols = n;
  if (!ok) {
    forget(k);
    return;
  }
  memcpy(k->plan, r->plan, (size_t)r->n_plan * sizeof *k->plan);
  k->n_plan = r->n_plan;
  k->d = d;
}

static void build_plan(hub_rows *r, const ProtobufCMessageDescriptor *d) {
  int n = PQnfields(r->res);
  r->plan = hub_arena_alloc(r->a, (size_t)(n ? n : 1) * sizeof *r->plan);
  r->n_plan = 0;
  r->plan_for = d;
  for (size_t i = 0; i < KEPT_PLANS; i++)
    if (same_columns(&kept[i], r->res, d)) { /* a copy: the kept one may be replaced meanwhile */
      memcpy(r->plan, kept[i].plan, (size_t)kept[i].n_plan * sizeof *r->plan);
      r->n_plan = kept[i].n_plan;
      return;
    }
  for (int c = 0; c < n; c++) {
    const char *name = PQfname(r->res, c);
    if (name[0] == '_') continue; /* the body's own column */
    hub_col_plan *p = &r->plan[r->n_plan];
    p->col = c;
    p->depth = 0;
    const ProtobufCMessageDescriptor *cur = d;
    bool ok = true;
    for (const char *s = name; ok;) {
      size_t len = strcspn(s, ".");
      const ProtobufCFieldDescriptor *f = field_named(cur, s, len);
      ok = f && p->depth < MAX_DEPTH;
      if (!ok) break;
      p->path[p->depth++] = f;
      if (!s[len]) break;
      ok = f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED;
      cur = ok ? f->descriptor : NULL;
      s += len + 1;
    }
    if (!ok) {
      hub_logf(HUB_LOG_ERROR, "postgresql: column %s maps to no field of %s", name, d->name);
      HUB_ASSERT(!"every column maps to a field (or is named _x)");
      continue;
    }
    r->n_plan++;
  }
  keep(r, d);
}

/* ---- values ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char **s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++, (*s)++) {
    if (**s < '0' || **s > '9') return false;
    v = v * 10 + (**s - '0');
  }
  *out = v;
  return true;
}

/* timestamptz as PostgreSQL prints it with DateStyle ISO: "2026-12-02 10:23:44.123456+00",
 * the offset "+05:30" or "-03:00:12" when the session's TimeZone is not UTC. */
static bool parse_timestamptz(const char *s, int64_t *sec, int32_t *nanos) {
  int Y, M, D, h, m, sc, oh = 0, om = 0, os = 0;
  if (!digits(&s, 4, &Y) || *s++ != '-' || !digits(&s, 2, &M) || *s++ != '-' || !digits(&s, 2, &D) || *s++ != ' ' ||
      !digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &m) || *s++ != ':' || !digits(&s, 2, &sc))
    return false;
  int32_t ns = 0;
  if (*s == '.') {
    s++;
    int k = 0;
    for (; *s >= '0' && *s <= '9'; s++, k++)
      if (k < 9) ns = ns * 10 + (*s - '0');
    for (; k < 9; k++) ns *= 10;
  }
  int sign = *s == '-' ? -1 : 1;
  if (*s != '+' && *s != '-') return false;
  s++;
  if (!digits(&s, 2, &oh)) return false;
  if (*s == ':' && (s++, !digits(&s, 2, &om))) return false;
  if (*s == ':' && (s++, !digits(&s, 2, &os))) return false;
  if (*s) return false;
  *sec = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 + sc -
         sign * (oh * 3600 + om * 60 + os);
  *nanos = ns;
  return true;
}

static void *new_message(hub_arena *a, const ProtobufCMessageDescriptor *d) {
  ProtobufCMessage *m = hub_arena_alloc(a, d->sizeof_message);
  d->message_init(m);
  return m;
}

static void set_timestamp(hub_arena *a, const ProtobufCFieldDescriptor *f, void *slot, const char *text) {
  int64_t sec;
  int32_t nanos;
  bool ok = parse_timestamptz(text, &sec, &nanos);
  if (!ok) hub_logf(HUB_LOG_ERROR, "postgresql: %s: not a timestamptz this layer reads", f->name);
  HUB_ASSERT(ok);
  if (!ok) return;
  const ProtobufCMessageDescriptor *d = f->descriptor;
  char *ts = new_message(a, d);
  static __thread const ProtobufCMessageDescriptor *ts_d; /* the fields of the one Timestamp type */
  static __thread const ProtobufCFieldDescriptor *fs, *fn;
  if (ts_d != d) {
    fs = protobuf_c_message_descriptor_get_field_by_name(d, "seconds");
    fn = protobuf_c_message_descriptor_get_field_by_name(d, "nanos");
    ts_d = d;
  }
  *(int64_t *)(ts + fs->offset) = sec;
  *(int32_t *)(ts + fn->offset) = nanos;
  *(void **)slot = ts;
}

/* Stores `text` in field f of message m. */
static void set_field(hub_arena *a, char *m, const ProtobufCFieldDescriptor *f, const char *text, int len) {
  void *slot = m + f->offset;
  if (f->label == PROTOBUF_C_LABEL_REPEATED) {
    HUB_ASSERT(f->type == PROTOBUF_C_TYPE_STRING); /* text[] -> repeated string is all a column holds */
    if (f->type != PROTOBUF_C_TYPE_STRING) return;
    *(size_t *)(m + f->quantifier_offset) = hub_pg_array_parse(a, text, (char ***)slot);
    return;
  }
  switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: *(char **)slot = hub_arena_strndup(a, text, (size_t)len); break;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: *(int32_t *)slot = (int32_t)strtol(text, NULL, 10); break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: *(int64_t *)slot = strtoll(text, NULL, 10); break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: *(uint32_t *)slot = (uint32_t)strtoul(text, NULL, 10); break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: *(uint64_t *)slot = strtoull(text, NULL, 10); break;
    case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *)slot = text[0] == 't'; break;
    case PROTOBUF_C_TYPE_DOUBLE: *(double *)slot = strtod(text, NULL); break;
    case PROTOBUF_C_TYPE_FLOAT: *(float *)slot = strtof(text, NULL); break;
    case PROTOBUF_C_TYPE_ENUM: {
      int v = hub_enum_from_text(f->descriptor, text);
      if (!v) hub_logf(HUB_LOG_ERROR, "postgresql: %s: no value of %s is stored as this", f->name, ((const ProtobufCEnumDescriptor *)f->descriptor)->name);
      HUB_ASSERT(v != 0);
      *(int *)slot = v;
      break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
      bool ts = !strcmp(((const ProtobufCMessageDescriptor *)f->descriptor)->name, "google.protobuf.Timestamp");
      HUB_ASSERT(ts); /* the one message a column fills; others come from dotted column names */
      if (ts) set_timestamp(a, f, slot, text);
      break;
    }
    default: HUB_ASSERT(!"a field type no column fills (bytes)"); return;
  }
  if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) *(uint32_t *)(m + f->quantifier_offset) = f->id;
  else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset && f->type != PROTOBUF_C_TYPE_STRING &&
           f->type != PROTOBUF_C_TYPE_MESSAGE)
    *(protobuf_c_boolean *)(m + f->quantifier_offset) = 1;
}

void hub_rows_decode(const hub_rows *cr, int row, ProtobufCMessage *msg) {
  hub_rows *r = (hub_rows *)cr; /* the plan is a cache */
  HUB_ASSERT(r->flushed && r->res && row >= 0 && row < PQntuples(r->res));
  if (r->plan_for != msg->descriptor) build_plan(r, msg->descriptor);
  for (int i = 0; i < r->n_plan; i++) {
    const hub_col_plan *p = &r->plan[i];
    if (PQgetisnull(r->res, row, p->col)) continue;
    char *m = (char *)msg;
    for (int k = 0; k < p->depth - 1; k++) {
      void **sub = (void **)(m + p->path[k]->offset);
      if (!*sub) *sub = new_message(r->a, p->path[k]->descriptor);
      m = *sub;
    }
    set_field(r->a, m, p->path[p->depth - 1], PQgetvalue(r->res, row, p->col), PQgetlength(r->res, row, p->col));
  }
}

ProtobufCMessage *hub_rows_message(const hub_rows *r, int row, const ProtobufCMessageDescriptor *d) {
  if (row < 0 || row >= hub_rows_count(r)) return NULL;
  ProtobufCMessage *m = new_message(r->a, d);
  hub_rows_decode(r, row, m);
  return m;
}

size_t hub_rows_messages(const hub_rows *r, const ProtobufCMessageDescriptor *d, int limit, void ***out) {
  int n = hub_rows_count(r);
  if (limit >= 0 && n > limit) n = limit;
  *out = hub_arena_calloc(r->a, n ? (size_t)n : 1, sizeof **out);
  for (int i = 0; i < n; i++) (*out)[i] = hub_rows_message(r, i, d);
  return (size_t)n;
}
