/*
 * core/runtime internals shared by its files (each section names the file
 * that defines it). The pure parts (decoding, aggregation, sorting, printf
 * rendering) take byte buffers so unit tests need no kernel.
 */
#ifndef STROBE_RUNTIME_INTERNAL_H
#define STROBE_RUNTIME_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strobe/output.h>

#include "../arena.h"
#include "../fmt.h"
#include "../program.h"
#include "buf.h"
#include "runtime.h"

/* Runtime-private state hung off struct program (p->rt). */
struct runtime {
	struct bpf_object **objs; /* parallel to program.objects */
	size_t nobjs;
	/* Copies of functions loaded with another expected attach type
	 * (runtime_load_copy), closed by runtime_release. */
	int *copy_fds;
	size_t ncopies;
};

/*
 * Load a second copy of p->funcs[fi] with expected_attach_type attach_type
 * (a kprobe_multi link needs BPF_TRACE_KPROBE_MULTI, which the kernel then
 * refuses to attach to a perf event, so the normally loaded program stays
 * for attach()). Its maps are the program's own. A program fd owned by the
 * runtime, or -errno with err saying why.
 */
int runtime_load_copy(struct program *p, size_t fi, int attach_type, char *err, size_t errlen);

/* Set the stop flag (program.h): provider probes do nothing from now on. */
int runtime_stop(struct program *p);

/* The name users know a function by: "BEGIN", or its first attach point. */
const char *func_probe_name(const struct prog_func *f);

/* ---- value decoding (decode.c) ---- */

/* Decode the bytes of one value of type ty; lists and strings go in a. */
void value_decode(struct arena *a, const struct type *ty, const uint8_t *bytes,
		  struct strobe_value *v);
/* T_PROBE values decode to names[index] (program.h probe_names); the table must outlive decoding. */
void value_set_probe_names(const char *const *names, size_t n);
/* What follows a string str() truncated (config str_trunc_trailer; NULL: ".."); it must outlive decoding. */
void value_set_str_trailer(const char *trailer);
/* syscalls.c: this architecture's name of syscall nr, or NULL. */
const char *syscall_name_of(uint64_t nr);

/* ---- map reading and aggregation (mapread.c) ---- */

/* bpftrace 0.17's key order: integers as unsigned, strings by strncmp, tuples field by field. */
int key_compare(const struct type *ty, const uint8_t *a, const uint8_t *b);

/* Raw entries of one map, as read from the kernel. */
struct map_raw {
	uint8_t *keys;         /* n * key_size */
	uint8_t *values;       /* n * ncpus * value_stride */
	size_t n;
	uint32_t ncpus;        /* value copies per entry: possible CPUs if per-CPU, else 1 */
	uint32_t value_stride; /* bytes per copy */
};

bool map_is_percpu(int bpf_type);
/* Bytes per CPU copy of a value as the kernel returns it. */
uint32_t map_value_stride(const struct prog_map *m);

/* A decoded map, aggregated across CPUs and sorted, ready for a sink. */
struct map_view_buf {
	struct arena arena;
	struct strobe_map_view view;
};

/*
 * Aggregate, sort (bpftrace 0.17 order), keep the `top` largest (0: all)
 * and divide by div (0/1: none).
 */
void map_build_view(const struct prog_map *m, const struct map_raw *raw, uint64_t top,
		    uint64_t div, struct map_view_buf *out);
void map_view_release(struct map_view_buf *v);

/* ---- kernel map access (mapread.c) ---- */

int map_read_raw(const struct prog_map *m, struct map_raw *raw);
/* Every user map (named @...) sorted by name, decoded for fn; empty maps too if with_empty. */
int maps_each(const struct program *p, bool with_empty,
	      void (*fn)(void *arg, const struct strobe_map_view *map), void *arg);
void map_raw_release(struct map_raw *raw);
int map_clear(const struct prog_map *m); /* delete every key */
int map_zero(const struct prog_map *m);  /* zero every value, keep the keys */

/* ---- live sinks (live.c) ---- */

struct config;
struct ring_buffer;

/* The event loop of a run whose sinks watch file descriptors (output.h, the live slot). */
struct live {
	int epfd, ring_fd; /* epfd: the ring buffer's epoll fd and the sinks' fds, from the first watch */
	size_t nwatch;     /* fds the sinks watch */
	bool over;         /* live_stop() was called: nothing is watched any more */
	struct program *p;
	struct output *out;
	struct ring_buffer *rb;
	const struct config *cfg;
	struct strobe_output_live table;
};

/* Hand the sinks the live table (if they take one). */
void live_start(struct live *lv, struct program *p, struct output *out, struct ring_buffer *rb,
		const struct config *cfg);
/* A sink watches something: poll with live_poll() instead of ring_buffer__poll(). */
bool live_active(const struct live *lv);
/* Wait up to timeout_ms; consume ring-buffer events, call ready() for the sinks' fds. */
int live_poll(struct live *lv, int timeout_ms);
void live_stop(struct live *lv);

/* ---- kernel symbols (ksyms.c) ---- */

/* The symbol at or below addr (and the offset into it), or NULL. Valid until ksyms_release. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);
void ksyms_release(void);

/* ---- stacks (stacks.c) and user symbols (usyms.c) ---- */

int stacks_create_maps(struct program *p, char *err, size_t errlen);
void stacks_release(struct program *p);
/* kstack/ustack values are looked up in p's stack maps. */
void stacks_set_program(const struct program *p);
void stack_decode(struct arena *a, const struct type *ty, const uint8_t *bytes, struct strobe_value *v);
/*
 * The symbol of user address addr in process pid ("main+12" with offset),
 * or NULL; *module is the mapped file, or NULL. Strings live in a (or the cache).
 */
const char *usym_lookup(struct arena *a, uint32_t pid, uint64_t addr, bool offset, const char **module);
void usyms_release(void);

/* ---- failure counters (counters.c, program.h COUNTER_*) ---- */

/* Create the counters map; also sizes the ring buffer from BPFTRACE_PERF_RB_PAGES. */
int counters_create(struct program *p, char *err, size_t errlen);
void counters_release(struct program *p);
struct run_state;
/* Lost ring-buffer events since the last report, through the sink's lost(). */
void counters_report_lost(struct run_state *st);
/* One warning per map whose updates failed (full), on stderr. */
void counters_report_full(const struct program *p);

/* ---- printf (printf.c) ---- */

/* Append the text of a %r / %rx / %rh buffer. */
void render_buffer(struct strbuf *out, char mode, const uint8_t *data, size_t len);
/* Text of one decoded value, as %s prints it. */
void render_value_text(struct strbuf *out, const struct strobe_value *v);
/*
 * Render printf `pf` with its parsed specs over the event payload into out
 * (replacing its contents) and decode the typed arguments into args[nargs].
 * Returns 0, or -EINVAL if the payload is too short.
 */
int printf_render(const struct prog_printf *pf, const struct fmt_spec *specs, size_t nspecs,
		  const uint8_t *payload, size_t len, struct strbuf *out, struct arena *a,
		  struct strobe_value *args);

/* %gr: GFP flags by this kernel's names ("GFP_KERNEL|__GFP_ZERO", "none"), appended (gfp.c). */
void gfp_flags_text(struct strbuf *out, uint64_t flags);

/* ---- join(), cat() and system() events (async.c) ---- */

struct run_state;
/* EV_JOIN, EV_CAT, EV_SYSTEM (program.h); false for other kinds. */
bool handle_func_event(struct run_state *st, uint32_t kind, uint32_t id, const uint8_t *payload, size_t len);

/* ---- events (events.c) ---- */

struct run_state {
	struct program *p;
	struct output *out;
	struct fmt_spec **specs; /* per printf, parsed once */
	int *nspecs;
	struct strobe_value *args; /* scratch, the largest printf's nargs */
	struct strbuf text;
	bool exit_seen; /* exit(): later events are dropped until END runs */
	int exit_code;
	/*
	 * Set while the main loop polls: handle_event then returns -EINTR once
	 * exit() was seen or *stop_signal is set, so that a poll returns even
	 * when the ring buffer never drains (a program whose output makes the
	 * events it traces: printf on every syscall).
	 */
	bool in_loop;
	volatile sig_atomic_t *stop_signal;
	/* Lost events already reported (counters.c). */
	uint64_t lost_reported;
	/* Decoded values of the event being shown, reset per event. */
	struct arena scratch;
	/* -k: the places whose failing helper was reported (once each), as line << 32 | col */
	uint64_t *helper_sites;
	size_t nhelper_sites;
};

int run_state_init(struct run_state *st, struct program *p, struct output *out);
void run_state_release(struct run_state *st);
/* ring_buffer_sample_fn */
int handle_event(void *ctx, void *data, size_t size);
/* Read, aggregate, sort and hand one map to the sink. */
int print_map(struct run_state *st, const struct prog_map *m, uint64_t top, uint64_t div);

#endif
