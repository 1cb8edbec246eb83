/* The core's side of struct strobe_host, and small helpers shared by the core. */
#ifndef STROBE_HOST_H
#define STROBE_HOST_H

#include <strobe/common.h>

extern const struct strobe_host core_host;

void core_log(enum strobe_log_level level, const char *fmt, ...) STROBE_PRINTF(2, 3);
/* --no-warnings: every WARNING (diagnostics, the runtime's, the modules' through core_log) is dropped */
void core_set_warnings(bool on);
bool core_warnings(void);
/* tracefs root, mounting it on /sys/kernel/tracing if nothing is mounted. */
const char *core_tracefs(void);
int core_online_cpus(int *cpus, int max);

#endif
