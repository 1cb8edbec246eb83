/*
 * Located diagnostics: collected per run and rendered as bpftrace does
 * (file:line:col, the source line, ~~~ under the span).
 */
#include "diag.h"

#include <stdarg.h>
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

static struct diag *diag_add(struct diags *d, enum diag_severity sev, const struct loc *loc,
			     const char *fmt, va_list ap)
{
	struct diag *e = arena_zalloc(&d->arena, sizeof(*e));
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	e->msg = arena_zalloc(&d->arena, (size_t)n + 1);
	vsnprintf(e->msg, (size_t)n + 1, fmt, ap);
	e->severity = sev;
	if (loc)
		e->loc = *loc;
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
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	e->hint = arena_zalloc(&d->arena, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(e->hint, (size_t)n + 1, fmt, ap);
	va_end(ap);
}

/* Print source line `line` (1-based), tabs expanded to 4 spaces. */
static void print_line(const struct source *src, uint32_t line, FILE *fp)
{
	const char *p = src->text, *end = src->text + src->len;
	for (uint32_t l = 1; l < line && p < end; p++)
		if (*p == '\n')
			l++;
	for (; p < end && *p != '\n'; p++) {
		if (*p == '\t')
			fputs("    ", fp);
		else
			fputc(*p, fp);
	}
	fputc('\n', fp);
}

/* Display column of byte column col on a line, counting tabs as 4. */
static uint32_t display_col(const struct source *src, uint32_t line, uint32_t col)
{
	const char *p = src->text, *end = src->text + src->len;
	for (uint32_t l = 1; l < line && p < end; p++)
		if (*p == '\n')
			l++;
	uint32_t disp = 1;
	for (uint32_t c = 1; c < col && p < end && *p != '\n'; c++, p++)
		disp += *p == '\t' ? 4 : 1;
	return disp;
}

void diag_render(const struct source *src, enum diag_severity sev, const struct loc *loc,
		 const char *msg, const char *hint, FILE *fp)
{
	const char *what = sev == DIAG_ERROR ? "ERROR" : "WARNING";
	if (sev == DIAG_WARNING && !core_warnings())
		return;
	if (!loc || loc->line == 0 || !src) {
		fprintf(fp, "%s: %s\n", what, msg);
	} else if (loc->end_line > loc->line) {
		fprintf(fp, "%s:%u-%u: %s: %s\n", src->name, loc->line, loc->end_line, what, msg);
	} else {
		uint32_t end = loc->end_col >= loc->col ? loc->end_col : loc->col + 1;
		fprintf(fp, "%s:%u:%u-%u: %s: %s\n", src->name, loc->line, loc->col, end, what, msg);
		print_line(src, loc->line, fp);
		uint32_t from = display_col(src, loc->line, loc->col);
		uint32_t to = display_col(src, loc->line, end);
		for (uint32_t c = 1; c < from; c++)
			fputc(' ', fp);
		for (uint32_t c = from; c < to; c++)
			fputc('~', fp);
		fputc('\n', fp);
	}
	if (hint)
		fprintf(fp, "HINT: %s\n", hint);
}

void diags_emit(const struct diags *d, FILE *fp)
{
	for (int pass = 0; pass < 2; pass++)
		for (const struct diag *e = d->head; e; e = e->next)
			if ((pass == 0) == (e->severity == DIAG_ERROR))
				diag_render(d->src, e->severity, &e->loc, e->msg, e->hint, fp);
}

struct loc loc_span(struct loc a, struct loc b)
{
	struct loc r = a;
	r.end_line = b.end_line;
	r.end_col = b.end_col;
	return r;
}
