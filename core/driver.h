/* The flow of one run: parse, resolve probes, check, create maps, codegen, load, run. */
#ifndef STROBE_DRIVER_H
#define STROBE_DRIVER_H

#include <stdbool.h>

#include "diag.h"

enum debug_stage {
	DEBUG_AST = 1u << 0,         /* -d ast: print the AST and stop */
	DEBUG_TYPES = 1u << 1,       /* -d types: the AST with the checker's types */
	DEBUG_CODEGEN = 1u << 2,     /* -d codegen: LLVM IR as generated */
	DEBUG_CODEGEN_OPT = 1u << 3, /* -d codegen-opt: LLVM IR after optimisation */
};

enum buffering {
	/* Default: fully buffered, flushed after every batch of events the run
	 * reads; the same promptness as line buffering for a fraction of the
	 * writes at high event rates. */
	BUFFER_BATCH,
	BUFFER_LINE,
	BUFFER_FULL,
	BUFFER_NONE,
};

struct driver_opts {
	const struct source *src;
	char **positional; /* script arguments: $1.. */
	int npositional;
	char **named;      /* script options --name[=value], "--" removed: getopt() */
	int nnamed;
	unsigned debug;    /* enum debug_stage bits */
	const char *output_format; /* "text" */
	const char *output_file;   /* -o, or NULL for stdout */
	enum buffering buffering;
	int pid;
	const char *cmd;           /* -c 'CMD', or NULL */
	const char *cgroup;        /* --cgroup PATH, or NULL */
	const char *container;     /* --container NAME|ID, or NULL */
	bool quiet;
	bool dry_run;
	bool verbose;
	bool unsafe;               /* --unsafe: system() and signal() */
	const char *emit_elf;      /* --emit-elf FILE: write the BPF object and stop before loading */
	const char *emit_llvm;     /* --emit-llvm FILE: write the optimised LLVM IR */
	const char *const *incdirs;  /* -I DIR..., NULL-terminated */
	const char *const *includes; /* --include FILE..., NULL-terminated */
	bool list_probes;            /* -l with a program: print the probes it would attach, run nothing */
	unsigned helper_errors;      /* -k 1, -kk 2: report failing helpers */
};

/* Returns the process exit status. */
int driver_run(const struct driver_opts *o);
/* --info, to stderr as bpftrace prints it */
int driver_info(const char *version);
/* strobe --tools: the installed scripts with their descriptions (tools_list.c); 0 or -1. */
int driver_list_tools(FILE *fp);
/* -l [pattern] */
int driver_list(const char *pattern, bool verbose);

#endif
