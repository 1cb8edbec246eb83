/* What compile_check() leaves for compile_codegen(), private to core/lang. */
#ifndef STROBE_SEMA_INTERNAL_H
#define STROBE_SEMA_INTERNAL_H

#include "compile.h"

struct cdef_state;

struct compile_state {
	const struct node **printf_nodes;      /* parallel to p->printfs */
	const struct node **print_value_nodes; /* parallel to p->print_values */
	struct cdef_state *cdefs;              /* cdef.c: the script's enumerators */
	bool callbacks; /* for loops or len(): BPF callback subprograms, which need BTF func info */
};

/* Printf arguments, tuple items and map keys at most. */
#define MAX_PRINTF_ARGS 32

/* Index of the map named `name` (without '@') in p->maps, or -1. */
int prog_map_find(const struct program *p, const char *name);

/*
 * Integer operations are done on 64 bits; like bpftrace (and C), they are
 * unsigned when either side is an unsigned 64-bit value (pointers count).
 */
static inline bool int_op_unsigned(const struct type *l, const struct type *r)
{
	bool lu = (l->kind == T_INT && !l->is_signed && l->size == 8) || l->kind == T_POINTER;
	bool ru = (r->kind == T_INT && !r->is_signed && r->size == 8) || r->kind == T_POINTER;
	return lu || ru;
}

/*
 * Comparisons are signed only when both sides are (bpftrace: do_signed =
 * lsign && rsign): an unsigned side of any size, or a pointer, makes them
 * unsigned, after each side is extended to 64 bits by its own sign. Bools
 * count as signed (0 and 1 compare the same either way).
 */
static inline bool cmp_unsigned(const struct type *l, const struct type *r)
{
	bool ls = (l->kind == T_INT && l->is_signed) || l->kind == T_BOOL;
	bool rs = (r->kind == T_INT && r->is_signed) || r->kind == T_BOOL;
	return !ls || !rs;
}

static inline bool op_is_comparison(enum op op)
{
	return op >= OP_EQ && op <= OP_GE;
}

/* int, bool and pointers are held as 64-bit integers in registers. */
static inline bool type_is_scalar(const struct type *t)
{
	return t && (t->kind == T_INT || t->kind == T_BOOL || t->kind == T_POINTER);
}

/*
 * Strings, tuples and the 16-byte ustack/usym values: held as bytes on the
 * stack (a pointer), not in a register.
 */
static inline bool type_in_memory(const struct type *t)
{
	return t && (t->kind == T_STRING || t->kind == T_TUPLE || t->kind == T_USTACK || t->kind == T_USYM ||
		     t->kind == T_INET || t->kind == T_BUFFER || t->kind == T_ARRAY || t->kind == T_RECORD);
}

/* Integer arrays (pton(), uint8[N] arguments): values that are stored, printed and compared as bytes. */
static inline bool type_is_int_array(const struct type *t)
{
	return t && t->kind == T_ARRAY && t->elem && t->elem->kind == T_INT;
}

/*
 * The checker's state, shared by the sema*.c files. A scratch variable of the
 * probe being checked, with the type it has so far.
 */
struct var {
	const char *name;
	const char *slot; /* unique in the probe: name, or "name#N" for a later block's own $name */
	const struct type *type;
	bool assigned; /* in the current pass, at this point of the probe */
	const struct typespec *declared; /* by let with a type: the type is fixed */
};

/* A probe's scratch variables; they outlive a pass so that types widen. */
struct scope {
	struct var *vars;
	size_t n, cap;
	bool uses_args; /* args/argN: functions are split by argument layout */
	bool uses_kstack; /* kernel stacks must come from the probe's own event: no dispatch */
};

struct sema {
	struct program *p;
	struct types *t;
	struct diags *d;
	const struct compile_opts *o;
	struct compile_state *cs;
	bool final;   /* report errors and record printfs */
	bool changed; /* a type was learned or widened in this pass */
	struct probe_info *probe;
	struct scope *scope;
	unsigned loop_depth;
	unsigned for_depth; /* for loops (sema_loops.c): their bodies are BPF callbacks */
	unsigned dead;      /* in a branch of an if() whose condition is known not to take it */
	size_t maps_cap, printfs_cap, print_values_cap, strings_cap;
	/* `@x = <value>` being checked: @x read in <value> before any type is int64 (@x = @x + 1) */
	const char *assigning_map;
};

/* sema_builtins.c */
/* Every attach point of the probe offers the builtin (STROBE_BUILTIN_*). */
bool sema_offers(struct sema *s, unsigned builtin);
/* args->name / args.name: the field must exist, with one type, in every attachment. */
const struct type *sema_args_field(struct sema *s, struct node *n);
/* The kstack/ustack type, registering its stack-trace map (program.h). */
const struct type *sema_stack_type(struct program *p, enum type_kind kind, const char *mode,
				   uint32_t nframes);
/* "bpftrace", "perf", "raw": the interned mode name, or -1. */
int sema_stack_mode(const char *name, const char **mode);
/* nsecs(CLOCK): the clock's index in NSECS_CLOCKS order, or -1 */
enum nsecs_clock { NSECS_MONOTONIC, NSECS_BOOT, NSECS_TAI, NSECS_SW_TAI };
int sema_nsecs_clock(const char *name);
/* reg("name"): the byte offset in x86-64 struct pt_regs, or -1. */
int sema_reg_offset(const char *name);
/* A kernel symbol's address from /proc/kallsyms; -1 if there is none. */
int sema_kaddr(const char *name, uint64_t *addr);

/* Frames a bare kstack/ustack captures (the kernel's perf_event_max_stack default). */
#define STACK_MAX_FRAMES 127

/* A scalar that is sign-extended when widened to 64 bits. */
static inline bool type_is_signed_scalar(const struct type *t)
{
	return t->kind == T_INT && t->is_signed;
}

/* sema_funcs.c */
/* Types of those functions that print through %s and can be stored. */
bool sema_func_string_type(const struct type *t);
/* pton(): the 4 (IPv4) or 16 (IPv6) bytes of an address, or -1. */
int sema_pton(const char *text, uint8_t out[16]);
/* signal("KILL") / signal("SIGKILL"): the number, or -1. */
int sema_signal_number(const char *name);

/* The checker's helpers, for sema_funcs.c (sema.c). */
void sema_error(struct sema *s, const struct loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const struct type *sema_expr(struct sema *s, struct node *n);
const char *sema_kind_word(const struct type *t);
/* The type as bpftrace spells it in messages ("uint64", "string[16]"). */
const char *sema_tname(struct sema *s, const struct type *t);
bool sema_int_literal(const struct node *n, int64_t *v);
/* "BEGIN", "END", or the first attachment's probe type ("kprobe"). */
const char *sema_probe_type(const struct sema *s);
/* sema_calls.c: every N_CALL, through its row of builtins.c. */
const struct type *sema_call(struct sema *s, struct node *n);
/* The call's argument count against its row's bounds, with bpftrace's messages. */
bool sema_nargs(struct sema *s, const struct node *call);
/* Add a constant string to program.strings (once). */
void sema_add_string(struct sema *s, const char *str);

/*
 * sema_btf.c: records, pointers and the walks through them.
 * sema.c calls these for what is not an integer, string or tuple.
 */
/* `struct task_struct *` (to an incomplete record: BTF is read only when it is dereferenced). */
const struct type *sema_record_pointer(struct sema *s, const char *name, bool user);
/* Define an incomplete record from BTF, or report "Unknown struct/union" at loc. */
bool sema_define_record(struct sema *s, const struct type *rec, const struct loc *loc);
/* base->f, base.f on records and pointers (not args, not tuples). */
const struct type *sema_field(struct sema *s, struct node *n);
/* *p and &x, given the operand's type. */
const struct type *sema_ptr_unop(struct sema *s, struct node *n, const struct type *t);
/* Casts to anything but a plain integer type. */
const struct type *sema_type_cast(struct sema *s, struct node *n, const struct type *t);
/* sizeof, offsetof, x[i], enum identifiers; false if n is none of them. */
bool sema_btf_expr(struct sema *s, struct node *n, const struct type **out);
/* Pointer arithmetic: false if this binop is not p + n / p - n (then *out is unset). */
bool sema_ptr_binop(struct sema *s, struct node *n, const struct type *l, const struct type *r,
		    const struct type **out);
/* Nodes read through memory: *p, record fields, x[i]. */
bool sema_is_walk(const struct node *n);
/* A walk that reads user memory (from a user pointer). */
bool sema_node_user(const struct node *n);
/* cdef.c: the script's struct/union/enum definitions; enumerators by name. */
void sema_cdefs(struct sema *s, struct node *cdefs);
int sema_cdef_enum(struct sema *s, const char *name, int64_t *value, const struct type **type);
/* sema_stdlib.c: tseries(n, interval_ns, intervals[, agg]): hargs = interval_ns, intervals, enum tseries_agg. */
bool sema_tseries_args(struct sema *s, struct node *call, int64_t hargs[3]);
/* The script's named enum `tag` ("enum e"), or NULL. */
const struct type *sema_cdef_enum_type(struct sema *s, const char *tag);
struct cdef_state *sema_cdef_state(struct sema *s);
/* More of the checker's helpers, for sema_loops.c (sema.c). */
void sema_stmt(struct sema *s, struct node *n);
/* The map named by argument `a` of `call` (print/clear/len...): "Undefined map" otherwise. */
struct prog_map *sema_map_named(struct sema *s, struct node *call, struct node *a, bool keys_ok);
const struct type *sema_storage_type(struct sema *s, const struct type *t);
/* Can be held in a variable or map, or printed. */
bool sema_storable(const struct type *t);
/* Scratch variables of the probe being checked. */
bool sema_var_assigned(struct sema *s, const char *name);
/* Bind `var` (an N_VAR) to type t (NULL: not known yet) from here on. */
void sema_var_bind(struct sema *s, struct node *var, const struct type *t);
void sema_var_unbind(struct sema *s, const char *name);
/* The probe's variable named `name`, or NULL; var_add adds it, unassigned and untyped. */
struct var *var_find(struct sema *s, const char *name);
/* The variable an N_VAR node names (bound to it from then on: node's ident.slot), or NULL. */
struct var *var_of(struct sema *s, struct node *x);
struct var *var_add(struct sema *s, const char *name);

/*
 * sema_scope.c: block scoping (a variable first assigned in a block is not
 * visible after it), let declarations, block expressions, map declarations.
 */
/* An assignment to a variable declared with a type converts the value to it. */
void sema_declared_value(struct sema *s, struct node *assign, const struct var *var);
/* The statements of block; then value (may be NULL), typed in the block's scope; value's type. */
const struct type *sema_block(struct sema *s, struct node *block, struct node *value);
/* let $x[: type][ = v]; any other statement kind is reported as not supported. */
void sema_let(struct sema *s, struct node *n);
/* { statements; value }: false if n is not a block expression. */
bool sema_block_expr(struct sema *s, struct node *n, const struct type **out);
/* let @m = hash(N) ...: check the declarations against the maps' uses, set their BPF types and sizes. */
void sema_map_decls(struct sema *s, struct node *decls);

/*
 * sema_loops.c: for loops over maps and ranges, the map functions len(),
 * has_key(), and reading aggregations (count, sum, min, max, avg) as integers.
 */
void sema_for(struct sema *s, struct node *n);
/* The keys of f(@m, k) as @m's key list (k, or the items of a tuple k); the caller resets them. */
void sema_key_args(struct node *map);

/* sema_keys.c: the key type of @m[t] for a tuple t, the same as @m[t.0, t.1, ...]'s. */
const struct type *sema_tuple_expr(struct sema *s, struct node *n);
const struct type *sema_tuple_index(struct sema *s, struct node *n); /* $t.0 */
const struct type *sema_tuple_key(struct sema *s, const struct type *t);
/* The integer an aggregation map's value reads as, or NULL (with an error) if it cannot be read. */
const struct type *sema_agg_read_type(struct sema *s, const struct prog_map *m, const struct loc *loc);

/* The checks of builtins.c's rows, by file. */
builtin_check_fn probetype_check, pcomm_check, is_type_check; /* sema_stdlib.c */
builtin_check_fn nsecs_check, pidns_check, ppid_check, u32_check, u64_check, curtask_check, cpid_check, comm_check, username_check, probe_check,
	func_check, retval_check, argn_check, args_check, has_cpid_check, sargn_check, usermode_check, ctx_check,
	stack_check, uaddr_check;                                          /* sema_builtins.c */
builtin_check_fn format_check, debugf_check, assert_check, getopt_check, print_check, clear_check, delete_check, exit_check, time_check, str_check,
	reg_check, sym_check, kaddr_check;                                 /* sema_calls.c */
builtin_check_fn strncmp_check, strlen_check, strcontains_check, bswap_check, strerror_check,
	cgroup_path_check, ptr_check, cgroupid_check, strftime_check, ntop_check, macaddr_check, buf_check,
	join_check, signal_check, pton_check;                              /* sema_funcs.c */
builtin_check_fn len_check, has_key_check, find_check;                 /* sema_loops.c */
builtin_check_fn fail_check;                                           /* sema_calls.c */
builtin_check_fn static_assert_check, kfunc_check, socket_cookie_check, percpu_kaddr_check, path_check; /* sema_static.c */

/*
 * sema_static.c: what the checker knows of a checked expression. The value
 * of literals, positional parameters and compile-time functions (kaddr,
 * offsetof...) and of operators on them: true and *v, else false.
 */
bool sema_const_value(const struct node *n, int64_t *v);
/* A string known before the program runs: a literal, or str() of one (str($1)); else NULL. */
const struct node *sema_const_string(const struct node *n);
/* bpftrace's warning on a comparison of a signed and an unsigned integer (n: N_BINOP). */
void sema_sign_compare_warning(struct sema *s, const struct node *n);
/* The BPF program type of the probe being checked. */
int sema_probe_prog_type(const struct sema *s);
/* string functions of docs/stdlib.md 0.26 */
builtin_check_fn globmatch_check, strstr_check, memcmp_check, strcap_check, syscall_name_check; /* sema_strfuncs.c */

/*
 * sema_strfuncs.c: a glob pattern (globmatch) as segments between its '*'s,
 * each a run of one-character elements: a set of the bytes it matches (never NUL).
 */
struct glob_elem {
	uint64_t bits[4];
};
struct glob {
	struct glob_elem *elems;
	uint32_t nelems;
	uint32_t *seg_start, *seg_len; /* segment k: elems[seg_start[k]..+seg_len[k]) */
	uint32_t nsegs;                /* the number of '*' plus one */
};
/* 0, or -1 with *err saying what is wrong with the pattern. */
int glob_parse(const char *pat, size_t len, struct glob *g, const char **err);
void glob_free(struct glob *g);

/* sema_layout.c: after type checking, how the program is laid out in BPF. */
/* Map key/value sizes and BPF map types from the checked types. */
void sema_finish_maps(struct program *p);
/* sema_btf.c: records stored in maps or printed get their whole field list, for decoding. */
void sema_complete_values(struct program *p);
/* STROBE_DISPATCH_MIN, or the default number of syscall attach points worth a dispatch. */
size_t sema_dispatch_min(void);
/* Mark which attachments of a probe go through a shared (raw_syscalls) tracepoint. */
void sema_plan_dispatch(struct probe_info *pr, size_t min);
/* One BPF function per group of attachments that share a context layout. */
void sema_add_funcs(struct program *p, size_t pi, bool uses_args, size_t *cap);
/* The dispatch tables and entry functions of dispatched groups (program.h). */
void sema_build_dispatches(struct program *p, size_t *funcs_cap);
/* One probe_names index per distinct attach-point name. */
void sema_name_probes(struct program *p);

#endif
