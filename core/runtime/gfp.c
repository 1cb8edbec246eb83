/*
 * printf's %gr: GFP flags by name, as the kernel's own trace output names
 * them. The table is this kernel's: the __print_flags list of the
 * kmem:kmalloc tracepoint's print fmt (composite names first, then single
 * flags), its C constant expressions evaluated once, on first use.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../host.h"
#include "runtime_internal.h"

#define GFP_MAX_NAMES 64

struct gfp_name {
	uint64_t mask;
	char name[40];
};

static struct gfp_name gfp_names[GFP_MAX_NAMES];
static size_t gfp_count;
static bool gfp_loaded;

/* ---- the constant expressions of the table: | & ~ << >> + - ( ), casts dropped ---- */

struct cexpr {
	const char *p, *end;
	bool bad;
};

static void skip_space(struct cexpr *e)
{
	while (e->p < e->end && isspace((unsigned char)*e->p))
		e->p++;
}

static uint64_t c_or(struct cexpr *e);

/* "( gfp_t)", "( unsigned long)": a parenthesised type name, skipped */
static bool skip_cast(struct cexpr *e)
{
	const char *q = e->p + 1;
	while (q < e->end && (isalpha((unsigned char)*q) || *q == '_' || *q == ' '))
		q++;
	if (q >= e->end || *q != ')' || q == e->p + 1)
		return false;
	for (const char *r = e->p + 1; r < q; r++)
		if (isalpha((unsigned char)*r) || *r == '_') {
			e->p = q + 1;
			return true;
		}
	return false;
}

static uint64_t c_unary(struct cexpr *e)
{
	skip_space(e);
	if (e->p >= e->end) {
		e->bad = true;
		return 0;
	}
	if (*e->p == '~') {
		e->p++;
		return ~c_unary(e);
	}
	if (*e->p == '(') {
		if (skip_cast(e))
			return c_unary(e);
		e->p++;
		uint64_t v = c_or(e);
		skip_space(e);
		if (e->p < e->end && *e->p == ')')
			e->p++;
		else
			e->bad = true;
		return v;
	}
	if (isdigit((unsigned char)*e->p)) {
		char *next;
		uint64_t v = strtoull(e->p, &next, 0);
		e->p = next;
		while (e->p < e->end && strchr("uUlL", *e->p))
			e->p++;
		return v;
	}
	e->bad = true;
	return 0;
}

/* one level of binary operators of equal precedence, loosest last */
static uint64_t c_binary(struct cexpr *e, int level)
{
	static const char *const ops[][2] = { { "+", "-" }, { "<<", ">>" }, { "&", NULL }, { "|", NULL } };
	uint64_t v = level == 0 ? c_unary(e) : c_binary(e, level - 1);
	for (;;) {
		skip_space(e);
		int which = -1;
		for (int k = 0; k < 2 && ops[level][k]; k++) {
			size_t n = strlen(ops[level][k]);
			/* '&' and '|' alone, not "&&" or "||" (never in the table) */
			if ((size_t)(e->end - e->p) >= n && !strncmp(e->p, ops[level][k], n))
				which = k;
		}
		if (which < 0 || e->bad)
			return v;
		e->p += strlen(ops[level][which]);
		uint64_t r = level == 0 ? c_unary(e) : c_binary(e, level - 1);
		switch (level) {
		case 0: v = which ? v - r : v + r; break;
		case 1: v = r >= 64 ? 0 : which ? v >> r : v << r; break;
		case 2: v &= r; break;
		default: v |= r; break;
		}
	}
}

static uint64_t c_or(struct cexpr *e)
{
	return c_binary(e, 3);
}

/* The {expr, "NAME"} pairs after `__print_flags(REC->gfp_flags, "|",`. */
static void parse_table(const char *fmt)
{
	const char *p = strstr(fmt, "__print_flags(REC->gfp_flags");
	p = p ? strchr(p, '{') : NULL;
	while (p && *p == '{' && gfp_count < GFP_MAX_NAMES) {
		/* the expression ends at the ',' before the name's '"' */
		const char *q = strchr(p, '"');
		const char *comma = q;
		while (comma && comma > p && *comma != ',')
			comma--;
		const char *close = q ? strchr(q + 1, '"') : NULL;
		if (!q || !close || comma <= p)
			return;
		struct cexpr e = { p + 1, comma, false };
		uint64_t mask = c_or(&e);
		size_t len = (size_t)(close - q - 1);
		if (!e.bad && len < sizeof(gfp_names[0].name)) {
			gfp_names[gfp_count].mask = mask;
			memcpy(gfp_names[gfp_count].name, q + 1, len);
			gfp_names[gfp_count].name[len] = '\0';
			gfp_count++;
		}
		p = strchr(close, '}');
		if (!p)
			return;
		p++;
		while (*p == ',' || *p == ' ')
			p++;
	}
}

static void load_table(void)
{
	gfp_loaded = true;
	const char *root = core_tracefs();
	char path[512];
	if (!root || snprintf(path, sizeof(path), "%s/events/kmem/kmalloc/format", root) >= (int)sizeof(path))
		return;
	FILE *fp = fopen(path, "r");
	if (!fp)
		return;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, fp) > 0)
		if (!strncmp(line, "print fmt:", 10)) {
			parse_table(line);
			break;
		}
	free(line);
	fclose(fp);
}

void gfp_flags_text(struct strbuf *out, uint64_t flags)
{
	if (!gfp_loaded)
		load_table();
	if (!flags) {
		sb_add(out, "none", 4);
		return;
	}
	bool first = true;
	for (size_t i = 0; i < gfp_count && flags; i++) {
		uint64_t m = gfp_names[i].mask;
		if (!m || (flags & m) != m)
			continue;
		if (!first)
			sb_add(out, "|", 1);
		sb_add(out, gfp_names[i].name, strlen(gfp_names[i].name));
		flags &= ~m;
		first = false;
	}
	if (flags)
		sb_addf(out, "%s%#llx", first ? "" : "|", (unsigned long long)flags);
}
