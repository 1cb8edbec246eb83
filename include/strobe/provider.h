/* SPDX-License-Identifier: MIT */
/*
 * The provider ABI. A provider module (a .so named by a plugins.d INI file)
 * exports one symbol:
 *
 *     const struct strobe_provider_ops *strobe_provider_entry(void);
 *
 * A provider knows one family of events. It lists probes, resolves attach
 * point text into concrete attachments and describes where each argument
 * lives (it never emits BPF code), and attaches a loaded program fd.
 *
 * Versioning: `abi` must equal STROBE_PROVIDER_ABI; `size` lets the core
 * accept older tables that lack appended slots. Append only.
 */
#ifndef STROBE_PROVIDER_H
#define STROBE_PROVIDER_H

#include <strobe/common.h>

#define STROBE_PROVIDER_ABI 1

/* Where an argument's value is found, as seen by the program. */
enum strobe_loc_kind {
	STROBE_LOC_CTX,     /* ctx + offset, `size` bytes */
	STROBE_LOC_REG,     /* pt_regs register number `reg` (x86-64 pt_regs order) */
	STROBE_LOC_REG_MEM, /* *(reg + offset), `size` bytes */
	STROBE_LOC_CONST,   /* the constant `value` */
	STROBE_LOC_BTF_ARG, /* slot `offset` of the fentry/fexit context */
};

/* What the bytes at the location are. */
enum strobe_arg_kind {
	STROBE_ARG_INT,      /* integer of `size` bytes, `is_signed` */
	STROBE_ARG_PTR,      /* pointer; `pointee` names the target type ("char") */
	STROBE_ARG_ARRAY,    /* inline array of `count` elements of `elem_size` */
	STROBE_ARG_DATA_LOC, /* tracepoint __data_loc: u32 (len << 16 | offset) */
};

struct strobe_arg {
	const char *name;  /* "filename" */
	const char *ctype; /* C spelling for -lv: "const char *" */
	enum strobe_loc_kind loc;
	enum strobe_arg_kind kind;
	int32_t offset;
	uint32_t size;
	bool is_signed;
	bool user;           /* pointer into user memory */
	int reg;             /* STROBE_LOC_REG/_REG_MEM */
	int64_t value;       /* STROBE_LOC_CONST */
	const char *pointee; /* STROBE_ARG_PTR/_ARRAY/_DATA_LOC element type: "char", "int" */
	uint32_t elem_size;  /* STROBE_ARG_ARRAY */
	uint32_t count;      /* STROBE_ARG_ARRAY */
};

/* Builtins a probe offers, beyond those every probe has. */
enum {
	STROBE_BUILTIN_ARGS = 1u << 0,   /* args->field / args.field */
	STROBE_BUILTIN_ARGN = 1u << 1,   /* arg0..argN */
	STROBE_BUILTIN_RETVAL = 1u << 2, /* retval */
	STROBE_BUILTIN_FUNC = 1u << 3,   /* func */
	STROBE_BUILTIN_REGS = 1u << 4,   /* reg("...") */
};

struct strobe_attachment;

/*
 * Builder handed to resolve(). The provider calls add() once per concrete
 * attach point; strings are copied by the core.
 */
struct strobe_resolver {
	uint32_t size;
	/* name: full canonical probe name ("tracepoint:syscalls:sys_enter_openat");
	 * target: the provider-specific part that attach() receives back. */
	struct strobe_attachment *(*add)(struct strobe_resolver *r, const char *name,
					 const char *target, int prog_type, unsigned builtins);
	int (*add_arg)(struct strobe_resolver *r, struct strobe_attachment *a,
		       const struct strobe_arg *arg);
	/* Report why the attach point is wrong; the core locates it at the probe. */
	void (*error)(struct strobe_resolver *r, const char *fmt, ...) STROBE_PRINTF(2, 3);
	void (*warning)(struct strobe_resolver *r, const char *fmt, ...) STROBE_PRINTF(2, 3);
	/* Append only below this line. */
};

/* One line of -l output; with -v, args describes the arguments. */
struct strobe_listing {
	const char *name; /* "tracepoint:sched:sched_switch" */
	const struct strobe_arg *args;
	size_t nargs;
};
typedef int (*strobe_list_fn)(void *ctx, const struct strobe_listing *l); /* !0 stops */

/* A live attachment; providers embed it and use container_of. */
struct strobe_link {
	unsigned nr_attached;
};

struct strobe_attach_req {
	uint32_t size;
	const char *type;   /* probe type as written after alias lookup ("tracepoint") */
	const char *target; /* as given to add() */
	int prog_fd;
	uint64_t cookie;
	int pid;            /* -p PID, or -1 */
};

struct strobe_provider_ops {
	uint32_t abi;     /* STROBE_PROVIDER_ABI when built */
	uint32_t size;    /* sizeof(struct strobe_provider_ops) when built */
	const char *name; /* canonical: "tracepoint" */
	/* optional */
	int (*init)(const struct strobe_host *host, void **st);
	void (*fini)(void *st);
	/* required. type is the canonical probe type (a provider may serve several). */
	int (*list)(void *st, const char *type, const char *glob, bool verbose,
		    strobe_list_fn fn, void *ctx);
	/* 0 on success (even if nothing matched: add() was simply not called), -errno after error(). */
	int (*resolve)(void *st, const char *type, const char *target, struct strobe_resolver *r);
	/* *out set only on success; on failure errbuf says why. */
	int (*attach)(void *st, const struct strobe_attach_req *req, struct strobe_link **out,
		      char *errbuf, size_t errlen);
	void (*detach)(void *st, struct strobe_link *link); /* frees link, best effort */
	/* Append only below this line. */
};
#define STROBE_PROVIDER_OPS_MIN_SIZE offsetofend(struct strobe_provider_ops, detach)

typedef const struct strobe_provider_ops *(*strobe_provider_entry_fn)(void);

#endif
