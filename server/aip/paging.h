/* The List conventions every service shares (AIP-158): page_size (default 50, at most 500,
 * negative refused) and opaque keyset page tokens. A token carries the last row's sort key and
 * a second part (usually its id) so the next page starts strictly after it. */
#ifndef HUB_AIP_PAGING_H
#define HUB_AIP_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "hub/api/v1/types.pb-c.h"
#include "hub/arena.h"
#include "hub/status.h"

#define HUB_PAGE_SIZE_DEFAULT 50
#define HUB_PAGE_SIZE_MAX 500

/* The page size to use; INVALID_ARGUMENT on "page_size" when negative. */
hub_status hub_page_size(hub_arena *a, int32_t requested, int *out);
/* "v1|<key>|<rest>" as unpadded base64url. `key` holds no '|'; `rest` may hold anything. */
char *hub_page_token(hub_arena *a, const char *key, const char *rest);
/* False when the token was not made by hub_page_token (callers answer INVALID_ARGUMENT). */
bool hub_page_token_parse(hub_arena *a, const char *token, char **key, char **rest);
/* For lists paged by id alone: the id (lower case) a page token carries as its key, NULL for the
 * first page ("" token); INVALID_ARGUMENT on "page_token" for anything else. */
hub_status hub_page_token_id(hub_arena *a, const char *token, const char **id);
/* A response's PageInfo: next_page_token `next` (from hub_page_token), none on the last page (NULL). */
Hub__Api__V1__PageInfo *hub_page_info(hub_arena *a, char *next);

#endif
