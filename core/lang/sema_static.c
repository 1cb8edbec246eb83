/*
 * What the checker knows before the program runs (docs/stdlib.md 0.26): the
 * value of constant expressions, static_assert(), kfunc_exist() and
 * kfunc_allowed() from the kernel, the checks of the kernel lookups
 * socket_cookie(), path() and percpu_kaddr(), and bpftrace's warning on
 * comparing integers of different signs (which knows literals).
 */
#include <linux/bpf.h>
#include <string.h>

#include "../btf.h"
#include "sema_internal.h"

static bool const_binop(const struct node *n, int64_t l, int64_t r, int64_t *v)
{
	const struct type *lt = n->u.binop.left->type, *rt = n->u.binop.right->type;
	bool u = lt && rt && (op_is_comparison(n->u.binop.op) ? cmp_unsigned(lt, rt) : int_op_unsigned(lt, rt));
	uint64_t ul = (uint64_t)l, ur = (uint64_t)r;
	switch (n->u.binop.op) {
	case OP_ADD: *v = (int64_t)(ul + ur); return true;
	case OP_SUB: *v = (int64_t)(ul - ur); return true;
	case OP_MUL: *v = (int64_t)(ul * ur); return true;
	case OP_DIV:
	case OP_MOD:
		if (!r || (!u && l == INT64_MIN && r == -1))
			return false; /* as the program would compute it */
		if (n->u.binop.op == OP_DIV)
			*v = u ? (int64_t)(ul / ur) : l / r;
		else
			*v = u ? (int64_t)(ul % ur) : l % r;
		return true;
	case OP_BAND: *v = l & r; return true;
	case OP_BOR: *v = l | r; return true;
	case OP_BXOR: *v = l ^ r; return true;
	case OP_SHL: *v = (int64_t)(ul << (ur & 63)); return true;
	case OP_SHR: *v = u ? (int64_t)(ul >> (ur & 63)) : l >> (ur & 63); return true;
	case OP_EQ: *v = l == r; return true;
	case OP_NE: *v = l != r; return true;
	case OP_LT: *v = u ? ul < ur : l < r; return true;
	case OP_LE: *v = u ? ul <= ur : l <= r; return true;
	case OP_GT: *v = u ? ul > ur : l > r; return true;
	case OP_GE: *v = u ? ul >= ur : l >= r; return true;
	default: return false;
	}
}

const struct node *sema_const_string(const struct node *n)
{
	if (n->kind == N_STRING)
		return n;
	if (n->kind == N_CALL && n->u.call.nargs == 1 && !strcmp(n->u.call.name, "str") &&
	    n->u.call.args->kind == N_STRING)
		return n->u.call.args;
	return NULL;
}

bool sema_const_value(const struct node *n, int64_t *v)
{
	int64_t l, r;
	switch (n->kind) {
	case N_INT:
		*v = (int64_t)n->u.integer.value;
		return true;
	case N_BOOL:
		*v = n->u.boolean;
		return true;
	case N_UNOP:
		if (!sema_const_value(n->u.unop.operand, &l))
			return false;
		switch (n->u.unop.op) {
		case OP_NEG: *v = (int64_t)(0 - (uint64_t)l); return true;
		case OP_LNOT: *v = !l; return true;
		case OP_BNOT: *v = ~l; return true;
		default: return false;
		}
	case N_TERNARY:
		if (!sema_const_value(n->u.ternary.cond, &l))
			return false;
		if (!n->u.ternary.then)
			return l ? (*v = l, true) : sema_const_value(n->u.ternary.else_, v);
		return sema_const_value(l ? n->u.ternary.then : n->u.ternary.else_, v);
	case N_BINOP: {
		const struct node *a = n->u.binop.left, *b = n->u.binop.right;
		enum op op = n->u.binop.op;
		const struct node *sa = sema_const_string(a), *sb = sema_const_string(b);
		if ((op == OP_EQ || op == OP_NE) && sa && sb) {
			*v = (strcmp(sa->u.string.s, sb->u.string.s) == 0) == (op == OP_EQ);
			return true;
		}
		bool lk = sema_const_value(a, &l);
		if (lk && ((op == OP_LAND && !l) || (op == OP_LOR && l))) {
			*v = op == OP_LOR;
			return true;
		}
		if (!lk || !sema_const_value(b, &r))
			return false;
		if (op == OP_LAND || op == OP_LOR) {
			*v = op == OP_LAND ? (l && r) : (l || r);
			return true;
		}
		return const_binop(n, l, r, v);
	}
	default:
		return false;
	}
}

/* static_assert(cond, "msg"): an error with msg when cond is known false where it is reached */
const struct type *static_assert_check(struct sema *s, struct node *n)
{
	struct node *cond = n->u.call.args, *msg = cond->next;
	const struct type *t = sema_expr(s, cond);
	int64_t v;
	if (msg->kind != N_STRING) {
		sema_error(s, &msg->loc, "static_assert() expects a string literal message (%s provided)",
			   sema_kind_word(sema_expr(s, msg)));
		return type_none(s->t);
	}
	msg->type = type_string(s->t, (uint32_t)msg->u.string.len + 1);
	if (!t)
		return type_none(s->t);
	if (!type_is_scalar(t) || !sema_const_value(cond, &v))
		sema_error(s, &cond->loc,
			   "static_assert() condition is not known when the program is compiled: use literals, "
			   "positional parameters, sizeof(), offsetof() and operators on them");
	else if (!v && !s->dead)
		sema_error(s, &n->loc, "%s", msg->u.string.s);
	return type_none(s->t);
}

/* The BPF program type of the probe being checked; BEGIN and END are raw tracepoints. */
int sema_probe_prog_type(const struct sema *s)
{
	if (s->probe->kind != PROBE_PROVIDER || !s->probe->nattach)
		return BPF_PROG_TYPE_RAW_TRACEPOINT;
	return s->probe->attach[0].prog_type;
}

/*
 * kfunc_exist("name"): vmlinux BTF has the function (as bpftrace asks).
 * kfunc_allowed("name"): it exists and the kernel lets a program of this
 * probe's type call it (compile_opts, which asks the kernel's verifier).
 */
const struct type *kfunc_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (a0->kind != N_STRING) {
		sema_error(s, &n->loc, "%s() expects a string literal (%s provided)", n->u.call.name,
			   sema_kind_word(sema_expr(s, a0)));
		return NULL;
	}
	bool v = btf_func_id(a0->u.string.s) > 0;
	if (v && n->u.call.fn == B_KFUNC_ALLOWED)
		v = s->o->kfunc_allowed && s->o->kfunc_allowed(a0->u.string.s, sema_probe_prog_type(s));
	n->kind = N_BOOL;
	n->u.boolean = v;
	return sema_expr(s, n);
}

/* Every attach point of the probe is fentry/fexit (a tracing program with BTF arguments). */
static bool tracing_probe(const struct sema *s)
{
	bool tracing = s->probe->nattach > 0;
	for (size_t i = 0; i < s->probe->nattach; i++)
		tracing = tracing && s->probe->attach[i].prog_type == BPF_PROG_TYPE_TRACING;
	return tracing;
}

/* socket_cookie(sk): bpf_get_socket_cookie, which tracing programs (fentry/fexit) may call on a socket */
const struct type *socket_cookie_check(struct sema *s, struct node *n)
{
	const struct type *t = sema_expr(s, n->u.call.args);
	if (!t)
		return NULL;
	if (t->kind != T_POINTER || !t->elem || t->elem->kind != T_RECORD) {
		sema_error(s, &n->loc, "socket_cookie() expects a 'struct sock *' (%s provided)", sema_tname(s, t));
		return NULL;
	}
	if (!tracing_probe(s)) {
		sema_error(s, &n->loc, "socket_cookie can not be used with \"%s\" probes (only fentry/fexit)",
			   sema_probe_type(s));
		return NULL;
	}
	return type_int(s->t, 8, false);
}

/*
 * path(p[, size]): bpf_d_path, the full path of a struct path (a pointer,
 * or a struct path field whose address is taken) in a string of size bytes
 * (max_strlen by default). Only fentry/fexit of the functions the kernel
 * allows (its btf_allowlist_d_path) may call it; the verifier says which.
 */
const struct type *path_check(struct sema *s, struct node *n)
{
	struct node *a = n->u.call.args, *sz = a->next;
	const struct type *t = sema_expr(s, a);
	if (!t)
		return NULL;
	bool by_value = t->kind == T_RECORD && t->name && !strcmp(t->name, "struct path") && sema_is_walk(a);
	if (by_value) { /* args.file->f_path: its address */
		struct node *addr = arena_zalloc(&s->p->arena, sizeof(*addr));
		*addr = (struct node){ .kind = N_UNOP, .loc = a->loc, .next = a->next };
		addr->u.unop = (struct n_unop){ .op = OP_ADDR, .operand = a };
		a->next = NULL;
		n->u.call.args = a = addr;
		if (!(t = sema_expr(s, a)))
			return NULL;
	}
	if (t->kind != T_POINTER || !t->elem || t->elem->kind != T_RECORD || !t->elem->name ||
	    strcmp(t->elem->name, "struct path")) {
		sema_error(s, &a->loc, "path() expects a 'struct path *' or a struct path field (%s provided)",
			   sema_tname(s, t));
		return NULL;
	}
	int64_t size = s->p->strlen;
	if (sz && (!sema_int_literal(sz, &size) || size < 1 || size > s->p->strlen)) {
		sema_error(s, &sz->loc, "path() size must be an integer literal from 1 to max_strlen (%u)", s->p->strlen);
		return NULL;
	}
	if (!tracing_probe(s)) {
		sema_error(s, &n->loc, "path can not be used with \"%s\" probes (only fentry/fexit, bpf_d_path)",
			   sema_probe_type(s));
		return NULL;
	}
	return type_string(s->t, (uint32_t)size);
}

/*
 * percpu_kaddr("name"[, cpu]): the address of a per-cpu kernel variable on
 * this CPU (bpf_this_cpu_ptr) or on `cpu` (bpf_per_cpu_ptr, NULL past the
 * last CPU), a uint64 * as bpftrace types it; the variable comes from BTF.
 */
const struct type *percpu_kaddr_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args, *cpu = a0->next;
	if (a0->kind != N_STRING) {
		sema_error(s, &n->loc, "percpu_kaddr() expects a string literal (%s provided)",
			   sema_kind_word(sema_expr(s, a0)));
		return NULL;
	}
	a0->type = type_string(s->t, (uint32_t)a0->u.string.len + 1);
	const struct type *ct = cpu ? sema_expr(s, cpu) : NULL;
	if (ct && !type_is_scalar(ct)) {
		sema_error(s, &n->loc, "percpu_kaddr() expects an integer cpu (%s provided)", sema_kind_word(ct));
		return NULL;
	}
	if (btf_percpu_var_id(a0->u.string.s) < 0) {
		sema_error(s, &n->loc, "Could not resolve variable \"%s\" from BTF: percpu_kaddr() needs a per-cpu variable",
			   a0->u.string.s);
		return NULL;
	}
	uint64_t addr;
	if (sema_kaddr(a0->u.string.s, &addr) < 0) { /* the verifier finds the address there */
		sema_error(s, &n->loc,
			   "percpu_kaddr(): this kernel does not list \"%s\" in /proc/kallsyms (CONFIG_KALLSYMS_ALL is off), "
			   "so BPF programs cannot take its address", a0->u.string.s);
		return NULL;
	}
	return type_pointer(s->t, type_int(s->t, 8, false), false);
}

/* A literal integer (or positional parameter, or macro) bpftrace knows fits an unsigned type. */
static bool nonneg_literal(const struct node *n)
{
	return n->kind == N_INT && n->type && n->type->kind == T_INT && n->type->is_signed &&
	       (int64_t)n->u.integer.value >= 0;
}

/* An integer type as bpftrace 0.17 names it; it typed every integer builtin as 64-bit. */
static const char *int_name_017(struct sema *s, const struct node *n)
{
	unsigned bits = n->kind == N_BUILTIN ? 64 : n->type->size * 8;
	return arena_printf(&s->p->arena, "%sint%u", n->type->is_signed ? "" : "unsigned ", bits);
}

/*
 * bpftrace's warning on comparing a signed and an unsigned integer (which
 * compares unsigned: cmp_unsigned()), unless the signed side is a literal
 * that is not negative.
 */
void sema_sign_compare_warning(struct sema *s, const struct node *n)
{
	const struct node *l = n->u.binop.left, *r = n->u.binop.right;
	if (!s->final || !op_is_comparison(n->u.binop.op) || l->type->kind != T_INT || r->type->kind != T_INT ||
	    l->type->is_signed == r->type->is_signed)
		return;
	if ((l->type->is_signed && nonneg_literal(l)) || (r->type->is_signed && nonneg_literal(r)))
		return;
	diag_warning(s->d, &n->u.binop.op_loc,
		     "comparison of integers of different signs: '%s' and '%s' can lead to undefined behavior",
		     int_name_017(s, l), int_name_017(s, r));
}
