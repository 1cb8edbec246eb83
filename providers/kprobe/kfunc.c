/*
 * kfunc/kretfunc (fentry/fexit, f/fr): BPF trampolines on kernel functions.
 *
 *	kfunc:FUNC  kfunc:MODULE:FUNC  kretfunc:...   FUNC may be a glob
 *
 * Functions come from vmlinux BTF, and from a module's BTF
 * (/sys/kernel/btf/MODULE, split on vmlinux) when a module is named or a
 * function is not in vmlinux. Each match is one BPF_PROG_TYPE_TRACING
 * attachment (strobe_resolver.set_btf_target): the core loads one program
 * per function, with its BTF id. The context is an array of u64, one slot
 * per parameter: args.NAME / argN read slot N (STROBE_LOC_BTF_ARG), and on
 * fexit retval is the slot after the last parameter.
 *
 * Wildcard matches are kept to the functions ftrace can trace
 * (available_filter_functions) when that list is readable: a trampoline
 * cannot go on a notrace function, and one refused load fails them all.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp.h"
#include "../lib/btf_ctype.h"

#define BTF_DIR "/sys/kernel/btf"
#define KF_MAX_ARGS 12 /* MAX_BPF_FUNC_ARGS */

struct kf_btf {
	char *module; /* "vmlinux" */
	struct btf *btf;
};

struct kf_state {
	struct kf_btf *b; /* b[0]: vmlinux, once loaded */
	size_t nb;
	bool vmlinux_tried, modules_tried;
	int vmlinux_err;
};

struct kf_state *kf_new(void)
{
	return calloc(1, sizeof(struct kf_state));
}

void kf_free(struct kf_state *kf)
{
	if (!kf)
		return;
	for (size_t i = kf->nb; i-- > 0;) { /* split BTFs before their base */
		btf__free(kf->b[i].btf);
		free(kf->b[i].module);
	}
	free(kf->b);
	free(kf);
}

static int add_btf(struct kf_state *kf, const char *module, struct btf *btf)
{
	struct kf_btf *grown = realloc(kf->b, (kf->nb + 1) * sizeof(*grown));
	char *m = strdup(module);
	if (!grown || !m) {
		free(grown == kf->b ? NULL : grown);
		free(m);
		btf__free(btf);
		return -ENOMEM;
	}
	kf->b = grown;
	kf->b[kf->nb++] = (struct kf_btf){ .module = m, .btf = btf };
	return 0;
}

static int load_vmlinux(struct kf_state *kf)
{
	if (!kf->vmlinux_tried) {
		kf->vmlinux_tried = true;
		struct btf *btf = btf__load_vmlinux_btf();
		kf->vmlinux_err = btf ? add_btf(kf, "vmlinux", btf) : (errno ? -errno : -ENOENT);
	}
	return kf->vmlinux_err;
}

/* The BTF of one module (loaded once), or NULL. */
static struct kf_btf *module_btf(struct kf_state *kf, const char *module)
{
	for (size_t i = 1; i < kf->nb; i++)
		if (!strcmp(kf->b[i].module, module))
			return &kf->b[i];
	if (kf->modules_tried || load_vmlinux(kf))
		return NULL;
	struct btf *btf = btf__load_module_btf(module, kf->b[0].btf);
	if (!btf || add_btf(kf, module, btf))
		return NULL;
	return &kf->b[kf->nb - 1];
}

static int module_filter(const struct dirent *d)
{
	return d->d_name[0] != '.' && strcmp(d->d_name, "vmlinux");
}

/* Every loaded module's BTF. */
static void load_modules(struct kf_state *kf)
{
	if (kf->modules_tried || load_vmlinux(kf))
		return;
	struct dirent **names;
	int n = scandir(BTF_DIR, &names, module_filter, alphasort);
	for (int i = 0; i < n; i++) {
		bool have = false;
		for (size_t j = 1; j < kf->nb && !have; j++)
			have = !strcmp(kf->b[j].module, names[i]->d_name);
		if (!have) {
			char path[512];
			snprintf(path, sizeof(path), "%s/%s", BTF_DIR, names[i]->d_name);
			struct btf *btf = btf__parse_split(path, kf->b[0].btf);
			if (btf)
				add_btf(kf, names[i]->d_name, btf);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	kf->modules_tried = true;
}

/* ---- describing parameters ------------------------------------------
 * The same C spellings and kinds as the rawtracepoint provider's
 * (providers/tracepoint/rawtp.c), which describes the same u64 slots. */

struct kf_args {
	struct strobe_arg a[KF_MAX_ARGS + 1]; /* + retval for -lv of kretfunc */
	char names[KF_MAX_ARGS + 1][64];
	char ctypes[KF_MAX_ARGS + 1][256];
	char pointees[KF_MAX_ARGS + 1][256];
	size_t n;
};

static void describe_type(const struct btf *btf, uint32_t type_id, struct kf_args *out, size_t i)
{
	struct strobe_arg *a = &out->a[i];
	btf_ctype_arg(btf, type_id, a, out->ctypes[i], sizeof(out->ctypes[i]), out->pointees[i],
		      sizeof(out->pointees[i]));
	a->name = out->names[i];
	a->loc = STROBE_LOC_BTF_ARG;
	a->offset = (int32_t)i;
}

/*
 * The parameters of FUNC (id), plus retval for -lv of kretfunc. 0, or
 * -E2BIG / -EINVAL when fentry cannot take the function (more than 12
 * parameters, a struct passed by value, variadic).
 */
static int describe_func(const struct btf *btf, uint32_t id, bool with_retval, struct kf_args *out)
{
	const struct btf_type *fn = btf__type_by_id(btf, id);
	const struct btf_type *proto = fn ? btf__type_by_id(btf, fn->type) : NULL;
	if (!proto || !btf_is_func_proto(proto))
		return -EINVAL;
	size_t vlen = btf_vlen(proto);
	const struct btf_param *p = btf_params(proto);
	out->n = 0;
	if (vlen > KF_MAX_ARGS)
		return -E2BIG;
	for (size_t i = 0; i < vlen; i++) {
		if (!p[i].type)
			return -EINVAL; /* ... */
		uint32_t tid = p[i].type;
		const struct btf_type *t = btf_ctype_strip(btf, &tid);
		if (t && (btf_is_composite(t) || t->size > 8) && !btf_is_ptr(t))
			return -EINVAL;
		const char *name = btf__name_by_offset(btf, p[i].name_off);
		if (name && *name)
			snprintf(out->names[i], sizeof(out->names[i]), "%s", name);
		else
			snprintf(out->names[i], sizeof(out->names[i]), "arg%zu", i);
		describe_type(btf, p[i].type, out, i);
		out->n++;
	}
	if (with_retval && proto->type) {
		snprintf(out->names[vlen], sizeof(out->names[vlen]), "retval");
		describe_type(btf, proto->type, out, vlen);
		out->n++;
	}
	return 0;
}

/* ---- resolve ---------------------------------------------------------- */

static bool is_ret(const char *type)
{
	return !strcmp(type, "kretfunc");
}

static bool is_wild(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int add_func(struct strobe_resolver *r, const char *type, const struct kf_btf *kb,
		    bool qualified, uint32_t id, const char *name, struct kf_args *args)
{
	bool ret = is_ret(type);
	char pname[512];
	snprintf(pname, sizeof(pname), "%s:%s%s%s", type, qualified ? kb->module : "", qualified ? ":" : "",
		 name);
	unsigned builtins = STROBE_BUILTIN_ARGS | STROBE_BUILTIN_ARGN | STROBE_BUILTIN_FUNC |
			    (ret ? STROBE_BUILTIN_RETVAL : 0);
	struct strobe_attachment *a = r->add(r, pname, name, BPF_PROG_TYPE_TRACING, builtins);
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < args->n; i++) {
		int err = r->add_arg(r, a, &args->a[i]);
		if (err)
			return err;
	}
	char hint[448], alt[384];
	kp_suggest(name, ret, alt, sizeof(alt));
	snprintf(hint, sizeof(hint), "use %s:%s instead, or %s", ret ? "kretprobe" : "kprobe", name, alt);
	struct strobe_btf_target t = {
		.size = sizeof(t),
		.attach_type = ret ? BPF_TRACE_FEXIT : BPF_TRACE_FENTRY,
		.func = name,
		.module = strcmp(kb->module, "vmlinux") ? kb->module : NULL,
		.hint = hint,
	};
	(void)id;
	if (r->size < offsetofend(struct strobe_resolver, set_btf_target) || !r->set_btf_target) {
		r->error(r, "%s: this strobe core cannot load fentry/fexit programs (its provider ABI "
			    "has no set_btf_target)", pname);
		return -EOPNOTSUPP;
	}
	return r->set_btf_target(r, a, &t);
}

/* Matches of func in one BTF object (its own types only). */
static int resolve_in(struct kp_traceable *kp, struct strobe_resolver *r, const char *type,
		      const struct kf_btf *kb, bool qualified, const char *func, unsigned *count,
		      struct kf_args *args)
{
	const struct btf *base = btf__base_btf(kb->btf);
	uint32_t start = base ? btf__type_cnt(base) : 1, n = btf__type_cnt(kb->btf);
	bool wild = is_wild(func);
	for (uint32_t id = start; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(kb->btf, id);
		if (!t || !btf_is_func(t))
			continue;
		const char *name = btf__name_by_offset(kb->btf, t->name_off);
		if (!name || (wild ? fnmatch(func, name, 0) : strcmp(func, name)))
			continue;
		bool known;
		int derr = describe_func(kb->btf, id, false, args);
		if (wild && (derr || !kp_traceable(kp, name, &known)))
			continue; /* bpftrace keeps wildcards to what can be traced */
		if (derr) {
			r->error(r, "%s:%s: fentry/fexit cannot take '%s' (%s)", type, func, name,
				 derr == -E2BIG ? "more than 12 parameters"
						: "a parameter passed by value that is not a scalar, or variadic");
			return derr;
		}
		if (!kp_traceable(kp, name, &known))
			r->warning(r, "%s is not traceable (either non-existing, inlined, or marked as "
				      "\"notrace\"); attaching to it will likely fail", name);
		if (++*count > KP_MAX_PROBES) {
			r->error(r, "Can not attach more than %d probes; a more specific wildcard is needed",
				 KP_MAX_PROBES);
			return -E2BIG;
		}
		int err = add_func(r, type, kb, qualified, id, name, args);
		if (err)
			return err;
		if (!wild)
			break;
	}
	return 0;
}

int kf_resolve(struct kf_state *kf, struct kp_traceable *kp, const char *type, const char *target,
	       struct strobe_resolver *r)
{
	char buf[512];
	const char *mod;
	char *func;
	int err = kp_split_target(type, target, buf, sizeof(buf), &mod, &func, r);
	if (err)
		return err;
	if (strchr(func, '+')) {
		r->error(r, "%s probes take no offset: %s", type, func);
		return -EINVAL;
	}
	if ((err = load_vmlinux(kf))) {
		r->error(r, "%s:%s: the kernel's BTF (/sys/kernel/btf/vmlinux) cannot be read: %s", type,
			 target, strerror(-err));
		return err;
	}
	struct kf_args *args = malloc(sizeof(*args));
	if (!args)
		return -ENOMEM;
	unsigned count = 0;
	if (mod && strcmp(mod, "vmlinux")) {
		if (is_wild(mod)) {
			load_modules(kf);
			for (size_t i = 1; i < kf->nb && !err; i++)
				if (!fnmatch(mod, kf->b[i].module, 0))
					err = resolve_in(kp, r, type, &kf->b[i], true, func, &count, args);
		} else {
			struct kf_btf *kb = module_btf(kf, mod);
			if (!kb) {
				r->error(r, "%s:%s: no BTF for kernel module '%s' (/sys/kernel/btf/%s: is it loaded?)",
					 type, target, mod, mod);
				free(args);
				return -ENOENT;
			}
			err = resolve_in(kp, r, type, kb, true, func, &count, args);
		}
	} else {
		err = resolve_in(kp, r, type, &kf->b[0], mod != NULL, func, &count, args);
		if (!err && !count && !mod && !is_wild(func)) {
			/* not in vmlinux: a module's function, named without its module */
			load_modules(kf);
			for (size_t i = 1; i < kf->nb && !err && !count; i++)
				err = resolve_in(kp, r, type, &kf->b[i], true, func, &count, args);
		}
	}
	free(args);
	if (err)
		return err;
	if (!count && !is_wild(func) && !(mod && is_wild(mod))) {
		r->error(r, "%s:%s: function '%s' not found in the kernel's BTF%s%s", type, target, func,
			 mod ? " of module " : "", mod ? mod : "");
		return -ENOENT;
	}
	return 0; /* a wildcard that matched nothing: the core says so */
}

/* ---- list --------------------------------------------------------------- */

int kf_list(struct kf_state *kf, struct kp_traceable *kp, const char *type, const char *glob, bool verbose,
	    strobe_list_fn fn, void *ctx)
{
	if (load_vmlinux(kf))
		return 0;
	load_modules(kf);
	if (!glob || !*glob)
		glob = "*";
	struct kf_args *args = malloc(sizeof(*args));
	if (!args)
		return -ENOMEM;
	int stop = 0;
	for (size_t b = 0; b < kf->nb && !stop; b++) {
		const struct kf_btf *kb = &kf->b[b];
		bool vml = !b;
		const struct btf *base = btf__base_btf(kb->btf);
		uint32_t start = base ? btf__type_cnt(base) : 1, n = btf__type_cnt(kb->btf);
		for (uint32_t id = start; id < n && !stop; id++) {
			const struct btf_type *t = btf__type_by_id(kb->btf, id);
			if (!t || !btf_is_func(t))
				continue;
			const char *name = btf__name_by_offset(kb->btf, t->name_off);
			bool known;
			if (!name || !kp_traceable(kp, name, &known))
				continue;
			char full[512];
			snprintf(full, sizeof(full), "%s%s%s", vml ? "" : kb->module, vml ? "" : ":", name);
			if (fnmatch(glob, full, 0) && fnmatch(glob, name, 0))
				continue;
			if (describe_func(kb->btf, id, is_ret(type), args))
				continue;
			char lname[600];
			snprintf(lname, sizeof(lname), "%s:%s", type, full);
			struct strobe_listing l = { .name = lname };
			if (verbose) {
				l.args = args->a;
				l.nargs = args->n;
			}
			stop = fn(ctx, &l);
		}
	}
	free(args);
	return 0;
}

/* ---- attach ----------------------------------------------------------- */

int kf_attach(const struct strobe_attach_req *req, char *errbuf, size_t errlen)
{
	bool ret = is_ret(req->type);
	/* Linux 6.1 links fentry/fexit only through BPF_RAW_TRACEPOINT_OPEN (name NULL);
	 * bpf_link_create takes them (with a cookie) from 6.6 on. */
	LIBBPF_OPTS(bpf_link_create_opts, opts, .tracing.cookie = req->cookie);
	int fd = bpf_link_create(req->prog_fd, 0, ret ? BPF_TRACE_FEXIT : BPF_TRACE_FENTRY, &opts);
	if (fd < 0)
		fd = bpf_raw_tracepoint_open(NULL, req->prog_fd);
	if (fd < 0) {
		int e = errno;
		snprintf(errbuf, errlen, "cannot attach the %s program to %s: %s", ret ? "fexit" : "fentry",
			 req->target, strerror(e));
		return -e;
	}
	return fd;
}
