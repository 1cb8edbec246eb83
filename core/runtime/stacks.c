/*
 * Stack traces (program.h struct prog_stack_map): the stack-trace maps, and
 * kstack/ustack values decoded into frames the sinks print.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime_internal.h"

int stacks_create_maps(struct program *p, char *err, size_t errlen)
{
	for (size_t i = 0; i < p->nstack_maps; i++) {
		struct prog_stack_map *sm = &p->stack_maps[i];
		char name[16];
		snprintf(name, sizeof(name), "stack_%u", sm->nframes);
		sm->fd = bpf_map_create(BPF_MAP_TYPE_STACK_TRACE, name, 4, sm->nframes * 8, p->max_map_keys, NULL);
		if (sm->fd < 0) {
			int e = errno;
			snprintf(err, errlen, "failed to create the stack map for %u frames: %s", sm->nframes,
				 strerror(e));
			return -e;
		}
	}
	return 0;
}

void stacks_release(struct program *p)
{
	for (size_t i = 0; i < p->nstack_maps; i++) {
		if (p->stack_maps[i].fd >= 0)
			close(p->stack_maps[i].fd);
		p->stack_maps[i].fd = -1;
	}
}

/* The program whose stack maps values are decoded from (set by run_state_init). */
static const struct program *prog;

void stacks_set_program(const struct program *p)
{
	prog = p;
}

static enum strobe_stack_mode mode_of(const struct type *ty)
{
	if (ty->name && !strcmp(ty->name, "perf"))
		return STROBE_STACK_PERF;
	if (ty->name && !strcmp(ty->name, "raw"))
		return STROBE_STACK_RAW;
	return STROBE_STACK_BPFTRACE;
}

/* A kernel frame's symbol: "vfs_read+12", or NULL. */
static const char *kframe(struct arena *a, uint64_t addr)
{
	uint64_t off = 0;
	const char *name = ksym_lookup(addr, &off);
	return name ? arena_printf(a, "%s+%" PRIu64, name, off) : NULL;
}

void stack_decode(struct arena *a, const struct type *ty, const uint8_t *bytes, struct strobe_value *v)
{
	int64_t id = read_int(bytes, 8, true);
	uint32_t pid = ty->kind == T_USTACK ? (uint32_t)read_int(bytes + 8, 8, false) : 0;
	v->kind = STROBE_V_STACK;
	v->list.mode = mode_of(ty);
	int fd = -1;
	for (size_t i = 0; prog && i < prog->nstack_maps; i++)
		if (prog->stack_maps[i].nframes == ty->count)
			fd = prog->stack_maps[i].fd;
	if (id < 0 || fd < 0 || !ty->count)
		return;
	uint64_t *ips = arena_zalloc(a, ty->count * 8);
	uint32_t key = (uint32_t)id;
	if (bpf_map_lookup_elem(fd, &key, ips) < 0)
		return;
	uint32_t n = 0;
	while (n < ty->count && ips[n])
		n++;
	struct strobe_value *frames = arena_zalloc(a, (n ? n : 1) * sizeof(*frames));
	for (uint32_t i = 0; i < n; i++) {
		frames[i].kind = STROBE_V_SYM;
		frames[i].sym.addr = ips[i];
		if (ty->kind == T_KSTACK)
			frames[i].sym.name = kframe(a, ips[i]);
		else
			frames[i].sym.name = usym_lookup(a, pid, ips[i], true, &frames[i].sym.module);
	}
	v->list.items = frames;
	v->list.n = n;
}
