/*
 * The kprobe provider: kernel function entry and return, and their BTF
 * counterparts.
 *
 *	kprobe:FUNC  kprobe:MODULE:FUNC  kprobe:FUNC+OFFSET   k:
 *	kretprobe:FUNC  kretprobe:MODULE:FUNC                kr:
 *	kfunc:FUNC  kfunc:MODULE:FUNC     (fentry, f)
 *	kretfunc:FUNC                      (fexit, fr)
 *
 * FUNC may be a glob. kprobe functions are checked against the text symbols
 * (t/T) of /proc/kallsyms, where module symbols carry "[module]"; -l lists
 * available_filter_functions when it is readable, else those symbols.
 * Programs are BPF_PROG_TYPE_KPROBE with arg0..arg5 from pt_regs, retval
 * for kretprobe, func. Attaching opens a perf event on the kprobe PMU
 * (config1 = function name, config2 = offset, the retprobe bit from its
 * format) and links the program to it with its cookie; a kernel without
 * the PMU (CONFIG_KPROBES off) fails at attach, naming a tracepoint to use
 * instead when one is known.
 *
 * kfunc/kretfunc (fentry/fexit) live in kfunc.c; what both know of the
 * kernel's functions (traceable, the tracepoint to use instead, MODULE:FUNC)
 * in kfuncs.c.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <strobe/perf_link.h>
#include <strobe/provider.h>

#include "kp.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#define KPROBE_PMU "/sys/bus/event_source/devices/kprobe"

struct kp_sym {
	char *name;
	char *module; /* NULL: vmlinux */
};

struct kp_state {
	const struct strobe_host *host;
	bool loaded;
	int load_err;
	struct kp_sym *syms; /* sorted by name, then module; unique */
	size_t nsyms;
	struct kp_traceable traceable; /* available_filter_functions (kfuncs.c) */
	struct kf_state *kf;
	bool multi_checked, multi; /* kp_multi_ok */
};

struct kp_link {
	struct strobe_link base;
	struct strobe_perf_fd ev; /* kprobe/kretprobe */
	int fd;                   /* fentry/fexit: the link, else -1 */
};

static bool is_wild(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}


static bool is_ret(const char *type)
{
	return !strcmp(type, "kretprobe") || !strcmp(type, "kretfunc");
}

static bool is_btf_type(const char *type)
{
	return !strcmp(type, "kfunc") || !strcmp(type, "kretfunc");
}

/* ---- symbols ----------------------------------------------------------- */

static int sym_cmp(const void *a, const void *b)
{
	const struct kp_sym *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	if (!x->module || !y->module)
		return !x->module ? (y->module ? -1 : 0) : 1;
	return strcmp(x->module, y->module);
}

static bool traceable_name(const char *n)
{
	/* the padding before each function, and split-off cold parts */
	return strncmp(n, "__pfx_", 6) && !strstr(n, ".cold");
}

static int push_sym(struct kp_state *st, size_t *cap, const char *name, const char *mod)
{
	if (st->nsyms == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4096;
		struct kp_sym *v = realloc(st->syms, ncap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		st->syms = v;
		*cap = ncap;
	}
	struct kp_sym *s = &st->syms[st->nsyms];
	s->name = strdup(name);
	s->module = mod ? strdup(mod) : NULL;
	if (!s->name || (mod && !s->module)) {
		free(s->name);
		free(s->module);
		return -ENOMEM;
	}
	st->nsyms++;
	return 0;
}

/* "name [module]" or "name": the module (into buf) or NULL. */
static const char *parse_module(char *rest)
{
	char *lb = strchr(rest, '[');
	if (!lb)
		return NULL;
	char *rb = strchr(lb, ']');
	if (!rb)
		return NULL;
	*rb = '\0';
	return lb + 1;
}

/* /proc/kallsyms text symbols (t/T): the functions kprobes are checked against. */
static int load_syms(struct kp_state *st)
{
	if (st->loaded)
		return st->load_err;
	st->loaded = true;
	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f)
		return st->load_err = -errno;
	char line[1024];
	size_t cap = 0;
	int err = 0;
	while (!err && fgets(line, sizeof(line), f)) {
		char *save = NULL;
		char *addr = strtok_r(line, " \t\n", &save);
		char *kind = strtok_r(NULL, " \t\n", &save);
		char *name = strtok_r(NULL, " \t\n", &save);
		char *rest = strtok_r(NULL, "\n", &save);
		if (!addr || !kind || !name || (strcmp(kind, "t") && strcmp(kind, "T")))
			continue;
		if (!traceable_name(name))
			continue;
		err = push_sym(st, &cap, name, rest ? parse_module(rest) : NULL);
	}
	fclose(f);
	if (err)
		return st->load_err = err;
	qsort(st->syms, st->nsyms, sizeof(*st->syms), sym_cmp);
	size_t w = 0;
	for (size_t i = 0; i < st->nsyms; i++) {
		if (w && !sym_cmp(&st->syms[w - 1], &st->syms[i])) {
			free(st->syms[i].name);
			free(st->syms[i].module);
			continue;
		}
		st->syms[w++] = st->syms[i];
	}
	st->nsyms = w;
	return 0;
}

static bool module_matches(const char *pattern, const struct kp_sym *s)
{
	if (!pattern)
		return true;
	const char *m = s->module ? s->module : "vmlinux";
	return !fnmatch(pattern, m, 0);
}


/* ---- list ------------------------------------------------------------ */

static int list_filter_functions(const char *type, const char *glob, strobe_list_fn fn, void *ctx,
				 bool *ok)
{
	FILE *f = kp_open_filter_functions();
	*ok = false;
	if (!f)
		return 0;
	char line[1024];
	/* EPERM shows only at the first read */
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return 0;
	}
	*ok = true;
	size_t cap = 0, n = 0;
	char **names = NULL;
	do {
		char *sp = strpbrk(line, " \t\n");
		if (sp)
			*sp = '\0';
		if (!line[0] || fnmatch(glob, line, 0))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			char **v = realloc(names, cap * sizeof(*v));
			if (!v)
				break;
			names = v;
		}
		if (!(names[n] = strdup(line)))
			break;
		n++;
	} while (fgets(line, sizeof(line), f));
	fclose(f);
	qsort(names, n, sizeof(*names), kp_name_cmp);
	int stop = 0;
	for (size_t i = 0; i < n; i++) {
		if (!stop && !(i && !strcmp(names[i], names[i - 1]))) {
			char *name;
			if (asprintf(&name, "%s:%s", type, names[i]) >= 0) {
				struct strobe_listing l = { .name = name };
				stop = fn(ctx, &l);
				free(name);
			}
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

static int kp_list(void *vst, const char *type, const char *glob, bool verbose, strobe_list_fn fn,
		   void *ctx)
{
	struct kp_state *st = vst;
	const char *g = glob && *glob ? glob : "*";
	/*
	 * Like bpftrace, -l and -l 'kprobe:*' list every kprobe (and kfunc) and
	 * kretprobe/kretfunc list under their entry names. "*" is also what the
	 * core passes for a listing without a type, so kretfunc lists only for a
	 * narrower glob (-lv 'kretfunc:vfs_read' shows retval).
	 */
	if (!strcmp(type, "kfunc") || (!strcmp(type, "kretfunc") && strcmp(g, "*")))
		return kf_list(st->kf, &st->traceable, type, g, verbose, fn, ctx);
	if (strcmp(type, "kprobe"))
		return 0;
	/* kprobe:MODULE:GLOB: filter by module, list plain names */
	const char *colon = strchr(g, ':');
	char mod[256] = "";
	if (colon) {
		snprintf(mod, sizeof(mod), "%.*s", (int)(colon - g), g);
		g = colon + 1;
	}
	bool ok = false;
	if (!colon) {
		int err = list_filter_functions(type, g, fn, ctx, &ok);
		if (ok)
			return err;
	}
	if (load_syms(st))
		return 0;
	int stop = 0;
	for (size_t i = 0; i < st->nsyms && !stop; i++) {
		const struct kp_sym *s = &st->syms[i];
		if (i && !strcmp(s->name, st->syms[i - 1].name))
			continue;
		if (fnmatch(g, s->name, 0) || (colon && !module_matches(mod, s)))
			continue;
		char *name;
		if (asprintf(&name, "%s:%s", type, s->name) < 0)
			break;
		struct strobe_listing l = { .name = name };
		stop = fn(ctx, &l);
		free(name);
	}
	return 0;
}

/* ---- resolve --------------------------------------------------------- */

static unsigned kp_builtins(const char *type)
{
	return (is_ret(type) ? STROBE_BUILTIN_RETVAL : STROBE_BUILTIN_ARGN) | STROBE_BUILTIN_FUNC |
	       STROBE_BUILTIN_REGS;
}

/*
 * kprobe_multi (Linux >= 5.18, CONFIG_FPROBE): one link for many functions,
 * attached by name. Functions of vmlinux only: the kernel resolves the
 * names with ftrace_lookup_symbols(), which looks at modules only since
 * 6.3. No offsets: it probes the function entry.
 */
static bool kp_multi_ok(struct kp_state *st, const char *mod, const char *off)
{
	if (mod || off)
		return false;
	if (!st->multi_checked) {
		/*
		 * The kernel has kprobe_multi links when it has fprobe (5.18+,
		 * CONFIG_FPROBE; Debian's 6.1 lacks it, and its
		 * bpf_kprobe_multi_link_attach() only says EOPNOTSUPP): asking
		 * for them elsewhere would cost the core a program load for
		 * nothing before it falls back.
		 */
		st->multi_checked = true;
		struct kp_sym key = { .name = "register_fprobe_ips" };
		st->multi = bsearch(&key, st->syms, st->nsyms, sizeof(key), sym_cmp) != NULL;
	}
	return st->multi;
}

static int kp_add(struct strobe_resolver *r, const char *type, const char *mod, const char *func,
		  const char *off, bool multi)
{
	char *name, *target;
	if (asprintf(&name, "%s:%s%s%s%s%s", type, mod ? mod : "", mod ? ":" : "", func,
		     off ? "+" : "", off ? off : "") < 0)
		return -ENOMEM;
	if (asprintf(&target, "%s%s%s", func, off ? "+" : "", off ? off : "") < 0) {
		free(name);
		return -ENOMEM;
	}
	struct strobe_attachment *a =
		r->add(r, name, target, BPF_PROG_TYPE_KPROBE, kp_builtins(type));
	free(name);
	free(target);
	if (!a)
		return -ENOMEM;
	strobe_newest_first(r, a); /* kprobe handlers of one address run newest first */
	if (multi && r->size >= offsetofend(struct strobe_resolver, set_multi) && r->set_multi)
		r->set_multi(r, a, BPF_TRACE_KPROBE_MULTI);
	return 0;
}


static int kp_resolve(void *vst, const char *type, const char *target, struct strobe_resolver *r)
{
	struct kp_state *st = vst;
	if (is_btf_type(type))
		return kf_resolve(st->kf, &st->traceable, type, target, r);
	char buf[512];
	const char *mod;
	char *func;
	int err = kp_split_target(type, target, buf, sizeof(buf), &mod, &func, r);
	if (err)
		return err;
	char *off = strchr(func, '+');
	if (off) {
		*off++ = '\0';
		char *end;
		errno = 0;
		unsigned long long v = strtoull(off, &end, 0);
		if (!*off || *end || errno || *off == '-') {
			r->error(r, "invalid offset '%s' in %s:%s", off, type, target);
			return -EINVAL;
		}
		(void)v;
		if (is_ret(type)) {
			r->error(r, "%s probes take no offset: %s:%s", type, type, target);
			return -EINVAL;
		}
		if (is_wild(func)) {
			r->error(r, "an offset cannot be combined with a wildcard: %s", target);
			return -EINVAL;
		}
	}
	err = load_syms(st);
	if (err) {
		r->error(r, "%s:%s: cannot read /proc/kallsyms: %s", type, target, strerror(-err));
		return err;
	}
	bool wild = is_wild(func) || (mod && is_wild(mod));
	unsigned count = 0;
	for (size_t i = 0; i < st->nsyms; i++) {
		const struct kp_sym *s = &st->syms[i];
		if ((wild ? fnmatch(func, s->name, 0) : strcmp(func, s->name)) ||
		    !module_matches(mod, s))
			continue;
		/* one attachment per name (the PMU attaches by name) */
		if (i && !strcmp(s->name, st->syms[i - 1].name) && module_matches(mod, &st->syms[i - 1]))
			continue;
		bool known;
		bool traceable = kp_traceable(&st->traceable, s->name, &known);
		if (wild && !traceable)
			continue; /* bpftrace expands wildcards over the traceable functions */
		if (!traceable)
			r->warning(r, "%s is not traceable (either non-existing, inlined, or marked as "
				      "\"notrace\"); attaching to it will likely fail", s->name);
		if (++count > KP_MAX_PROBES) {
			r->error(r, "Can not attach more than %d probes; a more specific wildcard is needed",
				 KP_MAX_PROBES);
			return -E2BIG;
		}
		err = kp_add(r, type, mod && !wild ? mod : NULL, s->name, off,
			     kp_multi_ok(st, s->module, off));
		if (err)
			return err;
		if (!wild)
			break;
	}
	if (!count && !wild) {
		if (mod)
			r->error(r, "%s:%s: function '%s' not found in kernel module '%s' "
				    "(no such text symbol in /proc/kallsyms)",
				 type, target, func, mod);
		else
			r->error(r, "%s:%s: function '%s' not found (no such kernel text symbol in "
				    "/proc/kallsyms: either non-existing, or inlined)",
				 type, target, func);
		return -ENOENT;
	}
	return 0;
}

/* ---- attach ---------------------------------------------------------- */

static int read_sysfs_long(const char *path, const char *prefix, long *out)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	char line[128];
	bool ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	if (!ok)
		return -EINVAL;
	const char *p = line;
	if (prefix) {
		size_t pl = strlen(prefix);
		if (strncmp(p, prefix, pl))
			return -EINVAL;
		p += pl;
	}
	char *end;
	errno = 0;
	long v = strtol(p, &end, 10);
	if (errno || end == p)
		return -EINVAL;
	*out = v;
	return 0;
}

static int kp_attach(void *vst, const struct strobe_attach_req *req, struct strobe_link **out,
		     char *errbuf, size_t errlen)
{
	(void)vst;
	if (is_btf_type(req->type)) {
		int fd = kf_attach(req, errbuf, errlen);
		if (fd < 0)
			return fd;
		struct kp_link *l = calloc(1, sizeof(*l));
		if (!l) {
			close(fd);
			return -ENOMEM;
		}
		l->ev.perf_fd = l->ev.link_fd = -1;
		l->fd = fd;
		l->base.nr_attached = 1;
		*out = &l->base;
		return 0;
	}
	bool ret = is_ret(req->type);
	long type, bit = 0;
	int e = read_sysfs_long(KPROBE_PMU "/type", NULL, &type);
	if (e) {
		char alt[384];
		kp_suggest(req->target, ret, alt, sizeof(alt));
		if (e == -ENOENT)
			snprintf(errbuf, errlen,
				 "this kernel has no kprobes (CONFIG_KPROBES is off); %s", alt);
		else
			snprintf(errbuf, errlen, "cannot read the kprobe PMU (%s/type): %s; %s",
				 KPROBE_PMU, strerror(-e), alt);
		return e;
	}
	if (ret && (e = read_sysfs_long(KPROBE_PMU "/format/retprobe", "config:", &bit))) {
		snprintf(errbuf, errlen, "the kernel's kprobe PMU has no retprobe format: %s",
			 strerror(-e));
		return e;
	}
	char func[512];
	snprintf(func, sizeof(func), "%s", req->target);
	uint64_t off = 0;
	char *plus = strchr(func, '+');
	if (plus) {
		*plus = '\0';
		off = strtoull(plus + 1, NULL, 0);
	}
	struct perf_event_attr attr = {
		.type = (uint32_t)type,
		.size = sizeof(attr),
		.config = ret ? 1ull << bit : 0,
		.config1 = (uint64_t)(uintptr_t)func,
		.config2 = off,
		.sample_period = 1,
		.wakeup_events = 1,
	};
	struct kp_link *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->fd = -1;
	const char *step = NULL;
	e = strobe_perf_attach(&attr, -1, 0, req->prog_fd, req->cookie, &l->ev, &step);
	if (e) {
		if (step && !strcmp(step, "perf_event_open"))
			snprintf(errbuf, errlen, "perf_event_open(%s %s+0x%" PRIx64 ") failed: %s%s",
				 ret ? "kretprobe" : "kprobe", func, off, strerror(-e),
				 e == -ENOENT || e == -EINVAL
					 ? " (not traceable: inlined, notrace or not a function entry?)"
					 : "");
		else
			snprintf(errbuf, errlen, "cannot attach the program to %s %s: %s",
				 ret ? "kretprobe" : "kprobe", req->target, strerror(-e));
		free(l);
		return e;
	}
	l->base.nr_attached = 1;
	*out = &l->base;
	return 0;
}

/*
 * One BPF_LINK_TYPE_KPROBE_MULTI link for all of reqs (provider.h,
 * attach_multi): the kernel sorts the names together with their cookies,
 * and bpf_get_func_ip()/bpf_get_attach_cookie() work per function. The
 * program was loaded with BPF_TRACE_KPROBE_MULTI (kp_add: set_multi).
 */
static int kp_attach_multi(void *vst, const struct strobe_attach_req *reqs, size_t n,
			   struct strobe_link **out, char *errbuf, size_t errlen)
{
	(void)vst;
	if (!n || is_btf_type(reqs[0].type)) {
		snprintf(errbuf, errlen, "%s probes are attached one by one", reqs[0].type);
		return -EOPNOTSUPP;
	}
	bool ret = is_ret(reqs[0].type);
	const char **syms = calloc(n, sizeof(*syms));
	__u64 *cookies = calloc(n, sizeof(*cookies));
	struct kp_link *l = calloc(1, sizeof(*l));
	int e = 0;
	if (!syms || !cookies || !l)
		e = -ENOMEM;
	for (size_t i = 0; !e && i < n; i++) {
		if (strcmp(reqs[i].type, reqs[0].type) || reqs[i].prog_fd != reqs[0].prog_fd ||
		    strchr(reqs[i].target, '+') || strchr(reqs[i].target, ':')) {
			snprintf(errbuf, errlen, "%s cannot go into a kprobe_multi link", reqs[i].target);
			e = -EINVAL;
		}
		syms[i] = reqs[i].target;
		cookies[i] = reqs[i].cookie;
	}
	if (!e) {
		LIBBPF_OPTS(bpf_link_create_opts, opts, .kprobe_multi.syms = syms,
			    .kprobe_multi.cnt = (uint32_t)n, .kprobe_multi.cookies = cookies,
			    .kprobe_multi.flags = ret ? BPF_F_KPROBE_MULTI_RETURN : 0);
		int fd = bpf_link_create(reqs[0].prog_fd, 0, BPF_TRACE_KPROBE_MULTI, &opts);
		if (fd < 0) {
			e = -errno;
			snprintf(errbuf, errlen, "kprobe_multi link for %zu functions: %s%s", n,
				 strerror(-e),
				 e == -EINVAL || e == -EOPNOTSUPP ? " (kernel < 5.18 or without CONFIG_FPROBE?)"
				 : e == -ESRCH ? " (a function is not in the kernel's symbols)"
						: "");
		} else {
			l->ev.perf_fd = l->ev.link_fd = -1;
			l->fd = fd;
			l->base.nr_attached = (unsigned)n;
			*out = &l->base;
			l = NULL;
		}
	}
	free(l);
	free(syms);
	free(cookies);
	return e;
}

static void kp_detach(void *st, struct strobe_link *link)
{
	(void)st;
	struct kp_link *l = container_of(link, struct kp_link, base);
	strobe_perf_detach(&l->ev);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

/* ---- lifecycle ------------------------------------------------------- */

static int kp_init(const struct strobe_host *host, void **out)
{
	struct kp_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->host = host;
	st->kf = kf_new();
	if (!st->kf) {
		free(st);
		return -ENOMEM;
	}
	*out = st;
	return 0;
}

static void kp_fini(void *vst)
{
	struct kp_state *st = vst;
	if (!st)
		return;
	for (size_t i = 0; i < st->nsyms; i++) {
		free(st->syms[i].name);
		free(st->syms[i].module);
	}
	free(st->syms);
	kp_traceable_free(&st->traceable);
	kf_free(st->kf);
	free(st);
}

static const struct strobe_provider_ops kp_ops = {
	.abi = STROBE_PROVIDER_ABI,
	.size = sizeof(struct strobe_provider_ops),
	.name = "kprobe",
	.init = kp_init,
	.fini = kp_fini,
	.list = kp_list,
	.resolve = kp_resolve,
	.attach = kp_attach,
	.detach = kp_detach,
	.attach_multi = kp_attach_multi,
	.arg_size = sizeof(struct strobe_arg),
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &kp_ops;
}
