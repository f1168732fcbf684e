/* Process facts the System service reports; set once by main before serving. */
#ifndef HUB_SYSTEM_H
#define HUB_SYSTEM_H

void hub_system_init(const char *version, const char *instance_id);

#endif
