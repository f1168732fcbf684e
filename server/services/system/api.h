/* What hubd uses of the System service: the process facts it reports, set once by main
 * before serving. Nothing else of system/ is included from outside it. */
#ifndef HUB_SERVICES_SYSTEM_API_H
#define HUB_SERVICES_SYSTEM_API_H

void hub_system_init(const char *version, const char *instance_id);

#endif
