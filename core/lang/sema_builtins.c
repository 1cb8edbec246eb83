/*
 * Checks of the builtins (rows of builtins.c) and what depends on the probe:
 * which builtins an attach point offers, args and its fields, kstack/ustack
 * and their stack-trace maps (program.h, struct prog_stack_map), registers,
 * kaddr()'s and uaddr()'s compile-time lookups of a symbol.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>

#include "../btf.h"
#include "../registry.h"
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

bool sema_offers(struct sema *s, unsigned builtin)
{
	if (s->probe->kind != PROBE_PROVIDER)
		return false;
	for (size_t i = 0; i < s->probe->nattach; i++)
		if (!(s->probe->attach[i].builtins & builtin))
			return false;
	return true;
}

/* Every attach point of the probe compiles to a program of type prog_type (enum bpf_prog_type). */
static bool all_prog_type(const struct sema *s, int prog_type)
{
	if (s->probe->kind != PROBE_PROVIDER || !s->probe->nattach)
		return false;
	for (size_t i = 0; i < s->probe->nattach; i++)
		if (s->probe->attach[i].prog_type != prog_type)
			return false;
	return true;
}

static const struct strobe_arg *find_arg(const struct probe_attach *a, const char *name)
{
	for (size_t i = 0; i < a->nargs; i++)
		if (a->args[i].name && !strcmp(a->args[i].name, name))
			return &a->args[i];
	return NULL;
}

static const struct type *pointee_type(struct sema *s, const char *pointee)
{
	if (pointee && (!strncmp(pointee, "struct ", 7) || !strncmp(pointee, "union ", 6)) && !strchr(pointee, '*'))
		return type_record(s->t, pointee); /* incomplete: BTF is read if it is dereferenced */
	if (pointee && !strcmp(pointee, "void"))
		return type_none(s->t);
	if (pointee && strchr(pointee, '*'))
		return type_int(s->t, 8, false);
	if (!pointee || strstr(pointee, "char"))
		return type_int(s->t, 1, !pointee || !strstr(pointee, "unsigned"));
	bool is_unsigned = strstr(pointee, "unsigned") || pointee[0] == 'u';
	if (strstr(pointee, "short") || strstr(pointee, "16"))
		return type_int(s->t, 2, !is_unsigned);
	if (strstr(pointee, "long") || strstr(pointee, "64"))
		return type_int(s->t, 8, !is_unsigned);
	return type_int(s->t, 4, !is_unsigned);
}

static const struct type *arg_type(struct sema *s, const struct strobe_arg *a)
{
	uint32_t size = a->size == 1 || a->size == 2 || a->size == 4 ? a->size : 8;
	switch (a->kind) {
	case STROBE_ARG_INT:
		return type_int(s->t, size, a->is_signed);
	case STROBE_ARG_PTR:
		return type_pointer(s->t, pointee_type(s, a->pointee), a->user);
	case STROBE_ARG_ARRAY:
		if (a->elem_size == 1 && (!a->pointee || strstr(a->pointee, "char")))
			return type_string(s->t, a->count);
		return type_array(s->t, type_int(s->t, a->elem_size ? a->elem_size : 1, a->is_signed),
				  a->count);
	case STROBE_ARG_DATA_LOC:
	case STROBE_ARG_STR:
	case STROBE_ARG_STR_LEN:
		return type_string(s->t, s->p->strlen);
	}
	return NULL;
}

/* args->name / args.name: the field must exist, with one type, in every attachment. */
const struct type *sema_args_field(struct sema *s, struct node *n)
{
	if (!sema_offers(s, STROBE_BUILTIN_ARGS)) {
		sema_error(s, &n->u.field.base->loc,
		    "The args builtin can only be used with tracepoint/fentry/uprobe probes");
		return NULL;
	}
	s->scope->uses_args = true;
	const struct type *t = NULL;
	for (size_t i = 0; i < s->probe->nattach; i++) {
		const struct probe_attach *a = &s->probe->attach[i];
		const struct strobe_arg *arg = find_arg(a, n->u.field.name);
		if (!arg) {
			char *sname = arena_printf(&s->p->arena, "struct _%s", a->name);
			for (char *c = sname; *c; c++)
				if (*c == ':')
					*c = '_';
			sema_error(s, &n->loc, "Struct/union of type '%s' does not contain a field named '%s'",
			    sname, n->u.field.name);
			return NULL;
		}
		const struct type *at = arg_type(s, arg);
		if (!t)
			t = at;
		else if (t->kind == T_INT && at->kind == T_INT)
			t = t == at ? t : type_int(s->t, 8, t->is_signed);
		else if (!type_equal(t, at)) {
			sema_error(s, &n->loc, "args.%s has different types across attach points ('%s' and '%s')",
			    n->u.field.name, sema_tname(s, t), sema_tname(s, at));
			return NULL;
		}
	}
	return t;
}

/* "struct _tracepoint_sched_sched_switch": bpftrace's name of a probe's args struct. */
static const char *args_struct_name(struct sema *s, const struct probe_attach *a)
{
	char *sname = arena_printf(&s->p->arena, "struct _%s", a->name);
	for (char *c = sname; *c; c++)
		if (*c == ':' || *c == '/' || *c == '.' || *c == '-' || *c == '+')
			*c = '_';
	return sname;
}

/*
 * Bare `args` (print(args), $a = args, @m[k] = args): a record of every
 * argument, as in bpftrace since 0.19 (0.17 refuses to print it). Its
 * layout is strobe's own: the arguments in order, naturally aligned;
 * codegen fills it from the arguments' locations (codegen_expr.c,
 * args_record). Attach points whose arguments differ cannot share one record.
 */
static const struct type *args_record(struct sema *s, struct node *n)
{
	const struct probe_attach *a0 = &s->probe->attach[0];
	s->scope->uses_args = true;
	for (size_t i = 1; i < s->probe->nattach; i++) {
		const struct probe_attach *a = &s->probe->attach[i];
		bool same = a->nargs == a0->nargs;
		for (size_t j = 0; same && j < a->nargs; j++)
			same = a->args[j].name && a0->args[j].name && !strcmp(a->args[j].name, a0->args[j].name) &&
			       type_equal(arg_type(s, &a->args[j]), arg_type(s, &a0->args[j]));
		if (!same) {
			sema_error(s, &n->loc, "args of %s and %s differ: use args.NAME, or one probe each", a0->name, a->name);
			return NULL;
		}
	}
	const struct type *rec = type_record(s->t, args_struct_name(s, a0));
	if (rec->defined)
		return rec;
	struct type_field *f = arena_zalloc(&s->p->arena, (a0->nargs ? a0->nargs : 1) * sizeof(*f));
	uint32_t off = 0, align = 1, nf = 0;
	for (size_t j = 0; j < a0->nargs; j++) {
		const struct type *t = a0->args[j].name ? arg_type(s, &a0->args[j]) : NULL;
		if (!t || !t->size)
			continue;
		uint32_t al = t->align ? t->align : 1;
		off = (off + al - 1) / al * al;
		f[nf++] = (struct type_field){ .name = a0->args[j].name, .type = t, .offset = off };
		off += t->size;
		if (al > align)
			align = al;
	}
	off = (off + align - 1) / align * align;
	type_record_define(s->t, rec, off ? off : 1, align, f, nf, 0);
	return rec;
}

/* The stack_mode config variable: kstack/ustack without a mode argument. */
static const char *default_stack_mode(const struct sema *s)
{
	return s->p->stack_mode ? s->p->stack_mode : "bpftrace";
}

const struct type *u32_check(struct sema *s, struct node *n)
{
	return type_int(s->t, 4, false);
}

int sema_nsecs_clock(const char *name)
{
	static const char *const clocks[] = { [NSECS_MONOTONIC] = "monotonic", [NSECS_BOOT] = "boot",
					      [NSECS_TAI] = "tai", [NSECS_SW_TAI] = "sw_tai" };
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++)
		if (!strcmp(name, clocks[i]))
			return (int)i;
	return -1;
}

/* pid, tid, pid(init), pid(curr_ns): the namespace named by an identifier */
const struct type *pidns_check(struct sema *s, struct node *n)
{
	struct node *a = n->kind == N_CALL ? n->u.call.args : NULL;
	if (a && (a->kind != N_IDENT || (strcmp(a->u.ident.name, "init") && strcmp(a->u.ident.name, "curr_ns")))) {
		sema_error(s, &a->loc, "Invalid PID namespace mode: expected init or curr_ns");
		return NULL;
	}
	if (a)
		a->type = type_none(s->t);
	return type_int(s->t, 4, false);
}

/* ppid: the node becomes (uint32)curtask->real_parent->tgid, bpftrace's definition */
const struct type *ppid_check(struct sema *s, struct node *n)
{
	struct arena *a = &s->p->arena;
	struct node *task = arena_zalloc(a, sizeof(*task)), *parent = arena_zalloc(a, sizeof(*parent)),
		    *tgid = arena_zalloc(a, sizeof(*tgid));
	*task = (struct node){ .kind = N_BUILTIN, .loc = n->loc };
	task->u.ident = (struct n_ident){ .name = "curtask", .builtin = B_CURTASK };
	*parent = (struct node){ .kind = N_FIELD, .loc = n->loc };
	parent->u.field = (struct n_field){ .base = task, .name = "real_parent", .arrow = true };
	*tgid = (struct node){ .kind = N_FIELD, .loc = n->loc };
	tgid->u.field = (struct n_field){ .base = parent, .name = "tgid", .arrow = true };
	n->kind = N_CAST;
	n->u.cast = (struct n_cast){ .to = { .name = "uint32", .array_len = -1 }, .operand = tgid };
	return sema_expr(s, n);
}

/* nsecs, or nsecs(CLOCK) with the clock named by an identifier */
const struct type *nsecs_check(struct sema *s, struct node *n)
{
	struct node *a = n->kind == N_CALL ? n->u.call.args : NULL;
	if (a && (a->kind != N_IDENT || sema_nsecs_clock(a->u.ident.name) < 0)) {
		sema_error(s, &a->loc, "Invalid timestamp mode for nsecs(): expected monotonic, boot, tai or sw_tai");
		return NULL;
	}
	if (a)
		a->type = type_none(s->t);
	return type_int(s->t, 8, false);
}

const struct type *u64_check(struct sema *s, struct node *n)
{
	return type_int(s->t, 8, false);
}

const struct type *curtask_check(struct sema *s, struct node *n)
{
	return sema_record_pointer(s, "struct task_struct", false);
}

const struct type *cpid_check(struct sema *s, struct node *n)
{
	if (!s->o->cpid) {
		sema_error(s, &n->loc, "cpid cannot be used without child command");
		return NULL;
	}
	return type_int(s->t, 8, false); /* bpftrace 0.17: uint64 */
}

/*
 * comm, comm(): the current task's. comm(pid) (bpftrace 0.26): the task
 * bpf_task_from_pid finds, "" when there is none; sema appends the offset of
 * task_struct's comm as a second, internal argument.
 */
const struct type *comm_check(struct sema *s, struct node *n)
{
	struct node *pid = n->kind == N_CALL ? n->u.call.args : NULL;
	if (!pid)
		return type_string(s->t, 16);
	if (pid->next) /* checked in an earlier pass */
		return type_string(s->t, 16);
	const struct type *t = sema_expr(s, pid);
	if (t && (!type_is_scalar(t) || t->kind == T_POINTER)) {
		sema_error(s, &pid->loc, "comm() expects an integer pid (%s provided)", sema_kind_word(t));
		return NULL;
	}
	const char *kf = kfunc_name(K_TASK_FROM_PID);
	if (btf_func_id(kf) < 0) {
		sema_error(s, &n->loc, "comm(pid) needs the kernel function %s (Linux 6.2 or later, with BTF)", kf);
		return NULL;
	}
	if (!s->o->kfunc_allowed || !s->o->kfunc_allowed(kf, sema_probe_prog_type(s))) {
		sema_error(s, &n->loc, "comm(pid) cannot be used in this probe: the kernel does not let its programs "
				       "call %s (a tracepoint or fentry probe can)", kf);
		return NULL;
	}
	struct node *off = arena_zalloc(&s->p->arena, sizeof(*off));
	*off = (struct node){ .kind = N_OFFSETOF, .loc = n->loc };
	off->u.offset_of = (struct n_offset_of){ .ty = { .name = "struct task_struct", .array_len = -1 }, .field = "comm" };
	if (!sema_expr(s, off))
		return NULL;
	pid->next = off;
	return type_string(s->t, 16);
}

const struct type *username_check(struct sema *s, struct node *n)
{
	return type_simple(s->t, T_USERNAME); /* the uid, named in user space */
}

const struct type *probe_check(struct sema *s, struct node *n)
{
	return type_simple(s->t, T_PROBE);
}

const struct type *func_check(struct sema *s, struct node *n)
{
	if (!sema_offers(s, STROBE_BUILTIN_FUNC)) {
		sema_error(s, &n->loc, "The func builtin can not be used with '%s' probes", sema_probe_type(s));
		return NULL;
	}
	/* the traced function's address, printed as its symbol: a user one in uprobes */
	return type_simple(s->t, sema_offers(s, STROBE_BUILTIN_FUNC_USER) ? T_USYM : T_KSYM);
}

/*
 * retval of fexit (kretfunc) has the function's return type, as bpftrace
 * types it from BTF, when every attach point of the probe returns the same
 * integer or pointer type; kretprobe/uretprobe retval is a uint64 (0.17).
 */
static const struct type *fexit_retval_type(struct sema *s)
{
	const struct type *u64 = type_int(s->t, 8, false), *t = NULL;
	if (s->probe->kind != PROBE_PROVIDER)
		return u64;
	for (size_t i = 0; i < s->probe->nattach; i++) {
		const struct strobe_btf_target *bt = &s->probe->attach[i].btf_target;
		if (!bt->func || bt->module || bt->attach_type != BPF_TRACE_FEXIT)
			return u64;
		const struct type *r = btf_func_return_type(s->t, bt->func);
		if (!r || (r->kind != T_INT && r->kind != T_POINTER && r->kind != T_BOOL) || (t && r != t))
			return u64;
		t = r;
	}
	return t ? t : u64;
}

const struct type *retval_check(struct sema *s, struct node *n)
{
	if (!sema_offers(s, STROBE_BUILTIN_RETVAL)) {
		sema_error(s, &n->loc,
		    "The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'fexit' probes");
		return NULL;
	}
	return fexit_retval_type(s);
}

const struct type *argn_check(struct sema *s, struct node *n)
{
	if (!sema_offers(s, STROBE_BUILTIN_ARGN)) {
		sema_error(s, &n->loc, "The %s builtin can only be used with 'kprobes', 'uprobes' and 'usdt' probes",
		    n->u.ident.name);
		return NULL;
	}
	s->scope->uses_args = true;
	return type_int(s->t, 8, false);
}

const struct type *args_check(struct sema *s, struct node *n)
{
	if (!sema_offers(s, STROBE_BUILTIN_ARGS)) {
		sema_error(s, &n->loc, "The args builtin can only be used with tracepoint/fentry/uprobe probes");
		return NULL;
	}
	return args_record(s, n);
}

const struct type *has_cpid_check(struct sema *s, struct node *n)
{
	return type_bool(s->t);
}

const struct type *sargn_check(struct sema *s, struct node *n)
{
	if (!sema_offers(s, STROBE_BUILTIN_ARGN) || !all_prog_type(s, BPF_PROG_TYPE_KPROBE)) {
		sema_error(s, &n->loc, "The %s builtin can only be used with 'kprobes' and 'uprobes' probes",
		    n->u.ident.name);
		return NULL;
	}
	return type_int(s->t, 8, false);
}

const struct type *usermode_check(struct sema *s, struct node *n)
{
	if (!all_prog_type(s, BPF_PROG_TYPE_KPROBE) && !all_prog_type(s, BPF_PROG_TYPE_PERF_EVENT)) {
		sema_error(s, &n->loc, "The usermode builtin can only be used with probes that see the registers "
				"(kprobe, uprobe, usdt, profile, interval, software, hardware)");
		return NULL;
	}
	return type_int(s->t, 1, false);
}

const struct type *ctx_check(struct sema *s, struct node *n)
{
	if (s->probe->kind == PROBE_PROVIDER && s->probe->nattach &&
	    !strcmp(s->probe->attach[0].type, "tracepoint")) {
		sema_error(s, &n->loc, "Use args instead of ctx in tracepoint");
		return NULL;
	}
	if (all_prog_type(s, BPF_PROG_TYPE_KPROBE))
		return sema_record_pointer(s, "struct pt_regs", false);
	if (all_prog_type(s, BPF_PROG_TYPE_PERF_EVENT))
		return sema_record_pointer(s, "struct bpf_perf_event_data", false);
	sema_error(s, &n->loc, "The ctx builtin can only be used with kprobe, uprobe, usdt and perf event probes");
	return NULL;
}

/* kstack and ustack, bare or called: kstack([mode][, limit]) */
const struct type *stack_check(struct sema *s, struct node *n)
{
	const struct builtin_def *b = builtin_of(n);
	const char *f = b->name, *mode = default_stack_mode(s);
	bool kernel = b == &builtins[B_KSTACK];
	int64_t limit = STACK_MAX_FRAMES;
	struct node *a = n->kind == N_CALL ? n->u.call.args : NULL;
	if (a && (a->kind == N_IDENT || a->kind == N_BUILTIN)) {
		if (sema_stack_mode(a->u.ident.name, &mode) < 0) {
			sema_error(s, &a->loc, "%s: unsupported stack mode '%s' (bpftrace, perf or raw)", f, a->u.ident.name);
			return NULL;
		}
		a->type = type_none(s->t);
		a = a->next;
	} else if (a && a->next) {
		sema_error(s, &a->loc, "%s: the first of two arguments must be a stack mode (bpftrace, perf or raw)", f);
		return NULL;
	}
	if (a) {
		sema_expr(s, a);
		if (!sema_int_literal(a, &limit)) {
			sema_error(s, &a->loc, "%s() limit must be an integer literal", f);
			return NULL;
		}
		if (limit < 1 || limit > STACK_MAX_FRAMES) {
			sema_error(s, &a->loc, "%s() limit must be between 1 and %d (%" PRId64 " provided)", f,
			    STACK_MAX_FRAMES, limit);
			return NULL;
		}
	}
	s->scope->uses_kstack |= kernel;
	return sema_stack_type(s->p, kernel ? T_KSTACK : T_USTACK, mode, (uint32_t)limit);
}


/*
 * uaddr("name"): the address of a symbol in the object the probe's attach
 * points probe, as a pointer sized by the symbol (bpftrace's rule). Asked
 * of the provider now, the call becomes uaddr(ADDR, RELATIVE) with two
 * integers: in a position-independent object (RELATIVE 1) ADDR is the
 * symbol's distance from the probed address, which codegen adds to the
 * address the program runs at.
 */
const struct type *uaddr_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (a0->next && n->type) /* resolved on an earlier visit */
		return n->type;
	if (a0->kind != N_STRING) {
		sema_error(s, &n->loc, "uaddr() expects a string literal (%s provided)", sema_kind_word(sema_expr(s, a0)));
		return NULL;
	}
	const char *name = a0->u.string.s;
	int64_t addr = 0;
	uint32_t size = 0;
	bool relative = false;
	for (size_t i = 0; i < (s->probe->kind == PROBE_PROVIDER ? s->probe->nattach : 0); i++) {
		const struct probe_attach *at = &s->probe->attach[i];
		int64_t a;
		uint32_t sz;
		bool rel;
		int rc = provider_symbol(at->provider, at->type, at->target, name, &a, &sz, &rel);
		if (rc == -EOPNOTSUPP) {
			sema_error(s, &n->loc, "uaddr can not be used with \"%s\" probes", at->type);
			return NULL;
		}
		const char *colon = strstr(at->target, ":0x");
		int plen = colon ? (int)(colon - at->target) : (int)strlen(at->target);
		if (rc < 0) {
			sema_error(s, &n->loc, "Could not resolve symbol: %.*s:%s", plen, at->target, name);
			return NULL;
		}
		if (i && (a != addr || rel != relative)) {
			sema_error(s, &n->loc, "uaddr(\"%s\") is not at the same place in every attach point of this probe",
			    name);
			return NULL;
		}
		addr = a;
		size = sz;
		relative = rel;
	}
	if (s->probe->kind != PROBE_PROVIDER || !s->probe->nattach) {
		sema_error(s, &n->loc, "Could not resolve symbol: :%s", name);
		return NULL;
	}
	const struct type *elem = type_int(s->t, size == 1 || size == 2 || size == 4 ? size : 8, true);
	const struct type *t = type_pointer(s->t, elem, true);
	a0->kind = N_INT;
	a0->u.integer.value = (uint64_t)addr;
	a0->type = type_int(s->t, 8, true);
	struct node *rel = arena_zalloc(&s->p->arena, sizeof(*rel));
	*rel = (struct node){ .kind = N_INT, .loc = a0->loc, .type = a0->type };
	rel->u.integer.value = relative;
	a0->next = rel;
	n->type = t;
	return t;
}
