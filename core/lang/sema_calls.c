/*
 * Helpers for the checks of stack and symbol builtins (sema.c calls them):
 * the stack-trace map registry (program.h, struct prog_stack_map) and
 * kaddr()'s compile-time lookup of a kernel symbol.
 */
#include <stdio.h>
#include <string.h>

#include "sema_internal.h"

const struct type *sema_stack_type(struct program *p, enum type_kind kind, const char *mode,
				   uint32_t nframes)
{
	size_t i = 0;
	while (i < p->nstack_maps && p->stack_maps[i].nframes != nframes)
		i++;
	if (i == p->nstack_maps) {
		p->stack_maps = arena_grow(&p->arena, p->stack_maps, p->nstack_maps, p->nstack_maps + 1,
					   sizeof(*p->stack_maps));
		p->stack_maps[p->nstack_maps++] = (struct prog_stack_map){ .nframes = nframes, .fd = -1 };
	}
	return type_stack(&p->types, kind, mode, nframes);
}

int sema_stack_mode(const char *name, const char **mode)
{
	static const char *const modes[] = { "bpftrace", "perf", "raw" };
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(name, modes[i])) {
			*mode = modes[i];
			return 0;
		}
	return -1;
}

int sema_kaddr(const char *name, uint64_t *addr)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	if (!f)
		return -1;
	char line[512];
	int rc = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, sym[256];
		if (sscanf(line, "%llx %c %255s", &a, &type, sym) == 3 && !strcmp(sym, name)) {
			*addr = a;
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

int sema_reg_offset(const char *name)
{
	/* x86-64 struct pt_regs, in order */
	static const char *const regs[] = { "r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9",
					    "r8", "ax", "cx", "dx", "si", "di", "orig_ax", "ip", "cs",
					    "flags", "sp", "ss" };
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (!strcmp(name, regs[i]))
			return (int)(i * 8);
	return -1;
}
