/* See paging.h. */
#include "aip/paging.h"

#include <string.h>

#include "crypto/encoding.h"
#include "hub/uuid.h"

hub_status hub_page_size(hub_arena *a, int32_t requested, int *out) {
  if (requested < 0) return hub_status_invalid(a, "page_size", "must not be negative");
  *out = requested == 0 ? HUB_PAGE_SIZE_DEFAULT : requested > HUB_PAGE_SIZE_MAX ? HUB_PAGE_SIZE_MAX : requested;
  return HUB_STATUS_OK;
}

char *hub_page_token(hub_arena *a, const char *key, const char *rest) {
  char *plain = hub_arena_sprintf(a, "v1|%s|%s", key, rest ? rest : "");
  return hub_base64url_encode(a, plain, strlen(plain));
}

bool hub_page_token_parse(hub_arena *a, const char *token, char **key, char **rest) {
  size_t n = 0;
  if (!token || strlen(token) > 2048) return false;
  char *plain = (char *)hub_base64url_decode(a, token, &n);
  if (!plain || n < 4 || memchr(plain, '\0', n) || strncmp(plain, "v1|", 3) != 0) return false;
  char *bar = strchr(plain + 3, '|');
  if (!bar || bar == plain + 3) return false;
  *bar = '\0';
  *key = plain + 3;
  *rest = bar + 1;
  return true;
}

hub_status hub_page_token_id(hub_arena *a, const char *token, const char **id) {
  *id = NULL;
  if (!token || !*token) return HUB_STATUS_OK;
  char *key = NULL, *rest = NULL;
  if (!hub_page_token_parse(a, token, &key, &rest) || !(*id = hub_uuid_lower(a, key)))
    return hub_status_invalid(a, "page_token", "not a token from this list");
  return HUB_STATUS_OK;
}

Hub__Api__V1__PageInfo *hub_page_info(hub_arena *a, char *next) {
  Hub__Api__V1__PageInfo *page = hub_arena_alloc(a, sizeof *page);
  hub__api__v1__page_info__init(page);
  page->next_page_token = next ? next : page->next_page_token;
  return page;
}
