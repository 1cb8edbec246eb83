/*
 * Codegen of for loops, len(), has_key() and in-kernel reads of
 * aggregations.
 *
 * A for loop's body is a static BPF subprogram (section .text) called back
 * by the kernel: bpf_for_each_map_elem(map, cb, ctx, 0) for a map, and
 * bpf_loop(n, cb, ctx, 0) for a range. The loop context is a stack buffer
 * of the calling function:
 *
 *   0   the probe's context pointer (args, stacks... read through it)
 *   8   u64 set when the body ran `return`: the caller leaves the probe too
 *   16  the `probe` index of a dispatched function
 *   24  the range's start
 *   32  one pointer per scratch variable of the probe the body uses
 *
 * so the body reads and writes the probe's variables in place, through
 * however many nested loops. The callback returns 0 to go on and 1 to stop
 * (break). Callbacks need BTF func info (the verifier insists on it for a
 * BPF_PSEUDO_FUNC address), so a module with any gets debug info, from
 * which LLVM's BPF backend emits .BTF and .BTF.ext.
 */
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>

#include <llvm-c/DebugInfo.h>

#include "codegen_internal.h"

#define LOOP_CTX_PROBE_CTX 0
#define LOOP_CTX_RETURNED 8
#define LOOP_CTX_PROBE_INDEX 16
#define LOOP_CTX_START 24
#define LOOP_CTX_VARS 32

struct cg_capture {
	const char *name;
	const struct type *type;
};

struct cg_loop {
	LLVMValueRef ctx; /* i8*: the loop context (the callback's last argument) */
	struct cg_capture *caps;
	size_t ncaps, caps_cap;
	bool returns; /* the body (or a loop in it) runs `return` */
};

static LLVMTypeRef ptr_ptr(struct cg *c)
{
	return LLVMPointerType(c->i8p, 0);
}

static void store_ptr(struct cg *c, LLVMBuilderRef b, LLVMValueRef base, uint32_t off, LLVMValueRef v)
{
	LLVMValueRef at = off ? LLVMBuildGEP2(b, c->i8, base, (LLVMValueRef[]){ cg_const(c, off) }, 1, "") : base;
	LLVMValueRef p = LLVMBuildBitCast(b, at, ptr_ptr(c), "");
	LLVMSetAlignment(LLVMBuildStore(b, v, p), 8);
}

static LLVMValueRef load_ptr(struct cg *c, LLVMBuilderRef b, LLVMValueRef base, uint32_t off)
{
	LLVMValueRef at = off ? LLVMBuildGEP2(b, c->i8, base, (LLVMValueRef[]){ cg_const(c, off) }, 1, "") : base;
	LLVMValueRef p = LLVMBuildBitCast(b, at, ptr_ptr(c), "");
	LLVMValueRef v = LLVMBuildLoad2(b, c->i8p, p, "");
	LLVMSetAlignment(v, 8);
	return v;
}

LLVMValueRef cg_loop_capture(struct cg *c, const char *name, const struct type *t)
{
	struct cg_loop *l = c->loop;
	if (l->ncaps == l->caps_cap) {
		l->caps_cap = l->caps_cap ? l->caps_cap * 2 : 8;
		l->caps = arena_grow(&c->p->arena, l->caps, l->ncaps, l->caps_cap, sizeof(*l->caps));
	}
	l->caps[l->ncaps] = (struct cg_capture){ .name = name, .type = t };
	/* loaded once, in the callback's entry block */
	return load_ptr(c, c->alloca_b, l->ctx, LOOP_CTX_VARS + 8 * (uint32_t)l->ncaps++);
}

void cg_loop_return(struct cg *c)
{
	c->loop->returns = true;
	cg_store_int(c, c->loop->ctx, LOOP_CTX_RETURNED, cg_const(c, 1), 8, 8);
	LLVMBuildRet(c->b, cg_const(c, 1));
	LLVMPositionBuilderAtEnd(c->b, cg_block(c, "after_return"));
}

void cg_loop_jump(struct cg *c, bool is_break)
{
	LLVMBuildRet(c->b, cg_const(c, is_break ? 1 : 0));
	LLVMPositionBuilderAtEnd(c->b, cg_block(c, is_break ? "after_break" : "after_continue"));
}

/* ---- reading aggregations over every CPU ---- */

/* Possible CPUs (/sys/devices/system/cpu/possible, "0-1"): per-CPU values a map holds. */
static uint32_t possible_cpus(void)
{
	static uint32_t n;
	if (n)
		return n;
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	char buf[128] = "";
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	/* the highest CPU number is the last number in the list */
	unsigned long hi = 0, cur = 0;
	bool digits = false;
	for (const char *p = buf;; p++) {
		if (*p >= '0' && *p <= '9') {
			cur = cur * 10 + (unsigned long)(*p - '0');
			digits = true;
			continue;
		}
		if (digits)
			hi = cur;
		cur = 0;
		digits = false;
		if (!*p)
			break;
	}
	n = buf[0] ? (uint32_t)hi + 1 : 1;
	return n;
}

/* a / b for signed a and b > 0 (the BPF v2 ISA divides unsigned only). */
static LLVMValueRef sdiv_pos(struct cg *c, LLVMValueRef a, LLVMValueRef b)
{
	LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, a, cg_const(c, 0), "");
	LLVMValueRef mag = LLVMBuildSelect(c->b, neg, LLVMBuildNeg(c->b, a, ""), a, "");
	LLVMValueRef q = LLVMBuildUDiv(c->b, mag, b, "");
	return LLVMBuildSelect(c->b, neg, LLVMBuildNeg(c->b, q, ""), q, "");
}

LLVMValueRef cg_agg_read(struct cg *c, const struct prog_map *m, LLVMValueRef key)
{
	/* acc: sum/total/extreme; cnt: avg's count, or min/max "one CPU has a value" */
	LLVMValueRef acc = cg_alloca(c, 8, "agg_acc"), cnt = cg_alloca(c, 8, "agg_cnt"),
		     cpu = cg_alloca(c, 8, "agg_cpu");
	cg_store_int(c, acc, 0, cg_const(c, 0), 8, 8);
	cg_store_int(c, cnt, 0, cg_const(c, 0), 8, 8);
	cg_store_int(c, cpu, 0, cg_const(c, 0), 8, 8);
	LLVMBasicBlockRef head = cg_block(c, "agg_cpu"), body = cg_block(c, "agg_cpu_read"),
			  found = cg_block(c, "agg_cpu_found"), next = cg_block(c, "agg_cpu_next"),
			  done = cg_block(c, "agg_read_done");
	LLVMBuildBr(c->b, head);
	LLVMPositionBuilderAtEnd(c->b, head);
	LLVMValueRef i = cg_load_int(c, cpu, 0, 8, false, 8);
	LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntULT, i, cg_const(c, possible_cpus()), ""), body, done);
	LLVMPositionBuilderAtEnd(c->b, body);
	LLVMValueRef args[] = { cg_map_ptr(c, m->fd), key, LLVMBuildTrunc(c->b, i, c->i32, "") };
	LLVMValueRef v = LLVMBuildIntToPtr(c->b, cg_helper(c, BPF_FUNC_map_lookup_percpu_elem, args, 3), c->i8p, "");
	LLVMBuildCondBr(c->b, LLVMBuildIsNull(c->b, v, ""), next, found);
	LLVMPositionBuilderAtEnd(c->b, found);
	LLVMValueRef w0 = cg_load_int(c, v, 0, 8, false, 8), old = cg_load_int(c, acc, 0, 8, false, 8);
	switch (m->agg) {
	case AGG_AVG:
		cg_store_int(c, cnt, 0, LLVMBuildAdd(c->b, cg_load_int(c, cnt, 0, 8, false, 8),
						       cg_load_int(c, v, 8, 8, false, 8), ""), 8, 8);
		__attribute__((fallthrough)); /* the totals add up */
	case AGG_COUNT:
	case AGG_SUM:
		cg_store_int(c, acc, 0, LLVMBuildAdd(c->b, old, w0, ""), 8, 8);
		break;
	case AGG_MIN:
	case AGG_MAX: {
		bool s = m->value && m->value->is_signed;
		LLVMIntPredicate better = m->agg == AGG_MIN ? (s ? LLVMIntSLT : LLVMIntULT) : (s ? LLVMIntSGT : LLVMIntUGT);
		LLVMValueRef set = LLVMBuildICmp(c->b, LLVMIntNE, cg_load_int(c, v, 8, 8, false, 8), cg_const(c, 0), "");
		LLVMValueRef first = LLVMBuildICmp(c->b, LLVMIntEQ, cg_load_int(c, cnt, 0, 8, false, 8), cg_const(c, 0), "");
		LLVMValueRef take = LLVMBuildAnd(c->b, set, LLVMBuildOr(c->b, first, LLVMBuildICmp(c->b, better, w0, old, ""), ""), "");
		cg_store_int(c, acc, 0, LLVMBuildSelect(c->b, take, w0, old, ""), 8, 8);
		cg_store_int(c, cnt, 0, LLVMBuildSelect(c->b, take, cg_const(c, 1), cg_load_int(c, cnt, 0, 8, false, 8), ""), 8, 8);
		break;
	}
	default:
		break;
	}
	LLVMBuildBr(c->b, next);
	LLVMPositionBuilderAtEnd(c->b, next);
	cg_store_int(c, cpu, 0, LLVMBuildAdd(c->b, cg_load_int(c, cpu, 0, 8, false, 8), cg_const(c, 1), ""), 8, 8);
	LLVMBuildBr(c->b, head);
	LLVMPositionBuilderAtEnd(c->b, done);
	LLVMValueRef total = cg_load_int(c, acc, 0, 8, false, 8);
	if (m->agg != AGG_AVG)
		return total;
	LLVMValueRef n = cg_load_int(c, cnt, 0, 8, false, 8);
	LLVMValueRef none = LLVMBuildICmp(c->b, LLVMIntEQ, n, cg_const(c, 0), "");
	LLVMValueRef safe = LLVMBuildSelect(c->b, none, cg_const(c, 1), n, "");
	LLVMValueRef avg = m->value && m->value->is_signed ? sdiv_pos(c, total, safe) : LLVMBuildUDiv(c->b, total, safe, "");
	return LLVMBuildSelect(c->b, none, cg_const(c, 0), avg, "avg");
}

/* ---- callbacks ---- */

static LLVMValueRef new_callback(struct cg *c, const char *what, LLVMTypeRef *params, unsigned nparams)
{
	char name[128];
	snprintf(name, sizeof(name), "%s_%s%u", c->func ? c->func->name : "strobe", what, c->ncallbacks++);
	LLVMValueRef fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(c->i64, params, nparams, 0));
	LLVMSetLinkage(fn, LLVMInternalLinkage);
	LLVMSetSection(fn, ".text");
	unsigned nounwind = LLVMGetEnumAttributeKindForName("nounwind", 8);
	LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->ctx, nounwind, 0));
	return fn;
}

/* The value of $kv.1 in a map loop: a copy of a plain value, or an aggregation's total. */
static void loop_value(struct cg *c, const struct prog_map *m, LLVMValueRef kv, const struct type *kvt,
		       LLVMValueRef key, LLVMValueRef value)
{
	const struct type_field *f = &kvt->fields[1];
	if (m->agg == AGG_NONE) {
		cg_copy(c, cg_ptr_off(c, kv, f->offset), cg_align_of(f->offset), value, 8, f->type->size);
		return;
	}
	/* per-CPU: this CPU's value is not the answer; a stack copy of the key is looked up on each */
	LLVMValueRef k = cg_alloca(c, m->key_size, "loop_key");
	cg_zero(c, k, m->key_size);
	cg_copy(c, k, 8, key, 8, m->key->size);
	cg_store_int(c, kv, f->offset, cg_agg_read(c, m, k), 8, cg_align_of(f->offset));
}

/*
 * Build the body of for loop n as a callback, then call it from the
 * current function. State of the calling function is saved and restored
 * around the callback's construction.
 */
void cg_for(struct cg *c, struct node *n)
{
	bool is_map = n->kind == N_FOR_MAP;
	struct node *var = is_map ? n->u.for_map.var : n->u.for_range.var;
	struct node *body = is_map ? n->u.for_map.body : n->u.for_range.body;
	const struct prog_map *m = is_map ? cg_map_of(c, n->u.for_map.map) : NULL;
	/* the range is evaluated once, before the loop */
	LLVMValueRef lo = NULL, count = NULL;
	if (!is_map) {
		lo = cg_scalar(c, n->u.for_range.lo);
		LLVMValueRef hi = cg_scalar(c, n->u.for_range.hi);
		bool s = var->type && var->type->is_signed;
		LLVMValueRef empty = LLVMBuildICmp(c->b, s ? LLVMIntSGE : LLVMIntUGE, lo, hi, "");
		count = LLVMBuildSelect(c->b, empty, cg_const(c, 0), LLVMBuildSub(c->b, hi, lo, ""), "");
		/* bpf_loop takes a u32 and refuses more than 1 << 23 iterations */
		LLVMValueRef big = LLVMBuildICmp(c->b, LLVMIntUGT, count, cg_const(c, 1u << 23), "");
		count = LLVMBuildSelect(c->b, big, cg_const(c, 1u << 23), count, "");
	}

	struct cg saved = *c;
	LLVMBasicBlockRef caller_block = LLVMGetInsertBlock(c->b), caller_entry = LLVMGetInsertBlock(c->alloca_b);
	LLVMTypeRef mparams[] = { c->i8p, c->i8p, c->i8p, c->i8p }, rparams[] = { c->i64, c->i8p };
	LLVMValueRef fn = is_map ? new_callback(c, "for_map", mparams, 4) : new_callback(c, "for_range", rparams, 2);
	struct cg_loop *loop = arena_zalloc(&c->p->arena, sizeof(*loop));
	c->fn = fn;
	c->vars = NULL;
	c->nvars = c->vars_cap = 0;
	c->nloops = 0;
	c->counter_key_fn = NULL;
	c->scratch_base = NULL; /* the callback's own; its scratch bytes follow the caller's */
	LLVMBasicBlockRef entry = cg_block(c, "entry"), start = cg_block(c, "body");
	LLVMPositionBuilderAtEnd(c->alloca_b, entry);
	LLVMPositionBuilderAtEnd(c->b, start);
	loop->ctx = LLVMGetParam(fn, is_map ? 3 : 1);
	c->ctxp = load_ptr(c, c->alloca_b, loop->ctx, LOOP_CTX_PROBE_CTX);
	if (saved.probe_index) {
		LLVMBuilderRef b = c->b;
		c->b = c->alloca_b;
		c->probe_index = cg_load_int(c, loop->ctx, LOOP_CTX_PROBE_INDEX, 8, false, 8);
		c->b = b;
	}
	/* the loop variable is the callback's own */
	c->loop = NULL;
	struct cg_var *v = cg_var(c, cg_var_key(var), var->type);
	c->loop = loop;
	if (is_map) {
		LLVMValueRef key = LLVMGetParam(fn, 1), value = LLVMGetParam(fn, 2);
		cg_copy(c, v->slot, 8, key, 8, m->key->size);
		loop_value(c, m, v->slot, var->type, key, value);
	} else {
		LLVMValueRef first = cg_load_int(c, loop->ctx, LOOP_CTX_START, 8, false, 8);
		cg_store_int(c, v->slot, 0, LLVMBuildAdd(c->b, first, LLVMGetParam(fn, 0), ""), 8, 8);
	}
	cg_stmt(c, body);
	LLVMBuildRet(c->b, cg_const(c, 0));
	LLVMBuildBr(c->alloca_b, start);

	/* back in the caller: the loop context, then the call */
	int err = c->err;
	unsigned ncallbacks = c->ncallbacks;
	LLVMValueRef len_cb = c->len_callback;
	uint32_t scratch_used = c->scratch_used, stack_used = c->stack_used;
	*c = saved;
	c->scratch_used = scratch_used;
	c->stack_used = stack_used;
	c->err = err;
	c->ncallbacks = ncallbacks;
	c->len_callback = len_cb;
	LLVMPositionBuilderAtEnd(c->alloca_b, caller_entry);
	LLVMPositionBuilderAtEnd(c->b, caller_block);
	uint32_t size = LOOP_CTX_VARS + 8 * (uint32_t)loop->ncaps;
	LLVMValueRef ctx = cg_stack_slot(c, size, "loop_ctx"); /* callback_ctx: a stack pointer */
	cg_zero(c, ctx, size);
	store_ptr(c, c->b, ctx, LOOP_CTX_PROBE_CTX, c->ctxp);
	if (c->probe_index)
		cg_store_int(c, ctx, LOOP_CTX_PROBE_INDEX, c->probe_index, 8, 8);
	if (lo)
		cg_store_int(c, ctx, LOOP_CTX_START, lo, 8, 8);
	for (size_t i = 0; i < loop->ncaps; i++)
		store_ptr(c, c->b, ctx, LOOP_CTX_VARS + 8 * (uint32_t)i,
			  cg_var(c, loop->caps[i].name, loop->caps[i].type)->slot);
	if (is_map) {
		LLVMValueRef args[] = { cg_map_ptr(c, m->fd), fn, ctx, cg_const(c, 0) };
		cg_helper(c, BPF_FUNC_for_each_map_elem, args, 4);
	} else {
		/* no call for an empty range: the verifier then drops the callback, which a
		 * bpf_loop(0, ...) with a constant 0 leaves referenced ("No program to jit") */
		LLVMBasicBlockRef call = cg_block(c, "range_loop"), after = cg_block(c, "range_done");
		LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntNE, count, cg_const(c, 0), ""), call, after);
		LLVMPositionBuilderAtEnd(c->b, call);
		LLVMValueRef args[] = { LLVMBuildTrunc(c->b, count, c->i32, ""), fn, ctx, cg_const(c, 0) };
		cg_helper(c, BPF_FUNC_loop, args, 4);
		LLVMBuildBr(c->b, after);
		LLVMPositionBuilderAtEnd(c->b, after);
	}
	if (loop->returns) {
		LLVMBasicBlockRef ret = cg_block(c, "loop_returned"), after = cg_block(c, "after_loop");
		LLVMValueRef flag = cg_load_int(c, ctx, LOOP_CTX_RETURNED, 8, false, 8);
		LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntNE, flag, cg_const(c, 0), ""), ret, after);
		LLVMPositionBuilderAtEnd(c->b, ret);
		cg_return(c);
		LLVMBuildBr(c->b, after);
		LLVMPositionBuilderAtEnd(c->b, after);
	}
}

/* ---- len(), has_key() ---- */

/* len(kstack): the bytes bpf_get_stack() writes, in frames (0 if it fails) */
static LLVMValueRef stack_len(struct cg *c, const struct type *t)
{
	LLVMValueRef buf = cg_alloca(c, t->count * 8, "frames");
	LLVMValueRef args[] = { c->ctxp, buf, cg_const(c, t->count * 8),
				cg_const(c, t->kind == T_USTACK ? BPF_F_USER_STACK : 0) };
	LLVMValueRef bytes = cg_helper(c, H_GET_STACK, args, 4);
	LLVMValueRef ok = LLVMBuildICmp(c->b, LLVMIntSGT, bytes, cg_const(c, 0), "");
	return LLVMBuildSelect(c->b, ok, LLVMBuildLShr(c->b, bytes, cg_const(c, 3), ""), cg_const(c, 0), "frames");
}

/* bpf_for_each_map_elem returns how many elements it visited */
LLVMValueRef len_value(struct cg *c, struct node *n)
{
	if (n->u.call.args->kind != N_MAP)
		return stack_len(c, n->u.call.args->type);
	const struct prog_map *m = cg_map_of(c, n->u.call.args);
	if (!c->len_callback) {
		LLVMTypeRef params[] = { c->i8p, c->i8p, c->i8p, c->i8p };
		LLVMBasicBlockRef here = LLVMGetInsertBlock(c->b);
		LLVMValueRef fn = new_callback(c, "len", params, 4);
		LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "entry"));
		LLVMBuildRet(c->b, cg_const(c, 0));
		LLVMPositionBuilderAtEnd(c->b, here);
		c->len_callback = fn;
	}
	LLVMValueRef args[] = { cg_map_ptr(c, m->fd), c->len_callback, LLVMConstNull(c->i8p), cg_const(c, 0) };
	return cg_helper(c, BPF_FUNC_for_each_map_elem, args, 4);
}

LLVMValueRef has_key_value(struct cg *c, struct node *n)
{
	struct node *mn = n->u.call.args, *k = mn->next;
	const struct prog_map *m = cg_map_of(c, mn);
	LLVMValueRef key = cg_map_key(c, m, k->kind == N_TUPLE ? k->u.list.head : k);
	LLVMValueRef args[] = { cg_map_ptr(c, m->fd), key };
	LLVMValueRef v = cg_helper(c, BPF_FUNC_map_lookup_elem, args, 2);
	return LLVMBuildZExt(c->b, LLVMBuildICmp(c->b, LLVMIntNE, v, cg_const(c, 0), ""), c->i64, "has_key");
}

/* find(@m, k, $v) (sema_loops.c: args are @m and `$v = @m[k]`): the value copied from the lookup */
LLVMValueRef find_value(struct cg *c, struct node *n)
{
	struct node *asg = n->u.call.args->next, *var = asg->u.assign.target, *read = asg->u.assign.value;
	const struct prog_map *m = cg_map_of(c, read);
	LLVMValueRef args[] = { cg_map_ptr(c, m->fd), cg_map_key(c, m, read->u.map.keys) };
	LLVMValueRef ptr = LLVMBuildIntToPtr(c->b, cg_helper(c, BPF_FUNC_map_lookup_elem, args, 2), c->i8p, "");
	LLVMValueRef hit = LLVMBuildIsNotNull(c->b, ptr, "");
	LLVMBasicBlockRef found = cg_block(c, "find_found"), done = cg_block(c, "find_done");
	LLVMBuildCondBr(c->b, hit, found, done);
	LLVMPositionBuilderAtEnd(c->b, found);
	const struct type *t = var->type;
	bool scalars = type_is_scalar(t) && type_is_scalar(m->value);
	if (m->agg == AGG_NONE && (scalars || type_equal(t, m->value)))
		cg_copy(c, cg_var(c, cg_var_key(var), t)->slot, 8, ptr, 8, scalars ? 8 : t->size);
	else /* aggregations, read over every CPU, and conversions: as $v = @m[k] */
		cg_stmt(c, asg);
	LLVMBuildBr(c->b, done);
	LLVMPositionBuilderAtEnd(c->b, done);
	return LLVMBuildZExt(c->b, hit, c->i64, "find");
}

/* ---- BTF func info: a DISubprogram for every function of the module ---- */

void cg_debug_info(struct cg *c)
{
	LLVMDIBuilderRef d = LLVMCreateDIBuilder(c->mod);
	LLVMMetadataRef file = LLVMDIBuilderCreateFile(d, "strobe", 6, "", 0);
	LLVMDIBuilderCreateCompileUnit(d, LLVMDWARFSourceLanguageC, file, "strobe", 6, 1, "", 0, 0, "", 0,
				       LLVMDWARFEmissionFull, 0, 0, 0, "", 0, "", 0);
	LLVMMetadataRef i64 = LLVMDIBuilderCreateBasicType(d, "long", 4, 64, 5 /* DW_ATE_signed */, LLVMDIFlagZero);
	LLVMMetadataRef ptr = LLVMDIBuilderCreatePointerType(d, NULL, 64, 64, 0, "", 0);
	for (LLVMValueRef fn = LLVMGetFirstFunction(c->mod); fn; fn = LLVMGetNextFunction(fn)) {
		if (!LLVMCountBasicBlocks(fn))
			continue; /* declarations: llvm.bpf.pseudo, memcpy... */
		LLVMMetadataRef types[8] = { i64 };
		unsigned np = LLVMCountParams(fn);
		for (unsigned i = 0; i < np && i < 7; i++)
			types[i + 1] = LLVMGetTypeKind(LLVMTypeOf(LLVMGetParam(fn, i))) == LLVMPointerTypeKind ? ptr : i64;
		LLVMMetadataRef ft = LLVMDIBuilderCreateSubroutineType(d, file, types, (np < 7 ? np : 7) + 1, LLVMDIFlagZero);
		size_t len;
		const char *name = LLVMGetValueName2(fn, &len);
		bool local = LLVMGetLinkage(fn) == LLVMInternalLinkage;
		LLVMMetadataRef sp = LLVMDIBuilderCreateFunction(d, file, name, len, name, len, file, 1, ft, local, 1, 1,
								 LLVMDIFlagPrototyped, 1);
		LLVMSetSubprogram(fn, sp);
		/* the kernel wants every argument of a BTF func named */
		for (unsigned i = 0; i < np && i < 7; i++) {
			char an[8];
			snprintf(an, sizeof(an), "a%u", i);
			LLVMDIBuilderCreateParameterVariable(d, sp, an, strlen(an), i + 1, file, 1, types[i + 1], 1,
							     LLVMDIFlagZero);
		}
	}
	LLVMDIBuilderFinalize(d);
	LLVMDisposeDIBuilder(d);
	LLVMAddModuleFlag(c->mod, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18,
			  LLVMValueAsMetadata(LLVMConstInt(c->i32, LLVMDebugMetadataVersion(), 0)));
	LLVMAddModuleFlag(c->mod, LLVMModuleFlagBehaviorWarning, "Dwarf Version", 13,
			  LLVMValueAsMetadata(LLVMConstInt(c->i32, 4, 0)));
}
