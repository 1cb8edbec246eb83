/*
 * #include for the bpftrace language: types come from BTF, so of a header
 * only its object-like macros matter (EPERM, AF_INET, O_RDONLY). They are
 * read from the header and the headers it includes, found as a C compiler
 * finds them (-I dirs, then the system's include directories).
 */
#include "headers.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_DEPTH 16
#define MAX_FILES 256
#define MAX_HEADER_BYTES (4u << 20)

static const char *const system_dirs[] = {
	"/usr/local/include",
#if defined(__x86_64__)
	"/usr/include/x86_64-linux-gnu",
#elif defined(__aarch64__)
	"/usr/include/aarch64-linux-gnu",
#endif
	"/usr/include",
};

struct walk {
	struct arena *a;
	const char *const *dirs;
	header_define_fn define;
	void *ctx;
	char *seen[MAX_FILES];
	unsigned nseen;
};

static char *read_file(struct arena *a, const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_HEADER_BYTES) {
		fclose(f);
		return NULL;
	}
	char *buf = arena_zalloc(a, (size_t)st.st_size + 1);
	*len = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	return buf;
}

/* The path of the header, or NULL: "x" is looked for beside the including file first. */
static bool find(struct walk *w, const char *name, bool quoted, const char *from_dir, char *out, size_t cap)
{
	struct stat st;
	if (name[0] == '/') {
		snprintf(out, cap, "%s", name);
		return stat(out, &st) == 0 && S_ISREG(st.st_mode);
	}
	if (quoted && from_dir) {
		snprintf(out, cap, "%s/%s", from_dir, name);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return true;
	}
	for (const char *const *d = w->dirs; d && *d; d++) {
		snprintf(out, cap, "%s/%s", *d, name);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return true;
	}
	for (size_t i = 0; i < sizeof(system_dirs) / sizeof(system_dirs[0]); i++) {
		snprintf(out, cap, "%s/%s", system_dirs[i], name);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return true;
	}
	return false;
}

/* Blank out comments in place, keeping newlines, so that lines stay lines. */
static void strip_comments(char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] == '/' && s[i + 1] == '/') {
			while (i < len && s[i] != '\n')
				s[i++] = ' ';
		} else if (s[i] == '/' && s[i + 1] == '*') {
			s[i++] = ' ';
			s[i++] = ' ';
			while (i + 1 < len && !(s[i] == '*' && s[i + 1] == '/')) {
				if (s[i] != '\n')
					s[i] = ' ';
				i++;
			}
			if (i + 1 < len) {
				s[i] = ' ';
				s[i + 1] = ' ';
			}
		} else if (s[i] == '\\' && s[i + 1] == '\n') {
			s[i] = ' '; /* a continued line: the next one is part of it */
			s[i + 1] = ' ';
		}
	}
}

static bool is_ident(int c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int walk_file(struct walk *w, const char *path, unsigned depth);

/* "<name>" or "\"name\"" after #include: the header it names, read in turn. */
static void include_line(struct walk *w, const char *p, const char *end, const char *from_dir, unsigned depth)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end || (*p != '<' && *p != '"'))
		return;
	char close = *p == '<' ? '>' : '"';
	const char *q = memchr(p + 1, close, (size_t)(end - p - 1));
	if (!q || q - p - 1 >= PATH_MAX / 2)
		return;
	char name[PATH_MAX / 2], path[PATH_MAX];
	memcpy(name, p + 1, (size_t)(q - p - 1));
	name[q - p - 1] = '\0';
	if (find(w, name, close == '"', from_dir, path, sizeof(path)))
		walk_file(w, path, depth + 1);
}

static int walk_file(struct walk *w, const char *path, unsigned depth)
{
	if (depth > MAX_DEPTH || w->nseen == MAX_FILES)
		return 0;
	char real[PATH_MAX];
	if (!realpath(path, real))
		return -1;
	for (unsigned i = 0; i < w->nseen; i++)
		if (!strcmp(w->seen[i], real))
			return 0;
	w->seen[w->nseen++] = arena_strdup(w->a, real);
	size_t len = 0;
	char *text = read_file(w->a, real, &len);
	if (!text)
		return -1;
	strip_comments(text, len);
	char *dir = arena_strdup(w->a, real), *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	for (char *line = text, *end; line < text + len; line = end + 1) {
		end = memchr(line, '\n', (size_t)(text + len - line));
		if (!end)
			end = text + len;
		char *p = line;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end || *p++ != '#')
			continue;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p > 7 && !strncmp(p, "include", 7)) {
			include_line(w, p + 7, end, dir, depth);
			continue;
		}
		if (end - p <= 6 || strncmp(p, "define", 6) || (p[6] != ' ' && p[6] != '\t'))
			continue;
		p += 6;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *name = p;
		while (p < end && is_ident((unsigned char)*p))
			p++;
		size_t n = (size_t)(p - name);
		if (!n || (p < end && *p == '(')) /* function-like macros are not the language's */
			continue;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		char *bend = end;
		while (bend > p && (bend[-1] == ' ' || bend[-1] == '\t' || bend[-1] == '\r'))
			bend--;
		if (bend > p)
			w->define(w->ctx, name, n, p, (size_t)(bend - p));
	}
	return 0;
}

int header_include(struct arena *a, const char *const *dirs, const char *name, bool quoted, const char *from_dir,
		   header_define_fn define, void *ctx)
{
	struct walk *w = calloc(1, sizeof(*w));
	char path[PATH_MAX];
	if (!w)
		return -1;
	*w = (struct walk){ .a = a, .dirs = dirs, .define = define, .ctx = ctx };
	int rc = find(w, name, quoted, from_dir, path, sizeof(path)) ? walk_file(w, path, 0) : -1;
	free(w);
	return rc;
}
