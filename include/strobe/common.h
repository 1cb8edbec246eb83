/* SPDX-License-Identifier: MIT */
/*
 * strobe public ABI: what providers and output sinks share with the core.
 * Modules include only headers under include/strobe/ (plus system libraries).
 */
#ifndef STROBE_COMMON_H
#define STROBE_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STROBE_EXPORT __attribute__((visibility("default")))
#define STROBE_PRINTF(a, b) __attribute__((format(printf, a, b)))

#ifndef offsetofend
#define offsetofend(TYPE, FIELD) (offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))
#endif

struct strobe_provider_ops;

enum strobe_log_level {
	STROBE_LOG_ERROR,
	STROBE_LOG_WARNING,
	STROBE_LOG_INFO,
	STROBE_LOG_DEBUG,
};

/*
 * Services the core offers every module. Passed to init()/open(); valid
 * until the module's fini()/close() returns.
 */
struct strobe_host {
	uint32_t size; /* sizeof(struct strobe_host) of the core */
	/* Unlocated message to stderr, prefixed "ERROR: "/"WARNING: ". */
	void (*log)(enum strobe_log_level level, const char *fmt, ...) STROBE_PRINTF(2, 3);
	/* tracefs root ("/sys/kernel/tracing"), mounting it if needed; NULL if unavailable. */
	const char *(*tracefs)(void);
	/* Number of possible CPUs and the list of online CPUs (returns count, fills up to max). */
	int (*online_cpus)(int *cpus, int max);
	/* Append only below this line. */
	/*
	 * Appended (check size reaches it): the registered provider serving
	 * probe type `type` ("usdt"), loaded and initialised if it was not yet,
	 * and its state in *st for its callbacks; NULL if there is none or it
	 * fails to load (the core reports why). A provider of a runtime
	 * resolves, attaches and detaches through it (providers/python).
	 * Valid until the calling module's fini() returns.
	 */
	const struct strobe_provider_ops *(*provider)(const char *type, void **st);
	/*
	 * Appended (check size reaches it): true while list() runs for a
	 * listing of every provider (`strobe -l`, a pattern without a type or
	 * with a wildcard type), false when the user named the provider's type
	 * (`-l 'python:*'`). A provider whose default target is unusable (no
	 * python3 on PATH) says so there in one warning and returns 0; named,
	 * it is an error and list() fails.
	 */
	bool (*listing_all)(void);
};

#endif
