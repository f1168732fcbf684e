/* Bad input everywhere, generated from the contract: every unary RPC in the generated method
 * table that hubd serves is called, as a tenant owner who is also a platform administrator (so
 * calls get past authorization into validation and the handlers), with
 *   - an empty request, and a plausible one (each field filled to satisfy its declared rules);
 *   - the plausible request with one field at a time replaced by something hostile: a 1 MiB
 *     string, one character over the declared max_len, max_len two-byte characters, invalid
 *     UTF-8, control characters; INT64_MIN/MAX, 0, -1, UINT64 max; NaN and infinities; enum
 *     values no enum defines; lists one item over max_items (or ten thousand items);
 *   - a few hundred seeded random bodies (pure noise, and the plausible request's bytes
 *     flipped, cut and spliced), sent raw so hubd's own decoder meets them.
 * Asserted: no answer is INTERNAL or UNKNOWN; hubd answers Health/Check after every RPC's
 * batch; every RPC answered at least one call past authentication; and hubd's RSS, sampled
 * after every RPC, grew by less than 64 MiB beyond what password hashing takes by design
 * (Argon2id's 19 MiB per hash, as many at once as hubd has CPUs), and by less than 64 MiB
 * once hubd has been idle long enough to trim its heap. RSS is not asserted under the
 * sanitizers, whose shadow memory inflates it (HUB_TEST_SANITIZED, as test_hostile.py).
 * The RPCs come from hub_all_methods (a service hubd does not serve answers UNIMPLEMENTED to
 * everything and is skipped; a hub.* one may not), the fields from walking the request
 * descriptors and their rules (hub_method_def.rules), so a new RPC is covered with no list
 * to update. HUB_BADINPUT_SEED changes the random bodies (the seed of a failure is printed);
 * HUB_BADINPUT_VERBOSE=1 prints what each RPC answers to its plausible request. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>

#include "google/protobuf/field_mask.pb-c.h"
#include "grpc/health/v1/health.hub.h"
#include "hub/api/v1/rules.pb-c.h"
#include "hub/auth/v1/auth.hub.h"
#include "hub/cpu.h"
#include "hub/method.h"
#include "hub/validate.h"
#include "crypto/password.h"
#include "support/world.h"

#define MIB (1u << 20)
#define RANDOM_BODIES 300
#define IN_FLIGHT 8
#define MAX_DEPTH 4
#define MANY_ITEMS 10000
#define RSS_GROWTH_LIMIT (64 * MIB)

static hub_world w;
static hub_test_user owner;
static uint64_t seed = 0x5eedbad1u;
static char *megabyte; /* 1 MiB of 'x' */

/* ---- requests from the descriptors and their rules ---- */

/* Which field (the `target`-th leaf met by the walk) gets which hostile value (`variant`);
 * the walk counts the leaves and says how many variants the target has and what it got. */
typedef struct mutation {
  int target, variant;
  int seen;       /* leaves met so far */
  int n_variants; /* of the target, once met */
  char what[192]; /* "ticket.subject: 1 MiB" */
  char path[128]; /* "ticket.subject" */
} mutation;

static const hub_field_rules *rule_for(const hub_message_rules *r, uint32_t number) {
  for (uint32_t i = 0; r && i < r->n_fields; i++)
    if (r->fields[i].number == number) return &r->fields[i];
  return NULL;
}

/* A value the rules accept (or "" when the field has none): deeper calls reach the handler. */
static char *plausible_string(hub_arena *a, const hub_field_rules *r) {
  if (!r) return "";
  if (r->uuid) return "0190ffff-ffff-7fff-bfff-ffffffff0042";
  if (r->email) return "bad-input@example.com";
  if (r->date) return "2026-01-02";
  const char *base = "bad input";
  switch (r->chars) {
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_CURRENCY: return "USD";
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_SLUG: base = "bad-input"; break;
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_IDENT: base = "bad_input"; break;
    case HUB__API__V1__CHAR_CLASS__CHAR_CLASS_TAG: base = "bad-input"; break;
    default: break;
  }
  size_t n = strlen(base);
  if (r->min_len > n) n = r->min_len;
  if (r->max_len && n > r->max_len) n = r->max_len;
  char *s = hub_arena_alloc(a, n + 1);
  for (size_t i = 0; i < n; i++) s[i] = base[i % strlen(base)];
  s[n] = '\0';
  return s;
}

static char *repeat(hub_arena *a, const char *unit, size_t times) {
  size_t u = strlen(unit);
  char *s = hub_arena_alloc(a, u * times + 1);
  for (size_t i = 0; i < times; i++) memcpy(s + i * u, unit, u);
  s[u * times] = '\0';
  return s;
}

static int enum_max(const ProtobufCEnumDescriptor *e) {
  int max = 0;
  for (unsigned i = 0; i < e->n_values; i++)
    if (e->values[i].value > max) max = e->values[i].value;
  return max;
}

static int enum_first_defined(const ProtobufCEnumDescriptor *e) {
  for (unsigned i = 0; i < e->n_values; i++)
    if (e->values[i].value != 0) return e->values[i].value;
  return 0;
}

/* The hostile values of one scalar of field `f` (rules `r`): how many there are, and the
 * `v`-th written at `slot` (NULL: only count) with its name in *label. */
static int hostile_scalar(hub_arena *a, const ProtobufCFieldDescriptor *f, const hub_field_rules *r, int v, void *slot,
                          const char **label) {
  static const char *const bad_utf8 = "ok\xff\xfe \xc3\x28 \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82";
  switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
      const char *names[] = {"1 MiB", "invalid UTF-8", "control characters", "max_len + 1 characters",
                             "max_len two-byte characters"};
      int n = r && r->max_len ? 5 : 3;
      if (!slot) return n;
      char *s = v == 0 ? megabyte : v == 1 ? (char *)bad_utf8 : v == 2 ? "a\x01\x1b[2J\x7f\r\n\tz" : NULL;
      if (v == 3) s = repeat(a, "x", r->max_len + 1);
      if (v == 4) s = repeat(a, "\xc3\xa9", r->max_len);
      *(char **)slot = s;
      *label = names[v];
      return n;
    }
    case PROTOBUF_C_TYPE_BYTES: {
      if (!slot) return 1;
      *(ProtobufCBinaryData *)slot = (ProtobufCBinaryData){MIB, (uint8_t *)megabyte};
      *label = "1 MiB";
      return 1;
    }
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: {
      static const int32_t vals[] = {INT32_MIN, INT32_MAX, 0, -1};
      static const char *const names[] = {"INT32_MIN", "INT32_MAX", "0", "-1"};
      if (slot) *(int32_t *)slot = vals[v], *label = names[v];
      return 4;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
      static const int64_t vals[] = {INT64_MIN, INT64_MAX, 0, -1};
      static const char *const names[] = {"INT64_MIN", "INT64_MAX", "0", "-1"};
      if (slot) *(int64_t *)slot = vals[v], *label = names[v];
      return 4;
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
      if (slot) *(uint32_t *)slot = v ? 0 : UINT32_MAX, *label = v ? "0" : "UINT32_MAX";
      return 2;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
      if (slot) *(uint64_t *)slot = v ? 0 : UINT64_MAX, *label = v ? "0" : "UINT64_MAX";
      return 2;
    case PROTOBUF_C_TYPE_DOUBLE:
    case PROTOBUF_C_TYPE_FLOAT: {
      const double vals[] = {NAN, INFINITY, -INFINITY, -0.0, DBL_MAX};
      static const char *const names[] = {"NaN", "+Inf", "-Inf", "-0", "DBL_MAX"};
      if (slot && f->type == PROTOBUF_C_TYPE_DOUBLE) *(double *)slot = vals[v];
      if (slot && f->type == PROTOBUF_C_TYPE_FLOAT) *(float *)slot = v == 4 ? FLT_MAX : (float)vals[v];
      if (slot) *label = names[v];
      return 5;
    }
    case PROTOBUF_C_TYPE_ENUM: {
      const ProtobufCEnumDescriptor *e = f->descriptor;
      const int vals[] = {-1, INT32_MAX, INT32_MIN, enum_max(e) + 1};
      static const char *const names[] = {"enum -1", "enum INT32_MAX", "enum INT32_MIN", "enum max + 1"};
      if (slot) *(int *)slot = vals[v], *label = names[v];
      return 4;
    }
    default: return 0; /* bool: every value is a value */
  }
}

/* The value the rules accept, at `slot`. */
static void plausible_scalar(hub_arena *a, const ProtobufCFieldDescriptor *f, const hub_field_rules *r, void *slot) {
  int64_t v = r && r->has_min ? r->min : r && r->has_max && r->max < 0 ? r->max : 0;
  switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: *(char **)slot = plausible_string(a, r); break;
    case PROTOBUF_C_TYPE_ENUM:
      *(int *)slot = r && (r->defined || r->required) ? enum_first_defined(f->descriptor) : (int)v;
      break;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: *(int32_t *)slot = (int32_t)v; break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: *(uint32_t *)slot = (uint32_t)v; break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: *(int64_t *)slot = v; break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: *(uint64_t *)slot = (uint64_t)v; break;
    default: break; /* 0, false, empty bytes */
  }
}

static size_t scalar_size(const ProtobufCFieldDescriptor *f) {
  switch (f->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE: return 8;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    default: return 4;
  }
}

static void fill(hub_arena *a, ProtobufCMessage *m, const hub_message_rules *rules, int depth, mutation *mu,
                 const char *prefix);

/* An update applies only the fields its mask names: the mask names the one the hostile value
 * is in ("ticket.sla.paused" -> "sla"), so the value reaches the update itself. */
static void mask_target(hub_arena *a, ProtobufCMessage *m, const char *path) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  const char *dot = strchr(path, '.');
  if (!dot) return;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (f->descriptor != &google__protobuf__field_mask__descriptor) continue;
    Google__Protobuf__FieldMask *mask = *(Google__Protobuf__FieldMask **)((char *)m + f->offset);
    if (!mask || strncmp(path, f->name, (size_t)(dot - path)) == 0) return; /* the mask is the target */
    const char *name = dot + 1;
    mask->n_paths = 1;
    mask->paths = hub_arena_alloc(a, sizeof(char *));
    mask->paths[0] = hub_arena_sprintf(a, "%.*s", (int)strcspn(name, ".["), name);
  }
}

static const char *path_of(hub_arena *a, const char *prefix, const char *name) {
  return *prefix ? hub_arena_sprintf(a, "%s.%s", prefix, name) : name;
}

/* One field of `m`: its plausible value, or its hostile one when it is the target. Writes into
 * `slot` (the field's storage, or a scratch union for a oneof member); true when the target
 * was met in this field (or below it). */
static bool fill_field(hub_arena *a, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const hub_field_rules *r,
                       int depth, mutation *mu, const char *prefix, void *slot) {
  const char *path = path_of(a, prefix, f->name);
  int before = mu->seen;
  if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
    if (depth >= MAX_DEPTH) return false;
    const ProtobufCMessageDescriptor *sd = f->descriptor;
    ProtobufCMessage *sub = hub_arena_alloc(a, sd->sizeof_message);
    sd->message_init(sub);
    fill(a, sub, r ? r->message : NULL, depth + 1, mu, path);
    bool hit = mu->target >= before && mu->target < mu->seen;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      /* One item, and (a leaf of its own) too many of them. */
      int many = mu->seen++ == mu->target;
      size_t n = many ? (r && r->max_items ? r->max_items + 1u : MANY_ITEMS) : 1;
      ProtobufCMessage **items = hub_arena_alloc(a, n * sizeof *items);
      for (size_t i = 0; i < n; i++) items[i] = sub;
      *(size_t *)((char *)m + f->quantifier_offset) = n;
      *(ProtobufCMessage ***)slot = items;
      if (many) {
        mu->n_variants = 1;
        snprintf(mu->path, sizeof mu->path, "%s", path);
        snprintf(mu->what, sizeof mu->what, "%s: %zu items", path, n);
      }
      return hit || many;
    }
    *(ProtobufCMessage **)slot = sub;
    return hit;
  }
  int nv = hostile_scalar(a, f, r, 0, NULL, NULL);
  if (f->label == PROTOBUF_C_LABEL_REPEATED) {
    if (nv == 0) return false;
    bool hit = mu->seen++ == mu->target;
    if (!hit) return false; /* plausible: no items */
    mu->n_variants = nv + 1;
    snprintf(mu->path, sizeof mu->path, "%s", path);
    size_t size = scalar_size(f);
    const char *label = NULL;
    if (mu->variant < nv) {
      void *items = hub_arena_alloc(a, size);
      memset(items, 0, size);
      hostile_scalar(a, f, r, mu->variant, items, &label);
      *(size_t *)((char *)m + f->quantifier_offset) = 1;
      *(void **)slot = items;
      snprintf(mu->what, sizeof mu->what, "%s[0]: %s", path, label);
    } else {
      size_t n = r && r->max_items ? r->max_items + 1u : MANY_ITEMS;
      char *items = hub_arena_alloc(a, n * size);
      memset(items, 0, n * size);
      for (size_t i = 0; i < n; i++) {
        plausible_scalar(a, f, r, items + i * size);
        if (f->type == PROTOBUF_C_TYPE_STRING && !**(char **)(items + i * size))
          *(char **)(items + i * size) = hub_arena_sprintf(a, "item-%zu", i);
      }
      *(size_t *)((char *)m + f->quantifier_offset) = n;
      *(void **)slot = items;
      snprintf(mu->what, sizeof mu->what, "%s: %zu items", path, n);
    }
    return true;
  }
  plausible_scalar(a, f, r, slot);
  if (nv == 0) return false;
  if (mu->seen++ != mu->target) return false;
  const char *label = NULL;
  mu->n_variants = nv;
  snprintf(mu->path, sizeof mu->path, "%s", path);
  hostile_scalar(a, f, r, mu->variant, slot, &label);
  snprintf(mu->what, sizeof mu->what, "%s: %s", path, label);
  return true;
}

static void fill(hub_arena *a, ProtobufCMessage *m, const hub_message_rules *rules, int depth, mutation *mu,
                 const char *prefix) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    const hub_field_rules *r = rule_for(rules, f->id);
    char *base = (char *)m;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
      /* Members share storage: the first member holds the plausible value unless a later
       * member holds the target. */
      union {
        void *p;
        uint64_t u;
        double dbl;
        ProtobufCBinaryData bin;
      } scratch = {0};
      bool hit = fill_field(a, m, f, r, depth, mu, prefix, &scratch);
      uint32_t *which = (uint32_t *)(base + f->quantifier_offset);
      if (hit || *which == 0) {
        *which = f->id;
        memcpy(base + f->offset, &scratch, scalar_size(f));
      }
      continue;
    }
    bool hit = fill_field(a, m, f, r, depth, mu, prefix, base + f->offset);
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset && f->type != PROTOBUF_C_TYPE_MESSAGE &&
        f->type != PROTOBUF_C_TYPE_STRING)
      *(protobuf_c_boolean *)(base + f->quantifier_offset) = hit || r != NULL;
  }
}

/* ---- bodies ---- */

typedef struct body {
  uint8_t *bytes;
  size_t len;
  char what[256];
} body;

typedef struct bodies {
  body *v;
  size_t n, cap;
} bodies;

static body *add_body(bodies *b) {
  if (b->n == b->cap) {
    b->cap = b->cap ? 2 * b->cap : 64;
    b->v = realloc(b->v, b->cap * sizeof *b->v);
  }
  body *x = &b->v[b->n++];
  memset(x, 0, sizeof *x);
  return x;
}

static void add_message(bodies *b, const ProtobufCMessage *msg, const char *what) {
  body *x = add_body(b);
  x->len = protobuf_c_message_get_packed_size(msg);
  x->bytes = malloc(x->len ? x->len : 1);
  protobuf_c_message_pack(msg, x->bytes);
  snprintf(x->what, sizeof x->what, "%s", what);
}

static void free_bodies(bodies *b) {
  for (size_t i = 0; i < b->n; i++) free(b->v[i].bytes);
  free(b->v);
  memset(b, 0, sizeof *b);
}

static uint64_t next_random(uint64_t *s) { /* xorshift64* */
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ULL;
}

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

/* Half noise of every length up to 512 bytes, half the plausible request damaged: bytes
 * flipped, the end cut off, random bytes spliced in, a length prefix set huge. */
static void add_random(bodies *b, const hub_method_def *m, const body *plausible) {
  uint64_t s = seed ^ fnv1a(m->path);
  if (!s) s = 1;
  for (int i = 0; i < RANDOM_BODIES; i++) {
    body *x = add_body(b);
    bool noise = i % 2 == 0 || plausible->len == 0;
    snprintf(x->what, sizeof x->what, "random body %d (seed %#" PRIx64 ", %s)", i, seed, noise ? "noise" : "damaged");
    if (noise) {
      x->len = next_random(&s) % 513;
      x->bytes = malloc(x->len + 1);
      for (size_t k = 0; k < x->len; k++) x->bytes[k] = (uint8_t)next_random(&s);
      continue;
    }
    size_t extra = next_random(&s) % 16;
    x->bytes = malloc(plausible->len + extra + 1);
    memcpy(x->bytes, plausible->bytes, plausible->len);
    x->len = plausible->len;
    switch (next_random(&s) % 4) {
      case 0:
        for (int k = 0; k < 1 + (int)(next_random(&s) % 4); k++) x->bytes[next_random(&s) % x->len] ^= (uint8_t)(1u << (next_random(&s) % 8));
        break;
      case 1: x->len = next_random(&s) % x->len; break;
      case 2: {
        size_t at = next_random(&s) % (x->len + 1);
        memmove(x->bytes + at + extra, x->bytes + at, x->len - at);
        for (size_t k = 0; k < extra; k++) x->bytes[at + k] = (uint8_t)next_random(&s);
        x->len += extra;
        break;
      }
      default: /* a length-delimited field's varint length made huge (0xff... continues) */
        x->bytes[next_random(&s) % x->len] = 0xff;
        x->bytes[next_random(&s) % x->len] = 0x7f;
        break;
    }
  }
}

/* Every body of one RPC: empty, plausible, each field's hostile values, random. */
static void make_bodies(hub_arena *a, const hub_method_def *m, bodies *b) {
  body *empty = add_body(b);
  snprintf(empty->what, sizeof empty->what, "empty request");
  empty->bytes = malloc(1);
  ProtobufCMessage *msg = hub_arena_alloc(a, m->input->sizeof_message);
  m->input->message_init(msg);
  mutation count = {.target = -1};
  fill(a, msg, m->rules, 0, &count, "");
  add_message(b, msg, "plausible request");
  body plausible = b->v[b->n - 1];
  for (int t = 0; t < count.seen; t++) {
    for (int v = 0;; v++) {
      mutation mu = {.target = t, .variant = v};
      m->input->message_init(msg);
      fill(a, msg, m->rules, 0, &mu, "");
      mask_target(a, msg, mu.path);
      add_message(b, msg, mu.what);
      if (v + 1 >= mu.n_variants) break;
    }
  }
  add_random(b, m, &plausible);
}

/* ---- calling ---- */

static long rss_bytes(int pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kb = strtol(line + 6, NULL, 10);
  if (f) fclose(f);
  return kb * 1024;
}

static bool sanitized(void) {
  const char *s = getenv("HUB_TEST_SANITIZED");
  return s && *s && strcmp(s, "0") != 0 && strcasecmp(s, "off") != 0;
}

static int64_t call_timeout_ms(void) { return sanitized() ? 60000 : 20000; }

static bool healthy(void) {
  hub_arena *a = hub_arena_new(0);
  Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  ProtobufCMessage *resp = NULL;
  hub_call_options o = {.timeout_ms = 10000, .no_retry = true};
  hub_status st = hub_unary_call(w.ch, &hub_grpc_health_v1_health_check_method, &o, a, &req.base, &resp);
  bool ok = hub_ok(st) && ((Grpc__Health__V1__HealthCheckResponse *)resp)->status ==
                              GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
  hub_arena_free(a);
  return ok;
}

/* The owner's session still works, or a new one (an RPC such as Logout ends it). */
static void keep_signed_in(void) {
  hub_arena *a = hub_arena_new(0);
  Hub__Auth__V1__WhoAmIRequest req = HUB__AUTH__V1__WHO_AM_IREQUEST__INIT;
  ProtobufCMessage *resp = NULL;
  hub_call_options o = hub_world_opts(&owner);
  hub_status st = hub_unary_call(w.ch, &hub_auth_v1_auth_who_am_i_method, &o, a, &req.base, &resp);
  hub_arena_free(a);
  if (hub_ok(st)) return;
  st = hub_world_login(&w, owner.email, owner.password, owner.tenant_id, &owner);
  if (!hub_ok(st)) fail_msg("cannot sign the owner in again: %s", hub_code_name(st.code));
}

/* What a failing body says to the server: the message of the status, when the body decodes
 * on this side too (the client sends it again, synchronously). */
static void explain(const hub_method_def *m, const body *x, hub_code code) {
  fprintf(stderr, "%s (%s): %s, %zu bytes:", m->path, x->what, hub_code_name(code), x->len);
  for (size_t i = 0; i < x->len && i < 64; i++) fprintf(stderr, " %02x", x->bytes[i]);
  fprintf(stderr, "%s\n", x->len > 64 ? " ..." : "");
  ProtobufCMessage *msg = protobuf_c_message_unpack(m->input, NULL, x->len, x->bytes);
  if (!msg) return;
  hub_arena *a = hub_arena_new(0);
  ProtobufCMessage *resp = NULL;
  hub_call_options o = hub_world_opts(&owner);
  o.timeout_ms = call_timeout_ms();
  hub_status st = hub_unary_call(w.ch, m, &o, a, msg, &resp);
  fprintf(stderr, "  again: %s %s\n", hub_code_name(st.code), st.message ? st.message : "");
  hub_arena_free(a);
  protobuf_c_message_free_unpacked(msg, NULL);
}

typedef struct tally {
  long calls, bad, past_auth;
  long by_code[17];
} tally;

/* Sends every body with IN_FLIGHT calls outstanding; counts the answers. */
static void send_all(const hub_method_def *m, const bodies *b, tally *t) {
  hub_async_queue *q = hub_async_queue_new();
  hub_call_options o = hub_world_opts(&owner);
  o.timeout_ms = call_timeout_ms();
  size_t next = 0, done = 0;
  while (done < b->n) {
    while (next < b->n && next - done < IN_FLIGHT) {
      if (!hub_async_unary_start(q, w.ch, m, &o, b->v[next].bytes, b->v[next].len, (void *)(uintptr_t)next))
        fail_msg("%s: cannot start a call", m->path);
      next++;
    }
    void *tag;
    hub_code code;
    size_t len;
    if (!hub_async_next(q, call_timeout_ms() + 5000, &tag, &code, &len)) fail_msg("%s: a call never completed", m->path);
    done++;
    t->calls++;
    if ((unsigned)code < 17) t->by_code[code]++;
    if (code != HUB_UNAUTHENTICATED && code != HUB_PERMISSION_DENIED) t->past_auth++;
    if (code == HUB_INTERNAL || code == HUB_UNKNOWN) {
      t->bad++;
      explain(m, &b->v[(uintptr_t)tag], code);
    }
  }
  hub_async_queue_free(q);
}

/* ---- the test ---- */

static int setup(void **state) {
  (void)state;
  const char *s = getenv("HUB_BADINPUT_SEED");
  if (s && *s) seed = strtoull(s, NULL, 0);
  megabyte = malloc(MIB + 1);
  memset(megabyte, 'x', MIB);
  megabyte[MIB] = '\0';
  /* Hundreds of Login bodies in a row are the point, not an attack to slow down. */
  static const char *const env[] = {"HUB_LOGIN_LIMIT_PER_IP=100000000", "HUB_LOGIN_LIMIT_PER_ACCOUNT=100000000", NULL};
  if (!hub_world_up(&w, "badinput", env)) return -1;
  hub_world_signup_login(&w, "bad-input-owner@example.com", "Bad Input Tenant", "smb_hub", &owner);
  /* Platform administrator too (read at sign-in), so platform RPCs reach their handlers. */
  if (hub_world_sql(&w, "UPDATE users SET is_platform_admin = true WHERE id = '%s'", owner.user_id)) return -1;
  return hub_ok(hub_world_login(&w, owner.email, owner.password, owner.tenant_id, &owner)) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  hub_world_down(&w);
  free(megabyte);
  return 0;
}

static void test_bad_input_everywhere(void **state) {
  (void)state;
  int pid = hub_proc_pid(w.hubd);
  long base = rss_bytes(pid), peak = base;
  tally all = {0};
  int rpcs = 0, skipped = 0;
  char unreached[2048] = "";
  for (size_t k = 0; k < hub_all_methods_count; k++) {
    const hub_method_def *m = hub_all_methods[k];
    if (m->streaming != HUB_UNARY) continue;
    hub_arena *a = hub_arena_new(0);
    bodies b = {0};
    make_bodies(a, m, &b);
    tally t = {0};
    if (getenv("HUB_BADINPUT_VERBOSE")) explain(m, &b.v[1], HUB_OK);
    send_all(m, &b, &t);
    /* A service the contract defines but hubd does not serve (the interop test service). */
    if (t.by_code[HUB_UNIMPLEMENTED] == t.calls) {
      if (strncmp(m->service, "hub.", 4) == 0) fail_msg("%s is not served", m->path);
      skipped++;
      free_bodies(&b);
      hub_arena_free(a);
      continue;
    }
    if (!healthy()) {
      hub_proc_dump_log(w.hubd);
      fail_msg("hubd does not answer Health/Check after %s", m->path);
    }
    rpcs++;
    if (t.past_auth == 0) snprintf(unreached + strlen(unreached), sizeof unreached - strlen(unreached), " %s", m->path);
    all.calls += t.calls, all.bad += t.bad, all.past_auth += t.past_auth;
    for (int c = 0; c < 17; c++) all.by_code[c] += t.by_code[c];
    long r = rss_bytes(pid);
    if (r > peak) peak = r;
    print_message("%-52s %4ld calls: %3ld OK, %4ld INVALID_ARGUMENT, %3ld other; RSS %.1f MiB\n", m->path, t.calls,
                  t.by_code[HUB_OK], t.by_code[HUB_INVALID_ARGUMENT],
                  t.calls - t.by_code[HUB_OK] - t.by_code[HUB_INVALID_ARGUMENT], r / (double)MIB);
    free_bodies(&b);
    hub_arena_free(a);
    keep_signed_in();
  }
  /* Idle a little over HUB_MALLOC_TRIM_IDLE_MS: the workers hand the heap's free pages back. */
  struct timespec idle = {2, 500000000};
  nanosleep(&idle, NULL);
  long end = rss_bytes(pid);
  long hashing = (long)hub_cpu_count() * HUB_PASSWORD_OWASP.m_kib * 1024;
  print_message("bad input: %d RPCs (%d not served), %ld calls, %ld past authentication; hubd RSS %.1f MiB at the start, "
                "peak %.1f (+%.1f, of which up to %.1f password hashing), %.1f (+%.1f) once idle%s\n",
                rpcs, skipped, all.calls, all.past_auth, base / (double)MIB, peak / (double)MIB,
                (peak - base) / (double)MIB, hashing / (double)MIB, end / (double)MIB, (end - base) / (double)MIB,
                sanitized() ? " (sanitized: RSS not bounded)" : "");
  for (int c = 0; c < 17; c++)
    if (all.by_code[c]) print_message("  %-20s %ld\n", hub_code_name((hub_code)c), all.by_code[c]);
  if (all.bad) fail_msg("%ld calls answered INTERNAL or UNKNOWN (listed above)", all.bad);
  if (*unreached) fail_msg("no call got past authentication on:%s", unreached);
  assert_true(rpcs >= 50);
  if (!sanitized() && peak - base >= (long)RSS_GROWTH_LIMIT + hashing)
    fail_msg("hubd's RSS grew by %.1f MiB (limit 64 + %.1f)", (peak - base) / (double)MIB, hashing / (double)MIB);
  if (!sanitized() && end - base >= (long)RSS_GROWTH_LIMIT)
    fail_msg("hubd's RSS stayed %.1f MiB above the start once idle (limit 64)", (end - base) / (double)MIB);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_input_everywhere),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
