/* Located diagnostics, rendered the way bpftrace renders them. */
#ifndef STROBE_DIAG_H
#define STROBE_DIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"

/* Columns are 1-based; end_col is exclusive. line == 0 means "no location". */
struct loc {
	uint32_t line, col, end_line, end_col;
	const struct loc *expanded_from; /* in a macro's body: the call it was expanded at, or NULL */
	const struct source *src;        /* in an imported file: that file; NULL: the diagnostics' own source */
};

struct source {
	const char *name; /* "stdin" for -e, else the path as given */
	const char *text; /* NUL-terminated */
	size_t len;
};

enum diag_severity { DIAG_ERROR, DIAG_WARNING };

struct diag {
	enum diag_severity severity;
	struct loc loc;
	char *msg;
	char *hint; /* NULL or one hint */
	struct diag *next;
};

/* Errors kept and shown; past it diags_full() is true and the lexer stops reading. */
#define DIAG_MAX_ERRORS 20

struct diags {
	struct arena arena;
	const struct source *src;
	struct diag *head, **tail;
	unsigned nerrors, nwarnings;
	unsigned nrepeated;  /* errors that repeated an earlier one: counted in nerrors, shown once */
	struct diag dropped; /* what diag_error returns past DIAG_MAX_ERRORS */
};

void diags_init(struct diags *d, const struct source *src);
void diags_release(struct diags *d);
struct diag *diag_error(struct diags *d, const struct loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct diag *diag_warning(struct diags *d, const struct loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_hint(struct diags *d, struct diag *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline bool diags_ok(const struct diags *d)
{
	return d->nerrors == 0;
}
/* More than DIAG_MAX_ERRORS errors: the rest are counted, not kept. */
static inline bool diags_full(const struct diags *d)
{
	return d->nerrors - d->nrepeated > DIAG_MAX_ERRORS;
}
/* Warnings first, then errors (as bpftrace), each with source line and ~~~ marker. */
void diags_emit(const struct diags *d, FILE *fp);
/*
 * Render one diagnostic (used by diags_emit and by runtime warnings) in one
 * write; a source line wider than 100 columns is clipped around the span.
 */
void diag_render(const struct source *src, enum diag_severity sev, const struct loc *loc,
		 const char *msg, const char *hint, FILE *fp);
/* Merge two spans: from a's start to b's end. */
struct loc loc_span(struct loc a, struct loc b);

#endif
