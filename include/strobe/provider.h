/* SPDX-License-Identifier: MIT */
/*
 * The provider ABI: the complete contract between the core and a probe
 * family. docs/providers.md walks through writing one; providers/tracepoint/
 * (tracepoint, rawtracepoint) and providers/perf/ (interval, profile,
 * software, hardware) are the reference implementations.
 *
 * A provider module (a .so named by a plugins.d INI file, see docs/abi.md)
 * exports one symbol, `strobe_provider_entry` unless the INI says
 * `symbol = ...`:
 *
 *     const struct strobe_provider_ops *strobe_provider_entry(void);
 *
 * A provider knows one family of events (or several: one INI section per
 * probe type, all naming the same library, share one module and one state).
 * It lists probes, resolves attach point text into concrete attachments and
 * describes where each argument lives (it never emits BPF code), and
 * attaches a loaded program fd. It includes nothing from the core: only
 * include/strobe/ and system headers (libbpf's bpf.h/btf.h, libelf...).
 *
 * Lifecycle, all driven by the core:
 *
 *   1. INI files are read; nothing is loaded.
 *   2. The first time one of the module's probe types is used (a probe in
 *      the program, or -l), the core dlopen()s it, calls the entry symbol,
 *      checks abi/size/required slots (refusing the module with a message
 *      naming it otherwise) and calls init() once.
 *   3. list() for -l / -lv; resolve() once per attach point in the program.
 *   4. After the programs are loaded: attach() once per attachment that
 *      resolve() added, with the program fd and the attachment's BPF cookie
 *      (or attach_multi() once for a group of them, see set_multi).
 *   5. detach() once per successful attach(), then fini() once, then
 *      dlclose().
 *
 * Threads: init, list, resolve, attach and fini run on the core's main
 * thread, one at a time. detach() may run concurrently for *different* links
 * on several threads, and in a forked child process (the core detaches many
 * links in parallel, because each close waits for an RCU grace period): it
 * must only close the link's own fds and free the link, touching no shared
 * provider state unless it locks it.
 *
 * Errors: a provider never exits the process or prints. resolve() reports
 * through r->error() (the core locates the message at the probe in the
 * source), attach() through errbuf; both return -errno. A callback that
 * fails without a message gets a generic one built from the errno; a
 * resolve() that succeeds but adds nothing is reported as "TYPE:TARGET
 * matched no probes". init() failing makes the whole module unusable, with
 * its errno in the message, for the rest of the run.
 *
 * Versioning: `abi` must equal STROBE_PROVIDER_ABI (the INI's `abi = N` is
 * checked before dlopen too) and `size` must reach at least
 * STROBE_PROVIDER_OPS_MIN_SIZE. `size` lets the core accept older tables
 * that lack appended slots: it never calls a slot beyond `size`. Every
 * struct here is append only; changing or removing a member means a new
 * STROBE_PROVIDER_ABI and a changelog entry in docs/abi.md.
 */
#ifndef STROBE_PROVIDER_H
#define STROBE_PROVIDER_H

#include <strobe/common.h>

#define STROBE_PROVIDER_ABI 1

/*
 * Where an argument's value is found, as seen by the program (its context
 * pointer is what the program type gets: the tracepoint record for
 * BPF_PROG_TYPE_TRACEPOINT, an array of u64 arguments for
 * BPF_PROG_TYPE_RAW_TRACEPOINT and fentry, struct pt_regs for kprobes and
 * uprobes, struct bpf_perf_event_data for BPF_PROG_TYPE_PERF_EVENT).
 */
enum strobe_loc_kind {
	STROBE_LOC_CTX,     /* ctx + offset, `size` bytes */
	STROBE_LOC_REG,     /* pt_regs register number `reg` (x86-64 pt_regs order) */
	STROBE_LOC_REG_MEM, /* *(reg + offset), `size` bytes */
	STROBE_LOC_CONST,   /* the constant `value` */
	STROBE_LOC_BTF_ARG, /* slot `offset` of the fentry/fexit context */
	/* *(reg + index_reg * scale + offset), `size` bytes; reg or index_reg may be -1
	 * (absent). The core reads index_reg and scale only for this kind. */
	STROBE_LOC_REG_INDEX_MEM,
};

/*
 * What the bytes at the location are. The core derives the script-visible
 * type from this: INT -> integer of `size` bytes; PTR -> pointer to
 * `pointee` (user memory if `user`); ARRAY of 1-byte elements -> string of
 * `count` bytes, other arrays -> array of integers; DATA_LOC -> string.
 */
enum strobe_arg_kind {
	STROBE_ARG_INT,      /* integer of `size` bytes, `is_signed` */
	STROBE_ARG_PTR,      /* pointer; `pointee` names the target type ("char") */
	STROBE_ARG_ARRAY,    /* inline array of `count` elements of `elem_size` */
	STROBE_ARG_DATA_LOC, /* tracepoint __data_loc: u32 (len << 16 | offset) */
	/* Appended: strings behind a pointer. The location holds the pointer (8
	 * bytes; `user`: into the traced process, else kernel memory). */
	STROBE_ARG_STR,      /* NUL-terminated string at the pointer */
	STROBE_ARG_STR_LEN,  /* `length` bytes at the pointer, not NUL-terminated;
			      * `length` names the argument holding the byte count */
};

/*
 * One argument. Examples from the shipped providers:
 *   tracepoint `int dfd` at record offset 16:
 *     { "dfd", "int", STROBE_LOC_CTX, STROBE_ARG_INT, .offset = 16, .size = 4, .is_signed = true }
 *   rawtracepoint sched_switch's `struct task_struct *prev` (u64 slot 1):
 *     { "prev", "struct task_struct *", STROBE_LOC_CTX, STROBE_ARG_PTR, .offset = 8, .size = 8,
 *       .pointee = "struct task_struct" }
 * Strings are copied by the core (add_arg, listings are used during the call only).
 */
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
	/* Appended: STROBE_LOC_REG_INDEX_MEM only. */
	int index_reg;       /* pt_regs register number, or -1 */
	uint32_t scale;      /* 1, 2, 4 or 8 */
	/* Appended: STROBE_ARG_STR_LEN only (the core reads it, index_reg and
	 * scale for that kind): the name of the integer argument of the same
	 * attachment that holds the string's length in bytes ("len"). */
	const char *length;
};

/*
 * Builtins a probe offers, beyond those every probe has (pid, comm, nsecs,
 * cpu, ...). The semantic checker refuses the others with a located error.
 * args.NAME is looked up by name in the attachment's argument list; argN
 * first by the name "argN" there, then (raw tracepoints, fentry) as u64
 * slot N of the context, or (kprobe-like) as the Nth pt_regs argument.
 */
enum {
	STROBE_BUILTIN_ARGS = 1u << 0,   /* args->field / args.field */
	STROBE_BUILTIN_ARGN = 1u << 1,   /* arg0..argN */
	STROBE_BUILTIN_RETVAL = 1u << 2, /* retval */
	STROBE_BUILTIN_FUNC = 1u << 3,   /* func */
	STROBE_BUILTIN_REGS = 1u << 4,   /* reg("...") */
	/*
	 * Appended, with STROBE_BUILTIN_FUNC: func (bpf_get_func_ip) is an
	 * address in the traced process, not the kernel (uprobes): it should
	 * print like usym(func), symbolized through the process's maps, as
	 * bpftrace prints it. A core that does not know the bit ignores it.
	 */
	STROBE_BUILTIN_FUNC_USER = 1u << 5,
};

struct strobe_attachment;

/*
 * Appended: delivery through a shared event with in-kernel dispatch.
 *
 * Some families have many events that are all fired from one shared event
 * with the same record layout: every syscalls:sys_enter_X tracepoint is
 * raw_syscalls:sys_enter filtered on the syscall number. Attaching hundreds
 * of perf events is slow (and closing them slower: an RCU grace period each
 * under a kernel mutex), so resolve() may say, per attachment, "instead of
 * attaching `target`, you may attach the program once to `shared` (through
 * this provider's attach(), with req->target = shared) and run it only when
 * the u64 at `ctx_offset` of the context equals `value`". The attachment's
 * argument list must describe the shared event's record as well (same
 * offsets). The core then builds one program for the whole group, guarded
 * by a BPF array map indexed by `value`, and counts the attach points as the
 * user wrote them; it may still attach `target` itself (a small group, or
 * STROBE_NO_SYSCALL_DISPATCH=1), so `target` must stay attachable.
 *
 * If task_offset >= 0, the program also requires
 *   (*(u32 *)((char *)current_task + task_offset) & task_mask) == 0
 * (read through bpf_get_current_task_btf(); the offset must be a u32 member
 * of task_struct in the kernel's BTF). The syscall tracepoints use it to skip
 * 32-bit (TS_COMPAT) syscalls, which the syscalls:* events never see but
 * raw_syscalls:sys_enter does, with numbers from another table.
 */
#define STROBE_DISPATCH_MAX_VALUE 4096 /* value < this: it indexes a BPF array */

struct strobe_dispatch {
	uint32_t size;          /* sizeof(struct strobe_dispatch) */
	const char *shared;     /* "raw_syscalls:sys_enter", copied by the core */
	uint32_t ctx_offset;    /* of the u64 key in the shared event's context: 8 */
	uint64_t value;         /* this attachment's key: the syscall number */
	int32_t task_offset;    /* -1: no task check */
	uint32_t task_mask;
};

/*
 * Appended: the kernel function a BPF_PROG_TYPE_TRACING attachment is loaded
 * for (strobe_resolver.set_btf_target). The program's context is an array
 * of u64, one slot per argument (STROBE_LOC_BTF_ARG, offset = slot); on
 * fexit the return value is the slot after the last argument. Strings are
 * copied by the core.
 */
struct strobe_btf_target {
	uint32_t size;          /* sizeof(struct strobe_btf_target) */
	int attach_type;        /* enum bpf_attach_type: BPF_TRACE_FENTRY, BPF_TRACE_FEXIT */
	const char *func;       /* a BTF FUNC: "vfs_read" */
	const char *module;     /* NULL: vmlinux; else the module whose BTF has func */
	/* Printed with the load error when the kernel refuses the program
	 * (EPERM: no fentry on this kernel): what to use instead, or NULL. */
	const char *hint;
};

/*
 * Builder handed to resolve(). The provider calls add() once per concrete
 * attach point (a wildcard expands to several) and add_arg() for each of its
 * arguments, in order; strings are copied by the core. prog_type is a
 * BPF_PROG_TYPE_* value: the core compiles one program per distinct
 * context layout and attaches it to each attachment with its own cookie.
 * If resolve() fails, everything added during that call is dropped.
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
	/*
	 * Appended (check r->size reaches it): attachment a may be delivered
	 * through a shared event, see struct strobe_dispatch. Optional for the
	 * core to honour; 0 or -EINVAL (bad arguments: the attachment stays a
	 * normal one).
	 */
	int (*set_dispatch)(struct strobe_resolver *r, struct strobe_attachment *a,
			    const struct strobe_dispatch *d);
	/*
	 * Appended (check r->size >= offsetofend(struct strobe_resolver, pid)
	 * before reading it; treat an older resolver as pid -1): the process
	 * the run is limited to, from -p PID or the -c child, else -1. Providers
	 * of per-process probes resolve against it: the uprobe and usdt
	 * providers look bare library names up in /proc/PID/maps, read paths
	 * through /proc/PID/root and expand `*` over the mapped files. The -c
	 * child has not exec'd CMD yet when probes are resolved (it is a fork
	 * of strobe waiting to be released), so its maps are strobe's own.
	 */
	int pid;
	/*
	 * Appended (check r->size >= offsetofend(struct strobe_resolver,
	 * set_btf_target) before calling it): attachment a is a
	 * BPF_PROG_TYPE_TRACING program (fentry/fexit) for the kernel function
	 * t->func. The core then builds one program for this attachment alone,
	 * loads it with t->attach_type and the function's BTF id (module BTF
	 * when t->module is set) and hands its fd to attach(), which links it
	 * (bpf_link_create or BPF_RAW_TRACEPOINT_OPEN). 0, or -EINVAL.
	 */
	int (*set_btf_target)(struct strobe_resolver *r, struct strobe_attachment *a,
			      const struct strobe_btf_target *t);
	/*
	 * Appended (check r->size >= offsetofend(struct strobe_resolver,
	 * set_multi) before calling it): attachment a may be attached together
	 * with other attachments of the same program, probe type and
	 * attach_type through the provider's attach_multi() (one kernel link
	 * for many functions: kprobe_multi), provided the program is loaded
	 * with expected_attach_type attach_type (enum bpf_attach_type, e.g.
	 * BPF_TRACE_KPROBE_MULTI). The core decides whether to: it loads a
	 * copy of the program with that attach type for a group of at least
	 * two such attachments and calls attach_multi(); when that copy does
	 * not load or attach_multi() fails, it attaches each attachment with
	 * attach() and the program as loaded normally, so attach() must keep
	 * working for them. 0, or -EINVAL.
	 */
	int (*set_multi)(struct strobe_resolver *r, struct strobe_attachment *a, int attach_type);
	/*
	 * Appended (check r->size >= offsetofend(struct strobe_resolver,
	 * set_newest_first) before calling it): the kernel runs the programs
	 * attached to attachment a's event newest first (uprobe consumers,
	 * kprobe handlers, the software perf events of one task). The core then
	 * attaches the probes of such events last-written first, so that they
	 * fire in the order the script gives them, as bpftrace's do. 0, or -EINVAL.
	 */
	int (*set_newest_first)(struct strobe_resolver *r, struct strobe_attachment *a);
	/*
	 * Appended (check r->size >= offsetofend(struct strobe_resolver,
	 * cmd_argv) before reading it; treat an older resolver as NULL): the
	 * words of the -c command, NULL-terminated, argv[0] being the file the
	 * child will exec (looked up in PATH), else NULL. Until probes are
	 * attached the child (pid) has not exec'd it: a provider of a runtime
	 * finds the interpreter here ("python3 x.py", "java -cp . Main").
	 */
	const char *const *cmd_argv;
};

/* set_newest_first() where the core has it (an older core attaches in script order). */
static inline void strobe_newest_first(struct strobe_resolver *r, struct strobe_attachment *a)
{
	if (a && r->size >= offsetofend(struct strobe_resolver, set_newest_first) && r->set_newest_first)
		r->set_newest_first(r, a);
}

/*
 * One line of -l output; with -v, args describes the arguments, printed as
 * "    <ctype> <name>" (bpftrace's -lv layout; ARRAY adds "[count]"). args
 * is an array of nargs records of strobe_provider_ops.arg_size bytes each
 * (sizeof(struct strobe_arg) of the provider's header), so the core steps
 * through it with the provider's record size, not its own. The
 * listing and its strings need only live for the call to the callback.
 * list() gets the glob that followed "type:" (or "*"); the core filters
 * the full names again, so a provider may list more than the glob matches
 * but never needs to.
 */
struct strobe_listing {
	const char *name; /* "tracepoint:sched:sched_switch" */
	const struct strobe_arg *args;
	size_t nargs;
};
typedef int (*strobe_list_fn)(void *ctx, const struct strobe_listing *l); /* !0 stops */

/*
 * A live attachment; providers embed it and use container_of. nr_attached
 * is what "Attaching N probes..." counts (1 per attachment, however many
 * CPUs or perf events it needed).
 */
struct strobe_link {
	unsigned nr_attached;
};

/*
 * What attach() gets. cookie must reach bpf_get_attach_cookie() in the
 * program (the `probe` builtin uses it to tell attachments of one program
 * apart): perf events carry it in the BPF_PERF_EVENT link
 * (include/strobe/perf_link.h), raw tracepoints in BPF_RAW_TRACEPOINT_OPEN
 * (Linux >= 6.10). A provider whose kernel cannot carry it attaches anyway
 * and warns once through host->log.
 */
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
	/* optional. init: 0 and *st (handed to every other call), or -errno. host
	 * stays valid until fini() returns. Load expensive things (BTF, symbol
	 * tables) lazily on first use, not here: -l of another type also inits. */
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
	/*
	 * Frees link, best effort. The core may call detach() for different
	 * links at the same time from several threads (closing tracepoint perf
	 * events waits for an RCU grace period each, and concurrent closers
	 * share grace periods), possibly in a forked child process that shares
	 * the fds, after the output is printed. So detach() must touch only its
	 * own link (close its fds, free it), never shared provider state without
	 * a lock, and must not print.
	 */
	void (*detach)(void *st, struct strobe_link *link);
	/* Append only below this line. */
	/*
	 * Appended, optional (the core checks size reaches it): uaddr("name")
	 * in a probe of attachment `target` (as given to add()). *addr: the
	 * address of the data or function symbol `name` in the object the
	 * attachment probes, *size its size in bytes (0: unknown). When the
	 * object is position-independent the address is only known at run time:
	 * set *relative and make *addr the symbol's distance from the probed
	 * address (what bpf_get_func_ip() returns in the program). 0, or
	 * -ENOENT when the object has no such symbol.
	 */
	int (*symbol)(void *st, const char *type, const char *target, const char *name, int64_t *addr,
		      uint32_t *size, bool *relative);
	/*
	 * Appended, optional (the core checks size reaches it): attach one
	 * program to n >= 2 attachments at once (strobe_resolver.set_multi),
	 * all of one probe type and with the same prog_fd, which was loaded
	 * with the attach type set_multi() named. reqs[i].cookie must reach
	 * bpf_get_attach_cookie() for the event of reqs[i].target. All or
	 * nothing: on success *out is one link whose nr_attached is n (detach()
	 * frees it like any other); on failure nothing stays attached, errbuf
	 * says why, and the core falls back to attach() one by one with a
	 * program loaded without the attach type, so a provider may fail here
	 * for any reason (-EOPNOTSUPP: the kernel has no such link).
	 */
	int (*attach_multi)(void *st, const struct strobe_attach_req *reqs, size_t n,
			    struct strobe_link **out, char *errbuf, size_t errlen);
	/*
	 * Appended: sizeof(struct strobe_arg) when built, the record size of
	 * strobe_listing.args (libbpf's *_rec_size pattern). A table too short
	 * to have it is read with the layout of its time (docs/abi.md).
	 */
	uint32_t arg_size;
};
#define STROBE_PROVIDER_OPS_MIN_SIZE offsetofend(struct strobe_provider_ops, detach)

typedef const struct strobe_provider_ops *(*strobe_provider_entry_fn)(void);

#endif
