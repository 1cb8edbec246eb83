/* Loading, attaching and the event loop: the only code that uses libbpf's loader. */
#ifndef STROBE_RUNTIME_H
#define STROBE_RUNTIME_H

#include <stdbool.h>

#include "../program.h"
#include "../registry.h"

struct child;
struct config;

/* BPFTRACE_MISSING_PROBES: an attach point that fails to attach fails the run, or is skipped. */
enum missing_probes {
	MISSING_PROBES_ERROR,  /* default: error naming it, detach everything, exit 1 */
	MISSING_PROBES_WARN,   /* a warning naming it; the others keep running */
	MISSING_PROBES_IGNORE, /* silently skipped */
};

struct run_opts {
	int pid;              /* -p, or -1 */
	bool quiet;           /* -q: no banner */
	bool dry_run;         /* load and attach nothing, exit after loading */
	bool notify_attached; /* __BPFTRACE_NOTIFY_PROBES_ATTACHED */
	bool print_maps_on_exit;
	enum missing_probes missing_probes;
	/* -c (core/child.h): released once every probe is attached; the run
	 * ends when it exits. NULL without -c. */
	struct child *child;
	/* flushed after every batch of ring-buffer events (the default output buffering), or NULL */
	FILE *flush_batches;
	/* the script's settings, for live sinks (metric_prefix), or NULL */
	const struct config *cfg;
};

/* --info: the kernel's features, map and program types (info.c). */
void runtime_info(FILE *fp);
/*
 * --info's probe types: why this kernel cannot run probes of the core's
 * provider `provider` (kprobe, kfunc, hardware...: "no kprobe PMU"), or NULL
 * when it can or the runtime cannot tell (info.c).
 */
const char *runtime_probe_type_missing(const char *provider);
/*
 * kfunc_allowed(): whether the verifier lets a program of prog_type call
 * kernel function `name` (info.c). It loads a call of it, as bpftrace does:
 * refused only when the kernel says "calling kernel function NAME is not
 * allowed"; a load that fails for another reason (no fentry here) says yes.
 */
bool runtime_kfunc_allowed(const char *name, int prog_type);

/* Create every map in p->maps and the ring buffer; sets the fds. */
int runtime_create_maps(struct program *p, char *err, size_t errlen);
/*
 * Load p->elf into the kernel; sets p->funcs[].fd. A verifier rejection is
 * reported as an error naming the probe, the reason and a log excerpt.
 */
int runtime_load(struct program *p, struct diags *d);
/*
 * Attach every probe, print the banner, run BEGIN, poll events until
 * exit()/SIGINT/SIGTERM (or the -c child's exit), run END, print maps, detach everything. Returns
 * the process exit code.
 */
int runtime_run(struct program *p, struct output *out, const struct run_opts *o);
/* Close fds and free what runtime_* allocated. Safe after any failure. */
void runtime_release(struct program *p);

#endif
