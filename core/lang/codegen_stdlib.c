/*
 * Codegen of bpftrace's later standard library (docs/stdlib.md, 0.22-0.26)
 * beyond a builtins.c emitter: the tseries() update.
 */
#include <linux/bpf.h>
#include <time.h>

#include "../btf.h"
#include "codegen_internal.h"

/*
 * tseries(v, interval_ns, intervals[, agg]), per program.h: the slot of this
 * interval holds its epoch, the combined value and how many were seen; a
 * slot of an older epoch starts over. Epochs count wall-clock intervals (the
 * monotonic clock plus CLOCK_REALTIME's offset from it now), so they begin
 * on round times as bpftrace prints them.
 */
void cg_tseries_update(struct cg *c, const struct prog_map *m, LLVMValueRef key, LLVMValueRef v)
{
	struct timespec rt, mono;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	uint64_t offset = ((uint64_t)rt.tv_sec - (uint64_t)mono.tv_sec) * 1000000000u + (uint64_t)rt.tv_nsec -
			  (uint64_t)mono.tv_nsec;
	LLVMValueRef now = LLVMBuildAdd(c->b, cg_helper(c, H_KTIME_GET_NS, NULL, 0), cg_const(c, offset), "");
	LLVMValueRef epoch = LLVMBuildUDiv(c->b, now, cg_const(c, (uint64_t)m->hist_args[0]), "epoch");
	uint32_t off = m->key ? m->key->size : 0;
	cg_store_int(c, key, off, LLVMBuildURem(c->b, epoch, cg_const(c, (uint64_t)m->hist_args[1]), ""), 8,
		     cg_align_of(off));

	LLVMValueRef largs[] = { cg_map_ptr(c, m->fd), key };
	LLVMValueRef ptr = LLVMBuildIntToPtr(c->b, cg_helper(c, H_MAP_LOOKUP, largs, 2), c->i8p, "slot");
	LLVMBasicBlockRef found = cg_block(c, "ts_found"), missing = cg_block(c, "ts_new"), done = cg_block(c, "ts_done");
	LLVMBuildCondBr(c->b, LLVMBuildIsNull(c->b, ptr, ""), missing, found);

	LLVMPositionBuilderAtEnd(c->b, found);
	LLVMValueRef cur = cg_load_int(c, ptr, 0, 8, false, 8), count = cg_load_int(c, ptr, 16, 8, false, 8);
	LLVMValueRef fresh = LLVMBuildICmp(c->b, LLVMIntNE, cg_load_int(c, ptr, 8, 8, false, 8), epoch, "");
	bool is_signed = m->value && m->value->is_signed;
	LLVMValueRef combined = v;
	switch (m->hist_args[2]) {
	case TSERIES_AVG:
	case TSERIES_SUM:
		combined = LLVMBuildAdd(c->b, cur, v, "");
		break;
	case TSERIES_MAX:
	case TSERIES_MIN: {
		LLVMIntPredicate better = m->hist_args[2] == TSERIES_MIN ? (is_signed ? LLVMIntSLT : LLVMIntULT)
									 : (is_signed ? LLVMIntSGT : LLVMIntUGT);
		combined = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, better, v, cur, ""), v, cur, "");
		break;
	}
	default: /* the last value */
		break;
	}
	cg_store_int(c, ptr, 0, LLVMBuildSelect(c->b, fresh, v, combined, ""), 8, 8);
	cg_store_int(c, ptr, 8, epoch, 8, 8);
	cg_store_int(c, ptr, 16, LLVMBuildSelect(c->b, fresh, cg_const(c, 1), LLVMBuildAdd(c->b, count, cg_const(c, 1), ""), ""),
		     8, 8);
	LLVMBuildBr(c->b, done);

	LLVMPositionBuilderAtEnd(c->b, missing);
	LLVMValueRef init = cg_alloca(c, 24, "ts_init");
	cg_store_int(c, init, 0, v, 8, 8);
	cg_store_int(c, init, 8, epoch, 8, 8);
	cg_store_int(c, init, 16, cg_const(c, 1), 8, 8);
	LLVMValueRef uargs[] = { cg_map_ptr(c, m->fd), key, init, cg_const(c, BPF_ANY) };
	cg_check_update(c, cg_helper(c, H_MAP_UPDATE, uargs, 4), COUNTER_MAP(m - c->p->maps));
	LLVMBuildBr(c->b, done);
	LLVMPositionBuilderAtEnd(c->b, done);
}

/* fail() and static_assert() that were not reached: the checker did all there was to do. */
void comptime_stmt(struct cg *c, struct node *n)
{
}

/* path(p[, size]): bpf_d_path into a zeroed string of the result's size ("" when it fails). */
LLVMValueRef path_bytes(struct cg *c, struct node *n)
{
	uint32_t size = n->type->size;
	LLVMValueRef buf = cg_alloca(c, size, "path");
	cg_zero(c, buf, size);
	LLVMValueRef args[] = { LLVMBuildIntToPtr(c->b, cg_scalar(c, n->u.call.args), c->i8p, "path_ptr"), buf,
				LLVMConstInt(c->i32, size, 0) };
	cg_helper(c, H_D_PATH, args, 3);
	return buf;
}

/* socket_cookie(sk): bpf_get_socket_cookie (sema: only in fentry/fexit, on a socket pointer). */
LLVMValueRef socket_cookie_value(struct cg *c, struct node *n)
{
	LLVMValueRef sk = LLVMBuildIntToPtr(c->b, cg_scalar(c, n->u.call.args), c->i8p, "sk");
	return cg_helper(c, H_GET_SOCKET_COOKIE, &sk, 1);
}

/*
 * percpu_kaddr("name"[, cpu]): the variable's BTF id loaded as a ksym
 * (ld_imm64 with BPF_PSEUDO_BTF_ID: what libbpf makes of a typed __ksym
 * extern; the upper half 0 is vmlinux), then bpf_this_cpu_ptr or
 * bpf_per_cpu_ptr on it.
 */
#define PSEUDO_BTF_ID_KIND 3 /* BPF_PSEUDO_BTF_ID */

LLVMValueRef percpu_kaddr_value(struct cg *c, struct node *n)
{
	struct node *a0 = n->u.call.args;
	int id = btf_percpu_var_id(a0->u.string.s);
	LLVMTypeRef pt[] = { c->i64, c->i64 };
	LLVMValueRef pargs[] = { cg_const(c, PSEUDO_BTF_ID_KIND), cg_const(c, (uint64_t)(id > 0 ? id : 0)) };
	LLVMValueRef ksym = LLVMBuildCall2(c->b, LLVMFunctionType(c->i64, pt, 2, 0), c->pseudo, pargs, 2, "ksym");
	LLVMValueRef args[] = { LLVMBuildIntToPtr(c->b, ksym, c->i8p, ""), NULL };
	if (!a0->next)
		return cg_helper(c, H_THIS_CPU_PTR, args, 1);
	args[1] = cg_scalar(c, a0->next);
	return cg_helper(c, H_PER_CPU_PTR, args, 2);
}
