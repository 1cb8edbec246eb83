/*
 * Codegen: LLVM IR for every prog_func, in one module that codegen_emit.c
 * optimises and emits as BPF ELF objects in memory. Map fds are embedded
 * with llvm.bpf.pseudo and helpers are called by number, so the objects
 * need no relocations.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codegen_internal.h"

#include <llvm/Config/llvm-config.h>

const char *compile_llvm_version(void)
{
	return LLVM_VERSION_STRING;
}

#define BPF_PSEUDO_MAP_FD_KIND 1    /* BPF_PSEUDO_MAP_FD */
#define BPF_PSEUDO_MAP_VALUE_KIND 2 /* BPF_PSEUDO_MAP_VALUE: address of value 0 of an array map */

void cg_fail(struct cg *c, const struct loc *loc, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	diag_error(c->d, loc, "%s", buf);
	c->err = -EINVAL;
}

LLVMValueRef cg_const(struct cg *c, uint64_t v)
{
	return LLVMConstInt(c->i64, v, 0);
}

unsigned cg_align_of(uint32_t off)
{
	return off & 1 ? 1 : off & 2 ? 2 : off & 4 ? 4 : 8;
}

LLVMBasicBlockRef cg_block(struct cg *c, const char *name)
{
	return LLVMAppendBasicBlockInContext(c->ctx, c->fn, name);
}

uint32_t cg_len_mask(uint32_t cap)
{
	uint32_t mask = 1;
	while (mask < cap)
		mask = mask << 1 | 1;
	return mask;
}

/*
 * min(want, cap) for a helper's size argument. LLVM may turn the min into
 * a branch that leaves the verifier with an unbounded copy of the value;
 * the AND with cg_len_mask(cap) bounds the register the helper gets, so
 * the destination needs cg_len_mask(cap) bytes of room.
 */
LLVMValueRef cg_clamp_len(struct cg *c, LLVMValueRef want, uint32_t cap)
{
	LLVMValueRef big = LLVMBuildICmp(c->b, LLVMIntUGT, want, cg_const(c, cap), "");
	LLVMValueRef size = LLVMBuildSelect(c->b, big, cg_const(c, cap), want, "");
	return LLVMBuildAnd(c->b, size, cg_const(c, cg_len_mask(cap)), "");
}

bool cg_user_addresses(const struct cg *c)
{
	/* an integer address is a user address in uprobe-like probes (uprobe, uretprobe, usdt) */
	return c->attach && c->attach->type && c->attach->type[0] == 'u';
}

/* Values from this size on live in the per-CPU scratch region (program.h), not on the stack. */
#define SCRATCH_MIN_BYTES 64
/* Smaller ones too (but integers) once the program's stack slots reach this: LLVM needs the rest of the 512 bytes. */
#define STACK_SLOTS_MAX 256
/* Larger zeroing and copies go through bpf_probe_read_kernel: the BPF backend expands no big memset/memcpy. */
#define INLINE_MEM_MAX 256

/* This CPU's scratch region, computed once in the entry block of the function being built. */
static LLVMValueRef scratch_base(struct cg *c)
{
	if (c->scratch_base)
		return c->scratch_base;
	LLVMBuilderRef code = c->b;
	c->b = c->alloca_b;
	LLVMTypeRef pt[] = { c->i64, c->i64 };
	LLVMValueRef args[] = { cg_const(c, BPF_PSEUDO_MAP_VALUE_KIND), cg_const(c, (uint64_t)c->p->scratch_fd) };
	LLVMValueRef addr = LLVMBuildCall2(c->b, LLVMFunctionType(c->i64, pt, 2, 0), c->pseudo, args, 2, "scratch");
	LLVMValueRef cpu = cg_helper(c, H_SMP_PROCESSOR_ID, NULL, 0);
	cpu = LLVMBuildAnd(c->b, cpu, cg_const(c, c->p->scratch_cpus - 1), "");
	LLVMValueRef off = LLVMBuildMul(c->b, cpu, cg_const(c, SCRATCH_CPU_BYTES), "");
	c->scratch_base = cg_ptr_at(c, LLVMBuildIntToPtr(c->b, addr, c->i8p, ""), off);
	c->b = code;
	return c->scratch_base;
}

/*
 * Stack slots all live in the entry block, so each is one fixed stack area;
 * large ones are fixed areas of the scratch region instead, distinct for
 * every function of the program (loop callbacks run inside their probe).
 */
LLVMValueRef cg_alloca(struct cg *c, uint32_t size, const char *name)
{
	uint32_t rounded = (size + 7) & ~7u;
	/* integers stay on the stack: the verifier follows loop counters only there */
	bool big = size >= SCRATCH_MIN_BYTES || (size > 8 && c->stack_used + rounded > STACK_SLOTS_MAX);
	if (big && c->p->scratch_cpus && c->scratch_used + rounded <= c->scratch_end) {
		LLVMValueRef base = scratch_base(c);
		LLVMValueRef off = cg_const(c, c->scratch_used);
		c->scratch_used += rounded;
		return LLVMBuildGEP2(c->alloca_b, c->i8, base, &off, 1, name);
	}
	return cg_stack_slot(c, size, name);
}

LLVMValueRef cg_stack_slot(struct cg *c, uint32_t size, const char *name)
{
	c->stack_used += (size + 7) & ~7u;
	LLVMTypeRef ty = LLVMArrayType(c->i8, size ? size : 1);
	LLVMValueRef a = LLVMBuildAlloca(c->alloca_b, ty, name);
	LLVMSetAlignment(a, 8);
	return LLVMBuildBitCast(c->alloca_b, a, c->i8p, "");
}

void cg_zero(struct cg *c, LLVMValueRef ptr, uint32_t size)
{
	if (size > INLINE_MEM_MAX) { /* a failed read zeroes its destination */
		LLVMValueRef args[] = { ptr, LLVMConstInt(c->i32, size, 0), LLVMConstNull(c->i8p) };
		cg_helper(c, H_PROBE_READ_KERNEL, args, 3);
		return;
	}
	LLVMBuildMemSet(c->b, ptr, LLVMConstInt(c->i8, 0, 0), cg_const(c, size), 8);
}

void cg_copy(struct cg *c, LLVMValueRef dst, unsigned dst_align, LLVMValueRef src, unsigned src_align,
	     uint32_t size)
{
	if (size > INLINE_MEM_MAX) {
		LLVMValueRef args[] = { dst, LLVMConstInt(c->i32, size, 0), src };
		cg_helper(c, H_PROBE_READ_KERNEL, args, 3);
	} else if (size) {
		LLVMBuildMemCpy(c->b, dst, dst_align, src, src_align, cg_const(c, size));
	}
}

LLVMValueRef cg_ptr_at(struct cg *c, LLVMValueRef base, LLVMValueRef off)
{
	return LLVMBuildGEP2(c->b, c->i8, base, &off, 1, "");
}

LLVMValueRef cg_ptr_off(struct cg *c, LLVMValueRef base, uint32_t off)
{
	return off ? cg_ptr_at(c, base, cg_const(c, off)) : base;
}

static LLVMTypeRef int_type(struct cg *c, uint32_t size)
{
	return LLVMIntTypeInContext(c->ctx, size * 8);
}

void cg_store_int(struct cg *c, LLVMValueRef base, uint32_t off, LLVMValueRef v, uint32_t size, unsigned align)
{
	LLVMTypeRef ty = int_type(c, size);
	if (size < 8)
		v = LLVMBuildTrunc(c->b, v, ty, "");
	LLVMValueRef p = LLVMBuildBitCast(c->b, cg_ptr_off(c, base, off), LLVMPointerType(ty, 0), "");
	LLVMSetAlignment(LLVMBuildStore(c->b, v, p), align);
}

LLVMValueRef cg_load_int(struct cg *c, LLVMValueRef base, uint32_t off, uint32_t size, bool is_signed,
			 unsigned align)
{
	LLVMTypeRef ty = int_type(c, size);
	LLVMValueRef p = LLVMBuildBitCast(c->b, cg_ptr_off(c, base, off), LLVMPointerType(ty, 0), "");
	LLVMValueRef v = LLVMBuildLoad2(c->b, ty, p, "");
	LLVMSetAlignment(v, align < size ? align : size);
	if (size >= 8)
		return v;
	return is_signed ? LLVMBuildSExt(c->b, v, c->i64, "") : LLVMBuildZExt(c->b, v, c->i64, "");
}

/* Helpers take integers and i8* and return a 64-bit value; called through their id. */
LLVMValueRef cg_helper(struct cg *c, int id, LLVMValueRef *args, unsigned n)
{
	LLVMTypeRef params[5];
	for (unsigned i = 0; i < n; i++)
		params[i] = LLVMTypeOf(args[i]);
	LLVMTypeRef ft = LLVMFunctionType(c->i64, params, n, 0);
	LLVMValueRef fp = LLVMConstIntToPtr(cg_const(c, (uint64_t)id), LLVMPointerType(ft, 0));
	return LLVMBuildCall2(c->b, ft, fp, args, n, "");
}

LLVMValueRef cg_map_ptr(struct cg *c, int fd)
{
	LLVMTypeRef pt[] = { c->i64, c->i64 };
	LLVMTypeRef ft = LLVMFunctionType(c->i64, pt, 2, 0);
	LLVMValueRef args[] = { cg_const(c, BPF_PSEUDO_MAP_FD_KIND), cg_const(c, (uint64_t)(int64_t)fd) };
	LLVMValueRef v = LLVMBuildCall2(c->b, ft, c->pseudo, args, 2, "map");
	return LLVMBuildIntToPtr(c->b, v, c->i8p, "");
}

struct cg_var *cg_var(struct cg *c, const char *name, const struct type *t)
{
	for (size_t i = 0; i < c->nvars; i++)
		if (!strcmp(c->vars[i].name, name))
			return &c->vars[i];
	if (c->nvars == c->vars_cap) {
		c->vars_cap = c->vars_cap ? c->vars_cap * 2 : 8;
		c->vars = arena_grow(&c->p->arena, c->vars, c->nvars, c->vars_cap, sizeof(*c->vars));
	}
	/* in a for loop's body, the probe's variable (codegen_loops.c) */
	LLVMValueRef shared = c->loop ? cg_loop_capture(c, name, t) : NULL;
	struct cg_var *v = &c->vars[c->nvars++];
	uint32_t size = type_in_memory(t) ? t->size : 8;
	v->name = name;
	v->type = t;
	if (shared) {
		v->slot = shared;
		return v;
	}
	v->slot = cg_alloca(c, size, name);
	/* zeroed up front: a variable set on one branch only may be read after it */
	LLVMBuilderRef saved = c->b;
	c->b = c->alloca_b;
	cg_zero(c, v->slot, size);
	c->b = saved;
	return v;
}

/* ---- maps ---- */

static const struct prog_map *map_of(struct cg *c, const struct node *n)
{
	int i = prog_map_find(c->p, n->u.map.name);
	return i < 0 ? NULL : &c->p->maps[i];
}

/*
 * A zeroed key buffer for map m filled from `keys` (key padding must be zero
 * for lookups to match). Histograms leave room for the bucket after the key.
 */
static LLVMValueRef build_key(struct cg *c, const struct prog_map *m, struct node *keys)
{
	LLVMValueRef key = cg_alloca(c, m->key_size, "key");
	cg_zero(c, key, m->key_size);
	if (!m->key)
		return key; /* scalar maps use key 0 */
	if (m->key->kind != T_TUPLE || (keys && !keys->next && keys->type->kind == T_TUPLE)) { /* @m[k], @m[(k1, k2)] */
		cg_store_value(c, key, 0, m->key, keys);
		return key;
	}
	uint32_t i = 0;
	for (struct node *k = keys; k && i < m->key->nfields; k = k->next, i++)
		cg_store_value(c, key, m->key->fields[i].offset, m->key->fields[i].type, k);
	return key;
}

static LLVMValueRef lookup(struct cg *c, const struct prog_map *m, LLVMValueRef key)
{
	LLVMValueRef args[] = { cg_map_ptr(c, m->fd), key };
	LLVMValueRef v = cg_helper(c, H_MAP_LOOKUP, args, 2);
	return LLVMBuildIntToPtr(c->b, v, c->i8p, "value");
}

static void update(struct cg *c, const struct prog_map *m, LLVMValueRef key, LLVMValueRef value)
{
	LLVMValueRef args[] = { cg_map_ptr(c, m->fd), key, value, cg_const(c, BPF_ANY) };
	cg_check_update(c, cg_helper(c, H_MAP_UPDATE, args, 4), COUNTER_MAP(m - c->p->maps));
}

/* Branch on whether a lookup found the key; the builder ends in the `found` block. */
void cg_branch_found(struct cg *c, LLVMValueRef ptr, LLVMBasicBlockRef found, LLVMBasicBlockRef missing)
{
	LLVMValueRef is_null = LLVMBuildIsNull(c->b, ptr, "missing");
	LLVMBuildCondBr(c->b, is_null, missing, found);
	LLVMPositionBuilderAtEnd(c->b, found);
}

void cg_map_update(struct cg *c, const struct prog_map *m, LLVMValueRef key, LLVMValueRef value)
{
	update(c, m, key, value);
}

const struct prog_map *cg_map_of(struct cg *c, const struct node *map)
{
	return map_of(c, map);
}

LLVMValueRef cg_map_key(struct cg *c, const struct prog_map *m, struct node *keys)
{
	return build_key(c, m, keys);
}

LLVMValueRef cg_map_value_addr(struct cg *c, struct node *n)
{
	const struct prog_map *m = map_of(c, n);
	LLVMValueRef ptr = lookup(c, m, build_key(c, m, n->u.map.keys));
	/* through a stack slot, set on the branch that checked for NULL: the verifier
	 * allows no arithmetic on a map_value_or_null */
	LLVMValueRef slot = cg_alloca(c, 8, "value_addr");
	cg_store_int(c, slot, 0, cg_const(c, 0), 8, 8);
	LLVMBasicBlockRef found = cg_block(c, "addr_found"), done = cg_block(c, "addr_done");
	cg_branch_found(c, ptr, found, done);
	cg_store_int(c, slot, 0, LLVMBuildPtrToInt(c->b, ptr, c->i64, ""), 8, 8);
	LLVMBuildBr(c->b, done);
	LLVMPositionBuilderAtEnd(c->b, done);
	return cg_load_int(c, slot, 0, 8, false, 8);
}

LLVMValueRef cg_map_read(struct cg *c, struct node *n)
{
	const struct prog_map *m = map_of(c, n);
	if (m->agg != AGG_NONE) /* count, sum, min, max, avg over every CPU (codegen_loops.c) */
		return cg_agg_read(c, m, build_key(c, m, n->u.map.keys));
	bool string = type_in_memory(m->value);
	uint32_t size = string ? m->value->size : 8;
	LLVMValueRef out = cg_alloca(c, size, "read");
	cg_zero(c, out, size);
	LLVMValueRef ptr = lookup(c, m, build_key(c, m, n->u.map.keys));
	/* a key that is not there is reported at -kk, as bpftrace 0.17 does (-k: other helpers) */
	cg_check_helper(c, H_MAP_LOOKUP, LLVMBuildPtrToInt(c->b, ptr, c->i64, ""), 2);
	LLVMBasicBlockRef found = cg_block(c, "found"), done = cg_block(c, "read_done");
	cg_branch_found(c, ptr, found, done);
	cg_copy(c, out, 8, ptr, 8, size);
	LLVMBuildBr(c->b, done);
	LLVMPositionBuilderAtEnd(c->b, done);
	return string ? out : cg_load_int(c, out, 0, 8, false, 8);
}

static void map_assign(struct cg *c, const struct prog_map *m, struct node *target, struct node *value)
{
	LLVMValueRef key = build_key(c, m, target->u.map.keys);
	LLVMValueRef val = cg_alloca(c, m->value_size, "val");
	cg_zero(c, val, m->value_size);
	cg_store_value(c, val, 0, m->value, value);
	update(c, m, key, val);
}

/*
 * Aggregations update this CPU's value in place, or create it: {a, b} are
 * the first two u64 words of the new value (count 1, sum n, min {n, 1}...).
 */
static void agg_update(struct cg *c, const struct prog_map *m, LLVMValueRef key, LLVMValueRef v)
{
	LLVMValueRef ptr = lookup(c, m, key);
	LLVMBasicBlockRef found = cg_block(c, "agg_found"), missing = cg_block(c, "agg_new"),
			  done = cg_block(c, "agg_done");
	cg_branch_found(c, ptr, found, missing);
	switch (m->agg) {
	case AGG_COUNT:
	case AGG_SUM:
	case AGG_HIST:
	case AGG_LHIST:
		cg_store_int(c, ptr, 0, LLVMBuildAdd(c->b, cg_load_int(c, ptr, 0, 8, false, 8), v, ""), 8, 8);
		break;
	case AGG_AVG:
	case AGG_STATS:
		cg_store_int(c, ptr, 0, LLVMBuildAdd(c->b, cg_load_int(c, ptr, 0, 8, false, 8), v, ""), 8, 8);
		cg_store_int(c, ptr, 8, LLVMBuildAdd(c->b, cg_load_int(c, ptr, 8, 8, false, 8), cg_const(c, 1), ""), 8, 8);
		break;
	case AGG_MIN:
	case AGG_MAX: {
		LLVMValueRef cur = cg_load_int(c, ptr, 0, 8, false, 8);
		LLVMValueRef unset = LLVMBuildICmp(c->b, LLVMIntEQ, cg_load_int(c, ptr, 8, 8, false, 8),
						   cg_const(c, 0), "");
		bool is_signed = m->value->is_signed;
		LLVMIntPredicate better = m->agg == AGG_MIN ? (is_signed ? LLVMIntSLT : LLVMIntULT)
							    : (is_signed ? LLVMIntSGT : LLVMIntUGT);
		LLVMValueRef take = LLVMBuildOr(c->b, unset, LLVMBuildICmp(c->b, better, v, cur, ""), "");
		LLVMBasicBlockRef set = cg_block(c, "agg_set");
		LLVMBuildCondBr(c->b, take, set, done);
		LLVMPositionBuilderAtEnd(c->b, set);
		cg_store_int(c, ptr, 0, v, 8, 8);
		cg_store_int(c, ptr, 8, cg_const(c, 1), 8, 8);
		break;
	}
	case AGG_NONE:
	case AGG_TSERIES: /* cg_tseries_update */
		break;
	}
	LLVMBuildBr(c->b, done);

	LLVMPositionBuilderAtEnd(c->b, missing);
	LLVMValueRef init = cg_alloca(c, 16, "agg_init");
	cg_zero(c, init, 16);
	cg_store_int(c, init, 0, v, 8, 8);
	if (m->agg != AGG_COUNT && m->agg != AGG_SUM && m->agg != AGG_HIST && m->agg != AGG_LHIST)
		cg_store_int(c, init, 8, cg_const(c, 1), 8, 8);
	update(c, m, key, init);
	LLVMBuildBr(c->b, done);
	LLVMPositionBuilderAtEnd(c->b, done);
}

/* log2 bucket per program.h: 0 for n < 0, 1 for 0, else 2 + floor(log2(n)). */
/*
 * log2 bucket with 2^k buckets per power of two (program.h): 0 below zero,
 * v + 1 for v < 2^k, else ((l + 1) << k) + x + 1 where l = floor(log2 v) - k
 * and x is the k bits after v's leading one (k = 0: 1 for 0, log2 v + 2).
 */
static LLVMValueRef hist_bucket(struct cg *c, LLVMValueRef v, unsigned k)
{
	LLVMValueRef log = cg_const(c, 0), x = v;
	for (unsigned shift = 32; shift; shift /= 2) {
		LLVMValueRef big = LLVMBuildICmp(c->b, LLVMIntUGE, x, cg_const(c, 1ull << shift), "");
		x = LLVMBuildSelect(c->b, big, LLVMBuildLShr(c->b, x, cg_const(c, shift), ""), x, "");
		log = LLVMBuildSelect(c->b, big, LLVMBuildAdd(c->b, log, cg_const(c, shift), ""), log, "");
	}
	uint64_t mask = (1ull << k) - 1;
	LLVMValueRef l = LLVMBuildSub(c->b, log, cg_const(c, k), "");
	LLVMValueRef bits = LLVMBuildAnd(c->b, LLVMBuildLShr(c->b, v, l, ""), cg_const(c, mask), "");
	LLVMValueRef b = LLVMBuildAdd(c->b, LLVMBuildShl(c->b, LLVMBuildAdd(c->b, l, cg_const(c, 1), ""), cg_const(c, k), ""),
				      LLVMBuildAdd(c->b, bits, cg_const(c, 1), ""), "");
	LLVMValueRef small = LLVMBuildICmp(c->b, LLVMIntULE, v, cg_const(c, mask), "");
	b = LLVMBuildSelect(c->b, small, LLVMBuildAdd(c->b, v, cg_const(c, 1), ""), b, "");
	LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, v, cg_const(c, 0), "");
	return LLVMBuildSelect(c->b, neg, cg_const(c, 0), b, "bucket");
}

/* linear bucket per program.h: 0 below min, 1 + (v - min) / step, the last index at or above max. */
static LLVMValueRef lhist_bucket(struct cg *c, const struct prog_map *m, LLVMValueRef v)
{
	int64_t min = m->hist_args[0], max = m->hist_args[1], step = m->hist_args[2];
	LLVMValueRef below = LLVMBuildICmp(c->b, LLVMIntSLT, v, cg_const(c, (uint64_t)min), "");
	LLVMValueRef above = LLVMBuildICmp(c->b, LLVMIntSGE, v, cg_const(c, (uint64_t)max), "");
	LLVMValueRef in = LLVMBuildUDiv(c->b, LLVMBuildSub(c->b, v, cg_const(c, (uint64_t)min), ""),
					cg_const(c, (uint64_t)step), "");
	LLVMValueRef b = LLVMBuildAdd(c->b, in, cg_const(c, 1), "");
	uint64_t last = (uint64_t)((max - min) / step + 1);
	b = LLVMBuildSelect(c->b, above, cg_const(c, last), b, "");
	return LLVMBuildSelect(c->b, below, cg_const(c, 0), b, "bucket");
}

static void agg_assign(struct cg *c, const struct prog_map *m, struct node *target, struct node *call)
{
	LLVMValueRef v = m->agg == AGG_COUNT ? cg_const(c, 1) : cg_scalar(c, call->u.call.args);
	LLVMValueRef key = build_key(c, m, target->u.map.keys);
	if (m->agg == AGG_HIST || m->agg == AGG_LHIST) {
		LLVMValueRef bucket = m->agg == AGG_HIST ? hist_bucket(c, v, (unsigned)m->hist_args[0])
							    : lhist_bucket(c, m, v);
		uint32_t off = m->key ? m->key->size : 0;
		cg_store_int(c, key, off, bucket, 8, cg_align_of(off));
		v = cg_const(c, 1);
	}
	(m->agg == AGG_TSERIES ? cg_tseries_update : agg_update)(c, m, key, v);
}

LLVMValueRef cg_map_add(struct cg *c, struct node *target, LLVMValueRef delta)
{
	const struct prog_map *m = map_of(c, target);
	if (m->agg == AGG_COUNT || m->agg == AGG_SUM) {
		agg_update(c, m, build_key(c, m, target->u.map.keys), delta);
		return cg_const(c, 0);
	}
	/* plain maps: read (0 if missing), add, write back */
	LLVMValueRef now = LLVMBuildAdd(c->b, cg_map_read(c, target), delta, "");
	LLVMValueRef key = build_key(c, m, target->u.map.keys);
	LLVMValueRef val = cg_alloca(c, 8, "val");
	cg_store_int(c, val, 0, now, 8, 8);
	update(c, m, key, val);
	return now;
}

/*
 * Payload values are computed into stack temporaries first: they may branch
 * (map reads), which must not happen while a ring-buffer record is held.
 */
LLVMValueRef cg_staged(struct cg *c, const struct type *t, struct node *n)
{
	uint32_t size = type_in_memory(t) ? t->size : 8;
	LLVMValueRef tmp = cg_alloca(c, size, "arg");
	cg_zero(c, tmp, size);
	cg_store_value(c, tmp, 0, t, n);
	return tmp;
}

/* exit() ends the probe too, like bpftrace; code after it is unreachable. */
static void emit_return(struct cg *c)
{
	if (c->loop) { /* a for loop's callback: it leaves the probe (codegen_loops.c) */
		cg_loop_return(c);
		return;
	}
	LLVMBuildRet(c->b, cg_const(c, 0));
	LLVMPositionBuilderAtEnd(c->b, cg_block(c, "after_return"));
}

/* ---- statements ---- */

static void stmt(struct cg *c, struct node *n);

/* An expression evaluated for its effects; a ternary of statements runs one arm. */
static void expr_stmt(struct cg *c, struct node *e)
{
	if (e->kind == N_CALL) {
		cg_call_stmt(c, e);
	} else if (e->kind == N_TERNARY && e->type && e->type->kind == T_NONE) {
		LLVMBasicBlockRef then = cg_block(c, "then"), else_ = cg_block(c, "else"), done = cg_block(c, "done");
		LLVMBuildCondBr(c->b, cg_cond(c, e->u.ternary.cond), then, else_);
		LLVMPositionBuilderAtEnd(c->b, then);
		expr_stmt(c, e->u.ternary.then);
		LLVMBuildBr(c->b, done);
		LLVMPositionBuilderAtEnd(c->b, else_);
		expr_stmt(c, e->u.ternary.else_);
		LLVMBuildBr(c->b, done);
		LLVMPositionBuilderAtEnd(c->b, done);
	} else if (e->type && type_in_memory(e->type)) {
		cg_string(c, e);
	} else if (e->type) {
		cg_scalar(c, e);
	}
}

static void stmts(struct cg *c, struct node *list)
{
	for (struct node *n = list; n && !c->err; n = n->next)
		stmt(c, n);
}

/* The right side of x OP= value: p += n moves a pointer by n pointees. */
static LLVMValueRef compound_operand(struct cg *c, enum op op, const struct type *target, struct node *value)
{
	LLVMValueRef v = cg_scalar(c, value);
	if (op != OP_ADD && op != OP_SUB)
		return v;
	return LLVMBuildMul(c->b, v, cg_const(c, cg_ptr_step(target)), "");
}

static void assign(struct cg *c, struct node *n)
{
	struct node *target = n->u.assign.target, *value = n->u.assign.value;
	enum op op = n->u.assign.op;
	if (target->kind == N_VAR) {
		struct cg_var *v = cg_var(c, cg_var_key(target), target->type);
		if (op != OP_NONE) {
			LLVMValueRef old = cg_load_int(c, v->slot, 0, 8, false, 8);
			LLVMValueRef now = cg_binop_values(c, op, old, compound_operand(c, op, v->type, value),
							   int_op_unsigned(v->type, value->type));
			cg_store_int(c, v->slot, 0, now, 8, 8);
		} else if (v->type->kind == T_RECORD && sema_is_walk(value) && value->type == v->type) {
			/* a record read through memory cannot overlap the variable: no temporary
			 * (a failed read zeroes the variable) */
			cg_store_value(c, v->slot, 0, v->type, value);
		} else if (type_in_memory(v->type)) {
			/* through a temporary: the value may read the variable itself */
			LLVMValueRef tmp = cg_staged(c, v->type, value);
			cg_copy(c, v->slot, 8, tmp, 8, v->type->size);
		} else {
			cg_store_int(c, v->slot, 0, cg_scalar(c, value), 8, 8);
		}
		return;
	}
	const struct prog_map *m = map_of(c, target);
	if (op == OP_NONE && m->agg != AGG_NONE) {
		agg_assign(c, m, target, value);
	} else if (op == OP_ADD && (m->agg == AGG_COUNT || m->agg == AGG_SUM)) {
		cg_map_add(c, target, cg_scalar(c, value));
	} else if (op != OP_NONE) {
		LLVMValueRef now = cg_binop_values(c, op, cg_map_read(c, target), compound_operand(c, op, target->type, value),
						   int_op_unsigned(m->value, value->type));
		LLVMValueRef key = build_key(c, m, target->u.map.keys);
		LLVMValueRef val = cg_alloca(c, 8, "val");
		cg_store_int(c, val, 0, now, 8, 8);
		update(c, m, key, val);
	} else {
		map_assign(c, m, target, value);
	}
}

static void if_stmt(struct cg *c, struct node *n)
{
	LLVMBasicBlockRef then = cg_block(c, "if_then"), done = cg_block(c, "if_done");
	LLVMBasicBlockRef else_ = n->u.if_.else_ ? cg_block(c, "if_else") : done;
	LLVMBuildCondBr(c->b, cg_cond(c, n->u.if_.cond), then, else_);
	LLVMPositionBuilderAtEnd(c->b, then);
	stmt(c, n->u.if_.then);
	LLVMBuildBr(c->b, done);
	if (n->u.if_.else_) {
		LLVMPositionBuilderAtEnd(c->b, else_);
		stmt(c, n->u.if_.else_);
		LLVMBuildBr(c->b, done);
	}
	LLVMPositionBuilderAtEnd(c->b, done);
}

static void while_stmt(struct cg *c, struct node *n)
{
	LLVMBasicBlockRef head = cg_block(c, "while_cond"), body = cg_block(c, "while_body"),
			  done = cg_block(c, "while_done");
	if (c->nloops == MAX_LOOP_DEPTH) {
		cg_fail(c, &n->loc, "loops nested too deeply (at most %d)", MAX_LOOP_DEPTH);
		return;
	}
	LLVMBuildBr(c->b, head);
	LLVMPositionBuilderAtEnd(c->b, head);
	LLVMBuildCondBr(c->b, cg_cond(c, n->u.loop.cond), body, done);
	LLVMPositionBuilderAtEnd(c->b, body);
	c->loop_break[c->nloops] = done;
	c->loop_continue[c->nloops++] = head;
	stmt(c, n->u.loop.body);
	c->nloops--;
	LLVMBuildBr(c->b, head);
	LLVMPositionBuilderAtEnd(c->b, done);
}

static void stmt(struct cg *c, struct node *n)
{
	switch (n->kind) {
	case N_BLOCK:
		stmts(c, n->u.list.head);
		break;
	case N_EXPR_STMT:
		expr_stmt(c, n->u.unary.operand);
		break;
	case N_ASSIGN:
		assign(c, n);
		break;
	case N_IF:
		if_stmt(c, n);
		break;
	case N_UNROLL:
		for (uint64_t i = 0; i < n->u.loop.cond->u.integer.value && !c->err; i++)
			stmt(c, n->u.loop.body);
		break;
	case N_WHILE:
		while_stmt(c, n);
		break;
	case N_BREAK:
	case N_CONTINUE:
		if (!c->nloops && c->loop) {
			cg_loop_jump(c, n->kind == N_BREAK);
			break;
		}
		LLVMBuildBr(c->b, (n->kind == N_BREAK ? c->loop_break : c->loop_continue)[c->nloops - 1]);
		LLVMPositionBuilderAtEnd(c->b, cg_block(c, "after_jump"));
		break;
	case N_RETURN:
		if (n->u.unary.operand)
			cg_scalar(c, n->u.unary.operand);
		emit_return(c);
		break;
	case N_FOR_MAP:
	case N_FOR_RANGE:
		cg_for(c, n);
		break;
	default:
		cg_let(c, n);
		break;
	}
}

void cg_stmt(struct cg *c, struct node *n)
{
	stmt(c, n);
}

void cg_return(struct cg *c)
{
	emit_return(c);
}

/* ---- functions and the module ---- */

static const char *section_name(struct cg *c, const struct prog_func *f, size_t i)
{
	struct arena *a = &c->p->arena;
	switch (f->prog_type) {
	case BPF_PROG_TYPE_TRACEPOINT: return arena_printf(a, "tracepoint/strobe_%zu", i);
	case BPF_PROG_TYPE_PERF_EVENT: return "perf_event";
	case BPF_PROG_TYPE_RAW_TRACEPOINT: return arena_printf(a, "raw_tp/strobe_%zu", i);
	case BPF_PROG_TYPE_KPROBE: return arena_printf(a, "kprobe/strobe_%zu", i);
	/* the loader sets the attach target (libbpf does not read it from here) */
	case BPF_PROG_TYPE_TRACING: return arena_printf(a, "fentry/strobe_%zu", i);
	default: return NULL;
	}
}

/*
 * The dispatch prologue (program.h, struct prog_dispatch): return unless the
 * u64 at ctx_offset is a traced value; then `probe` is the map's name index.
 * The entry function also checks the task; the dispatcher tail-calls.
 */
static void emit_dispatch(struct cg *c, const struct prog_func *f)
{
	const struct prog_dispatch *d = f->dispatch;
	LLVMBasicBlockRef skip = cg_block(c, "not_traced");
	LLVMValueRef key = cg_alloca(c, 4, "dispatch_key");
	LLVMValueRef nr = cg_load_int(c, c->ctxp, d->ctx_offset, 8, false, 8);
	LLVMBasicBlockRef in = cg_block(c, "dispatch_in_range");
	LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntULT, nr, cg_const(c, d->max_entries), ""), in,
			skip);
	LLVMPositionBuilderAtEnd(c->b, in);
	cg_store_int(c, key, 0, nr, 4, 4);
	LLVMValueRef args[] = { cg_map_ptr(c, d->map_fd), key };
	LLVMValueRef ptr = LLVMBuildIntToPtr(c->b, cg_helper(c, H_MAP_LOOKUP, args, 2), c->i8p, "");
	LLVMBasicBlockRef found = cg_block(c, "dispatch_found");
	LLVMBuildCondBr(c->b, LLVMBuildIsNull(c->b, ptr, ""), skip, found);
	LLVMPositionBuilderAtEnd(c->b, found);
	LLVMValueRef v = cg_load_int(c, ptr, 0, 8, false, 8);
	LLVMValueRef idx = LLVMBuildAnd(c->b, v, cg_const(c, 0xffffffffu), "");
	LLVMBasicBlockRef traced = cg_block(c, "dispatch_traced");
	LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, idx, cg_const(c, 0), ""), skip, traced);
	LLVMPositionBuilderAtEnd(c->b, traced);
	if (d->task_offset >= 0 && (f->dispatcher || d->nfuncs == 1)) {
		LLVMValueRef task = LLVMBuildIntToPtr(c->b, cg_helper(c, H_GET_CURRENT_TASK_BTF, NULL, 0),
						      c->i8p, "task");
		LLVMValueRef word = cg_load_int(c, task, (uint32_t)d->task_offset, 4, false, 4);
		LLVMValueRef bad = LLVMBuildICmp(c->b, LLVMIntNE,
						 LLVMBuildAnd(c->b, word, cg_const(c, d->task_mask), ""),
						 cg_const(c, 0), "");
		LLVMBasicBlockRef ok = cg_block(c, "dispatch_task_ok");
		LLVMBuildCondBr(c->b, bad, skip, ok);
		LLVMPositionBuilderAtEnd(c->b, ok);
	}
	if (f->dispatcher) {
		LLVMValueRef slot = LLVMBuildLShr(c->b, v, cg_const(c, 32), "slot");
		LLVMValueRef targs[] = { c->ctxp, cg_map_ptr(c, d->progs_fd), slot };
		cg_helper(c, H_TAIL_CALL, targs, 3); /* returns only if the slot is empty */
	} else {
		c->probe_index = LLVMBuildSub(c->b, idx, cg_const(c, 1), "probe");
	}
	LLVMBasicBlockRef cont = LLVMGetInsertBlock(c->b);
	LLVMPositionBuilderAtEnd(c->b, skip);
	LLVMBuildRet(c->b, cg_const(c, 0));
	LLVMPositionBuilderAtEnd(c->b, cont);
}

static void emit_func(struct cg *c, const struct prog_func *f, size_t i)
{
	const char *section = section_name(c, f, i);
	if (!section) {
		cg_fail(c, &f->probe->ast->loc, "BPF program type %d is not supported by codegen yet",
			f->prog_type);
		return;
	}
	LLVMTypeRef ft = LLVMFunctionType(c->i64, &c->i8p, 1, 0);
	c->fn = LLVMAddFunction(c->mod, f->name, ft);
	LLVMSetSection(c->fn, section);
	/* no unwind tables: libbpf would warn about an .eh_frame section */
	unsigned nounwind = LLVMGetEnumAttributeKindForName("nounwind", 8);
	LLVMAddAttributeAtIndex(c->fn, LLVMAttributeFunctionIndex,
				LLVMCreateEnumAttribute(c->ctx, nounwind, 0));
	c->ctxp = LLVMGetParam(c->fn, 0);
	c->func = f;
	c->attach = f->nattach ? &f->probe->attach[f->attach_idx[0]] : NULL;
	c->nvars = 0;
	c->nloops = 0;
	/* perf event programs run in NMI context, maybe inside another program on this CPU: their own half */
	bool nmi = f->prog_type == BPF_PROG_TYPE_PERF_EVENT;
	c->scratch_base = NULL;
	c->stack_used = 0;
	c->scratch_used = nmi ? SCRATCH_CPU_BYTES / 2 : 0;
	c->scratch_end = nmi ? SCRATCH_CPU_BYTES : SCRATCH_CPU_BYTES / 2;
	c->probe_index = NULL;
	LLVMBasicBlockRef entry = cg_block(c, "entry"), body = cg_block(c, "body");
	LLVMPositionBuilderAtEnd(c->alloca_b, entry);
	LLVMPositionBuilderAtEnd(c->b, body);

	if (f->probe->kind == PROBE_PROVIDER && c->p->stop_fd >= 0) {
		/* The stop flag (program.h): one load, no helper call. */
		LLVMTypeRef pt[] = { c->i64, c->i64 };
		LLVMTypeRef pft = LLVMFunctionType(c->i64, pt, 2, 0);
		LLVMValueRef args[] = { cg_const(c, BPF_PSEUDO_MAP_VALUE_KIND),
					cg_const(c, (uint64_t)c->p->stop_fd) };
		LLVMValueRef addr = LLVMBuildCall2(c->b, pft, c->pseudo, args, 2, "stop");
		LLVMValueRef flag = cg_load_int(c, LLVMBuildIntToPtr(c->b, addr, c->i8p, ""), 0, 8, false, 8);
		LLVMBasicBlockRef run = cg_block(c, "running"), stopped = cg_block(c, "stopped");
		LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntNE, flag, cg_const(c, 0), ""), stopped, run);
		LLVMPositionBuilderAtEnd(c->b, stopped);
		LLVMBuildRet(c->b, cg_const(c, 0));
		LLVMPositionBuilderAtEnd(c->b, run);
	}
	if (f->dispatch)
		emit_dispatch(c, f);
	if (f->dispatcher) {
		LLVMBuildRet(c->b, cg_const(c, 0));
		LLVMBuildBr(c->alloca_b, body);
		return;
	}
	struct node *probe = f->probe->ast;
	/* -p PID: the process's events only (bpftrace 0.24); an interval timer belongs to no process */
	if (f->probe->kind == PROBE_PROVIDER && c->p->filter_pid && !(c->attach && !strcmp(c->attach->type, "interval"))) {
		LLVMValueRef tgid = LLVMBuildLShr(c->b, cg_helper(c, H_CURRENT_PID_TGID, NULL, 0), cg_const(c, 32), "");
		LLVMBasicBlockRef mine = cg_block(c, "pid_match"), other = cg_block(c, "pid_other");
		LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, tgid, cg_const(c, c->p->filter_pid), ""), mine, other);
		LLVMPositionBuilderAtEnd(c->b, other);
		LLVMBuildRet(c->b, cg_const(c, 0));
		LLVMPositionBuilderAtEnd(c->b, mine);
	}
	/* --cgroup/--container: tasks in that cgroup or below it, the way -p filters */
	if (f->probe->kind == PROBE_PROVIDER && c->p->filter_cgroup && !(c->attach && !strcmp(c->attach->type, "interval"))) {
		LLVMValueRef level = cg_const(c, c->p->cgroup_level);
		LLVMValueRef id = cg_helper(c, H_CURRENT_ANCESTOR_CGROUP_ID, &level, 1);
		LLVMBasicBlockRef in = cg_block(c, "cgroup_in"), out = cg_block(c, "cgroup_out");
		LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, id, cg_const(c, c->p->cgroup_id), ""), in, out);
		LLVMPositionBuilderAtEnd(c->b, out);
		LLVMBuildRet(c->b, cg_const(c, 0));
		LLVMPositionBuilderAtEnd(c->b, in);
	}
	if (probe->u.probe.filter) {
		LLVMBasicBlockRef pass = cg_block(c, "filter_pass"), skip = cg_block(c, "filter_skip");
		LLVMBuildCondBr(c->b, cg_cond(c, probe->u.probe.filter), pass, skip);
		LLVMPositionBuilderAtEnd(c->b, skip);
		LLVMBuildRet(c->b, cg_const(c, 0));
		LLVMPositionBuilderAtEnd(c->b, pass);
	}
	stmt(c, probe->u.probe.body);
	LLVMBuildRet(c->b, cg_const(c, 0));
	LLVMBuildBr(c->alloca_b, body);
}

static void add_license(struct cg *c)
{
	LLVMValueRef lic = LLVMAddGlobal(c->mod, LLVMArrayType(c->i8, 4), "_license");
	LLVMSetInitializer(lic, LLVMConstStringInContext(c->ctx, "GPL", 3, 0));
	LLVMSetSection(lic, "license");
	LLVMSetAlignment(lic, 1);
}

int compile_codegen(struct node *ast, struct program *p, struct diags *d)
{
	(void)ast; /* functions reach their probes through p->funcs */
	if (!p->compile_state)
		return -EINVAL;
	struct cg c = { .p = p, .d = d };
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	c.start_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;

	LLVMTargetMachineRef tm = NULL;
	char *msg = NULL;
	int err = cg_init_target(&tm, &msg);
	if (err) {
		diag_error(d, NULL, "LLVM has no BPF target: %s", msg ? msg : "unknown error");
		LLVMDisposeMessage(msg);
		return err;
	}
	c.ctx = LLVMContextCreate();
	c.mod = LLVMModuleCreateWithNameInContext("strobe", c.ctx);
	LLVMSetTarget(c.mod, "bpfel");
	LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(tm);
	LLVMSetModuleDataLayout(c.mod, dl);
	LLVMDisposeTargetData(dl);
	c.b = LLVMCreateBuilderInContext(c.ctx);
	c.alloca_b = LLVMCreateBuilderInContext(c.ctx);
	c.i1 = LLVMInt1TypeInContext(c.ctx);
	c.i8 = LLVMInt8TypeInContext(c.ctx);
	c.i16 = LLVMInt16TypeInContext(c.ctx);
	c.i32 = LLVMInt32TypeInContext(c.ctx);
	c.i64 = LLVMInt64TypeInContext(c.ctx);
	c.i8p = LLVMPointerType(c.i8, 0);
	c.void_t = LLVMVoidTypeInContext(c.ctx);
	LLVMTypeRef pseudo_params[] = { c.i64, c.i64 };
	c.pseudo = LLVMAddFunction(c.mod, "llvm.bpf.pseudo", LLVMFunctionType(c.i64, pseudo_params, 2, 0));

	for (size_t i = 0; i < p->nfuncs && !c.err; i++)
		emit_func(&c, &p->funcs[i], i);
	add_license(&c);
	if (!c.err && c.ncallbacks)
		cg_debug_info(&c); /* codegen_loops.c */
	err = c.err ? c.err : cg_emit_objects(&c, tm); /* codegen_emit.c */

	LLVMDisposeBuilder(c.b);
	LLVMDisposeBuilder(c.alloca_b);
	LLVMDisposeModule(c.mod);
	LLVMContextDispose(c.ctx);
	LLVMDisposeTargetMachine(tm);
	return err;
}
