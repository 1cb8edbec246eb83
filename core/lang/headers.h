/* #include: the object-like macros of C headers (headers.c). */
#ifndef STROBE_HEADERS_H
#define STROBE_HEADERS_H

#include <stdbool.h>
#include <stddef.h>

#include "../arena.h"

typedef void (*header_define_fn)(void *ctx, const char *name, size_t n, const char *body, size_t blen);

/*
 * Find header `name` (<name>, or "name" when quoted: beside from_dir first),
 * then in dirs (NULL-terminated, may be NULL) and the system's include
 * directories, and call define() for every object-like #define in it and in
 * the headers it includes (conditionals are not evaluated: guards define
 * nothing that matters). Texts live in a. -1 when the header is not found.
 */
int header_include(struct arena *a, const char *const *dirs, const char *name, bool quoted, const char *from_dir,
		   header_define_fn define, void *ctx);

#endif
