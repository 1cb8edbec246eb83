/*
 * Codegen of expressions and of the builtins (pid, comm, argN...): scalars
 * are i64 values, strings are pointers to stack bytes.
 */
#include <linux/bpf.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../btf.h"
#include "codegen_internal.h"

/* x86-64 struct pt_regs slots (8 bytes each) of the first six arguments and the return value. */
static const int pt_regs_arg_slot[] = { 14 /* di */, 13 /* si */, 12 /* dx */, 11 /* cx */,
					9 /* r8 */, 8 /* r9 */ };
#define PT_REGS_AX_SLOT 10
#define PT_REGS_CS_SLOT 17
#define PT_REGS_SP_SLOT 19

static LLVMValueRef extend(struct cg *c, LLVMValueRef v, uint32_t size, bool is_signed)
{
	if (size >= 8)
		return v;
	LLVMValueRef t = LLVMBuildTrunc(c->b, v, LLVMIntTypeInContext(c->ctx, size * 8), "");
	return is_signed ? LLVMBuildSExt(c->b, t, c->i64, "") : LLVMBuildZExt(c->b, t, c->i64, "");
}

/* Read `size` bytes at an address into a zeroed stack slot, as an integer. */
static LLVMValueRef read_mem_int(struct cg *c, LLVMValueRef addr, uint32_t size, bool is_signed, bool user)
{
	LLVMValueRef tmp = cg_alloca(c, 8, "tmp");
	cg_zero(c, tmp, 8);
	LLVMValueRef args[] = { tmp, LLVMConstInt(c->i32, size > 8 ? 8 : size, 0),
				LLVMBuildIntToPtr(c->b, addr, c->i8p, "") };
	int h = user ? H_PROBE_READ_USER : H_PROBE_READ_KERNEL;
	cg_check_helper(c, h, cg_helper(c, h, args, 3), 2);
	return cg_load_int(c, tmp, 0, size > 8 ? 8 : size, is_signed, 8);
}

static const struct strobe_arg *find_arg(const struct probe_attach *a, const char *name);
static LLVMValueRef arg_value(struct cg *c, const struct strobe_arg *a, const struct type *t,
			      const struct loc *loc);

/* STROBE_ARG_STR/_STR_LEN: the string behind the pointer at a's location, in a zeroed buffer. */
static LLVMValueRef arg_string(struct cg *c, const struct strobe_arg *a, const struct type *t,
			       const struct loc *loc)
{
	struct strobe_arg ptr = *a;
	ptr.kind = STROBE_ARG_PTR;
	ptr.size = 8;
	LLVMValueRef p = LLVMBuildIntToPtr(c->b, arg_value(c, &ptr, t, loc), c->i8p, "");
	LLVMValueRef buf = cg_alloca(c, t->size, "str");
	cg_zero(c, buf, t->size);
	if (a->kind == STROBE_ARG_STR) {
		LLVMValueRef args[] = { buf, LLVMConstInt(c->i32, t->size, 0), p };
		cg_helper(c, a->user ? H_PROBE_READ_USER_STR : H_PROBE_READ_KERNEL_STR, args, 3);
		return buf;
	}
	/* pointer + length, not NUL-terminated: at most size - 1 bytes, the rest stays 0 */
	const struct strobe_arg *len = find_arg(c->attach, a->length);
	if (!len || len->kind != STROBE_ARG_INT) {
		cg_fail(c, loc, "the length of argument %s (%s) is not an integer argument", a->name, a->length);
		return buf;
	}
	LLVMValueRef n = arg_value(c, len, t, loc);
	LLVMValueRef max = cg_const(c, t->size - 1);
	n = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntULT, n, max, ""), n, max, "len");
	LLVMValueRef args[] = { buf, LLVMBuildTrunc(c->b, n, c->i32, ""), p };
	cg_helper(c, a->user ? H_PROBE_READ_USER : H_PROBE_READ_KERNEL, args, 3);
	return buf;
}

/* The value of a provider-described argument: i64 for scalars, a buffer for strings. */
static LLVMValueRef arg_value(struct cg *c, const struct strobe_arg *a, const struct type *t,
			      const struct loc *loc)
{
	if (a->kind == STROBE_ARG_STR || a->kind == STROBE_ARG_STR_LEN)
		return arg_string(c, a, t, loc);
	uint32_t size = a->size == 1 || a->size == 2 || a->size == 4 ? a->size : 8;
	bool is_signed = a->kind == STROBE_ARG_INT && a->is_signed;
	switch (a->loc) {
	case STROBE_LOC_CTX:
		if (a->kind == STROBE_ARG_INT || a->kind == STROBE_ARG_PTR)
			return cg_load_int(c, c->ctxp, (uint32_t)a->offset, size, is_signed,
					   cg_align_of((uint32_t)a->offset));
		if (a->kind == STROBE_ARG_ARRAY) {
			LLVMValueRef buf = cg_alloca(c, t->size, "array");
			cg_zero(c, buf, t->size);
			LLVMValueRef args[] = { buf, LLVMConstInt(c->i32, t->size, 0),
						cg_ptr_off(c, c->ctxp, (uint32_t)a->offset) };
			cg_helper(c, H_PROBE_READ_KERNEL, args, 3);
			return buf;
		}
		{
			/* __data_loc: u32 (len << 16 | offset from the start of the record) */
			LLVMValueRef v = cg_load_int(c, c->ctxp, (uint32_t)a->offset, 4, false,
						     cg_align_of((uint32_t)a->offset));
			LLVMValueRef off = LLVMBuildAnd(c->b, v, cg_const(c, 0xffff), "");
			LLVMValueRef buf = cg_alloca(c, t->size, "data_loc");
			cg_zero(c, buf, t->size);
			LLVMValueRef args[] = { buf, LLVMConstInt(c->i32, t->size, 0), cg_ptr_at(c, c->ctxp, off) };
			cg_helper(c, H_PROBE_READ_KERNEL_STR, args, 3);
			return buf;
		}
	case STROBE_LOC_REG:
		return extend(c, cg_load_int(c, c->ctxp, (uint32_t)a->reg * 8, 8, false, 8), size, is_signed);
	case STROBE_LOC_REG_MEM: {
		LLVMValueRef base = cg_load_int(c, c->ctxp, (uint32_t)a->reg * 8, 8, false, 8);
		LLVMValueRef addr = LLVMBuildAdd(c->b, base, cg_const(c, (uint64_t)(int64_t)a->offset), "");
		return read_mem_int(c, addr, size, is_signed, a->user);
	}
	case STROBE_LOC_REG_INDEX_MEM: {
		/* *(reg + index_reg * scale + offset): USDT operands like -32(%rbp,%rdi,4) */
		LLVMValueRef addr = cg_const(c, (uint64_t)(int64_t)a->offset);
		if (a->reg >= 0)
			addr = LLVMBuildAdd(c->b, addr, cg_load_int(c, c->ctxp, (uint32_t)a->reg * 8, 8, false, 8), "");
		if (a->index_reg >= 0) {
			LLVMValueRef idx = cg_load_int(c, c->ctxp, (uint32_t)a->index_reg * 8, 8, false, 8);
			addr = LLVMBuildAdd(c->b, addr, LLVMBuildMul(c->b, idx, cg_const(c, a->scale ? a->scale : 1), ""), "");
		}
		return read_mem_int(c, addr, size, is_signed, a->user);
	}
	case STROBE_LOC_CONST:
		return cg_const(c, (uint64_t)a->value);
	case STROBE_LOC_BTF_ARG:
		return extend(c, cg_load_int(c, c->ctxp, (uint32_t)a->offset * 8, 8, false, 8), size, is_signed);
	default:
		break; /* kinds from a newer provider.h than this codegen knows */
	}
	cg_fail(c, loc, "unsupported argument location");
	return cg_const(c, 0);
}

static const struct strobe_arg *find_arg(const struct probe_attach *a, const char *name)
{
	for (size_t i = 0; a && i < a->nargs; i++)
		if (a->args[i].name && !strcmp(a->args[i].name, name))
			return &a->args[i];
	return NULL;
}

static LLVMValueRef args_field(struct cg *c, struct node *n)
{
	const struct strobe_arg *a = find_arg(c->attach, n->u.field.name);
	if (!a) {
		cg_fail(c, &n->loc, "internal error: args.%s has no location", n->u.field.name);
		return cg_const(c, 0);
	}
	return arg_value(c, a, n->type, &n->loc);
}

/* Bare `args`: the record sema laid out (sema_builtins.c, args_record), filled argument by argument. */
LLVMValueRef args_bytes(struct cg *c, struct node *n)
{
	const struct type *rec = n->type;
	LLVMValueRef buf = cg_alloca(c, rec->size, "args");
	cg_zero(c, buf, rec->size);
	for (uint32_t i = 0; i < rec->nfields; i++) {
		const struct type_field *f = &rec->fields[i];
		const struct strobe_arg *a = find_arg(c->attach, f->name);
		if (!a)
			continue;
		LLVMValueRef v = arg_value(c, a, f->type, &n->loc);
		if (f->type->kind == T_STRING || f->type->kind == T_ARRAY)
			cg_copy(c, cg_ptr_off(c, buf, f->offset), cg_align_of(f->offset), v, 8, f->type->size);
		else
			cg_store_int(c, buf, f->offset, v, f->type->size, cg_align_of(f->offset));
	}
	return buf;
}

LLVMValueRef argn_value(struct cg *c, struct node *n)
{
	unsigned idx = n->u.ident.index;
	const struct strobe_arg *a = find_arg(c->attach, n->u.ident.name);
	if (a)
		return arg_value(c, a, n->type, &n->loc);
	if (c->func->prog_type == BPF_PROG_TYPE_RAW_TRACEPOINT ||
	    c->func->prog_type == BPF_PROG_TYPE_TRACING)
		return cg_load_int(c, c->ctxp, idx * 8, 8, false, 8);
	if (idx >= sizeof(pt_regs_arg_slot) / sizeof(pt_regs_arg_slot[0])) {
		cg_fail(c, &n->loc, "%s is not in a register (only arg0-arg5 are)", n->u.ident.name);
		return cg_const(c, 0);
	}
	return cg_load_int(c, c->ctxp, (uint32_t)pt_regs_arg_slot[idx] * 8, 8, false, 8);
}

static LLVMValueRef helper0(struct cg *c, int id)
{
	return cg_helper(c, id, NULL, 0);
}

static LLVMValueRef low32(struct cg *c, LLVMValueRef v, const char *name)
{
	return LLVMBuildAnd(c->b, v, cg_const(c, 0xffffffffu), name);
}

static LLVMValueRef high32(struct cg *c, LLVMValueRef v, const char *name)
{
	return LLVMBuildLShr(c->b, v, cg_const(c, 32), name);
}

LLVMValueRef cpid_value(struct cg *c, struct node *n)
{
	return cg_const(c, c->p->cpid);
}

LLVMValueRef has_cpid_value(struct cg *c, struct node *n)
{
	return cg_const(c, c->p->cpid != 0);
}

/*
 * pid/tid, pid(init): the initial namespace's ids; pid(curr_ns): as strobe's
 * own PID namespace sees them, through bpf_get_ns_current_pid_tgid() with the
 * namespace's device and inode (0 for a task outside it).
 */
static LLVMValueRef pid_tgid(struct cg *c, struct node *n)
{
	struct stat st;
	if (n->kind != N_CALL || !n->u.call.args || strcmp(n->u.call.args->u.ident.name, "curr_ns") ||
	    stat("/proc/self/ns/pid", &st) < 0)
		return helper0(c, H_CURRENT_PID_TGID);
	LLVMValueRef info = cg_alloca(c, 8, "pidns_info");
	cg_zero(c, info, 8);
	LLVMValueRef args[] = { cg_const(c, (uint64_t)st.st_dev), cg_const(c, (uint64_t)st.st_ino), info,
				LLVMConstInt(c->i32, 8, 0) };
	cg_helper(c, H_GET_NS_CURRENT_PID_TGID, args, 4);
	/* struct bpf_pidns_info { u32 pid; u32 tgid; }: tgid high, pid low, as the plain helper */
	return LLVMBuildOr(c->b, LLVMBuildShl(c->b, cg_load_int(c, info, 4, 4, false, 4), cg_const(c, 32), ""),
			   cg_load_int(c, info, 0, 4, false, 4), "ns_pid_tgid");
}

LLVMValueRef pid_value(struct cg *c, struct node *n)
{
	return high32(c, pid_tgid(c, n), "pid");
}

LLVMValueRef tid_value(struct cg *c, struct node *n)
{
	return low32(c, pid_tgid(c, n), "tid");
}

/* uid, username (named in user space) */
LLVMValueRef uid_value(struct cg *c, struct node *n)
{
	return low32(c, helper0(c, H_CURRENT_UID_GID), "uid");
}

LLVMValueRef gid_value(struct cg *c, struct node *n)
{
	return high32(c, helper0(c, H_CURRENT_UID_GID), "gid");
}

/*
 * nsecs(CLOCK). sw_tai: the boot clock plus TAI's offset from it, measured
 * here between two boot-clock reads (for kernels without the TAI helper).
 */
LLVMValueRef nsecs_value(struct cg *c, struct node *n)
{
	static const int helpers[] = { [NSECS_MONOTONIC] = H_KTIME_GET_NS, [NSECS_BOOT] = H_KTIME_GET_BOOT_NS,
				       [NSECS_TAI] = H_KTIME_GET_TAI_NS, [NSECS_SW_TAI] = H_KTIME_GET_BOOT_NS };
	int clock = n->kind == N_CALL && n->u.call.args ? sema_nsecs_clock(n->u.call.args->u.ident.name)
							 : NSECS_MONOTONIC;
	LLVMValueRef v = helper0(c, helpers[clock]);
	if (clock != NSECS_SW_TAI)
		return v;
	struct timespec b1, tai, b2;
	clock_gettime(CLOCK_BOOTTIME, &b1);
	clock_gettime(CLOCK_TAI, &tai);
	clock_gettime(CLOCK_BOOTTIME, &b2);
	int64_t boot = ((int64_t)b1.tv_sec * 1000000000 + b1.tv_nsec + (int64_t)b2.tv_sec * 1000000000 + b2.tv_nsec) / 2;
	int64_t offset = (int64_t)tai.tv_sec * 1000000000 + tai.tv_nsec - boot;
	return LLVMBuildAdd(c->b, v, cg_const(c, (uint64_t)offset), "sw_tai");
}

LLVMValueRef elapsed_value(struct cg *c, struct node *n)
{
	return LLVMBuildSub(c->b, helper0(c, H_KTIME_GET_NS), cg_const(c, c->start_ns), "elapsed");
}

LLVMValueRef cpu_value(struct cg *c, struct node *n)
{
	return low32(c, helper0(c, H_SMP_PROCESSOR_ID), "cpu");
}

LLVMValueRef rand_value(struct cg *c, struct node *n)
{
	return low32(c, helper0(c, H_PRANDOM_U32), "rand");
}

LLVMValueRef curtask_value(struct cg *c, struct node *n)
{
	return helper0(c, H_CURRENT_TASK);
}

LLVMValueRef cgroup_value(struct cg *c, struct node *n)
{
	return helper0(c, H_CURRENT_CGROUP_ID);
}

LLVMValueRef jiffies_value(struct cg *c, struct node *n)
{
	return helper0(c, H_JIFFIES64);
}

LLVMValueRef numaid_value(struct cg *c, struct node *n)
{
	return low32(c, helper0(c, H_GET_NUMA_NODE_ID), "numaid");
}

LLVMValueRef ctx_value(struct cg *c, struct node *n)
{
	return LLVMBuildPtrToInt(c->b, c->ctxp, c->i64, "ctx");
}

/* x86-64: the privilege level in cs (pt_regs, also first in bpf_perf_event_data) */
LLVMValueRef usermode_value(struct cg *c, struct node *n)
{
	LLVMValueRef cs = cg_load_int(c, c->ctxp, PT_REGS_CS_SLOT * 8, 8, false, 8);
	LLVMValueRef ring3 = LLVMBuildICmp(c->b, LLVMIntEQ, LLVMBuildAnd(c->b, cs, cg_const(c, 3), ""),
					   cg_const(c, 3), "");
	return LLVMBuildZExt(c->b, ring3, c->i64, "usermode");
}

/* stack arguments above the return address */
LLVMValueRef sargn_value(struct cg *c, struct node *n)
{
	LLVMValueRef sp = cg_load_int(c, c->ctxp, PT_REGS_SP_SLOT * 8, 8, false, 8);
	LLVMValueRef addr = LLVMBuildAdd(c->b, sp, cg_const(c, 8 * (uint64_t)(n->u.ident.index + 1)), "");
	return read_mem_int(c, addr, 8, false, cg_user_addresses(c));
}

LLVMValueRef ncpus_value(struct cg *c, struct node *n)
{
	return cg_const(c, (uint64_t)sysconf(_SC_NPROCESSORS_ONLN));
}

LLVMValueRef probe_value(struct cg *c, struct node *n)
{
	/* program.h: an index into probe_names, the BPF cookie when several points share the function */
	const struct probe_info *pi = c->func->probe;
	if (pi->kind != PROBE_PROVIDER)
		return cg_const(c, pi->name_index);
	if (c->probe_index) /* program.h, struct prog_dispatch */
		return c->probe_index;
	if (c->func->nattach == 1)
		return cg_const(c, pi->attach[c->func->attach_idx[0]].name_id);
	LLVMValueRef args[] = { c->ctxp };
	return cg_helper(c, H_GET_ATTACH_COOKIE, args, 1);
}

LLVMValueRef func_value(struct cg *c, struct node *n)
{
	return cg_func_ip(c);
}

LLVMValueRef retval_value(struct cg *c, struct node *n)
{
	if (c->func->prog_type == BPF_PROG_TYPE_TRACING) {
		/* fexit: the u64 slot after the last argument (provider.h, strobe_btf_target) */
		uint32_t slot = 0;
		for (size_t i = 0; c->attach && i < c->attach->nargs; i++)
			if (c->attach->args[i].loc == STROBE_LOC_BTF_ARG)
				slot++;
		/* the return register: only the type's bytes are the value */
		const struct type *t = n->type;
		uint32_t size = t && t->size && t->size < 8 ? t->size : 8;
		return cg_load_int(c, c->ctxp, slot * 8, size, t && t->kind == T_INT && t->is_signed, 8);
	}
	return cg_load_int(c, c->ctxp, PT_REGS_AX_SLOT * 8, 8, false, 8);
}

LLVMValueRef comm_bytes(struct cg *c, struct node *n)
{
	LLVMValueRef buf = cg_alloca(c, 16, "comm");
	cg_zero(c, buf, 16);
	struct node *pid = n->kind == N_CALL ? n->u.call.args : NULL;
	if (!pid) {
		LLVMValueRef args[] = { buf, LLVMConstInt(c->i32, 16, 0) };
		cg_helper(c, H_CURRENT_COMM, args, 2);
		return buf;
	}
	/* comm(pid): the task by pid, held until its comm is read ("" when there is none) */
	LLVMValueRef id = cg_scalar(c, pid);
	LLVMValueRef task = cg_helper(c, KFUNC_CALL_BASE + K_TASK_FROM_PID, &id, 1);
	LLVMBasicBlockRef found = cg_block(c, "task"), done = cg_block(c, "comm_done");
	LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntNE, task, cg_const(c, 0), ""), found, done);
	LLVMPositionBuilderAtEnd(c->b, found);
	LLVMValueRef src = LLVMBuildIntToPtr(c->b, LLVMBuildAdd(c->b, task, cg_const(c, pid->next->u.integer.value), ""),
					     c->i8p, "");
	LLVMValueRef rargs[] = { buf, LLVMConstInt(c->i32, 16, 0), src };
	cg_helper(c, H_PROBE_READ_KERNEL, rargs, 3);
	cg_helper(c, KFUNC_CALL_BASE + K_TASK_RELEASE, &task, 1);
	LLVMBuildBr(c->b, done);
	LLVMPositionBuilderAtEnd(c->b, done);
	return buf;
}

/* A 1-bit value as the 0/1 i64 that bools are held in. */
static LLVMValueRef from_i1(struct cg *c, LLVMValueRef v)
{
	return LLVMBuildZExt(c->b, v, c->i64, "");
}

LLVMValueRef cg_cond(struct cg *c, struct node *n)
{
	return LLVMBuildICmp(c->b, LLVMIntNE, cg_scalar(c, n), cg_const(c, 0), "cond");
}

LLVMValueRef cg_binop_values(struct cg *c, enum op op, LLVMValueRef l, LLVMValueRef r, bool is_unsigned)
{
	switch (op) {
	case OP_ADD: return LLVMBuildAdd(c->b, l, r, "");
	case OP_SUB: return LLVMBuildSub(c->b, l, r, "");
	case OP_MUL: return LLVMBuildMul(c->b, l, r, "");
	/* BPF (before cpu v4) only divides unsigned, as bpftrace does; x / 0 is 0 in BPF */
	case OP_DIV: return LLVMBuildUDiv(c->b, l, r, "");
	case OP_MOD: return LLVMBuildURem(c->b, l, r, "");
	case OP_BAND: return LLVMBuildAnd(c->b, l, r, "");
	case OP_BOR: return LLVMBuildOr(c->b, l, r, "");
	case OP_BXOR: return LLVMBuildXor(c->b, l, r, "");
	case OP_SHL: return LLVMBuildShl(c->b, l, r, "");
	case OP_SHR: return is_unsigned ? LLVMBuildLShr(c->b, l, r, "") : LLVMBuildAShr(c->b, l, r, "");
	case OP_EQ: return from_i1(c, LLVMBuildICmp(c->b, LLVMIntEQ, l, r, ""));
	case OP_NE: return from_i1(c, LLVMBuildICmp(c->b, LLVMIntNE, l, r, ""));
	case OP_LT: return from_i1(c, LLVMBuildICmp(c->b, is_unsigned ? LLVMIntULT : LLVMIntSLT, l, r, ""));
	case OP_LE: return from_i1(c, LLVMBuildICmp(c->b, is_unsigned ? LLVMIntULE : LLVMIntSLE, l, r, ""));
	case OP_GT: return from_i1(c, LLVMBuildICmp(c->b, is_unsigned ? LLVMIntUGT : LLVMIntSGT, l, r, ""));
	case OP_GE: return from_i1(c, LLVMBuildICmp(c->b, is_unsigned ? LLVMIntUGE : LLVMIntSGE, l, r, ""));
	default: return cg_const(c, 0);
	}
}

/*
 * v computed here, not later: through a volatile stack slot. Word-wise
 * record comparisons would otherwise be sunk past the helper calls that
 * follow (into a printf's event), keeping every loaded word alive across
 * them, spilled to the 512-byte stack. (Not used for strings: in filters
 * and loops it multiplies the states the verifier walks.)
 */
LLVMValueRef cg_pinned(struct cg *c, LLVMValueRef v)
{
	LLVMValueRef slot = cg_alloca(c, 8, "pinned");
	LLVMValueRef st = LLVMBuildStore(c->b, LLVMBuildZExt(c->b, v, c->i64, ""),
					 LLVMBuildBitCast(c->b, slot, LLVMPointerType(c->i64, 0), ""));
	LLVMSetVolatile(st, 1);
	LLVMValueRef ld = LLVMBuildLoad2(c->b, c->i64, LLVMBuildBitCast(c->b, slot, LLVMPointerType(c->i64, 0), ""),
					 "pinned");
	LLVMSetVolatile(ld, 1);
	return LLVMBuildTrunc(c->b, ld, c->i1, "");
}

/* Byte i of string n: a constant for literals, a load otherwise. */
static LLVMValueRef string_byte(struct cg *c, struct node *n, LLVMValueRef ptr, uint32_t i)
{
	if (n->kind == N_STRING)
		return LLVMConstInt(c->i8, i < n->u.string.len ? (unsigned char)n->u.string.s[i] : 0, 0);
	return LLVMBuildLoad2(c->b, c->i8, cg_ptr_off(c, ptr, i), "");
}

/*
 * An i64 the optimisers know nothing about (llvm.bpf.passthrough): what is
 * computed from it cannot be folded back into comparisons.
 */
LLVMValueRef cg_opaque_i64(struct cg *c, LLVMValueRef v)
{
	static const char name[] = "llvm.bpf.passthrough";
	unsigned id = LLVMLookupIntrinsicID(name, sizeof(name) - 1);
	LLVMTypeRef types[] = { c->i64, c->i64 };
	LLVMValueRef fn = LLVMGetIntrinsicDeclaration(c->mod, id, types, 2);
	LLVMValueRef args[] = { LLVMConstInt(LLVMInt32TypeInContext(LLVMGetModuleContext(c->mod)), 0, 0), v };
	return LLVMBuildCall2(c->b, LLVMIntrinsicGetType(LLVMGetModuleContext(c->mod), id, types, 2), fn,
			      args, 2, "");
}

/*
 * Strings are equal up to the first NUL. BPF has no set-on-compare
 * instruction: every i1 comparison becomes a branch, and 16 bytes of them
 * were 2^32 paths, which Linux 6.1's verifier explores until its 1M
 * instruction limit ("BPF program is too large"). So the bytes are compared
 * with integer arithmetic, straight-line code, and one comparison at the end:
 * bad collects the XOR of the bytes while alive (all ones) says no NUL came
 * before; alive &= -((0 - a) >> 63), which is all ones when a != 0 (through
 * cg_opaque_i64(), which the optimisers cannot see through).
 */
static LLVMValueRef string_eq(struct cg *c, struct node *l, struct node *r)
{
	LLVMValueRef lp = l->kind == N_STRING ? NULL : cg_string(c, l);
	LLVMValueRef rp = r->kind == N_STRING ? NULL : cg_string(c, r);
	uint32_t n = l->type->size < r->type->size ? l->type->size : r->type->size;
	LLVMValueRef bad = cg_const(c, 0), alive = LLVMConstAllOnes(c->i64);
	for (uint32_t i = 0; i < n; i++) {
		LLVMValueRef a = LLVMBuildZExt(c->b, string_byte(c, l, lp, i), c->i64, "");
		LLVMValueRef b = LLVMBuildZExt(c->b, string_byte(c, r, rp, i), c->i64, "");
		bad = LLVMBuildOr(c->b, bad, LLVMBuildAnd(c->b, alive, LLVMBuildXor(c->b, a, b, ""), ""), "");
		if (i + 1 == n)
			break;
		LLVMValueRef nz = LLVMBuildLShr(c->b, LLVMBuildSub(c->b, cg_const(c, 0), cg_opaque_i64(c, a), ""),
						cg_const(c, 63), "");
		/* opaque again: known to be 0 or 1, the mask would become a select (a branch) */
		alive = LLVMBuildAnd(c->b, alive, LLVMBuildSub(c->b, cg_const(c, 0), cg_opaque_i64(c, nz), ""), "");
	}
	return LLVMBuildICmp(c->b, LLVMIntEQ, bad, cg_const(c, 0), "streq");
}

/* && and ||: the right side runs only when needed. */
static LLVMValueRef logical(struct cg *c, struct node *n)
{
	bool is_and = n->u.binop.op == OP_LAND;
	LLVMValueRef slot = cg_alloca(c, 8, "logical");
	LLVMBasicBlockRef rhs = cg_block(c, "rhs"), done = cg_block(c, "logical_done");
	cg_store_int(c, slot, 0, cg_const(c, is_and ? 0 : 1), 8, 8);
	LLVMValueRef l = cg_cond(c, n->u.binop.left);
	if (is_and)
		LLVMBuildCondBr(c->b, l, rhs, done);
	else
		LLVMBuildCondBr(c->b, l, done, rhs);
	LLVMPositionBuilderAtEnd(c->b, rhs);
	cg_store_int(c, slot, 0, from_i1(c, cg_cond(c, n->u.binop.right)), 8, 8);
	LLVMBuildBr(c->b, done);
	LLVMPositionBuilderAtEnd(c->b, done);
	return cg_load_int(c, slot, 0, 8, false, 8);
}

static LLVMValueRef binop(struct cg *c, struct node *n)
{
	struct node *l = n->u.binop.left, *r = n->u.binop.right;
	enum op op = n->u.binop.op;
	if (op == OP_LAND || op == OP_LOR)
		return logical(c, n);
	if (l->type->kind == T_STRING || l->type->kind == T_ARRAY || l->type->kind == T_RECORD ||
	    l->type->kind == T_BUFFER) {
		LLVMValueRef eq = l->type->kind == T_STRING   ? string_eq(c, l, r)
				  : l->type->kind == T_BUFFER ? cg_buffer_eq(c, l, r)
							      : cg_array_eq(c, l, r);
		return from_i1(c, op == OP_EQ ? eq : LLVMBuildNot(c->b, eq, ""));
	}
	if (n->type->kind == T_POINTER)
		return cg_ptr_arith(c, n);
	LLVMValueRef lv = cg_scalar(c, l), rv = cg_scalar(c, r);
	return cg_binop_values(c, op, lv, rv,
			       op_is_comparison(op) ? cmp_unsigned(l->type, r->type) : int_op_unsigned(l->type, r->type));
}

/*
 * cond ? a : b. Scalars go through a stack slot rather than a phi so both
 * branches stay simple; strings are copied into a buffer of the result size.
 */
static LLVMValueRef ternary(struct cg *c, struct node *n, bool string)
{
	uint32_t size = string ? n->type->size : 8;
	LLVMValueRef slot = cg_alloca(c, size, "ternary");
	if (string)
		cg_zero(c, slot, size);
	LLVMBasicBlockRef then = cg_block(c, "then"), else_ = cg_block(c, "else"), done = cg_block(c, "ternary_done");
	/* a ?: b reads a once */
	LLVMValueRef first = n->u.ternary.then ? NULL : cg_scalar(c, n->u.ternary.cond);
	LLVMBuildCondBr(c->b, first ? LLVMBuildICmp(c->b, LLVMIntNE, first, cg_const(c, 0), "") : cg_cond(c, n->u.ternary.cond),
			then, else_);
	struct node *arms[] = { n->u.ternary.then, n->u.ternary.else_ };
	LLVMBasicBlockRef blocks[] = { then, else_ };
	for (int i = 0; i < 2; i++) {
		LLVMPositionBuilderAtEnd(c->b, blocks[i]);
		if (!arms[i])
			cg_store_int(c, slot, 0, first, 8, 8);
		else if (string)
			cg_store_value(c, slot, 0, n->type, arms[i]);
		else
			cg_store_int(c, slot, 0, cg_scalar(c, arms[i]), 8, 8);
		LLVMBuildBr(c->b, done);
	}
	LLVMPositionBuilderAtEnd(c->b, done);
	return string ? slot : cg_load_int(c, slot, 0, 8, false, 8);
}

static LLVMValueRef incdec(struct cg *c, struct node *n)
{
	struct node *x = n->u.incdec.operand;
	uint64_t step = cg_ptr_step(x->type);
	LLVMValueRef delta = cg_const(c, n->u.incdec.increment ? step : (uint64_t)-step);
	if (x->kind == N_VAR) {
		struct cg_var *v = cg_var(c, cg_var_key(x), x->type);
		LLVMValueRef old = cg_load_int(c, v->slot, 0, 8, false, 8);
		LLVMValueRef now = LLVMBuildAdd(c->b, old, delta, "");
		cg_store_int(c, v->slot, 0, now, 8, 8);
		return n->u.incdec.prefix ? now : old;
	}
	LLVMValueRef now = cg_map_add(c, x, delta);
	return n->u.incdec.prefix ? now : LLVMBuildSub(c->b, now, delta, "");
}

static LLVMValueRef scalar(struct cg *c, struct node *n)
{
	switch (n->kind) {
	case N_INT:
		return cg_const(c, n->u.integer.value);
	case N_BOOL:
		return cg_const(c, n->u.boolean);
	case N_BUILTIN:
	case N_CALL: {
		const struct builtin_def *b = builtin_of(n);
		if (b->value)
			return b->value(c, n);
		if (n->kind == N_CALL) { /* a statement used as a value */
			cg_call_stmt(c, n);
			return cg_const(c, 0);
		}
		cg_fail(c, &n->loc, "internal error: builtin %s has no codegen", n->u.ident.name);
		return cg_const(c, 0);
	}
	case N_VAR: {
		struct cg_var *v = cg_var(c, cg_var_key(n), n->type);
		return cg_load_int(c, v->slot, 0, 8, false, 8);
	}
	case N_MAP:
		return cg_map_read(c, n);
	case N_BINOP:
		return binop(c, n);
	case N_INDEX:
		return cg_ptr_scalar(c, n);
	case N_UNOP: {
		if (n->u.unop.op == OP_DEREF || n->u.unop.op == OP_ADDR)
			return cg_ptr_scalar(c, n);
		LLVMValueRef v = cg_scalar(c, n->u.unop.operand);
		if (n->u.unop.op == OP_NEG)
			return LLVMBuildNeg(c->b, v, "");
		if (n->u.unop.op == OP_BNOT)
			return LLVMBuildNot(c->b, v, "");
		return from_i1(c, LLVMBuildICmp(c->b, LLVMIntEQ, v, cg_const(c, 0), ""));
	}
	case N_TERNARY:
		return ternary(c, n, false);
	case N_INCDEC:
		return incdec(c, n);
	case N_CAST:
		if (n->u.cast.operand->type->kind == T_ARRAY) /* (uint64)$bytes */
			return cg_load_int(c, cg_string(c, n->u.cast.operand), 0, n->type->size,
					   n->type->is_signed, 1);
		if (n->type->kind == T_BOOL) { /* (bool)x is x != 0; a string is true when not empty */
			LLVMValueRef v = n->u.cast.operand->type->kind == T_STRING
				? cg_load_int(c, cg_string(c, n->u.cast.operand), 0, 1, false, 1)
				: cg_scalar(c, n->u.cast.operand);
			return from_i1(c, LLVMBuildICmp(c->b, LLVMIntNE, v, cg_const(c, 0), ""));
		}
		return extend(c, cg_scalar(c, n->u.cast.operand), n->type->size, n->type->is_signed);
	case N_FIELD:
		if (n->u.field.tuple_index) {
			const struct type *bt = n->u.field.base->type;
			const struct type_field *f = &bt->fields[n->u.field.index];
			return cg_load_int(c, cg_string(c, n->u.field.base), f->offset, f->type->size,
					   f->type->is_signed, cg_align_of(f->offset));
		}
		if (sema_is_walk(n))
			return cg_ptr_scalar(c, n);
		return args_field(c, n);
	case N_BLOCK_EXPR:
		cg_stmt(c, n->u.block_expr.block);
		return n->u.block_expr.value ? cg_scalar(c, n->u.block_expr.value) : cg_const(c, 0);
	default:
		cg_fail(c, &n->loc, "internal error: no scalar codegen for %s", node_kind_name(n->kind));
		return cg_const(c, 0);
	}
}

/*
 * str(p [, n]): at most n bytes (and the NUL) of the string at p, into a
 * strlen buffer, then the flag byte of types.h trunc: str(p) reads one byte
 * more than it keeps, and a string that filled it was cut (str(p, n) is
 * not flagged: its caller asked for the cut).
 */
LLVMValueRef str_bytes(struct cg *c, struct node *n)
{
	struct node *src = n->u.call.args, *len = src->next;
	uint32_t cap = type_string_capacity(n->type), size = n->type->size;
	LLVMValueRef buf;
	if (src->type->kind == T_STRING) { /* str(comm): the string, in a buffer of the result's size */
		LLVMValueRef s = cg_string(c, src);
		uint32_t have = type_string_capacity(src->type);
		buf = cg_alloca(c, size, "str");
		cg_zero(c, buf, size);
		cg_copy(c, buf, 8, s, 8, have < cap ? have : cap - 1);
		return buf;
	}
	/* with a length: room for what the verifier thinks the clamped length may reach */
	buf = cg_alloca(c, len ? cg_len_mask(size) : size, "str");
	cg_zero(c, buf, size);
	LLVMValueRef addr = cg_scalar(c, src);
	LLVMValueRef want = cg_const(c, size);
	if (len) /* the NUL counts */
		want = cg_clamp_len(c, LLVMBuildAdd(c->b, cg_scalar(c, len), cg_const(c, 1), ""), cap);
	/* A pointer knows its address space; a plain integer (e.g. a pointer kept in
	 * a map) does not, so outside uprobes let the kernel tell by the address. */
	int helper = src->type->kind == T_POINTER ? (src->type->user ? H_PROBE_READ_USER_STR : H_PROBE_READ_KERNEL_STR)
		     : cg_user_addresses(c)	  ? H_PROBE_READ_USER_STR
						  : H_PROBE_READ_STR;
	LLVMValueRef args[] = { buf, LLVMBuildTrunc(c->b, want, c->i32, ""),
				LLVMBuildIntToPtr(c->b, addr, c->i8p, "") };
	LLVMValueRef ret = cg_helper(c, helper, args, 3);
	cg_check_helper(c, helper, ret, 2);
	if (!len) { /* size bytes were read: the NUL at cap - 1 ends what is kept; the last byte is the flag */
		LLVMValueRef cut = LLVMBuildICmp(c->b, LLVMIntEQ, ret, cg_const(c, size), "");
		LLVMBuildStore(c->b, LLVMConstInt(c->i8, 0, 0), cg_ptr_off(c, buf, cap - 1));
		LLVMBuildStore(c->b, LLVMBuildZExt(c->b, cut, c->i8, ""), cg_ptr_off(c, buf, size - 1));
	}
	return buf;
}

static LLVMValueRef bytes(struct cg *c, struct node *n)
{
	switch (n->kind) {
	case N_STRING: {
		LLVMValueRef buf = cg_alloca(c, n->type->size, "literal");
		cg_zero(c, buf, n->type->size);
		cg_store_value(c, buf, 0, n->type, n);
		return buf;
	}
	case N_BUILTIN:
	case N_CALL:
		if (builtin_of(n)->bytes)
			return builtin_of(n)->bytes(c, n);
		break;
	case N_VAR:
		return cg_var(c, cg_var_key(n), n->type)->slot;
	case N_MAP:
		return cg_map_read(c, n);
	case N_TERNARY:
		return ternary(c, n, true);
	case N_TUPLE: {
		LLVMValueRef buf = cg_alloca(c, n->type->size, "tuple");
		cg_zero(c, buf, n->type->size);
		cg_store_value(c, buf, 0, n->type, n);
		return buf;
	}
	case N_FIELD:
		if (n->u.field.tuple_index) {
			const struct type *bt = n->u.field.base->type;
			return cg_ptr_off(c, cg_string(c, n->u.field.base), bt->fields[n->u.field.index].offset);
		}
		if (sema_is_walk(n))
			return cg_ptr_bytes(c, n);
		return args_field(c, n);
	case N_UNOP:
	case N_INDEX:
		return cg_ptr_bytes(c, n);
	case N_CAST:
		return cg_cast_bytes(c, n);
	case N_BLOCK_EXPR:
		cg_stmt(c, n->u.block_expr.block);
		return cg_string(c, n->u.block_expr.value);
	default:
		break;
	}
	cg_fail(c, &n->loc, "internal error: no string codegen for %s", node_kind_name(n->kind));
	return cg_alloca(c, n->type ? n->type->size : 8, "bad");
}

/* Convert the bytes of a value of type `from` at src into type `to` at dst + off (tuples widen). */
static void store_converted(struct cg *c, LLVMValueRef dst, uint32_t off, const struct type *to,
			    LLVMValueRef src, uint32_t src_off, const struct type *from)
{
	if (to->kind == T_TUPLE && from->kind == T_TUPLE) {
		for (uint32_t i = 0; i < to->nfields && i < from->nfields; i++)
			store_converted(c, dst, off + to->fields[i].offset, to->fields[i].type, src,
					src_off + from->fields[i].offset, from->fields[i].type);
	} else if (to->kind == T_STRING || to->kind == T_ARRAY) {
		uint32_t size = from->size < to->size ? from->size : to->size;
		cg_copy(c, cg_ptr_off(c, dst, off), cg_align_of(off), cg_ptr_off(c, src, src_off),
			cg_align_of(src_off), size);
	} else {
		LLVMValueRef v = cg_load_int(c, src, src_off, from->size, from->is_signed, cg_align_of(src_off));
		cg_store_int(c, dst, off, v, to->size, cg_align_of(off));
	}
}

void cg_store_value(struct cg *c, LLVMValueRef dst, uint32_t off, const struct type *t, struct node *n)
{
	if (t->kind == T_TUPLE) {
		if (n->kind == N_TUPLE) {
			uint32_t i = 0;
			for (struct node *e = n->u.list.head; e && i < t->nfields; e = e->next, i++)
				cg_store_value(c, dst, off + t->fields[i].offset, t->fields[i].type, e);
		} else {
			store_converted(c, dst, off, t, cg_string(c, n), 0, n->type);
		}
		return;
	}
	if (t->kind == T_RECORD && sema_is_walk(n) && n->type == t) {
		/* no copy on the way: a task_struct is read once, into its destination */
		cg_ptr_read_into(c, n, cg_ptr_off(c, dst, off), t->size);
		return;
	}
	if (t->kind == T_USTACK || t->kind == T_USYM || t->kind == T_INET || t->kind == T_BUFFER ||
	    t->kind == T_ARRAY || t->kind == T_RECORD) {
		/* a walk into a value held on the stack ($rec.arr) points inside it: no alignment known */
		cg_copy(c, cg_ptr_off(c, dst, off), cg_align_of(off), cg_string(c, n), sema_is_walk(n) ? 1 : 8,
			t->size);
		return;
	}
	if (t->kind != T_STRING) {
		cg_store_int(c, dst, off, cg_scalar(c, n), t->size, cg_align_of(off));
		return;
	}
	uint32_t size = n->type->size < t->size ? n->type->size : t->size;
	if (n->kind == N_STRING) {
		/* literal bytes as immediate stores, up to 8 at a time; the rest stays zero */
		uint32_t len = (uint32_t)n->u.string.len < size ? (uint32_t)n->u.string.len : size;
		for (uint32_t i = 0; i < len;) {
			uint32_t piece = len - i >= 8 ? 8 : len - i >= 4 ? 4 : len - i >= 2 ? 2 : 1;
			uint64_t word = 0;
			for (uint32_t j = 0; j < piece; j++)
				word |= (uint64_t)(unsigned char)n->u.string.s[i + j] << (8 * j);
			cg_store_int(c, dst, off + i, cg_const(c, word), piece, cg_align_of(off + i));
			i += piece;
		}
		return;
	}
	LLVMValueRef src = cg_string(c, n);
	cg_copy(c, cg_ptr_off(c, dst, off), cg_align_of(off), src, sema_is_walk(n) ? 1 : 8, size);
}

/* The node being compiled is where a failing helper is reported (-k, cg_check_helper). */
LLVMValueRef cg_scalar(struct cg *c, struct node *n)
{
	const struct node *outer = c->at;
	c->at = n;
	LLVMValueRef v = scalar(c, n);
	c->at = outer;
	return v;
}

LLVMValueRef cg_string(struct cg *c, struct node *n)
{
	const struct node *outer = c->at;
	c->at = n;
	LLVMValueRef v = bytes(c, n);
	c->at = outer;
	return v;
}
