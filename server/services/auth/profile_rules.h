/* The profile's value rules, pure (no I/O but reading the system's tz database): what
 * UpdateProfile accepts as a locale and a time zone. Unit-tested on their own. */
#ifndef HUB_SERVICES_AUTH_PROFILE_RULES_H
#define HUB_SERVICES_AUTH_PROFILE_RULES_H

#include <stdbool.h>

#include "hub/arena.h"

/* A BCP 47 language tag (RFC 5646 syntax: language[-extlang][-script][-region]*(-variant)
 * *(-extension)[-x-private], at most 64 bytes, with a 2-3 letter language: the registry holds
 * no longer ones) in its canonical case ("de-ch" -> "de-CH", "zh-hant-tw" -> "zh-Hant-TW"), in
 * the arena; NULL when the tag is not well-formed. Grandfathered and private-only tags are
 * refused. */
char *auth_locale_canonical(hub_arena *a, const char *tag);
/* An IANA zone name the server's tz database holds ("Europe/Zurich", "UTC"), at most 64 bytes. */
bool auth_time_zone_ok(const char *name);

#endif
