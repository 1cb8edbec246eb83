/*
 * The core's side of struct strobe_host (logging, tracefs, online CPUs),
 * the callbacks modules use.
 */
#include "host.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define TRACEFS_MAGIC 0x74726163
#define DEBUGFS_MAGIC 0x64626720

static bool warnings = true;

void core_set_warnings(bool on)
{
	warnings = on;
}

bool core_warnings(void)
{
	return warnings;
}

void core_log(enum strobe_log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "ERROR: ", "WARNING: ", "", "DEBUG: " };
	va_list ap;
	if (level == STROBE_LOG_WARNING && !warnings)
		return;
	fputs(prefix[level], stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int is_fs(const char *path, long magic)
{
	struct statfs st;
	return statfs(path, &st) == 0 && st.f_type == magic;
}

const char *core_tracefs(void)
{
	static const char *root;
	static int tried;
	if (root || tried)
		return root;
	tried = 1;
	if (is_fs("/sys/kernel/tracing", TRACEFS_MAGIC))
		return root = "/sys/kernel/tracing";
	if (is_fs("/sys/kernel/debug/tracing", TRACEFS_MAGIC))
		return root = "/sys/kernel/debug/tracing";
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0)
		return root = "/sys/kernel/tracing";
	core_log(STROBE_LOG_ERROR, "tracefs is not mounted and mounting it on /sys/kernel/tracing failed: %s",
		 strerror(errno));
	return NULL;
}

int core_online_cpus(int *cpus, int max)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	int n = 0;
	if (!f) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		for (int i = 0; i < c && n < max; i++)
			cpus[n++] = i;
		return n;
	}
	int a, b;
	char sep;
	while (fscanf(f, "%d", &a) == 1) {
		b = a;
		if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
			if (fscanf(f, "%d", &b) != 1)
				break;
			if (fscanf(f, "%c", &sep) != 1)
				sep = 0;
		}
		for (int i = a; i <= b && n < max; i++)
			cpus[n++] = i;
		if (sep != ',')
			break;
	}
	fclose(f);
	return n;
}

const struct strobe_host core_host = {
	.size = sizeof(struct strobe_host),
	.log = core_log,
	.tracefs = core_tracefs,
	.online_cpus = core_online_cpus,
};
