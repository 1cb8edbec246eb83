/*
 * The tracepoint provider: `tracepoint:category:event` (alias `t`), with
 * fnmatch wildcards in either part. Probes and their `args` come from
 * tracefs (events/<cat>/<event>/format); attaching opens a
 * PERF_TYPE_TRACEPOINT event and links the program to it.
 */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <strobe/provider.h>

#include "format.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* BPFTRACE_MAX_PROBES: a wildcard matching more is almost surely a mistake. */
#define TP_MAX_PROBES 512

struct tp_state {
	const struct strobe_host *host;
};

struct tp_link {
	struct strobe_link base;
	int perf_fd;
	int link_fd; /* -1 when attached with the ioctl fallback */
};

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

static void tp_fini(void *st)
{
	free(st);
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
	return ret < 0 ? ret : 0;
}

/* ---- resolve ------------------------------------------------------- */

struct tp_resolve_ctx {
	const char *root, *type;
	struct strobe_resolver *r;
	int err;
	int count;
};

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
	tp_format_release(&f);
	if (!a)
		err = -ENOMEM;
	if (err)
		c->r->error(c->r, "tracepoint %s:%s: %s", cat, event, strerror(-err));
	return err;
}

static int tp_resolve_one(void *ctx, const char *cat, const char *event)
{
	struct tp_resolve_ctx *c = ctx;
	if (++c->count > TP_MAX_PROBES) {
		c->r->error(c->r,
			    "Can not attach more than %d probes; a more specific wildcard is needed",
			    TP_MAX_PROBES);
		return -E2BIG;
	}
	return tp_add(c, cat, event);
}

static int tp_resolve(void *stp, const char *type, const char *target, struct strobe_resolver *r)
{
	struct tp_state *st = stp;
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
	struct tp_resolve_ctx c = { .root = root, .type = type, .r = r };
	bool wild = strpbrk(target, "*?[") != NULL;
	if (!wild) {
		char path[4096];
		struct stat sb;
		snprintf(path, sizeof(path), "%s/events/%s/%s", root, cat, event);
		if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			r->error(r, "tracepoint not found: %s", target);
			return -ENOENT;
		}
		return tp_add(&c, cat, event);
	}
	int err = tp_each(root, cat, event, tp_resolve_one, &c);
	if (err)
		return err < 0 ? err : -EINVAL;
	if (c.count == 0) {
		r->error(r, "tracepoints not found: %s", target);
		return -ENOENT;
	}
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
	const char *root = tp_root(st);
	long id;
	int err = root ? tp_event_id(root, req->target, &id) : -ENOENT;
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
	int pfd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		err = -errno;
		snprintf(errbuf, errlen, "perf_event_open for tracepoint %s failed: %s", req->target,
			 strerror(-err));
		return err;
	}
	LIBBPF_OPTS(bpf_link_create_opts, opts, .perf_event.bpf_cookie = req->cookie);
	int lfd = bpf_link_create(req->prog_fd, pfd, BPF_PERF_EVENT, &opts);
	if (lfd < 0) {
		/* Kernels before 5.15 have no perf links (and no cookies): the old way. */
		if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, req->prog_fd) < 0 ||
		    ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
			err = -errno;
			snprintf(errbuf, errlen, "cannot attach the program to tracepoint %s: %s",
				 req->target, strerror(-err));
			close(pfd);
			return err;
		}
	}
	struct tp_link *l = calloc(1, sizeof(*l));
	if (!l) {
		if (lfd >= 0)
			close(lfd);
		close(pfd);
		snprintf(errbuf, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	l->base.nr_attached = 1;
	l->perf_fd = pfd;
	l->link_fd = lfd;
	*out = &l->base;
	return 0;
}

static void tp_detach(void *st, struct strobe_link *link)
{
	struct tp_link *l = container_of(link, struct tp_link, base);
	if (l->link_fd >= 0)
		close(l->link_fd);
	else
		ioctl(l->perf_fd, PERF_EVENT_IOC_DISABLE, 0);
	close(l->perf_fd);
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
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &tp_ops;
}
