/*
 * What the compiler (core/lang) hands to the runtime (core/runtime).
 *
 * Order of a run: compile_check() fills maps, printfs and funcs;
 * runtime_create_maps() creates every BPF map and sets the fds;
 * compile_codegen() emits the ELF with those fds embedded
 * (llvm.bpf.pseudo); runtime_load() loads it and sets funcs[].fd.
 *
 * Byte layouts both sides rely on:
 *  - Scalar maps (no keys) use key u64 0.
 *  - Keys: one key is the key type's bytes; several keys are a T_TUPLE.
 *  - Integers are stored as 8 bytes in map values, keys and events.
 *  - Strings are `size` bytes, NUL-padded.
 *  - COUNT, SUM: per-CPU u64/s64. MIN, MAX: per-CPU { s64 value; u64 set; }.
 *    AVG, STATS: per-CPU { s64 total; u64 count; }.
 *    HIST, LHIST: per-CPU u64 count; key = user key bytes followed by a
 *    u64 bucket index. log2 (k = 0): 0 is < 0, 1 is 0, n >= 2 is
 *    [2^(n-2), 2^(n-1)); with hist(v, k) (k in hist_args[0]), 2^k buckets per
 *    power of two: index j + 1 is the value j for j < 2^k, else
 *    [(2^k + x) << l, (2^k + x + 1) << l) with l = (j >> k) - 1, x = j & (2^k - 1).
 *    linear: 0 is < min, i >= 1 is
 *    [min + (i-1)*step, min + i*step), the last index is >= max.
 *  - TSERIES: a (not per-CPU) hash; key = user key bytes followed by a u64
 *    slot, epoch % intervals, where epoch = wall-clock ns / interval_ns;
 *    value { s64 value; u64 epoch; u64 count; } of the slot's latest epoch.
 *  - Ring-buffer events start with struct event_hdr; the payload follows.
 *  - Scalar count() maps (no keys) are BPF_MAP_TYPE_PERCPU_ARRAY with one
 *    slot, key u32 0, as in bpftrace 0.17: they always hold a value (0 until
 *    counted), and clear()/delete() zero them instead of deleting.
 */
#ifndef STROBE_PROGRAM_H
#define STROBE_PROGRAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "diag.h"
#include "probe.h"
#include "types.h"

enum event_kind {
	EV_PRINTF = 1,  /* id: printf index; payload: arguments at printf.arg_offsets */
	EV_EXIT,        /* payload: s64 exit code */
	EV_PRINT_MAP,   /* id: map index; payload: u64 top, u64 div */
	EV_CLEAR,       /* id: map index */
	EV_ZERO,        /* id: map index */
	EV_PRINT_VALUE, /* id: print_values index; payload: the value's bytes */
	EV_TIME,        /* id: strings index of the strftime format */
	/* join(), cat(), system(): core/runtime/async.c */
	EV_JOIN,        /* id: strings index of the separator; payload: JOIN_ARGS strings of JOIN_ARG_SIZE bytes */
	EV_CAT,         /* id: printf index (the file name's format); payload: its arguments */
	EV_SYSTEM,      /* id: printf index (the command's format); payload: its arguments */
	/* errorf(), warnf(), a failed assert(): the formatted text as a diagnostic at the call */
	EV_ERRORF,      /* id: printf index; payload: as EV_PRINTF */
	EV_WARNF,       /* id: printf index; payload: as EV_PRINTF */
	/* -k: a helper failed; id: the helper's number; payload: struct helper_error_event */
	EV_HELPER_ERROR,
};

struct helper_error_event {
	int64_t retcode;                /* < 0: -errno; 0: a lookup that found nothing */
	uint32_t line, col, end_col, pad; /* where in the script */
};

/* join(): bpftrace 0.17 reads at most 16 arguments of up to 1024 bytes (with the NUL). */
#define JOIN_ARGS 16
#define JOIN_ARG_SIZE 1024

/* tseries()'s fourth argument: how values in one interval combine (none: the last one). */
enum tseries_agg { TSERIES_LAST, TSERIES_AVG, TSERIES_MAX, TSERIES_MIN, TSERIES_SUM };

struct event_hdr {
	uint32_t kind;
	uint32_t id;
};

struct prog_map {
	const char *name; /* "@x", "@" */
	enum agg_kind agg; /* AGG_NONE for plain values */
	const struct type *key;   /* NULL: scalar map */
	const struct type *value; /* plain maps: the value type; aggregations: the argument type */
	int64_t hist_args[3];     /* hist: k; lhist: min, max, step; tseries: interval_ns, intervals, enum tseries_agg */
	uint32_t key_size, value_size; /* BPF sizes (hist keys include the bucket) */
	int bpf_type;             /* enum bpf_map_type */
	uint32_t max_entries;
	int decl_type;            /* let @m = lruhash(N): its bpf_type and N; 0: not declared */
	uint32_t decl_entries;
	int fd;                   /* set by runtime_create_maps */
	struct loc loc;           /* first use, for runtime warnings */
	/* Pointers are stored as int64 (printed as 0.17 does), but reads keep the
	 * pointer type while every pointer stored agrees: @p->field, @p + 1. */
	const struct type *ptr;
	bool ptr_mixed;
};

struct prog_printf {
	const char *fmt;
	const struct type **arg_types;
	uint32_t *arg_offsets; /* from the start of the payload */
	uint32_t nargs;
	uint32_t size; /* payload size */
	struct loc loc;
};

struct prog_dispatch;

struct prog_func {
	const char *name;          /* the BPF program's name in the ELF */
	int prog_type;             /* enum bpf_prog_type */
	struct probe_info *probe;
	const size_t *attach_idx;  /* attachments of probe that run this function */
	size_t nattach;
	int fd;                    /* set by runtime_load */
	/* Non-NULL: the attachments are delivered by this dispatch group (all of
	 * them: compile_check groups dispatched and other attachments apart), so
	 * the runtime does not attach them one by one. */
	const struct prog_dispatch *dispatch;
	/* The group's dispatcher: no body, no attachments; it tail-calls the
	 * group's function for the event (see struct prog_dispatch). */
	bool dispatcher;
	uint32_t object; /* the program.objects entry holding this function */
};

/* A compiled BPF object (malloc'd ELF). */
struct prog_object {
	void *elf;
	size_t size;
};

/*
 * Attach points delivered through one shared event (provider.h, struct
 * strobe_dispatch): the attachments of one probe whose dispatch names the
 * same shared event, ctx offset and task check. The runtime attaches funcs
 * [entry] once to `shared` and fills map_fd; nothing else is attached.
 *
 * map_fd is a BPF array (u32 key: the dispatch value, e.g. the syscall
 * number; u64 value: slot << 32 | (name index + 1), 0: not traced), created
 * by runtime_create_maps and filled by runtime_load. Every function of the
 * group starts (after the stop flag) by reading the u64 at ctx_offset,
 * looking it up and returning unless it is traced; the `probe` builtin is
 * then the name index (program.probe_names) from the map, not a cookie.
 *
 * One function (nfuncs == 1, the usual case when `args` is not used): it is
 * the entry, attached directly, and also checks the task (task_offset).
 * Several (one per argument layout): a dispatcher function is the entry; it
 * does the checks and tail-calls slot `slot` of progs_fd (a PROG_ARRAY of
 * nfuncs, funcs[i] in slot i), so each event runs one program, not nfuncs.
 */
struct prog_dispatch {
	const char *shared;        /* attach() target of the shared event: "raw_syscalls:sys_enter" */
	const char *type;          /* probe type handed to attach(): "tracepoint" */
	struct provider *provider;
	struct probe_info *probe;
	uint32_t ctx_offset;
	int32_t task_offset;       /* -1: no task check */
	uint32_t task_mask;
	uint32_t max_entries;      /* the largest value + 1 */
	size_t entry;              /* index in program.funcs of the attached function */
	size_t *funcs;             /* indexes in program.funcs; slot i is funcs[i] */
	size_t nfuncs;
	size_t nattach;            /* attach points delivered, for messages */
	int map_fd;                /* -1 until runtime_create_maps */
	int progs_fd;              /* PROG_ARRAY when nfuncs > 1, else -1 */
};

#define SCRATCH_CPU_BYTES 32768u

struct program {
	struct arena arena;
	struct types types;
	const struct source *src;
	struct probe_info *probes;
	size_t nprobes;
	struct prog_map *maps;
	size_t nmaps;
	struct prog_printf *printfs;
	size_t nprintfs;
	const struct type **print_values; /* EV_PRINT_VALUE types */
	size_t nprint_values;
	const char **strings;             /* EV_TIME formats and other constant strings */
	size_t nstrings;
	struct prog_func *funcs;
	size_t nfuncs;
	/* the BPF objects, ELF in memory: one, or one per codegen shard (codegen_emit.c) */
	struct prog_object *objects;
	size_t nobjects;
	int ringbuf_fd;
	uint32_t ringbuf_size;
	/* config */
	uint32_t strlen;       /* BPFTRACE_STRLEN, default 64 */
	uint32_t max_map_keys; /* default 4096 */
	uint32_t cpid;         /* -c: the child's pid (the cpid builtin); 0 without -c */
	uint32_t filter_pid;   /* -p: provider probes see only this process (bpftrace 0.24); 0: all */
	unsigned helper_errors; /* -k: 1, -kk: 2; failing helpers up to that level are reported */
	bool filter_cgroup;    /* --cgroup/--container: provider probes see only tasks under the cgroup */
	uint64_t cgroup_id;    /* its v2 id, at level cgroup_level of the hierarchy */
	uint32_t cgroup_level;
	uint32_t perf_rb_pages; /* ring buffer pages per CPU (perf_rb_pages); 0: the default size */
	uint32_t max_cat_bytes; /* what cat() prints at most (max_cat_bytes) */
	const char *stack_mode; /* kstack/ustack without a mode: "bpftrace", "perf" or "raw" */
	const char *str_trunc_trailer; /* printed after a string str() truncated (types.h trunc) */
	/* Debugging aids for codegen: LLVM IR before / after optimisation to these streams, the
	 * optimised IR to the file emit_llvm (--emit-llvm); NULL: none. */
	FILE *dump_ir, *dump_ir_opt;
	const char *emit_llvm;
	bool one_object; /* --emit-elf: compile into one ELF object, not one per codegen shard */
	/* runtime-private (loader, fds it owns); NULL until runtime_create_maps */
	struct runtime *rt;
	/* core/lang-private: what compile_check found, for compile_codegen */
	struct compile_state *compile_state;
	/*
	 * Scratch memory for values too large for the 512-byte BPF stack
	 * (strings, printf and map records): one BPF array element of
	 * scratch_cpus * SCRATCH_CPU_BYTES bytes, a region per CPU, which
	 * programs reach by direct map value access at their CPU's offset.
	 * Created by runtime_create_maps; scratch_cpus is 0 until then (and
	 * codegen then keeps every value on the stack).
	 */
	int scratch_fd;
	uint32_t scratch_cpus; /* a power of 2, at least the possible CPUs */
	/*
	 * The stop flag: a 1-entry BPF array map with a u64 value, created by
	 * runtime_create_maps (-1 until then). Every provider probe's program
	 * first reads it (direct map value access) and returns at once when it
	 * is non-zero; BEGIN and END do not. The runtime sets it when the run
	 * ends, so maps stop changing before END runs and maps are printed,
	 * and the slow detach can happen afterwards.
	 */
	int stop_fd;
	/*
	 * The `probe` builtin (T_PROBE) is a u64 index into probe_names: the
	 * distinct names of every attach point, BEGIN and END included, in order
	 * of first appearance (see probe_attach.name_id, probe_info.name_index).
	 * The runtime attaches an attachment with BPF cookie name_id; a function
	 * attached to several points reads `probe` with bpf_get_attach_cookie(),
	 * otherwise it is a constant.
	 * Filled by compile_check.
	 */
	const char **probe_names;
	size_t nprobe_names;
	/* Stack-trace maps (struct prog_stack_map), filled by compile_check. */
	struct prog_stack_map *stack_maps;
	size_t nstack_maps;
	/* The failure counters (COUNTER_LOST...), -1 until runtime_create_maps. */
	int counters_fd;
	/* Dispatch groups (struct prog_dispatch), filled by compile_check. */
	struct prog_dispatch *dispatches;
	size_t ndispatches;
};

/*
 * Stack traces (kstack, ustack). One BPF_MAP_TYPE_STACK_TRACE per
 * distinct frame limit (program.stack_maps): key u32 stack id, value
 * nframes u64 instruction pointers, zero-padded. A T_KSTACK value is the
 * s64 that bpf_get_stackid(ctx, map, 0) returned (negative: no stack); a
 * T_USTACK value is that id (flags BPF_F_USER_STACK) followed by the u64
 * tgid, for symbolisation. T_USYM is likewise { u64 address, u64 tgid }.
 * The runtime creates the maps (fd) with runtime_create_maps.
 */
struct prog_stack_map {
	uint32_t nframes;
	int fd;
};

/*
 * Failure counters: program.counters_fd is a per-CPU array of
 * COUNTER_SLOTS(p) u64. Slot COUNTER_LOST counts ring-buffer records that
 * could not be reserved (lost events); slot COUNTER_MAP(i) counts failed
 * updates of p->maps[i] (a full map: -E2BIG, -ENOMEM). Codegen increments
 * them; the runtime reports lost events after each poll ("Lost N events",
 * through the sink's lost()) and full maps once at exit.
 */
#define COUNTER_LOST 0u
#define COUNTER_MAP(i) (1u + (uint32_t)(i))
#define COUNTER_SLOTS(p) (1u + (uint32_t)(p)->nmaps)

/* Free program.objects (codegen makes them, the runtime loads them and frees them when it is released). */
static inline void prog_objects_release(struct program *p)
{
	for (size_t i = 0; i < p->nobjects; i++)
		free(p->objects[i].elf);
	free(p->objects);
	p->objects = NULL;
	p->nobjects = 0;
}

#endif
