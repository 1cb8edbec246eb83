/* Allocation that aborts when memory runs out (xalloc.c). */
#ifndef STROBE_XALLOC_H
#define STROBE_XALLOC_H

#include <stddef.h>
#include <strobe/common.h>

char *xstrdup(const char *s);
void *xcalloc(size_t n, size_t size);
char *xasprintf(const char *fmt, ...) STROBE_PRINTF(1, 2);

#endif
