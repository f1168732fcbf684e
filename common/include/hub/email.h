/* The one rule for what counts as an email address, used by sign-up, login, password reset,
 * invitations, brand support addresses and ticket requesters alike, so an address one RPC
 * takes is never refused by another. Deliberately plain (one '@', a dotted domain, no spaces,
 * controls or header-breaking characters, at most 254 bytes): the mailbox proves the rest. */
#ifndef HUB_EMAIL_H
#define HUB_EMAIL_H

#include <stdbool.h>

bool hub_email_valid(const char *s);

#endif
