/*
 * The tracepoint provider, serving two probe types:
 *
 *	tracepoint:category:event (alias t), fnmatch wildcards in either part.
 *	Probes and their `args` come from tracefs (events/<cat>/<event>/format);
 *	attaching opens a PERF_TYPE_TRACEPOINT event and links the program to
 *	it (include/strobe/perf_link.h).
 *
 *	rawtracepoint:[module:]event (alias rt), described from kernel BTF and
 *	attached with BPF_RAW_TRACEPOINT_OPEN (rawtp.c).
 *
 * A wildcard may expand to at most BPFTRACE_MAX_PROBES (default 1024) probes.
 *
 * syscalls:sys_enter_X / sys_exit_X are offered for dispatch through
 * raw_syscalls:sys_enter / sys_exit (provider.h, struct strobe_dispatch;
 * tp_dispatch below), so a wildcard over them attaches once.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <strobe/perf_link.h>
#include <strobe/provider.h>

#include "format.h"
#include "rawtp.h"
#include "sysnr.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* BPFTRACE_MAX_PROBES: a wildcard matching more is almost surely a mistake. */
#define TP_MAX_PROBES_DEFAULT 1024 /* the core's default, core/config.c */

struct tp_state {
	const struct strobe_host *host;
	struct rawtp_state *raw; /* created on the first rawtracepoint use */
	/* syscall dispatch (tp_dispatch), set up on the first syscalls:* resolve */
	bool sys_ready, sys_ok;
	struct sysnr_table sysnr;
	int32_t compat_offset; /* of thread_info.status in task_struct, or -1 */
};

/* A tracepoint (ev.perf_fd >= 0) or a raw tracepoint (ev.perf_fd == -1). */
struct tp_link {
	struct strobe_link base;
	struct strobe_perf_fd ev;
};

static bool is_raw(const char *type)
{
	return type && !strcmp(type, "rawtracepoint");
}

static struct rawtp_state *tp_raw(struct tp_state *st)
{
	if (!st->raw)
		st->raw = rawtp_new(st->host);
	return st->raw;
}

/* The probe limit: $BPFTRACE_MAX_PROBES if it is a positive integer, else 1024. */
static unsigned tp_max_probes(void)
{
	const char *env = secure_getenv("BPFTRACE_MAX_PROBES");
	if (!env || !*env)
		return TP_MAX_PROBES_DEFAULT;
	char *end;
	errno = 0;
	unsigned long v = strtoul(env, &end, 10);
	if (errno || *end || v == 0 || v > 1000000 || *env == '-')
		return TP_MAX_PROBES_DEFAULT;
	return (unsigned)v;
}

static const char *tp_root(struct tp_state *st)
{
	return st->host->tracefs ? st->host->tracefs() : NULL;
}

static int tp_init(const struct strobe_host *host, void **out)
{
	struct tp_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->host = host;
	*out = st;
	return 0;
}

static void tp_fini(void *stp)
{
	struct tp_state *st = stp;
	rawtp_free(st->raw);
	sysnr_release(&st->sysnr);
	free(st);
}

/*
 * tracefs is mounted mode 0700 (root's only): with file capabilities
 * (cap_bpf,cap_perfmon+ep) a user other than root may load programs but not
 * read the events. Say so rather than "not found" or nothing at all.
 */
#define TP_NO_ACCESS_FMT \
	"cannot read %s: %s; tracepoints need tracefs, which only root may read here: run strobe as root, " \
	"or give it cap_dac_read_search too"

static bool no_access(int err)
{
	return err == -EACCES || err == -EPERM;
}

/* Read a small tracefs file into a NUL-terminated heap buffer. */
static int read_file(const char *path, char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *grown = realloc(buf, cap *= 2);
			if (!grown) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = grown;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			int err = -errno;
			free(buf);
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static int tp_read_format(const char *root, const char *cat, const char *event,
			  struct tp_format *out)
{
	char path[4096], *text;
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", root, cat, event);
	int err = read_file(path, &text);
	if (err)
		return err;
	err = tp_format_parse(text, !strcmp(cat, "syscalls"), out);
	free(text);
	return err;
}

static int dir_filter(const struct dirent *d)
{
	return d->d_name[0] != '.' && (d->d_type == DT_DIR || d->d_type == DT_UNKNOWN);
}

/*
 * Categories sort as "cat:" so that the full names come out in bpftrace's
 * order: "fib6:..." before "fib:..." (':' sorts after the digits).
 */
static int category_cmp(const struct dirent **a, const struct dirent **b)
{
	const unsigned char *x = (const unsigned char *)(*a)->d_name;
	const unsigned char *y = (const unsigned char *)(*b)->d_name;
	for (;; x++, y++) {
		int cx = *x ? *x : ':', cy = *y ? *y : ':';
		if (cx != cy || !*x || !*y)
			return cx - cy;
	}
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Sorted subdirectories of path matching glob; returns the count or -errno. */
static int scan_dirs(const char *path, const char *glob, bool categories, struct dirent ***out)
{
	struct dirent **names;
	int n = scandir(path, &names, dir_filter, categories ? category_cmp : name_cmp);
	if (n < 0)
		return -errno;
	int kept = 0;
	for (int i = 0; i < n; i++) {
		if (fnmatch(glob, names[i]->d_name, 0) == 0)
			names[kept++] = names[i];
		else
			free(names[i]);
	}
	*out = names;
	return kept;
}

static void free_dirs(struct dirent **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Calls fn(cat, event) for every event matching cat_glob:event_glob, in order. */
typedef int (*tp_each_fn)(void *ctx, const char *cat, const char *event);

static int tp_each(const char *root, const char *cat_glob, const char *event_glob, tp_each_fn fn,
		   void *ctx)
{
	char path[4096];
	struct dirent **cats;
	snprintf(path, sizeof(path), "%s/events", root);
	int ncats = scan_dirs(path, cat_glob, true, &cats);
	if (ncats < 0)
		return ncats;
	int ret = 0;
	for (int i = 0; i < ncats && !ret; i++) {
		/* ftrace's own events cannot carry a BPF program; bpftrace hides them too. */
		if (!strcmp(cats[i]->d_name, "ftrace"))
			continue;
		struct dirent **events;
		snprintf(path, sizeof(path), "%s/events/%s", root, cats[i]->d_name);
		int nev = scan_dirs(path, event_glob, false, &events);
		if (nev < 0)
			continue;
		for (int j = 0; j < nev && !ret; j++)
			ret = fn(ctx, cats[i]->d_name, events[j]->d_name);
		free_dirs(events, nev);
	}
	free_dirs(cats, ncats);
	return ret;
}

/* Split "cat:event" into its two parts; false if it is not exactly two. */
static bool split_target(const char *target, char *cat, size_t catlen, char *event,
			 size_t evlen)
{
	const char *colon = strchr(target, ':');
	if (!colon || strchr(colon + 1, ':') || colon == target || !colon[1])
		return false;
	size_t n = (size_t)(colon - target), m = strlen(colon + 1);
	if (n >= catlen || m >= evlen)
		return false;
	memcpy(cat, target, n);
	cat[n] = '\0';
	memcpy(event, colon + 1, m + 1);
	return true;
}

/* ---- list ---------------------------------------------------------- */

struct tp_list_ctx {
	const char *root, *type;
	bool verbose;
	strobe_list_fn fn;
	void *ctx;
};

static int tp_list_one(void *ctx, const char *cat, const char *event)
{
	struct tp_list_ctx *c = ctx;
	char name[512];
	snprintf(name, sizeof(name), "%s:%s:%s", c->type, cat, event);
	struct strobe_listing l = { .name = name };
	struct tp_format f = { 0 };
	if (c->verbose && tp_read_format(c->root, cat, event, &f) == 0) {
		l.args = f.args;
		l.nargs = f.n;
	}
	int ret = c->fn(c->ctx, &l);
	tp_format_release(&f);
	return ret;
}

static int tp_list(void *stp, const char *type, const char *glob, bool verbose, strobe_list_fn fn,
		   void *ctx)
{
	struct tp_state *st = stp;
	if (is_raw(type))
		return tp_raw(st) ? rawtp_list(st->raw, type, glob, verbose, fn, ctx) : -ENOMEM;
	const char *root = tp_root(st);
	if (!root)
		return -ENOENT;
	char cat[256] = "*", event[256] = "*";
	if (glob && *glob && strcmp(glob, "*")) {
		const char *colon = strchr(glob, ':');
		if (colon) {
			snprintf(cat, sizeof(cat), "%.*s", (int)(colon - glob), glob);
			snprintf(event, sizeof(event), "%s", *(colon + 1) ? colon + 1 : "*");
		} else {
			snprintf(cat, sizeof(cat), "%s", glob);
		}
	}
	struct tp_list_ctx c = { .root = root, .type = type, .verbose = verbose, .fn = fn, .ctx = ctx };
	int ret = tp_each(root, cat, event, tp_list_one, &c);
	if (no_access(ret))
		st->host->log(STROBE_LOG_ERROR, TP_NO_ACCESS_FMT, root, strerror(-ret));
	return ret < 0 ? ret : 0;
}

/* ---- resolve ------------------------------------------------------- */

struct tp_resolve_ctx {
	struct tp_state *st;
	const char *root, *type;
	struct strobe_resolver *r;
	int err;
	unsigned count;
};

static void tp_dispatch(struct tp_state *st, struct tp_resolve_ctx *c, struct strobe_attachment *a,
			const char *cat, const char *event, const struct tp_format *f);

static int tp_add(struct tp_resolve_ctx *c, const char *cat, const char *event)
{
	struct tp_format f;
	int err = tp_read_format(c->root, cat, event, &f);
	if (err) {
		c->r->error(c->r, "cannot read the format of tracepoint %s:%s: %s", cat, event,
			    strerror(-err));
		return err;
	}
	char name[512], target[512];
	snprintf(name, sizeof(name), "%s:%s:%s", c->type, cat, event);
	snprintf(target, sizeof(target), "%s:%s", cat, event);
	struct strobe_attachment *a =
		c->r->add(c->r, name, target, BPF_PROG_TYPE_TRACEPOINT, STROBE_BUILTIN_ARGS);
	for (size_t i = 0; a && i < f.n && !err; i++)
		err = c->r->add_arg(c->r, a, &f.args[i]);
	if (a && !err)
		tp_dispatch(c->st, c, a, cat, event, &f);
	tp_format_release(&f);
	if (!a)
		err = -ENOMEM;
	if (err)
		c->r->error(c->r, "tracepoint %s:%s: %s", cat, event, strerror(-err));
	return err;
}

/*
 * ---- syscall dispatch ----
 * syscalls:sys_enter_X and sys_exit_X are fired by the kernel's handler on
 * raw_syscalls:sys_enter/sys_exit for syscall number X, with the same record
 * layout: id (u64) at 8, then args[6] or ret at 16 (the syscall events keep
 * `int __syscall_nr` at 8, whose bytes are the low half of id). They skip
 * 32-bit syscalls (TS_COMPAT in thread_info.status), which raw_syscalls
 * reports with i386 numbers. So each may be delivered by one program on the
 * raw tracepoint guarded by the number (provider.h, struct strobe_dispatch),
 * which attaches (and detaches) in one step instead of hundreds.
 */
#define TS_COMPAT 0x0002 /* arch/x86/include/asm/thread_info.h */

static int32_t btf_member_offset(const struct btf *btf, const char *type, const char *member)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (uint32_t)id) : NULL;
	if (!t)
		return -1;
	const struct btf_member *m = btf_members(t);
	for (unsigned i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, m[i].name_off);
		if (name && !strcmp(name, member)) {
			uint32_t bits = btf_member_bit_offset(t, i);
			return bits % 8 ? -1 : (int32_t)(bits / 8);
		}
	}
	return -1;
}

static bool tp_sys_setup(struct tp_state *st, const char *root)
{
	if (st->sys_ready)
		return st->sys_ok;
	st->sys_ready = true;
	const char *off = secure_getenv("STROBE_NO_SYSCALL_DISPATCH");
	if (off && *off && strcmp(off, "0"))
		return false;
#if !defined(__x86_64__)
	return false; /* the layouts and numbers are checked for x86-64 only */
#endif
	char path[4096];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/events/raw_syscalls/sys_enter", root);
	if (stat(path, &sb) || !S_ISDIR(sb.st_mode))
		return false;
	snprintf(path, sizeof(path), "%s/events/raw_syscalls/sys_exit", root);
	if (stat(path, &sb) || !S_ISDIR(sb.st_mode))
		return false;
	/* Without BTF there is no cheap TS_COMPAT check: keep the real tracepoints. */
	struct btf *btf = btf__load_vmlinux_btf();
	if (!btf)
		return false;
	int32_t ti = btf_member_offset(btf, "task_struct", "thread_info");
	int32_t status = btf_member_offset(btf, "thread_info", "status");
	btf__free(btf);
	if (ti < 0 || status < 0)
		return false;
	st->compat_offset = ti + status;
	const char *hdr = secure_getenv("STROBE_SYSCALL_HEADER"), *text = sysnr_builtin_text;
	char *file = NULL;
	if (hdr && *hdr && read_file(hdr, &file) == 0)
		text = file;
	int err = sysnr_parse(text, &st->sysnr);
	free(file);
	st->sys_ok = err == 0;
	return st->sys_ok;
}

/* The record of f is raw_syscalls' too: the arguments at 16 + 8 * i, or ret at 16. */
static bool tp_sys_layout_ok(const struct tp_format *f, bool enter)
{
	size_t slot = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct strobe_arg *a = &f->args[i];
		if (a->loc != STROBE_LOC_CTX)
			return false;
		if (!strcmp(a->name, "__syscall_nr")) {
			if (a->offset != 8 || a->size > 8)
				return false;
			continue;
		}
		if (a->offset != (int32_t)(16 + 8 * slot) || a->size != 8 || slot >= (enter ? 6 : 1))
			return false;
		slot++;
	}
	return true;
}

static void tp_dispatch(struct tp_state *st, struct tp_resolve_ctx *c, struct strobe_attachment *a,
			const char *cat, const char *event, const struct tp_format *f)
{
	struct strobe_resolver *r = c->r;
	if (strcmp(cat, "syscalls") || r->size < offsetofend(struct strobe_resolver, set_dispatch) ||
	    !r->set_dispatch)
		return;
	bool enter = !strncmp(event, "sys_enter_", 10);
	if (!enter && strncmp(event, "sys_exit_", 9))
		return;
	if (!tp_sys_setup(st, c->root) || !tp_sys_layout_ok(f, enter))
		return;
	int nr = sysnr_lookup(&st->sysnr, event + (enter ? 10 : 9));
	if (nr < 0 || nr >= STROBE_DISPATCH_MAX_VALUE)
		return;
	struct strobe_dispatch d = {
		.size = sizeof(d),
		.shared = enter ? "raw_syscalls:sys_enter" : "raw_syscalls:sys_exit",
		.ctx_offset = 8,
		.value = (uint64_t)nr,
		.task_offset = st->compat_offset,
		.task_mask = TS_COMPAT,
	};
	r->set_dispatch(r, a, &d);
}

static int tp_resolve_one(void *ctx, const char *cat, const char *event)
{
	return tp_add(ctx, cat, event);
}

static int tp_count_one(void *ctx, const char *cat, const char *event)
{
	((struct tp_resolve_ctx *)ctx)->count++;
	return 0;
}

static int tp_resolve(void *stp, const char *type, const char *target, struct strobe_resolver *r)
{
	struct tp_state *st = stp;
	if (is_raw(type)) {
		if (!tp_raw(st)) {
			r->error(r, "%s", strerror(ENOMEM));
			return -ENOMEM;
		}
		return rawtp_resolve(st->raw, type, target, r, tp_max_probes());
	}
	char cat[256], event[256];
	if (!split_target(target, cat, sizeof(cat), event, sizeof(event))) {
		r->error(r, "%s probe type requires 2 arguments", type);
		return -EINVAL;
	}
	const char *root = tp_root(st);
	if (!root) {
		r->error(r, "tracefs is not available, so tracepoints cannot be used");
		return -ENOENT;
	}
	struct tp_resolve_ctx c = { .st = st, .root = root, .type = type, .r = r };
	bool wild = strpbrk(target, "*?[") != NULL;
	if (!wild) {
		char path[4096];
		struct stat sb;
		snprintf(path, sizeof(path), "%s/events/%s/%s", root, cat, event);
		if (stat(path, &sb) != 0 && no_access(-errno)) {
			int err = -errno;
			r->error(r, TP_NO_ACCESS_FMT, root, strerror(-err));
			return err;
		}
		if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			r->error(r, "tracepoint not found: %s", target);
			return -ENOENT;
		}
		return tp_add(&c, cat, event);
	}
	/* Count first: a too-wide wildcard is refused before any format is read. */
	int err = tp_each(root, cat, event, tp_count_one, &c);
	if (no_access(err))
		r->error(r, TP_NO_ACCESS_FMT, root, strerror(-err));
	if (err)
		return err < 0 ? err : -EINVAL;
	unsigned max = tp_max_probes();
	if (c.count == 0) {
		r->error(r, "tracepoints not found: %s", target);
		return -ENOENT;
	}
	if (c.count > max) {
		tp_limit_error(r, c.count, max);
		return -E2BIG;
	}
	err = tp_each(root, cat, event, tp_resolve_one, &c);
	if (err)
		return err < 0 ? err : -EINVAL;
	return 0;
}

/* ---- attach -------------------------------------------------------- */

static int tp_event_id(const char *root, const char *target, long *id)
{
	char cat[256], event[256], path[4096], *text;
	if (!split_target(target, cat, sizeof(cat), event, sizeof(event)))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", root, cat, event);
	int err = read_file(path, &text);
	if (err)
		return err;
	char *end;
	errno = 0;
	*id = strtol(text, &end, 10);
	err = errno || end == text ? -EINVAL : 0;
	free(text);
	return err;
}

static int tp_attach(void *stp, const struct strobe_attach_req *req, struct strobe_link **out,
		     char *errbuf, size_t errlen)
{
	struct tp_state *st = stp;
	struct strobe_perf_fd ev = { .perf_fd = -1, .link_fd = -1 };
	int err;
	if (is_raw(req->type)) {
		if (!tp_raw(st))
			return -ENOMEM;
		err = rawtp_attach(st->raw, req, &ev.link_fd, errbuf, errlen);
		if (err)
			return err;
	} else {
		const char *root = tp_root(st);
		long id;
		err = root ? tp_event_id(root, req->target, &id) : -ENOENT;
		if (err) {
			snprintf(errbuf, errlen, "cannot read the id of tracepoint %s: %s", req->target,
				 strerror(-err));
			return err;
		}
		struct perf_event_attr attr = {
			.type = PERF_TYPE_TRACEPOINT,
			.size = sizeof(attr),
			.config = (uint64_t)id,
			.sample_period = 1,
			.wakeup_events = 1,
		};
		/* A tracepoint's program runs on every CPU whatever the event's cpu is. */
		const char *step = "perf_event_open";
		err = strobe_perf_attach(&attr, -1, 0, req->prog_fd, req->cookie, &ev, &step);
		if (err) {
			if (!strcmp(step, "perf_event_open"))
				snprintf(errbuf, errlen, "perf_event_open for tracepoint %s failed: %s",
					 req->target, strerror(-err));
			else
				snprintf(errbuf, errlen,
					 "cannot attach the program to tracepoint %s: %s", req->target,
					 strerror(-err));
			return err;
		}
	}
	struct tp_link *l = calloc(1, sizeof(*l));
	if (!l) {
		strobe_perf_detach(&ev);
		snprintf(errbuf, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	l->base.nr_attached = 1;
	l->ev = ev;
	*out = &l->base;
	return 0;
}

static void tp_detach(void *st, struct strobe_link *link)
{
	struct tp_link *l = container_of(link, struct tp_link, base);
	strobe_perf_detach(&l->ev);
	free(l);
}

static const struct strobe_provider_ops tp_ops = {
	.abi = STROBE_PROVIDER_ABI,
	.size = sizeof(struct strobe_provider_ops),
	.name = "tracepoint",
	.init = tp_init,
	.fini = tp_fini,
	.list = tp_list,
	.resolve = tp_resolve,
	.attach = tp_attach,
	.detach = tp_detach,
	.arg_size = sizeof(struct strobe_arg),
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &tp_ops;
}
