/* Shared by codegen.c (driver, statements, maps, events) and codegen_expr.c. */
#ifndef STROBE_CODEGEN_INTERNAL_H
#define STROBE_CODEGEN_INTERNAL_H

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#include "sema_internal.h"

/* BPF helper ids (include/uapi/linux/bpf.h, stable ABI). */
enum {
	H_MAP_LOOKUP = 1,
	H_MAP_UPDATE = 2,
	H_MAP_DELETE = 3,
	H_KTIME_GET_NS = 5,
	H_KTIME_GET_BOOT_NS = 125,
	H_GET_NS_CURRENT_PID_TGID = 120,
	H_KTIME_GET_TAI_NS = 208,
	H_PRANDOM_U32 = 7,
	H_SMP_PROCESSOR_ID = 8,
	H_CURRENT_PID_TGID = 14,
	H_CURRENT_UID_GID = 15,
	H_CURRENT_COMM = 16,
	H_CURRENT_TASK = 35,
	H_CURRENT_CGROUP_ID = 80,
	H_CURRENT_ANCESTOR_CGROUP_ID = 123,
	H_JIFFIES64 = 118,
	H_GET_FUNC_IP = 173,
	H_GET_NUMA_NODE_ID = 42,
	H_GET_ATTACH_COOKIE = 174,
	H_TAIL_CALL = 12,
	H_GET_CURRENT_TASK_BTF = 158,
	H_PROBE_READ_USER = 112,
	H_PROBE_READ_KERNEL = 113,
	H_PROBE_READ_STR = 45, /* x86: user or kernel by address, for integers of unknown space */
	H_PROBE_READ_USER_STR = 114,
	H_PROBE_READ_KERNEL_STR = 115,
	H_RINGBUF_RESERVE = 131,
	H_RINGBUF_SUBMIT = 132,
	H_TRACE_PRINTK = 6,
	H_GET_STACKID = 27,
	H_GET_SOCKET_COOKIE = 46,
	H_GET_STACK = 67,
	H_SEND_SIGNAL = 109,
	H_SEND_SIGNAL_THREAD = 117,
	H_PER_CPU_PTR = 153,
	H_THIS_CPU_PTR = 154,
	H_OVERRIDE_RETURN = 58,
	H_D_PATH = 147,
};

#define MAX_LOOP_DEPTH 16

struct cg_var {
	const char *name;
	LLVMValueRef slot; /* i8* to the variable's stack bytes */
	const struct type *type;
};

struct cg {
	struct program *p;
	struct diags *d;
	LLVMContextRef ctx;
	LLVMModuleRef mod;
	LLVMBuilderRef b;     /* code */
	LLVMBuilderRef alloca_b; /* the entry block: every stack slot */
	LLVMTypeRef i1, i8, i16, i32, i64, i8p, void_t;
	LLVMValueRef pseudo; /* llvm.bpf.pseudo */
	/* the function being built */
	LLVMValueRef fn, ctxp;
	const struct prog_func *func;
	const struct probe_attach *attach; /* first attachment of func, NULL for BEGIN/END */
	const struct node *at; /* the expression being compiled: where -k reports a failing helper */
	LLVMValueRef probe_index; /* dispatched functions: `probe`, from the dispatch map */
	struct cg_var *vars;
	size_t nvars, vars_cap;
	LLVMBasicBlockRef loop_break[MAX_LOOP_DEPTH], loop_continue[MAX_LOOP_DEPTH];
	unsigned nloops;
	uint64_t start_ns; /* CLOCK_MONOTONIC at codegen, for elapsed */
	int err;
	/* codegen_calls.c: the failure counters' key slot of function counter_key_fn */
	LLVMValueRef counter_key, counter_key_fn;
	/* codegen_loops.c: the for loop whose callback is being built (NULL in a probe's function) */
	struct cg_loop *loop;
	unsigned ncallbacks; /* callbacks in the module: it then needs BTF func info */
	LLVMValueRef len_callback;
	/* program.h scratch: this function's base address (NULL until its first
	 * large value) and the bytes the program's functions have taken so far */
	LLVMValueRef scratch_base;
	uint32_t scratch_used, scratch_end;
	uint32_t stack_used; /* bytes of stack slots, over the program's functions (they share 512 bytes) */
};

/* codegen_emit.c: the BPF target machine, and the module as p->objects (several, from several threads). */
int cg_init_target(LLVMTargetMachineRef *tm, char **msg);
int cg_emit_objects(struct cg *c, LLVMTargetMachineRef tm);

/* codegen.c */
void cg_fail(struct cg *c, const struct loc *loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
LLVMValueRef cg_const(struct cg *c, uint64_t v);
LLVMValueRef cg_alloca(struct cg *c, uint32_t size, const char *name);
/* A slot that must be on the BPF stack (helpers that take only stack pointers). */
LLVMValueRef cg_stack_slot(struct cg *c, uint32_t size, const char *name);
bool cg_user_addresses(const struct cg *c);
uint32_t cg_len_mask(uint32_t cap);
LLVMValueRef cg_clamp_len(struct cg *c, LLVMValueRef want, uint32_t cap);
void cg_zero(struct cg *c, LLVMValueRef ptr, uint32_t size);
void cg_copy(struct cg *c, LLVMValueRef dst, unsigned dst_align, LLVMValueRef src, unsigned src_align,
	     uint32_t size);
LLVMValueRef cg_ptr_at(struct cg *c, LLVMValueRef base, LLVMValueRef off);
LLVMValueRef cg_ptr_off(struct cg *c, LLVMValueRef base, uint32_t off);
void cg_store_int(struct cg *c, LLVMValueRef base, uint32_t off, LLVMValueRef v, uint32_t size, unsigned align);
LLVMValueRef cg_load_int(struct cg *c, LLVMValueRef base, uint32_t off, uint32_t size, bool is_signed,
			 unsigned align);
LLVMValueRef cg_helper(struct cg *c, int id, LLVMValueRef *args, unsigned n);
/*
 * -k/-kk: report a helper that failed (ret < 0; for a lookup, a NULL
 * result) at the expression being compiled (c->at), once per place, as
 * bpftrace does. -k covers map helpers (level 1), -kk reads too (level 2).
 */
void cg_check_helper(struct cg *c, int id, LLVMValueRef ret, unsigned level);
/* func: the probed function's address (codegen_calls.c: pt_regs->ip in entry uprobes). */
LLVMValueRef cg_func_ip(struct cg *c);
LLVMValueRef cg_map_ptr(struct cg *c, int fd);
unsigned cg_align_of(uint32_t off);
LLVMBasicBlockRef cg_block(struct cg *c, const char *name);
struct cg_var *cg_var(struct cg *c, const char *name, const struct type *t);
/* What a variable node's storage is named by: the instance sema bound it to (sibling blocks' $x differ). */
static inline const char *cg_var_key(const struct node *var)
{
	return var->u.ident.slot ? var->u.ident.slot : var->u.ident.name;
}
/* Map reads: `@m[k]` as an i64 (scalars) or a pointer to a zero-padded buffer (strings). */
LLVMValueRef cg_map_read(struct cg *c, struct node *n);
/*
 * The address of @m[k]'s value in the map as an i64, 0 when there is none:
 * `@m[k].field` reads the field there (through bpf_probe_read_kernel, which
 * reads a missing value as zeroes) instead of copying the whole record.
 */
LLVMValueRef cg_map_value_addr(struct cg *c, struct node *n);
/* @m[k]++ / @m[k] += v on plain and count/sum maps; returns the new value (0 for aggregations). */
LLVMValueRef cg_map_add(struct cg *c, struct node *target, LLVMValueRef delta);
/* A call as a statement: its row's stmt, or its value or bytes computed for nothing. */
void cg_call_stmt(struct cg *c, struct node *n);

/* Count a failed map update (ret < 0) in counter `slot` (program.h COUNTER_MAP). */
void cg_check_update(struct cg *c, LLVMValueRef ret, uint32_t slot);
/* The block a failed ring-buffer reserve goes to: it counts COUNTER_LOST, then jumps to done. */
LLVMBasicBlockRef cg_lost_block(struct cg *c, LLVMBasicBlockRef done);

/* l == r for integer arrays (type_is_int_array) of the same type, as an i1. */
LLVMValueRef cg_array_eq(struct cg *c, struct node *l, struct node *r);
LLVMValueRef cg_buffer_eq(struct cg *c, struct node *l, struct node *r);
/* codegen.c: a printf-like event (EV_PRINTF, EV_CAT, EV_SYSTEM) of the printf sema recorded for n. */
void cg_emit_format(struct cg *c, struct node *n, enum event_kind kind);

/* codegen_ptr.c: walks through memory (sema_is_walk), &x, pointer arithmetic, array casts. */
LLVMValueRef cg_ptr_scalar(struct cg *c, struct node *n);
LLVMValueRef cg_ptr_bytes(struct cg *c, struct node *n);
uint64_t cg_ptr_step(const struct type *t);
LLVMValueRef cg_ptr_arith(struct cg *c, struct node *n);
/* The bytes of walk n (sema_is_walk) read straight into dst (zeroed, at least size bytes). */
void cg_ptr_read_into(struct cg *c, struct node *n, LLVMValueRef dst, uint32_t size);
LLVMValueRef cg_cast_bytes(struct cg *c, struct node *n);
/* codegen.c, for codegen_loops.c */
void cg_stmt(struct cg *c, struct node *n);
/* codegen_decl.c: let $x[ = v] (any other statement kind is an internal error). */
void cg_let(struct cg *c, struct node *n);
const struct prog_map *cg_map_of(struct cg *c, const struct node *map);
void cg_map_update(struct cg *c, const struct prog_map *m, LLVMValueRef key, LLVMValueRef value);
/* Branch on whether a lookup found the key; the builder ends in the `found` block. */
void cg_branch_found(struct cg *c, LLVMValueRef ptr, LLVMBasicBlockRef found, LLVMBasicBlockRef missing);
/* A value of type t staged in a zeroed stack slot of its size (8 for integers). */
LLVMValueRef cg_staged(struct cg *c, const struct type *t, struct node *n);
/* A zeroed key buffer of map m holding `keys` (a list of expressions). */
LLVMValueRef cg_map_key(struct cg *c, const struct prog_map *m, struct node *keys);
void cg_return(struct cg *c);

/*
 * codegen_loops.c: for loops as BPF callbacks (bpf_for_each_map_elem,
 * bpf_loop), len(), has_key(), aggregations read in the kernel, and the
 * BTF func info that callbacks need.
 */
void cg_for(struct cg *c, struct node *n);
/* In a for loop's callback: a variable of the probe, shared through the loop context. */
LLVMValueRef cg_loop_capture(struct cg *c, const char *name, const struct type *t);
void cg_loop_return(struct cg *c);             /* `return` (leaves the probe) */
void cg_loop_jump(struct cg *c, bool is_break); /* break/continue of the loop itself */
/* The sum (count, sum), average (avg) or extreme (min, max) over every CPU of map m at key. */
LLVMValueRef cg_agg_read(struct cg *c, const struct prog_map *m, LLVMValueRef key);
/* codegen_stdlib.c: @m[k] = tseries(v, ...) with the key built and v computed. */
void cg_tseries_update(struct cg *c, const struct prog_map *m, LLVMValueRef key, LLVMValueRef v);
void cg_debug_info(struct cg *c);

/* codegen_expr.c */
/* A scalar expression as an i64 (sign- or zero-extended by its type). */
LLVMValueRef cg_scalar(struct cg *c, struct node *n);
/* A string expression: a pointer to type->size readable bytes, NUL padded. */
LLVMValueRef cg_string(struct cg *c, struct node *n);
/* Write value n (of storage type t) into dst + off; dst was zeroed. */
void cg_store_value(struct cg *c, LLVMValueRef dst, uint32_t off, const struct type *t, struct node *n);
/* Condition as i1. */
LLVMValueRef cg_cond(struct cg *c, struct node *n);
/* The i1 v, computed at this point (not sunk past later helper calls). */
LLVMValueRef cg_pinned(struct cg *c, LLVMValueRef v);
/* An i64 the optimisers know nothing about (llvm.bpf.passthrough), for branch-free arithmetic. */
LLVMValueRef cg_opaque_i64(struct cg *c, LLVMValueRef v);
LLVMValueRef cg_binop_values(struct cg *c, enum op op, LLVMValueRef l, LLVMValueRef r, bool is_unsigned);

/* The emitters of builtins.c's rows, by file. */
builtin_emit_fn cpid_value, has_cpid_value, pid_value, tid_value, uid_value, gid_value, nsecs_value, elapsed_value,
	cpu_value, rand_value, curtask_value, cgroup_value, jiffies_value, numaid_value, ctx_value, usermode_value,
	sargn_value, argn_value, ncpus_value, probe_value, func_value, retval_value, comm_bytes, args_bytes,
	str_bytes;                                                                  /* codegen_expr.c */
builtin_emit_fn kstack_value, reg_value, ustack_bytes, usym_bytes, func_bytes; /* codegen_calls.c */
builtin_emit_fn strncmp_value, strcontains_value, strlen_value, bswap_value, macaddr_value, first_arg_value,
	strftime_value, uaddr_value, ntop_bytes, buf_bytes, pton_bytes;             /* codegen_funcs.c */
builtin_emit_fn len_value, has_key_value, find_value;                           /* codegen_loops.c */
builtin_emit_fn socket_cookie_value, percpu_kaddr_value, path_bytes;            /* codegen_stdlib.c */
builtin_stmt_fn comptime_stmt;                                                  /* codegen_stdlib.c */
/* string functions of docs/stdlib.md 0.26 */
builtin_emit_fn globmatch_value, memcmp_value, strstr_value;                    /* codegen_strfuncs.c */
builtin_emit_fn delete_value;                                                   /* codegen_events.c */
builtin_stmt_fn printf_stmt, errorf_stmt, warnf_stmt, assert_stmt, print_stmt, clear_stmt, zero_stmt, exit_stmt,
	time_stmt;                                                                  /* codegen_events.c */
builtin_stmt_fn join_stmt, cat_stmt, system_stmt, signal_stmt, debugf_stmt;                  /* codegen_funcs.c */

#endif
