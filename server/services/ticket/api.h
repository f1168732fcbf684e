/* What other services may use of Ticket: its reader of the system's IANA time-zone database
 * (tz.c), so a zone one service accepts is never refused by another. */
#ifndef HUB_SERVICES_TICKET_API_H
#define HUB_SERVICES_TICKET_API_H

typedef struct hub_tz hub_tz;

/* The zone ("Europe/Berlin", "UTC") when the name is safe (letters, digits, "_+-/", no "..")
 * and its TZif file under /usr/share/zoneinfo parses; NULL otherwise. Cached, never freed. */
const hub_tz *hub_tz_get(const char *name);

#endif
