/*
 * The language's builtins (pid, comm, arg0) and functions (printf, count,
 * str): one row each in builtins.c, found by name once, by the parser.
 */
#ifndef STROBE_BUILTINS_H
#define STROBE_BUILTINS_H

#include <limits.h>
#include <stddef.h>

struct sema;
struct cg;
struct node;
struct LLVMOpaqueValue; /* LLVMValueRef: the parser includes this header, not LLVM's */

enum builtin {
	B_NONE, /* an unknown function */
	/* written bare (N_BUILTIN) */
	B_PID, B_TID, B_UID, B_GID, B_USERNAME, B_NSECS, B_ELAPSED, B_CPU, B_NCPUS, B_COMM, B_CURTASK,
	B_CGROUP, B_RAND, B_JIFFIES, B_PROBE, B_FUNC, B_RETVAL, B_ARGS, B_CTX, B_CPID, B_NUMAID,
	B_USERMODE, B_HAS_CPID, B_ARGN, B_SARGN, B_PPID, B_PROBETYPE,
	/* both */
	B_KSTACK, B_USTACK, B_PCOMM,
	/* called (N_CALL) */
	B_COUNT, B_SUM, B_MIN, B_MAX, B_AVG, B_STATS, B_HIST, B_LHIST, B_TSERIES,
	B_PRINTF, B_PRINT, B_CLEAR, B_ZERO, B_DELETE, B_EXIT, B_TIME, B_STR, B_REG, B_KSYM, B_USYM,
	B_KADDR, B_UADDR, B_STRNCMP, B_STRLEN, B_STRCONTAINS, B_BSWAP, B_STRERROR, B_CGROUP_PATH,
	B_KPTR, B_UPTR, B_CGROUPID, B_STRFTIME, B_NTOP, B_MACADDR, B_BUF, B_JOIN, B_CAT, B_SYSTEM,
	B_SIGNAL, B_PTON, B_LEN, B_HAS_KEY, B_DEBUGF, B_ERRORF, B_WARNF, B_ASSERT, B_GETOPT,
	B_SIGNAL_THREAD, B_IS_ARRAY, B_IS_INTEGER, B_IS_LITERAL, B_IS_PTR, B_IS_STR, B_IS_UNSIGNED_INTEGER,
	/* static checks and kernel lookups of docs/stdlib.md 0.26 */
	B_FAIL, B_STATIC_ASSERT, B_FIND, B_PERCPU_KADDR, B_SOCKET_COOKIE, B_KFUNC_EXIST, B_KFUNC_ALLOWED, B_PATH,
	/* string functions of docs/stdlib.md 0.26 */
	B_GLOBMATCH, B_MEMCMP, B_STRCAP, B_STRSTR, B_SYSCALL_NAME,
	B__COUNT
};

enum {
	BF_IDENT = 1 << 0,        /* written bare: pid (N_BUILTIN) */
	BF_CALL = 1 << 1,         /* called: f(...) (N_CALL) */
	BF_INDEXED = 1 << 2,      /* the name then 0-255: arg0, sarg3 (node's u.ident.index) */
	BF_UNSAFE = 1 << 3,       /* refused without --unsafe (the check still runs) */
	BF_NO_FOR = 1 << 4,       /* refused in for-loop bodies, which are BPF callbacks */
	BF_NO_BEGIN_END = 1 << 5, /* refused in BEGIN and END probes: there is no task to act on */
	BF_VOID = 1 << 6,         /* a statement: typed none even when its argument count is wrong */
};

#define NARGS_ANY UINT_MAX

/* Sema: the node's type, NULL after an error. */
typedef const struct type *builtin_check_fn(struct sema *s, struct node *n);
/* Codegen: an i64 (value) or a pointer to the type's bytes (bytes). */
typedef struct LLVMOpaqueValue *builtin_emit_fn(struct cg *c, struct node *n);
typedef void builtin_stmt_fn(struct cg *c, struct node *n);

struct builtin_def {
	const char *name;
	unsigned flags;
	unsigned min_args, max_args; /* calls: checked before check() */
	const char *few_args;        /* bpftrace's own words for too few arguments */
	unsigned agg;                /* enum agg_kind (types.h, which the lexer cannot include): count, sum, ... */
	builtin_check_fn *check;
	builtin_emit_fn *value, *bytes;
	builtin_stmt_fn *stmt; /* a call for its effect; otherwise its value or bytes are computed */
};

extern const struct builtin_def builtins[B__COUNT];

/* The row named s[0..len) that has `flag` (BF_IDENT or BF_CALL), or B_NONE; *index: N of argN. */
enum builtin builtin_find(const char *s, size_t len, unsigned flag, unsigned *index);
/* The row of an N_BUILTIN or N_CALL node. */
const struct builtin_def *builtin_of(const struct node *n);

#endif
