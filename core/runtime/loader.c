/*
 * Creating maps and loading the compiled BPF object: the only user of
 * libbpf's object loader.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../btf.h"
#include "runtime_internal.h"

#define DEFAULT_RINGBUF_SIZE (1u << 20)
/* Without printf or print(value) a program sends only small, rare events (exit, print(@map), clear):
 * the kernel maps the whole buffer into our memory, twice over for its data pages. */
#define QUIET_RINGBUF_SIZE (64u << 10)
#define VERIFIER_LOG_SIZE (1u << 20) /* bpftrace's default log_size is ~1 MB too */
#define LOG_EXCERPT_LINES 8

/*
 * The program libbpf last failed to load: libbpf closes every program's fd
 * when one fails, so its own message is what names the failing one.
 */
static char failed_prog[64];

/* libbpf's own messages: only warnings, and only with STROBE_LIBBPF_DEBUG set. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static int verbose = -1;
	if (verbose < 0)
		verbose = secure_getenv("STROBE_LIBBPF_DEBUG") != NULL;
	if (level != LIBBPF_DEBUG) {
		char msg[256];
		va_list copy;
		va_copy(copy, ap);
		vsnprintf(msg, sizeof(msg), fmt, copy);
		va_end(copy);
		const char *at = strstr(msg, "prog '"), *end = at ? strchr(at + 6, '\'') : NULL;
		if (at && end && strstr(end, "load") && (size_t)(end - at - 6) < sizeof(failed_prog))
			snprintf(failed_prog, sizeof(failed_prog), "%.*s", (int)(end - at - 6), at + 6);
	}
	if (!verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* BPF object names allow [A-Za-z0-9_.] and 15 characters: "@x" becomes "AT_x". */
static void map_obj_name(const char *name, char out[16])
{
	size_t n = 0;
	if (name && name[0] == '@') {
		memcpy(out, "AT_", 3);
		n = 3;
		name++;
	}
	for (; name && *name && n < 15; name++) {
		char c = *name;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '_' || c == '.';
		out[n++] = ok ? c : '_';
	}
	out[n] = '\0';
}

static uint32_t ringbuf_bytes(const struct program *p, uint32_t want)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t size = page > 0 ? (uint64_t)page : 4096;
	if (!want)
		want = p->nprintfs || p->nprint_values ? DEFAULT_RINGBUF_SIZE : QUIET_RINGBUF_SIZE;
	while (size < want && size < (1u << 30))
		size <<= 1; /* the kernel wants a power-of-two multiple of the page size */
	return (uint32_t)size;
}

static struct runtime *runtime_state(struct program *p)
{
	if (!p->rt) {
		p->rt = calloc(1, sizeof(*p->rt));
		if (!p->rt)
			return NULL;
		/* From now on the fds belong to us; -1 means "not created". */
		for (size_t i = 0; i < p->nmaps; i++)
			p->maps[i].fd = -1;
		for (size_t i = 0; i < p->nfuncs; i++)
			p->funcs[i].fd = -1;
		p->ringbuf_fd = -1;
		p->stop_fd = -1;
		for (size_t i = 0; i < p->ndispatches; i++)
			p->dispatches[i].map_fd = p->dispatches[i].progs_fd = -1;
	}
	return p->rt;
}

int runtime_create_maps(struct program *p, char *err, size_t errlen)
{
	if (!runtime_state(p)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int serr = stacks_create_maps(p, err, errlen);
	if (serr >= 0)
		serr = counters_create(p, err, errlen);
	if (serr < 0)
		return serr;
	for (size_t i = 0; i < p->nmaps; i++) {
		struct prog_map *m = &p->maps[i];
		char name[16];
		map_obj_name(m->name, name);
		/*
		 * Hash maps allocate elements on insert: a preallocated per-CPU
		 * hash of 4096 keys costs milliseconds to create, most never used.
		 */
		LIBBPF_OPTS(bpf_map_create_opts, mopts);
		if (m->bpf_type == BPF_MAP_TYPE_HASH || m->bpf_type == BPF_MAP_TYPE_PERCPU_HASH)
			mopts.map_flags = BPF_F_NO_PREALLOC;
		int fd = bpf_map_create(m->bpf_type, name, m->key_size, m->value_size, m->max_entries,
					&mopts);
		if (fd < 0) {
			int e = errno;
			snprintf(err, errlen, "failed to create map %s (key %u bytes, value %u, %u entries): %s",
				 m->name, m->key_size, m->value_size, m->max_entries, strerror(e));
			return -e;
		}
		m->fd = fd;
	}
	uint32_t size = ringbuf_bytes(p, p->ringbuf_size);
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ringbuf", 0, 0, size, NULL);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "failed to create the ring buffer (%u bytes): %s", size, strerror(e));
		return -e;
	}
	p->ringbuf_fd = fd;
	p->ringbuf_size = size;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "stop", 4, 8, 1, NULL);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "failed to create the stop flag map: %s", strerror(e));
		return -e;
	}
	p->stop_fd = fd;
	int ncpus = libbpf_num_possible_cpus();
	uint32_t cpus = 1;
	while (cpus < (uint32_t)(ncpus > 0 ? ncpus : 1))
		cpus <<= 1;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "scratch", 4, cpus * SCRATCH_CPU_BYTES, 1, NULL);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "failed to create the scratch map (%u bytes): %s", cpus * SCRATCH_CPU_BYTES,
			 strerror(e));
		return -e;
	}
	p->scratch_fd = fd;
	p->scratch_cpus = cpus;
	for (size_t i = 0; i < p->ndispatches; i++) {
		struct prog_dispatch *d = &p->dispatches[i];
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "dispatch", 4, 8, d->max_entries ? d->max_entries : 1,
				    NULL);
		if (fd < 0) {
			int e = errno;
			snprintf(err, errlen, "failed to create the dispatch map for %s: %s", d->shared,
				 strerror(e));
			return -e;
		}
		d->map_fd = fd;
		if (d->nfuncs < 2)
			continue;
		fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "dispatch_progs", 4, 4, (uint32_t)d->nfuncs,
				    NULL);
		if (fd < 0) {
			int e = errno;
			snprintf(err, errlen, "failed to create the dispatch program array for %s: %s",
				 d->shared, strerror(e));
			return -e;
		}
		d->progs_fd = fd;
	}
	return 0;
}

/* program.h, struct prog_dispatch: value -> slot << 32 | (name index + 1), slot -> program. */
static int fill_dispatch(struct program *p, struct diags *d)
{
	for (size_t g = 0; g < p->ndispatches; g++) {
		const struct prog_dispatch *dp = &p->dispatches[g];
		for (size_t s = 0; s < dp->nfuncs; s++) {
			const struct prog_func *f = &p->funcs[dp->funcs[s]];
			for (size_t j = 0; j < f->nattach; j++) {
				size_t idx = f->attach_idx[j];
				uint32_t key = (uint32_t)f->probe->attach[idx].dispatch.value;
				uint64_t val = (uint64_t)s << 32 | (uint64_t)(f->probe->attach[idx].name_id + 1);
				if (bpf_map_update_elem(dp->map_fd, &key, &val, BPF_ANY) < 0) {
					int e = errno;
					diag_error(d, NULL, "cannot fill the dispatch map for %s: %s", dp->shared,
						   strerror(e));
					return -e;
				}
			}
			if (dp->progs_fd >= 0) {
				uint32_t key = (uint32_t)s;
				int fd = f->fd;
				if (bpf_map_update_elem(dp->progs_fd, &key, &fd, BPF_ANY) < 0) {
					int e = errno;
					diag_error(d, NULL, "cannot fill the dispatch program array for %s: %s",
						   dp->shared, strerror(e));
					return -e;
				}
			}
		}
	}
	return 0;
}

const char *func_probe_name(const struct prog_func *f)
{
	const struct probe_info *pi = f->probe;
	if (!pi)
		return f->name;
	if (pi->kind != PROBE_PROVIDER)
		return probe_kind_name(pi->kind);
	if (f->nattach && f->attach_idx[0] < pi->nattach)
		return pi->attach[f->attach_idx[0]].name;
	return pi->nattach ? pi->attach[0].name : f->name;
}

static bool boring_log_line(const char *s, size_t n)
{
	static const char *const prefixes[] = { "processed ", "verification time", "stack depth",
						"-- END PROG LOAD LOG --", NULL };
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n)
		return true;
	for (const char *const *pre = prefixes; *pre; pre++)
		if (n >= strlen(*pre) && !strncmp(s, *pre, strlen(*pre)))
			return true;
	return false;
}

/*
 * Split the tail of a verifier log: the last meaningful line (the reason)
 * and up to LOG_EXCERPT_LINES lines before it.
 */
static void summarise_log(const char *log, char *reason, size_t rlen, char *excerpt, size_t elen)
{
	size_t len = strlen(log);
	const char *lines[LOG_EXCERPT_LINES + 1];
	size_t lens[LOG_EXCERPT_LINES + 1];
	size_t nlines = 0;
	reason[0] = excerpt[0] = '\0';
	/* Walk backwards line by line; skip the statistics libbpf/kernel append. */
	size_t end = len;
	while (end > 0 && nlines < LOG_EXCERPT_LINES + 1) {
		while (end > 0 && log[end - 1] == '\n')
			end--;
		size_t start = end;
		while (start > 0 && log[start - 1] != '\n')
			start--;
		if (end > start && (nlines || !boring_log_line(log + start, end - start))) {
			lines[nlines] = log + start;
			lens[nlines] = end - start;
			nlines++;
		}
		end = start;
	}
	if (!nlines)
		return;
	snprintf(reason, rlen, "%.*s", (int)lens[0], lines[0]);
	size_t off = 0;
	for (size_t i = nlines; i-- > 0 && off + 1 < elen;) {
		int w = snprintf(excerpt + off, elen - off, "  %.*s\n", (int)lens[i], lines[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (off >= elen)
		off = elen - 1;
	if (off && excerpt[off - 1] == '\n')
		excerpt[off - 1] = '\0';
}

/* fentry/fexit (provider.h, struct strobe_btf_target): the attachment a function was built for. */
static const struct strobe_btf_target *func_btf_target(const struct prog_func *f)
{
	if (f->prog_type != BPF_PROG_TYPE_TRACING || !f->probe || f->nattach != 1)
		return NULL;
	const struct strobe_btf_target *t = &f->probe->attach[f->attach_idx[0]].btf_target;
	return t->func ? t : NULL;
}

/*
 * A tracing program is loaded for one kernel function: libbpf finds its BTF
 * id (vmlinux first, then the modules' BTF) and the load carries
 * attach_btf_id / attach_btf_obj_fd.
 */
static int set_btf_target(struct bpf_program *prog, const struct prog_func *f, struct diags *d)
{
	if (f->prog_type != BPF_PROG_TYPE_TRACING)
		return 0;
	const struct strobe_btf_target *t = func_btf_target(f);
	if (!t) {
		diag_error(d, NULL, "internal error: probe '%s' is a tracing program without a kernel function",
			   func_probe_name(f));
		return -EINVAL;
	}
	bpf_program__set_expected_attach_type(prog, (enum bpf_attach_type)t->attach_type);
	int err = bpf_program__set_attach_target(prog, 0, t->func);
	if (err < 0) {
		diag_error(d, NULL, "probe '%s': cannot find '%s' in the kernel's BTF%s%s: %s",
			   func_probe_name(f), t->func, t->module ? " of module " : "",
			   t->module ? t->module : "", strerror(-err));
		return err;
	}
	return 0;
}

/* "EPERM", "ENOTSUPP" (the kernel's 524, which libc does not name) or "errno N" */
static const char *errno_name(int e, char *buf, size_t len)
{
	const char *name = e == 524 ? "ENOTSUPP" : strerrorname_np(e);
	if (name)
		return name;
	snprintf(buf, len, "errno %d", e);
	return buf;
}

static void report_load_failure(struct diags *d, const struct prog_func *f,
				int e, const char *log)
{
	char reason[256], excerpt[2048], ename[32];
	summarise_log(log, reason, sizeof(reason), excerpt, sizeof(excerpt));
	const struct strobe_btf_target *t = func_btf_target(f);
	if (t && (e == EPERM || !reason[0])) {
		/* The development machines' kernel refuses every fentry/fexit load (EPERM);
		 * others may say ENOTSUPP or EINVAL, without a verifier log. */
		struct diag *g = diag_error(d, NULL,
					    "loading probe '%s' failed: this kernel refuses fentry/fexit "
					    "(BPF_PROG_TYPE_TRACING) programs (%s)%s%s",
					    func_probe_name(f), errno_name(e, ename, sizeof(ename)),
					    t->hint ? "; " : "", t->hint ? t->hint : "");
		diag_hint(d, g, "the program was type-checked and compiled; only loading it (the verifier) needs fentry");
		return;
	}
	if (!reason[0]) {
		struct diag *g = diag_error(d, NULL, "loading probe '%s' failed: %s", func_probe_name(f),
					    strerror(e));
		if (e == EPERM && f->prog_type == BPF_PROG_TYPE_TRACING)
			diag_hint(d, g, "this kernel does not allow fentry/fexit programs; use kprobe or tracepoint probes instead");
		return;
	}
	struct diag *g = diag_error(d, NULL, "the kernel verifier rejected probe '%s': %s",
				    func_probe_name(f), reason);
	if (excerpt[0])
		diag_hint(d, g, "end of the verifier log:\n%s", excerpt);
}

/*
 * Codegen calls kfuncs as helpers numbered KFUNC_CALL_BASE + K_x (core/btf.h):
 * make those calls of the kfunc by its BTF id. Every program of the object,
 * subprograms too, before libbpf appends them. 0 or -errno saying why.
 */
static int link_kfunc_calls(struct bpf_object *obj, char *why, size_t whylen)
{
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj) {
		size_t n = bpf_program__insn_cnt(prog);
		struct bpf_insn *insns = NULL;
		for (size_t i = 0; i < n; i++) {
			const struct bpf_insn *in = &bpf_program__insns(prog)[i];
			if (in->code != (BPF_JMP | BPF_CALL) || in->src_reg != 0 || in->imm < KFUNC_CALL_BASE ||
			    in->imm >= KFUNC_CALL_BASE + K__COUNT)
				continue;
			const char *name = kfunc_name((enum kfunc)(in->imm - KFUNC_CALL_BASE));
			int id = btf_func_id(name);
			if (id < 0) {
				free(insns);
				snprintf(why, whylen, "this kernel has no kernel function %s (vmlinux BTF)", name);
				return -ENOENT;
			}
			if (!insns) {
				if (!(insns = malloc(n * sizeof(*insns))))
					return -ENOMEM;
				memcpy(insns, bpf_program__insns(prog), n * sizeof(*insns));
			}
			insns[i].src_reg = BPF_PSEUDO_KFUNC_CALL;
			insns[i].imm = id;
		}
		int err = insns ? bpf_program__set_insns(prog, insns, n) : 0;
		free(insns);
		if (err < 0) {
			snprintf(why, whylen, "cannot link kernel function calls: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * p->objects[i] as a libbpf object, its kfunc calls linked, with a verifier
 * log buffer (*log, the caller frees it); 0 or -errno saying why.
 */
static int open_object(const struct program *p, size_t i, struct bpf_object **obj, char **log, char *why,
		       size_t whylen)
{
	*log = calloc(1, VERIFIER_LOG_SIZE);
	if (!*log)
		return -ENOMEM;
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "strobe", .kernel_log_buf = *log,
		    .kernel_log_size = VERIFIER_LOG_SIZE);
	*obj = bpf_object__open_mem(p->objects[i].elf, p->objects[i].size, &opts);
	int e = *obj ? link_kfunc_calls(*obj, why, whylen) : errno ? -errno : -EINVAL;
	if (!*obj)
		snprintf(why, whylen, "cannot open the compiled BPF object: %s", strerror(-e));
	if (e < 0) {
		bpf_object__close(*obj);
		*obj = NULL;
		free(*log);
		*log = NULL;
	}
	return e;
}

/* Open, set up and load p->objects[oi] (its functions, each with its type); 0 or -errno with a diagnostic. */
static int load_object(struct program *p, size_t oi, struct diags *d)
{
	char *log;
	struct bpf_object *obj;
	char why[256];
	int err = open_object(p, oi, &obj, &log, why, sizeof(why));
	if (err < 0) {
		diag_error(d, NULL, "%s", why);
		return err;
	}
	p->rt->objs[oi] = obj;
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, false);
	for (size_t i = 0; i < p->nfuncs; i++) {
		struct prog_func *f = &p->funcs[i];
		if (f->object != oi)
			continue;
		prog = bpf_object__find_program_by_name(obj, f->name);
		if (!prog) {
			diag_error(d, NULL, "internal error: BPF program '%s' for probe '%s' is missing from the object",
				   f->name, func_probe_name(f));
			free(log);
			return -ENOENT;
		}
		bpf_program__set_autoload(prog, true);
		bpf_program__set_type(prog, f->prog_type);
		bpf_program__set_expected_attach_type(prog, 0);
		int terr = set_btf_target(prog, f, d);
		if (terr < 0) {
			free(log);
			return terr;
		}
	}

	failed_prog[0] = '\0';
	err = bpf_object__load(obj);
	if (err < 0) {
		const struct prog_func *failed = NULL;
		for (size_t i = 0; i < p->nfuncs && !failed; i++)
			if (!strcmp(p->funcs[i].name, failed_prog))
				failed = &p->funcs[i];
		if (failed)
			report_load_failure(d, failed, -err, log);
		else
			diag_error(d, NULL, "loading the BPF object failed: %s", strerror(-err));
		free(log);
		return err;
	}
	free(log);
	for (size_t i = 0; i < p->nfuncs; i++)
		if (p->funcs[i].object == oi)
			p->funcs[i].fd = bpf_program__fd(bpf_object__find_program_by_name(obj, p->funcs[i].name));
	return 0;
}

int runtime_load(struct program *p, struct diags *d)
{
	struct runtime *rt = runtime_state(p);
	if (!rt)
		return -ENOMEM;
	if (!p->nobjects) {
		diag_error(d, NULL, "no BPF object to load");
		return -EINVAL;
	}
	libbpf_set_print(libbpf_print);
	rt->objs = calloc(p->nobjects, sizeof(*rt->objs));
	if (!rt->objs)
		return -ENOMEM;
	rt->nobjs = p->nobjects;
	for (size_t oi = 0; oi < p->nobjects; oi++) {
		int err = load_object(p, oi, d);
		if (err < 0)
			return err;
	}
	return fill_dispatch(p, d);
}

/*
 * The ELF is opened again with only the one program to load: the maps are
 * the core's, embedded by fd (llvm.bpf.pseudo), so the copy shares them,
 * and libbpf brings the BTF func/line info that subprograms (bpf_loop
 * callbacks) need.
 */
int runtime_load_copy(struct program *p, size_t fi, int attach_type, char *err, size_t errlen)
{
	struct runtime *rt = p->rt;
	const struct prog_func *f = &p->funcs[fi];
	err[0] = '\0';
	if (!rt || f->object >= p->nobjects)
		return -EINVAL;
	int *fds = realloc(rt->copy_fds, (rt->ncopies + 1) * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	rt->copy_fds = fds;
	char *log;
	struct bpf_object *obj;
	int oerr = open_object(p, f->object, &obj, &log, err, errlen);
	if (oerr < 0)
		return oerr;
	struct bpf_program *prog, *want = NULL;
	bpf_object__for_each_program(prog, obj) {
		bool it = !strcmp(bpf_program__name(prog), f->name);
		bpf_program__set_autoload(prog, it);
		if (it)
			want = prog;
	}
	int e = -ENOENT;
	if (want) {
		bpf_program__set_type(want, f->prog_type);
		bpf_program__set_expected_attach_type(want, (enum bpf_attach_type)attach_type);
		e = bpf_object__load(obj);
	}
	int fd = -1;
	if (!e && (fd = fcntl(bpf_program__fd(want), F_DUPFD_CLOEXEC, 3)) < 0)
		e = -errno;
	if (e) {
		char reason[256], excerpt[16];
		summarise_log(log, reason, sizeof(reason), excerpt, sizeof(excerpt));
		snprintf(err, errlen, "loading the program with attach type %d failed: %s", attach_type,
			 reason[0] ? reason : strerror(-e));
	}
	bpf_object__close(obj);
	free(log);
	if (e)
		return e;
	rt->copy_fds[rt->ncopies++] = fd;
	return fd;
}

int runtime_stop(struct program *p)
{
	if (p->stop_fd < 0)
		return 0;
	uint32_t key = 0;
	uint64_t one = 1;
	return bpf_map_update_elem(p->stop_fd, &key, &one, BPF_ANY) < 0 ? -errno : 0;
}

void runtime_release(struct program *p)
{
	struct runtime *rt = p->rt;
	if (rt) {
		/* Program fds belong to the objects. */
		for (size_t i = 0; i < rt->nobjs; i++)
			bpf_object__close(rt->objs[i]);
		free(rt->objs);
		for (size_t i = 0; i < p->nfuncs; i++)
			p->funcs[i].fd = -1;
		for (size_t i = 0; i < p->nmaps; i++) {
			if (p->maps[i].fd >= 0)
				close(p->maps[i].fd);
			p->maps[i].fd = -1;
		}
		if (p->ringbuf_fd >= 0)
			close(p->ringbuf_fd);
		p->ringbuf_fd = -1;
		if (p->stop_fd >= 0)
			close(p->stop_fd);
		p->stop_fd = -1;
		if (p->scratch_cpus)
			close(p->scratch_fd);
		p->scratch_cpus = 0;
		for (size_t i = 0; i < p->ndispatches; i++) {
			struct prog_dispatch *dp = &p->dispatches[i];
			if (dp->map_fd >= 0)
				close(dp->map_fd);
			if (dp->progs_fd >= 0)
				close(dp->progs_fd);
			dp->map_fd = dp->progs_fd = -1;
		}
		for (size_t i = 0; i < rt->ncopies; i++)
			close(rt->copy_fds[i]);
		free(rt->copy_fds);
		free(rt);
		p->rt = NULL;
	}
	prog_objects_release(p);
	stacks_release(p);
	counters_release(p);
	ksyms_release();
	usyms_release();
}
