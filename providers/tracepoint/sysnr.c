/* Parsing <asm/unistd_64.h> into a syscall name -> number table (sysnr.h). */
#include "sysnr.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NR_PREFIX "__NR_"

static int entry_cmp(const void *x, const void *y)
{
	const struct sysnr_entry *a = x, *b = y;
	return strcmp(a->name, b->name);
}

/* One line: "#define __NR_name 123" with any blanks; 1 and the parts if it is one. */
static int parse_line(const char *s, const char *end, const char **name, size_t *len, long *nr)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end || *s++ != '#')
		return 0;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if ((size_t)(end - s) < 7 || strncmp(s, "define", 6) || (s[6] != ' ' && s[6] != '\t'))
		return 0;
	s += 6;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	size_t plen = strlen(NR_PREFIX);
	if ((size_t)(end - s) <= plen || strncmp(s, NR_PREFIX, plen))
		return 0;
	s += plen;
	const char *n0 = s;
	while (s < end && (isalnum((unsigned char)*s) || *s == '_'))
		s++;
	if (s == n0 || s == end || (*s != ' ' && *s != '\t'))
		return 0;
	*name = n0;
	*len = (size_t)(s - n0);
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end || !isdigit((unsigned char)*s))
		return 0;
	long v = 0;
	while (s < end && isdigit((unsigned char)*s)) {
		v = v * 10 + (*s++ - '0');
		if (v > 1000000)
			return 0;
	}
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	/* a trailing comment is fine, an expression (__X32_SYSCALL_BIT + 1) is not */
	if (s < end && strncmp(s, "/*", 2))
		return 0;
	*nr = v;
	return 1;
}

int sysnr_parse(const char *text, struct sysnr_table *out)
{
	out->v = NULL;
	out->n = 0;
	size_t cap = 0;
	for (const char *s = text; s && *s;) {
		const char *nl = strchr(s, '\n');
		const char *end = nl ? nl : s + strlen(s);
		const char *name;
		size_t len;
		long nr;
		if (parse_line(s, end, &name, &len, &nr)) {
			if (out->n == cap) {
				cap = cap ? cap * 2 : 512;
				struct sysnr_entry *v = realloc(out->v, cap * sizeof(*v));
				if (!v)
					goto nomem;
				out->v = v;
			}
			char *copy = strndup(name, len);
			if (!copy)
				goto nomem;
			out->v[out->n++] = (struct sysnr_entry){ copy, (int)nr };
		}
		s = nl ? nl + 1 : end;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), entry_cmp);
	return 0;
nomem:
	sysnr_release(out);
	return -ENOMEM;
}

void sysnr_release(struct sysnr_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

#if defined(__x86_64__)
/*
 * x86-64 (arch/x86/entry/syscalls/syscall_64.tbl; numbers are ABI and never
 * change). Renames: the tracepoint carries the kernel function's name.
 * Additions: syscalls newer than Debian 12's header (Linux 6.1), each checked
 * on Linux 6.18 against the __syscall_nr its tracepoint records.
 */
static const struct {
	const char *event;
	int nr;
} builtin_nrs[] = {
	{ "newstat", 4 }, { "newfstat", 5 }, { "newlstat", 6 }, { "sendfile64", 40 },
	{ "newuname", 63 }, { "umount", 166 }, { "uretprobe", 335 }, { "uprobe", 336 },
	{ "cachestat", 451 }, { "fchmodat2", 452 }, { "map_shadow_stack", 453 },
	{ "futex_wake", 454 }, { "futex_wait", 455 }, { "futex_requeue", 456 },
	{ "statmount", 457 }, { "listmount", 458 }, { "lsm_get_self_attr", 459 },
	{ "lsm_set_self_attr", 460 }, { "lsm_list_modules", 461 }, { "mseal", 462 },
	{ "setxattrat", 463 }, { "getxattrat", 464 }, { "listxattrat", 465 },
	{ "removexattrat", 466 }, { "open_tree_attr", 467 }, { "file_getattr", 468 },
	{ "file_setattr", 469 },
};
#endif

int sysnr_lookup(const struct sysnr_table *t, const char *event)
{
	if (t && t->n) {
		struct sysnr_entry key = { (char *)event, 0 };
		const struct sysnr_entry *e = bsearch(&key, t->v, t->n, sizeof(*t->v), entry_cmp);
		if (e)
			return e->nr;
	}
#if defined(__x86_64__)
	for (size_t i = 0; i < sizeof(builtin_nrs) / sizeof(builtin_nrs[0]); i++)
		if (!strcmp(builtin_nrs[i].event, event))
			return builtin_nrs[i].nr;
#endif
	return -1;
}
