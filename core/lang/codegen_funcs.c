/*
 * Codegen of the functions sema_funcs.c checks: values (strncmp,
 * strcontains, bswap, strerror, cgroup_path, kptr/uptr, strftime, macaddr,
 * ksym, uaddr: i64; ntop, buf, pton: bytes) and statements (join, cat,
 * system, signal).
 * Layouts: types.h (T_INET, T_MACADDR, T_BUFFER...) and program.h (EV_JOIN,
 * EV_CAT, EV_SYSTEM).
 */
#include <string.h>
#include <sys/socket.h>

#include "codegen_internal.h"

/* Is an integer address read from user memory? (as str() decides) */
static bool user_read(struct cg *c, const struct type *t)
{
	if (t && t->kind == T_POINTER)
		return t->user;
	return c->attach && c->attach->type && c->attach->type[0] == 'u';
}

/* Byte i of string n: a constant for literals, a load otherwise. */
static LLVMValueRef str_byte(struct cg *c, struct node *n, LLVMValueRef ptr, uint32_t i)
{
	if (n->kind == N_STRING)
		return LLVMConstInt(c->i8, i < n->u.string.len ? (unsigned char)n->u.string.s[i] : 0, 0);
	if (i >= n->type->size)
		return LLVMConstInt(c->i8, 0, 0);
	return LLVMBuildLoad2(c->b, c->i8, cg_ptr_off(c, ptr, i), "");
}

static LLVMValueRef str_ptr(struct cg *c, struct node *n)
{
	return n->kind == N_STRING ? NULL : cg_string(c, n);
}

/* strncmp(a, b, n): 0 when the first n bytes (up to a NUL) match, else 1; branch-free. */
LLVMValueRef strncmp_value(struct cg *c, struct node *n)
{
	struct node *l = n->u.call.args, *r = l->next;
	LLVMValueRef lp = str_ptr(c, l), rp = str_ptr(c, r);
	uint64_t limit = r->next->u.integer.value;
	uint32_t size = l->type->size < r->type->size ? l->type->size : r->type->size;
	if (limit > size)
		limit = size;
	LLVMValueRef differ = LLVMConstInt(c->i1, 0, 0), alive = LLVMConstInt(c->i1, 1, 0);
	LLVMValueRef zero = LLVMConstInt(c->i8, 0, 0);
	for (uint32_t i = 0; i < limit; i++) {
		LLVMValueRef a = str_byte(c, l, lp, i), b = str_byte(c, r, rp, i);
		LLVMValueRef ne = LLVMBuildICmp(c->b, LLVMIntNE, a, b, "");
		differ = LLVMBuildOr(c->b, differ, LLVMBuildAnd(c->b, alive, ne, ""), "");
		alive = LLVMBuildAnd(c->b, alive, LLVMBuildICmp(c->b, LLVMIntNE, a, zero, ""), "");
	}
	return LLVMBuildZExt(c->b, differ, c->i64, "strncmp");
}

/*
 * strcontains(h, s): 1 if s occurs in h. For each start i (h has no NUL
 * before it), every byte of s before its NUL matches h[i + j]. Branch-free.
 */
LLVMValueRef strcontains_value(struct cg *c, struct node *n)
{
	struct node *h = n->u.call.args, *nd = h->next;
	LLVMValueRef hp = str_ptr(c, h), np = str_ptr(c, nd);
	uint32_t hsize = h->kind == N_STRING ? (uint32_t)h->u.string.len + 1 : h->type->size;
	uint32_t nsize = nd->kind == N_STRING ? (uint32_t)nd->u.string.len + 1 : nd->type->size;
	LLVMValueRef t = LLVMConstInt(c->i1, 1, 0), f = LLVMConstInt(c->i1, 0, 0);
	LLVMValueRef zero = LLVMConstInt(c->i8, 0, 0);
	/* ended[j]: the needle has a NUL at or before j */
	LLVMValueRef ended[256];
	LLVMValueRef nb[256];
	if (nsize > 256)
		nsize = 256;
	LLVMValueRef e = f;
	for (uint32_t j = 0; j < nsize; j++) {
		nb[j] = str_byte(c, nd, np, j);
		e = LLVMBuildOr(c->b, e, LLVMBuildICmp(c->b, LLVMIntEQ, nb[j], zero, ""), "");
		ended[j] = e;
	}
	LLVMValueRef found = f, halive = t;
	for (uint32_t i = 0; i < hsize; i++) {
		LLVMValueRef ok = halive;
		for (uint32_t j = 0; j < nsize; j++) {
			if (nd->kind == N_STRING && j >= nd->u.string.len)
				break; /* a literal needle ends here */
			LLVMValueRef hb = i + j < hsize ? str_byte(c, h, hp, i + j) : zero;
			LLVMValueRef eq = LLVMBuildICmp(c->b, LLVMIntEQ, hb, nb[j], "");
			ok = LLVMBuildAnd(c->b, ok, LLVMBuildOr(c->b, ended[j], eq, ""), "");
		}
		found = LLVMBuildOr(c->b, found, ok, "");
		halive = LLVMBuildAnd(c->b, halive, LLVMBuildICmp(c->b, LLVMIntNE, str_byte(c, h, hp, i), zero, ""), "");
	}
	return LLVMBuildZExt(c->b, found, c->i64, "strcontains");
}

/* strlen(s): the bytes before the first NUL, or the capacity; a loop the verifier bounds by it. */
LLVMValueRef strlen_value(struct cg *c, struct node *n)
{
	struct node *a = n->u.call.args;
	LLVMValueRef p = cg_string(c, a);
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b), head = cg_block(c, "strlen_head"),
			  body = cg_block(c, "strlen_body"), done = cg_block(c, "strlen_done");
	LLVMBuildBr(c->b, head);
	LLVMPositionBuilderAtEnd(c->b, head);
	LLVMValueRef i = LLVMBuildPhi(c->b, c->i64, "i");
	LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntULT, i, cg_const(c, a->type->size), ""), body, done);
	LLVMPositionBuilderAtEnd(c->b, body);
	LLVMValueRef byte = LLVMBuildLoad2(c->b, c->i8, cg_ptr_at(c, p, i), "");
	LLVMValueRef next = LLVMBuildAdd(c->b, i, cg_const(c, 1), "");
	LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, byte, LLVMConstInt(c->i8, 0, 0), ""), done, head);
	LLVMValueRef in_vals[] = { cg_const(c, 0), next };
	LLVMBasicBlockRef in_blocks[] = { pre, body };
	LLVMAddIncoming(i, in_vals, in_blocks, 2);
	LLVMPositionBuilderAtEnd(c->b, done);
	return i;
}

/* bswap(n): the bytes of n's width in reverse order. */
LLVMValueRef bswap_value(struct cg *c, struct node *n)
{
	LLVMValueRef v = cg_scalar(c, n->u.call.args);
	uint32_t size = n->type->size;
	LLVMValueRef out = cg_const(c, 0);
	for (uint32_t i = 0; i < size; i++) {
		LLVMValueRef byte = LLVMBuildAnd(c->b, LLVMBuildLShr(c->b, v, cg_const(c, 8 * i), ""),
						 cg_const(c, 0xff), "");
		out = LLVMBuildOr(c->b, out, LLVMBuildShl(c->b, byte, cg_const(c, 8 * (size - 1 - i)), ""), "");
	}
	return out;
}

/* Read `size` bytes at integer address addr into dst (probe_read_user/kernel). */
static void read_into(struct cg *c, LLVMValueRef dst, LLVMValueRef size32, LLVMValueRef addr, bool user)
{
	LLVMValueRef args[] = { dst, size32, LLVMBuildIntToPtr(c->b, addr, c->i8p, "") };
	int h = user ? H_PROBE_READ_USER : H_PROBE_READ_KERNEL;
	cg_check_helper(c, h, cg_helper(c, h, args, 3), 2);
}

LLVMValueRef macaddr_value(struct cg *c, struct node *n)
{
	struct node *a = n->u.call.args;
	LLVMValueRef tmp = cg_alloca(c, 8, "macaddr");
	cg_zero(c, tmp, 8);
	if (a->type->kind == T_ARRAY || a->type->kind == T_STRING)
		cg_copy(c, tmp, 8, cg_string(c, a), 1, 6);
	else
		read_into(c, tmp, LLVMConstInt(c->i32, 6, 0), cg_scalar(c, a), user_read(c, a->type));
	return cg_load_int(c, tmp, 0, 8, false, 8);
}

/* strerror, cgroup_path, kptr, uptr, ksym: the argument, typed for printing */
LLVMValueRef first_arg_value(struct cg *c, struct node *n)
{
	return cg_scalar(c, n->u.call.args);
}

/* strftime(fmt, nsecs) */
LLVMValueRef strftime_value(struct cg *c, struct node *n)
{
	return cg_scalar(c, n->u.call.args->next);
}

/* sema: uaddr(ADDR, RELATIVE); relative to the probed address */
LLVMValueRef uaddr_value(struct cg *c, struct node *n)
{
	LLVMValueRef addr = cg_scalar(c, n->u.call.args);
	return n->u.call.args->next->u.integer.value ? LLVMBuildAdd(c->b, cg_func_ip(c), addr, "") : addr;
}

/* ntop([af,] addr): types.h T_INET, u64 family + 16 address bytes. */
LLVMValueRef ntop_bytes(struct cg *c, struct node *n)
{
	struct node *a0 = n->u.call.args, *addr = a0->next ? a0->next : a0;
	LLVMValueRef buf = cg_alloca(c, 24, "inet");
	cg_zero(c, buf, 24);
	LLVMValueRef af;
	if (a0->next)
		af = cg_scalar(c, a0);
	else
		af = cg_const(c, addr->type->kind == T_ARRAY && addr->type->size == 16 ? AF_INET6 : AF_INET);
	if (addr->type->kind == T_ARRAY) {
		LLVMValueRef src = cg_string(c, addr);
		cg_store_int(c, buf, 0, af, 8, 8);
		cg_copy(c, cg_ptr_off(c, buf, 8), 8, src, 1, addr->type->size);
	} else {
		LLVMValueRef v = cg_scalar(c, addr);
		cg_store_int(c, buf, 0, af, 8, 8);
		cg_store_int(c, buf, 8, v, 8, 8);
	}
	return buf;
}

/* buf(p[, n]): types.h T_BUFFER, u32 length + the bytes. */
LLVMValueRef buf_bytes(struct cg *c, struct node *n)
{
	struct node *src = n->u.call.args, *len = src->next;
	uint32_t cap = n->type->size - 4;
	/* room for what the verifier thinks a clamped length may reach */
	LLVMValueRef buf = cg_alloca(c, 4 + cg_len_mask(cap), "buf");
	cg_zero(c, buf, n->type->size);
	if (src->type->kind == T_ARRAY || src->type->kind == T_STRING) {
		LLVMValueRef p = cg_string(c, src);
		LLVMValueRef want = len ? cg_scalar(c, len) : cg_const(c, cap);
		LLVMValueRef big = LLVMBuildICmp(c->b, LLVMIntUGT, want, cg_const(c, cap), "");
		cg_store_int(c, buf, 0, LLVMBuildSelect(c->b, big, cg_const(c, cap), want, ""), 4, 4);
		cg_copy(c, cg_ptr_off(c, buf, 4), 4, p, 1, src->type->size < cap ? src->type->size : cap);
		return buf;
	}
	LLVMValueRef addr = cg_scalar(c, src);
	LLVMValueRef want = cg_scalar(c, len);
	LLVMValueRef size = cg_clamp_len(c, want, cap);
	cg_store_int(c, buf, 0, size, 4, 4);
	read_into(c, cg_ptr_off(c, buf, 4), LLVMBuildTrunc(c->b, size, c->i32, ""), addr, user_read(c, src->type));
	return buf;
}

/* pton("addr"): the address bytes, a constant (sema_funcs.c). */
LLVMValueRef pton_bytes(struct cg *c, struct node *n)
{
	uint8_t bytes[16] = { 0 };
	sema_pton(n->u.call.args->u.string.s, bytes);
	LLVMValueRef buf = cg_alloca(c, 16, "pton");
	for (uint32_t i = 0; i < n->type->size; i += 4) {
		uint32_t w = (uint32_t)bytes[i] | (uint32_t)bytes[i + 1] << 8 | (uint32_t)bytes[i + 2] << 16 |
			     (uint32_t)bytes[i + 3] << 24;
		cg_store_int(c, buf, i, cg_const(c, w), 4, 4);
	}
	return buf;
}

LLVMValueRef cg_array_eq(struct cg *c, struct node *l, struct node *r)
{
	LLVMValueRef lp = cg_string(c, l), rp = cg_string(c, r);
	LLVMValueRef differ = LLVMConstInt(c->i1, 0, 0);
	/* word by word (8, then 4, 2, 1 bytes): few live values, so nothing spills to the stack */
	for (uint32_t i = 0, size = l->type->size; i < size;) {
		uint32_t w = size - i >= 8 ? 8 : size - i >= 4 ? 4 : size - i >= 2 ? 2 : 1;
		LLVMValueRef a = cg_load_int(c, lp, i, w, false, 1);
		LLVMValueRef b = cg_load_int(c, rp, i, w, false, 1);
		differ = LLVMBuildOr(c->b, differ, LLVMBuildICmp(c->b, LLVMIntNE, a, b, ""), "");
		i += w;
	}
	return cg_pinned(c, LLVMBuildNot(c->b, differ, "arrays_eq"));
}

/* Buffers are equal when their lengths are and the bytes within the length (whatever their capacities). */
LLVMValueRef cg_buffer_eq(struct cg *c, struct node *l, struct node *r)
{
	LLVMValueRef lp = cg_string(c, l), rp = cg_string(c, r);
	LLVMValueRef len = cg_load_int(c, lp, 0, 4, false, 4);
	LLVMValueRef differ = LLVMBuildICmp(c->b, LLVMIntNE, len, cg_load_int(c, rp, 0, 4, false, 4), "");
	uint32_t cap = (l->type->size < r->type->size ? l->type->size : r->type->size) - 4;
	for (uint32_t i = 0; i < cap; i++) {
		LLVMValueRef a = cg_load_int(c, lp, 4 + i, 1, false, 1), b = cg_load_int(c, rp, 4 + i, 1, false, 1);
		LLVMValueRef inside = LLVMBuildICmp(c->b, LLVMIntULT, cg_const(c, i), len, "");
		differ = LLVMBuildOr(c->b, differ, LLVMBuildAnd(c->b, inside, LLVMBuildICmp(c->b, LLVMIntNE, a, b, ""), ""), "");
	}
	return cg_pinned(c, LLVMBuildNot(c->b, differ, "buffers_eq"));
}

/*
 * join(arr[, sep]): program.h EV_JOIN, id = the separator's index in
 * program.strings; payload JOIN_ARGS slots of JOIN_ARG_SIZE bytes, each the
 * string at arr[i] (empty when unreadable). bpftrace 0.17's limits.
 */
void join_stmt(struct cg *c, struct node *n)
{
	struct node *a0 = n->u.call.args;
	const char *sep = a0->next ? a0->next->u.string.s : " ";
	uint32_t id = 0;
	while (id < c->p->nstrings && strcmp(c->p->strings[id], sep))
		id++;
	bool user = user_read(c, a0->type);
	LLVMValueRef arr = cg_scalar(c, a0);
	LLVMValueRef slot = cg_alloca(c, 8, "join_ptr");
	uint32_t size = (uint32_t)sizeof(struct event_hdr) + JOIN_ARGS * JOIN_ARG_SIZE;
	LLVMValueRef args[] = { cg_map_ptr(c, c->p->ringbuf_fd), cg_const(c, size), cg_const(c, 0) };
	LLVMValueRef ev = LLVMBuildIntToPtr(c->b, cg_helper(c, H_RINGBUF_RESERVE, args, 3), c->i8p, "join");
	LLVMBasicBlockRef fill = cg_block(c, "join_fill"), done = cg_block(c, "join_done");
	LLVMBuildCondBr(c->b, LLVMBuildIsNull(c->b, ev, ""), cg_lost_block(c, done), fill);
	LLVMPositionBuilderAtEnd(c->b, fill);
	cg_store_int(c, ev, offsetof(struct event_hdr, kind), cg_const(c, EV_JOIN), 4, 4);
	cg_store_int(c, ev, offsetof(struct event_hdr, id), cg_const(c, id), 4, 4);
	for (uint32_t i = 0; i < JOIN_ARGS; i++) {
		cg_store_int(c, slot, 0, cg_const(c, 0), 8, 8);
		read_into(c, slot, LLVMConstInt(c->i32, 8, 0), LLVMBuildAdd(c->b, arr, cg_const(c, 8 * i), ""), user);
		LLVMValueRef p = cg_load_int(c, slot, 0, 8, false, 8);
		LLVMValueRef rargs[] = { cg_ptr_off(c, ev, (uint32_t)sizeof(struct event_hdr) + i * JOIN_ARG_SIZE),
					 LLVMConstInt(c->i32, JOIN_ARG_SIZE, 0), LLVMBuildIntToPtr(c->b, p, c->i8p, "") };
		cg_helper(c, user ? H_PROBE_READ_USER_STR : H_PROBE_READ_KERNEL_STR, rargs, 3);
	}
	LLVMValueRef sargs[] = { ev, cg_const(c, 0) };
	cg_helper(c, H_RINGBUF_SUBMIT, sargs, 2);
	LLVMBuildBr(c->b, done);
	LLVMPositionBuilderAtEnd(c->b, done);
}

void signal_stmt(struct cg *c, struct node *n)
{
	struct node *a = n->u.call.args;
	LLVMValueRef sig = a->kind == N_STRING ? cg_const(c, (uint64_t)sema_signal_number(a->u.string.s))
					       : cg_scalar(c, a);
	LLVMValueRef args[] = { LLVMBuildTrunc(c->b, sig, c->i32, "") };
	cg_helper(c, n->u.call.fn == B_SIGNAL_THREAD ? H_SEND_SIGNAL_THREAD : H_SEND_SIGNAL, args, 1);
}

/* debugf: bpf_trace_printk(fmt, size, a, b, c); the text goes to the kernel's trace pipe */
void debugf_stmt(struct cg *c, struct node *n)
{
	struct node *f = n->u.call.args;
	LLVMValueRef args[5] = { cg_string(c, f), LLVMConstInt(c->i32, f->u.string.len + 1, 0) };
	unsigned nargs = 2;
	for (struct node *a = f->next; a && nargs < 5; a = a->next) /* a string: its address, for %s */
		args[nargs++] = a->type->kind == T_STRING ? LLVMBuildPtrToInt(c->b, cg_string(c, a), c->i64, "")
							  : cg_scalar(c, a);
	cg_helper(c, H_TRACE_PRINTK, args, nargs);
}

void cat_stmt(struct cg *c, struct node *n)
{
	cg_emit_format(c, n, EV_CAT);
}

void system_stmt(struct cg *c, struct node *n)
{
	cg_emit_format(c, n, EV_SYSTEM);
}
