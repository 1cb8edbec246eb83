/*
 * Raw tracepoints from kernel BTF.
 *
 * The kernel declares `typedef void (*btf_trace_<event>)(void *__data, ...)`
 * for every raw tracepoint: its FUNC_PROTO, minus the first `void *`, is the
 * argument list a BPF_PROG_TYPE_RAW_TRACEPOINT program sees as an array of
 * u64 in its context (argument i at offset 8 * i). Parameters of those
 * typedefs are unnamed; the names come from the static functions
 * `__probestub_<event>` / `__bpf_trace_<event>` that share the same proto
 * when BTF has them, and are `arg0..argN` otherwise.
 *
 * vmlinux BTF is loaded on first use and kept; module BTF
 * (/sys/kernel/btf/<module>, split on vmlinux) only when a module is named,
 * a wildcard is used, or an event is not in vmlinux.
 */
#include "rawtp.h"
#include "../lib/btf_ctype.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BTF_DIR "/sys/kernel/btf"
#define TRACE_PREFIX "btf_trace_"

struct rawtp_event {
	const char *name; /* into the BTF strings, after "btf_trace_" */
	uint32_t proto;   /* FUNC_PROTO of the typedef */
	uint32_t named;   /* FUNC_PROTO with parameter names, or 0 */
};

struct rawtp_btf {
	char *module; /* "vmlinux" for the kernel */
	struct btf *btf;
	struct rawtp_event *ev; /* sorted by name */
	size_t nev;
};

struct rawtp_state {
	const struct strobe_host *host;
	bool vmlinux_tried, modules_tried;
	int vmlinux_err;
	struct rawtp_btf *b; /* b[0] is vmlinux once loaded */
	size_t nb;
	bool warned_cookie;
};

struct rawtp_state *rawtp_new(const struct strobe_host *host)
{
	struct rawtp_state *st = calloc(1, sizeof(*st));
	if (st)
		st->host = host;
	return st;
}

void rawtp_free(struct rawtp_state *st)
{
	if (!st)
		return;
	/* Split module BTFs reference vmlinux: free them first. */
	for (size_t i = st->nb; i-- > 0;) {
		btf__free(st->b[i].btf);
		free(st->b[i].module);
		free(st->b[i].ev);
	}
	free(st->b);
	free(st);
}

static int event_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rawtp_event *)a)->name, ((const struct rawtp_event *)b)->name);
}

/* The FUNC_PROTO behind a `typedef void (*)(...)`, or 0. */
static uint32_t typedef_proto(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	if (!t || !btf_is_typedef(t))
		return 0;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_ptr(t))
		return 0;
	uint32_t proto = t->type;
	t = btf__type_by_id(btf, proto);
	return t && btf_is_func_proto(t) ? proto : 0;
}

/* Index the raw tracepoints of one BTF object (only its own types when split). */
static int index_btf(struct rawtp_btf *rb)
{
	const struct btf *base = btf__base_btf(rb->btf);
	uint32_t first = base ? btf__type_cnt(base) : 1, n = btf__type_cnt(rb->btf);
	size_t cap = 0;
	for (uint32_t id = first; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(rb->btf, id);
		if (!btf_is_typedef(t))
			continue;
		const char *name = btf__name_by_offset(rb->btf, t->name_off);
		if (!name || strncmp(name, TRACE_PREFIX, strlen(TRACE_PREFIX)))
			continue;
		uint32_t proto = typedef_proto(rb->btf, id);
		if (!proto)
			continue;
		if (rb->nev == cap) {
			cap = cap ? cap * 2 : 1024;
			struct rawtp_event *grown = realloc(rb->ev, cap * sizeof(*grown));
			if (!grown)
				return -ENOMEM;
			rb->ev = grown;
		}
		rb->ev[rb->nev++] = (struct rawtp_event){ .name = name + strlen(TRACE_PREFIX),
							  .proto = proto };
	}
	qsort(rb->ev, rb->nev, sizeof(*rb->ev), event_cmp);
	/* Parameter names: the stubs that share the typedef's prototype. */
	static const char *const stub_prefix[] = { "__probestub_", "__bpf_trace_" };
	for (uint32_t id = first; id < n && rb->nev; id++) {
		const struct btf_type *t = btf__type_by_id(rb->btf, id);
		if (!btf_is_func(t))
			continue;
		const char *name = btf__name_by_offset(rb->btf, t->name_off);
		for (size_t k = 0; name && k < 2; k++) {
			size_t plen = strlen(stub_prefix[k]);
			if (strncmp(name, stub_prefix[k], plen))
				continue;
			struct rawtp_event key = { .name = name + plen };
			struct rawtp_event *e =
				bsearch(&key, rb->ev, rb->nev, sizeof(*rb->ev), event_cmp);
			const struct btf_type *p = btf__type_by_id(rb->btf, t->type);
			if (e && !e->named && p && btf_is_func_proto(p))
				e->named = t->type;
		}
	}
	return 0;
}

static int add_btf(struct rawtp_state *st, const char *module, struct btf *btf)
{
	struct rawtp_btf *grown = realloc(st->b, (st->nb + 1) * sizeof(*grown));
	if (!grown) {
		btf__free(btf);
		return -ENOMEM;
	}
	st->b = grown;
	struct rawtp_btf *rb = &st->b[st->nb];
	memset(rb, 0, sizeof(*rb));
	rb->module = strdup(module);
	rb->btf = btf;
	int err = rb->module ? index_btf(rb) : -ENOMEM;
	if (err) {
		free(rb->module);
		free(rb->ev);
		btf__free(btf);
		return err;
	}
	st->nb++;
	return 0;
}

/* vmlinux BTF, loaded once; 0 or -errno (remembered). */
static int load_vmlinux(struct rawtp_state *st)
{
	if (!st->vmlinux_tried) {
		st->vmlinux_tried = true;
		struct btf *btf = btf__load_vmlinux_btf();
		if (!btf)
			st->vmlinux_err = errno ? -errno : -ENOENT;
		else
			st->vmlinux_err = add_btf(st, "vmlinux", btf);
	}
	return st->vmlinux_err;
}

static int module_filter(const struct dirent *d)
{
	return d->d_name[0] != '.' && strcmp(d->d_name, "vmlinux");
}

/* Every module's BTF, split on vmlinux; modules without BTF are skipped. */
static void load_modules(struct rawtp_state *st)
{
	if (st->modules_tried || load_vmlinux(st))
		return;
	st->modules_tried = true;
	struct dirent **names;
	int n = scandir(BTF_DIR, &names, module_filter, alphasort);
	for (int i = 0; i < n; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", BTF_DIR, names[i]->d_name);
		struct btf *btf = btf__parse_split(path, st->b[0].btf);
		if (btf)
			add_btf(st, names[i]->d_name, btf);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

static struct rawtp_event *find_event(struct rawtp_btf *rb, const char *event)
{
	struct rawtp_event key = { .name = event };
	return bsearch(&key, rb->ev, rb->nev, sizeof(*rb->ev), event_cmp);
}

/* ---- describing arguments ----------------------------------------- */

/* snprintf that may truncate long type names silently. */
/* The argument list of one event; the strings live in the struct. */
struct rawtp_args {
	struct strobe_arg a[RAWTP_MAX_ARGS];
	char names[RAWTP_MAX_ARGS][64];
	char ctypes[RAWTP_MAX_ARGS][256];
	char pointees[RAWTP_MAX_ARGS][256];
	size_t n;
	bool truncated; /* more than RAWTP_MAX_ARGS */
};

static void describe_arg(const struct btf *btf, uint32_t type_id, struct rawtp_args *out, size_t i)
{
	struct strobe_arg *a = &out->a[i];
	btf_ctype_arg(btf, type_id, a, out->ctypes[i], sizeof(out->ctypes[i]), out->pointees[i],
		      sizeof(out->pointees[i]));
	a->name = out->names[i];
	a->loc = STROBE_LOC_CTX;
	a->offset = (int32_t)(8 * i);
}

static void describe_event(const struct rawtp_btf *rb, const struct rawtp_event *e,
			   struct rawtp_args *out)
{
	const struct btf_type *proto = btf__type_by_id(rb->btf, e->proto);
	const struct btf_type *named = e->named ? btf__type_by_id(rb->btf, e->named) : NULL;
	size_t vlen = btf_vlen(proto);
	if (named && btf_vlen(named) != vlen)
		named = NULL;
	const struct btf_param *p = btf_params(proto);
	out->n = 0;
	out->truncated = false;
	/* Parameter 0 is the probe's `void *__data`, not an argument. */
	for (size_t j = 1; j < vlen; j++) {
		size_t i = j - 1;
		if (i >= RAWTP_MAX_ARGS) {
			out->truncated = true;
			break;
		}
		const char *name = named ? btf__name_by_offset(rb->btf, btf_params(named)[j].name_off)
					 : btf__name_by_offset(rb->btf, p[j].name_off);
		if (name && *name)
			snprintf(out->names[i], sizeof(out->names[i]), "%s", name);
		else
			snprintf(out->names[i], sizeof(out->names[i]), "arg%zu", i);
		describe_arg(rb->btf, p[j].type, out, i);
		out->n++;
	}
}

/* "sched_switch" for vmlinux, "mod:event" for a module. */
static void probe_name(char *buf, size_t len, const char *type, const struct rawtp_btf *rb,
		       const char *event)
{
	if (!strcmp(rb->module, "vmlinux"))
		snprintf(buf, len, "%s:%s", type, event);
	else
		snprintf(buf, len, "%s:%s:%s", type, rb->module, event);
}

/* ---- list ---------------------------------------------------------- */

int rawtp_list(struct rawtp_state *st, const char *type, const char *glob, bool verbose,
	       strobe_list_fn fn, void *ctx)
{
	int err = load_vmlinux(st);
	if (err)
		return err;
	load_modules(st);
	if (!glob || !*glob)
		glob = "*";
	struct rawtp_args *args = verbose ? malloc(sizeof(*args)) : NULL;
	if (verbose && !args)
		return -ENOMEM;
	for (size_t b = 0; b < st->nb; b++) {
		struct rawtp_btf *rb = &st->b[b];
		for (size_t i = 0; i < rb->nev; i++) {
			char name[512];
			probe_name(name, sizeof(name), type, rb, rb->ev[i].name);
			/* The glob is what follows "rawtracepoint:" in the name. */
			if (fnmatch(glob, name + strlen(type) + 1, 0))
				continue;
			struct strobe_listing l = { .name = name };
			if (args) {
				describe_event(rb, &rb->ev[i], args);
				l.args = args->a;
				l.nargs = args->n;
			}
			if (fn(ctx, &l)) {
				free(args);
				return 0;
			}
		}
	}
	free(args);
	return 0;
}

/* ---- resolve ------------------------------------------------------- */

static int add_probe(const char *type, const struct rawtp_btf *rb, const struct rawtp_event *e,
		     struct strobe_resolver *r)
{
	struct rawtp_args *args = malloc(sizeof(*args));
	if (!args)
		return -ENOMEM;
	describe_event(rb, e, args);
	char name[512];
	probe_name(name, sizeof(name), type, rb, e->name);
	if (args->truncated)
		r->warning(r, "%s has more than %d arguments; only the first %d are available", name,
			   RAWTP_MAX_ARGS, RAWTP_MAX_ARGS);
	struct strobe_attachment *a = r->add(r, name, e->name, BPF_PROG_TYPE_RAW_TRACEPOINT,
					     STROBE_BUILTIN_ARGS | STROBE_BUILTIN_ARGN);
	int err = a ? 0 : -ENOMEM;
	for (size_t i = 0; a && i < args->n && !err; i++)
		err = r->add_arg(r, a, &args->a[i]);
	free(args);
	if (err)
		r->error(r, "%s: %s", name, strerror(-err));
	return err;
}

int rawtp_resolve(struct rawtp_state *st, const char *type, const char *target,
		  struct strobe_resolver *r, unsigned max_probes)
{
	char module[256] = "*", event[256];
	const char *colon = strchr(target, ':');
	if (colon) {
		if (strchr(colon + 1, ':') || colon == target || !colon[1] ||
		    (size_t)(colon - target) >= sizeof(module)) {
			r->error(r, "%s probe type requires 1 or 2 arguments ([module:]event)", type);
			return -EINVAL;
		}
		snprintf(module, sizeof(module), "%.*s", (int)(colon - target), target);
		snprintf(event, sizeof(event), "%s", colon + 1);
	} else if (!*target) {
		r->error(r, "%s probe type requires 1 or 2 arguments ([module:]event)", type);
		return -EINVAL;
	} else {
		snprintf(event, sizeof(event), "%s", target);
	}
	int err = load_vmlinux(st);
	if (err) {
		r->error(r, "%s probes need kernel BTF (%s/vmlinux), which cannot be loaded: %s", type,
			 BTF_DIR, strerror(-err));
		return err;
	}
	bool wild = strpbrk(target, "*?[") != NULL;
	if (!wild) {
		/* The common case: one event, found in vmlinux without reading module BTF. */
		bool is_vmlinux = !strcmp(module, "vmlinux");
		struct rawtp_event *e;
		if ((!colon || is_vmlinux) && (e = find_event(&st->b[0], event)))
			return add_probe(type, &st->b[0], e, r);
		if (!is_vmlinux) {
			load_modules(st);
			for (size_t b = 1; b < st->nb; b++)
				if ((!colon || !strcmp(module, st->b[b].module)) &&
				    (e = find_event(&st->b[b], event)))
					return add_probe(type, &st->b[b], e, r);
		}
		r->error(r, "rawtracepoint not found: %s", target);
		return -ENOENT;
	}
	load_modules(st);
	/* Count first, so that a too-wide wildcard costs nothing and says how wide it is. */
	size_t count = 0;
	for (size_t b = 0; b < st->nb; b++) {
		if (fnmatch(module, st->b[b].module, 0))
			continue;
		for (size_t i = 0; i < st->b[b].nev; i++)
			count += fnmatch(event, st->b[b].ev[i].name, 0) == 0;
	}
	if (count == 0) {
		r->error(r, "rawtracepoints not found: %s", target);
		return -ENOENT;
	}
	if (count > max_probes) {
		tp_limit_error(r, count, max_probes);
		return -E2BIG;
	}
	for (size_t b = 0; b < st->nb; b++) {
		if (fnmatch(module, st->b[b].module, 0))
			continue;
		for (size_t i = 0; i < st->b[b].nev; i++) {
			if (fnmatch(event, st->b[b].ev[i].name, 0))
				continue;
			err = add_probe(type, &st->b[b], &st->b[b].ev[i], r);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * The core's own BPFTRACE_MAX_PROBES message (core/driver.c), so that a
 * wildcard refused here reads the same as a program over the limit. The
 * resolver has no hint slot, so the hint is the message's second line.
 */
void tp_limit_error(struct strobe_resolver *r, size_t count, unsigned max)
{
	r->error(r,
		 "Can't attach to %zu probes because it exceeds the current limit of %u probes.\n"
		 "HINT: You can increase the limit through the BPFTRACE_MAX_PROBES environment "
		 "variable, but BE CAREFUL since a high number of probes attached can cause your "
		 "system to crash.",
		 count, max);
}

/* ---- attach -------------------------------------------------------- */

/*
 * BPF_RAW_TRACEPOINT_OPEN's attribute with the cookie that kernel 6.10
 * added (libbpf 1.1's headers predate it). Older kernels refuse the
 * non-zero tail with EINVAL/E2BIG.
 */
struct rawtp_open_attr {
	uint64_t name;
	uint32_t prog_fd;
	uint32_t pad;
	uint64_t cookie;
};

static int raw_tp_open(const char *name, int prog_fd, uint64_t cookie)
{
	struct rawtp_open_attr attr = {
		.name = (uint64_t)(uintptr_t)name,
		.prog_fd = (uint32_t)prog_fd,
		.cookie = cookie,
	};
	int fd = (int)syscall(SYS_bpf, BPF_RAW_TRACEPOINT_OPEN, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

int rawtp_attach(struct rawtp_state *st, const struct strobe_attach_req *req, int *out,
		 char *errbuf, size_t errlen)
{
	const char *event = req->target;
	int fd = raw_tp_open(event, req->prog_fd, req->cookie);
	if (fd < 0 && req->cookie && (fd == -EINVAL || fd == -E2BIG)) {
		/* Before 6.10 raw tracepoints take no cookie: attach without one. */
		fd = raw_tp_open(event, req->prog_fd, 0);
		if (fd >= 0 && !st->warned_cookie && st->host && st->host->log) {
			st->warned_cookie = true;
			st->host->log(STROBE_LOG_WARNING,
				      "this kernel cannot give raw tracepoints a BPF cookie (needs "
				      "Linux 6.10); the probe builtin is resolved per program");
		}
	}
	if (fd < 0) {
		snprintf(errbuf, errlen, "cannot attach the program to raw tracepoint %s: %s", event,
			 strerror(-fd));
		return fd;
	}
	*out = fd;
	return 0;
}
