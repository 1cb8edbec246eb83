/*
 * Located diagnostics: collected per run and rendered as bpftrace does
 * (file:line:col, the source line, ~~~ under the span).
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

void diags_init(struct diags *d, const struct source *src)
{
	memset(d, 0, sizeof(*d));
	d->src = src;
	d->tail = &d->head;
}

void diags_release(struct diags *d)
{
	arena_release(&d->arena);
	d->head = NULL;
	d->tail = &d->head;
}

/* Same place: the same span of the same file, expanded at the same macro calls. */
static bool same_loc(const struct loc *a, const struct loc *b)
{
	for (; a && b; a = a->expanded_from, b = b->expanded_from)
		if (a->line != b->line || a->col != b->col || a->end_line != b->end_line ||
		    a->end_col != b->end_col || a->src != b->src)
			return false;
	return !a && !b;
}

/*
 * The diagnostic already given with this severity, place and text, or NULL:
 * a probe body shared by several attach points (BEGIN,END { ... }) is
 * checked once per copy, and bpftrace reports each problem once.
 */
static struct diag *diag_same(const struct diags *d, enum diag_severity sev, const struct loc *loc, const char *msg)
{
	static const struct loc none;
	for (struct diag *e = d->head; e; e = e->next)
		if (e->severity == sev && same_loc(&e->loc, loc ? loc : &none) && !strcmp(e->msg, msg))
			return e;
	return NULL;
}

static struct diag *diag_add(struct diags *d, enum diag_severity sev, const struct loc *loc,
			     const char *fmt, va_list ap)
{
	if (sev == DIAG_ERROR && d->nerrors - d->nrepeated >= DIAG_MAX_ERRORS) {
		d->nerrors++;
		return &d->dropped;
	}
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	char *msg = arena_zalloc(&d->arena, (size_t)n + 1);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	struct diag *e = diag_same(d, sev, loc, msg);
	if (e) { /* still an error for whoever counts them, shown once */
		if (sev == DIAG_ERROR) {
			d->nerrors++;
			d->nrepeated++;
		}
		return e;
	}
	e = arena_zalloc(&d->arena, sizeof(*e));
	e->msg = msg;
	e->severity = sev;
	if (loc) { /* the macro calls it was expanded at, copied: the program's arena may go first */
		e->loc = *loc;
		for (struct loc *at = &e->loc; at->expanded_from; at = (struct loc *)at->expanded_from) {
			struct loc *copy = arena_zalloc(&d->arena, sizeof(*copy));
			*copy = *at->expanded_from;
			at->expanded_from = copy;
		}
	}
	*d->tail = e;
	d->tail = &e->next;
	if (sev == DIAG_ERROR)
		d->nerrors++;
	else
		d->nwarnings++;
	return e;
}

struct diag *diag_error(struct diags *d, const struct loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct diag *e = diag_add(d, DIAG_ERROR, loc, fmt, ap);
	va_end(ap);
	return e;
}

struct diag *diag_warning(struct diags *d, const struct loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct diag *e = diag_add(d, DIAG_WARNING, loc, fmt, ap);
	va_end(ap);
	return e;
}

void diag_hint(struct diags *d, struct diag *e, const char *fmt, ...)
{
	if (e == &d->dropped)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	e->hint = arena_zalloc(&d->arena, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(e->hint, (size_t)n + 1, fmt, ap);
	va_end(ap);
}

/* Start of source line `line` (1-based). */
static const char *line_start(const struct source *src, uint32_t line)
{
	const char *p = src->text, *end = src->text + src->len;
	for (uint32_t l = 1; l < line && p < end; p++)
		if (*p == '\n')
			l++;
	return p;
}

/* Display column of byte column col on the line at p, counting tabs as 4. */
static uint32_t display_col(const char *p, const char *end, uint32_t col)
{
	uint32_t disp = 1;
	for (uint32_t c = 1; c < col && p < end && *p != '\n'; c++, p++)
		disp += *p == '\t' ? 4 : 1;
	return disp;
}

/* Display columns of a source line shown around a span; wider lines are clipped with "...". */
#define DIAG_LINE_WIDTH 100

/*
 * The source line, tabs expanded to 4 spaces, then ~~~ under display columns
 * [from, to). A line wider than DIAG_LINE_WIDTH shows the window of that many
 * columns that starts a third of it before the span.
 */
static void print_marked_line(const char *p, const char *end, uint32_t from, uint32_t to, FILE *fp)
{
	uint32_t ncols = display_col(p, end, UINT32_MAX) - 1;
	uint32_t first = 1, last = ncols + 1; /* shown: display columns [first, last) */
	if (ncols > DIAG_LINE_WIDTH) {
		first = from > DIAG_LINE_WIDTH / 3 ? from - DIAG_LINE_WIDTH / 3 : 1;
		if (first > ncols + 1 - DIAG_LINE_WIDTH)
			first = ncols + 1 - DIAG_LINE_WIDTH;
		last = first + DIAG_LINE_WIDTH;
	}
	uint32_t indent = first > 1 ? 3 : 0;
	if (first > 1)
		fputs("...", fp);
	for (uint32_t disp = 1; p < end && *p != '\n' && disp < last; p++)
		for (uint32_t k = 0; k < (*p == '\t' ? 4u : 1u); k++, disp++)
			if (disp >= first && disp < last)
				fputc(*p == '\t' ? ' ' : *p, fp);
	if (last <= ncols)
		fputs("...", fp);
	fputc('\n', fp);
	from = from < first ? first : from > last ? last : from;
	to = to > last ? last : to;
	for (uint32_t c = 0; c < indent + from - first; c++)
		fputc(' ', fp);
	for (uint32_t c = from; c < to; c++)
		fputc('~', fp);
	fputc('\n', fp);
}

static void render(const struct source *src, const char *what, const struct loc *loc, const char *msg,
		   const char *hint, FILE *fp)
{
	if (loc && loc->src)
		src = loc->src;
	if (!loc || loc->line == 0 || !src) {
		fprintf(fp, "%s: %s\n", what, msg);
	} else if (loc->end_line > loc->line) {
		fprintf(fp, "%s:%u-%u: %s: %s\n", src->name, loc->line, loc->end_line, what, msg);
	} else {
		uint32_t end = loc->end_col >= loc->col ? loc->end_col : loc->col + 1;
		fprintf(fp, "%s:%u:%u-%u: %s: %s\n", src->name, loc->line, loc->col, end, what, msg);
		const char *p = line_start(src, loc->line), *text_end = src->text + src->len;
		print_marked_line(p, text_end, display_col(p, text_end, loc->col), display_col(p, text_end, end), fp);
	}
	if (hint)
		fprintf(fp, "HINT: %s\n", hint);
}

void diag_render(const struct source *src, enum diag_severity sev, const struct loc *loc,
		 const char *msg, const char *hint, FILE *fp)
{
	if (sev == DIAG_WARNING && !core_warnings())
		return;
	/* stderr is unbuffered: build the text in memory, then write it at once */
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	render(src, sev == DIAG_ERROR ? "ERROR" : "WARNING", loc, msg, hint, mem ? mem : fp);
	/* in a macro's body: where it was called, innermost first */
	for (const struct loc *at = loc ? loc->expanded_from : NULL; at; at = at->expanded_from)
		render(src, "NOTE", at, "in the expansion of the macro called here", NULL, mem ? mem : fp);
	if (mem && fclose(mem) == 0)
		fwrite(buf, 1, len, fp);
	free(buf);
}

/* Warnings, then errors: bpftrace writes its warnings as it finds them and the errors at the end. */
void diags_emit(const struct diags *d, FILE *fp)
{
	for (int pass = 0; pass < 2; pass++) {
		for (const struct diag *e = d->head; e; e = e->next)
			if ((pass == 1) == (e->severity == DIAG_ERROR))
				diag_render(d->src, e->severity, &e->loc, e->msg, e->hint, fp);
		if (pass == 1 && diags_full(d))
			fprintf(fp, "ERROR: too many errors, stopped after the first %u\n", DIAG_MAX_ERRORS);
	}
}

struct loc loc_span(struct loc a, struct loc b)
{
	struct loc r = a;
	r.end_line = b.end_line;
	r.end_col = b.end_col;
	return r;
}
