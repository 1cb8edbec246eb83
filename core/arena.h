/* Arena allocation: every AST node and string of a run lives in one arena. */
#ifndef STROBE_ARENA_H
#define STROBE_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
};

#define ARENA_INIT { 0 }

/* Zeroed memory; aborts on out-of-memory, never returns NULL. */
void *arena_zalloc(struct arena *a, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Grow an arena array: returns a copy of old (n elements) with room for cap. */
void *arena_grow(struct arena *a, void *old, size_t n, size_t cap, size_t elem);
void arena_release(struct arena *a);
/* Forget every allocation but keep one block: per-event scratch without a malloc per event. */
void arena_reset(struct arena *a);

#endif
