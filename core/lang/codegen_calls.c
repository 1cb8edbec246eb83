/*
 * Codegen of stack and symbol values: kstack/ustack (bpf_get_stackid into the
 * program's stack-trace maps, program.h struct prog_stack_map), usym(), func,
 * reg(); the counters of failed map updates and lost events.
 */
#include <linux/bpf.h>
#include <string.h>

#include "codegen_internal.h"

/* bpf_get_stackid(ctx, map, flags): the s64 stack id, negative if none. */
static LLVMValueRef stack_id(struct cg *c, const struct type *t, const struct loc *loc)
{
	const struct prog_stack_map *sm = NULL;
	for (size_t i = 0; i < c->p->nstack_maps; i++)
		if (c->p->stack_maps[i].nframes == t->count)
			sm = &c->p->stack_maps[i];
	if (!sm) {
		cg_fail(c, loc, "internal error: no stack map for %u frames", t->count);
		return cg_const(c, 0);
	}
	LLVMValueRef args[] = { c->ctxp, cg_map_ptr(c, sm->fd),
				cg_const(c, t->kind == T_USTACK ? BPF_F_USER_STACK : 0) };
	return cg_helper(c, H_GET_STACKID, args, 3);
}

LLVMValueRef kstack_value(struct cg *c, struct node *n)
{
	return stack_id(c, n->type, &n->loc);
}

LLVMValueRef reg_value(struct cg *c, struct node *n)
{
	int off = sema_reg_offset(n->u.call.args->u.string.s);
	return cg_load_int(c, c->ctxp, (uint32_t)(off < 0 ? 0 : off), 8, false, 8);
}

/*
 * The probed function's address (func, uaddr()). bpf_get_func_ip() knows it
 * in kprobes and fentry, but in uprobes only since Linux 6.6 (before, it
 * returns 0 there). At a uprobe's entry the saved instruction pointer is the
 * probed address on every kernel (the kernel resets it to the breakpoint
 * before it runs the handlers), so a function whose attachments are all
 * entry uprobes reads pt_regs->ip; uretprobes (ip is the return address
 * there) and everything else use the helper.
 */
#define PT_REGS_IP_SLOT 16

LLVMValueRef cg_func_ip(struct cg *c)
{
	const struct prog_func *f = c->func;
	bool entry_uprobes = f && f->probe && f->nattach && f->prog_type == BPF_PROG_TYPE_KPROBE;
	for (size_t i = 0; entry_uprobes && i < f->nattach; i++) {
		unsigned b = f->probe->attach[f->attach_idx[i]].builtins;
		entry_uprobes = (b & STROBE_BUILTIN_FUNC_USER) && !(b & STROBE_BUILTIN_RETVAL);
	}
	if (entry_uprobes)
		return cg_load_int(c, c->ctxp, PT_REGS_IP_SLOT * 8, 8, false, 8);
	return cg_helper(c, H_GET_FUNC_IP, &c->ctxp, 1);
}

/* ustack, usym: an address (or stack id) and the process it belongs to, 16 bytes */
static LLVMValueRef with_tgid(struct cg *c, LLVMValueRef first, const char *name)
{
	LLVMValueRef buf = cg_alloca(c, 16, name);
	cg_store_int(c, buf, 0, first, 8, 8);
	LLVMValueRef tgid = LLVMBuildLShr(c->b, cg_helper(c, H_CURRENT_PID_TGID, NULL, 0), cg_const(c, 32), "");
	cg_store_int(c, buf, 8, tgid, 8, 8);
	return buf;
}

LLVMValueRef ustack_bytes(struct cg *c, struct node *n)
{
	return with_tgid(c, stack_id(c, n->type, &n->loc), "ustack");
}

LLVMValueRef usym_bytes(struct cg *c, struct node *n)
{
	return with_tgid(c, cg_scalar(c, n->u.call.args), "usym");
}

/* func in uprobes (STROBE_BUILTIN_FUNC_USER): a usym of the probed address */
LLVMValueRef func_bytes(struct cg *c, struct node *n)
{
	return with_tgid(c, cg_func_ip(c), "usym");
}

/* ---- failure counters (program.h, COUNTER_LOST / COUNTER_MAP) ---- */

/* Add one to this CPU's counter `slot`; the builder continues after it. */
static void count_failure(struct cg *c, uint32_t slot)
{
	/* one key slot per BPF function: every map update may count, and the stack is 512 bytes */
	if (c->counter_key_fn != c->fn) {
		c->counter_key_fn = c->fn;
		c->counter_key = cg_alloca(c, 4, "counter_key");
	}
	LLVMValueRef key = c->counter_key;
	cg_store_int(c, key, 0, cg_const(c, slot), 4, 4);
	LLVMValueRef args[] = { cg_map_ptr(c, c->p->counters_fd), key };
	LLVMValueRef ptr = LLVMBuildIntToPtr(c->b, cg_helper(c, H_MAP_LOOKUP, args, 2), c->i8p, "counter");
	LLVMBasicBlockRef found = cg_block(c, "counter_found"), done = cg_block(c, "counter_done");
	LLVMBuildCondBr(c->b, LLVMBuildIsNull(c->b, ptr, ""), done, found);
	LLVMPositionBuilderAtEnd(c->b, found);
	cg_store_int(c, ptr, 0, LLVMBuildAdd(c->b, cg_load_int(c, ptr, 0, 8, false, 8), cg_const(c, 1), ""), 8, 8);
	LLVMBuildBr(c->b, done);
	LLVMPositionBuilderAtEnd(c->b, done);
}

void cg_check_update(struct cg *c, LLVMValueRef ret, uint32_t slot)
{
	if (c->p->counters_fd <= 0)
		return;
	LLVMBasicBlockRef failed = cg_block(c, "update_failed"), ok = cg_block(c, "update_ok");
	/*
	 * Only the low 32 bits: before Linux 6.4 the map ops the verifier calls
	 * directly returned int, so 6.1 hands back -E2BIG as 0xfffffff9.
	 */
	LLVMValueRef ret32 = LLVMBuildTrunc(c->b, ret, LLVMInt32TypeInContext(c->ctx), "");
	LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, ret32, LLVMConstInt(LLVMTypeOf(ret32), 0, false), ""),
			failed, ok);
	LLVMPositionBuilderAtEnd(c->b, failed);
	count_failure(c, slot);
	LLVMBuildBr(c->b, ok);
	LLVMPositionBuilderAtEnd(c->b, ok);
}

LLVMBasicBlockRef cg_lost_block(struct cg *c, LLVMBasicBlockRef done)
{
	if (c->p->counters_fd <= 0)
		return done;
	LLVMBasicBlockRef here = LLVMGetInsertBlock(c->b), lost = cg_block(c, "event_lost");
	LLVMPositionBuilderAtEnd(c->b, lost);
	count_failure(c, COUNTER_LOST);
	LLVMBuildBr(c->b, done);
	LLVMPositionBuilderAtEnd(c->b, here);
	return lost;
}
