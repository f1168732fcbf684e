/* The served services' lifecycle hooks, run in the order of the generated table (so a
 * service's threads stop in the reverse order they started). */
#include "hubd/lifecycle.h"

#include <string.h>

#include "hub/log.h"

static const hub_service_lifecycle *lc(size_t i) { return hub_served_services[i]->lifecycle; }

bool hub_lifecycle_init(const hub_service_env *env) {
  for (size_t i = 0; hub_served_services[i]; i++) {
    if (lc(i) && lc(i)->init && !lc(i)->init(env)) {
      hub_logf(HUB_LOG_ERROR, "%s: init failed", hub_served_services[i]->name);
      return false;
    }
  }
  return true;
}

bool hub_lifecycle_start(const hub_service_env *env) {
  for (size_t i = 0; hub_served_services[i]; i++) {
    if (lc(i) && lc(i)->start && !lc(i)->start(env)) {
      hub_logf(HUB_LOG_ERROR, "%s: start failed", hub_served_services[i]->name);
      return false;
    }
  }
  return true;
}

void hub_lifecycle_drain(void) {
  for (size_t i = 0; hub_served_services[i]; i++)
    if (lc(i) && lc(i)->drain) lc(i)->drain();
}

void hub_lifecycle_stop(void) {
  for (size_t i = hub_served_services_count; i-- > 0;)
    if (lc(i) && lc(i)->stop) lc(i)->stop();
}

const hub_service_command *hub_lifecycle_command(const char *name) {
  for (size_t i = 0; hub_served_services[i]; i++) {
    for (const hub_service_command *c = lc(i) ? lc(i)->commands : NULL; c && c->name; c++)
      if (strcmp(c->name, name) == 0) return c;
  }
  return NULL;
}

void hub_lifecycle_commands_help(FILE *out) {
  for (size_t i = 0; hub_served_services[i]; i++) {
    for (const hub_service_command *c = lc(i) ? lc(i)->commands : NULL; c && c->name; c++)
      fprintf(out, "  %-10s %s\n", c->name, c->help);
  }
}
