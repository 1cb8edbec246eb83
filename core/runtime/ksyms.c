/*
 * Kernel symbols from /proc/kallsyms, loaded the first time an address is
 * symbolised.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

struct ksym {
	uint64_t addr;
	size_t name; /* offset into names */
};

static struct ksym *syms;
static size_t nsyms;
static char *names;
static bool loaded;

static int ksym_cmp(const void *x, const void *y)
{
	const struct ksym *a = x, *b = y;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	/* Same address: keep file order, so the last alias listed wins the lookup. */
	return a->name < b->name ? -1 : a->name > b->name;
}

static void ksyms_load(void)
{
	loaded = true;
	FILE *f = fopen("/proc/kallsyms", "r");
	if (!f)
		return;
	size_t cap = 0, ncap = 0, nlen = 0;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type, name[256];
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || !addr)
			continue; /* zero addresses: kptr_restrict hides them */
		size_t len = strlen(name) + 1;
		if (nsyms == cap) {
			cap = cap ? cap * 2 : 65536;
			struct ksym *s = realloc(syms, cap * sizeof(*s));
			if (!s)
				break;
			syms = s;
		}
		if (nlen + len > ncap) {
			ncap = ncap ? ncap * 2 : 1 << 20;
			char *n = realloc(names, ncap);
			if (!n)
				break;
			names = n;
		}
		memcpy(names + nlen, name, len);
		syms[nsyms++] = (struct ksym){ .addr = addr, .name = nlen };
		nlen += len;
	}
	fclose(f);
	qsort(syms, nsyms, sizeof(*syms), ksym_cmp);
}

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	if (!loaded)
		ksyms_load();
	/* The last symbol at or below addr. */
	size_t lo = 0, hi = nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	if (offset)
		*offset = addr - syms[lo - 1].addr;
	return names + syms[lo - 1].name;
}

void ksyms_release(void)
{
	free(syms);
	free(names);
	syms = NULL;
	names = NULL;
	nsyms = 0;
	loaded = false;
}
