/*
 * The flow of one run: parse, resolve probes through the registry, check,
 * codegen, load and run; and -l through the registry.
 */
#include "driver.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "btf.h"
#include "cgroup.h"
#include "child.h"
#include "config.h"
#include "host.h"
#include "lang/ast.h"
#include "lang/compile.h"
#include "program.h"
#include "runtime/output_chain.h"
#include "registry.h"
#include "runtime/runtime.h"

/* The probes the core runs itself, by the type part of their names (probe_kind_name): BEGIN, END, self. */
static enum probe_kind core_probe_kind(const char *type)
{
	for (enum probe_kind k = 0; k < PROBE__COUNT; k++) {
		const char *name = probe_kind_name(k);
		size_t n = name ? strcspn(name, ":") : 0;
		if (name && strlen(type) == n && strncasecmp(type, name, n) == 0)
			return k;
	}
	return PROBE_PROVIDER;
}

/*
 * Loading and attaching BPF programs needs CAP_BPF and CAP_PERFMON (Linux
 * 5.8), or CAP_SYS_ADMIN as root has: a process without them is told which
 * it lacks, once, instead of the kernel's EPERM from whatever comes first.
 */
static int check_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
	if (syscall(SYS_capget, &hdr, caps) < 0)
		return 0; /* cannot tell: the kernel will */
#define HAS(cap) (caps[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap))
	bool bpf = HAS(CAP_BPF), perfmon = HAS(CAP_PERFMON);
	if (HAS(CAP_SYS_ADMIN) || (bpf && perfmon))
		return 0;
#undef HAS
	core_log(STROBE_LOG_ERROR,
		 "strobe needs %s (or CAP_SYS_ADMIN, as root has) to load and attach BPF programs; run it as root",
		 !bpf && !perfmon ? "CAP_BPF and CAP_PERFMON" : !bpf ? "CAP_BPF" : "CAP_PERFMON");
	return -EPERM;
}

static int too_many_probes(struct diags *d, const struct loc *over, size_t total, uint32_t max_probes)
{
	struct diag *g = diag_error(d, over,
				    "Can't attach to %zu probes because it exceeds the current limit of %u probes.",
				    total, max_probes);
	diag_hint(d, g, "You can increase the limit through the BPFTRACE_MAX_PROBES environment variable, "
			"but BE CAREFUL since a high number of probes attached can cause your system to crash.");
	return -EINVAL;
}

/*
 * Ask the providers about every attach point; errors become diagnostics.
 * More than max_probes attach points in all, or probes (BEGIN and END
 * included), is an error located at the attach point that went over the
 * limit (BPFTRACE_MAX_PROBES). Under missing_probes = warn or ignore,
 * attach points that are not there are skipped, and a probe left with none
 * leaves the program.
 */
static int resolve_probes(struct node *ast, struct registry *reg, struct program *p, struct diags *d,
			  uint32_t max_probes, enum missing_probes missing)
{
	size_t total = 0;
	const struct loc *over = NULL;
	const struct node *empty_wildcard = NULL; /* the first wildcard that matched nothing */
	const char *empty_type = NULL;
	size_t n = 0;
	for (struct node *pr = ast->u.program.probes; pr; pr = pr->next, n++)
		if (n == max_probes)
			over = &pr->u.probe.attach->loc;
	if (over) /* each probe is at least one program: refused before any is resolved */
		return too_many_probes(d, over, n, max_probes);
	p->probes = arena_zalloc(&p->arena, (n ? n : 1) * sizeof(*p->probes));

	size_t i = 0;
	for (struct node **link = &ast->u.program.probes, *pr; (pr = *link);) {
		struct probe_info *pi = &p->probes[i];
		pi->ast = pr;
		pi->kind = PROBE_PROVIDER;
		bool skipped = false;
		for (struct node *at = pr->u.probe.attach; at; at = at->next) {
			enum probe_kind kind = core_probe_kind(at->u.attach.type);
			if (kind != PROBE_PROVIDER) {
				if (at != pr->u.probe.attach || at->next)
					diag_error(d, &at->loc, "%s cannot be combined with other attach points",
						   at->u.attach.type);
				const char *whole = probe_kind_name(kind), *target = strchr(whole, ':');
				if (target && (!at->u.attach.target || strcmp(at->u.attach.target, target + 1)))
					diag_error(d, &at->loc, "unknown %s probe %s:%s (there is %s)", at->u.attach.type,
						   at->u.attach.type, at->u.attach.target ? at->u.attach.target : "", whole);
				pi->kind = kind;
				continue;
			}
			char err[512];
			const char *canonical;
			struct provider *prov = registry_provider(reg, at->u.attach.type, &canonical, err, sizeof(err));
			if (!prov) {
				diag_error(d, &at->loc, "%s", err);
				continue;
			}
			size_t before = pi->nattach;
			int rc = missing == MISSING_PROBES_ERROR
				? provider_resolve(prov, canonical, at->u.attach.target, &p->arena, &pi->attach,
						   &pi->nattach, d, &at->loc)
				: provider_resolve_or_skip(prov, canonical, at->u.attach.target, &p->arena,
							   &pi->attach, &pi->nattach, d, &at->loc,
							   missing == MISSING_PROBES_WARN);
			if (rc == 1 && missing == MISSING_PROBES_ERROR && !empty_wildcard) {
				empty_wildcard = at;
				empty_type = canonical;
			}
			skipped |= rc == 1;
			total += pi->nattach - before;
			if (total > max_probes && !over)
				over = &at->loc;
		}
		if (skipped && pi->kind == PROBE_PROVIDER && !pi->nattach) {
			*link = pr->next; /* every attach point skipped: the probe goes, unchecked */
			memset(pi, 0, sizeof(*pi));
			continue;
		}
		link = &pr->next;
		i++;
	}
	p->nprobes = i;
	if (!i && n && empty_wildcard) /* what was dropped, located */
		diag_error(d, &empty_wildcard->loc, "%s:%s matched no probes", empty_type,
			   empty_wildcard->u.attach.target ? empty_wildcard->u.attach.target : "");
	else if (!i && n)
		diag_error(d, NULL, "No probes to attach");
	if (over)
		return too_many_probes(d, over, total, max_probes);
	return diags_ok(d) ? 0 : -EINVAL;
}

static const char *dump_type_name(void *types, const struct type *t)
{
	return type_name(types, t);
}

/* --emit-elf: the whole object or nothing (a partial file is removed). */
static int write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	if (!fp) {
		core_log(STROBE_LOG_ERROR, "failed to write '%s': %s", path, strerror(errno));
		return -1;
	}
	bool ok = fwrite(data, 1, len, fp) == len;
	ok = fclose(fp) == 0 && ok;
	if (!ok) {
		core_log(STROBE_LOG_ERROR, "failed to write '%s': %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

#define BATCH_BUFFER_SIZE (64u << 10)

static FILE *open_output(const struct driver_opts *o)
{
	FILE *fp = stdout;
	if (o->output_file) {
		/* Truncated, created 0644 (before the umask). */
		int fd = open(o->output_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		fp = fd < 0 ? NULL : fdopen(fd, "w");
		if (!fp) {
			if (fd >= 0)
				close(fd);
			core_log(STROBE_LOG_ERROR, "failed to open output file '%s': %s", o->output_file,
				 strerror(errno));
			return NULL;
		}
	}
	static const int mode[] = { [BUFFER_BATCH] = _IOFBF, [BUFFER_LINE] = _IOLBF, [BUFFER_FULL] = _IOFBF,
				    [BUFFER_NONE] = _IONBF };
	setvbuf(fp, NULL, mode[o->buffering], o->buffering == BUFFER_BATCH ? BATCH_BUFFER_SIZE : 0);
	return fp;
}

/* -l with a program: one resolved attach point; with -v its arguments, as -lv NAME lists them. */
static void list_attached(struct registry *reg, const char *name, bool verbose)
{
	size_t n = 0;
	/* a name with glob characters in it (a C++ symbol) would list others too: just the name */
	if (verbose && !strpbrk(name, "*?[")) {
		fflush(stdout);
		if (registry_list(reg, name, true, stdout, &n) < 0)
			n = 0;
	}
	if (!n)
		printf("%s\n", name);
}

int driver_run(const struct driver_opts *o)
{
	struct diags d;
	struct arena ast_arena = ARENA_INIT;
	struct program p = { .ringbuf_fd = -1, .stop_fd = -1 };
	struct registry *reg = NULL;
	struct output out = { 0 };
	FILE *fp = NULL;
	struct child child = { .release_fd = -1 };
	struct node *ast;
	int status = 1;
	char err[512];

	diags_init(&d, o->src);
	types_init(&p.types);
	p.src = o->src;

	struct parse_opts popts = { .have_btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0,
				    .positional = o->positional, .npositional = o->npositional,
				    .incdirs = o->incdirs, .includes = o->includes };
	if (parse_program(&ast_arena, o->src, &popts, &d, &ast) < 0)
		goto out;
	if (o->debug & DEBUG_AST) {
		ast_dump(stdout, ast);
		status = 0;
		goto out;
	}
	if (check_privileges() < 0)
		goto out;
	struct config cfg;
	if (config_load(&cfg, ast->u.program.config, &d) < 0)
		goto out;
	/* -p: a process gone since the options were read fails now, not after compiling and loading
	 * (bpftrace 0.17's words, as main's check). */
	if (o->pid > 0 && kill(o->pid, 0) < 0 && errno == ESRCH) {
		core_log(STROBE_LOG_ERROR, ": No such process");
		goto out;
	}
	/* --cgroup/--container: a cgroup that is not there fails now, like -p */
	struct cgroup_target cg = { .task = -1 };
	if (o->cgroup || o->container) {
		char cgpath[PATH_MAX];
		const char *dir = o->cgroup;
		if (o->container && cgroup_find_container(o->container, cgpath, sizeof(cgpath), err, sizeof(err)) < 0) {
			core_log(STROBE_LOG_ERROR, "%s (--container)", err);
			goto out;
		}
		if (o->container)
			dir = cgpath;
		if (cgroup_resolve(dir, &cg, err, sizeof(err)) < 0) {
			core_log(STROBE_LOG_ERROR, "%s (%s)", err, o->cgroup ? "--cgroup" : "--container");
			goto out;
		}
	}
	/* -c: fork now, so cpid is known to codegen; the child waits until every probe is attached. */
	if (o->cmd && child_spawn(o->cmd, &child, err, sizeof(err)) < 0) {
		core_log(STROBE_LOG_ERROR, "Failed to fork child: %s", err);
		goto out;
	}

	struct compile_opts copts = { .positional = o->positional, .npositional = o->npositional,
				      .named = o->named, .nnamed = o->nnamed,
				      .cpid = (uint32_t)child.pid, .unsafe = o->unsafe,
				      .filter_pid = o->pid > 0 ? (uint32_t)o->pid : 0,
				      .helper_errors = o->helper_errors,
				      .filter_cgroup = o->cgroup || o->container, .cgroup_id = cg.id,
				      .cgroup_level = cg.level, .kfunc_allowed = runtime_kfunc_allowed };
	copts.strlen = cfg.max_strlen;
	copts.unstable_addr = (enum unstable_use)cfg.unstable_addr;
	copts.max_map_keys = cfg.max_map_keys;
	p.perf_rb_pages = cfg.perf_rb_pages;
	p.max_cat_bytes = cfg.max_cat_bytes;
	p.stack_mode = cfg.stack_mode;
	p.str_trunc_trailer = cfg.str_trunc_trailer;

	if (registry_open(&reg, &core_host) < 0)
		goto out;
	/* uprobe/usdt resolve against the traced process (its maps, its root), or a task of --cgroup */
	registry_set_target_pid(reg, child.pid ? child.pid : o->pid > 0 ? o->pid : cg.task);
	if (child.pid)
		registry_set_target_cmd(reg, child_command(o->cmd));
	if (resolve_probes(ast, reg, &p, &d, cfg.max_probes, cfg.missing_probes) < 0)
		goto out;
	if (o->list_probes) {
		for (size_t i = 0; i < p.nprobes; i++) {
			const struct probe_info *pi = &p.probes[i];
			if (pi->kind != PROBE_PROVIDER)
				printf("%s\n", probe_kind_name(pi->kind));
			for (size_t j = 0; j < pi->nattach; j++)
				list_attached(reg, pi->attach[j].name, o->verbose);
		}
		status = 0;
		goto out;
	}
	if (compile_check(ast, &copts, &d, &p) < 0 || !diags_ok(&d))
		goto out;
	if (o->debug & DEBUG_TYPES)
		ast_dump_typed(stdout, ast, dump_type_name, &p.types);
	p.dump_ir = o->debug & DEBUG_CODEGEN ? stdout : NULL;
	p.dump_ir_opt = o->debug & DEBUG_CODEGEN_OPT ? stdout : NULL;
	p.emit_llvm = o->emit_llvm;
	p.one_object = o->emit_elf != NULL;
	if (runtime_create_maps(&p, err, sizeof(err)) < 0) {
		core_log(STROBE_LOG_ERROR, "%s", err);
		goto out;
	}
	if (compile_codegen(ast, &p, &d) < 0 || !diags_ok(&d))
		goto out;
	if (o->emit_elf) {
		status = write_file(o->emit_elf, p.objects[0].elf, p.objects[0].size) < 0 ? 1 : 0;
		goto out;
	}
	if (runtime_load(&p, &d) < 0 || !diags_ok(&d))
		goto out;
	/* Warnings (e.g. from resolution) print before the run starts. */
	diags_emit(&d, stderr);
	diags_release(&d);
	diags_init(&d, o->src);

	fp = open_output(o);
	if (!fp)
		goto out;
	/* -f: one sink, or filters chained in front of one (output_chain.h); it applies -q. */
	if (output_chain_open(reg, o->output_format, fp, o->quiet, &out, err, sizeof(err)) < 0) {
		if (err[0])
			core_log(STROBE_LOG_ERROR, "%s", err);
		goto out;
	}
	struct run_opts ropts = {
		.quiet = false, /* the output chain applies -q */
		.dry_run = o->dry_run,
		.notify_attached = secure_getenv("__BPFTRACE_NOTIFY_PROBES_ATTACHED") != NULL,
		.print_maps_on_exit = cfg.print_maps_on_exit,
		.missing_probes = cfg.missing_probes,
		.flush_batches = o->buffering == BUFFER_BATCH ? fp : NULL,
		.child = child.pid ? &child : NULL,
		/* -c: the child is the traced process (probes on its binary fire for it) */
		.pid = child.pid ? child.pid : o->pid,
		.cfg = &cfg,
	};
	status = runtime_run(&p, &out, &ropts);
	/* Like bpftrace, the child's exit status does not change strobe's; -v tells it. */
	if (child.pid && child.exited && o->verbose) {
		if (WIFSIGNALED(child.status))
			fprintf(stderr, "INFO: child %d killed by signal %d\n", (int)child.pid, WTERMSIG(child.status));
		else
			fprintf(stderr, "INFO: child %d exited with status %d\n", (int)child.pid,
				WEXITSTATUS(child.status));
	}

out:
	/* the child still runs after exit() or a signal, or never started (an error before attaching) */
	child_stop(&child);
	diags_emit(&d, stderr);
	if (out.ops && output_chain_close(&out) < 0)
		status = 1; /* a sink failed the run (e.g. a Lua error) */
	/*
	 * A write that failed during the run (a full disk, a closed pipe) fails
	 * it; why is known only if the last flush fails too (stdio keeps no errno).
	 */
	int werr = !fp ? 0 : fflush(fp) != 0 ? errno : ferror(fp) ? -1 : 0;
	if (werr) {
		core_log(STROBE_LOG_ERROR, "failed to write the output to %s%s%s",
			 o->output_file ? o->output_file : "stdout", werr > 0 ? ": " : "", werr > 0 ? strerror(werr) : "");
		status = 1;
	}
	if (fp && fp != stdout)
		fclose(fp);
	else
		fflush(stdout);
	runtime_release(&p);
	registry_close(reg);
	types_release(&p.types);
	arena_release(&p.arena);
	arena_release(&ast_arena);
	diags_release(&d);
	return status;
}

/* --info: the kernel's side (runtime_info), then this build's: its LLVM, the probe types its
 * modules provide (the registry's sections) and the language's builtins and functions (their table).
 * Without the privileges every kernel probe would say "no": refused as bpftrace refuses it. */
int driver_info(const char *version)
{
	struct registry *reg = NULL;
	if (check_privileges() < 0)
		return -1;
	runtime_info(stderr);
	fprintf(stderr, "\nBuild\n  version: %s\n  LLVM: %s\n\nProbe types\n", version, compile_llvm_version());
	for (enum probe_kind k = 0; k < PROBE__COUNT; k++)
		if (probe_kind_name(k))
			fprintf(stderr, "  %s: yes\n", probe_kind_name(k));
	if (registry_open(&reg, &core_host) == 0) {
		registry_info(reg, stderr, runtime_probe_type_missing);
		registry_close(reg);
	}
	compile_info(stderr);
	return 0;
}

int driver_list(const char *pattern, bool verbose)
{
	/* kernel types, as bpftrace lists them: -lv 'struct task_struct' prints its definition */
	if (pattern && (!strncmp(pattern, "struct ", 7) || !strncmp(pattern, "union ", 6) ||
			!strncmp(pattern, "enum ", 5))) {
		int rc = btf_list_types(pattern, verbose, stdout);
		if (rc < 0)
			core_log(STROBE_LOG_ERROR, "listing '%s' needs the kernel's BTF: %s", pattern, strerror(-rc));
		return rc;
	}
	/* what cannot be in an attach point (a blank included) is a mistake, not a pattern that matches
	 * nothing (bpftrace refuses it too) */
	size_t bad = pattern ? strcspn(pattern, "${};`\\ \t\n\r") : 0;
	if (pattern && pattern[bad]) {
		char c = pattern[bad];
		const char *shown = c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : NULL;
		if (shown)
			core_log(STROBE_LOG_ERROR, "invalid character '%s' in the probe pattern '%s' (column %zu)",
				 shown, pattern, bad + 1);
		else
			core_log(STROBE_LOG_ERROR, "invalid character '%c' in the probe pattern '%s' (column %zu)",
				 c, pattern, bad + 1);
		return -1;
	}
	struct registry *reg = NULL;
	if (check_privileges() < 0 || registry_open(&reg, &core_host) < 0)
		return -1;
	int err = registry_list(reg, pattern, verbose, stdout, NULL);
	registry_close(reg);
	return err;
}
