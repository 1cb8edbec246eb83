/*
 * Codegen of ring-buffer events (program.h, enum event_kind) and the
 * statement builtins that send them: printf, print, clear, zero, delete,
 * exit, time, errorf/warnf/assert; -k's failing-helper reports.
 */
#include <linux/bpf.h>
#include <string.h>

#include "codegen_internal.h"

/* ---- ring-buffer events ---- */

/*
 * Reserve an event of `payload` bytes, zeroed, with its header written.
 * Returns the event pointer; the builder is in the block where it is
 * non-NULL. event_submit() closes it.
 */
static LLVMValueRef event_begin(struct cg *c, enum event_kind kind, uint32_t id, uint32_t payload,
				LLVMBasicBlockRef *done)
{
	uint32_t size = (uint32_t)sizeof(struct event_hdr) + payload;
	LLVMValueRef args[] = { cg_map_ptr(c, c->p->ringbuf_fd), cg_const(c, size), cg_const(c, 0) };
	LLVMValueRef ev = LLVMBuildIntToPtr(c->b, cg_helper(c, H_RINGBUF_RESERVE, args, 3), c->i8p, "event");
	LLVMBasicBlockRef fill = cg_block(c, "event_fill");
	*done = cg_block(c, "event_done");
	cg_branch_found(c, ev, fill, cg_lost_block(c, *done));
	cg_zero(c, ev, size);
	cg_store_int(c, ev, offsetof(struct event_hdr, kind), LLVMConstInt(c->i64, kind, 0), 4, 4);
	cg_store_int(c, ev, offsetof(struct event_hdr, id), LLVMConstInt(c->i64, id, 0), 4, 4);
	return ev;
}

static void event_submit(struct cg *c, LLVMValueRef ev, LLVMBasicBlockRef done)
{
	LLVMValueRef args[] = { ev, cg_const(c, 0) };
	cg_helper(c, H_RINGBUF_SUBMIT, args, 2);
	LLVMBuildBr(c->b, done);
	LLVMPositionBuilderAtEnd(c->b, done);
}

void cg_check_helper(struct cg *c, int id, LLVMValueRef ret, unsigned level)
{
	if (c->p->helper_errors < level || !c->at)
		return;
	bool lookup = id == H_MAP_LOOKUP;
	LLVMValueRef bad = lookup ? LLVMBuildICmp(c->b, LLVMIntEQ, ret, cg_const(c, 0), "")
				  : LLVMBuildICmp(c->b, LLVMIntSLT, LLVMBuildTrunc(c->b, ret, c->i32, ""),
						  LLVMConstInt(c->i32, 0, 0), "");
	LLVMBasicBlockRef fail = cg_block(c, "helper_failed"), ok = cg_block(c, "helper_ok");
	LLVMBuildCondBr(c->b, bad, fail, ok);
	LLVMPositionBuilderAtEnd(c->b, fail);
	LLVMBasicBlockRef done;
	LLVMValueRef ev = event_begin(c, EV_HELPER_ERROR, (uint32_t)id, sizeof(struct helper_error_event), &done);
	uint32_t off = (uint32_t)sizeof(struct event_hdr);
	struct loc l_at = c->at->loc;
	/* a read through '*' is located at the operator, as bpftrace does */
	if (c->at->kind == N_UNOP && c->at->u.unop.op == OP_DEREF && l_at.end_line == l_at.line)
		l_at.end_col = l_at.col + 1;
	const struct loc *l = &l_at;
	/* the low 32 bits, sign-extended: map helpers of Linux < 6.4 return int (cg_check_update) */
	LLVMValueRef code = lookup ? cg_const(c, 0) : LLVMBuildSExt(c->b, LLVMBuildTrunc(c->b, ret, c->i32, ""), c->i64, "");
	cg_store_int(c, ev, off, code, 8, 8);
	cg_store_int(c, ev, off + 8, cg_const(c, l->line), 4, 4);
	cg_store_int(c, ev, off + 12, cg_const(c, l->col), 4, 4);
	cg_store_int(c, ev, off + 16, cg_const(c, l->end_line == l->line ? l->end_col : 0), 4, 4);
	event_submit(c, ev, done);
	LLVMBuildBr(c->b, ok);
	LLVMPositionBuilderAtEnd(c->b, ok);
}

static uint32_t node_index(const struct node *const *nodes, size_t n, const struct node *x)
{
	for (size_t i = 0; i < n; i++)
		if (nodes[i] == x)
			return (uint32_t)i;
	return 0;
}


void cg_emit_format(struct cg *c, struct node *n, enum event_kind kind)
{
	const struct compile_state *cs = c->p->compile_state;
	uint32_t id = node_index(cs->printf_nodes, c->p->nprintfs, n);
	const struct prog_printf *pf = &c->p->printfs[id];
	LLVMValueRef tmps[32];
	struct node *a = n->u.call.args->next;
	for (uint32_t i = 0; i < pf->nargs && i < 32; i++, a = a->next)
		tmps[i] = cg_staged(c, pf->arg_types[i], a);
	LLVMBasicBlockRef done;
	LLVMValueRef ev = event_begin(c, kind, id, pf->size, &done);
	for (uint32_t i = 0; i < pf->nargs && i < 32; i++) {
		const struct type *t = pf->arg_types[i];
		uint32_t off = (uint32_t)sizeof(struct event_hdr) + pf->arg_offsets[i];
		cg_copy(c, cg_ptr_off(c, ev, off), cg_align_of(off), tmps[i], 8, t->size);
	}
	event_submit(c, ev, done);
}


static void emit_simple_event(struct cg *c, enum event_kind kind, uint32_t id, LLVMValueRef *words,
			      unsigned nwords)
{
	LLVMBasicBlockRef done;
	LLVMValueRef ev = event_begin(c, kind, id, nwords * 8, &done);
	for (unsigned i = 0; i < nwords; i++)
		cg_store_int(c, ev, (uint32_t)sizeof(struct event_hdr) + 8 * i, words[i], 8, 8);
	event_submit(c, ev, done);
}

void cg_call_stmt(struct cg *c, struct node *n)
{
	const struct builtin_def *b = &builtins[n->u.call.fn];
	const struct node *outer = c->at;
	c->at = n;
	if (b->stmt)
		b->stmt(c, n);
	else if (b->value) /* computed for nothing */
		b->value(c, n);
	else if (b->bytes)
		b->bytes(c, n);
	else
		cg_fail(c, &n->loc, "internal error: no codegen for %s()", n->u.call.name);
	c->at = outer;
}

void printf_stmt(struct cg *c, struct node *n)
{
	cg_emit_format(c, n, EV_PRINTF);
}

/* print(@m[, top[, div]]) or print(value) */
void print_stmt(struct cg *c, struct node *n)
{
	struct node *a0 = n->u.call.args;
	struct program *p = c->p;
	if (a0->kind == N_MAP && !a0->u.map.nkeys) {
		LLVMValueRef words[2] = { cg_const(c, 0), cg_const(c, 1) };
		unsigned i = 0;
		for (struct node *a = a0->next; a && i < 2; a = a->next)
			words[i++] = cg_scalar(c, a);
		emit_simple_event(c, EV_PRINT_MAP, (uint32_t)(cg_map_of(c, a0) - p->maps), words, 2);
		return;
	}
	uint32_t id = node_index(p->compile_state->print_value_nodes, p->nprint_values, n);
	const struct type *t = p->print_values[id];
	LLVMValueRef tmp = cg_staged(c, t, a0);
	LLVMBasicBlockRef done;
	LLVMValueRef ev = event_begin(c, EV_PRINT_VALUE, id, (t->size + 7) & ~7u, &done);
	cg_copy(c, cg_ptr_off(c, ev, sizeof(struct event_hdr)), 8, tmp, 8, t->size);
	event_submit(c, ev, done);
}

void clear_stmt(struct cg *c, struct node *n)
{
	emit_simple_event(c, EV_CLEAR, (uint32_t)(cg_map_of(c, n->u.call.args) - c->p->maps), NULL, 0);
}

void zero_stmt(struct cg *c, struct node *n)
{
	emit_simple_event(c, EV_ZERO, (uint32_t)(cg_map_of(c, n->u.call.args) - c->p->maps), NULL, 0);
}

/* delete(@m, k), delete(@m[k]), delete(@m): 1 if the key was there, as bpftrace's delete() returns */
LLVMValueRef delete_value(struct cg *c, struct node *n)
{
	struct node *a0 = n->u.call.args;
	const struct prog_map *m = cg_map_of(c, a0);
	struct node *k = n->u.call.nargs == 2 ? a0->next : a0->u.map.keys;
	LLVMValueRef key = cg_map_key(c, m, n->u.call.nargs == 2 && k->kind == N_TUPLE ? k->u.list.head : k);
	if (m->bpf_type == BPF_MAP_TYPE_PERCPU_ARRAY) {
		/* array slots cannot be deleted: zero this CPU's (program.h) */
		LLVMValueRef val = cg_alloca(c, m->value_size, "zero");
		cg_zero(c, val, m->value_size);
		cg_map_update(c, m, key, val);
		return cg_const(c, 1);
	}
	LLVMValueRef args[] = { cg_map_ptr(c, m->fd), key };
	LLVMValueRef err = cg_helper(c, H_MAP_DELETE, args, 2);
	cg_check_helper(c, H_MAP_DELETE, err, 1);
	return LLVMBuildZExt(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, err, cg_const(c, 0), ""), c->i64, "deleted");
}

void errorf_stmt(struct cg *c, struct node *n)
{
	cg_emit_format(c, n, EV_ERRORF);
}

void warnf_stmt(struct cg *c, struct node *n)
{
	cg_emit_format(c, n, EV_WARNF);
}

/* assert(cond, msg): when cond is false, msg as an error at the call and exit(1) */
void assert_stmt(struct cg *c, struct node *n)
{
	LLVMBasicBlockRef fail = cg_block(c, "assert_failed"), ok = cg_block(c, "assert_ok");
	LLVMBuildCondBr(c->b, cg_cond(c, n->u.call.args), ok, fail);
	LLVMPositionBuilderAtEnd(c->b, fail);
	cg_emit_format(c, n, EV_ERRORF);
	LLVMValueRef code = cg_const(c, 1);
	emit_simple_event(c, EV_EXIT, 0, &code, 1);
	cg_return(c);
	LLVMBuildBr(c->b, ok);
	LLVMPositionBuilderAtEnd(c->b, ok);
}

void exit_stmt(struct cg *c, struct node *n)
{
	LLVMValueRef code = n->u.call.args ? cg_scalar(c, n->u.call.args) : cg_const(c, 0);
	emit_simple_event(c, EV_EXIT, 0, &code, 1);
	cg_return(c);
}

void time_stmt(struct cg *c, struct node *n)
{
	const char *fmt = n->u.call.args ? n->u.call.args->u.string.s : "%H:%M:%S\n";
	uint32_t id = 0;
	while (id < c->p->nstrings && strcmp(c->p->strings[id], fmt))
		id++;
	emit_simple_event(c, EV_TIME, id, NULL, 0);
}
