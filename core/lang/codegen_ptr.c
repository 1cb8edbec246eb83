/*
 * Codegen of reads through pointers: `p->f`, `rec.f`, `*p`, `&x`,
 * `x[i]` and pointer arithmetic. A walk is turned into one address (a
 * "place") and read once, with bpf_probe_read_kernel or, for user
 * pointers (uprobe/usdt arguments cast to pointers), bpf_probe_read_user;
 * only the value read (an integer, or the bytes of a string or array)
 * lands on the stack, never the records walked through. A walk may also
 * start from a value the program already holds on its stack (a tracepoint
 * array, a variable), which is read directly.
 */
#include <string.h>

#include "codegen_internal.h"

/* Where a walk's bytes are: an i64 address in kernel or user memory, or an i8* on the stack. */
struct place {
	LLVMValueRef v;
	bool stack;
	bool user;
};

static struct place place_of(struct cg *c, struct node *n);

static struct place value_place(struct cg *c, struct node *n)
{
	if (sema_is_walk(n))
		return place_of(c, n);
	if (n->kind == N_MAP && n->type && n->type->kind == T_RECORD)
		return (struct place){ .v = cg_map_value_addr(c, n) }; /* kernel memory: the map's value */
	return (struct place){ .v = cg_string(c, n), .stack = true };
}

static struct place advance(struct cg *c, struct place p, LLVMValueRef off)
{
	if (p.stack)
		p.v = cg_ptr_at(c, p.v, off);
	else
		p.v = LLVMBuildAdd(c->b, p.v, off, "");
	return p;
}

/* i * size, bounded by count for arrays held on the stack (the verifier needs a bound) */
static LLVMValueRef index_offset(struct cg *c, struct node *n, uint32_t esize, uint32_t bound)
{
	LLVMValueRef i = cg_scalar(c, n->u.index.index);
	if (bound) {
		LLVMValueRef ok = LLVMBuildICmp(c->b, LLVMIntULT, i, cg_const(c, bound), "");
		i = LLVMBuildSelect(c->b, ok, i, cg_const(c, 0), "");
	}
	return LLVMBuildMul(c->b, i, cg_const(c, esize ? esize : 1), "");
}

static struct place place_of(struct cg *c, struct node *n)
{
	switch (n->kind) {
	case N_UNOP: {
		struct node *x = n->u.unop.operand;
		bool user = x->type->kind == T_POINTER ? x->type->user : cg_user_addresses(c);
		return (struct place){ .v = cg_scalar(c, x), .user = user };
	}
	case N_FIELD: {
		struct node *base = n->u.field.base;
		LLVMValueRef off = cg_const(c, n->u.field.offset);
		if (base->type->kind == T_POINTER)
			return (struct place){ .v = LLVMBuildAdd(c->b, cg_scalar(c, base), off, ""),
					       .user = base->type->user };
		return advance(c, value_place(c, base), off);
	}
	case N_INDEX: {
		struct node *base = n->u.index.base;
		const struct type *bt = base->type;
		if (bt->kind == T_POINTER) {
			LLVMValueRef off = index_offset(c, n, bt->elem->size, 0);
			return (struct place){ .v = LLVMBuildAdd(c->b, cg_scalar(c, base), off, ""), .user = bt->user };
		}
		struct place p = value_place(c, base);
		return advance(c, p, index_offset(c, n, bt->elem->size, p.stack ? bt->count : 0));
	}
	default:
		cg_fail(c, &n->loc, "internal error: %s is not a memory access", node_kind_name(n->kind));
		return (struct place){ .v = cg_const(c, 0) };
	}
}

/* Copy size bytes at p into dst (zeroed by the caller). */
static void read_place(struct cg *c, struct place p, LLVMValueRef dst, uint32_t size)
{
	if (p.stack) {
		cg_copy(c, dst, 8, p.v, 1, size);
		return;
	}
	LLVMValueRef args[] = { dst, LLVMConstInt(c->i32, size, 0), LLVMBuildIntToPtr(c->b, p.v, c->i8p, "") };
	int h = p.user ? H_PROBE_READ_USER : H_PROBE_READ_KERNEL;
	cg_check_helper(c, h, cg_helper(c, h, args, 3), 2);
}

LLVMValueRef cg_ptr_scalar(struct cg *c, struct node *n)
{
	if (n->kind == N_UNOP && n->u.unop.op == OP_ADDR) {
		struct node *x = n->u.unop.operand;
		if (x->kind == N_VAR) /* &$x: its stack slot */
			return LLVMBuildPtrToInt(c->b, cg_var(c, cg_var_key(x), x->type)->slot, c->i64, "");
		if (x->kind == N_MAP) /* &@m[k]: the value in the map, 0 when there is none */
			return cg_map_value_addr(c, x);
		struct place p = place_of(c, x);
		if (p.stack) {
			cg_fail(c, &n->loc, "internal error: & of a value on the stack");
			return cg_const(c, 0);
		}
		return p.v;
	}
	const struct type *t = n->type;
	struct place p = place_of(c, n);
	bool bitfield = n->kind == N_FIELD && n->u.field.bit_width;
	uint32_t size = bitfield ? (n->u.field.bit_offset + n->u.field.bit_width + 7u) / 8u : t->size;
	if (size > 8)
		size = 8;
	LLVMValueRef tmp = cg_alloca(c, 8, "deref");
	cg_zero(c, tmp, 8);
	read_place(c, p, tmp, size);
	if (!bitfield)
		return cg_load_int(c, tmp, 0, size, t->kind == T_INT && t->is_signed, 8);
	LLVMValueRef v = cg_load_int(c, tmp, 0, 8, false, 8);
	unsigned width = n->u.field.bit_width, shift = n->u.field.bit_offset;
	/* move the field to the top bits, then back down: sign- or zero-extended */
	v = LLVMBuildShl(c->b, v, cg_const(c, 64 - width - shift), "");
	if (t->is_signed)
		return LLVMBuildAShr(c->b, v, cg_const(c, 64 - width), "bitfield");
	return LLVMBuildLShr(c->b, v, cg_const(c, 64 - width), "bitfield");
}

LLVMValueRef cg_ptr_bytes(struct cg *c, struct node *n)
{
	struct place p = place_of(c, n);
	if (p.stack)
		return p.v;
	uint32_t size = n->type->size;
	LLVMValueRef buf = cg_alloca(c, size, "read");
	cg_zero(c, buf, size);
	read_place(c, p, buf, size);
	return buf;
}

void cg_ptr_read_into(struct cg *c, struct node *n, LLVMValueRef dst, uint32_t size)
{
	struct place p = place_of(c, n);
	read_place(c, p, dst, size);
}

/* As in C, an integer added to a pointer moves it by whole pointees (void and unsized: bytes). */
uint64_t cg_ptr_step(const struct type *t)
{
	return t && t->kind == T_POINTER && t->elem && t->elem->size ? t->elem->size : 1;
}

LLVMValueRef cg_ptr_arith(struct cg *c, struct node *n)
{
	struct node *l = n->u.binop.left, *r = n->u.binop.right;
	bool lp = l->type->kind == T_POINTER;
	LLVMValueRef pv = cg_scalar(c, lp ? l : r), iv = cg_scalar(c, lp ? r : l);
	iv = LLVMBuildMul(c->b, iv, cg_const(c, cg_ptr_step(lp ? l->type : r->type)), "");
	return n->u.binop.op == OP_SUB ? LLVMBuildSub(c->b, pv, iv, "") : LLVMBuildAdd(c->b, pv, iv, "");
}

/* (uint8[8])x: the integer's bytes; (uint64)$bytes: back. */
LLVMValueRef cg_cast_bytes(struct cg *c, struct node *n)
{
	struct node *x = n->u.cast.operand;
	if (x->type->kind == T_ARRAY || x->type->kind == T_STRING)
		return cg_string(c, x);
	LLVMValueRef buf = cg_alloca(c, 8, "cast");
	cg_store_int(c, buf, 0, cg_scalar(c, x), 8, 8);
	return buf;
}
