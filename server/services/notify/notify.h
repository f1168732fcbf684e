/* Internals shared by the Notify service's files. The delivery worker (worker.c) routes outbox
 * events (router.c) by their topic's rule (topics.c) into inbox rows and mail deliveries,
 * rendered from the brand's parts (render.c, mail.c), and sends the mail (sender.c, smtp.c).
 * The RPCs: the inbox (inbox.c), preferences (preferences.c), deliveries (deliveries.c) and
 * one-click unsubscribe (unsubscribe.c). Other services reach Notify only through their outbox. */
#ifndef HUB_SERVICES_NOTIFY_H
#define HUB_SERVICES_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aip/paging.h"
#include "db/call.h"
#include "db/pg.h"
#include "hub/arena.h"
#include "hub/notify/v1/notify.hub-server.h"
#include "hub/uuid.h"
#include "identity/principal.h"
#include "services/context.h"

/* ---- topics: what each event becomes (topics.c, pure) ---- */

enum { NOTIFY_IN_APP = 1u << 0, NOTIFY_EMAIL = 1u << 1, NOTIFY_PUSH = 1u << 2 };

typedef enum notify_audience {
  NOTIFY_TO_ACCOUNT,  /* the user an account event is about (its aggregate); payload "to" overrides the address */
  NOTIFY_TO_INVITEE,  /* the address in the payload's "email" (maybe nobody's account yet) */
  NOTIFY_TO_ASSIGNEE, /* the ticket's assignee (none: nobody) */
} notify_audience;

typedef struct notify_topic {
  const char *topic;
  const char *description;
  notify_audience to;
  unsigned channels; /* what it can use */
  unsigned defaults; /* what it uses when nobody chose */
  bool security;     /* always sent, at once, whatever the preferences and quiet hours */
  /* The words, {{name}} taking the event's payload and the context (brand_name, tenant_name,
   * app_url, ...): subject (and in-app title), the message, and an action (label, link). */
  const char *subject, *text, *action, *link;
} notify_topic;

/* The topic's rule, or NULL: an event nobody is told of. */
const notify_topic *notify_topic_find(const char *topic);
/* Every topic, in name order; *n is how many. */
const notify_topic *notify_topics(size_t *n);
/* "in_app"/"email"/"push" and back (0 when unknown). */
const char *notify_channel_text(unsigned channel);
unsigned notify_channel_parse(const char *text);
unsigned notify_channel_of_enum(int channel); /* Hub__Notify__V1__Channel */
int notify_channel_enum(unsigned channel);

/* ---- templates (render.c, pure) ---- */

typedef enum notify_escape { NOTIFY_AS_TEXT, NOTIFY_AS_HTML, NOTIFY_AS_URL_PART } notify_escape;

/* A value by name for {{name}}; NULL renders as nothing. */
typedef const char *(*notify_lookup)(const char *name, size_t len, void *ud);

/* `tmpl` with every {{name}} replaced by lookup(name), escaped for where it lands: as is, as
 * HTML text or attribute, or percent-encoded as part of a URL. Anything that is not a
 * well-formed {{name}} is copied as written. */
char *notify_render(hub_arena *a, const char *tmpl, notify_escape how, notify_lookup lookup, void *ud);
/* s escaped as HTML (& < > " '). */
char *notify_html_escape(hub_arena *a, const char *s);

/* ---- the mail of one delivery (mail.c, pure) ---- */

typedef struct notify_brand {
  const char *id, *name;
  const char *app_url;         /* https://<the brand's app domain>, or HUB_PUBLIC_URL */
  const char *logo_url;        /* the email template's header logo (may be "") */
  const char *footer;          /* the email template's footer text (may be "") */
  const char *support_address; /* reply-to (may be "") */
  const char *sender_name;     /* white label's sender name, else the brand's name */
  const char *primary_color;
  bool hide_powered_by;
} notify_brand;

/* ---- the worker's scope (router.c): set first in a transaction that reads across tenants ---- */

extern const hub_pg_stmt notify_scope_sql;

/* ---- the brands (brands.c) ---- */

typedef struct notify_settings notify_settings;
typedef struct notify_brands {
  notify_brand *b;
  int n;
} notify_brands;
extern const hub_pg_stmt notify_brands_sql; /* every brand, as notify_brands_load reads them */
void notify_brands_load(const hub_rows *r, hub_arena *a, const notify_settings *s, notify_brands *out);
const notify_brand *notify_brand_find(const notify_brands *bs, const char *id);

typedef struct notify_mail {
  const char *subject;     /* the mail's subject and the in-app title */
  const char *summary;     /* the message alone: the in-app body */
  const char *path;        /* the action's place in the app ("/tickets/42"; "" for none): the in-app link */
  const char *link;        /* the same on the brand's app URL, for mail */
  const char *text, *html; /* the mail's two parts */
} notify_mail;

/* The mail (and in-app words) of `t` for one recipient: payload_json is the event's payload,
 * extra a NULL-terminated key/value list (tenant_name, number, ...). unsubscribe_url is "" for
 * mail that cannot be turned off. */
void notify_compose(hub_arena *a, const notify_topic *t, const notify_brand *b, const char *payload_json,
                    const char *const *extra, const char *unsubscribe_url, notify_mail *out);

/* One event of a digest mail. */
typedef struct notify_digest_line {
  const char *subject, *summary, *link;
} notify_digest_line;

/* The digest mail of n events for one user, in the brand's dress (every value escaped). */
void notify_compose_digest(hub_arena *a, const notify_brand *b, int n, const notify_digest_line *lines,
                           notify_mail *out);

/* ---- unsubscribe tokens (unsubscribe.c) ---- */

/* A signed token naming (user, tenant, topic, channel) until `exp` (unix seconds): HMAC-SHA-256
 * under a key derived from the data key (HKDF), so no table holds it and a key change voids it. */
char *notify_unsubscribe_token(hub_arena *a, const char *user_id, const char *tenant_id, const char *topic,
                               unsigned channel, int64_t exp);

/* ---- the worker (worker.c, router.c, sender.c, smtp.c) ---- */

struct notify_settings {
  const char *smtp_url, *smtp_user, *smtp_password, *smtp_ca_file, *smtp_from;
  const char *push_url, *push_project, *push_token, *push_ca_file; /* FCM-style HTTP v1; push_url "" = no push */
  int smtp_starttls;                                               /* 0 off, 1 when offered, 2 required */
  const char *public_url;
  int max_attempts;
  int64_t digest_window_s;
  int64_t retry_base_ms;
  int64_t retention_days;
};

/* A sender thread's SMTP client (one libcurl handle: its connection is reused; smtp.c). */
typedef struct notify_smtp notify_smtp;
/* A sender thread's push client (one libcurl handle; push.c). */
typedef struct notify_push notify_push;

typedef struct notify_pass {
  int routed;     /* outbox rows routed */
  int inbox;      /* inbox rows written */
  int queued;     /* mail deliveries queued */
  int sent;       /* mail delivered */
  int retried;    /* attempts that will be retried */
  int dead;       /* deliveries given up */
  int pruned;     /* old rows removed */
  int unroutable; /* events set aside: their routing fails by itself */
  int digests;    /* digest mails queued */
} notify_pass;

/* One bounded pass of routing; more is left for the next when *more. `cursor` (the caller's,
 * "" at first) is the last tenant served, so the next pass starts after it. */
hub_status notify_route_once(hub_pg *pg, hub_arena *a, const notify_settings *s, char cursor[40], notify_pass *out,
                             bool *more);
/* One bounded pass of sending due mail (through `smtp`) and push notifications (through `push`; either may be
 * NULL when this process sends none of that channel). */
hub_status notify_send_once(hub_pg *pg, hub_arena *a, const notify_settings *s, notify_smtp *smtp, notify_push *push,
                            notify_pass *out, bool *more);
/* Sends the digests that came due (digest.c): for each user whose oldest collected event has
 * waited digest_window_s, one mail of all of them, queued like any other. */
hub_status notify_digest_once(hub_pg *pg, hub_arena *a, const notify_settings *s, notify_pass *out);
/* Removes delivered deliveries and outbox rows older than the retention. */
hub_status notify_prune_once(hub_pg *pg, hub_arena *a, const notify_settings *s, notify_pass *out);

typedef struct notify_smtp_result {
  bool ok;        /* accepted */
  bool permanent; /* refused for good (5xx): no retry */
  char detail[256];
} notify_smtp_result;

notify_smtp *notify_smtp_new(void);
void notify_smtp_free(notify_smtp *s);
/* Sends one message (RFC 5322 text, CRLF) from `from` to `to` over s's SMTP server. */
void notify_smtp_send(notify_smtp *h, const notify_settings *s, const char *from, const char *to, const char *message,
                      notify_smtp_result *out);

/* Push through an FCM-style HTTP v1 API (push.c): POST <push_url>/v1/projects/<project>/messages:send
 * with the bearer token, over HTTPS verified against push_ca_file when set. */
notify_push *notify_push_new(void);
void notify_push_free(notify_push *p);
typedef struct notify_push_result {
  bool ok;           /* accepted */
  bool permanent;    /* refused for good: no retry */
  bool unregistered; /* the token is no longer valid: forget the device */
  char detail[256];
} notify_push_result;
void notify_push_send(notify_push *h, const notify_settings *s, const char *device_token, const char *title,
                      const char *body, const char *link, const char *topic, notify_push_result *out);

/* The RFC 5322 message of a delivery (GMime): multipart/alternative text + HTML. */
char *notify_mime_message(hub_arena *a, const char *from_name, const char *from, const char *to, const char *reply_to,
                          const char *subject, const char *text, const char *html, const char *message_id,
                          const char *unsubscribe_url);

/* ---- operator commands: hubd notify-status, hubd notify-redeliver (commands.c) ---- */

extern const hub_service_command notify_commands[];

/* ---- the inbox (inbox.c) ---- */

#define NOTIFY_INBOX_COLUMNS \
  "x.id, x.topic, x.title, x.body, x.link, x.brand, x.created_at AS create_time, x.read_at AS read_time"

#endif
