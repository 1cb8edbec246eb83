/*
 * The module registry: plugins.d INI files name providers and outputs;
 * modules are dlopen'd lazily, the first time a probe type or output is used.
 * Implemented by registry.c (search path, lookup, calls into providers),
 * plugin_ini.c, module_load.c, resolver.c, probe_list.c and output_load.c
 * (registry_internal.h).
 */
#ifndef STROBE_REGISTRY_H
#define STROBE_REGISTRY_H

#include <stdbool.h>
#include <stdio.h>
#include <strobe/output.h>
#include <strobe/provider.h>

#include "arena.h"
#include "diag.h"
#include "probe.h"

struct registry;
struct provider;

struct output {
	const struct strobe_output_ops *ops;
	void *sink;
};

/*
 * Read every INI file on the search path: $STROBE_PLUGIN_PATH (colon
 * separated directories), else `<dir of the executable>/plugins.d` when run
 * from the build tree, else the installed plugins.d. Bad INI files are
 * reported (path:line) through host->log and skipped. Loads no module.
 */
int registry_open(struct registry **out, const struct strobe_host *host);
void registry_close(struct registry *reg); /* fini()s and dlcloses loaded modules */

/*
 * Find the provider for a probe type or alias ("t" -> "tracepoint") and
 * load its module if needed. On failure returns NULL with a message in err
 * (unknown type listing the known ones; missing library with its path;
 * wrong ABI). *canonical is set to the canonical type name.
 */
struct provider *registry_provider(struct registry *reg, const char *type, const char **canonical,
				   char *err, size_t errlen);

/*
 * Resolve one attach point. Attachments are appended to *attach (arena
 * memory, grown as needed). Provider errors and warnings become diagnostics
 * at loc. Returns 0, 1 when a wildcard matched nothing (no diagnostic: the
 * attach point is dropped), or -errno.
 */
int provider_resolve(struct provider *p, const char *type, const char *target, struct arena *a,
		     struct probe_attach **attach, size_t *nattach, struct diags *d,
		     const struct loc *loc);

/*
 * provider_resolve() under missing_probes = warn or ignore: an attach point
 * naming what is not there (-ENOENT: a function the kernel lacks, a symbol
 * a library lacks, a tracepoint) is skipped,
 * its errors becoming warnings (warn) or dropped (ignore).
 * Returns 1 when skipped, else what provider_resolve() returns.
 */
int provider_resolve_or_skip(struct provider *p, const char *type, const char *target, struct arena *a,
			     struct probe_attach **attach, size_t *nattach, struct diags *d,
			     const struct loc *loc, bool warn);

/* The process probes are resolved for (-p PID, the -c child), or -1: strobe_resolver.pid. */
void registry_set_target_pid(struct registry *reg, int pid);
/* The -c command's words, argv[0] the file the child execs (strobe_resolver.cmd_argv): taken over. */
void registry_set_target_cmd(struct registry *reg, char **argv);

/*
 * --info: every registered probe type, its aliases, and whether its module
 * loads; "; this kernel: no (WHY)" when kernel_missing (may be NULL) says why
 * this kernel cannot run it.
 */
void registry_info(struct registry *reg, FILE *fp, const char *(*kernel_missing)(const char *provider));
/* -l [pattern]: list probes of every provider whose type could match; *count (if given): how many. */
int registry_list(struct registry *reg, const char *pattern, bool verbose, FILE *fp, size_t *count);

int provider_attach(struct provider *p, const struct strobe_attach_req *req,
		    struct strobe_link **out, char *err, size_t errlen);
/* attach_multi() (provider.h): n attachments of one program with one link; -EOPNOTSUPP
 * when the provider has no such slot. */
int provider_attach_multi(struct provider *p, const struct strobe_attach_req *reqs, size_t n,
			  struct strobe_link **out, char *err, size_t errlen);
void provider_detach(struct provider *p, struct strobe_link *link);
/* uaddr(): strobe_provider_ops.symbol, -EOPNOTSUPP when the provider has none. */
int provider_symbol(struct provider *p, const char *type, const char *target, const char *name, int64_t *addr,
		    uint32_t *size, bool *relative);
const char *provider_name(const struct provider *p);

/* Open the output sink `name` ("text") on fp. */
int registry_output(struct registry *reg, const char *name, FILE *fp, const char *opts,
		    struct output *out, char *err, size_t errlen);
void output_close(struct output *out);

#endif
