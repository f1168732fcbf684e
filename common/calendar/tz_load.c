/* The edge of the calendar library: zones by IANA name, read from the system's tzdata (the
 * TZif files under /usr/share/zoneinfo) and parsed by tz.c. Zones are loaded once, cached
 * behind a mutex and never freed; a loaded zone is immutable, so lookups need no lock. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/zone.h"

#define TZ_DIR "/usr/share/zoneinfo/"
#define TZ_MAX_FILE (1 << 20)

static bool valid_name(const char *name) {
  const size_t n = strlen(name);
  if (n == 0 || n > HUB_TZ_MAX_NAME || name[0] == '/' || name[0] == '-' || strstr(name, "..") || strstr(name, "//"))
    return false;
  for (const char *p = name; *p; p++) {
    const char ch = *p;
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' ||
          ch == '-' || ch == '/'))
      return false;
  }
  return name[n - 1] != '/';
}

static hub_tz *load_file(const char *name) {
  char path[sizeof TZ_DIR + HUB_TZ_MAX_NAME];
  snprintf(path, sizeof path, "%s%s", TZ_DIR, name);
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char *buf = malloc(TZ_MAX_FILE);
  hub_tz *tz = NULL;
  if (buf) {
    const size_t len = fread(buf, 1, TZ_MAX_FILE, f);
    if (!ferror(f) && len < TZ_MAX_FILE) tz = hub_tz_parse(buf, len);
    free(buf);
  }
  fclose(f);
  return tz;
}

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static hub_tz *cache_head;
static hub_tz utc_zone = {.name = "UTC"};

const hub_tz *hub_tz_get(const char *name) {
  if (!name) return NULL;
  if (strcmp(name, "UTC") == 0) return &utc_zone; /* built in: works without tzdata */
  if (!valid_name(name)) return NULL;
  pthread_mutex_lock(&cache_mu);
  hub_tz *tz = cache_head;
  while (tz && strcmp(tz->name, name) != 0) tz = tz->next;
  if (!tz && (tz = load_file(name))) {
    snprintf(tz->name, sizeof tz->name, "%s", name);
    tz->next = cache_head;
    cache_head = tz;
  }
  pthread_mutex_unlock(&cache_mu);
  return tz;
}
