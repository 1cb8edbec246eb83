/*
 * After type checking: which BPF function each probe becomes, the dispatch
 * groups of probes sharing an event, map sizes and the probes' printed names.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"

static bool same_dispatch(const struct strobe_dispatch *x, const struct strobe_dispatch *y)
{
	if (!x->shared || !y->shared)
		return !x->shared && !y->shared;
	return !strcmp(x->shared, y->shared) && x->ctx_offset == y->ctx_offset &&
	       x->task_offset == y->task_offset && (x->task_offset < 0 || x->task_mask == y->task_mask);
}

static bool same_layout(const struct probe_attach *a, const struct probe_attach *b, bool uses_args)
{
	if (a->prog_type != b->prog_type || !same_dispatch(&a->dispatch, &b->dispatch))
		return false;
	/* fentry/fexit: a program is loaded for one kernel function (its BTF id) */
	if (a->btf_target.func || b->btf_target.func)
		return a == b;
	if (!uses_args)
		return true;
	if (a->nargs != b->nargs)
		return false;
	for (size_t i = 0; i < a->nargs; i++) {
		const struct strobe_arg *x = &a->args[i], *y = &b->args[i];
		if (strcmp(x->name ? x->name : "", y->name ? y->name : "") || x->loc != y->loc ||
		    x->kind != y->kind || x->offset != y->offset || x->size != y->size ||
		    x->is_signed != y->is_signed || x->user != y->user || x->reg != y->reg ||
		    x->value != y->value || x->elem_size != y->elem_size || x->count != y->count ||
		    ((x->loc == STROBE_LOC_REG_INDEX_MEM || x->kind == STROBE_ARG_STR_LEN) &&
		     (x->index_reg != y->index_reg || x->scale != y->scale)) ||
		    (x->kind == STROBE_ARG_STR_LEN && strcmp(x->length, y->length)) ||
		    strcmp(x->pointee ? x->pointee : "", y->pointee ? y->pointee : ""))
			return false;
	}
	return true;
}

void sema_add_funcs(struct program *p, size_t pi, bool uses_args, size_t *cap)
{
	struct probe_info *pr = &p->probes[pi];
	size_t nattach = pr->kind == PROBE_PROVIDER ? pr->nattach : 0;
	size_t *group = arena_zalloc(&p->arena, (nattach ? nattach : 1) * sizeof(*group));
	size_t ngroups = 0;
	for (size_t i = 0; i < nattach; i++) {
		size_t g = 0;
		while (g < i && !(group[g] == g && same_layout(&pr->attach[g], &pr->attach[i], uses_args)))
			g++;
		group[i] = g; /* the first attachment of its group */
		ngroups += g == i;
	}
	if (pr->kind != PROBE_PROVIDER)
		ngroups = 1;
	for (size_t g = 0, k = 0; k < ngroups; g++) {
		if (pr->kind == PROBE_PROVIDER && group[g] != g)
			continue;
		if (p->nfuncs == *cap) {
			*cap = *cap ? *cap * 2 : 8;
			p->funcs = arena_grow(&p->arena, p->funcs, p->nfuncs, *cap, sizeof(*p->funcs));
		}
		struct prog_func *fn = &p->funcs[p->nfuncs++];
		fn->name = arena_printf(&p->arena, "probe_%zu_%zu", pi, k);
		fn->probe = pr;
		fn->fd = -1;
		if (pr->kind == PROBE_PROVIDER) {
			size_t *idx = arena_zalloc(&p->arena, nattach * sizeof(*idx));
			for (size_t i = 0; i < nattach; i++)
				if (group[i] == g)
					idx[fn->nattach++] = i;
			fn->attach_idx = idx;
			fn->prog_type = pr->attach[g].prog_type;
		} else {
			fn->prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
		}
		k++;
	}
}

/*
 * ---- dispatch through shared events (program.h, struct prog_dispatch) ----
 *
 * Before grouping: an attachment the provider offered for dispatch stays on
 * its own event when its probe has fewer than DISPATCH_MIN_ATTACH such
 * attachments for that shared event, or when another
 * attachment of the probe already has its value (the same attach point
 * written twice: it must run twice, as bpftrace does).
 * $STROBE_DISPATCH_MIN overrides the threshold (1: always dispatch).
 */
/*
 * Measured on Linux 6.18 (min of 15 x 200k syscalls): an untraced syscall
 * costs 118 ns, 120 ns with one per-event sys_enter_getppid probe, 211 ns
 * with the same probe dispatched (every syscall of the system runs the
 * program on raw_syscalls); a traced one costs about the same either way
 * (364 / 370 ns). Each per-event tracepoint costs ~1 ms to attach and
 * ~50 ms to close (serialised in the kernel, see run.c). So a few syscall
 * probes stay per-event; a wildcard is dispatched.
 */
#define DISPATCH_MIN_ATTACH 8

size_t sema_dispatch_min(void)
{
	const char *env = secure_getenv("STROBE_DISPATCH_MIN");
	if (env && *env) {
		char *end;
		unsigned long v = strtoul(env, &end, 10);
		if (!*end && v >= 1)
			return v;
	}
	return DISPATCH_MIN_ATTACH;
}

void sema_plan_dispatch(struct probe_info *pr, size_t min)
{
	if (pr->kind != PROBE_PROVIDER)
		return;
	for (size_t i = 0; i < pr->nattach; i++) {
		struct strobe_dispatch *d = &pr->attach[i].dispatch;
		if (!d->shared)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct strobe_dispatch *e = &pr->attach[j].dispatch;
			if (e->shared && e->value == d->value && same_dispatch(d, e)) {
				d->shared = NULL;
				break;
			}
		}
	}
	for (size_t i = 0; i < pr->nattach; i++) {
		struct strobe_dispatch *d = &pr->attach[i].dispatch;
		if (!d->shared)
			continue;
		size_t n = 0;
		for (size_t j = 0; j < pr->nattach; j++)
			n += pr->attach[j].dispatch.shared && same_dispatch(d, &pr->attach[j].dispatch);
		if (n >= min)
			continue;
		for (size_t j = i + 1; j < pr->nattach; j++)
			if (pr->attach[j].dispatch.shared && same_dispatch(d, &pr->attach[j].dispatch))
				pr->attach[j].dispatch.shared = NULL;
		d->shared = NULL;
	}
}

/* After grouping: one prog_dispatch per probe and shared event, plus its dispatcher. */
void sema_build_dispatches(struct program *p, size_t *funcs_cap)
{
	size_t nfuncs = p->nfuncs, cap = 0;
	for (size_t i = 0; i < nfuncs; i++) {
		struct prog_func *f = &p->funcs[i];
		if (!f->probe || f->probe->kind != PROBE_PROVIDER || !f->nattach)
			continue;
		const struct probe_attach *a0 = &f->probe->attach[f->attach_idx[0]];
		if (!a0->dispatch.shared)
			continue;
		size_t g = 0;
		while (g < p->ndispatches &&
		       !(p->dispatches[g].probe == f->probe &&
			 same_dispatch(&f->probe->attach[p->funcs[p->dispatches[g].funcs[0]].attach_idx[0]].dispatch,
				       &a0->dispatch)))
			g++;
		if (g == p->ndispatches) {
			if (p->ndispatches == cap) {
				size_t ncap = cap ? cap * 2 : 4;
				p->dispatches = arena_grow(&p->arena, p->dispatches, p->ndispatches, ncap,
							   sizeof(*p->dispatches));
				cap = ncap;
			}
			struct prog_dispatch *d = &p->dispatches[p->ndispatches++];
			memset(d, 0, sizeof(*d));
			d->shared = a0->dispatch.shared;
			d->type = a0->type;
			d->provider = a0->provider;
			d->probe = f->probe;
			d->ctx_offset = a0->dispatch.ctx_offset;
			d->task_offset = a0->dispatch.task_offset;
			d->task_mask = a0->dispatch.task_mask;
			d->funcs = arena_zalloc(&p->arena, nfuncs * sizeof(*d->funcs));
			d->map_fd = d->progs_fd = -1;
		}
		struct prog_dispatch *d = &p->dispatches[g];
		d->funcs[d->nfuncs++] = i;
		d->nattach += f->nattach;
		for (size_t j = 0; j < f->nattach; j++) {
			uint64_t v = f->probe->attach[f->attach_idx[j]].dispatch.value;
			if (v + 1 > d->max_entries)
				d->max_entries = (uint32_t)(v + 1);
		}
	}
	for (size_t g = 0; g < p->ndispatches; g++) {
		struct prog_dispatch *d = &p->dispatches[g];
		d->entry = d->funcs[0];
		if (d->nfuncs == 1)
			continue;
		if (p->nfuncs == *funcs_cap) {
			*funcs_cap = *funcs_cap ? *funcs_cap * 2 : 8;
			p->funcs = arena_grow(&p->arena, p->funcs, p->nfuncs, *funcs_cap, sizeof(*p->funcs));
		}
		struct prog_func *fn = &p->funcs[p->nfuncs];
		memset(fn, 0, sizeof(*fn));
		fn->name = arena_printf(&p->arena, "dispatch_%zu", g);
		fn->prog_type = p->funcs[d->funcs[0]].prog_type;
		fn->probe = d->probe;
		fn->fd = -1;
		fn->dispatcher = true;
		d->entry = p->nfuncs++;
	}
	/* p->funcs and p->dispatches no longer move */
	for (size_t g = 0; g < p->ndispatches; g++) {
		struct prog_dispatch *d = &p->dispatches[g];
		for (size_t i = 0; i < d->nfuncs; i++)
			p->funcs[d->funcs[i]].dispatch = d;
		p->funcs[d->entry].dispatch = d;
	}
}

/* BPF sizes of keys and values, per the layouts in program.h. */
void sema_finish_maps(struct program *p)
{
	for (size_t i = 0; i < p->nmaps; i++) {
		struct prog_map *m = &p->maps[i];
		uint32_t user_key = m->key ? m->key->size : 0;
		m->max_entries = m->decl_type ? m->decl_entries : p->max_map_keys;
		m->bpf_type = m->decl_type				    ? m->decl_type
			      : m->agg == AGG_NONE || m->agg == AGG_TSERIES ? BPF_MAP_TYPE_HASH
									    : BPF_MAP_TYPE_PERCPU_HASH;
		switch (m->agg) {
		case AGG_NONE: m->value_size = m->value->size; break;
		case AGG_COUNT:
		case AGG_SUM:
		case AGG_HIST:
		case AGG_LHIST: m->value_size = 8; break;
		case AGG_MIN:
		case AGG_MAX:
		case AGG_AVG:
		case AGG_STATS: m->value_size = 16; break;
		case AGG_TSERIES: m->value_size = 24; break;
		}
		if (m->agg == AGG_HIST || m->agg == AGG_LHIST || m->agg == AGG_TSERIES)
			m->key_size = user_key + 8;
		else
			m->key_size = m->key ? user_key : 8;
		if (m->agg == AGG_COUNT && !m->key && !m->decl_type) {
			/* program.h: a one-slot per-CPU array, as in bpftrace 0.17 */
			m->bpf_type = BPF_MAP_TYPE_PERCPU_ARRAY;
			m->key_size = 4;
			m->max_entries = 1;
		}
	}
}

/* FNV-1a, for name_probes. */
static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/*
 * The `probe` builtin's table (program.h): the distinct names of every
 * attach point, in order of first appearance; attachments with the same
 * name (the locations of one USDT probe) share one index.
 */
static size_t name_id(struct program *p, size_t *slots, size_t mask, const char *name)
{
	for (size_t h = (size_t)name_hash(name) & mask;; h = (h + 1) & mask) {
		if (!slots[h]) {
			p->probe_names[p->nprobe_names] = name;
			slots[h] = ++p->nprobe_names;
			return slots[h] - 1;
		}
		if (!strcmp(p->probe_names[slots[h] - 1], name))
			return slots[h] - 1;
	}
}

void sema_name_probes(struct program *p)
{
	size_t n = 0, cap = 16;
	for (size_t i = 0; i < p->nprobes; i++)
		n += p->probes[i].kind == PROBE_PROVIDER ? p->probes[i].nattach : 1;
	while (cap < 2 * n)
		cap *= 2;
	size_t *slots = arena_zalloc(&p->arena, cap * sizeof(*slots)); /* id + 1, 0: free */
	p->probe_names = arena_zalloc(&p->arena, (n ? n : 1) * sizeof(*p->probe_names));
	p->nprobe_names = 0;
	for (size_t i = 0; i < p->nprobes; i++) {
		struct probe_info *pi = &p->probes[i];
		if (pi->kind != PROBE_PROVIDER) {
			pi->name_index = name_id(p, slots, cap - 1, probe_kind_name(pi->kind));
			continue;
		}
		for (size_t j = 0; j < pi->nattach; j++)
			pi->attach[j].name_id = name_id(p, slots, cap - 1, pi->attach[j].name);
		pi->name_index = pi->nattach ? pi->attach[0].name_id : 0;
	}
}

