/* Semantic analysis and codegen: the only code that talks to LLVM. */
#ifndef STROBE_COMPILE_H
#define STROBE_COMPILE_H

#include "../program.h"
#include "ast.h"

/* The LLVM release codegen is built with, for --info. */
const char *compile_llvm_version(void);
/* --info: the builtins and functions of the language, from their table. */
void compile_info(FILE *fp);

/* bpftrace's unstable_* config keys: a feature used warns (default), is refused, or is plainly enabled. */
enum unstable_use { UNSTABLE_WARN, UNSTABLE_ERROR, UNSTABLE_ENABLE };

struct compile_opts {
	uint32_t strlen;       /* string capacity, default 64 */
	uint32_t max_map_keys; /* default 4096 */
	int npositional;       /* $1..$N */
	char **positional;
	int nnamed;            /* --name[=value] after the program: getopt("name", ...) */
	char **named;          /* each "name" or "name=value", the leading "--" removed */
	uint32_t cpid;         /* -c: the child's pid; 0 without -c (cpid is then an error) */
	uint32_t filter_pid;   /* -p PID: every provider probe is limited to that process */
	unsigned helper_errors; /* -k 1, -kk 2 */
	bool filter_cgroup;    /* --cgroup/--container: ... and to tasks in this cgroup subtree */
	uint64_t cgroup_id;    /* its v2 id */
	uint32_t cgroup_level; /* its level in the v2 hierarchy */
	bool unsafe;           /* --unsafe: system() and signal() are allowed */
	enum unstable_use unstable_addr; /* &$x, &@m[k] (config unstable_addr) */
	/* kfunc_allowed(): whether the kernel lets a program of this type call kfunc `name` (NULL: no) */
	bool (*kfunc_allowed)(const char *name, int prog_type);
};

/*
 * Type-check ast against the resolved probes; on success fill p: types,
 * maps, printfs, print_values, strings and funcs. Errors go to d, located.
 * p->probes/nprobes must be set by the caller.
 */
int compile_check(struct node *ast, const struct compile_opts *o, struct diags *d,
		  struct program *p);
/* After runtime_create_maps(): emit p->elf (BPF ELF in memory). */
int compile_codegen(struct node *ast, struct program *p, struct diags *d);

#endif
