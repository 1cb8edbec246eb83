/*
 * Allocation that cannot fail: out of memory, strobe says so and aborts.
 * For the core's long-lived bookkeeping; per-run data lives in arenas.
 */
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p) {
		fputs("strobe: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (!p) {
		fputs("strobe: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fputs("strobe: out of memory\n", stderr);
		abort();
	}
	return s;
}
