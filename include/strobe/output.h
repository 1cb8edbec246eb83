/* SPDX-License-Identifier: MIT */
/*
 * The output-sink ABI. An output module exports one symbol:
 *
 *     const struct strobe_output_ops *strobe_output_entry(void);
 *
 * Sinks see typed values decoded by the core, never raw map or ring-buffer
 * bytes. Values are borrowed for the length of the call. Map entries arrive
 * already aggregated across CPUs and sorted in print order.
 *
 * Versioning: `abi` must equal STROBE_OUTPUT_ABI and `size` must reach at
 * least STROBE_OUTPUT_OPS_MIN_SIZE (the end of close), or the registry
 * refuses the module with a message. `size` lets the core accept older
 * tables that lack appended slots: it never calls a slot beyond `size`.
 * Slots are only ever appended; optional slots may be NULL.
 *
 * Call order for one run: open, [chain], attached (unless -q), [live, once
 * the probes are attached], then any number of printf/map/value/time/lost/
 * join/cat/syscall/helper_error/ready, exiting, the maps printed at exit
 * (map), close. Everything happens on one thread. docs/outputs.md walks
 * through writing a sink.
 *
 * Open returns 0 or -errno. -ECANCELED means "I already reported why
 * (through host->log)": the core then adds no message of its own.
 */
#ifndef STROBE_OUTPUT_H
#define STROBE_OUTPUT_H

#include <stdio.h>
#include <strobe/common.h>

#define STROBE_OUTPUT_ABI 1

enum strobe_value_kind {
	STROBE_V_NONE,  /* no value (a scalar map's key) */
	STROBE_V_INT,   /* .i */
	STROBE_V_UINT,  /* .u */
	STROBE_V_BOOL,  /* .u (0/1) */
	STROBE_V_STR,   /* .str: text, NUL-terminated, len bytes */
	STROBE_V_BUF,   /* .str: raw bytes */
	STROBE_V_TUPLE, /* .list */
	STROBE_V_ARRAY, /* .list */
	STROBE_V_STACK, /* .list of STROBE_V_SYM frames */
	STROBE_V_SYM,   /* .sym: symbolised address */
	STROBE_V_STATS, /* .stats (avg and stats maps) */
	STROBE_V_HIST,  /* .hist */
	/*
	 * A struct/union value (records): .list of its
	 * fields in declaration order (members of anonymous structs and unions
	 * inline), .list.names[i] the name of field i. A sink built before
	 * this kind existed does not know it: it must print nothing (or a
	 * placeholder) for a kind it has no case for, never read past .list.
	 */
	STROBE_V_RECORD,
	/* tseries(): .tseries, a time series. */
	STROBE_V_TSERIES,
};

struct strobe_value;

/* How a stack prints (bpftrace's stack modes); appended. */
enum strobe_stack_mode {
	STROBE_STACK_BPFTRACE, /* "        sym+off" */
	STROBE_STACK_PERF,     /* "\tffffffff81000000 sym+off (module)" */
	STROBE_STACK_RAW,      /* "ffffffff81000000" */
};

struct strobe_value_list {
	const struct strobe_value *items;
	size_t n;
	/* Appended: STROBE_V_STACK only, an enum strobe_stack_mode. */
	uint32_t mode;
	/* Appended: STROBE_V_RECORD only, n field names (NULL for other kinds). */
	const char *const *names;
};

struct strobe_sym {
	uint64_t addr;
	const char *name;   /* "vfs_read+12", or NULL if unknown */
	const char *module; /* user frames: the binary, or NULL */
};

struct strobe_stats {
	uint64_t count;
	int64_t total;
	int64_t average; /* total / count, rounded as bpftrace does */
	bool is_avg;     /* avg(): print only the average */
};

enum strobe_hist_kind {
	STROBE_HIST_LOG2,
	STROBE_HIST_LINEAR,
};

/* One bucket: [lo, hi) with open ends flagged. */
struct strobe_bucket {
	int64_t lo, hi;
	bool underflow; /* (..., hi) */
	bool overflow;  /* [lo, ...) */
	uint64_t count;
};

struct strobe_hist {
	enum strobe_hist_kind kind;
	/* log2: k of hist(n, k), 2^k buckets per power of two (0 from cores before it;
	 * it sits in what was padding, so the struct keeps its size) */
	uint32_t bits;
	int64_t step; /* linear: step, for label rules */
	const struct strobe_bucket *buckets; /* first to last non-empty bucket */
	size_t n;
};

/* One interval of a time series. */
struct strobe_tseries_point {
	uint64_t start_ns; /* the interval's start, ns since the Unix epoch (wall clock) */
	int64_t value;
	bool present;      /* false: nothing was recorded in this interval */
};

/* tseries(n, interval_ns, num_intervals[, agg]): the intervals up to the map's latest, oldest first. */
struct strobe_tseries {
	const struct strobe_tseries_point *points;
	size_t n;
	uint64_t interval_ns;
};

struct strobe_value {
	enum strobe_value_kind kind;
	union {
		int64_t i;
		uint64_t u;
		struct {
			const char *s;
			size_t len;
		} str;
		struct strobe_value_list list;
		struct strobe_sym sym;
		struct strobe_stats stats;
		struct strobe_hist hist;
		struct strobe_tseries tseries; /* appended; no larger than hist */
	};
};

struct strobe_map_entry {
	struct strobe_value key; /* STROBE_V_NONE for a scalar map; TUPLE for multi-key */
	struct strobe_value value;
};

enum strobe_map_kind {
	STROBE_MAP_VALUE, /* plain assignment */
	STROBE_MAP_COUNT,
	STROBE_MAP_SUM,
	STROBE_MAP_MIN,
	STROBE_MAP_MAX,
	STROBE_MAP_AVG,
	STROBE_MAP_STATS,
	STROBE_MAP_HIST,
	STROBE_MAP_LHIST,
	STROBE_MAP_TSERIES, /* appended: values are STROBE_V_TSERIES */
};

struct strobe_map_view {
	const char *name; /* "@x", "@" */
	enum strobe_map_kind kind;
	bool keyed;
	const struct strobe_map_entry *entries;
	size_t n;
};

/* A runtime helper error (type "helper_error" in JSON). */
struct strobe_helper_error {
	const char *helper;   /* "probe_read", "map_update_elem" */
	int64_t retcode;      /* -14 */
	const char *msg;      /* strerror text, "Bad address" */
	const char *filename; /* "stdin" or the script path; NULL if unknown */
	uint32_t line, col;   /* 1-based; 0 if unknown */
};

/*
 * What the core offers a filter sink (see the chain slot). Call these only
 * from inside a callback of the sink, on the thread that called it.
 */
struct strobe_output_ctl {
	uint32_t size; /* sizeof(struct strobe_output_ctl) of the core */
	void *ctx;     /* pass back as the first argument */
	/*
	 * The record being delivered now is not passed on to the sinks after
	 * this one (the default printing is suppressed). Has no effect in open,
	 * chain and close.
	 */
	void (*suppress)(void *ctx);
	/*
	 * A fatal error in the sink (e.g. a Lua runtime error). The core prints
	 * "ERROR: <msg>" on stderr, stops the run as if by SIGTERM (END runs,
	 * probes are detached), delivers nothing more to any sink and exits
	 * with a non-zero status. The sink is still closed.
	 */
	void (*fail)(void *ctx, const char *msg);
	/* Name of the sink right after this one ("text", "json"), or NULL. */
	const char *next;
	/* Append only below this line. */
};

/* What a live sink asks the event loop to watch a file descriptor for (a mask). */
#define STROBE_WATCH_READ 1u
#define STROBE_WATCH_WRITE 2u

/*
 * What the core offers a live sink (see the live slot): a sink that serves
 * requests while the trace runs, such as the Prometheus exporter. Call
 * these only from inside a callback of the sink, on the thread that called
 * it, until exiting().
 */
struct strobe_output_live {
	uint32_t size; /* sizeof(struct strobe_output_live) of the core */
	void *ctx;     /* pass back as the first argument */
	/*
	 * Read every user map now, aggregated across CPUs, and call fn(arg, map)
	 * for each non-empty one, sorted by name; each view is borrowed for the
	 * call of fn. Returns 0 or -errno.
	 */
	int (*snapshot)(void *ctx, void (*fn)(void *arg, const struct strobe_map_view *map), void *arg);
	/*
	 * Have the event loop watch fd (non-blocking, the sink's) for
	 * STROBE_WATCH_READ and/or STROBE_WATCH_WRITE: when it is ready the core
	 * calls the sink's ready slot. A new mask replaces the old one; 0 stops
	 * watching (do that before closing fd). Returns 0 or -errno.
	 */
	int (*watch)(void *ctx, int fd, uint32_t events);
	/* A string setting of the script's config block (metric_prefix, metric_labels), or NULL if unset. */
	const char *(*config)(void *ctx, const char *key);
	/* Append only below this line. */
};

struct strobe_output_ops {
	uint32_t abi;     /* STROBE_OUTPUT_ABI when built */
	uint32_t size;    /* sizeof(struct strobe_output_ops) when built */
	const char *name; /* "text" */
	int (*open)(const struct strobe_host *host, FILE *fp, const char *opts, void **sink);
	/* Probes are attached (the banner). */
	void (*attached)(void *sink, unsigned nprobes);
	/* printf(): text is already formatted; args are the typed arguments. */
	void (*printf)(void *sink, uint32_t fmt_id, const char *text, size_t len,
		       const struct strobe_value *args, size_t nargs);
	/* print(@map) or a map printed at exit. */
	void (*map)(void *sink, const struct strobe_map_view *map);
	/* print(value) */
	void (*value)(void *sink, const struct strobe_value *v);
	void (*lost)(void *sink, uint64_t nevents);
	/* Tracing stopped; maps printed at exit follow. */
	void (*exiting)(void *sink);
	void (*close)(void *sink); /* flushes */
	/* time(): the wall clock, already formatted. */
	void (*time)(void *sink, const char *text, size_t len);

	/*
	 * Every slot below is optional: a NULL slot,
	 * or a table whose `size` ends before it, is simply not called.
	 */

	/* join(): the joined text, without a trailing newline. */
	void (*join)(void *sink, const char *text, size_t len);
	/* cat(): the file's bytes, as read. */
	void (*cat)(void *sink, const char *text, size_t len);
	/* system(): the command's output, as read. */
	void (*syscall)(void *sink, const char *text, size_t len);
	/* A BPF helper failed at run time (with -k, or always for map updates). */
	void (*helper_error)(void *sink, const struct strobe_helper_error *e);
	/*
	 * Filters. A sink that sets this slot is a *filter*: it may sit in front
	 * of other sinks (`-f lua:hooks.lua,json`) and decide, record by record,
	 * whether they see the record. The core calls chain() once, right after
	 * open(), with a control table valid until close(). See
	 * struct strobe_output_ctl. A filter that is last on the command line
	 * gets the text sink chained behind it.
	 */
	void (*chain)(void *sink, const struct strobe_output_ctl *ctl);
	/*
	 * Live sinks. live() is called once the probes are attached, before
	 * the event loop starts, with a table valid until exiting(); a sink
	 * that watches a file descriptor keeps the loop running until
	 * SIGINT/SIGTERM or exit() even when the program has only BEGIN/END.
	 * ready(sink, fd, events) is called from the loop for a watched fd,
	 * events saying what is ready (an error or hang-up counts as
	 * STROBE_WATCH_READ). Never block in ready(): the loop also delivers
	 * the trace's events.
	 */
	void (*live)(void *sink, const struct strobe_output_live *live);
	void (*ready)(void *sink, int fd, uint32_t events);
	/* Append only below this line. */
};
#define STROBE_OUTPUT_OPS_MIN_SIZE offsetofend(struct strobe_output_ops, close)

typedef const struct strobe_output_ops *(*strobe_output_entry_fn)(void);

#endif
