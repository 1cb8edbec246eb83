/*
 * The AST. Every node lives in the run's arena and carries its location.
 * Lists (probes, statements, call arguments, map keys, tuple items) are
 * chained through `next`. Nodes are never freed one at a time.
 */
#ifndef STROBE_AST_H
#define STROBE_AST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../arena.h"
#include "../diag.h"
#include "builtins.h"

struct type; /* core/types.h; NULL until semantic analysis */

/*
 * The deepest tree the parser builds, and a macro expansion: every pass after the
 * parser (macro expansion, sema, codegen, -d) recurses once per level. A left-deep
 * chain (a + b + c ..., x.f.g ..., x[1][2] ..., if ... else if ...) is read by a loop,
 * not by recursion, yet its tree is as deep as it is long (a 100,000-term sum
 * overflowed their C stack): the parser counts each link as one level, as it counts
 * each nesting.
 */
#define MAX_TREE_DEPTH 1000

enum node_kind {
	/* top level */
	N_PROGRAM,     /* u.program */
	N_PROBE,       /* u.probe */
	N_ATTACH,      /* u.attach: one attach point as written */
	N_CONFIG,      /* u.list: N_CONFIG_ITEM nodes */
	N_CONFIG_ITEM, /* u.config_item: key = value */
	N_CDEF,        /* u.cdef: a struct/union/enum definition */
	N_MACRO,       /* u.macro: macro name(params) { body } */
	/* statements */
	N_BLOCK,     /* u.list: statements */
	N_EXPR_STMT, /* u.unary.operand */
	N_ASSIGN,    /* u.assign: target (op)= value */
	N_IF,        /* u.if_ */
	N_UNROLL,    /* u.loop: count, body */
	N_WHILE,     /* u.loop: cond, body */
	N_FOR_MAP,   /* u.for_map: for ($kv : @m) body */
	N_FOR_RANGE, /* u.for_range: for ($i : lo..hi) body */
	N_BREAK,
	N_CONTINUE,
	N_RETURN, /* u.unary.operand (may be NULL) */
	N_LET,    /* u.let: let $x[: type][ = v] in a block, let @m = hash(N) at the top level */
	/* expressions */
	N_INT,        /* u.integer */
	N_STRING,     /* u.string: escapes already decoded */
	N_BOOL,       /* u.boolean */
	N_BUILTIN,    /* u.ident: pid, comm, arg0, args, kstack, ... */
	N_IDENT,      /* u.ident: any other bare identifier (enum value, type name) */
	N_VAR,        /* u.ident: scratch variable, name without '$' */
	N_MAP,        /* u.map: @name[keys] */
	N_POSITIONAL, /* u.positional: $1 */
	N_PARAMCOUNT, /* $# */
	N_CALL,       /* u.call: name(args) */
	N_BINOP,      /* u.binop */
	N_UNOP,       /* u.unop */
	N_INCDEC,     /* u.incdec: ++x, x--, ... */
	N_TERNARY,    /* u.ternary */
	N_FIELD,      /* u.field: base.name or base->name; tuple index: base.0 */
	N_INDEX,      /* u.index: base[index] */
	N_TUPLE,      /* u.list: items */
	N_CAST,       /* u.cast: (type)operand */
	N_SIZEOF,     /* u.size_of: sizeof(type) or sizeof(expr) */
	N_OFFSETOF,   /* u.offset_of: offsetof(type or expr, field[.field...]) */
	N_BLOCK_EXPR, /* u.block_expr: { statements; value } (also a macro's expansion) */
};

enum op {
	OP_NONE, /* plain '=' in N_ASSIGN */
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
	OP_BAND, OP_BOR, OP_BXOR, OP_SHL, OP_SHR,
	OP_LAND, OP_LOR,
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	/* unary */
	OP_NEG, OP_LNOT, OP_BNOT, OP_DEREF, OP_ADDR,
};

/* A type as written in a cast, sizeof or offsetof. */
/* (uint8[])x: the length is the size of x over the element's */
#define TYPESPEC_ARRAY_INFERRED (-2)

struct typespec {
	const char *name;  /* "uint32", "struct task_struct", "union u", "enum e", "string" */
	unsigned ptr_depth; /* number of '*' */
	int64_t array_len;  /* -1: not an array; (uint8[8]) -> 8; (uint8[]): TYPESPEC_ARRAY_INFERRED */
};

struct node;

struct n_program {
	struct node *cdefs;  /* N_CDEF list */
	struct node *config; /* N_CONFIG or NULL */
	struct node *probes; /* N_PROBE list */
	struct node *decls;  /* N_LET list: map declarations */
	struct node *macros; /* N_MACRO list, expanded into the probes by macro_expand() */
};

struct n_probe {
	struct node *attach; /* N_ATTACH list */
	struct node *filter; /* expression or NULL */
	struct node *body;   /* N_BLOCK */
	unsigned index;      /* position in the program, from 0 */
};

struct n_attach {
	const char *text;     /* "tracepoint:syscalls:sys_enter_*", "BEGIN", quotes kept as written */
	const char *type;     /* text before the first ':' ("tracepoint"), or the whole text for BEGIN/END */
	const char *target;   /* text after the first ':' ("syscalls:sys_enter_*"), "" if none */
};

struct n_config_item {
	const char *key;
	struct node *value;
};

struct n_cdef {
	const char *kind; /* "struct", "union", "enum" */
	const char *name;
	const char *text; /* the definition as written, including braces */
	struct node *fields; /* N_CDEF field list is kept as text in v1; NULL */
};

struct n_list {
	struct node *head;
};

struct n_assign {
	struct node *target; /* N_VAR, N_MAP, or N_FIELD/N_INDEX/N_UNOP(deref) */
	enum op op;          /* OP_NONE for '=', OP_ADD for '+=', ... */
	struct node *value;
	struct loc op_loc;   /* the '=' (bpftrace 0.17 points type mismatches of variables there) */
};

struct n_if {
	struct node *cond;
	struct node *then;  /* N_BLOCK */
	struct node *else_; /* N_BLOCK, N_IF (else if) or NULL */
};

struct n_loop {
	struct node *cond; /* unroll count or while condition */
	struct node *body; /* N_BLOCK */
};

struct n_for_map {
	struct node *var; /* N_VAR */
	struct node *map; /* N_MAP with no keys */
	struct node *body;
};

struct n_for_range {
	struct node *var; /* N_VAR */
	struct node *lo, *hi;
	struct node *body;
};

struct n_let {
	struct node *var;    /* N_VAR, or N_MAP at the top level */
	struct typespec ty;  /* when typed */
	bool typed;          /* let $x: type */
	struct node *assign; /* N_ASSIGN of the initial value, or NULL; top level: the map kind's N_CALL */
};

struct n_block_expr {
	struct node *block; /* N_BLOCK: the statements */
	struct node *value; /* the final expression, NULL if the block ends with ';' */
	const char *macro;  /* a macro's expansion: the macro's name */
};

struct n_macro {
	const char *name;
	struct node *params; /* N_VAR ($x), N_MAP (@m) or N_IDENT (x, an expression) */
	unsigned nparams;
	struct node *body; /* N_BLOCK_EXPR */
};

struct n_integer {
	uint64_t value;
	bool is_negative_literal; /* reserved: literals are non-negative; '-' is OP_NEG */
};

struct n_string {
	const char *s;
	size_t len; /* decoded length, excluding the terminating NUL */
};

struct n_ident {
	const char *name;
	const char *slot;     /* N_VAR: the variable sema bound it to; sibling blocks may each have a $name */
	enum builtin builtin; /* N_BUILTIN: its row in builtins.c */
	unsigned index;       /* N_BUILTIN argN, sargN: N */
};

struct n_map {
	const char *name;  /* without '@'; "" for the anonymous map '@' */
	struct node *keys; /* expression list or NULL */
	unsigned nkeys;
};

struct n_positional {
	unsigned index;
	bool in_str; /* str($1): always the text, "" when missing */
};

struct n_call {
	const char *name;
	enum builtin fn; /* B_NONE: not a function */
	struct node *args;
	unsigned nargs;
};

struct n_binop {
	enum op op;
	struct node *left, *right;
	struct loc op_loc; /* the operator's token: where bpftrace's warnings point */
};

struct n_unop {
	enum op op;
	struct node *operand;
};

struct n_incdec {
	struct node *operand;
	bool increment; /* ++ or -- */
	bool prefix;
};

struct n_ternary {
	struct node *cond, *then, *else_; /* then NULL: cond ?: else_, cond's value when true */
};

struct n_field {
	struct node *base;
	const char *name; /* field name, or the digits of a tuple index */
	bool arrow;       /* '->' */
	bool tuple_index; /* base.0 */
	unsigned index;   /* tuple_index */
	/* set by semantic analysis for record fields (sema_btf.c) */
	uint32_t offset;
	uint16_t bit_offset, bit_width; /* bit_width 0: not a bitfield */
};

struct n_index {
	struct node *base, *index;
};

struct n_cast {
	struct typespec to;
	struct node *operand;
	bool implicit; /* inserted by sema: a value converted to a declared variable's type */
};

struct n_size_of {
	struct typespec ty; /* used when expr is NULL */
	struct node *expr;
};

struct n_offset_of {
	struct typespec ty;  /* used when expr is NULL */
	struct node *expr;   /* offsetof(expr, field): of expr's record type, never evaluated */
	const char *field; /* "a" or "a.b.c" */
};

struct node {
	enum node_kind kind;
	struct loc loc;
	const struct type *type; /* set by semantic analysis */
	struct node *next;       /* next sibling in a list */
	union {
		struct n_program program;
		struct n_probe probe;
		struct n_attach attach;
		struct n_config_item config_item;
		struct n_cdef cdef;
		struct n_list list;
		struct n_assign assign;
		struct n_if if_;
		struct n_loop loop;
		struct n_for_map for_map;
		struct n_for_range for_range;
		struct n_integer integer;
		struct n_string string;
		bool boolean;
		struct n_ident ident;
		struct n_map map;
		struct n_positional positional;
		struct n_call call;
		struct n_binop binop;
		struct n_unop unop;
		struct n_incdec incdec;
		struct n_ternary ternary;
		struct n_field field;
		struct n_index index;
		struct n_cast cast;
		struct n_size_of size_of;
		struct n_offset_of offset_of;
		struct n_let let;
		struct n_block_expr block_expr;
		struct n_macro macro;
		/* N_EXPR_STMT and N_RETURN, as documented above; same layout as unop (op is OP_NONE). */
		struct n_unop unary;
	} u;
};

struct parse_opts {
	bool have_btf; /* defines BPFTRACE_HAVE_BTF for #if/#ifdef */
	/* $1.. in attach points are replaced by these (a missing one by "") */
	char *const *positional;
	int npositional;
	const char *const *incdirs;  /* -I, NULL-terminated or NULL */
	const char *const *includes; /* --include, read before the script */
};

/*
 * Preprocess, lex and parse src. Diagnostics go to d (several where the
 * parser can recover). Returns 0 and sets *out, or -EINVAL with errors in d.
 */
int parse_program(struct arena *a, const struct source *src, const struct parse_opts *opts,
		  struct diags *d, struct node **out);

/* macro.c: replace calls of the program's macros by their expansions (N_BLOCK_EXPR). */
int macro_expand(struct arena *a, struct node *prog, struct diags *d);

/* A deep copy of n and its children (not of n->next), untyped. */
struct node *ast_clone(struct arena *a, const struct node *n);
/* A macro body's copy: each node's loc says it was expanded at site (a copy is kept). */
struct node *ast_clone_expanded(struct arena *a, const struct node *n, const struct loc *site);

/*
 * The height of n's tree (a leaf is 1; n's siblings are not counted), its nodes added to
 * *nodes. The walk stops beyond max_height levels (its recursion is that deep at most)
 * or once *nodes passes max_nodes: the result is max_height + 1 then.
 */
unsigned ast_measure(const struct node *n, unsigned max_height, size_t *nodes, size_t max_nodes);

/* Print the AST as an indented tree (-d ast), used by the parser tests. */
void ast_dump(FILE *fp, const struct node *n);
/* ast_dump with " :: TYPE" after every typed node, named by type_name(ctx, type). */
void ast_dump_typed(FILE *fp, const struct node *n, const char *(*type_name)(void *ctx, const struct type *t),
		    void *ctx);

const char *op_name(enum op op); /* "+", "==", "!", ... */
const char *node_kind_name(enum node_kind k);

#endif
