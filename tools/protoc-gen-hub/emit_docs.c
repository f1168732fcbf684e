/* Emits <file>.rpcs.md for every hub.* file with services: the RPC table of the service's doc
 * page (RPC, who may call it, its kind, and the RPC's comment in the .proto). docs/<domain>.md carries a copy between markers; tests/docs/check_docs.py fails
 * when the two differ and `tools/dev docs` rewrites the copies, so the table a reader sees is
 * the contract the server enforces. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "sb.h"

/* FileDescriptorProto.service = 6, ServiceDescriptorProto.method = 2 (descriptor.proto). */
#define PATH_SERVICE 6
#define PATH_METHOD 2

static const char *method_comment(const file_proto *fd, size_t s, size_t k) {
  const Google__Protobuf__SourceCodeInfo *sci = fd->source_code_info;
  for (size_t i = 0; sci && i < sci->n_location; i++) {
    const Google__Protobuf__SourceCodeInfo__Location *l = sci->location[i];
    if (l->n_path == 4 && l->path[0] == PATH_SERVICE && (size_t)l->path[1] == s && l->path[2] == PATH_METHOD &&
        (size_t)l->path[3] == k)
      return l->leading_comments;
  }
  return NULL;
}

/* The comment on one line, without the RPC's name in front, with '|' escaped. */
static void summary(sb *s, const char *comment, const char *rpc) {
  if (!comment) return;
  const char *p = comment;
  while (*p && isspace((unsigned char)*p)) p++;
  /* "GetTicket returns ..." reads "returns ..." in the row named GetTicket. */
  size_t n = strlen(rpc);
  if (strncmp(p, rpc, n) == 0 && p[n] == ' ') p += n + 1;
  bool space = false;
  for (; *p; p++) {
    if (isspace((unsigned char)*p)) {
      space = true;
      continue;
    }
    if (space) sb_printf(s, " ");
    space = false;
    if (*p == '|') sb_printf(s, "\\|");
    else sb_printf(s, "%c", *p);
  }
}

static const char *const kind_text[4] = {"unary", "server stream", "client stream", "bidi stream"};

void emit_docs(const gen_model *m, gen_out *out) {
  for (size_t f = 0; f < m->n_files; f++) {
    const gen_file *gf = &m->files[f];
    if (!gf->fd->package || strncmp(gf->fd->package, "hub.", 4) != 0) continue;
    sb d = {0};
    for (size_t s = 0; s < gf->n_services; s++) {
      const gen_service *gs = &gf->services[s];
      sb_printf(&d, "<!-- generated from %s (service %s); `tools/dev docs` rewrites it -->\n", gf->fd->name, gs->full);
      sb_printf(&d, "| RPC | access | kind | what it does |\n| --- | --- | --- | --- |\n");
      for (size_t k = 0; k < gs->n_methods; k++) {
        const gen_method *gm = &gs->methods[k];
        sb_printf(&d, "| `%s` | ", gm->name);
        if (gm->permission) sb_printf(&d, "`%s`", gm->permission);
        else sb_printf(&d, "%s", gm->is_public ? "public" : "any signed-in user");
        sb_printf(&d, " | %s%s | ", kind_text[gm->kind], gm->idempotent ? ", idempotent" : "");
        summary(&d, method_comment(gf->fd, s, k), gm->name);
        sb_printf(&d, " |\n");
      }
    }
    gen_out_add(out, xsprintf("%s.rpcs.md", gf->stem), sb_take(&d));
  }
}
